"""The staff console: login, CSRF, lockout, ward scope, answering live, linking, FAQ CSV, KPI, audit, CLI."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from bot import create_app
from bot.db import (
    AuditEntry, FaqEntry, LoginLock, Phrasing, Question, StaffUser, current_index_revision, get_db,
)
from bot.live_index import get_live_index
from index.staff import FAQ_DOCUMENT
from bot.staff.auth import hash_password
from helpers import ask_json, corpus_retriever

PASSWORD = "correct-horse-battery"
SODAI = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
SODAI_SHOWN = "粗大ごみを出したいんですが、申し込みはどうすればいいですか?"  # stored NFKC-normalized
SODAI_ANSWER = "粗大ごみは、台東区粗大ごみ受付センターにインターネットか電話で申し込んでください。"
SEAT = "固定の机をなくしたら書類はどこに置くのですか"  # abstains today; 台東区's comment 4 (フリーアドレス) answers it
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>区役所の駐車場は？"


def add_staff(app, name: str, ward: str, password: str = PASSWORD) -> None:
    with app.app_context():
        db = get_db()
        db.add(StaffUser(name=name, ward=ward, password_hash=hash_password(password)))
        db.commit()


def token(client) -> str:
    """Return the session's CSRF token, visiting the login form first if there is none."""
    with client.session_transaction() as session:
        if "csrf" in session:
            return session["csrf"]
    client.get("/staff/login")
    with client.session_transaction() as session:
        return session["csrf"]


def login(client, name: str, password: str = PASSWORD):
    return client.post("/staff/login", data={"name": name, "password": password, "csrf_token": token(client)})


def post(client, url: str, **form):
    return client.post(url, data={"csrf_token": token(client), **form})


def answer_form(ids, **fields) -> dict:
    return {"ids": ids, "question": SODAI, "answer": SODAI_ANSWER, "department": "清掃事務所", "ward": "台東区"} | fields


def db_state(app) -> tuple:
    """Return what any staff action would change: questions' review state, FAQ, phrasings, revision."""
    with app.app_context():
        db = get_db()
        return (
            sorted((q.id, q.status, q.status_note) for q in db.scalars(select(Question))),
            db.scalar(select(func.count()).select_from(FaqEntry)),
            db.scalar(select(func.count()).select_from(Phrasing)),
            current_index_revision(db),
        )


def review_state(app, question_id: str) -> tuple[str, str | None]:
    """Return a question's review status and the note that goes with it."""
    with app.app_context():
        question = get_db().get(Question, question_id)
        return question.status, question.status_note


def fill_path(rule) -> str:
    """Return a URL for a rule, with made-up values for its arguments."""
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{argument}>", "1", path)  # a converter may take arguments: int(max=…)
    return path


def test_every_staff_route_requires_login(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    before = db_state(app)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/staff") and r.endpoint != "staff.login"]
    assert len(rules) >= 12
    for rule in rules:
        path = fill_path(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method == "GET":
                response = client.get(path)
            else:  # a valid CSRF token, so the refusal is for want of a login
                response = client.post(path, data={"csrf_token": token(client), "ids": [asked["id"]], "note": "x"})
            assert response.status_code == 302, (method, path)
            assert response.location.startswith("/staff/login"), (method, path)
    assert db_state(app) == before


def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    assert client.post("/staff/login", data={"name": "taito", "password": PASSWORD}).status_code == 400
    assert login(client, "taito").status_code == 302
    before = db_state(app)
    for form in (answer_form([asked["id"]]), answer_form([asked["id"]], csrf_token="forged")):
        assert client.post("/staff/questions/answer", data=form).status_code == 400
    assert client.post("/staff/questions/out-of-scope", data={"ids": asked["id"], "note": "x"}).status_code == 400
    assert client.post("/staff/logout").status_code == 400
    assert db_state(app) == before
    assert ask_json(client, SODAI)["resolved"] is False


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(app, client, tmp_path, monkeypatch):
    add_staff(app, "taito", "台東区")
    cookie = login(client, "taito").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("WARD_FAQ_SECURE_COOKIES", "1")
    secure = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                      "CORPUS_RETRIEVER": corpus_retriever()})
    secure_client = secure.test_client()
    assert "Secure" in login(secure_client, "taito").headers["Set-Cookie"]


