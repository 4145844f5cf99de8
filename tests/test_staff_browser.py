"""The staff console in real headless Chromium: answer a question live, preview before publishing, residents' markup
stays inert, screenshots."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.db import Question, StaffUser, get_db
from bot.staff.auth import hash_password
from helpers import ask_body

PASSWORD = "correct-horse-battery"
SODAI = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
SODAI_ANSWER = "粗大ごみは、台東区粗大ごみ受付センターにインターネットか電話で申し込んでください。"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def add_staff(app, name: str = "taito", ward: str = "台東区") -> None:
    with app.app_context():
        db = get_db()
        db.add(StaffUser(name=name, ward=ward, password_hash=hash_password(PASSWORD)))
        db.commit()


def ask(page, server, question: str, ward: str | None = "台東区") -> dict:
    """Ask through the real HTTP API, as the widget does."""
    response = page.request.post(f"{server.url}/api/ask", data=ask_body(question, ward))
    assert response.ok
    return response.json()


def log_in(page, server, name: str = "taito") -> None:
    page.goto(f"{server.url}/staff/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{server.url}/staff/")


def test_staff_answer_in_the_browser_is_found_by_the_next_ask(app, live_server, page, screenshots):
    add_staff(app)
    asked = ask(page, live_server, SODAI)
    assert asked["resolved"] is False
    ask(page, live_server, "粗大ごみの申し込みはどうすればいいですか")
    ask(page, live_server, "固定の机をなくしたら書類はどこに置くのですか")
    ask(page, live_server, "区役所の駐車場は何台とめられますか")
    log_in(page, live_server)

    card = page.locator("article.card", has_text="粗大ごみを出したいんですが")
    assert card.locator(".count").inner_text() == "2件"
    page.set_viewport_size({"width": 1200, "height": 900})
    page.screenshot(path=screenshots / "staff-queue.png", full_page=True)

    card.get_by_text("回答を書く・対象外にする").click()
    page.fill("textarea[name=answer]", SODAI_ANSWER)
    page.fill("input[name=department]", "清掃事務所")
    page.screenshot(path=screenshots / "staff-answer.png", full_page=True)
    page.get_by_role("button", name="回答を公開する").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "回答を公開しました" in page.locator(".flash").inner_text()

    again = ask(page, live_server, SODAI)
    assert again["resolved"] is True
    assert again["answer"] == SODAI_ANSWER
    assert again["department"] == "清掃事務所"


def test_publishing_with_the_preview_closes_the_other_wordings_it_answers(app, live_server, page, screenshots):
    add_staff(app)
    head = ask(page, live_server, SODAI)
    other = ask(page, live_server, "ソファを捨てたい。粗大ゴミの申し込み方法は？")  # queued apart from the head
    unrelated = ask(page, live_server, "区役所の駐車場は何台とめられますか")
    assert not head["resolved"] and not other["resolved"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/staff/questions/{head['id']}")
    page.fill("textarea[name=answer]", SODAI_ANSWER)
    page.fill("input[name=department]", "清掃事務所")
    page.get_by_role("button", name="公開前に影響を確認する").click()
    preview = page.get_by_role("region", name="公開したときの影響")
    preview.wait_for()
    box = preview.get_by_role("checkbox", name="ソファを捨てたい。粗大ゴミの申し込み方法は?")
    assert box.is_checked()
    assert preview.get_by_text("区役所の駐車場").count() == 0
    assert page.locator("textarea[name=answer]").input_value() == SODAI_ANSWER  # the draft survives the preview
    page.set_viewport_size({"width": 1200, "height": 900})
    page.screenshot(path=screenshots / "staff-preview.png", full_page=True)
    page.get_by_role("button", name="回答を公開する").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "回答を公開しました" in page.locator(".flash").inner_text() and "2件の質問" in page.locator(".flash").inner_text()
    assert page.locator(f"article[data-question-id='{other['id']}']").count() == 0  # closed with the group
    assert page.locator(f"article[data-question-id='{unrelated['id']}']").count() == 1
    again = ask(page, live_server, "ソファを捨てたい。粗大ゴミの申し込み方法は？")
    assert again["resolved"] and again["answer"] == SODAI_ANSWER


def test_residents_markup_shows_as_text_and_nothing_runs(app, live_server, page):
    add_staff(app)
    asked = ask(page, live_server, XSS + "区役所の駐車場は？")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server)
    for url in ("/staff/", f"/staff/questions/{asked['id']}"):
        page.goto(live_server.url + url)
        shown = page.locator(".question-text").first.inner_text()
        assert XSS in shown
        assert page.locator("main script").count() == 0 and page.locator("main img").count() == 0
        page.wait_for_timeout(200)
    assert dialogs == []


def test_kpi_chart_in_the_browser(app, live_server, page, screenshots):
    add_staff(app)
    start = date(2026, 10, 26)
    with app.app_context():
        db = get_db()
        # Four weeks in which staff answers bring the unresolved rate down from 25% towards the target.
        for offset in range(27):
            day = start + timedelta(days=offset)
            missed = max(0, 5 - offset // 5)
            for i in range(20):
                db.add(Question(
                    asked_at=datetime(day.year, day.month, day.day, 1, i, tzinfo=timezone.utc),
                    channel=("web", "line", "api")[i % 3], ward=("台東区", "千代田区", "大田区")[i % 3],
                    session=None, text="q", resolved=i >= missed, answer="a",
                ))
        db.commit()
    log_in(page, live_server)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/staff/kpi?from=2026-10-26&to=2026-11-21")
    assert page.locator("svg.chart rect.bar").count() == 27
    assert page.locator("svg.chart line.baseline").count() == 1 and page.locator("svg.chart line.target").count() == 1
    total = page.request.get(f"{live_server.url}/api/kpi?from=2026-10-26&to=2026-11-21").json()
    assert page.locator("[data-total]").inner_text() == str(total["total"])
    assert page.locator("[data-unresolved]").inner_text() == str(total["unresolved"])
    page.set_viewport_size({"width": 1200, "height": 760})
    page.screenshot(path=screenshots / "staff-kpi.png")
    page.goto(f"{live_server.url}/staff/kpi?from=2026-10-26&to=2026-11-21&period=week")
    assert page.locator("svg.chart rect.bar").count() == 4
