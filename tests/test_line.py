"""The LINE channel, end to end: signed webhooks into the real app, replies caught by a stand-in Messaging API."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import create_app
from bot.db import LineEvent, Question
from bot.line_channel import FEEDBACK_FINAL, TOO_LONG, UNKNOWN_FEEDBACK, source_line
from bot.live_index import get_wards
from conftest import LiveServer
from helpers import corpus_retriever
from servers import Server, StandInMessagingApi, ThreadedServer

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
USER_ID = "U206d25c2ea6bd87c17655609a1c37cb8"
WARD = "大田区"
# Resolves from the public-comment Q&A today; the tests compare with /api/ask, not with fixed wording.
RESOLVES = "大田区の情報化推進計画の進行管理は誰がするのですか？"
ABSTAINS = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
REPLY_TIMEOUT = 0.5


def line_config(database_url: str, line_api: StandInMessagingApi, **overrides) -> dict:
    """Return a test config with the LINE channel pointed at the stand-in."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "RATE_LIMIT_PER_MINUTE": 10_000,
        "LINE_RATE_LIMIT_PER_MINUTE": 10_000,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_WARD": WARD,
        "LINE_API_BASE_URL": line_api.url,
        "LINE_REPLY_TIMEOUT": REPLY_TIMEOUT,
        "CORPUS_RETRIEVER": corpus_retriever(),
        **overrides,
    }


@pytest.fixture
def app(database_url, line_api):
    """Return an app whose LINE channel replies to the stand-in (conftest's client uses it)."""
    return create_app(line_config(database_url, line_api))


def event(kind: str, **fields) -> dict:
    """Make one webhook event shaped like LINE's."""
    return {
        "type": kind,
        "mode": "active",
        "timestamp": 1_790_000_000_000,
        "source": {"type": "user", "userId": USER_ID},
        "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        **fields,
    }


def text_event(text: str, **fields) -> dict:
    return event("message", message={"id": "325708", "type": "text", "text": text, "quoteToken": "q"}, **fields)


def postback_event(data: str) -> dict:
    return event("postback", postback={"data": data})


def signature(body: bytes, secret: str = SECRET) -> str:
    """Sign a body as LINE does: base64 of HMAC-SHA256 with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def payload(*events: dict) -> bytes:
    return json.dumps({"destination": "Uf0000000000000000000000000000000", "events": list(events)}).encode()


def post(client, body: bytes, sign: str | None = "good"):
    """POST a body to /callback, signed correctly unless told otherwise."""
    headers = {"Content-Type": "application/json"}
    if sign is not None:
        headers["X-Line-Signature"] = signature(body) if sign == "good" else sign
    return client.post("/callback", data=body, headers=headers)


def rows(app, model=Question) -> list:
    with Session(app.extensions["ward_faq.engine"]) as db:
        return list(db.scalars(select(model)))


def texts(call: dict) -> list[str]:
    return [message["text"] for message in call["json"]["messages"]]


def quick_reply(call: dict) -> list[dict]:
    """Return the actions of the quick reply, which is on the last message."""
    return [item["action"] for item in call["json"]["messages"][-1].get("quickReply", {}).get("items", [])]


def assert_within_limits(call: dict) -> None:
    """Check a reply against LINE's limits on messages, text, labels and postback data."""
    messages = call["json"]["messages"]
    assert 1 <= len(messages) <= 5
    for message in messages:
        assert message["type"] == "text" and len(message["text"]) <= 5000
        for item in message.get("quickReply", {}).get("items", []):
            assert len(item["action"]["label"]) <= 20
            assert len(item["action"].get("data", "")) <= 300


