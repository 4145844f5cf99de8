"""The rate limit is one limit across workers and hosts (counted in Redis), and per LINE user on LINE."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter

from bot import create_app
from bot.limits import SweptMemoryStorage, get_limits
from helpers import ask_over_http
from servers import gunicorn
from test_line import line_config, payload, post, rows, text_event, texts

QUESTION = {"question": "マイナンバーカードでできる手続きは？", "ward": "台東区"}


def ask_status(url: str) -> int:
    """Ask over HTTP and return the status; a refusal must be the rate limit's."""
    status, body = ask_over_http(url, QUESTION)
    assert status == 200 or body["error"]["code"] == "rate_limited"
    return status

def test_two_workers_on_redis_let_through_only_the_limit(tmp_path, redis_storage):
    storage, prefix = redis_storage
    env = {
        "WARD_FAQ_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite'}",
        "WARD_FAQ_SECRET_KEY": "test",
        "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "10",
        "WARD_FAQ_RATELIMIT_STORAGE_URL": storage,
        "WARD_FAQ_RATELIMIT_KEY_PREFIX": prefix,
    }
    with gunicorn(env, workers=2) as url, ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: ask_status(url), range(30)))
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


def test_two_apps_on_redis_share_one_limit(app, client, redis_storage):
    storage, prefix = redis_storage
    config = {**app.config, "RATE_LIMIT_PER_MINUTE": 3, "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix}
    hosts = [create_app(config).test_client(), create_app(config).test_client()]
    statuses = [hosts[i % 2].post("/api/ask", json=QUESTION).status_code for i in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]


def test_an_unreachable_redis_does_not_stop_the_answers(app):
    config = {**app.config, "RATE_LIMIT_PER_MINUTE": 1, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9"}
    client = create_app(config).test_client()
    assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(3)] == [200, 200, 200]


def test_line_is_limited_per_user_not_per_address(database_url, line_api):
    app = create_app(line_config(database_url, line_api, LINE_RATE_LIMIT_PER_MINUTE=2, RATE_LIMIT_PER_MINUTE=1))
    client = app.test_client()
    other = "U" + "f" * 32
    events = [text_event(QUESTION["question"]) for _ in range(3)]
    events.append(text_event(QUESTION["question"], source={"type": "user", "userId": other}))
    for sent in events:
        assert post(client, payload(sent)).status_code == 200
    calls = line_api.wait_for(4)
    assert len(calls) == 4
    # Replies go out from a pool of threads, so they may reach LINE in any order: match them by reply token.
    replies = {call["json"]["replyToken"]: texts(call)[0] for call in calls}
    said = [replies[sent["replyToken"]] for sent in events]
    assert "短い時間に多くのメッセージ" in said[2]
    assert all("短い時間" not in reply for reply in said[:2] + said[3:])
    assert len(rows(app)) == 3  # the message over the limit is neither answered nor logged


def test_memory_counts_in_the_worker_without_a_thread_per_ask(app, monkeypatch):
    limited = create_app({**app.config, "RATE_LIMIT_PER_MINUTE": 3, "RATELIMIT_STORAGE_URI": "memory://"})
    with limited.app_context():
        assert isinstance(get_limits().storage, SweptMemoryStorage)
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), start(thread))[1])
    client = limited.test_client()
    statuses = []
    for _ in range(5):
        statuses.append(client.post("/api/ask", json=QUESTION).status_code)
        time.sleep(0.02)  # longer than the stock storage's 10 ms timer, which would start again at the next ask
    assert statuses == [200, 200, 200, 429, 429]
    assert started == []


def test_memory_counts_forget_an_address_once_its_minute_is_over(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    storage = SweptMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    twice = RateLimitItemPerMinute(2)
    assert [limiter.hit(twice, "ask", "192.0.2.1") for _ in range(3)] == [True, True, False]
    clock[0] += 30
    assert limiter.hit(twice, "ask", "192.0.2.2")
    assert not limiter.hit(twice, "ask", "192.0.2.1")  # still within its minute
    clock[0] += 31
    assert limiter.hit(twice, "ask", "192.0.2.2")  # this hit sweeps: the first address's minute is over
    assert not any(entries for key, entries in storage.events.items() if "192.0.2.1" in key)
    assert limiter.hit(twice, "ask", "192.0.2.1")
