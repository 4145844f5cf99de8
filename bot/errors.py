"""The contract's JSON error body, for every channel and for any error under /api/; unstorable input refused."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from bot.service import storable

# Werkzeug's errors (routing 404/405, 413 …) as the contract's codes and messages.
HTTP_CODES = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}
HTTP_MESSAGES = {413: "リクエストが大きすぎます（16KiBまで）。", 404: "見つかりません。", 405: "この方法では利用できません。"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ApiError(Exception):
    """A client error, answered as the contract's JSON error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_error(status: int, code: str, message: str):
    """Answer with the contract's JSON error body."""
    return jsonify({"error": {"code": code, "message": message}}), status


def api_error(error: ApiError):
    """Answer an ApiError as JSON."""
    return json_error(error.status, error.code, error.message)


def http_error(error: HTTPException):
    """Answer Werkzeug's errors under /api/ as JSON, routing errors included; elsewhere as they are."""
    if not request.path.startswith("/api/"):
        return error
    code = HTTP_CODES.get(error.code, "bad_request")
    return json_error(error.code, code, HTTP_MESSAGES.get(error.code, "リクエストを処理できません。"))


def refuse_unstorable_input() -> None:
    """Refuse a query string or form holding text no database stores (NUL, control characters) with a 400."""
    fields = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        fields += request.form.items(multi=True)
    if not all(storable(key) and storable(value) for key, value in fields):
        abort(400)


def init_app(app: Flask) -> None:
    """Register the JSON error handlers app-wide (blueprint handlers never see routing errors); check input first."""
    app.register_error_handler(ApiError, api_error)
    app.register_error_handler(HTTPException, http_error)
    app.before_request(refuse_unstorable_input)
