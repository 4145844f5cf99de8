"""A database that goes away: 503s that say so, LINE redelivery answered once, recovery without a restart."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import make_url

from bot import create_app
from servers import ROOT, TcpProxy
from test_line import line_api, line_config, payload, post, rows, text_event, texts  # noqa: F401 (line_api: a fixture)
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


def test_an_outage_is_a_503_everywhere_and_ends_without_a_restart(line_api, proxy):  # noqa: F811
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
