"""The web widget: the script ward sites embed, a demo page, and CORS for the widget's API calls."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, send_from_directory

from bot.errors import json_error
from bot.live_index import get_wards

bp = Blueprint("widget", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_WARD = "台東区"
# Only the endpoints the widget calls are opened to other origins.
CORS_PATHS = frozenset({"/api/ask", "/api/feedback"})
ALLOWED_HEADERS = "Content-Type, X-Ward-Faq-Channel"
# Ward pages embed the script on every page: cache it, but let a new release reach residents within the hour.
SCRIPT_MAX_AGE = 3600


@bp.get("/")
def demo():
    """Serve a plain ward page with the widget embedded, so anyone can try the bot."""
    wards = list(get_wards())
    ward = request.args.get("ward")
    if ward not in wards:
        ward = DEFAULT_WARD if DEFAULT_WARD in wards else wards[0]
    return render_template("demo.html", ward=ward, wards=wards)


@bp.get("/widget.js")
def script():
    """Serve the widget script that ward sites embed with one tag."""
    return send_from_directory(STATIC_DIR, "widget.js", mimetype="text/javascript", max_age=SCRIPT_MAX_AGE)


def allowed_origins() -> set[str]:
    """Return the origins configured as allowed to embed the widget."""
    value = current_app.config.get("WIDGET_ALLOWED_ORIGINS") or ()
    if isinstance(value, str):
        value = value.split(",")
    return {origin.strip().rstrip("/") for origin in value if origin.strip()}


def cross_origin() -> str | None:
    """Return the request's Origin when it is another site than this host, else None."""
    origin = request.headers.get("Origin")
    # Behind a TLS proxy the app may see http while the browser says https: the host decides.
    if origin is None or urlsplit(origin).netloc == request.host:
        return None
    return origin


@bp.before_app_request
def refuse_other_origins():
    """Refuse widget API calls from sites not allowed, before anything is logged; answer preflights."""
    if request.path not in CORS_PATHS:
        return None
    origin = cross_origin()
    if origin is None:
        return None
    if origin not in allowed_origins():
        return json_error(403, "origin_not_allowed", "このサイトからは利用できません。")
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        return response
    return None


@bp.after_app_request
def allow_listed_origins(response):
    """Let an allowed site read the widget API's answers, errors included."""
    if request.path in CORS_PATHS:
        origin = cross_origin()
        if origin is not None and origin in allowed_origins():
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
    return response