def test_text_question_gets_answer_source_and_feedback_buttons(app, client, line_api):
    question = text_event(RESOLVES)
    response = post(client, payload(question))
    assert response.status_code == 200

    [call] = line_api.wait_for(1)
    assert call["method"] == "POST" and call["path"] == "/v2/bot/message/reply"
    assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert call["json"]["replyToken"] == question["replyToken"]
    assert_within_limits(call)

    expected = client.post("/api/ask", json={"question": RESOLVES, "ward": WARD}).get_json()
    assert expected["resolved"]
    source = expected["sources"][0]
    origin = f"出典: {source['document']}（{source['section']}）"
    if expected["department"]:
        origin += f"\n担当: {expected['department']}"
    assert texts(call) == [expected["answer"], origin]
    assert "quickReply" not in call["json"]["messages"][0]

    [logged] = [q for q in rows(app) if q.channel == "line"]
    assert (logged.ward, logged.resolved, logged.small_talk) == (WARD, True, False)
    assert quick_reply(call) == [
        {"type": "postback", "label": "解決した", "data": f"feedback={logged.id}&helpful=1", "displayText": "解決した"},
        {"type": "postback", "label": "解決しない", "data": f"feedback={logged.id}&helpful=0", "displayText": "解決しない"},
    ]


@pytest.mark.parametrize(
    ("section", "department", "expected"),
    [
        ("意見4", "情報政策課", "出典: 大田区情報化推進計画（意見4）\n担当: 情報政策課"),
        (None, "情報政策課", "出典: 大田区情報化推進計画\n担当: 情報政策課"),
        ("意見4", None, "出典: 大田区情報化推進計画（意見4）"),
    ],
)
def test_source_line_leaves_out_what_is_unknown(section, department, expected):
    assert source_line({"document": "大田区情報化推進計画", "section": section}, department) == expected


def test_session_is_a_salted_hash_of_the_user_id(app, client, line_api):
    post(client, payload(text_event(RESOLVES)))
    [logged] = rows(app)
    expected = hmac.new(b"test-secret", USER_ID.encode(), hashlib.sha256).hexdigest()
    assert logged.session == expected
    assert USER_ID not in logged.session


def test_unresolved_question_gets_the_fallback_text(app, client, line_api):
    post(client, payload(text_event(ABSTAINS)))
    [call] = line_api.wait_for(1)
    expected = client.post("/api/ask", json={"question": ABSTAINS, "ward": WARD}).get_json()
    assert not expected["resolved"]
    assert texts(call) == [expected["answer"]]
    assert "大田区役所" in texts(call)[0]
    [logged] = [q for q in rows(app) if q.channel == "line"]
    assert (logged.resolved, logged.ward) == (False, WARD)


def test_an_abstention_offers_maybe_meant_questions_that_a_tap_asks(app, client, line_api):
    near_miss = "テレワークは職員の何人がしているの"  # the topic is in the plan, the count is not
    post(client, payload(text_event(near_miss)))
    [call] = line_api.wait_for(1)
    assert_within_limits(call)
    [abstained] = rows(app)
    assert not abstained.resolved
    expected = client.post("/api/ask", json={"question": near_miss, "ward": WARD}).get_json()["suggestions"]
    buttons = quick_reply(call)
    assert expected and [b["displayText"] for b in buttons] == expected
    assert buttons[0]["data"] == f"suggested_from={abstained.id}&ask={expected[0]}"

    post(client, payload(postback_event(buttons[0]["data"])))
    [_, answer] = line_api.wait_for(2)
    tapped = client.post("/api/ask", json={"question": expected[0], "ward": WARD}).get_json()
    assert tapped["resolved"] and texts(answer)[0] == tapped["answer"]
    [logged] = [q for q in rows(app) if q.channel == "line" and q.id != abstained.id]
    assert (logged.suggested_from, logged.resolved) == (abstained.id, True)
    assert logged.text == unicodedata.normalize("NFKC", expected[0])  # stored as masking leaves it
    assert [b["label"] for b in quick_reply(answer)] == ["解決した", "解決しない"]


@pytest.mark.parametrize(
    ("helpful", "expected_helpful", "says"),
    [("1", True, "お役に立ててよかった"), ("0", False, "大田区役所（代表 03-5744-1111）")],
)
def test_feedback_postback_is_recorded_and_thanked(app, client, line_api, helpful, expected_helpful, says):
    post(client, payload(text_event(RESOLVES)))
    line_api.wait_for(1)  # replies go out from their own threads: the answer first, then the thanks
    [logged] = rows(app)
    response = post(client, payload(postback_event(f"feedback={logged.id}&helpful={helpful}")))
    assert response.status_code == 200
    [_, thanks] = line_api.wait_for(2)
    assert_within_limits(thanks)
    assert says in texts(thanks)[0] and "ありがとうございます" in texts(thanks)[0]
    [logged] = rows(app)
    assert logged.helpful is expected_helpful and logged.feedback_at is not None
    kpi = client.get("/api/kpi?channel=line").get_json()
    assert kpi["unresolved"] == (0 if expected_helpful else 1)


