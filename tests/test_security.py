"""The findings of the security review, each shown fixed: headers, CSV formulas, sessions, lockout, input."""
from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import FaqEntry, Question, get_db
from test_staff import PASSWORD, add_staff, login, post, token

RESOLVES = "大田区の情報化推進計画の進行管理は誰がするのですか？"
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝ＳＵＭ（Ａ１）", "＋１", "－１", "＠ＳＵＭ"]


@pytest.mark.parametrize(
    ("path", "needed"),
    [
        ("/", "script-src 'self'"),
        ("/widget.js", "default-src 'none'"),
        ("/healthz", "default-src 'none'"),
        ("/api/kpi", "default-src 'none'"),
        ("/api/nothing-here", "default-src 'none'"),
        ("/staff/login", "form-action 'self'"),
        ("/staff/no-such-page", "default-src 'none'; style-src 'self'"),
        ("/no-such-page", "default-src 'none'"),
    ],
)
def test_every_response_carries_security_headers(client, path, needed):
    response = client.get(path)
    assert needed in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_and_errors_carry_security_headers(client):
    for response in (
        client.post("/api/ask", json={"question": "マイナカードでできる手続きは？"}),
        client.post("/api/ask", json={}),
        client.post("/api/feedback", json={"id": "nope", "helpful": True}),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_console_pages_are_never_cached_and_run_no_script(client):
    for path in ("/staff/login", "/staff/no-such-page"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert "script-src" not in response.headers["Content-Security-Policy"]


def test_full_width_and_control_formula_starts_are_escaped_on_export_and_restored_on_import(app, client):
    add_staff(app, "taito", "台東区")
    with app.app_context():
        db = get_db()
        db.add_all(FaqEntry(ward="台東区", question=f"{start}は計算式ですか", answer=start) for start in FORMULAS)
        db.commit()
    login(client, "taito")
    exported = client.get("/staff/faq/export.csv").data
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))[1:]
    assert [row[3] for row in rows] == ["'" + start for start in FORMULAS]

    reimported = post(client, "/staff/faq/import", file=(io.BytesIO(exported), "faq.csv"))
    assert reimported.status_code == 302
    with app.app_context():
        assert sorted(e.answer for e in get_db().query(FaqEntry)) == sorted(FORMULAS)


@pytest.mark.parametrize(
    "question",
    ["㍿" * 500, "㌔" * 300, "ｱ" * 499 + "㍿", "\ud800質問", "質問\udfff", "質問\u0000です", "質問\u001bです"],
)
def test_questions_over_the_limit_once_normalized_or_not_storable_are_400(client, question):
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_question"


def test_a_question_of_500_characters_once_normalized_is_answered(client):
    assert client.post("/api/ask", json={"question": "ｽﾏﾎ" * 166 + "講座"}).status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "/staff%0d%0aSet-Cookie:%20x=1", "/staff%0aLocation:%20https://evil.example", "//evil.example/staff",
        "/\\evil.example", "/staff\\..\\evil", "https://evil.example/staff", "javascript:alert(1)", "/api/kpi",
        "/staff/%E3%81%82%0d",
    ],
)
def test_a_bad_next_is_ignored_after_login(app, client, target):
    add_staff(app, "taito", "台東区")
    client.get("/staff/login")

    response = client.post(
        f"/staff/login?next={target}", data={"name": "taito", "password": PASSWORD, "csrf_token": token(client)}
    )
    assert response.status_code == 302
    assert response.location == "/staff/"


def test_a_good_next_is_followed_after_login(app, client):
    add_staff(app, "taito", "台東区")
    response = client.post(
        "/staff/login?next=/staff/kpi%3Fperiod%3Dweek",
        data={"name": "taito", "password": PASSWORD, "csrf_token": token(client)},
    )
    assert response.location == "/staff/kpi?period=week"


def http_json(url: str, body: dict) -> tuple[int, dict]:
    """POST JSON over real HTTP as the widget does; return the status and the JSON answer."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Ward-Faq-Channel": "web"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def web_kpi(server) -> float:
    with urllib.request.urlopen(f"{server.url}/api/kpi?channel=web", timeout=30) as response:
        return json.loads(response.read())["unresolved_rate"]


def age_feedback(app, minutes: int) -> None:
    """Move every verdict back in time, as if it had been given minutes ago."""
    with app.app_context():
        db = get_db()
        for question in db.scalars(select(Question).where(Question.feedback_at.is_not(None))):
            question.feedback_at -= timedelta(minutes=minutes)
        db.commit()


def test_one_client_cannot_flip_the_kpi_over_http(app, live_server):
    session = "widget-tab-1"
    ids = [http_json(f"{live_server.url}/api/ask", {"question": RESOLVES, "session": session})[1]["id"]
           for _ in range(4)]
    feedback = f"{live_server.url}/api/feedback"
    for question_id in ids:
        assert http_json(feedback, {"id": question_id, "helpful": True, "session": session})[0] == 200
    assert web_kpi(live_server) == 0.0
    # A change of mind within the window is the resident's right, and counts once.
    assert http_json(feedback, {"id": ids[0], "helpful": False, "session": session})[0] == 200
    assert web_kpi(live_server) == 0.25
    age_feedback(app, app.config["FEEDBACK_CHANGE_MINUTES"] + 1)
    for question_id in ids:
        status, body = http_json(feedback, {"id": question_id, "helpful": False, "session": session})
        if question_id == ids[0]:
            assert status == 200  # the same verdict again changes nothing
        else:
            assert (status, body["error"]["code"]) == (409, "feedback_final")
    assert web_kpi(live_server) == 0.25


def test_only_the_client_that_asked_may_rate_or_change(app, live_server):
    feedback = f"{live_server.url}/api/feedback"
    asked = http_json(f"{live_server.url}/api/ask", {"question": RESOLVES, "session": "mine"})[1]["id"]
    status, body = http_json(feedback, {"id": asked, "helpful": False, "session": "someone-else"})
    assert (status, body["error"]["code"]) == (403, "not_your_question")
    assert web_kpi(live_server) == 0.0
    # A client that sends no session (as the contract's body has none) may give the first verdict only.
    assert http_json(feedback, {"id": asked, "helpful": True})[0] == 200
    assert http_json(feedback, {"id": asked, "helpful": False})[0] == 403
    assert http_json(feedback, {"id": asked, "helpful": False, "session": "someone-else"})[0] == 403
    assert web_kpi(live_server) == 0.0
    assert http_json(feedback, {"id": asked, "helpful": False, "session": "mine"})[0] == 200
    assert web_kpi(live_server) == 1.0


def test_feedback_is_limited_per_client(app, client):
    app.config["FEEDBACK_RATE_LIMIT_PER_MINUTE"] = 2
    asked = client.post("/api/ask", json={"question": RESOLVES}).get_json()["id"]
    statuses = [client.post("/api/feedback", json={"id": asked, "helpful": True}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
