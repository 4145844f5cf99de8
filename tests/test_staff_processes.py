"""Two app processes on one database: an answer staff write through one is found by an ask to the other."""
from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from helpers import ask_body

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
SODAI = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
SODAI_ANSWER = "粗大ごみは、台東区粗大ごみ受付センターにインターネットか電話で申し込んでください。"
SERVE = """
from werkzeug.serving import make_server
from bot import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print("listening", server.server_port, flush=True)
server.serve_forever()
"""


def wait_for_port(process: subprocess.Popen, timeout: float = 180) -> int:
    """Read the server's output until it says its port, or fail after timeout seconds."""
    lines: queue.Queue[str] = queue.Queue()
    # A thread reads, because a buffered pipe can hold the line already while select() says nothing is left.
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            match = re.match(r"listening (\d+)", lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if match:
            return int(match.group(1))
    pytest.fail("an app process did not start")


@pytest.fixture
def two_processes(database_url):
    """Start two app processes sharing one database (SQLite, then PostgreSQL); stop them afterwards."""
    env = os.environ | {
        "WARD_FAQ_DATABASE_URL": database_url,
        "WARD_FAQ_SECRET_KEY": "shared-test-secret",
        "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "1000",
    }
    added = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "staff", "add", "taito", "--ward", "台東区"],
        input=f"{PASSWORD}\n{PASSWORD}\n", text=True, env=env, cwd=ROOT, capture_output=True, timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert "Warning" not in added.stderr  # a piped password is read as a line, without getpass's warning
    processes = [
        subprocess.Popen([sys.executable, "-c", SERVE], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
        for _ in range(2)
    ]
    try:
        yield [f"http://127.0.0.1:{wait_for_port(p)}" for p in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def ask(base: str, question: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/ask", data=json.dumps(ask_body(question, "台東区")).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class Browser:
    """A cookie-keeping HTTP client that submits the console's forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def submit(self, form_page: str, action: str, fields: list[tuple[str, str]]) -> tuple[str, str]:
        """Load form_page, then POST fields and its CSRF token to action."""
        _, html = self.get(form_page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode([*fields, ("csrf_token", token)]).encode()
        with self.opener.open(self.base + action, data=body, timeout=30) as response:
            return response.geturl(), response.read().decode()


def test_an_answer_written_in_one_process_is_found_by_another(two_processes):
    a, b = two_processes
    asked = ask(b, SODAI)
    assert asked["resolved"] is False
    staff = Browser(a)
    url, _ = staff.submit("/staff/login", "/staff/login", [("name", "taito"), ("password", PASSWORD)])
    assert url == f"{a}/staff/"
    url, html = staff.submit(
        f"/staff/questions/{asked['id']}",
        "/staff/questions/answer",
        [("ids", asked["id"]), ("question", SODAI), ("answer", SODAI_ANSWER), ("department", "清掃事務所"),
         ("ward", "台東区")],
    )
    assert url == f"{a}/staff/" and "回答を公開しました" in html
    again = ask(b, SODAI)
    assert again["resolved"] is True
    assert again["answer"] == SODAI_ANSWER
