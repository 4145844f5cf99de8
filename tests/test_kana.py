"""Words typed in kana (でんししんせい, たいとうく) find the corpus's words, as the documents write them."""
from __future__ import annotations

from collections import Counter

import pytest

from helpers import corpus_retriever
from index.kana import KanaSpeller, ReadingCounts, VerbSpeller


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("まいなんばーかーどでこんびにで住民票がとれるの？", "マイナンバーカードでコンビニで住民票がとれるの？"),
        ("でんししんせいを使ってみたい人はどのくらい？", "電子申請を使ってみたい人はどのくらい？"),
        ("こうきょうしせつのしようりょうはきゃっしゅれすで払える？", "公共施設の使用料はキャッシュレスで払える？"),
        ("でじたるでぃばいどってなんのこと？", "デジタル・ディバイドってなんのこと？"),
    ],
)
def test_a_question_typed_in_hiragana_finds_what_the_written_one_finds(answerer, typed, written):
    found = answerer.answer(written, "台東区")
    assert found.resolved
    answer = answerer.answer(typed, "台東区")
    assert answer.resolved and answer.hits[0].unit.id == found.hits[0].unit.id


def test_the_kana_words_become_the_documents_words(answerer):
    words = {w.form for w in answerer.query("まいなんばーかーどはでんししんせいにつかえる？", "台東区").words}
    assert {"マイナンバー", "カード", "電子", "申請"} <= words


@pytest.mark.parametrize(
    "question",
    [
        "しせつはどこ？",  # シセツ: three kana read many words, 施設 among them
        "外の人に漏れないようにしてる？",  # ないよう after a verb is grammar, not 内容
        "はんこは、なくなるんですか？",  # なくなる is a verb: this speller spells nouns only, verbs are spelled apart
        "せんたくばさみがこわれた",  # センタク reads 選択, but せんたくばさみ is 洗濯ばさみ, a word neither the documents nor the lexicon hold
    ],
)
def test_short_or_grammatical_kana_is_left_as_typed(answerer, question):
    assert answerer.retriever.kana.spell(question) == question


def test_the_words_residents_use_in_the_lexicon_files_are_spelled_too(answerer):
    # 洗濯機 and 冷蔵庫 are things of corpus/kinds.txt, not words of the documents.
    assert answerer.retriever.kana.spell("せんたくきがこわれた") == "洗濯機がこわれた"
    assert answerer.retriever.kana.spell("れいぞうこをすてたい") == "冷蔵庫をすてたい"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        # An elderly resident's spaces between phrases go; a short word in a phrase of its own is read (区, スマホ).
        ("くの ほーむぺーじに ある ちゃっとぼっと というのは", "区のホームページにあるチャットボットというのは"),
        ("すまほは もっていても", "スマホはもっていても"),
        ("マイナンバー　コンビニ　住民票", "マイナンバー　コンビニ　住民票"),  # keywords stay apart
        ("とは に", "とはに"),  # particles alone are no one-kana word (都, 二)
    ],
)
def test_phrases_typed_apart_in_kana_are_spelled_and_joined(answerer, typed, written):
    assert answerer.retriever.kana.spell(typed) == written


def test_a_question_typed_in_spaced_hiragana_is_answered_like_the_written_one(answerer):
    written = answerer.answer("区の職員はテレワークをしているのですか", "大田区")
    typed = answerer.answer("くの しょくいんは てれわーくを しているのですか", "大田区")
    assert written.resolved and typed.resolved and typed.hits[0].unit.id == written.hits[0].unit.id


def test_a_reading_of_two_different_words_is_not_guessed():
    speller = KanaSpeller.from_readings(
        Counter({("公共", "コウキョウ"): 3, ("好況", "コウキョウ"): 1, ("施設", "シセツ"): 2, ("電子申請", "デンシシンセイ"): 1}),
        same_word=lambda a, b: a == b,
    )
    assert speller.spell("こうきょうのしせつとでんししんせい") == "こうきょうのしせつと電子申請"


@pytest.mark.parametrize(("typed", "ward"), [("おおたく", "大田区"), ("ちよだく", "千代田区"), ("たいとうく", "台東区")])
def test_a_ward_named_in_kana_scopes_the_question(answerer, typed, ward):
    answer = answerer.answer(f"{typed}の計画の進行管理は誰がするのか")
    assert answer.ward == ward
    assert answer.hits and all(hit.unit.ward == ward for hit in answer.hits)


def test_reading_counts_stay_bounded_and_keep_what_recurs(monkeypatch):
    # A corpus of many wards holds far more one-off compounds than words: the build must not hold them all.
    monkeypatch.setattr("index.kana.MAX_COUNTED_READINGS", 100)
    counts = ReadingCounts()
    counts.update([("電子申請", "デンシシンセイ")] * 3)
    for number in range(1_000):
        counts.update([(f"語{number}", f"ゴ{number}")])
    assert len(counts) <= 100
    assert counts[("電子申請", "デンシシンセイ")] == 3


def test_this_corpus_counts_its_readings_without_dropping_any():
    from index.kana import MAX_COUNTED_READINGS

    counted = ReadingCounts()
    retriever = corpus_retriever()
    for unit in retriever.units:
        counted.update(retriever.analyzer.noun_readings(unit.text))
    assert len(counted) < MAX_COUNTED_READINGS  # so the cap changes nothing here