@pytest.mark.parametrize(
    "data",
    ["feedback=0123456789abcdef0123456789abcdef&helpful=1", "feedback=x&helpful=maybe", "action=buyItem&itemId=1",
     "feedback=a&feedback=b&helpful=1", "", "%%%", "feedback=" + "a" * 65 + "&helpful=0"],
)
def test_unknown_or_bad_postback_is_answered_politely(app, client, line_api, data):
    response = post(client, payload(postback_event(data)))
    assert response.status_code == 200
    [call] = line_api.wait_for(1)
    assert "もう一度ご質問を送ってください" in texts(call)[0]


def test_follow_greets_with_three_example_questions(app, client, line_api):
    follow = event("follow", follow={"isUnblocked": False})
    assert post(client, payload(follow)).status_code == 200
    [call] = line_api.wait_for(1)
    assert call["json"]["replyToken"] == follow["replyToken"]
    assert_within_limits(call)
    [greeting] = texts(call)
    assert "友だち追加ありがとうございます" in greeting and WARD in greeting and "パブリックコメント" in greeting
    actions = quick_reply(call)
    assert [a["type"] for a in actions] == ["message"] * 3
    assert [a["text"] for a in actions] == list(get_wards(app)[WARD].examples)
    assert all(a["label"] == a["text"] or a["label"].endswith("…") for a in actions)
    assert rows(app) == []  # a greeting is not a question


def test_small_talk_gets_the_greeting_without_feedback_buttons(app, client, line_api):
    post(client, payload(text_event("こんにちは")))
    [call] = line_api.wait_for(1)
    assert "お答えします" in texts(call)[0]
    assert [a["type"] for a in quick_reply(call)] == ["message"] * 3
    [logged] = rows(app)
    assert logged.small_talk and logged.channel == "line"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "sticker", "packageId": "1", "stickerId": "1", "stickerResourceType": "STATIC", "quoteToken": "q"},
        {"type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q"},
        {"type": "video", "duration": 60000, "contentProvider": {"type": "line"}, "quoteToken": "q"},
        {"type": "audio", "duration": 60000, "contentProvider": {"type": "line"}},
        {"type": "file", "fileName": "file.txt", "fileSize": 2138},
        {"type": "location", "title": "my location", "address": "Tokyo", "latitude": 35.6, "longitude": 139.7},
    ],
    ids=lambda m: m["type"],
)
def test_non_text_messages_get_a_request_to_ask_in_words(app, client, line_api, message):
    assert post(client, payload(event("message", message={"id": "325708", **message}))).status_code == 200
    [call] = line_api.wait_for(1)
    assert "文章で送ってください" in texts(call)[0]
    assert rows(app) == []


def test_unfollow_join_leave_group_and_unknown_events_send_nothing(app, client, line_api):
    group = {"type": "group", "groupId": "Ca56f94637cc4347f90a25382909b24b9", "userId": USER_ID}
    unfollow = event("unfollow")
    del unfollow["replyToken"]
    events = [
        unfollow,
        event("join", source=group),
        event("leave", source=group),
        event("somethingNew"),
        {"type": "somethingNew"},
        {"no": "type"},
        5,
        event("message", message={"id": "1", "type": "hologram"}),
        text_event(RESOLVES, source=group),
        text_event(RESOLVES, mode="standby"),
    ]
    assert post(client, payload(*events)).status_code == 200
    time.sleep(0.2)
    assert line_api.calls == [] and rows(app) == []


def test_verify_request_without_events_is_200(app, client, line_api):
    assert post(client, payload()).status_code == 200
    assert line_api.calls == []


