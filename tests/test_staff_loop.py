"""The staff loop: one answer closes a group and its later wordings, a preview before publishing, the try box,
entries' records, and feedback that sends an answer back to staff."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.db import FaqEntry, Phrasing, Question, StaffUser, get_db
from bot.staff.auth import hash_password
from helpers import ask_json

PASSWORD = "correct-horse-battery"
SODAI = "粗大ごみを出したいんですが、申し込みはどうすればいいですか？"
SODAI_GROUP = ("粗大ごみの申し込みはどうすればいいですか", "粗大ごみは何時までに出せばいい")
SODAI_ANSWER = "粗大ごみは、台東区粗大ごみ受付センターにインターネットか電話で申し込んでください。"
JUMINHYO = "住民票の写しを取るにはどうすればいいですか"  # the documents "answer" it with a plan to move requests online
JUMINHYO_ANSWER = "住民票の写しは、区民課の窓口か各区民事務所で請求できます。手数料は1通300円です。"


def log_in(app, client, ward: str = "台東区") -> None:
    with app.app_context():
        db = get_db()
        db.add(StaffUser(name="taito", ward=ward, password_hash=hash_password(PASSWORD)))
        db.commit()
    client.get("/staff/login")
    response = client.post("/staff/login", data={"name": "taito", "password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302


def token(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def post(client, url: str, **form):
    return client.post(url, data={"csrf_token": token(client), **form})


def answer_form(ids, question=SODAI, answer=SODAI_ANSWER, **fields) -> dict:
    return {"ids": ids, "question": question, "answer": answer, "department": "清掃事務所", "ward": "台東区"} | fields


def question_row(app, question_id: str) -> Question:
    with app.app_context():
        return get_db().get(Question, question_id)


def test_answering_a_group_records_every_wording_with_the_entry_and_closes_them_all(app, client):
    asked = [ask_json(client, text) for text in (SODAI, *SODAI_GROUP)]
    assert not any(a["resolved"] for a in asked)
    log_in(app, client)
    queue = client.get("/staff/").get_data(as_text=True)
    assert "3件" in queue  # the queue grouped them
    ids = [a["id"] for a in asked]
    assert post(client, "/staff/questions/answer", **answer_form(ids)).status_code == 302
    with app.app_context():
        db = get_db()
        entry = db.scalars(select(FaqEntry)).one()
        wordings = [p.text for p in db.scalars(select(Phrasing).where(Phrasing.unit_id == f"faq-{entry.id}"))]
        assert sorted(wordings) == sorted(SODAI_GROUP)  # the entry's own question is not stored twice
        assert {(q.status, q.status_note) for q in db.scalars(select(Question))} == {("answered", f"faq-{entry.id}")}
    for text in SODAI_GROUP:  # each resident's wording now finds the answer as it is
        again = ask_json(client, text)
        assert again["resolved"] and again["answer"] == SODAI_ANSWER, text


def preview_lists(client, form: dict) -> tuple[str, str]:
    """Ask for a preview and return its two lists' HTML: queued questions it would answer, document answers it would take."""
    page = post(client, "/staff/questions/preview", **form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    would_answer = re.search(r'<ul class="would-answer">(.*?)</ul>', html, re.S)
    takes_over = re.search(r'<ul class="takes-over">(.*?)</ul>', html, re.S)
    return would_answer.group(1) if would_answer else "", takes_over.group(1) if takes_over else ""


def test_the_preview_lists_queued_questions_it_would_answer_and_todays_document_answers_it_would_take(app, client):
    head = ask_json(client, SODAI)
    queued = ask_json(client, "ソファを捨てたい。粗大ゴミの申し込み方法は？")  # another group, the same gap
    unrelated = ask_json(client, "区役所の駐車場は何台とめられますか")
    by_documents = ask_json(client, JUMINHYO)
    other_topic = ask_json(client, "マイナンバーカードでできる手続きは？")
    fee = ask_json(client, "住民票の写しの手数料は？")
    assert not any(a["resolved"] for a in (head, queued, unrelated, fee))
    assert by_documents["resolved"] and other_topic["resolved"]
    log_in(app, client)
    assert queued["id"] not in client.get("/staff/questions/" + head["id"]).get_data(as_text=True)

    would_answer, takes_over = preview_lists(client, answer_form([head["id"]]))
    assert f'name="also_ids" value="{queued["id"]}" checked' in would_answer
    assert unrelated["id"] not in would_answer and head["id"] not in would_answer and fee["id"] not in would_answer
    assert takes_over == ""  # nothing the documents answered today is about 粗大ごみ

    form = answer_form([fee["id"]], question=JUMINHYO, answer=JUMINHYO_ANSWER, department="区民課")
    _, takes_over = preview_lists(client, form)
    assert JUMINHYO in takes_over and "今の回答" in takes_over and by_documents["answer"][:20] in takes_over
    assert "マイナンバーカード" not in takes_over
    with app.app_context():  # a preview changes nothing
        assert get_db().scalars(select(FaqEntry)).all() == []

    # Published with the preview's choice: the queued question is closed with the group, and its wording recorded.
    assert post(client, "/staff/questions/answer", **answer_form([head["id"]]), also_ids=[queued["id"]]).status_code == 302
    assert question_row(app, queued["id"]).status == "answered"
    assert question_row(app, unrelated["id"]).status == "new"
    queued_text = question_row(app, queued["id"]).text
    with app.app_context():
        assert queued_text in [p.text for p in get_db().scalars(select(Phrasing))]


def test_a_preview_with_form_errors_changes_nothing_and_says_why(app, client):
    head = ask_json(client, SODAI)
    log_in(app, client)
    response = post(client, "/staff/questions/preview", **answer_form([head["id"]], answer=""))
    assert response.status_code == 400 and "回答は1〜2000文字" in response.get_data(as_text=True)
    response = post(client, "/staff/questions/answer", **answer_form([head["id"]], also_ids=["no-such-question"]))
    assert response.status_code == 404
    with app.app_context():
        assert get_db().scalars(select(FaqEntry)).all() == []


def publish(app, client, question=SODAI, answer=SODAI_ANSWER) -> int:
    asked = ask_json(client, question)
    assert post(client, "/staff/questions/answer", **answer_form([asked["id"]], question, answer)).status_code == 302
    with app.app_context():
        return get_db().scalars(select(FaqEntry).order_by(FaqEntry.id.desc())).first().id


def test_the_try_box_says_what_the_bot_would_answer_and_how_sure_it_is(app, client):
    log_in(app, client)
    entry_id = publish(app, client)
    page = client.get(f"/staff/faq/{entry_id}/edit", query_string={"try": "粗大ごみの申し込みはどうすればいいですか"})
    html = page.get_data(as_text=True)
    assert 'data-verdict="this"' in html and SODAI_ANSWER in html
    confidence = int(re.search(r"data-confidence>(\d+)%", html).group(1))
    assert 75 <= confidence <= 100
    html = client.get(f"/staff/faq/{entry_id}/edit", query_string={"try": "犬の登録はどうすればいいですか"}).get_data(as_text=True)
    assert 'data-verdict="none"' in html
    html = client.get(f"/staff/faq/{entry_id}/edit", query_string={"try": "マイナカードでできる手続きは？"}).get_data(as_text=True)
    assert 'data-verdict="corpus"' in html
    tried = client.get(f"/staff/faq/{entry_id}/edit", query_string={"try": "<b>タグ</b>"}).get_data(as_text=True)
    assert "&lt;b&gt;タグ&lt;/b&gt;" in tried and "<b>タグ</b>" not in tried


def test_staff_add_and_remove_wordings_and_the_bot_follows_at_once(app, client):
    log_in(app, client)
    entry_id = publish(app, client)
    wording = "使わなくなった大きい物、取りに来てもらえるの？"  # no word of the entry's: only once recorded
    assert not ask_json(client, wording)["resolved"]
    assert post(client, f"/staff/faq/{entry_id}/wordings", text=wording).status_code == 302
    assert post(client, f"/staff/faq/{entry_id}/wordings", text=wording + " ").status_code == 302  # no duplicate
    assert ask_json(client, wording)["answer"] == SODAI_ANSWER
    with app.app_context():
        stored = get_db().scalars(select(Phrasing).where(Phrasing.unit_id == f"faq-{entry_id}")).all()
        assert [p.text for p in stored] == [wording]
        wording_id = stored[0].id
    assert post(client, f"/staff/faq/{entry_id}/wordings", text="").status_code == 400
    assert post(client, f"/staff/faq/{entry_id + 1}/wordings", text=wording).status_code == 404
    assert post(client, f"/staff/faq/{entry_id}/wordings/{wording_id}/delete").status_code == 302
    assert not ask_json(client, wording)["resolved"]
    assert post(client, f"/staff/faq/{entry_id}/wordings/{wording_id}/delete").status_code == 404


def test_entries_show_how_often_they_answered_and_not_helpful_answers_come_back_first(app, client):
    log_in(app, client)
    entry_id = publish(app, client)
    many = [ask_json(client, "区役所の駐車場は何台とめられますか") for _ in range(3)]  # the biggest gap in the queue
    answers = [ask_json(client, SODAI) for _ in range(3)]
    assert all(a["resolved"] for a in answers)
    client.post("/api/feedback", json={"id": answers[0]["id"], "helpful": True})
    client.post("/api/feedback", json={"id": answers[1]["id"], "helpful": False})
    html = client.get(f"/staff/faq/{entry_id}/edit").get_data(as_text=True)
    assert "data-answered>3<" in html and "data-helpful>1<" in html and "data-not-helpful>1<" in html
    listing = client.get("/staff/faq").get_data(as_text=True)
    assert re.search(r'class="num answered">3<', listing) and "1／1" in listing
    queue = client.get("/staff/").get_data(as_text=True)
    cards = re.findall(r'<article class="card" data-question-id="(\w+)"', queue)
    assert cards[0] == answers[1]["id"]  # the staff answer marked not helpful leads, before the bigger gap
    assert many[0]["id"] in cards or many[2]["id"] in cards
    assert f'href="/staff/faq/{entry_id}/edit">FAQ {entry_id}</a>' in queue


def test_a_corpus_answer_marked_not_helpful_reaches_staff_with_the_answer_given(app, client):
    wrong = ask_json(client, JUMINHYO)
    assert wrong["resolved"]
    client.post("/api/feedback", json={"id": wrong["id"], "helpful": False})
    log_in(app, client)
    queue = client.get("/staff/").get_data(as_text=True)
    assert f'data-question-id="{wrong["id"]}"' in queue
    assert "回答したが「役に立たなかった」（資料 " in queue and wrong["answer"][:30] in queue
    form = answer_form([wrong["id"]], question=JUMINHYO, answer=JUMINHYO_ANSWER, department="区民課")
    assert post(client, "/staff/questions/answer", **form).status_code == 302
    assert ask_json(client, JUMINHYO)["answer"] == JUMINHYO_ANSWER
