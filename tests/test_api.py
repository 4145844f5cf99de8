"""The contract's endpoints: ask, feedback, KPI, health, and every client error."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import create_app
from bot.db import Question, get_db
from helpers import ask


def test_ask_answers_from_the_corpus_with_sources_and_department(client):
    response = ask(client, "スマホの使い方を教えてもらえる場所はありますか？", ward="台東区")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"id", "resolved", "answer", "sources", "department", "suggestions"}
    assert body["resolved"] is True
    assert "スマートフォン" in body["answer"]
    assert len(body["answer"]) <= 600
    assert body["sources"][0]["ward"] == "台東区"
    assert {"ward", "document", "section", "title", "url", "score"} <= set(body["sources"][0])


def test_ask_abstains_with_a_fallback_when_the_corpus_has_no_answer(client):
    body = ask(client, "粗大ごみを出したいんですが、申し込みはどうすればいいですか？", ward="台東区").get_json()
    assert body["resolved"] is False
    assert body["sources"] == []
    assert "台東区役所" in body["answer"]


def test_ask_about_another_municipality_is_told_whose_documents_these_are(client):
    body = ask(client, "世田谷区のDX推進計画の期間はいつまで？").get_json()
    assert body["resolved"] is False and body["sources"] == []
    assert "世田谷区にお問い合わせください" in body["answer"]


def test_small_talk_is_answered_but_not_counted(client):
    body = ask(client, "こんにちは").get_json()
    assert body["resolved"] is True
    assert body["suggestions"]
    assert client.get("/api/kpi").get_json()["total"] == 0


def test_every_question_is_logged_once_with_personal_data_masked(app, client):
    body = ask(client, "電話 03-1234-5678 かメール taro@example.jp に、マイナンバーカードの件で連絡ください", ward="大田区").get_json()
    with app.app_context():
        rows = get_db().scalars(select(Question)).all()
    assert [r.id for r in rows] == [body["id"]]
    assert "03-1234-5678" not in rows[0].text and "taro@example.jp" not in rows[0].text
    assert "[電話番号]" in rows[0].text and "[メールアドレス]" in rows[0].text
    assert rows[0].channel == "api" and rows[0].ward == "大田区"
    # The row is one plain INSERT: the columns' defaults still fill what the ask does not say.
    assert rows[0].status == "new" and rows[0].asked_at is not None and rows[0].small_talk is False
    assert rows[0].helpful is None and rows[0].resolved == body["resolved"]


def test_a_question_asked_again_is_answered_from_the_workers_recent_asks_and_logged_again(app, client, monkeypatch):
    from index.staff import StaffAnswerer

    answered = []
    answer = StaffAnswerer.answer

    def counted(self, question, ward=None):
        answered.append((question, ward))
        return answer(self, question, ward)

    monkeypatch.setattr(StaffAnswerer, "answer", counted)
    question = "電話 03-1234-5678 まで、マイナンバーカードの交付について連絡ください"
    first = ask(client, question, ward="台東区").get_json()
    again = ask(client, question, ward="台東区").get_json()
    elsewhere = ask(client, question, ward="大田区").get_json()
    assert answered == [(question, "台東区"), (question, "大田区")]  # the ward is part of what is asked
    assert {k: v for k, v in again.items() if k != "id"} == {k: v for k, v in first.items() if k != "id"}
    with app.app_context():
        rows = get_db().scalars(select(Question).order_by(Question.asked_at)).all()
    assert [r.id for r in rows] == [first["id"], again["id"], elsewhere["id"]]  # every ask is logged, each its own row
    assert rows[0].text == rows[1].text and "[電話番号]" in rows[1].text
    # What is kept holds no resident's words: only digests of the questions, the answers and the masked texts.
    recent = app.extensions["ward_faq.recent_asks"]
    assert "03-1234-5678" not in repr(recent._asks) and question not in repr(recent._asks)


def test_a_staff_change_empties_the_recent_asks(app, client):
    from bot.db import FaqEntry, bump_index_revision

    question = "犬の登録はどこでできますか"
    assert ask(client, question, ward="台東区").get_json()["resolved"] is False
    with app.app_context():
        db = get_db()
        db.add(FaqEntry(ward="台東区", question=question, answer="保健所の窓口で登録できます。", department="生活衛生課"))
        bump_index_revision(db)
        db.commit()
    body = ask(client, question, ward="台東区").get_json()
    assert body["resolved"] is True and body["answer"] == "保健所の窓口で登録できます。"


def test_feedback_marks_an_answer_unresolved(client):
    asked = ask(client, "大田区の情報化の計画の進行管理は誰がするのですか", ward="大田区").get_json()
    assert asked["resolved"] is True
    assert client.get("/api/kpi").get_json()["unresolved"] == 0
    assert client.post("/api/feedback", json={"id": asked["id"], "helpful": False}).status_code == 200
    assert client.get("/api/kpi").get_json() | {"by_day": None} == {
        "total": 1, "unresolved": 1, "unresolved_rate": 1.0, "by_day": None
    }


def test_feedback_errors(client):
    assert client.post("/api/feedback", json={"id": "nope", "helpful": True}).status_code == 404
    assert client.post("/api/feedback", json={"id": "x", "helpful": "no"}).status_code == 400
    assert client.post("/api/feedback", json={"helpful": True}).status_code == 400
    assert client.post("/api/feedback", data="{", content_type="application/json").status_code == 400
    assert client.post("/api/feedback", data='{"id": "x", "helpful": true}', content_type="text/plain").status_code == 400
    assert client.post("/api/feedback", data="[" * 15_000, content_type="application/json").status_code == 400


def ask_from(client, address):
    return client.post("/api/ask", json={"question": "こんにちは"}, headers={"X-Forwarded-For": address})


def error_of(response, status):
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]["code"]


def test_ask_rejects_bad_input_with_the_contract_errors_and_logs_nothing(app, client):
    error_of(ask(client, ""), 400)
    error_of(ask(client, "   "), 400)
    error_of(ask(client, "あ" * 501), 400)
    assert ask(client, "あ" * 500).status_code == 200  # the limit itself is allowed
    error_of(client.post("/api/ask", data="not json", content_type="application/json"), 400)
    error_of(client.post("/api/ask", data=b"{\"question\": \"\xff\xfe\"}", content_type="application/json"), 400)
    error_of(client.post("/api/ask", json=["a list"]), 400)
    error_of(client.post("/api/ask", data="[" * 15_000, content_type="application/json"), 400)
    error_of(ask(client, 123), 400)
    error_of(ask(client, None), 400)
    error_of(client.post("/api/ask", json={}), 400)
    error_of(ask(client, "質問", ward="新宿区"), 400)
    error_of(ask(client, "質問", ward=["台東区"]), 400)
    error_of(ask(client, "質問", session="x" * 101), 400)
    error_of(ask(client, "質問", session=5), 400)
    error_of(client.post("/api/ask", data=json.dumps({"question": "あ" * 17_000}), content_type="application/json"), 413)
    error_of(client.post("/api/ask", data="question=hi", content_type="application/x-www-form-urlencoded"), 415)
    error_of(client.post("/api/ask", data="{}"), 415)
    with app.app_context():
        assert len(get_db().scalars(select(Question)).all()) == 1


def test_rate_limit_answers_429(app, client):
    app.config["RATE_LIMIT_PER_MINUTE"] = 2
    assert ask(client, "こんにちは").status_code == 200
    assert ask(client, "こんにちは").status_code == 200
    error_of(ask(client, "こんにちは"), 429)


def test_behind_a_proxy_the_limit_counts_each_residents_address(app):
    proxied = create_app({**app.config, "PROXY_COUNT": 1, "RATE_LIMIT_PER_MINUTE": 1}).test_client()
    for resident in ("203.0.113.1", "203.0.113.2"):
        assert ask_from(proxied, resident).status_code == 200
    error_of(ask_from(proxied, "203.0.113.1"), 429)


def test_without_a_proxy_a_forwarded_address_is_not_believed(app, client):
    app.config["RATE_LIMIT_PER_MINUTE"] = 1
    assert ask_from(client, "203.0.113.1").status_code == 200
    error_of(ask_from(client, "203.0.113.2"), 429)  # anyone could write that header


def test_ward_named_in_the_question_is_honoured(client):
    body = ask(client, "大田区の情報化推進計画の進行管理は誰がしますか").get_json()
    assert body["resolved"] is True
    assert body["sources"][0]["ward"] == "大田区"


def test_kpi_validates_its_query(client):
    error_of(client.get("/api/kpi?from=2026-13-01"), 400)
    error_of(client.get("/api/kpi?from=20261101"), 400)
    error_of(client.get("/api/kpi?ward=新宿区"), 400)
    error_of(client.get("/api/kpi?channel=fax"), 400)
    error_of(client.get("/api/kpi?from=2026-11-02&to=2026-11-01"), 400)
    error_of(client.get("/api/kpi?from=0001-01-01"), 400)  # its Tokyo midnight is before the first UTC date
    error_of(client.get("/api/kpi?to=9999-12-31"), 400)  # the day after it is past the last date
    assert client.get("/api/kpi?from=1970-01-01&to=9998-12-31").status_code == 200
    assert client.get("/api/kpi?from=2026-11-01&to=2026-11-30&ward=台東区&channel=web").status_code == 200


def test_healthz_and_readyz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["units"] > 100
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_wrong_method_and_unknown_path_under_api_answer_json(client):
    assert error_of(client.get("/api/ask"), 405) == "method_not_allowed"
    assert error_of(client.get("/api/nope"), 404) == "not_found"
    assert error_of(client.delete("/api/kpi"), 405) == "method_not_allowed"


def test_unknown_path_outside_api_is_not_answered_as_json(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_setting_that_is_not_a_number_stops_the_start_with_one_line(monkeypatch):
    monkeypatch.setenv("WARD_FAQ_RATE_LIMIT_PER_MINUTE", "abc")
    with pytest.raises(SystemExit, match="WARD_FAQ_RATE_LIMIT_PER_MINUTE must be a number, not 'abc'"):
        create_app({"TESTING": True})
