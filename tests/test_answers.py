"""What a question asks for, and answers that give it: slots, table rows, document cards, definitions, もしかして."""
from __future__ import annotations

import pytest

from index.slots import asked_slots, missing_slot


@pytest.mark.parametrize(
    ("question", "given", "not_given"),
    [
        ("何月から始まりますか", "令和7年4月から", "令和7年度から"),
        ("受付は何月何日まで？", "令和8年1月7日（水）まで", "令和8年1月まで"),
        ("電子書籍は何冊ありますか", "電子書籍 3,000冊", "応募：95 件"),
        ("何人が意見を出したの", "提出者数：12名", "意見受付件数 4件"),
        ("どこの部署で導入しているの", "情報システム課で導入", "組織の一部で導入"),
        ("参加費はいくら？", "参加費は無料", "参加者を募集"),
        ("ダウンロード数は何件？", "現況(令和2年度): 9,100", "ダウンロード数を増やす"),
    ],
)
def test_a_slot_is_given_only_by_a_text_of_its_granularity(question, given, not_given):
    slots = asked_slots(question)
    assert slots
    assert missing_slot(slots, given) is None
    assert missing_slot(slots, not_given) is not None


def test_a_question_without_a_detail_asks_no_slot():
    assert asked_slots("スマホの使い方を教えてもらえる場所はありますか") == []


def test_a_topic_found_without_the_detail_asked_is_abstained_naming_the_department(answerer):
    # The plan says the birth registration goes online, with no year or month.
    answer = answerer.answer("出生届のオンライン提出は何年何月から始まるの？", "台東区")
    assert not answer.resolved
    assert "資料には、お尋ねの月の記載がありません" in answer.text
    assert "マイナンバーカードの普及促進" in answer.text  # where the topic is
    assert "情報政策課" in answer.text


def test_the_line_with_the_detail_asked_leads_the_answer(answerer):
    answer = answerer.answer("区の職員さん向けのクラウドの研修って何人くらい受けたの？", "千代田区")
    assert answer.resolved
    assert "224名" in answer.text.splitlines()[0]
