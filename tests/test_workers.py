"""Several gunicorn workers on one database keep the log, feedback and KPI correct."""
from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from servers import gunicorn as run_gunicorn


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """Run the Procfile's server: gunicorn, preloaded, two workers, one database (SQLite, then PostgreSQL)."""
    env = {
        "WARD_FAQ_INSTANCE_DIR": str(tmp_path),
        "WARD_FAQ_DATABASE_URL": database_url,
        "WARD_FAQ_SECRET_KEY": "test",
        "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "100000",
    }
    with run_gunicorn(env) as url:
        yield url


def test_concurrent_asks_and_feedback_across_workers_are_all_counted_once(gunicorn):
    questions = ["大田区の情報化推進計画の進行管理は誰がするのか", "粗大ごみの出し方を教えて"] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda q: post(gunicorn + "/api/ask", {"question": q, "ward": "大田区"}), questions))
    assert len({a["id"] for a in answers}) == 40
    resolved = [a for a in answers if a["resolved"]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda a: post(gunicorn + "/api/feedback", {"id": a["id"], "helpful": False}), resolved[:5]))
    kpi = json.loads(urllib.request.urlopen(gunicorn + "/api/kpi", timeout=10).read())
    abstained = sum(not a["resolved"] for a in answers)
    assert kpi["total"] == 40
    assert kpi["unresolved"] == abstained + 5
