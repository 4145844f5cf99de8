"""The web widget: demo page, script, CORS, and the widget driven in real headless Chromium."""
from __future__ import annotations

import json
import re
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Question
from bot.live_index import get_answerer
from helpers import ask
from servers import ThreadedServer

WIDGET_JS = Path(__file__).resolve().parent.parent / "bot" / "static" / "widget.js"
WARDS_JSON = Path(__file__).resolve().parent.parent / "corpus" / "wards.json"
# The demo page's default ward (台東区) offers that ward's own example questions.
TAITO_EXAMPLES = json.loads(WARDS_JSON.read_text(encoding="utf-8"))["台東区"]["examples"]
# Resolved today from the public-comment units, with a department in charge.
ANSWERED = "区の情報セキュリティ対策はどうなっていますか？"
ABSTAINED = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
XSS = "<img src=x onerror=alert(1)>"
OTHER_SITE = "https://www.city.example.jp"


def questions(app) -> list[Question]:
    """Return every logged question, read with the app's own engine."""
    with Session(app.extensions["ward_faq.engine"]) as db:
        return db.scalars(select(Question).order_by(Question.asked_at)).all()


# --- Plain HTTP ---------------------------------------------------------------------------


def test_demo_page_embeds_the_widget_for_the_chosen_ward(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<script src="/widget.js" data-ward="台東区" defer></script>' in html
    assert 'data-ward="大田区"' in client.get("/?ward=大田区").get_data(as_text=True)
    assert 'data-ward="台東区"' in client.get("/?ward=<b>").get_data(as_text=True)


def test_widget_script_is_javascript_cached_and_dependency_free(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in response.headers
    source = response.get_data(as_text=True)
    # Data reaches the page as text only, and nothing is fetched from anywhere but the bot's host.
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source
    assert not re.search(r"https?://(?!BOT-HOST)", source.replace("http://www.w3.org/2000/svg", ""))
    assert len(source.encode()) < 20_000


def test_widget_tables_match_the_service():
    source = WIDGET_JS.read_text(encoding="utf-8")
    for ward, info in json.loads(WARDS_JSON.read_text(encoding="utf-8")).items():
        examples = json.dumps(info["examples"], ensure_ascii=False).replace('","', '", "')
        assert f'"{ward}": ["{info["inquiries"]}", "{info["department"]}", {examples}]' in source


def test_same_origin_and_plain_clients_need_no_cors(app, client):
    assert ask(client, ANSWERED, "台東区").status_code == 200
    same = ask(client, ANSWERED, "台東区", headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert "Access-Control-Allow-Origin" not in same.headers


def test_other_origins_are_refused_before_anything_is_logged(app, client):
    response = ask(client, ANSWERED, "台東区", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin_not_allowed"
    assert not any(name.startswith("Access-Control-") for name in response.headers.keys())
    preflight = client.options("/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    feedback = client.post("/api/feedback", json={"id": "x", "helpful": True}, headers={"Origin": "null"})
    assert feedback.status_code == 403
    assert questions(app) == []


def test_allowed_origins_get_cors_headers_on_the_widget_endpoints_only(app, client):
    app.config["WIDGET_ALLOWED_ORIGINS"] = f" {OTHER_SITE}/ , https://other.example.jp"
    preflight = client.options(
        "/api/ask",
        headers={
            "Origin": OTHER_SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-ward-faq-channel",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == OTHER_SITE
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Ward-Faq-Channel"
    assert "Origin" in preflight.headers["Vary"]

    answered = ask(client, ANSWERED, "台東区", headers={"Origin": OTHER_SITE, "X-Ward-Faq-Channel": "web"})
    assert answered.status_code == 200
    assert answered.headers["Access-Control-Allow-Origin"] == OTHER_SITE
    assert "Origin" in answered.headers["Vary"]
    assert questions(app)[0].channel == "web"
    # Errors reach the widget too, so it can tell the resident what happened.
    unknown = client.post("/api/feedback", json={"id": "nope", "helpful": True}, headers={"Origin": OTHER_SITE})
    assert unknown.status_code == 404 and unknown.headers["Access-Control-Allow-Origin"] == OTHER_SITE
    # Nothing else is opened to other sites.
    for path in ("/api/kpi", "/healthz", "/widget.js", "/"):
        assert "Access-Control-Allow-Origin" not in client.get(path, headers={"Origin": OTHER_SITE}).headers


# --- In the browser -------------------------------------------------------------------------


class OtherSite(ThreadedServer):
    """A ward's own web server on another origin, serving a page that embeds the widget."""

    def __init__(self, widget_host: str, ward: str = "台東区") -> None:
        html = (
            '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>区のページ</title></head>'
            f'<body><h1>区のページ</h1><script src="{widget_host}/widget.js" data-ward="{ward}" defer></script>'
            "</body></html>"
        ).encode()

        class Page(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args):
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Page))
        self.origin = self.url


def launcher_has_focus(page) -> bool:
    return page.evaluate(
        "() => { const a = document.activeElement;"
        " return a && a.localName === 'ward-faq-widget' && a.shadowRoot.activeElement.classList.contains('launcher'); }"
    )


def tab_to_launcher(page) -> None:
    """Press Tab until the widget's button has the focus, as a keyboard user would."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if launcher_has_focus(page):
            return
    pytest.fail("the widget's button cannot be reached with Tab")


def ask_in_widget(page, question: str) -> None:
    """Open the panel if needed, type a question and send it with Enter."""
    if page.locator(".panel").is_hidden():
        page.locator(".launcher").click()
    page.locator("#question").fill(question)
    page.keyboard.press("Enter")


def answers(page):
    return page.locator(".log .msg.bot")


def wait_until(condition, timeout: float = 5.0):
    """Poll condition until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail("timed out waiting")


def test_keyboard_only_question_answer_source_department_and_feedback(app, live_server, page):
    page.goto(live_server.url + "/")
    tab_to_launcher(page)
    assert page.locator(".launcher").get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.locator(".panel").is_visible()
    assert page.locator(".launcher").get_attribute("aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.id") == "question"
    # The greeting offers the service's examples as buttons.
    assert page.locator(".links button").all_inner_texts() == TAITO_EXAMPLES

    page.keyboard.type(ANSWERED)
    page.keyboard.press("Enter")
    answer = answers(page).nth(1)
    answer.locator(".fb").wait_for()
    with app.app_context():
        best = get_answerer().answer(ANSWERED, "台東区").hits[0].unit  # what the panel must show
    assert "セキュリティ" in answer.inner_text()
    assert f"出典：{best.document}「{best.section}」" in answer.inner_text()
    assert f"担当：{best.department}" in answer.inner_text() and best.ward == "台東区"
    assert page.locator("[role=log][aria-live=polite]").count() == 1
    assert page.locator("#question").input_value() == ""

    answer.get_by_role("button", name="いいえ").click()
    assert "台東区役所（代表 03-5246-1111）にお問い合わせください" in answer.inner_text()
    row = wait_until(lambda: next((q for q in questions(app) if q.helpful is False), None))
    assert row.channel == "web" and row.ward == "台東区" and row.session and row.resolved

    # Escape closes the panel and gives the focus back to the button.
    page.locator("#question").focus()
    page.keyboard.press("Escape")
    assert page.locator(".panel").is_hidden()
    assert launcher_has_focus(page)


def test_suggestions_and_examples_are_asked_when_clicked(live_server, page):
    page.goto(live_server.url + "/")
    page.locator(".launcher").click()
    page.get_by_role("button", name=TAITO_EXAMPLES[0]).click()
    page.locator(".log .msg.user").first.wait_for()
    answers(page).nth(1).wait_for()
    assert page.locator(".log .msg.user").first.inner_text().endswith(TAITO_EXAMPLES[0])
    ask_in_widget(page, ANSWERED)
    suggestion = answers(page).nth(2).locator(".links button").first
    text = suggestion.inner_text()
    suggestion.click()
    answers(page).nth(3).wait_for()
    assert page.locator(".log .msg.user").nth(2).inner_text().endswith(text)


def test_an_abstention_offers_maybe_meant_buttons_that_ask_with_their_origin(app, live_server, page):
    near_miss = "出生届のオンライン提出は何年何月から始まるの？"  # the plan names it, with no month
    page.goto(live_server.url + "/")
    ask_in_widget(page, near_miss)
    offered = answers(page).nth(1).get_by_role("group", name="もしかして、こちらのご質問ですか？")
    offered.wait_for()
    assert answers(page).nth(1).locator(".fb").count() == 0  # an abstention is not rated
    button = offered.locator("button").first
    text = button.inner_text()
    button.click()
    answers(page).nth(2).locator(".fb").wait_for()  # resolved, so it can be rated
    abstained, tapped = wait_until(lambda: len(logged := questions(app)) == 2 and logged)
    assert (abstained.resolved, abstained.suggested_from) == (False, None)
    assert (tapped.resolved, tapped.suggested_from) == (True, abstained.id)
    assert tapped.text == unicodedata.normalize("NFKC", text)


def test_conversation_follows_the_resident_across_pages_and_can_be_cleared(live_server, page):
    page.goto(live_server.url + "/?ward=台東区")
    ask_in_widget(page, ANSWERED)
    answers(page).nth(1).locator(".fb").wait_for()
    page.locator("button", has_text="文字を大きく").click()

    page.goto(live_server.url + "/?ward=台東区#other-page")
    page.reload()
    assert page.locator(".panel").is_visible()
    assert page.locator(".log .msg.user").inner_text().endswith(ANSWERED)
    assert "担当：情報政策課" in answers(page).nth(1).inner_text()
    assert page.locator("button", has_text="文字を大きく").get_attribute("aria-pressed") == "true"

    page.locator("button", has_text="会話を消去").click()
    assert page.locator(".log .msg.user").count() == 0
    assert answers(page).count() == 1  # the greeting
    page.reload()
    assert page.locator(".log .msg.user").count() == 0


def test_a_question_with_markup_is_shown_as_text_and_runs_nothing(live_server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server.url + "/")
    ask_in_widget(page, XSS)
    answers(page).nth(1).wait_for()
    assert page.locator(".log .msg.user p").inner_text() == XSS
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("() => document.querySelector('ward-faq-widget').shadowRoot.querySelectorAll('img').length") == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    page.reload()
    assert page.locator(".log .msg.user p").inner_text() == XSS
    assert dialogs == []


def test_a_site_not_allowed_is_refused_and_an_allowed_one_works(app, live_server, page):
    with OtherSite(live_server.url) as site:
        page.goto(site.origin + "/")
        ask_in_widget(page, ANSWERED)
        error = page.locator(".error")
        error.wait_for()
        assert "つながりませんでした" in error.inner_text()
        assert page.locator("#question").input_value() == ANSWERED
        assert questions(app) == []

        app.config["WIDGET_ALLOWED_ORIGINS"] = site.origin
        page.keyboard.press("Enter")
        answers(page).nth(1).locator(".fb").wait_for()
        assert error.is_hidden()
        assert "担当：情報政策課" in answers(page).nth(1).inner_text()
        assert [q.channel for q in questions(app)] == ["web"]


def test_errors_are_explained_kindly_and_the_question_stays_for_a_retry(app, live_server, page):
    page.clock.install()
    page.goto(live_server.url + "/")
    error = page.locator(".error")

    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    ask_in_widget(page, ANSWERED)
    error.wait_for()
    assert "サーバーにつながりませんでした" in error.inner_text()
    assert page.locator("#question").input_value() == ANSWERED
    assert page.locator(".log .msg.user").count() == 0

    page.unroute("**/api/ask")
    held = []
    page.route("**/api/ask", lambda route: held.append(route))  # the server never answers
    page.locator("#question").press("Enter")  # in the box itself, whatever has the focus
    page.locator(".log .meta", has_text="回答を探しています").wait_for()
    page.clock.run_for(11_000)
    page.locator(".error", has_text="時間がかかっています").wait_for()
    assert page.locator("#question").input_value() == ANSWERED
    # The held request must never reach the server late, where it would count against the rate limit below.
    for route in held:
        route.abort()

    page.unroute("**/api/ask")
    app.config["RATE_LIMIT_PER_MINUTE"] = 1
    page.locator("#question").press("Enter")
    answers(page).nth(1).wait_for()
    assert error.is_hidden()
    ask_in_widget(page, ABSTAINED)
    page.locator(".error", has_text="1分ほど待って").wait_for()
    assert page.locator("#question").input_value() == ABSTAINED

    app.config["RATE_LIMIT_PER_MINUTE"] = 10_000
    page.route("**/api/ask", lambda route: route.fulfill(status=400, json={"error": {"code": "x", "message": "x"}}))
    page.locator("#question").press("Enter")
    page.locator(".error", has_text="500文字以内").wait_for()
    assert page.locator("#question").input_value() == ABSTAINED


@pytest.mark.parametrize("width,height", [(320, 568), (360, 740), (1280, 800)])
def test_the_panel_fits_phones_and_desktops_with_screenshots(browser, live_server, screenshots, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        ask_in_widget(page, ANSWERED)
        answers(page).nth(1).locator(".fb").wait_for()
        box = page.locator(".panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        if width < 480:
            assert box["width"] == width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        # Show the end of the answer with its source, department and the feedback question.
        page.locator(".log").evaluate("log => { log.scrollTop = log.querySelector('.msg:last-child .meta').offsetTop - 150; }")
        if width in (360, 1280):
            page.screenshot(path=str(screenshots / f"widget-{width}.png"))
    finally:
        context.close()


def test_reduced_motion_and_focus_styles(browser, live_server):
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        tab_to_launcher(page)
        outline = page.locator(".launcher").evaluate("b => getComputedStyle(b).outlineStyle")
        assert outline == "solid"
        page.keyboard.press("Enter")
        assert page.locator(".panel").evaluate("p => getComputedStyle(p).animationName") == "none"
        for control in page.locator(".panel button, .panel input").all():
            name = control.evaluate(
                "c => c.getAttribute('aria-label') || (c.labels && c.labels[0] && c.labels[0].textContent) || c.textContent"
            )
            assert name.strip()
    finally:
        context.close()
