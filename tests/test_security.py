"""The findings of the security review, each shown fixed: headers, CSV formulas, sessions, lockout, input."""
from __future__ import annotations

import copy
import csv
import http.cookiejar
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.db import AuditEntry, FaqEntry, LoginLock, Question, StaffUser, get_db
from conftest import LiveServer
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


def test_only_a_request_with_the_session_cookie_has_its_cookie_checked(app, client, monkeypatch):
    signers = []
    interface = app.session_interface
    make_signer = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer", lambda app: signers.append(1) or make_signer(app))
    asked = client.post("/api/ask", json={"question": RESOLVES})
    assert asked.status_code == 200 and "Set-Cookie" not in asked.headers
    assert client.get("/healthz").status_code == 200
    assert signers == []  # no cookie: no signer made, nothing to check
    # Staff's session works as before: the login form sets the cookie, and the next request's is checked.
    add_staff(app, "taito", "台東区")
    assert login(client, "taito").location == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert signers
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), "forged")
    assert client.get("/staff/").status_code == 302  # a cookie that is not the app's own opens nothing


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


class Browser:
    """A staff member's browser over real HTTP: its own cookies, redirects not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, address: str | None = None) -> None:
        self.base, self.address = base, address
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect()
        )

    def request(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """Return the status, the Location header and the text of a GET (or a POST of form)."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        if self.address:
            request.add_header("X-Forwarded-For", self.address)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Location", ""), answer.read().decode()

    def csrf(self) -> str:
        """Return the CSRF token of this browser's session, from the login form or a console page."""
        status, _, text = self.request("/staff/login")
        return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)

    def login(self, name: str, password: str = PASSWORD) -> tuple[int, str, str]:
        return self.request("/staff/login", {"name": name, "password": password, "csrf_token": self.csrf()})

    def copy(self) -> "Browser":
        """Return another browser holding a copy of this one's cookies, as a thief would."""
        thief = Browser(self.base, self.address)
        for cookie in self.cookies:
            thief.cookies.set_cookie(copy.copy(cookie))
        return thief


def staff_cli(runner, *args: str, password: str | None = None):
    result = runner.invoke(args=["staff", *args], input=f"{password}\n{password}\n" if password else None)
    assert result.exit_code == 0, result.output
    return result


def test_a_removed_accounts_cookie_never_opens_the_next_account(app, runner, live_server):
    staff_cli(runner, "add", "taito", "--ward", "台東区", password=PASSWORD)
    browser = Browser(live_server.url)
    assert browser.login("taito")[0] == 302
    assert browser.request("/staff/")[0] == 200
    staff_cli(runner, "remove", "taito")
    staff_cli(runner, "add", "admin", "--ward", "all", password=PASSWORD)
    status, location, _ = browser.request("/staff/")
    assert status == 302 and location.startswith("/staff/login")
    with app.app_context():
        assert get_db().scalar(select(StaffUser.id).where(StaffUser.name == "admin")) == 2  # ids never reused


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, runner, live_server):
    add_staff(app, "taito", "台東区")
    with app.app_context():
        db = get_db()
        db.add(FaqEntry(ward="台東区", question="窓口は何時まで", answer="17時までです。"))
        db.commit()
    browser = Browser(live_server.url)
    browser.login("taito")
    token = browser.csrf()
    thief = browser.copy()
    assert thief.request("/staff/faq")[0] == 200
    assert browser.request("/staff/logout", {"csrf_token": token})[0] == 302
    assert thief.request("/staff/faq")[0] == 302
    edit = {"question": "窓口は何時まで", "answer": "書き換えられた", "department": "", "ward": "台東区", "csrf_token": token}
    status, location, _ = thief.request("/staff/faq/1/edit", edit)
    assert status in (302, 400) and "/staff/faq" != location
    with app.app_context():
        assert get_db().get(FaqEntry, 1).answer == "17時までです。"


def test_a_password_change_ends_every_session(app, runner, live_server):
    add_staff(app, "taito", "台東区")
    browser = Browser(live_server.url)
    browser.login("taito")
    other = Browser(live_server.url)
    other.login("taito")
    staff_cli(runner, "password", "taito", password="a-brand-new-passphrase")
    assert browser.request("/staff/")[0] == 302 and other.request("/staff/")[0] == 302
    assert Browser(live_server.url).login("taito")[0] == 401
    assert Browser(live_server.url).login("taito", "a-brand-new-passphrase")[0] == 302


@pytest.fixture
def proxied_server(app):
    """Serve the app behind one trusted proxy, so each test browser can come from its own address."""
    app.config["PROXY_COUNT"] = 1
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    with LiveServer(app) as server:
        yield server


