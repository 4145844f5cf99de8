"""The HTTP contract as an OpenAPI 3.1 document, served at /openapi.json."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.blueprints import BlueprintSetupState

from bot.api import MAX_BODY_BYTES
from bot.live_index import get_wards
from bot.service import CHANNELS, MAX_QUESTION_CHARS, MAX_SESSION_CHARS, QUESTION_ID

bp = Blueprint("openapi", __name__)
EXTENSION = "ward_faq.openapi"

# Fields may be added to every body (the contract says so): no schema here forbids additional properties.
ERROR_STATUSES = {
    400: "The body or a parameter is wrong: not JSON, a missing, empty or too long question, an unknown ward, a wrong type.",
    403: "Refused: the site may not embed the widget (Origin), or the answer was given to another client (session).",
    404: "No such question id.",
    409: "A verdict on this answer was given already and can no longer be changed.",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.",
    415: "The content type is not application/json.",
    429: "Too many requests from this client; retry later.",
    503: "The database cannot be reached (code `unavailable`); retry later.",
}


def error_responses(*statuses: int) -> dict:
    """Describe the contract's JSON error body for these statuses."""
    return {str(status): json_body("Error", ERROR_STATUSES[status]) for status in statuses}


def json_body(schema: str, description: str) -> dict:
    """Describe a JSON response body of one of the document's schemas."""
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def json_request(schema: str, description: str) -> dict:
    """Describe the required JSON request body of one of the document's schemas."""
    return {"required": True, **json_body(schema, description)}


def openapi_document(wards: list[str]) -> dict:
    """Return the OpenAPI 3.1 description of the API, the health checks and their errors."""
    ward = {"type": "string", "enum": wards}
    nullable_ward = {"oneOf": [ward, {"type": "null"}]}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "ward-faq",
            "version": "1",
            "description": (
                "Answers residents' questions from the ward documents. Every error is a JSON body "
                "`{\"error\": {\"code\": …, \"message\": …}}`; any other path under /api/ answers 404 and any other "
                "method on these paths 405, with the same body. Fields may be added to every body."
            ),
        },
        "paths": {
            "/api/ask": {
                "post": {
                    "summary": "Ask a question; it is answered from the corpus (or abstained on) and logged.",
                    "parameters": [
                        {
                            "name": "X-Ward-Faq-Channel", "in": "header", "required": False,
                            "description": "`web` from the widget; anything else counts as the api channel.",
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": json_request("AskRequest", "The question."),
                    "responses": {
                        "200": json_body("AskResponse", "The answer, or an abstention."),
                        **error_responses(400, 403, 413, 415, 429, 503),
                    },
                }
            },
            "/api/feedback": {
                "post": {
                    "summary": "Say whether an answer helped; not helpful counts the question as unresolved.",
                    "requestBody": json_request("FeedbackRequest", "The verdict."),
                    "responses": {
                        "200": json_body("FeedbackResponse", "Recorded."),
                        **error_responses(400, 403, 404, 409, 413, 429, 503),
                    },
                }
            },
            "/api/kpi": {
                "get": {
                    "summary": "The unresolved rate, overall and per Asia/Tokyo day; small talk is not counted.",
                    "parameters": [
                        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "ward", "in": "query", "schema": ward},
                        {"name": "channel", "in": "query", "schema": {"type": "string", "enum": list(CHANNELS)}},
                    ],
                    "responses": {
                        "200": json_body("Kpi", "The figures."),
                        **error_responses(400, 503),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: the index is loaded.",
                    "responses": {"200": json_body("Health", "Up.")},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: the database answers too.",
                    "responses": {
                        "200": json_body("Health", "Ready."),
                        **error_responses(503),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "AskRequest": {
                    "type": "object",
                    "required": ["question"],
                    "properties": {
                        "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS,
                                     "description": "1 to 500 characters after trimming."},
                        "ward": {**nullable_ward, "description": "Absent or null: any ward (a ward the question names is honoured)."},
                        "session": {"type": ["string", "null"], "maxLength": MAX_SESSION_CHARS,
                                    "description": "An opaque conversation id of the client."},
                        "suggested_from": {
                            "type": ["string", "null"], "pattern": f"^{QUESTION_ID.pattern}$",
                            "description": "The id of the answer whose suggestion button asked this question.",
                        },
                    },
                },
                "AskResponse": {
                    "type": "object",
                    "required": ["id", "resolved", "answer", "sources", "department", "suggestions"],
                    "properties": {
                        "id": {"type": "string", "description": "The logged question's id, for /api/feedback."},
                        "resolved": {"type": "boolean", "description": "false: the bot abstained; answer says where to ask."},
                        "answer": {"type": "string"},
                        "sources": {"type": "array", "items": {"$ref": "#/components/schemas/Source"},
                                    "description": "Best first; empty when not resolved."},
                        "department": {"type": ["string", "null"], "description": "The department in charge (担当課)."},
                        "suggestions": {"type": "array", "items": {"type": "string"},
                                        "description": "Questions to offer as buttons."},
                    },
                },
                "Source": {
                    "type": "object",
                    "required": ["ward", "document", "section", "title", "url", "score"],
                    "properties": {
                        "ward": ward,
                        "document": {"type": "string"},
                        "section": {"type": "string"},
                        "title": {"type": "string"},
                        "url": {"type": ["string", "null"]},
                        "score": {"type": "number"},
                    },
                },
                "FeedbackRequest": {
                    "type": "object",
                    "required": ["id", "helpful"],
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": 64},
                        "helpful": {"type": "boolean"},
                        "session": {"type": ["string", "null"], "maxLength": MAX_SESSION_CHARS,
                                    "description": "The session the question was asked with; another is refused (403)."},
                    },
                },
                "FeedbackResponse": {
                    "type": "object",
                    "required": ["id", "helpful"],
                    "properties": {"id": {"type": "string"}, "helpful": {"type": "boolean"}},
                },
                "Kpi": {
                    "type": "object",
                    "required": ["total", "unresolved", "unresolved_rate", "by_day"],
                    "properties": {
                        "total": {"type": "integer", "minimum": 0},
                        "unresolved": {"type": "integer", "minimum": 0},
                        "unresolved_rate": {"type": "number", "minimum": 0, "maximum": 1},
                        "by_day": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["date", "total", "unresolved"],
                                "properties": {
                                    "date": {"type": "string", "format": "date"},
                                    "total": {"type": "integer", "minimum": 0},
                                    "unresolved": {"type": "integer", "minimum": 0},
                                },
                            },
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string"}},
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "description": "Machine-readable, e.g. invalid_question, unavailable."},
                                "message": {"type": "string", "description": "For people, in Japanese."},
                            },
                        }
                    },
                },
            }
        },
    }


def describe(state: BlueprintSetupState) -> None:
    """Make the app's OpenAPI document once: it changes only with the corpus's wards."""
    state.app.extensions[EXTENSION] = openapi_document(list(get_wards(state.app)))


bp.record_once(describe)


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return jsonify(current_app.extensions[EXTENSION])