def test_repeated_failed_logins_lock_the_account_in_every_worker(app, client, tmp_path):
    add_staff(app, "taito", "台東区")
    for _ in range(4):
        failed = login(client, "taito", "wrong-password")
        assert failed.status_code == 401 and "ロック" not in failed.text
    assert "ロック" in login(client, "taito", "wrong-password").text  # the fifth failure locks
    locked = login(client, "taito")
    assert locked.status_code == 401 and "ロック" in locked.text
    # Another worker process on the same database refuses too.
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                      "CORPUS_RETRIEVER": corpus_retriever()})
    assert login(other.test_client(), "taito").status_code == 401
    with app.app_context():
        db = get_db()
        for lock in db.scalars(select(LoginLock)):
            lock.locked_until = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.commit()
    assert login(client, "taito").status_code == 302
    with app.app_context():
        rows = get_db().execute(select(AuditEntry.action, AuditEntry.count).order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in rows] == [("login_failed", 4), ("login_locked", 3), ("login", 1)]


def test_staff_add_and_password_ask_twice_in_japanese_and_refuse_two_different_entries(app, runner):
    added = runner.invoke(args=["staff", "add", "taito", "--ward", "台東区"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0 and "パスワード（確認）" in added.output and "Repeat" not in added.output
    changed = runner.invoke(args=["staff", "password", "taito"], input=f"{PASSWORD}!\n{PASSWORD}?\n{PASSWORD}!\n{PASSWORD}!\n")
    assert changed.exit_code == 0 and "新しいパスワード（確認）" in changed.output
    assert "2回の入力が一致しません" in changed.output and "do not match" not in changed.output
    with app.app_context():
        assert check_password_hash(get_db().scalar(select(StaffUser.password_hash)), f"{PASSWORD}!")


def test_the_database_holds_no_clear_password(app, client, runner, tmp_path):
    result = runner.invoke(args=["staff", "add", "taito", "--ward", "台東区"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert login(client, "taito").status_code == 302
    login(client, "taito", "another-wrong-password")
    with app.app_context():
        stored = get_db().scalar(select(StaffUser.password_hash))
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return  # PostgreSQL's files are the server's: the stored value above is what it holds
    files = list(tmp_path.glob("test.sqlite*"))  # the database and its write-ahead log
    assert files
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and b"another-wrong-password" not in data


def test_staff_of_one_ward_cannot_read_or_act_on_another_wards_questions(app, client):
    add_staff(app, "chiyoda", "千代田区")
    asked = ask_json(client, SODAI, "台東区")
    seat = ask_json(client, SEAT, "台東区")
    with app.app_context():
        db = get_db()
        db.add(FaqEntry(ward="台東区", question="台東区のFAQ", answer="台東区だけの回答"))
        db.commit()
        faq_id = db.scalar(select(FaqEntry.id))
    login(client, "chiyoda")
    before = db_state(app)
    for url in ("/staff/", "/staff/?ward=台東区", "/staff/?status=all"):
        page = client.get(url)
        assert page.status_code == 200 and "粗大ごみ" not in page.text
    assert client.get(f"/staff/questions/{asked['id']}").status_code == 404
    assert post(client, "/staff/questions/answer", **answer_form([asked["id"]], ward="千代田区")).status_code == 404
    assert post(client, "/staff/questions/link", ids=[seat["id"]], unit_id="000-qa-04").status_code == 404
    assert post(client, "/staff/questions/out-of-scope", ids=[asked["id"]], note="x").status_code == 404
    assert client.get(f"/staff/faq/{faq_id}/edit").status_code == 404
    edit = post(client, f"/staff/faq/{faq_id}/edit", question="q", answer="a", department="", ward="千代田区")
    assert edit.status_code == 404
    assert post(client, f"/staff/faq/{faq_id}/retire", retired="1").status_code == 404
    assert "台東区だけの回答" not in client.get("/staff/faq").text
    assert "台東区だけの回答" not in client.get("/staff/faq/export.csv").data.decode("utf-8-sig")
    assert db_state(app)[:3] == before[:3]


def test_an_id_past_any_row_is_a_404_and_changes_nothing(app, client):
    add_staff(app, "taito", "台東区")
    login(client, "taito")
    before = db_state(app)
    for big in (2**31, 2**63):  # past PostgreSQL's integer column, then past SQLite's integers
        assert client.get(f"/staff/faq/{big}/edit").status_code == 404
        assert post(client, f"/staff/faq/{big}/wordings", text="粗大ごみ").status_code == 404
        assert post(client, f"/staff/faq/{big}/retire", retired="1").status_code == 404
        assert post(client, f"/staff/faq/1/wordings/{big}/delete").status_code == 404
    assert db_state(app)[:3] == before[:3]


def test_a_written_answer_goes_live_for_the_next_ask(app, client):
    add_staff(app, "taito", "台東区")
    first = ask_json(client, SODAI)
    second = ask_json(client, "粗大ごみを出したいのですが、申し込みはどうすればいいですか")
    assert first["resolved"] is False
    login(client, "taito")
    queue = client.get("/staff/").text
    assert SODAI_SHOWN in queue and 'class="count">2件' in queue  # the two wordings are one gap
    assert client.get(f"/staff/questions/{first['id']}?ids={second['id']}").status_code == 200
    response = post(client, "/staff/questions/answer", **answer_form([first["id"], second["id"]]))
    assert response.status_code == 302
    again = ask_json(client, SODAI)
    assert again["resolved"] is True
    assert again["answer"] == SODAI_ANSWER
    assert again["sources"][0]["document"] == FAQ_DOCUMENT and again["department"] == "清掃事務所"
    with app.app_context():
        entry = get_db().scalar(select(FaqEntry))
    for question_id in (first["id"], second["id"]):
        assert review_state(app, question_id) == ("answered", f"faq-{entry.id}")
    assert SODAI_SHOWN not in client.get("/staff/").text  # answered questions leave the default queue
    assert SODAI_SHOWN in client.get("/staff/?status=answered").text


def test_an_answer_form_with_errors_changes_nothing(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    login(client, "taito")
    before = db_state(app)
    assert post(client, "/staff/questions/answer", **answer_form([asked["id"]], answer="")).status_code == 400
    assert post(client, "/staff/questions/answer", **answer_form([asked["id"]], ward="千代田区")).status_code == 400
    assert db_state(app) == before


def test_linking_stores_the_wording_as_a_phrasing_of_the_unit(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SEAT)
    assert asked["resolved"] is False
    login(client, "taito")
    queue = client.get("/staff/").text
    assert 'name="unit_id" value="000-qa-04"' in queue  # the bot's best candidate, ready to link
    assert post(client, "/staff/questions/link", ids=[asked["id"]], unit_id="000-qa-04").status_code == 302
    with app.app_context():
        phrasings = get_db().scalars(select(Phrasing)).all()
        unit = get_live_index(app).corpus_unit("000-qa-04")
    assert [(p.unit_id, p.text, p.created_by) for p in phrasings] == [("000-qa-04", SEAT, "taito")]
    again = ask_json(client, SEAT)
    assert again["resolved"] is True
    # The unit's own reply is quoted, never the wording that found it.
    assert "".join(again["answer"].split())[:40] in "".join((unit.text + unit.question).split())
    assert "フリーアドレス" in again["answer"] and SEAT not in again["answer"]
    assert again["sources"][0]["section"] == unit.section
    assert review_state(app, asked["id"]) == ("linked", "000-qa-04")
    other_ward = ask_json(client, "区役所の駐車場は何台ありますか")
    assert post(client, "/staff/questions/link", ids=[other_ward["id"]], unit_id="004-qa-13").status_code == 403
    assert post(client, "/staff/questions/link", ids=[other_ward["id"]], unit_id="no-such-unit").status_code == 404


def test_out_of_scope_needs_a_note_and_leaves_the_queue(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    login(client, "taito")
    before = db_state(app)
    assert post(client, "/staff/questions/out-of-scope", ids=[asked["id"]], note=" ").status_code == 400
    assert db_state(app) == before
    note = "ごみの出し方は清掃事務所の案内へ"
    assert post(client, "/staff/questions/out-of-scope", ids=[asked["id"]], note=note).status_code == 302
    assert review_state(app, asked["id"]) == ("out_of_scope", note)
    assert SODAI_SHOWN not in client.get("/staff/").text
    assert SODAI_SHOWN in client.get("/staff/?status=out_of_scope").text


def test_queue_filters_and_marks_not_helpful_answers_as_unresolved(app, client):
    add_staff(app, "all", "all")
    helped = ask_json(client, "電子図書館はできますか", "大田区")
    assert helped["resolved"] is True
    ask_json(client, SEAT, "台東区")
    login(client, "all")
    assert "電子図書館" not in client.get("/staff/").text
    client.post("/api/feedback", json={"id": helped["id"], "helpful": False})
    page = client.get("/staff/").text
    assert "電子図書館" in page and SEAT in page and "役に立たなかった" in page
    assert SEAT not in client.get("/staff/?ward=大田区").text
    assert SEAT not in client.get("/staff/?channel=web").text
    assert SEAT not in client.get("/staff/?from=2000-01-01&to=2000-01-31").text
    assert client.get("/staff/?ward=nowhere").status_code == 400


def test_residents_markup_is_shown_as_text_in_the_queue(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, XSS)
    login(client, "taito")
    for url in ("/staff/", f"/staff/questions/{asked['id']}"):
        page = client.get(url)
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no scripts at all


def test_faq_csv_round_trip_with_bom(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    login(client, "taito")
    post(client, "/staff/questions/answer", **answer_form([asked["id"]]))
    with app.app_context():
        db = get_db()
        db.add(FaqEntry(ward="台東区", question="=1+1 は計算式ですか", answer="いいえ、文字です。", department=None))
        db.commit()
    exported = client.get("/staff/faq/export.csv")
    assert exported.mimetype == "text/csv"
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0] == ["id", "ward", "question", "answer", "department", "retired"]
    assert rows[1] == ["1", "台東区", SODAI, SODAI_ANSWER, "清掃事務所", "0"]
    assert rows[2][2] == "'=1+1 は計算式ですか"  # a spreadsheet shows it, never runs it

    def upload(data: bytes):
        return post(client, "/staff/faq/import", file=(io.BytesIO(data), "faq.csv"))

    def csv_file(rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8-sig")

    before = db_state(app)
    assert upload(exported.data).status_code == 302  # unchanged: nothing to do
    with app.app_context():
        entries = get_db().scalars(select(FaqEntry).order_by(FaqEntry.id)).all()
        assert [(e.question, e.department) for e in entries] == [(SODAI, "清掃事務所"), ("=1+1 は計算式ですか", None)]
    rows[1][3] = "粗大ごみは受付センターへ。"
    rows.append(["", "台東区", "区役所の駐車場はありますか", "区役所の駐車場は有料です。", "総務課", "0"])
    assert upload(csv_file(rows)).status_code == 302
    assert ask_json(client, SODAI)["answer"] == "粗大ごみは受付センターへ。"
    assert ask_json(client, "区役所の駐車場はありますか")["answer"] == "区役所の駐車場は有料です。"
    after = db_state(app)
    assert after[1] == before[1] + 1 and after[3] > before[3]
    # One wrong row (another ward) and nothing changes.
    rows[1][3] = "変わってはいけない"
    rows.append(["", "千代田区", "q", "a", "", "0"])
    refused = upload(csv_file(rows))
    assert refused.status_code == 400 and "行目" in refused.text
    assert db_state(app) == after
    # Ids that are digits to str.isdigit() but not to int(), or too long for it, are wrong rows too.
    for odd_id in ("²", "1" + "0" * 5000):
        rows[-1] = [odd_id, "台東区", "q", "a", "", "0"]
        refused = upload(csv_file(rows))
        assert refused.status_code == 400 and "行目" in refused.text
    rows.pop()
    rows[1][0], rows[1][3] = "１", "全角の id も読めます。"  # full-width digits, as typed
    assert upload(csv_file(rows)).status_code == 302
    assert ask_json(client, SODAI)["answer"] == "全角の id も読めます。"


def test_faq_edit_and_retire_are_live(app, client):
    add_staff(app, "taito", "台東区")
    asked = ask_json(client, SODAI)
    login(client, "taito")
    post(client, "/staff/questions/answer", **answer_form([asked["id"]]))
    assert client.get("/staff/faq/1/edit").status_code == 200
    edited = post(client, "/staff/faq/1/edit", question=SODAI, answer="新しい回答です。", department="", ward="台東区")
    assert edited.status_code == 302
    assert ask_json(client, SODAI)["answer"] == "新しい回答です。"
    assert post(client, "/staff/faq/1/retire", retired="1").status_code == 302
    assert ask_json(client, SODAI)["resolved"] is False
    assert "新しい回答です" not in client.get("/staff/faq").text
    assert "新しい回答です" in client.get("/staff/faq?retired=1").text
    post(client, "/staff/faq/1/retire", retired="0")
    assert ask_json(client, SODAI)["answer"] == "新しい回答です。"


def log(db, when_utc: str, *, resolved=True, helpful=None, ward="台東区", channel="web", small_talk=False):
    db.add(
        Question(
            asked_at=datetime.fromisoformat(when_utc).replace(tzinfo=timezone.utc), channel=channel, ward=ward,
            session=None, text="q", resolved=resolved, small_talk=small_talk, answer="a", helpful=helpful,
        )
    )


def kpi_csv(client, query: str) -> list[list[str]]:
    response = client.get(f"/staff/kpi.csv?{query}")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_kpi_figures_match_a_hand_built_log_and_the_api(app, client):
    add_staff(app, "taito", "台東区")
    with app.app_context():
        db = get_db()
        log(db, "2026-11-29T14:59:00", resolved=False)  # Sunday 23:59 in Tokyo: week of 11-23
        log(db, "2026-11-29T15:00:00")  # Monday 00:00 in Tokyo: week of 11-30
        log(db, "2026-11-30T01:00:00", helpful=False, channel="line")
        log(db, "2026-11-30T14:59:00", resolved=False, ward="大田区")  # 11-30 23:59 in Tokyo
        log(db, "2026-11-30T15:00:00", helpful=True)  # 12-01 in Tokyo: next month
        log(db, "2026-12-01T02:00:00", small_talk=True)  # never counted
        db.commit()
    login(client, "taito")
    span = "from=2026-11-23&to=2026-12-06"
    page = client.get(f"/staff/kpi?{span}")
    assert page.status_code == 200
    api = client.get(f"/api/kpi?{span}").get_json()
    assert (api["total"], api["unresolved"], api["unresolved_rate"]) == (5, 3, 0.6)
    assert '<strong data-total>5</strong>' in page.text and '<strong data-unresolved>3</strong>' in page.text
    assert 'data-rate="0.6"' in page.text and "60.0%" in page.text
    assert "<svg" in page.text and "基準値 20%" in page.text and "目標 0%" in page.text
    days = [row for row in kpi_csv(client, f"{span}&period=day")[1:] if row[1] != "0"]
    assert days == [[d["date"], str(d["total"]), str(d["unresolved"]), str(round(d["unresolved"] / d["total"], 4))]
                    for d in api["by_day"]]
    assert days == [
        ["2026-11-29", "1", "1", "1.0"], ["2026-11-30", "3", "2", "0.6667"], ["2026-12-01", "1", "0", "0.0"]
    ]
    assert kpi_csv(client, f"{span}&period=week") == [
        ["period_start", "total", "unresolved", "unresolved_rate"],
        ["2026-11-23", "1", "1", "1.0"],
        ["2026-11-30", "4", "2", "0.5"],
    ]
    assert kpi_csv(client, f"{span}&period=month")[1:] == [
        ["2026-11-01", "4", "3", "0.75"], ["2026-12-01", "1", "0", "0.0"]
    ]
    assert kpi_csv(client, f"{span}&period=day&ward=大田区")[1:] == [
        ["2026-11-23", "0", "0", ""], *([[f"2026-11-{d}", "0", "0", ""] for d in range(24, 30)]),
        ["2026-11-30", "1", "1", "1.0"], *([[f"2026-12-0{d}", "0", "0", ""] for d in range(1, 7)]),
    ]
    line = client.get(f"/staff/kpi?{span}&channel=line").text
    assert '<strong data-total>1</strong>' in line and 'data-rate="1.0"' in line
    for query in ("period=year", "ward=nowhere", "from=2026-12-01&to=2026-11-01", "from=yesterday",
                  "from=0001-01-01", "to=0001-01-05", "to=9999-12-31", "from=0202-11-01&to=2026-11-30"):
        assert client.get(f"/staff/kpi?{query}").status_code == 400, query
    assert client.get("/staff/kpi?from=0202-11-01&to=2026-11-30&period=month").status_code == 400
    assert client.get("/staff/kpi?from=1950-01-01&to=2026-11-30&period=month").status_code == 200


def test_every_staff_action_is_audited(app, client):
    add_staff(app, "taito", "台東区")
    add_staff(app, "chiyoda", "千代田区")
    sodai, seat, other = ask_json(client, SODAI), ask_json(client, SEAT), ask_json(client, "区役所の駐車場は何台ありますか")
    login(client, "taito", "wrong-password")
    login(client, "taito")
    post(client, "/staff/questions/answer", **answer_form([sodai["id"]]))
    post(client, "/staff/questions/link", ids=[seat["id"]], unit_id="000-qa-04")
    post(client, "/staff/questions/out-of-scope", ids=[other["id"]], note="対象外")
    post(client, "/staff/faq/1/edit", question=SODAI, answer="改訂", department="", ward="台東区")
    post(client, "/staff/faq/1/retire", retired="1")
    client.get("/staff/faq/export.csv")
    post(client, "/staff/faq/import", file=(io.BytesIO("ward,question,answer\n台東区,q,a\n".encode()), "f.csv"))
    client.get("/staff/kpi.csv")
    post(client, "/staff/logout")
    with app.app_context():
        entries = get_db().scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.staff, e.action) for e in entries] == [
        ("taito", "login_failed"), ("taito", "login"), ("taito", "answer"), ("taito", "link"),
        ("taito", "out_of_scope"), ("taito", "faq_edit"), ("taito", "faq_retire"), ("taito", "faq_export"),
        ("taito", "faq_import"), ("taito", "kpi_export"), ("taito", "logout"),
    ]
    assert all(e.at is not None for e in entries)
    assert f"question:{sodai['id']} faq:1" == entries[2].target
    assert entries[3].target == f"question:{seat['id']} unit:000-qa-04"
    login(client, "taito")
    page = client.get("/staff/audit").text
    assert page.index("login_failed") > page.index("kpi_export")  # newest first
    assert sodai["id"] in page
    login(client, "chiyoda")
    assert sodai["id"] not in client.get("/staff/audit").text  # another ward's actions stay with that ward


def test_staff_cli_adds_lists_and_removes_accounts(app, runner):
    def run(*args, input=None):
        return runner.invoke(args=["staff", *args], input=input)

    assert run("add", "taito", "--ward", "台東区", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert run("add", "admin", "--ward", "all", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    for weak, says in [("short", "12文字以上"), ("aaaaaaaaaaaa", "同じ文字"), (" " * 12, "同じ文字"),
                       ("aaaaaaaaaa", "12文字以上"), ("1q2w3e4r5t6y", "よく使われる"),
                       ("Password1234", "よく使われる"), ("short-account-pw", "アカウント名")]:
        refused = run("add", "short", "--ward", "台東区", input=f"{weak}\n{weak}\n")
        assert refused.exit_code != 0 and says in refused.output, weak
    assert run("add", "taito", "--ward", "台東区", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code != 0
    assert run("add", "x", "--ward", "新宿区", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code != 0
    listed = run("list").output
    assert "taito\t台東区" in listed and "admin\tall" in listed and "short" not in listed and "新宿区" not in listed
    assert PASSWORD not in listed
    assert run("remove", "taito").exit_code == 0
    assert "taito" not in run("list").output
    assert run("remove", "taito").exit_code != 0
