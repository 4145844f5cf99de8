"""GET /openapi.json: the contract as OpenAPI 3.1, kept true by checking real responses against it.

Every response to the API and health checks that any test gets through a test client is checked against the
document (tests/helpers.py, ContractClient); the test below makes each documented status happen at least once.
"""
from __future__ import annotations

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from bot import create_app
from helpers import ask, check_documented, corpus_retriever

BIG = "あ" * 20_000


def test_the_document_is_openapi_3_1_with_the_contracts_endpoints_and_statuses(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    statuses = {
        (path, method): set(operation["responses"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert statuses[("/api/ask", "post")] >= {"200", "400", "413", "415", "429", "503"}
    assert statuses[("/api/feedback", "post")] >= {"200", "400", "404", "403", "409", "429"}
    assert statuses[("/api/kpi", "get")] >= {"200", "400"}
    assert statuses[("/healthz", "get")] == {"200"} and statuses[("/readyz", "get")] == {"200", "503"}
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    ward = document["components"]["schemas"]["Source"]["properties"]["ward"]
    assert ward["enum"] == ["台東区", "千代田区", "大田区"]


def test_each_documented_status_the_suite_can_cause_answers_as_documented(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "RATE_LIMIT_PER_MINUTE": 5,
            "FEEDBACK_RATE_LIMIT_PER_MINUTE": 6,
            "FEEDBACK_CHANGE_MINUTES": 0,  # a verdict is final at once
            "CORPUS_RETRIEVER": corpus_retriever(),
        }
    )
    client = app.test_client()  # checks each response against the document
    seen: dict[str, set[int]] = {"/api/ask": set(), "/api/feedback": set(), "/api/kpi": set()}

    def status(path: str, response) -> None:
        seen[path].add(response.status_code)

    elsewhere = {"Origin": "https://elsewhere.example"}
    answered = ask(client, "大田区の情報化推進計画の進行管理は誰がするのですか", ward="大田区")
    status("/api/ask", answered)
    in_a_session = ask(client, "大田区の情報化推進計画の進行管理は誰がするのですか", session="one").get_json()
    status("/api/ask", ask(client, "", ward="大田区"))
    status("/api/ask", client.post("/api/ask", data="question", content_type="text/plain"))
    status("/api/ask", client.post("/api/ask", json={"question": BIG}))
    status("/api/ask", client.post("/api/ask", json={"question": "計画"}, headers=elsewhere))
    status("/api/ask", ask(client, "計画"))  # the sixth in a minute with a limit of 5
    verdict = {"id": answered.get_json()["id"], "helpful": True}
    status("/api/feedback", client.post("/api/feedback", json=verdict))
    status("/api/feedback", client.post("/api/feedback", json={"id": "unknown", "helpful": True}))
    status("/api/feedback", client.post("/api/feedback", json={"id": 3}))
    status("/api/feedback", client.post("/api/feedback", json={"id": BIG, "helpful": True}))
    status("/api/feedback", client.post("/api/feedback", json=verdict, headers=elsewhere))
    status("/api/feedback", client.post("/api/feedback", json={"id": in_a_session["id"], "helpful": True, "session": "two"}))
    status("/api/feedback", client.post("/api/feedback", json=verdict | {"helpful": False}))  # changed too late
    status("/api/feedback", client.post("/api/feedback", json=verdict))  # the seventh with a limit of 6
    status("/api/kpi", client.get("/api/kpi", query_string={"ward": "大田区", "from": "2026-11-01"}))
    status("/api/kpi", client.get("/api/kpi", query_string={"from": "11/01"}))
    assert client.get("/api/nowhere").status_code == 404
    assert client.get("/api/ask").status_code == 405
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200

    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        if path in seen:
            (operation,) = item.values()
            # 503 needs the database gone: the outage tests cause it, through this same check.
            assert {int(s) for s in operation["responses"]} - {503} == seen[path], path


def test_a_response_the_document_does_not_describe_fails_the_check(app):
    with app.app_context():
        check_documented(app, "POST", "/api/ask", 200, {"id": "1", "resolved": True, "answer": "…", "sources": [],
                                                         "department": None, "suggestions": [], "added": "a field"})
        with pytest.raises(jsonschema.ValidationError):
            check_documented(app, "POST", "/api/ask", 200, {"id": "1", "answer": "…"})
        with pytest.raises(jsonschema.ValidationError):
            check_documented(app, "GET", "/api/kpi", 200, {"total": 1, "unresolved": 0, "unresolved_rate": 0.0,
                                                            "by_day": [{"date": "21/11", "total": 1, "unresolved": 0}]})
        with pytest.raises(AssertionError, match="does not list it"):
            check_documented(app, "GET", "/api/kpi", 429, {"error": {"code": "rate_limited", "message": "…"}})
        with pytest.raises(jsonschema.ValidationError):
            check_documented(app, "POST", "/api/feedback", 404, {"error": "unknown id"})
