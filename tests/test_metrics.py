"""GET /metrics: asks by channel, ward and outcome, feedback, latency and database errors, in one process and under gunicorn."""
from __future__ import annotations

import json
import os
import signal
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from bot import create_app
from bot.db import get_db
from bot.service import ask as service_ask
from helpers import ask, corpus_retriever
from servers import ward_faq_serve


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Read Prometheus text into {(sample name, labels): value}."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(figures: dict, name: str, **labels: str) -> float:
    """Sum the samples of a name whose labels include these."""
    wanted = set(labels.items())
    return sum(v for (n, l), v in figures.items() if n == name and wanted <= l)


def test_metrics_count_asks_by_channel_ward_and_outcome_feedback_and_latency(client):
    resolved = ask(client, "大田区の情報化推進計画の進行管理は誰がするのですか", ward="大田区").get_json()
    ask(client, "粗大ごみの出し方を教えて", ward="大田区")
    ask(client, "スマホの使い方を教えてもらえる場所はありますか？", ward="台東区", headers={"X-Ward-Faq-Channel": "web"})
    ask(client, "こんにちは")
    client.post("/api/feedback", json={"id": resolved["id"], "helpful": False})

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    figures = samples(response.get_data(as_text=True))
    assert value(figures, "ward_faq_asks_total", channel="api", ward="大田区", outcome="resolved") == 1
    assert value(figures, "ward_faq_asks_total", channel="api", ward="大田区", outcome="unresolved") == 1
    assert value(figures, "ward_faq_asks_total", channel="web", ward="台東区", outcome="resolved") == 1
    assert value(figures, "ward_faq_asks_total", channel="api", outcome="small_talk") == 1
    assert value(figures, "ward_faq_asks_total") == 4
    assert value(figures, "ward_faq_feedback_total", channel="api", ward="大田区", helpful="false") == 1
    assert value(figures, "ward_faq_feedback_total", helpful="true") == 0
    assert value(figures, "ward_faq_ask_duration_seconds_count", channel="api") == 3
    assert value(figures, "ward_faq_ask_duration_seconds_count", channel="web") == 1
    assert value(figures, "ward_faq_ask_duration_seconds_sum") > 0
    assert value(figures, "ward_faq_database_errors_total") == 0


def test_a_database_that_cannot_be_opened_is_counted_as_a_database_error(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}", "CORPUS_RETRIEVER": corpus_retriever()}
    )
    folder.rename(tmp_path / "gone")  # the next connection finds no folder to open the file in
    with app.test_request_context():
        with pytest.raises(OperationalError):
            service_ask(get_db(), "マイナンバーカードの普及", "台東区", "api", None)
    figures = samples(app.test_client().get("/metrics").get_data(as_text=True))
    assert value(figures, "ward_faq_database_errors_total", error="OperationalError") >= 1
    assert value(figures, "ward_faq_asks_total") == 0


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def scrape(url: str) -> dict:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        return samples(response.read().decode())


@pytest.mark.slow
def test_ward_faq_serve_adds_up_the_counts_of_every_worker_even_after_one_dies(tmp_path, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"an earlier run's counts")
    env = {
        "WARD_FAQ_INSTANCE_DIR": str(tmp_path),
        "WARD_FAQ_SECRET_KEY": "test",
        "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "100000",
    }
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)  # serve chooses the folder in the instance folder
    with ward_faq_serve(env, workers=2) as url:
        assert not (folder / "counter_1.db").exists()
        questions = ["大田区の情報化推進計画の進行管理は誰がするのか", "粗大ごみの出し方を教えて"] * 20
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda q: post(url + "/api/ask", {"question": q, "ward": "大田区"}), questions))
        for answer in [a for a in answers if a["resolved"]][:5]:
            post(url + "/api/feedback", {"id": answer["id"], "helpful": True})
        workers = {int(path.stem.split("_")[-1]) for path in folder.glob("counter_*.db")}
        assert len(workers) == 2, "both workers answered some of the questions"
        for _ in range(4):  # whichever worker answers the scrape, it reports every worker's counts
            figures = scrape(url)
            assert value(figures, "ward_faq_asks_total", channel="api", ward="大田区") == 40
            assert value(figures, "ward_faq_ask_duration_seconds_count") == 40
            assert value(figures, "ward_faq_feedback_total", helpful="true") == 5

        os.kill(workers.pop(), signal.SIGTERM)  # gunicorn starts another; the counts of the one gone stay
        post(url + "/api/ask", {"question": "粗大ごみの出し方を教えて", "ward": "大田区"})
        figures = scrape(url)
        assert value(figures, "ward_faq_asks_total") == 41
        assert value(figures, "ward_faq_asks_total", outcome="resolved") == sum(a["resolved"] for a in answers)
