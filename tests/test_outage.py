"""A database that goes away: 503s that say so, LINE redelivery answered once, recovery without a restart."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bot import create_app
from helpers import ask_over_http
from servers import ROOT, TcpProxy, ward_faq_serve
from test_line import line_config, payload, post, rows, text_event, texts
from test_staff import add_staff, login

QUESTION = {"question": "マイナンバーカードでできる手続きは？", "ward": "台東区"}


@pytest.fixture
def proxy(postgres_url):
    """Put a proxy we can cut between the app and its PostgreSQL database."""
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host, url.port or 5432)
    proxy.url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy
    proxy.close()


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


def test_an_outage_is_a_503_everywhere_and_ends_without_a_restart(line_api, proxy):
    app = create_app(line_config(proxy.url, line_api, DB_WAIT_SECONDS=0))
    client, staff = app.test_client(), app.test_client()
    add_staff(app, "taito", "台東区")
    assert login(staff, "taito").status_code == 302
    assert client.post("/api/ask", json=QUESTION).status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready"}
    asked_on_line = payload(text_event(QUESTION["question"]))

    proxy.cut()
    assert_unavailable(client.post("/api/ask", json=QUESTION))
    assert_unavailable(client.post("/api/feedback", json={"id": "0" * 32, "helpful": True}))
    assert_unavailable(client.get("/api/kpi"))
    assert_unavailable(client.get("/readyz"))
    assert client.get("/healthz").status_code == 200  # alive: a restart would not help
    page = staff.get("/staff/")
    assert page.status_code == 503
    assert "データベースに接続できません" in page.get_data(as_text=True)
    assert_unavailable(post(client, asked_on_line))  # LINE delivers it again later
    assert line_api.calls == []

    proxy.restore()
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/ask", json=QUESTION).get_json()["resolved"] is True
    assert staff.get("/staff/").status_code == 200
    assert post(client, asked_on_line).status_code == 200  # the redelivery is answered
    assert post(client, asked_on_line).status_code == 200  # and a second one is not answered again
    calls = line_api.wait_for(1)
    assert len(calls) == 1 and texts(calls[0])
    assert [row.channel for row in rows(app)].count("line") == 1


def run_cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", *args], cwd=ROOT,
                          env=os.environ | env, capture_output=True, text=True, timeout=timeout)


def test_starting_without_the_database_stops_with_one_line(proxy):
    proxy.cut()
    done = run_cli({"WARD_FAQ_DATABASE_URL": proxy.url, "WARD_FAQ_DB_WAIT_SECONDS": "1"}, "kpi")
    assert done.returncode == 1
    output = (done.stdout + done.stderr).strip().splitlines()
    assert len(output) <= 2, output  # what is retried, and why it stopped; no traceback
    assert "cannot be reached" in output[-1] and "Traceback" not in done.stderr


def test_starting_waits_for_a_database_that_comes_up(proxy):
    proxy.cut()
    env = os.environ | {"WARD_FAQ_DATABASE_URL": proxy.url, "WARD_FAQ_DB_WAIT_SECONDS": "120"}
    process = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "kpi"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = process.stdout.readline()
    assert "database unreachable" in first_line  # it waits, saying so in one line
    proxy.restore()
    output, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    assert "total 0" in output


def ask_status(url: str) -> int:
    """Ask over HTTP and return only the status."""
    return ask_over_http(url, QUESTION)[0]

def test_every_worker_of_ward_faq_serve_comes_back_after_an_outage(proxy):
    env = {"WARD_FAQ_DATABASE_URL": proxy.url, "WARD_FAQ_SECRET_KEY": "test", "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "10000"}
    with ward_faq_serve(env, workers=2) as url:
        assert [ask_status(url) for _ in range(4)] == [200] * 4
        proxy.cut()
        assert [ask_status(url) for _ in range(4)] == [503] * 4
        proxy.restore()
        assert [ask_status(url) for _ in range(8)] == [200] * 8  # no request's failure is left for the next


def test_no_request_of_ward_faq_serve_leaves_its_transaction_open_for_the_next(postgres_url):
    env = {"WARD_FAQ_DATABASE_URL": postgres_url, "WARD_FAQ_SECRET_KEY": "test", "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "10000"}
    ours = make_url(postgres_url).database
    engine = create_engine(postgres_url, poolclass=NullPool)
    sessions = text("SELECT pid, state FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()")
    with ward_faq_serve(env, workers=1) as url, engine.connect() as watcher:
        assert ask_status(url) == 200
        assert urllib.request.urlopen(url + "/api/kpi", timeout=30).status == 200  # reads, and commits nothing
        backends = watcher.execute(sessions, {"name": ours}).all()
        assert backends and all(state == "idle" for _, state in backends)  # each request closed its session
        for pid, _ in backends:  # the server drops them, as a restart or a failover does
            watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert [ask_status(url) for _ in range(4)] == [200] * 4
    engine.dispose()
