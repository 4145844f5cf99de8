"""No client input makes a 5xx, and a normal ask right after a hostile one still answers (Hypothesis, seeded queries)."""
from __future__ import annotations

import io
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot import create_app
from bot.db import FaqEntry, get_db, make_engine
from test_line import line_config, payload, signature, text_event
from test_staff import PASSWORD, add_staff, login
from test_staff import post as post_form

NORMAL = {"question": "マイナンバーカードでできる手続きは？", "ward": "台東区"}
# Strings with what breaks storage: lone surrogates, NUL, other control characters, and ordinary text.
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Lo", "Zs"]), max_size=20),
    st.sampled_from(["台東区", "千代田区", "大田区", "\ud800", "\u0000", "あ\udfffい", "x" * 600]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["question", "ward", "session", "id", "helpful"]
BODY = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | TEXT, JSON, max_size=6),
    JSON,
)
HYPOTHESIS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def encode(value) -> bytes:
    """Encode as JSON the way any client could, lone surrogates as \\u escapes."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def assert_next_ask_answers(client) -> None:
    response = client.post("/api/ask", json=NORMAL)
    assert response.status_code == 200, response.data
    assert response.get_json()["resolved"] is True


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
@HYPOTHESIS
@given(body=BODY | st.binary(max_size=200).map(lambda raw: raw), raw=st.booleans())
def test_any_json_or_bytes_is_a_4xx_or_200_and_harms_no_later_ask(client, path, body, raw):
    data = body if isinstance(body, bytes) else encode(body)
    response = client.post(path, data=data, content_type="application/json")
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) == {"code", "message"}
    assert_next_ask_answers(client)


@pytest.mark.parametrize("field", ["question", "session", "ward"])
@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\u0000", "a\u0007b", "\x7f", "\u0085"])
def test_unstorable_text_in_any_field_is_the_contracts_400(client, field, bad):
    value = NORMAL.get(field, "session")
    body = {**NORMAL, field: value[:2] + bad + value[2:]}  # inside the text, where no trimming removes it
    response = client.post("/api/ask", data=encode(body), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == f"invalid_{field}"
    feedback = client.post("/api/feedback", data=encode({"id": "abc" + bad, "helpful": True}),
                           content_type="application/json")
    assert feedback.get_json()["error"]["code"] == "invalid_id"
    assert_next_ask_answers(client)


LINE_EVENT_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "text": TEXT,
        "userId": TEXT,
        "webhookEventId": TEXT,
        "type": st.sampled_from(["message", "postback", "follow", "unfollow"]) | TEXT,
        "data": TEXT,
        "replyToken": TEXT | JSON,
    },
)


@pytest.fixture
def line_client(database_url, line_api):
    return create_app(line_config(database_url, line_api)).test_client()


@HYPOTHESIS
@given(fields=LINE_EVENT_FIELDS, extra=st.one_of(st.none(), JSON, st.binary(max_size=100)))
def test_any_signed_line_webhook_is_a_4xx_or_200_and_harms_no_later_ask(line_client, fields, extra):
    if isinstance(extra, bytes):
        body = extra
    else:
        event = text_event(fields.get("text", "こんにちは"))
        if "userId" in fields:
            event["source"]["userId"] = fields["userId"]
        for key in ("webhookEventId", "type", "replyToken"):
            if key in fields:
                event[key] = fields[key]
        if "data" in fields:
            event["postback"] = {"data": fields["data"]}
        events = [event] if extra is None else [event, extra]
        body = encode({"destination": "U" + "0" * 32, "events": events})
    response = line_client.post(
        "/callback", data=body, headers={"Content-Type": "application/json", "X-Line-Signature": signature(body)}
    )
    assert response.status_code in (200, 400), response.data
    follow_up = payload(text_event(NORMAL["question"]))
    after = line_client.post(
        "/callback", data=follow_up, headers={"Content-Type": "application/json", "X-Line-Signature": signature(follow_up)}
    )
    assert after.status_code == 200
    assert_next_ask_answers(line_client)


def test_random_kpi_queries_never_make_a_500(client):
    rng = random.Random(7)
    values = ["2026-11-01", "2026-02-30", "", "x", "9999-99-99", "台東区", "web", "fax", "1" * 300]
    for _ in range(100):
        query = {key: rng.choice(values) for key in rng.sample(["from", "to", "ward", "channel"], rng.randint(0, 4))}
        response = client.get("/api/kpi", query_string=query)
        assert response.status_code in (200, 400), (query, response.data)


def test_other_methods_and_paths_answer_cleanly(client):
    assert client.get("/api/ask").status_code == 405
    assert client.put("/api/feedback").status_code == 405
    assert client.get("/api/nothing-here").status_code == 404


@pytest.mark.parametrize("bad", ["\u0000", "a\u0007b", "\x7f"])
def test_unstorable_text_in_any_form_or_query_is_a_400_and_changes_nothing(app, client, bad):
    add_staff(app, "taito", "台東区")
    assert post_form(client, "/staff/login", name="taito" + bad, password=PASSWORD).status_code == 400
    assert client.get("/staff/login", query_string={"next": bad}).status_code == 400
    assert client.get("/api/kpi", query_string={"ward": bad}).status_code == 400
    assert login(client, "taito").status_code == 302
    assert client.get("/staff/", query_string={"channel": bad}).status_code == 400
    csv_row = f"ward,question,answer\n台東区,粗大ごみの出し方は,受付センター{bad}へ\n".encode()
    imported = post_form(client, "/staff/faq/import", file=(io.BytesIO(csv_row), "faq.csv"))
    assert imported.status_code == 400 and "使えない文字" in imported.text
    with app.app_context():
        assert get_db().scalars(select(FaqEntry)).all() == []
    assert_next_ask_answers(client)


def test_a_database_error_never_carries_what_a_resident_wrote(database_url):
    engine = make_engine(database_url)
    with pytest.raises(DBAPIError) as failure, engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE text = :text"), {"text": "区役所の電話番号は"})
    assert "区役所の電話番号は" not in str(failure.value)  # what would be logged with it
    assert "hidden" in str(failure.value)
    engine.dispose()
