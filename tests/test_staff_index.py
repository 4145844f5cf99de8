"""The staff index (no Flask): entries ranked with synonyms, no hijacks, staff answers before the corpus."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import corpus_retriever
from index.analysis import Analyzer
from index.answering import Answerer
from index.build import build_answerer
from index.corpus import DEFAULT_CORPUS_DIR
from index.vectors import DIMENSIONS, WordVectors
from index.staff import (FAQ_DOCUMENT, Background, StaffAnswerer, StaffEntry, StaffIndex, StaffParams, compound_parts, confident,
                         decision_values, faq_unit, outweighs)

# A topic's first row across the wording sets (staff_wordings.jsonl first): later sets repeat common topics in
# other words, and the cases below were written against the first.
TOPICS: dict[str, dict] = {}
for path in sorted((Path(__file__).parent / "data").glob("staff_wordings*.jsonl")):
    for row in map(json.loads, path.read_text("utf-8").splitlines()):
        TOPICS.setdefault(row["topic"], row)


@pytest.fixture(scope="module")
def corpus() -> Answerer:
    """Return the corpus answerer, built without Flask."""
    return build_answerer(retriever=corpus_retriever())


# Vectors that know no word: what the kind and synonym files find is shown apart from words near in meaning.
NO_VECTORS = WordVectors([], np.zeros(0, dtype=np.uint16), np.zeros((0, DIMENSIONS), dtype=np.float32))


def entry(number: int, topic: str, *more_wordings: str) -> StaffEntry:
    """Publish a topic of the wording set from its first wording, as staff would."""
    row = TOPICS[topic]
    unit = faq_unit(number, row["ward"], row["wordings"][0], row["answer"], row["department"])
    return StaffEntry(unit, (row["wordings"][0], *more_wordings))


def answerer(corpus: Answerer, *entries: StaffEntry) -> StaffAnswerer:
    index = StaffIndex(list(entries), corpus.retriever.analyzer, Background.of(corpus.retriever))
    return StaffAnswerer(corpus, index)


def test_residents_everyday_words_find_the_entry_in_the_documents_words(corpus):
    bot = answerer(corpus, entry(1, "婚姻届の提出"), entry(2, "離婚届"), entry(3, "出生届"), entry(4, "区営住宅の申込"),
                   entry(5, "介護認定の申請"), entry(6, "国民健康保険の加入"))
    for question, expected in [
        ("結婚届ってどこに出せばいいの", "faq-1"),
        ("休みの日に結婚届を出したい", "faq-1"),
        ("入籍したい日が日曜なんだけど区役所あいてる？", "faq-1"),
        ("こくほ入るのに何がいる？", "faq-6"),
        ("公営住宅に入りたい 募集はいつ？", "faq-4"),
        ("要介護認定を申請したい", "faq-5"),
    ]:
        answer = bot.answer(question, "台東区")
        assert answer.resolved and answer.hits[0].unit.id == expected, question
        assert answer.hits[0].unit.document == FAQ_DOCUMENT


def test_a_shared_word_never_hands_one_topic_anothers_entry(corpus):
    dog = entry(1, "犬の登録")
    bot = answerer(corpus, dog, entry(2, "粗大ごみの出し方"))
    assert bot.answer("犬の登録はどうすればいいですか", "台東区").hits[0].unit.id == "faq-1"
    for question in ("ハンコの登録ってどうやるの？", "実印を登録したい", "印鑑登録をしたいです"):
        match = bot.staff_match(question, "台東区")
        assert match.best is not None and match.best.entry is dog  # it is the nearest entry …
        assert not match.confident and not match.sure, question  # … and still not an answer
        answer = bot.answer(question, "台東区")
        assert not answer.hits or answer.hits[0].unit.id != "faq-1"  # whatever the documents say, never the dog's
    # Once the seal's own entry is published, the same wording finds it.
    with_seal = answerer(corpus, dog, entry(2, "粗大ごみの出し方"), entry(3, "印鑑登録"))
    assert with_seal.answer("ハンコの登録ってどうやるの？", "台東区").hits[0].unit.id == "faq-3"


def test_a_thing_named_finds_the_entry_for_its_kind_and_a_near_kind_keeps_its_own(corpus):
    entries = [entry(1, "粗大ごみの出し方"), entry(2, "資源ごみの収集日"), entry(3, "犬の登録")]
    bot = answerer(corpus, *entries)
    without_kinds = StaffIndex(entries, Analyzer(DEFAULT_CORPUS_DIR / "synonyms.txt"), Background.of(corpus.retriever),
                               vectors=NO_VECTORS)
    for question in ("使わなくなった本棚を処分したい", "ベッドとマットレスを捨てたいです"):
        match = bot.staff_match(question, "台東区")
        assert match.best is not None and match.best.entry.unit.id == "faq-1", question  # 本棚, ベッド: 粗大ごみ
        words = corpus.query(question, "台東区").words
        assert all(hit.entry.unit.id != "faq-1" for hit in without_kinds.rank(question, words, "台東区"))
    # テレビ is a 家電 too, and the appliance entry names it: it keeps the question.
    both = answerer(corpus, entry(1, "粗大ごみの出し方"), entry(2, "家電リサイクル（テレビ・冷蔵庫等の処分）"))
    assert both.staff_match("古いテレビを捨てたい", "台東区").best.entry.unit.id == "faq-2"


def test_a_word_spelt_in_hiragana_is_matched_by_reading_not_by_the_pieces_sudachi_cuts_it_into(corpus):
    bot = answerer(corpus, entry(1, "葬祭費の支給"), entry(2, "補聴器購入費の助成"))
    question = "そうさいひ いつまで もらえる"  # Sudachi leaves a lone さ, which 補聴器's answer holds as a word
    hits = bot.staff_match(question, "台東区").hits
    assert hits[0].entry.unit.id == "faq-1"
    assert all(hit.features["coverage"] == 0 for hit in hits[1:])


def test_residents_words_for_a_service_find_the_entry_in_the_words_staff_answer_with(corpus):
    topics = ["防災マップと避難所の確認", "騒音の苦情", "ペットボトルの出し方", "印鑑登録証の紛失", "印鑑登録",
              "家具転倒防止器具の支給", "DV相談", "資源ごみの収集日", "死亡届", "犬の登録"]
    entries = [entry(number, topic) for number, topic in enumerate(topics, start=1)]
    bot = answerer(corpus, *entries)
    without_kinds = StaffIndex(entries, Analyzer(DEFAULT_CORPUS_DIR / "synonyms.txt"), Background.of(corpus.retriever),
                               vectors=NO_VECTORS)
    for question, expected in [
        ("地震のとき逃げる場所しりたい", "防災マップと避難所の確認"),  # 逃げる: 避難
        ("飲み物のボトルはいつだせばいい", "ペットボトルの出し方"),  # a ペットボトル is a ボトル
        ("彼氏に殴られる。誰にも言えない", "DV相談"),  # 殴る: 暴力
    ]:
        match = bot.staff_match(question, None)
        assert match.best is not None and match.best.entry.unit.id == f"faq-{topics.index(expected) + 1}", question
        words = corpus.query(question, None).words
        assert [hit.entry.unit.id for hit in without_kinds.rank(question, words, None)][:1] != [match.best.entry.unit.id]
    assert bot.staff_match("近くの工事がうるさくて眠れない", None).best.entry.unit.id == "faq-2"  # うるさい: 騒音
    # The synonym file joins what both sides may say: ハンコのカード is the 印鑑登録証, not the seal's registration.
    assert bot.staff_match("ハンコのカード 財布ごと落とした", None).best.entry.unit.id == "faq-4"


def test_what_befell_a_resident_finds_the_service_a_ward_answers_it_with(corpus):
    topics = ["無料法律相談", "葬祭費の支給", "身体障害者手帳の申請", "児童館の利用", "休日・夜間の急病診療", "死亡届", "犬の登録",
              "婚姻届の提出", "離婚届"]
    entries = [entry(number, topic) for number, topic in enumerate(topics, start=1)]
    bot = answerer(corpus, *entries)
    without_kinds = StaffIndex(entries, Analyzer(DEFAULT_CORPUS_DIR / "synonyms.txt"), Background.of(corpus.retriever),
                               vectors=NO_VECTORS)
    for question, expected in [
        ("母の葬式を出した 区から出るお金", "葬祭費の支給"),  # 葬式: 葬祭, not the 死亡届
        ("耳が遠くなって補聴器", "身体障害者手帳の申請"),  # 補聴器: 障害
        ("夜中に子どもが発熱した", "休日・夜間の急病診療"),  # 発熱: 急病
        ("迷い犬を保護した", "犬の登録"),  # 迷い犬: 犬
        ("夫と別れることになった 届けは", "離婚届"),  # 別れる: 離婚, not the 婚姻届
    ]:
        match = bot.staff_match(question, None)
        assert match.best is not None and match.best.entry.unit.id == f"faq-{topics.index(expected) + 1}", question
        words = corpus.query(question, None).words
        assert [hit.entry.unit.id for hit in without_kinds.rank(question, words, None)][:1] != [match.best.entry.unit.id]


def test_residents_short_words_for_the_card_and_its_pin_find_its_entry(corpus):
    topics = ["マイナンバーカードの暗証番号を忘れた・ロックされた", "住民票のコンビニ交付", "国民健康保険の加入"]
    bot = answerer(corpus, *(entry(number, topic) for number, topic in enumerate(topics, start=1)))
    match = bot.staff_match("マイナ パスワード わすれた", "台東区")  # パスワード: the card's 暗証番号
    assert match.best is not None and match.best.entry.unit.id == "faq-1"
    # マイナ is not a synonym of the card: Sudachi cuts マイナポータル and マイナ保険証 into マイナ and the rest.
    assert "カード" not in {w.form for w in corpus.query("マイナポータルで申請", None).words}


def test_a_verb_finds_the_entry_that_names_its_act_as_a_noun(corpus):
    garden = StaffEntry(faq_unit(1, "台東区", "区民農園の貸し出し", "区民農園の貸し出しは毎年2月に抽選で決めます。", "公園課"),
                        ("区民農園の貸し出し",))
    tour = StaffEntry(faq_unit(2, "台東区", "区民農園の見学", "区民農園は毎週土曜に見学できます。", "公園課"), ("区民農園の見学",))
    bot = answerer(corpus, garden, tour)
    match = bot.staff_match("区民農園を貸し出してもらいたい", "台東区")
    assert match.best.entry.unit.id == "faq-1"
    assert match.best.features["field_coverage"] == 1.0  # 貸し出す: 貸し出し


def test_a_compound_meets_the_words_it_is_made_of_however_sudachi_cuts_it(corpus):
    assert compound_parts("出生届") == ("出生", "届け", "届ける")
    assert compound_parts("期日前") == ("期日",)  # 前 only frames a question
    assert compound_parts("投票") == ()
    bot = answerer(corpus, entry(1, "期日前投票"), entry(2, "出生届"), entry(3, "死亡届"))
    # The entry's 期日前 is one word; asked alone, 期日前 is 期日 and 前.
    assert bot.staff_match("期日前　場所", None).best.entry.unit.id == "faq-1"
    # 「届け」 is what 出生届 and 死亡届 are made of: the baby's own words find the birth entry.
    match = bot.staff_match("赤ちゃんが生まれたので届けを出したい", None)
    assert match.best.entry.unit.id == "faq-2" and match.best.features["unmatched"] == 0.0


def test_a_word_spelt_in_hiragana_is_spelled_as_the_entries_write_it(corpus):
    bot = answerer(corpus, entry(1, "ヘルプマークの配布"), entry(2, "区の施設の駐車場"), entry(3, "騒音の苦情"),
                   entry(4, "DV相談"), entry(5, "区民プールの利用"))
    # The documents never name ヘルプマーク: only the entries' own words spell it.
    typed = corpus.query("へるぷまーく", None).words
    assert not {"ヘルプ", "マーク"} & {w.form for w in typed}  # Sudachi's pieces (経る …)
    assert {w.form for w in bot.staff.spelled("へるぷまーく", typed)} == {"ヘルプ", "マーク"}
    # A word of the kinds file is spelled for every question: 水泳, which a プール's entry holds by its kind.
    assert "水泳" in {w.form for w in corpus.query("すいえい 夜も入れる？", None).words}
    for question, expected in [
        ("へるぷまーく 区役所でくれる？", "faq-1"),  # not the parking entry, whose wording says 区役所
        ("そうおん 相談 窓口", "faq-3"),  # not the DV entry, whose answer says 相談窓口
        ("すいえい 夜も入れる？", "faq-5"),
    ]:
        assert bot.staff_match(question, None).best.entry.unit.id == expected, question


def test_where_the_documents_answer_only_a_sure_entry_takes_the_question(corpus):
    bot = answerer(corpus, entry(1, "保育園の入園申込"), entry(2, "国民健康保険の加入"))
    question = "保育園の入園の選考をAIでやるようになるって聞いたんですけど本当？"  # the plans say so
    match = bot.staff_match(question, "台東区")
    assert match.best.entry.unit.id == "faq-1" and match.confident and not match.sure
    assert bot.answer(question, "台東区") == corpus.answer(question, "台東区")
    assert corpus.answer(question, "台東区").resolved
    # Where the documents say nothing, an entry not sure enough to take the corpus's question answers.
    question = "会社を辞めたら国民健康保険はどうなる"
    assert not corpus.answer(question, "台東区").resolved
    match = bot.staff_match(question, "台東区")
    assert match.confident and not match.sure
    assert bot.answer(question, "台東区").hits[0].unit.id == "faq-2"


def test_an_entry_answers_over_the_documents_only_when_far_surer_than_they_are_of_their_passage():
    params = StaffParams(lead_over_corpus=0.2)
    assert outweighs(params, 0.9, 0.6)  # a passage the documents barely chose
    assert not outweighs(params, 0.9, 0.8)  # one they are nearly as sure of keeps the question
    assert not outweighs(StaffParams(lead_over_corpus=1.0), 1.0, 0.0)  # a lead of 1 never outweighs them


def test_an_entry_ahead_of_its_sibling_by_a_little_answers_when_it_holds_the_question(corpus):
    # 加入 and 脱退 share 国民健康保険 and differ by the act asked: the entry that holds the question's words answers
    # a couple of points ahead of its sibling, where a bare margin over the runner-up (3.75) refused it.
    bot = answerer(corpus, entry(1, "国民健康保険の加入"), entry(2, "国民健康保険の脱退"), entry(3, "国民健康保険料の支払い"))
    question = "国保 やめる 手続き"
    match = bot.staff_match(question, "台東区")
    assert match.best.entry.unit.id == "faq-2" and match.best.score - match.hits[1].score < 3.0
    answer = bot.answer(question, "台東区")
    assert answer.resolved and answer.hits[0].unit.id == "faq-2"


def test_the_decision_weighs_the_best_entry_against_the_runner_up():
    best = {"field_coverage": 0.9, "wording_coverage": 0.8, "heaviest": 1.0, "meaning": 0.7}
    values = decision_values([6.0, 4.5], [best, {"field_coverage": 0.4, "wording_coverage": 0.5, "heaviest": 1.0, "meaning": 0.5}])
    assert values["margin"] == 1.5 and values["relative_margin"] == 0.25
    assert values["coverage_lead"] == pytest.approx(0.5) and values["wording_lead"] == pytest.approx(0.3)
    assert values["meaning_lead"] == pytest.approx(0.2)
    assert values["runner_heaviest"] == 1.0 and values["alone"] == 0.0
    alone = decision_values([6.0], [best])  # no other entry shares a word: the margin is the whole score
    assert alone["margin"] == 6.0 and alone["alone"] == 1.0 and alone["coverage_lead"] == 0.9
    assert alone["meaning_lead"] == 0.7


def test_where_the_documents_abstain_a_sure_entry_answers_unless_a_heavy_word_is_missing():
    params = StaffParams(min_confidence=0.5, max_unmatched=0.35)
    assert confident(params, 0.6, {"unmatched": 0.2})
    assert not confident(params, 0.4, {"unmatched": 0.2})  # not sure enough
    assert not confident(params, 0.99, {"unmatched": 0.5})  # ハンコ missing from the dog's entry, however sure
    # The fit decides every question at once by the same rule.
    many = confident(params, np.array([0.6, 0.4, 0.99]), {"unmatched": np.array([0.2, 0.2, 0.5])})
    assert many.tolist() == [True, False, False]


def test_an_entry_answers_only_its_own_ward(corpus):
    bot = answerer(corpus, entry(1, "犬の登録"))
    assert bot.answer("犬の登録はどうすればいいですか", "台東区").resolved
    assert not bot.answer("犬の登録はどうすればいいですか", "大田区").resolved
    assert bot.answer("犬の登録はどうすればいいですか").resolved  # no ward named: every ward's entries


def test_a_wording_staff_answered_wins_over_the_corpus_answer_it_corrects(corpus):
    question = "住民票の写しを取るにはどうすればいいですか"
    before = corpus.answer(question, "台東区")
    assert before.resolved and before.hits[0].unit.kind != "faq"  # the documents "answer" it, wrongly
    bot = answerer(corpus, entry(1, "住民票の写しの取得", question))
    after = bot.answer(question, "台東区")
    assert after.resolved and after.hits[0].unit.id == "faq-1"
    assert after.text == TOPICS["住民票の写しの取得"]["answer"]


def test_a_wording_linked_to_a_corpus_unit_answers_with_that_unit(corpus):
    unit = next(u for u in corpus.retriever.units if u.id == "000-qa-04")  # 台東区's comment on free seating
    wording = "固定の机をなくしたら書類はどこに置くのですか"
    assert not corpus.answer(wording, unit.ward).resolved
    bot = answerer(corpus, StaffEntry(unit, (wording,)))
    answer = bot.answer(wording, unit.ward)
    assert answer.resolved and answer.hits[0].unit.id == unit.id
    assert "鍵付きの書棚に保管" in answer.text and answer.hits[0].unit.document == unit.document


def faq(number: int, question: str, answer: str) -> StaffEntry:
    """Publish an entry staff wrote for a question."""
    return StaffEntry(faq_unit(number, "台東区", question, answer, "生活環境課"), (question,))


def test_a_question_that_shares_no_word_with_its_entry_finds_it_by_words_near_in_meaning(corpus):
    noise = faq(1, "飲食店の騒音について相談したい", "飲食店からの大きな音や振動の相談は、生活環境課で受け付けています。")
    dog = faq(2, "犬の登録をしたい", "生後91日以上の犬を飼い始めたら、30日以内に保健所で登録してください。")
    bulky = faq(3, "粗大ごみの出し方", "粗大ごみは、粗大ごみ受付センターに電話かインターネットで申し込んでください。")
    index = StaffIndex([noise, dog, bulky], corpus.retriever.analyzer, Background.of(corpus.retriever))
    query = corpus.query("近所の居酒屋が夜中まで騒がしい", "台東区")
    hits = index.rank("近所の居酒屋が夜中まで騒がしい", query.words, "台東区")
    assert hits and hits[0].entry is noise  # 居酒屋 is near 飲食店, 騒がしい near 騒音
    assert hits[0].features["near_coverage"] > hits[0].features["coverage"]
    assert hits[0].features["meaning"] > max((h.features["meaning"] for h in hits[1:]), default=0.0)


def test_words_apart_in_meaning_are_not_near(corpus):
    dog = faq(1, "犬の登録をしたい", "生後91日以上の犬を飼い始めたら、30日以内に保健所で登録してください。")
    index = StaffIndex([dog], corpus.retriever.analyzer, Background.of(corpus.retriever))
    words = corpus.query("ハンコを作りたい", "台東区").words
    near, _ = index.nearness(words, [1.0] * len(words))
    assert words[0].form == "押印"  # ハンコ, as the synonym file reads it
    assert near[0, 0] == 0.0  # 押印 is near neither 犬 nor 登録


def test_an_index_without_entries_reads_no_vectors(corpus):
    assert StaffIndex([], corpus.retriever.analyzer, Background.of(corpus.retriever)).vectors is None


def test_small_talk_and_empty_questions_are_not_staff_matches(corpus):
    bot = answerer(corpus, entry(1, "犬の登録"))
    assert bot.answer("こんにちは", "台東区").small_talk
    assert bot.staff_match("？？？", "台東区").best is None


def test_an_index_without_entries_answers_as_the_corpus_does(corpus):
    bot = answerer(corpus)
    for question in ("スマホが苦手なんですが教えてもらえる場所はありますか", "犬の登録はどうすればいいですか"):
        assert bot.answer(question, "台東区") == corpus.answer(question, "台東区")