@pytest.mark.parametrize(
    "sign",
    [None, "", "not-a-signature", signature(payload(), "other-secret"), "ＡＢＣ", "good-but-tampered"],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(app, client, line_api, sign):
    body = payload(text_event(RESOLVES))
    if sign == "good-but-tampered":
        sign = signature(body)
        body = body.replace(b"U206d", b"U306d")
    response = post(client, body, sign=sign)
    assert response.status_code == 400
    time.sleep(0.1)
    assert line_api.calls == [] and rows(app) == [] and rows(app, LineEvent) == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"", b"[]", b'"events"', b"{}", b'{"events": "x"}', b"\xff\xfe", b"[" * 5000],
)
def test_bad_json_with_a_good_signature_is_400_not_500(app, client, line_api, body):
    assert post(client, body).status_code == 400
    assert line_api.calls == [] and rows(app) == []


def test_a_body_over_the_size_limit_is_refused(app, client, line_api):
    body = payload(text_event("あ" * 400_000))
    assert post(client, body).status_code == 413
    assert rows(app) == []


def test_channel_is_off_without_a_secret(database_url, line_api):
    app = create_app(line_config(database_url, line_api, LINE_CHANNEL_SECRET=None))
    client = app.test_client()
    assert post(client, payload(text_event(RESOLVES))).status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/ask", json={"question": RESOLVES}).status_code == 200


def test_a_secret_without_an_access_token_starts_and_still_logs_questions(database_url, line_api):
    app = create_app(line_config(database_url, line_api, LINE_CHANNEL_ACCESS_TOKEN=None))
    client = app.test_client()
    assert post(client, payload(text_event(RESOLVES))).status_code == 200
    call = line_api.wait_for(1)[0]
    assert call["headers"]["Authorization"].strip() == "Bearer"  # LINE refuses such a reply; the question is still logged
    assert len(rows(app)) == 1


def test_line_ward_must_be_a_known_ward(database_url, line_api):
    with pytest.raises(ValueError, match="LINE_WARD"):
        create_app(line_config(database_url, line_api, LINE_WARD="新宿区"))


def test_redelivery_is_answered_and_logged_once(app, client, line_api):
    first = text_event(RESOLVES)
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert post(client, payload(first)).status_code == 200
    assert post(client, payload(again)).status_code == 200
    assert post(client, payload(again, again)).status_code == 200
    time.sleep(0.2)
    assert len(line_api.calls) == 1 and len(rows(app)) == 1 and len(rows(app, LineEvent)) == 1


def test_redelivery_after_a_restart_is_not_answered_again(database_url, line_api):
    first = text_event(RESOLVES)
    post(create_app(line_config(database_url, line_api)).test_client(), payload(first))
    restarted = create_app(line_config(database_url, line_api))
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert post(restarted.test_client(), payload(again)).status_code == 200
    time.sleep(0.2)
    assert len(line_api.calls) == 1 and len(rows(restarted)) == 1


