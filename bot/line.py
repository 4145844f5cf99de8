"""The LINE channel's webhook: LINE posts residents' messages to /callback and we answer with the reply call.

line-bot-sdk takes most of a second to import, so only an app with a LINE channel secret loads it, with the
channel itself (bot.line_channel); without one, /callback says the channel is not set.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState

from bot.errors import json_error
from bot.live_index import get_wards

bp = Blueprint("line", __name__)
log = logging.getLogger("ward_faq.line")

EXTENSION = "ward_faq.line"


def set_up(state: BlueprintSetupState) -> None:
    """Check the LINE settings and, when a secret is set, open the channel for this app."""
    app = state.app
    ward = app.config["LINE_WARD"]
    wards = get_wards(app)
    if ward is not None and ward not in wards:
        raise ValueError("LINE_WARD must be one of: " + ", ".join(wards))
    secret = app.config["LINE_CHANNEL_SECRET"]
    if not secret:
        return
    if not app.config["LINE_CHANNEL_ACCESS_TOKEN"]:
        log.warning("LINE_CHANNEL_ACCESS_TOKEN is not set: LINE will refuse every reply")
    from bot.line_channel import open_channel  # the SDK, imported only for an app that has a channel

    app.extensions[EXTENSION] = open_channel(app, secret, ward)


bp.record_once(set_up)


@bp.errorhandler(413)
def too_large(_error):
    """Refuse a body over the size limit with the JSON error body, as every other error here."""
    return json_error(413, "too_large", "リクエストが大きすぎます。")


@bp.post("/callback")
def callback():
    """Take LINE's webhook: check the signature, answer and log every event, queue the replies, say 200."""
    channel = current_app.extensions.get(EXTENSION)
    if channel is None:
        return json_error(503, "line_disabled", "LINEとの連携は設定されていません。")
    signature = request.headers.get("X-Line-Signature")
    if not signature:
        return json_error(400, "no_signature", "署名（X-Line-Signature）がありません。")
    return channel.take(request.get_data(cache=False), signature)