def test_a_lock_shuts_out_the_guessing_address_only_and_ends_by_time_or_command(app, runner, proxied_server):
    add_staff(app, "taito", "台東区")
    guesser = Browser(proxied_server.url, "203.0.113.9")
    for _ in range(5):
        assert guesser.login("taito", "not-the-password")[0] == 401
    status, _, text = guesser.login("taito")
    assert status == 401 and "ロック" in text
    # The staff member at the office is not locked out by someone else's guessing.
    assert Browser(proxied_server.url, "198.51.100.20").login("taito")[0] == 302
    staff_cli(runner, "unlock", "taito")
    assert guesser.login("taito")[0] == 302
    for _ in range(5):
        guesser.login("taito", "not-the-password")
    assert "ロック" in guesser.login("taito")[2]
    with app.app_context():
        db = get_db()
        for lock in db.scalars(select(LoginLock)):
            lock.locked_until = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.commit()
    assert guesser.login("taito")[0] == 302


def test_concurrent_guesses_check_no_more_passwords_than_the_limit(app, proxied_server):
    add_staff(app, "taito", "台東区")
    browsers = [Browser(proxied_server.url, "203.0.113.9") for _ in range(20)]
    tokens = [browser.csrf() for browser in browsers]

    def guess(pair):
        browser, token = pair
        form = {"name": "taito", "password": "not-the-password", "csrf_token": token}
        return browser.request("/staff/login", form)[2]

    with ThreadPoolExecutor(max_workers=20) as pool:
        pages = list(pool.map(guess, zip(browsers, tokens)))
    wrong = [page for page in pages if "名前またはパスワードが違います" in page]
    assert len(wrong) <= app.config["STAFF_LOCKOUT_FAILURES"]
    assert len(pages) - len(wrong) >= 20 - app.config["STAFF_LOCKOUT_FAILURES"]
    assert "ロック" in browsers[0].login("taito")[2]  # even the right password waits out the lock


def test_failed_logins_are_one_counted_row_and_unknown_names_are_never_kept(app, client):
    add_staff(app, "taito", "台東区")
    typed_password = "Hanako-no-password-2026"
    for _ in range(30):
        login(client, typed_password, "x")  # a password typed into the name field
        login(client, "taito", "wrong-password")
    with app.app_context():
        rows = get_db().execute(select(AuditEntry.staff, AuditEntry.action, AuditEntry.count)).all()
    assert sorted(tuple(row) for row in rows) == [
        ("-", "login_failed", 30), ("taito", "login_failed", 4), ("taito", "login_locked", 26),
    ]
    with app.app_context():
        everything = json.dumps([[str(v) for v in row] for row in get_db().execute(select(AuditEntry)).all()])
    assert typed_password not in everything


def test_login_attempts_are_limited_per_address(app, client):
    add_staff(app, "taito", "台東区")
    app.config["STAFF_LOGIN_PER_MINUTE"] = 3
    statuses = [login(client, "nobody", "x").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert login(client, "taito").status_code == 429


def test_login_attempts_are_limited_per_account_across_addresses(app, proxied_server):
    add_staff(app, "taito", "台東区")
    app.config["STAFF_LOGIN_ACCOUNT_PER_MINUTE"] = 3
    statuses = [Browser(proxied_server.url, f"203.0.113.{i}").login("taito", "x")[0] for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_the_audit_log_is_paged(app, client):
    add_staff(app, "admin", "all")
    with app.app_context():
        db = get_db()
        db.add_all(AuditEntry(staff="cli", action="staff_add", target=f"staff:n{i}") for i in range(249))
        db.commit()
    login(client, "admin")  # the 250th row
    first = client.get("/staff/audit").text
    assert first.count("<td data-count>") == 100 and "page=2" in first and "page=0" not in first
    last = client.get("/staff/audit?page=3").text
    assert last.count("<td data-count>") == 50 and "page=4" not in last and "page=2" in last
    for page in ("x", "²", "9" * 5000, "0"):
        assert client.get(f"/staff/audit?page={page}").status_code == 400


def test_staff_list_shows_locks_and_unlock_lifts_them(app, client, runner):
    add_staff(app, "taito", "台東区")
    for _ in range(5):
        login(client, "taito", "not-the-password")
    assert "1件のアドレスからのログインを停止中" in runner.invoke(args=["staff", "list"]).output
    assert runner.invoke(args=["staff", "unlock", "nobody"]).exit_code != 0
    assert runner.invoke(args=["staff", "unlock", "taito"]).exit_code == 0
    assert "停止中" not in runner.invoke(args=["staff", "list"]).output
    assert login(client, "taito").status_code == 302
    with app.app_context():
        assert get_db().scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).offset(1)) == "staff_unlock"
