"""Tokenization, synonyms, ranking, ward scoping, abstention and answer extraction."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from index.analysis import Analyzer, verb_of_noun
from index.answering import COMMENT_LABEL
from index.corpus import DEFAULT_CORPUS_DIR, load_units, with_questions
from index.retriever import Field, Retriever

EVAL = Path(__file__).resolve().parent / "data" / "eval.jsonl"


@pytest.fixture(scope="module")
def analyzer(answerer) -> Analyzer:
    return answerer.retriever.analyzer


def test_content_words_are_normalized_and_grammar_dropped(analyzer):
    forms = [w.form for w in analyzer.analyze("申込みの方法を教えてください")]
    assert forms == ["申し込み"]  # 申込み → 申し込み; の/を/方法/教える/ください are not content


def test_a_numbered_item_is_a_word_beside_its_label(analyzer):
    # Sudachi drops the number: without the item, 目標1 and 目標3 would be the same question.
    assert [w.form for w in analyzer.analyze("目標1は何")] == ["目標", "目標1"]
    assert "取組7" in analyzer.terms("【取り組み7】 「アイデアソン」によるオープンデータ利活用")
    assert "施策3" in analyzer.terms("3つ目の施策")


@pytest.mark.parametrize(
    ("resident", "document"),
    [
        ("スマホ", "スマートフォン"),
        ("マイナカード", "マイナンバーカード"),
        ("パブコメ", "パブリックコメント"),
        ("委託先の業者", "委託事業者"),
        ("停電したら", "電源喪失"),
        ("個人情報が漏れた", "個人情報の漏えい"),
        ("ITを使って", "ICTを活用"),
        ("リモートで働く", "テレワーク"),
        ("Zoomの会議", "Web会議"),
        ("3つの施策に力を入れる", "重点施策"),
        ("駅の電子看板", "デジタルサイネージ"),
        ("GPSで見守る", "位置情報"),
        ("ビデオ通話", "オンライン相談"),
        ("前の調査と比べて", "前回"),
        ("お年寄り", "60歳代以上は67.2%"),
    ],
)
def test_residents_words_reach_the_documents_words(analyzer, resident, document):
    assert set(analyzer.terms(resident)) & set(analyzer.terms(document))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("RPAとは？", "definition"),
        ("AIチャットボットってそもそも何？", "definition"),
        ("5Gって今の4Gと何が違うの？", "definition"),
        ("フィッシング詐欺ってどういう手口なの", "definition"),
        ("担当の課はどこ？", "department"),
        ("いつから始まりますか", "when"),
        ("何人が意見を出したの？", "count"),
        ("コンビニで住民票を取ると手数料はいくら？", "money"),
        ("窓口は平日何時まで開いてる？", "hours"),
        ("担当課の電話番号を教えてください", "phone"),
        ("キャッシュレスの割合をどれくらいまで増やすの？", "target"),
    ],
)
def test_what_kind_of_answer_a_question_wants(answerer, question, kind):
    assert kind in answerer.query(question, None).answer_types


def test_how_many_hours_is_a_count_not_opening_hours(answerer):
    wanted = answerer.query("AIで職員の作業は何時間減ったの？", None).answer_types
    assert "count" in wanted and "hours" not in wanted


def test_who_asks_and_how_they_feel_is_not_the_topic(analyzer):
    forms = [w.form for w in analyzer.analyze("一人暮らしの母が心配です。見守りの仕組みはありますか")]
    assert forms == ["一人", "暮らし", "見守る", "仕組み"]


def test_a_question_asking_for_a_figure_the_documents_lack_is_abstained(answerer):
    answer = answerer.answer("コンビニで住民票の写しを取ると手数料はいくらかかりますか？", "台東区")
    assert not answer.resolved  # コンビニ交付 is described, its fee is not


def test_a_phone_number_written_with_brackets_answers_a_phone_question(answerer):
    answer = answerer.answer("情報化推進計画について電話で問い合わせたいです。担当課と電話番号を教えてください。", "台東区")
    assert answer.resolved and "03(5246)9022" in answer.text


def test_a_plan_named_in_the_question_is_found_within_the_ward(answerer):
    assert answerer.query("情報化推進計画の期間は？", "台東区").documents == {"002"}
    assert answerer.query("情報化推進計画の期間は？", "大田区").documents == {"004"}
    assert answerer.query("DX推進計画の期間は？", "台東区").documents == {"000", "001"}
    assert answerer.query("計画の期間は？", "台東区").documents == frozenset()


def test_the_questions_file_names_only_units_of_the_corpus_and_gives_most_of_them_questions():
    listed = json.loads((DEFAULT_CORPUS_DIR / "questions.json").read_text(encoding="utf-8"))
    units = load_units(DEFAULT_CORPUS_DIR)
    assert set(listed) <= {u.id for u in units}
    assert sum(1 for u in units if u.asked) >= 0.9 * len(units)


def test_a_questions_file_naming_an_unknown_unit_is_refused(tmp_path):
    questions = tmp_path / "questions.json"
    questions.write_text(json.dumps({"999-p-0001": ["どこの話？"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="999-p-0001"):
        with_questions(load_units(DEFAULT_CORPUS_DIR), questions)


def test_the_questions_listed_for_a_unit_find_it_in_residents_words(answerer):
    listed = [u for u in answerer.retriever.units if u.doc_id == "004"]
    plain = [replace(u, asked=()) for u in listed]
    documents = list(answerer.retriever.documents.values())
    analyzer = answerer.retriever.analyzer
    # 004-qa-06 explains 基幹系システム; a resident does not know the word.
    query = answerer.query("住民票や税金を扱う役所のメインのコンピューターって何て呼ぶの？", "大田区")
    assert Retriever(plain, documents, analyzer).search(query)[0].unit.id != "004-qa-06"
    assert Retriever(listed, documents, analyzer).search(query)[0].unit.id == "004-qa-06"


def test_sudachi_synonym_groups_join_words_without_a_synonym_file():
    plain = Analyzer()  # no staff synonym file: only Sudachi's own groups
    assert set(plain.terms("ホームページ")) & set(plain.terms("ウェブサイト"))


def test_staff_synonym_file_is_read_without_code_changes(tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("# comment\n図書館, ライブラリー\n", encoding="utf-8")
    assert "図書館" in Analyzer(synonyms).terms("ライブラリーの本")
    assert "図書館" not in Analyzer().terms("ライブラリーの本")


def test_a_synonym_rewritten_keeps_its_own_sudachi_groups(tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("オンライン, ネット\nマイナンバーカード, マイナカード\n", encoding="utf-8")
    listed = Analyzer(synonyms)
    # ネット is written オンライン and still matches インターネット, as Sudachi groups ネット with it.
    assert "オンライン" in listed.terms("ネット") and set(listed.terms("ネット")) & set(listed.terms("インターネット"))
    # A variant of several words keeps none of their groups: マイナ + カード is the document's words alone.
    assert listed.terms("マイナカード") == listed.terms("マイナンバーカード")


def test_residents_short_word_for_the_health_insurance_premium_is_the_documents_word():
    # Sudachi keeps 国保料 one unknown word, which matched nothing; the documents and staff write 国民健康保険料.
    shipped = Analyzer(DEFAULT_CORPUS_DIR / "synonyms.txt")
    assert shipped.terms("国保料の払い方") == shipped.terms("国民健康保険料の払い方")


def test_how_much_frames_a_question_and_names_no_topic():
    # No document writes いくら: an unknown word, it weighed the most of a question's words (住民票 いくら) and kept
    # the staff entry that holds the rest from answering. The price asked is read from the question's text.
    assert [w.form for w in Analyzer().analyze("住民票 ほしい いくら")] == ["住民票"]


def test_politeness_and_when_it_befell_frame_a_residents_story():
    # Unknown to the documents, each weighed as much as the story's topic and was a word no entry held.
    forms = [w.form for w in Analyzer().analyze("先週引っ越してきました。転入の届けはどちらで申せばよろしいでしょうか")]
    assert not {"先週", "申す", "宜しい"} & set(forms) and "転入" in forms


def test_an_acronym_spaced_out_letter_by_letter_is_one_word():
    analyzer = Analyzer()
    # A document made from a PDF writes 生成A I; residents type 生成AI.
    assert analyzer.terms("生成A I の利用回数") == analyzer.terms("生成AIの利用回数")
    assert "ai" in analyzer.terms("生成A I")
    # Only single letters are joined: a word of several letters keeps its space (Zoom AI is two words).
    assert {"zoom", "ai"} <= set(analyzer.terms("Zoom AI"))


def test_dono_after_a_noun_is_no_word(analyzer):
    # 人どのくらい: Sudachi reads どの as the suffix 殿.
    assert "殿" not in analyzer.terms("使わないって人どのくらい？")


@pytest.mark.parametrize(
    ("resident", "ward_word"),
    [("大型ごみの申込", "粗大ごみ"), ("じゅうみんひょう", "住民票"), ("自転車置き場", "駐輪場"), ("燃えないごみ", "不燃ごみ"),
     ("ちいきほうかつ", "地域包括支援センター"), ("敬老パス", "シルバーパス")],
)
def test_everyday_ward_service_words_reach_the_wards_words(analyzer, resident, ward_word):
    assert set(analyzer.terms(resident)) >= set(analyzer.terms(ward_word))


def test_burnable_and_unburnable_rubbish_stay_apart(analyzer):
    assert set(analyzer.terms("燃えるごみ")) != set(analyzer.terms("燃えないごみ"))
    assert set(analyzer.terms("もえないごみ")) == set(analyzer.terms("不燃ごみ"))


def test_a_thing_also_matches_its_kind_and_keeps_its_own_word(tmp_path):
    kinds = tmp_path / "kinds.txt"
    kinds.write_text("# comment\n粗大: ソファ, タンス\n", encoding="utf-8")
    analyzer = Analyzer(kinds_path=kinds)
    words = analyzer.with_kinds(analyzer.analyze("タンスを捨てたい"))
    assert {"箪笥", "粗大"} <= {t for w in words for t in w.terms}  # タンス is written 箪笥 after Sudachi
    assert "粗大" not in analyzer.terms("タンスを捨てたい")  # the documents' terms are left alone


def test_a_noun_made_from_a_verb_is_known_as_that_verb():
    assert verb_of_noun("申し込み") == "申し込む"
    assert verb_of_noun("貸し出し") == "貸し出す"
    assert verb_of_noun("届け出") == "届け出る"
    assert verb_of_noun("調べ方") == "調べる"  # the way of doing it
    assert verb_of_noun("手続き") is None  # no verb 手続く
    assert verb_of_noun("出し方") is None  # 出す is a grammar verb as often as a content one
    assert verb_of_noun("分") is None and verb_of_noun("まち") is None  # a bare kanji or kana spelling is another word


def test_a_noun_made_from_a_verb_also_matches_the_verb_and_its_kind(tmp_path):
    kinds = tmp_path / "kinds.txt"
    kinds.write_text("申請: 申し込む\n", encoding="utf-8")
    analyzer = Analyzer(kinds_path=kinds)
    words = analyzer.with_kinds(analyzer.with_verbs(analyzer.analyze("申し込みの締め切り")))
    assert {"申し込み", "申し込む", "申請"} <= {t for w in words for t in w.terms}
    assert "申し込む" not in analyzer.terms("申し込みの締め切り")  # the documents' terms are left alone
    # Only nouns: the verb 申し込む gets no second verb.
    assert analyzer.with_verbs(analyzer.analyze("申し込む")) == analyzer.analyze("申し込む")


def test_a_kind_that_is_not_one_word_is_refused_with_its_line(tmp_path):
    kinds = tmp_path / "kinds.txt"
    kinds.write_text("粗大: ソファ\n粗大ごみ: 座椅子\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        Analyzer(kinds_path=kinds)


def test_a_question_about_the_documents_is_answered(answerer):
    answer = answerer.answer("大田区の情報化の計画って、ちゃんと進んでるか誰が管理してるんですか？", "大田区")
    assert answer.resolved
    assert "庁内ICT推進本部" in answer.text
    assert answer.hits[0].unit.id == "004-qa-04"


@pytest.mark.parametrize(
    "question",
    ["粗大ごみを出したいんですが、申し込みはどうすればいいですか？", "保育園の空きがあるところを教えてください", "今日の天気は？"],
)
def test_questions_outside_the_documents_are_abstained(answerer, question):
    answer = answerer.answer(question, "台東区")
    assert not answer.resolved
    assert "台東区役所" in answer.text


def test_the_ward_field_filters_and_a_named_ward_is_honoured(answerer):
    scoped = answerer.answer("計画の進行管理は誰がするのか", "千代田区")
    assert all(hit.unit.ward == "千代田区" for hit in scoped.hits)
    named = answerer.answer("大田区の計画の進行管理は誰がするのか")
    assert named.ward == "大田区" and named.hits[0].unit.ward == "大田区"


def test_answers_are_extracts_of_at_most_600_characters(answerer):
    answer = answerer.answer("国の自治体DX推進計画で取り組むべきとされている取組は分かるようになっていますか", "大田区")
    assert answer.resolved and len(answer.text) <= 600
    source = answer.hits[0].unit
    first_sentence = answer.text.split("。")[0]
    assert first_sentence in source.text or first_sentence in source.question


def test_small_talk_is_recognised(answerer):
    for greeting in ("こんにちは", "ありがとうございました！", "help"):
        answer = answerer.answer(greeting)
        assert answer.small_talk and answer.resolved and answer.suggestions
    assert not answerer.answer("こんにちは、マイナンバーカードの申請について").small_talk


def test_inverted_index_scores_equal_rank_bm25s_less_its_floor():
    documents = [["スマートフォン", "講座"], ["講座", "講座", "申請"], ["申請"], ["オンライン", "申請", "窓口"]]
    field = Field(documents, k1=1.2, b=0.75, delta=0.5, part_starts=(0, 1, 3))
    bm25 = BM25Plus(documents, k1=1.2, b=0.75, delta=0.5)
    terms = {"講座": 1.0, "申請": 0.5, "未知語": 1.0}
    expected = sum(
        weight * (bm25.get_scores([term]) - bm25.delta * bm25.idf.get(term, 0.0)) for term, weight in terms.items()
    )
    assert np.allclose(field.scores(terms), expected)
    assert np.allclose(field.scores(terms, 1), expected[1:3])  # a part of the documents (one ward's units)
    assert np.allclose(field.scores(terms, 2), expected[3:])
    assert np.array_equal(field.document_scores(terms, np.array([3, 0, 2])), field.scores(terms)[[3, 0, 2]])
    assert field.scores({"未知語": 1.0}).tolist() == [0.0, 0.0, 0.0, 0.0]
    # A field reads its documents once, as they come: a generator of tuples indexes the same.
    streamed = Field((tuple(d) for d in documents), k1=1.2, b=0.75, delta=0.5, part_starts=(0, 1, 3))
    assert np.array_equal(streamed.scores(terms, 1), field.scores(terms, 1))
    assert np.array_equal(streamed.scores(terms), field.scores(terms))


def test_the_fitted_confidence_orders_a_good_match_above_a_gap(answerer):
    retriever = answerer.retriever
    good = retriever.search(answerer.query("大田区の情報化推進計画の進行管理は誰がするのですか", "大田区"))
    gap = retriever.search(answerer.query("燃えるごみの収集日は何曜日ですか", "大田区"))
    assert retriever.confidence(good) > retriever.params.min_confidence > retriever.confidence(gap)


def test_every_wards_example_questions_are_answered_in_that_ward(answerer):
    for ward, info in answerer.wards.items():
        for question in info.examples:
            answer = answerer.answer(question, ward)
            assert answer.resolved and answer.hits[0].unit.ward == ward, (ward, question)


def test_small_talk_offers_the_wards_own_examples(answerer):
    assert answerer.answer("こんにちは", "大田区").suggestions == list(answerer.wards["大田区"].examples)
    mixed = answerer.answer("こんにちは").suggestions
    assert mixed == [info.examples[0] for info in answerer.wards.values()]


def test_suggestions_are_different_related_questions_the_bot_answers(answerer):
    answer = answerer.answer("区のシステムのセキュリティ対策はどうなっていますか", "台東区")
    assert answer.resolved and answer.suggestions
    assert len(answer.suggestions) == len(set(answer.suggestions)) <= 3
    for suggested in answer.suggestions:
        followed = answerer.answer(suggested, "台東区")
        assert followed.resolved and followed.hits[0].unit.id != answer.hits[0].unit.id, suggested


def test_every_answer_is_quoted_from_its_source_within_600_characters(answerer):
    questions = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    resolved = 0
    for row in questions:
        answer = answerer.answer(row["question"], row["ward"])
        if not answer.resolved:
            continue
        resolved += 1
        assert len(answer.text) <= 600
        source = answer.hits[0].unit
        quoted = "".join((source.text + source.question).split())
        for line in answer.text.replace(COMMENT_LABEL, "\n").splitlines():
            # A piece too long for the room left is cut, and says so with …
            assert "".join(line.removesuffix("…").split()) in quoted, (row["id"], line)
    assert resolved >= len(questions) // 3


def test_the_sentence_an_answer_leads_with_says_whether_it_gives_the_kind_asked(answerer):
    # The 施策's best-matching sentence has no figure, but its KPI line, which the answer leads with, has the rates.
    question = "台東区でマイナンバーカードを持ってる人ってどのくらいの割合なの？区としてはどこまで増やしたいの？"
    query = answerer.query(question, "台東区")
    hit = answerer.retriever.search(query, limit=1)[0]
    assert hit.unit.id == "002-p-0060"
    assert hit.features["type_missing"] == 1.0 and hit.features["type_led"] == 1.0
    assert answerer.extract(hit, query).startswith("指標　現況(令和2年度)　目標(令和7年度)\nマイナンバーカード交付率　35%")
    # Nothing asked for, nothing led with.
    plain = answerer.retriever.search(answerer.query("マイナンバーカードの普及はどう進めるの？", "台東区"), limit=1)[0]
    assert plain.features["type_led"] == 0.0