def test_a_word_in_kana_ends_where_a_particle_or_another_word_begins():
    speller = KanaSpeller.from_readings(Counter({("選択", "センタク"): 2, ("電子申請", "デンシシンセイ"): 1}), same_word=lambda a, b: a == b)
    assert speller.spell("せんたくき") == "せんたくき"  # a longer word the corpus lacks, not 選択 + き
    assert speller.spell("せんたくって") == "選択って"
    assert speller.spell("でんししんせいするには") == "電子申請するには"


def test_kana_pieces_the_corpus_does_not_know_are_no_topic_words(answerer):
    # なんけん is cut into なん and けん: けん names nothing, and as an unknown word it would turn the question away.
    query = answerer.query("でぃーえっくすの けいかくに いけんは なんけん きたの", "台東区")
    assert "けん" not in {w.form for w in query.words} and {"計画", "意見"} <= {w.form for w in query.words}
    answer = answerer.answer("でぃーえっくすの けいかくに いけんは なんけん きたの", "台東区")
    assert answer.resolved and "4人4件" in answer.text


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ネットつかってる人の割合", "ネット使ってる人の割合"),  # Sudachi alone reads つかっ as 浸かる
        ("じゅうみんひょうはこんびにでとれるの", "住民票はコンビニで取れるの"),
        ("保険証はかわるの", "保険証は変わるの"),  # 変わる, though the corpus writes 代わる once
        ("まいなんばーかーどがつかえる", "マイナンバーカードが使える"),
    ],
)
def test_verbs_typed_in_kana_are_written_as_the_corpus_writes_them(answerer, typed, written):
    assert answerer.retriever.spell(typed) == written


def test_a_verb_typed_in_kana_is_the_corpus_verb_among_the_question_words(answerer):
    assert "使う" in {w.form for w in answerer.query("インターネットつかってる人は何パーセント", "台東区").words}


@pytest.mark.parametrize(
    "question",
    [
        "犬をかいはじめたら登録っているの？",  # かい before はじめる is 飼い: 書い (書いて) is another inflection
        "区の職員はやってるの？",  # は is the particle: not 流行ってる
        "コンビニこうふってなに",  # ふって ends a word Sudachi did not know (交付), it is not 振って
        "使ってみたい",  # みる after て is grammar
        "うそつくとか",  # つく right after other kana (うそ) may be the end of a word, not a verb of its own
    ],
)
def test_kana_that_is_another_verb_or_no_verb_is_left_as_typed(answerer, question):
    assert answerer.retriever.spell(question) == question


def test_a_reading_of_two_verbs_is_read_as_the_one_the_corpus_uses_far_more():
    written = "連体形-一般"
    speller = VerbSpeller.from_readings(
        Counter({
            ("変わる", "カワル", written, "変わる"): 14, ("代わる", "カワル", written, "代わる"): 1,
            ("図る", "ハカル", written, "図る"): 20, ("測る", "ハカル", written, "測る"): 6,
        })
    )
    verb = ("動詞", "一般", "終止形-一般")
    particle = ("は", "助詞", "係助詞", "*", "は", "ハ")
    assert speller.spell([particle, ("かわる", *verb, "かわる", "カワル")]) == "は変わる"
    assert speller.spell([particle, ("はかる", *verb, "はかる", "ハカル")]) == "ははかる"


def test_a_question_without_a_verb_typed_in_kana_is_not_searched_for_verb_runs(answerer, monkeypatch):
    speller = answerer.retriever.verbs
    tried = []
    look = speller._verb_run_at
    monkeypatch.setattr(speller, "_verb_run_at", lambda morphemes, start: tried.append(start) or look(morphemes, start))
    analyzer = answerer.retriever.analyzer
    # Verbs written in kanji, and grammar in kana (できる, いる): nothing to spell, nothing looked at.
    question = "住民票をコンビニで取得できますか"
    assert speller.spell(analyzer.verb_morphemes(question)) == question and tried == []
    # A verb typed in kana is still spelled, runs looked for only where one can end on it.
    morphemes = analyzer.verb_morphemes("ネットつかってる人の割合")
    assert speller.spell(morphemes) == "ネット使ってる人の割合"
    assert tried and all(start < len(morphemes) for start in tried) and len(tried) < len(morphemes)


def test_suru_typed_apart_from_its_noun_is_grammar_not_a_word_it_also_reads():
    # 「実印 登録 したい」: したい is する inflected, not 死体, however often an entry writes 死体.
    speller = KanaSpeller.from_readings(Counter({("死体", "シタイ"): 2, ("指定", "シテイ"): 2}), same_word=lambda a, b: a == b)
    assert speller.spell("実印 登録 したい") == "実印 登録したい"  # joined to its noun, as the space between phrases goes
    assert speller.spell("とうろく しないと") == "とうろくしないと"
    assert speller.spell("したいを みつけた") == "死体をみつけた"  # the noun, followed by a particle
    assert speller.spell("してい の ばしょ") == "指定のばしょ"  # not する: a noun the kana read