def test_two_workers_given_the_same_event_answer_it_once(database_url, line_api):
    workers = [create_app(line_config(database_url, line_api)) for _ in range(2)]
    body = payload(*[text_event(RESOLVES) for _ in range(10)])
    statuses: list[int] = []

    def deliver(app) -> None:
        statuses.append(post(app.test_client(), body).status_code)

    threads = [threading.Thread(target=deliver, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    time.sleep(0.2)
    assert len(line_api.calls) == 10 and len(rows(workers[0])) == 10


def test_a_burst_of_50_events_is_all_answered(app, client, line_api):
    events = [text_event(RESOLVES if i % 2 else ABSTAINS) for i in range(50)]
    response = post(client, payload(*events))
    assert response.status_code == 200
    calls = line_api.wait_for(50)
    assert len(calls) == 50
    assert sorted(c["json"]["replyToken"] for c in calls) == sorted(e["replyToken"] for e in events)
    for call in calls:
        assert_within_limits(call)
    with Session(app.extensions["ward_faq.engine"]) as db:
        assert db.scalar(select(func.count()).select_from(Question).where(Question.channel == "line")) == 50


@pytest.mark.parametrize(
    ("status", "delay"), [(500, 0.0), (400, 0.0), (200, REPLY_TIMEOUT * 3)], ids=["500", "400", "slow"]
)
def test_a_failing_or_slow_line_api_still_gets_200_and_the_question_is_logged(
    app, client, line_api, caplog, status, delay
):
    line_api.status, line_api.delay = status, delay
    response = post(client, payload(text_event(RESOLVES)))
    assert response.status_code == 200
    assert len(rows(app)) == 1 and rows(app)[0].resolved
    deadline = time.monotonic() + 5
    while not any("LINE reply failed" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
        time.sleep(0.05)
    [failure] = [r.getMessage() for r in caplog.records if "LINE reply failed" in r.getMessage()]
    assert (str(status) in failure) if status != 200 else ("Timeout" in failure or "MaxRetry" in failure)
    assert "stand-in error" not in failure


def test_logs_hold_neither_the_message_nor_the_body(app, client, line_api, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ward_faq")
    secret_words = "わたしの電話番号は090-1234-5678です"
    line_api.status = 500
    body = payload(text_event(RESOLVES), text_event(secret_words), event("somethingNew"))
    post(client, body)
    post(client, body, sign="bad")
    post(client, b"not json")
    line_api.wait_for(2)
    time.sleep(0.2)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for needle in (RESOLVES, secret_words, "090-1234-5678", USER_ID, body.decode(), "replyToken", TOKEN):
        assert needle not in logged


def test_event_ids_older_than_the_retention_are_forgotten_on_a_webhook_at_most_hourly(app, client, line_api):
    now = datetime.now(timezone.utc)
    with Session(app.extensions["ward_faq.engine"]) as db, db.begin():
        db.add_all([LineEvent(webhook_event_id="old", handled_at=now - timedelta(days=8)),
                    LineEvent(webhook_event_id="recent", handled_at=now - timedelta(days=6))])
    assert post(client, payload()).status_code == 200  # LINE's Verify: no events
    assert {e.webhook_event_id for e in rows(app, LineEvent)} == {"recent"}
    with Session(app.extensions["ward_faq.engine"]) as db, db.begin():
        db.add(LineEvent(webhook_event_id="old again", handled_at=now - timedelta(days=9)))
    assert post(client, payload()).status_code == 200
    assert {e.webhook_event_id for e in rows(app, LineEvent)} == {"recent", "old again"}  # not within the hour


def test_the_retention_is_set_by_ward_faq_line_event_days(database_url, line_api, monkeypatch):
    monkeypatch.setenv("WARD_FAQ_LINE_EVENT_DAYS", "2")
    app = create_app(line_config(database_url, line_api))
    with Session(app.extensions["ward_faq.engine"]) as db, db.begin():
        db.add(LineEvent(webhook_event_id="three days", handled_at=datetime.now(timezone.utc) - timedelta(days=3)))
    assert post(app.test_client(), payload()).status_code == 200
    assert rows(app, LineEvent) == []


class HeldMessagingApi(ThreadedServer):
    """A Messaging API that takes each reply call and answers it only when the test releases it."""

    def __init__(self) -> None:
        self.received = threading.Semaphore(0)
        self.release = threading.Event()
        self.answered = threading.Semaphore(0)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.received.release()
                stand_in.release.wait()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                stand_in.answered.release()

            def log_message(self, *args) -> None:
                pass

        super().__init__(Server(("127.0.0.1", 0), Handler))


class SilentMessagingApi:
    """A Messaging API that accepts every connection and never answers a byte."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()
        for connection in self.connections:
            connection.close()


def http_post(url: str, body: bytes, headers: dict, timeout: float = 20.0) -> tuple[int, bytes]:
    """POST over real HTTP and return the status and body, errors included."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def signed_headers(body: bytes) -> dict:
    return {"Content-Type": "application/json", "X-Line-Signature": signature(body)}


def test_the_webhook_answers_200_before_the_messaging_api_answers_the_reply(database_url, caplog):
    with HeldMessagingApi() as held:
        # A reply may take as long as it likes: the webhook must not wait for it.
        app = create_app(line_config(database_url, held, LINE_REPLY_TIMEOUT=60))
        with LiveServer(app) as server:
            body = payload(text_event(RESOLVES))
            status, _ = http_post(f"{server.url}/callback", body, signed_headers(body))
            assert status == 200
            assert held.received.acquire(timeout=10)  # the reply reached the API, which has not answered yet
            assert len(rows(app)) == 1
            held.release.set()
            assert held.answered.acquire(timeout=10)
    assert not [r for r in caplog.records if "LINE reply failed" in r.getMessage()]


def test_a_messaging_api_that_never_answers_holds_no_web_worker(database_url):
    with SilentMessagingApi() as silent:
        app = create_app(line_config(database_url, silent, LINE_REPLY_TIMEOUT=30))
        with LiveServer(app) as server:
            bodies = [payload(text_event(RESOLVES if i % 2 else ABSTAINS)) for i in range(32)]
            with ThreadPoolExecutor(max_workers=16) as pool:
                statuses = list(pool.map(lambda b: http_post(f"{server.url}/callback", b, signed_headers(b))[0], bodies))
                asked = http_post(
                    f"{server.url}/api/ask", json.dumps({"question": RESOLVES}).encode(),
                    {"Content-Type": "application/json"},
                )
            assert statuses == [200] * 32
            assert asked[0] == 200
            assert len(rows(app)) == 33


@pytest.mark.parametrize("field", ["text", "userId", "webhookEventId"])
def test_a_lone_surrogate_in_a_signed_body_is_no_500_and_stores_nothing(app, client, line_api, field):
    raw = text_event(RESOLVES)
    if field == "text":
        raw["message"]["text"] = "質問\ud800です"
    elif field == "userId":
        raw["source"]["userId"] = "U\ud800"
    else:
        raw["webhookEventId"] = "01\udfff"
    body = json.dumps({"destination": "U0", "events": [raw]}).encode()  # ASCII JSON with \\ud800 escapes
    response = post(client, body)
    assert response.status_code in (200, 400)
    assert rows(app) == []
    assert all("\ud800" not in e.webhook_event_id and "\udfff" not in e.webhook_event_id for e in rows(app, LineEvent))


def test_a_body_over_the_limit_gets_the_json_error(app, client, line_api):
    body = b'{"events": [], "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = post(client, body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_the_length_rule_counts_the_normalized_text(app, client, line_api):
    response = post(client, payload(text_event("㍿" * 500)))
    assert response.status_code == 200
    [call] = line_api.wait_for(1)
    assert texts(call) == [TOO_LONG]
    assert rows(app) == []


def test_a_postback_touches_only_its_own_users_line_questions(app, client, line_api):
    web = client.post("/api/ask", json={"question": RESOLVES, "session": "widget-tab"}).get_json()["id"]
    api = client.post("/api/ask", json={"question": RESOLVES}).get_json()["id"]
    post(client, payload(text_event(RESOLVES, source={"type": "user", "userId": "U" + "1" * 32})))
    others = [q.id for q in rows(app) if q.channel == "line"]
    for question_id in [web, api, *others]:
        post(client, payload(postback_event(f"feedback={question_id}&helpful=0")))
    replies = [texts(call)[0] for call in line_api.wait_for(4)]
    assert len(replies) == 4 and replies.count(UNKNOWN_FEEDBACK) == 3
    assert all(question.helpful is None for question in rows(app))


def test_a_line_verdict_is_final_after_the_change_window(app, client, line_api):
    post(client, payload(text_event(RESOLVES)))
    [logged] = rows(app)
    post(client, payload(postback_event(f"feedback={logged.id}&helpful=1")))
    app.config["FEEDBACK_CHANGE_MINUTES"] = 0
    post(client, payload(postback_event(f"feedback={logged.id}&helpful=0")))
    replies = [texts(call)[0] for call in line_api.wait_for(3)]
    assert FEEDBACK_FINAL in replies
    assert rows(app)[0].helpful is True


def test_an_app_without_a_line_channel_never_imports_the_line_sdk_and_one_with_it_does(tmp_path):
    # line-bot-sdk takes most of a second to import: an app without LINE must start without it.
    script = (
        "import sys; from bot import create_app; app = create_app(); "
        "status = app.test_client().post('/callback', data='{}').status_code; "
        "print(status, 'linebot' in sys.modules)"
    )
    env = os.environ | {
        "WARD_FAQ_DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite'}",
        "WARD_FAQ_INDEX_CACHE": str(tmp_path / "cache"),
        "WARD_FAQ_SECRET_KEY": "x",
        "LINE_CHANNEL_SECRET": "",
    }
    def started(**settings: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", script], env=env | settings, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()[-1].split()  # the app logs to stdout before

    assert started() == ["503", "False"]
    assert started(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN) == ["400", "True"]  # no signature
