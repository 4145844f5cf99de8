"""The JSON API of the contract: ask, feedback, KPI, health."""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, jsonify, request

from bot.db import get_db
from bot.errors import ApiError
from bot.kpi import KpiFilter, kpi, parse_day
from bot.limits import rate_limit
from bot.live_index import get_live_index, get_wards
from bot.service import (
    CHANNELS, MAX_QUESTION_CHARS, MAX_SESSION_CHARS, QUESTION_ID, FeedbackRefused, ask, normalized_question,
    record_feedback, sources_of, storable,
)

bp = Blueprint("api", __name__)

MAX_BODY_BYTES = 16 * 1024


def json_body(wrong_type_status: int = 415) -> dict:
    """Return the request's JSON object, or raise the contract's 400/413/415."""
    if request.mimetype != "application/json":
        message = "Content-Type は application/json にしてください。"
        raise ApiError(wrong_type_status, "unsupported_media_type", message)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", "リクエストが大きすぎます（16KiBまで）。")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", "リクエストが大きすぎます（16KiBまで）。")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        raise ApiError(400, "invalid_json", "JSONとして読み取れません（UTF-8のJSONで送ってください）。") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "JSONオブジェクトで送ってください。")
    return body


def validated_session(body: dict) -> str | None:
    """Return the body's optional session id, or raise the contract's 400."""
    session = body.get("session")
    if session is not None and (
        not isinstance(session, str) or len(session) > MAX_SESSION_CHARS or not storable(session)
    ):
        raise ApiError(400, "invalid_session", f"session は制御文字を含まない{MAX_SESSION_CHARS}文字以内の文字列にしてください。")
    return session


def validated_ask(body: dict) -> tuple[str, str | None, str | None, str | None]:
    """Check an ask body: question, ward, session and the suggestion's origin, as the contract says."""
    question = body.get("question")
    if not isinstance(question, str):
        raise ApiError(400, "invalid_question", "question（質問の文字列）を入れてください。")
    # The limit counts what is answered and stored: one ㍿ is four characters once normalized.
    question = normalized_question(question)
    if not question:
        raise ApiError(400, "invalid_question", "質問が空です。")
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(400, "invalid_question", f"質問は{MAX_QUESTION_CHARS}文字以内にしてください。")
    if not storable(question):
        raise ApiError(400, "invalid_question", "質問に使えない文字（制御文字など）が含まれています。")
    ward = body.get("ward")
    wards = get_wards()
    if ward is not None and (not isinstance(ward, str) or ward not in wards):
        raise ApiError(400, "invalid_ward", "ward は " + "・".join(wards) + " のいずれかにしてください。")
    session = validated_session(body)
    suggested_from = body.get("suggested_from")
    if suggested_from is not None and (not isinstance(suggested_from, str) or not QUESTION_ID.fullmatch(suggested_from)):
        raise ApiError(400, "invalid_suggested_from", "suggested_from は /api/ask の応答の id にしてください。")
    return question, ward, session, suggested_from


@bp.post("/api/ask")
def ask_question():
    """Answer a question from the corpus and log it."""
    rate_limit()
    question, ward, session, suggested_from = validated_ask(json_body())
    # The widget says it is the widget; LINE never comes this way, so "line" cannot be claimed here.
    channel = "web" if request.headers.get("X-Ward-Faq-Channel") == "web" else "api"
    asked = ask(get_db(), question, ward, channel, session, suggested_from=suggested_from)
    answer = asked.answer
    return jsonify(
        {
            "id": asked.question_id,
            "resolved": answer.resolved,
            "answer": answer.text,
            "sources": sources_of(answer),
            "department": answer.department,
            "suggestions": answer.suggestions,
        }
    )


FEEDBACK_REFUSED = {
    "foreign": (403, "not_your_question", "この質問への評価は、質問した画面からだけ送れます。"),
    "final": (409, "feedback_final", "この回答への評価はすでに受け付けています。"),
}


@bp.post("/api/feedback")
def feedback():
    """Record whether an answer helped: once, by the client that asked, changeable only for a short while."""
    rate_limit("feedback", "FEEDBACK_RATE_LIMIT_PER_MINUTE")
    body = json_body(wrong_type_status=400)  # the contract gives feedback only 400 for a bad body
    question_id, helpful = body.get("id"), body.get("helpful")
    if not isinstance(question_id, str) or not question_id or len(question_id) > 64 or not storable(question_id):
        raise ApiError(400, "invalid_id", "id（/api/ask の応答の id）を入れてください。")
    if not isinstance(helpful, bool):
        raise ApiError(400, "invalid_helpful", "helpful は true か false にしてください。")
    session = validated_session(body)
    try:
        recorded = record_feedback(get_db(), question_id, helpful, session)
    except FeedbackRefused as refused:
        raise ApiError(*FEEDBACK_REFUSED[refused.reason]) from None
    if recorded is None:
        raise ApiError(404, "unknown_id", "その id の質問は見つかりません。")
    return jsonify({"id": question_id, "helpful": helpful})


def day_arg(name: str) -> date | None:
    """Read a YYYY-MM-DD query parameter."""
    try:
        return parse_day(request.args.get(name))
    except ValueError:
        raise ApiError(400, "invalid_date", f"{name} は YYYY-MM-DD の形にしてください。") from None


def kpi_filter() -> KpiFilter:
    """Read and check the KPI filter from the query string."""
    ward, channel = request.args.get("ward"), request.args.get("channel")
    if ward is not None and ward not in get_wards():
        raise ApiError(400, "invalid_ward", "ward が正しくありません。")
    if channel is not None and channel not in CHANNELS:
        raise ApiError(400, "invalid_channel", "channel は web・line・api のいずれかにしてください。")
    where = KpiFilter(day_arg("from"), day_arg("to"), ward, channel)
    if where.start and where.end and where.start > where.end:
        raise ApiError(400, "invalid_date", "from は to より前の日付にしてください。")
    return where


@bp.get("/api/kpi")
def kpi_figures():
    """Report the unresolved rate, overall and per day."""
    return jsonify(kpi(get_db(), kpi_filter()))


@bp.get("/healthz")
def healthz():
    """Say the service is up and how big its index is."""
    return jsonify({"status": "ok", "units": len(get_live_index().corpus_retriever.units)})
