"""The fast paths of the index give exactly what the plain ones did: synonyms, ward scoping, reranker features."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import re

from index.analysis import Analyzer, Morpheme, SynonymRule, Word, split_segments, synonym_lines, with_own_groups
from index.answering import MAYBE_MEANT_COVERAGE, Answerer, suggestion
from index.names import NameFinder
from index.corpus import DEFAULT_CORPUS_DIR, load_units
from index.retriever import Hit, Query
from index.vectors import DIMENSIONS
from index.slots import KANA_QUESTION_HINTS, KANA_QUESTION_WORDS, kanji_question_words
from index.kana import MIN_READING
from index.staff import (NEAR_IN_MEANING, STAFF_FEATURES, Background, StaffAnswerer, StaffEntry, StaffIndex, TextCache,
                         faq_unit, hiragana_runs, reading_bigrams, topic_words)

DATA = Path(__file__).resolve().parent / "data"


def question_rows() -> list[dict]:
    """Return every question of every question set in tests/data (the rows that hold a question)."""
    rows = [
        json.loads(line)
        for path in sorted(DATA.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [row for row in rows if "question" in row]


def question_texts() -> list[str]:
    """Return the text of every question in tests/data."""
    return [row["question"] for row in question_rows()]


def rewrite_by_scan(rules: list[SynonymRule], morphemes: list[Morpheme]) -> list[Morpheme]:
    """Apply the synonym rules as they were first written: at each position, try every rule, longest first."""
    ordered = sorted(rules, key=lambda rule: -len(rule.variant))
    forms = [m[0] for m in morphemes]
    result, i = [], 0
    while i < len(morphemes):
        rule = next((r for r in ordered if tuple(forms[i : i + len(r.variant)]) == r.variant), None)
        if rule is None:
            result.append(morphemes[i])
            i += 1
        else:
            result.extend(with_own_groups(rule.canonical, morphemes[i : i + len(rule.variant)]))
            i += len(rule.variant)
    return result


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(DEFAULT_CORPUS_DIR / "synonyms.txt")


def test_the_synonym_trie_rewrites_every_question_as_the_scan_over_all_rules_did(analyzer):
    rules = analyzer._synonym_rules(synonym_lines(DEFAULT_CORPUS_DIR / "synonyms.txt"))
    questions = question_texts()
    assert len(questions) > 500 and len(rules) > 50
    rewritten = 0
    for question in questions:
        morphemes = analyzer._morphemes(question)
        expected = rewrite_by_scan(rules, morphemes)
        assert analyzer._rewrite(morphemes) == expected, question
        rewritten += expected != morphemes
    assert rewritten > 50  # the questions exercise the rules, not only the path without a match


def test_the_longest_variant_wins_and_the_first_line_wins_a_tie(tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("電子申請, オンライン\nオンライン申請, オンライン 申請\n図書館, オンライン\n", encoding="utf-8")
    analyzer = Analyzer(synonyms)
    rules = analyzer._synonym_rules(synonym_lines(synonyms))
    for text in ("オンラインで申請", "オンライン申請の方法", "オンライン"):
        morphemes = analyzer._morphemes(text)
        assert analyzer._rewrite(morphemes) == rewrite_by_scan(rules, morphemes)
    assert "電子" in analyzer.terms("オンライン") and "図書館" not in analyzer.terms("オンライン")


def scoped_queries(answerer: Answerer) -> list[Query]:
    """Return every development question scoped to each ward in turn."""
    rows = [json.loads(line) for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [answerer.query(row["question"], ward) for row in rows for ward in answerer.wards]


def test_a_wards_part_of_every_field_scores_as_the_whole_corpus_does(answerer):
    retriever = answerer.retriever
    everything = len(retriever.units)
    for query in scoped_queries(answerer):
        part = retriever._ward_parts[query.ward]
        start, stop = retriever._ward_bounds(part)
        assert 0 < stop - start < everything
        assert {u.ward for u in retriever.units[start:stop]} == {query.ward}
        weighted, grams = retriever._query_terms(query)
        whole = retriever._field_scores(weighted, grams, None)
        scoped = retriever._field_scores(weighted, grams, part)
        assert scoped.keys() == whole.keys()
        for name, scores in whole.items():
            assert np.array_equal(scoped[name], scores[start:stop]), name
        # The sentences and residents' questions of the ward's units, scored alone, as in the whole corpus.
        for field, starts in ((retriever._segments, retriever._segment_starts), (retriever._asked_each, retriever._asked_starts)):
            rows = field.scores(weighted, part)
            assert np.array_equal(rows, field.scores(weighted)[starts[start] : starts[stop]])


@pytest.mark.parametrize("lookup_ratio", [50, 0])  # the part's questions scored at once; the leaders' looked up
def test_the_leaders_best_residents_question_scores_as_every_question_scored_at_once(answerer, monkeypatch, lookup_ratio):
    from index import retriever as retrieval

    monkeypatch.setattr(retrieval, "ASKED_LOOKUP_RATIO", lookup_ratio)
    retriever = answerer.retriever
    units = np.arange(len(retriever.units))
    owners = np.repeat(units, np.diff(retriever._asked_starts))
    compared = 0
    for query in scoped_queries(answerer)[::3]:
        weighted, _ = retriever._query_terms(query)
        expected = np.zeros(len(units))
        np.maximum.at(expected, owners, retriever._asked_each.scores(weighted))
        leaders = units[::-2]  # any units, in any order
        assert np.array_equal(retriever._best_asked(weighted, leaders, None), expected[leaders])
        # A ward's leaders, its part's questions alone scored: the same scores to the bit.
        part = retriever._ward_parts[query.ward]
        start, stop = retriever._ward_bounds(part)
        ward_leaders = units[start:stop][::-2]
        assert np.array_equal(retriever._best_asked(weighted, ward_leaders, part), expected[ward_leaders])
        compared += bool(expected[ward_leaders].any())
    assert compared > 50


def test_a_question_scoped_to_a_ward_reranks_the_wards_leaders_of_the_whole_corpus(answerer):
    retriever = answerer.retriever
    wards = np.array([u.ward for u in retriever.units])
    compared = 0
    for query in scoped_queries(answerer):
        weighted, grams = retriever._query_terms(query)
        scores = retriever._first_stage(retriever._field_scores(weighted, grams, None))
        # The plain way: score the whole corpus, then keep the ward's units.
        scores[wards != query.ward] = 0.0
        expected = {retriever.units[i].id for i in np.argsort(-scores)[: retriever.params.candidates] if scores[i] > 0}
        found = {hit.unit.id for hit in retriever.search(query, limit=retriever.params.candidates)}
        assert found == expected, query
        compared += bool(found)
    assert compared > 150


def test_the_bulk_coverage_features_equal_python_sets_over_each_candidates_terms(answerer):
    retriever = answerer.retriever
    compared = 0
    for row in question_rows()[::5]:
        query = answerer.query(row["question"], row.get("ward"))
        if not query.words:
            continue
        weights = [retriever.idf(w) * retriever.word_weight(w) for w in query.words]
        total = sum(weights) or 1.0

        def share(terms: set[str]) -> float:
            # The plain way: a Python sum over the words, for one set of terms.
            return sum(wt for w, wt in zip(query.words, weights) if any(t in terms for t in w.terms)) / total

        leaders = np.arange(0, len(retriever.units), 3)
        bulk = retriever._rerank_features(query, leaders)
        for j, index in enumerate(leaders):
            terms = retriever.unit_terms[retriever.units[index].id]
            held = set(terms.head) | set(terms.body)
            assert bulk["coverage"][j] == share(held)
            assert bulk["head_coverage"][j] == share(set(terms.head))
            assert bulk["sentence_coverage"][j] == max((share(set(s)) for s in terms.segments), default=0.0)
            assert bulk["asked_coverage"][j] == max((share(set(q)) for q in terms.asked), default=0.0)
            unmatched = [wt / total for w, wt in zip(query.words, weights) if not any(t in held for t in w.terms)]
            assert bulk["unmatched"][j] == max(unmatched, default=0.0)
            compared += 1
    assert compared > 5000


def test_every_kana_question_word_needs_one_of_the_hints_that_let_a_question_skip_them():
    for pattern, _ in KANA_QUESTION_WORDS:
        assert any(hint in pattern.pattern for hint in KANA_QUESTION_HINTS), pattern.pattern


def test_kana_question_words_are_read_as_every_pattern_applied_in_turn_reads_them():
    questions = [*question_texts(), "なんさつ", "どこのかが", "ぶしょは", "だれに", "何けん"]
    for question in questions:
        read = question
        for pattern, kanji in KANA_QUESTION_WORDS:  # the plain way: every pattern, whatever the question
            read = pattern.sub(kanji, read)
        assert kanji_question_words(question) == read


def segments_by_split(text: str) -> list[str]:
    """Cut text the plain way: split at every position after a sentence end or a line break, then before every list item."""
    sentences = [s.lstrip(" 　") for s in re.split(r"(?<=[。！？!?])|(?<=\n)", text.strip()) if s.strip()]
    item = r"(?=[①-⑳])|(?=・\s?(?:施策|取組|取り組み)\s?\d)|(?=【(?:施策|取組|取り組み)\s?\d)"
    return [piece for sentence in sentences for piece in re.split(item, sentence) if piece.strip()]


def test_texts_are_cut_into_the_segments_the_splits_at_every_position_cut():
    units = load_units(DEFAULT_CORPUS_DIR)
    tricky = [
        "", "。", "。。！", "\n\n", "  前に空白。 後ろ\n", "①最初②次", "取組：・施策1 と ・施策 2、【取組3】\n",
        "・施策X は項目でない。", "【施策 4 ①②", "終わり?！ 次!", "①", "表\u3000の\u3000行\n指標\u3000現況\n",
    ]
    texts = [*(unit.text for unit in units), *(unit.question for unit in units), *question_texts(), *tricky]
    for text in texts:
        assert split_segments(text) == segments_by_split(text), text
    assert split_segments("①最初②次。・施策1を") == ["①最初", "②次。", "・施策1を"]


def test_the_name_finder_finds_exactly_the_names_a_substring_test_finds():
    names = ["台東区", "台東", "東区", "区", "DX推進計画", "DX", "デジタル", "デジタル化", "化"]
    finder = NameFinder(names)
    texts = question_texts() + ["台東区のDX推進計画とデジタル化", "", "区"]
    found = 0
    for text in texts:
        assert finder.names_in(text) == {name for name in names if name in text}, text
        found += bool(finder.names_in(text))
    ends = sorted(end for name, end in finder.occurrences("デジタル化とは") if name.startswith("デジタル"))
    assert ends == [4, 5] and found > 100


def maybe_meant_by_asking(answerer: Answerer, hits: list[Hit], ward: str | None) -> list[str]:
    """Pick 「もしかして」 questions the plain way: ask the corpus each close candidate's question and keep those it quotes."""
    offered: list[str] = []
    for hit in hits:
        if len(offered) == 3:
            break
        candidate = suggestion(hit.unit)
        if hit.features.get("coverage", 0.0) < MAYBE_MEANT_COVERAGE or candidate in offered:
            continue
        answer = answerer.answer_from_corpus(answerer.query(candidate, ward))
        if answer.resolved and answer.hits and answer.hits[0].unit.id == hit.unit.id:
            offered.append(candidate)
    return offered


def test_the_suggestion_checks_were_worked_out_at_build_for_every_unit_in_its_ward_and_in_none(answerer):
    retriever = answerer.retriever
    expected = {(u.id, scope) for u in retriever.units for scope in (u.ward, None)}
    assert expected <= set(retriever.suggestion_checks)
    assert any(retriever.suggestion_checks.values()) and not all(retriever.suggestion_checks.values())


def test_an_abstention_offers_the_questions_that_asking_each_candidate_again_offered(answerer):
    compared = offered = 0
    for row in question_rows():
        answer = answerer.answer(row["question"], row.get("ward"))
        if answer.resolved:
            continue
        assert answer.suggestions == maybe_meant_by_asking(answerer, answer.hits, answer.ward), row["question"]
        compared += 1
        offered += bool(answer.suggestions)
    assert compared > 100 and offered > 30


def test_a_staff_entry_that_takes_a_suggested_question_does_not_change_what_an_abstention_offers(answerer):
    abstained = [
        (row["question"], row.get("ward"), answer)
        for row in question_rows()
        if not (answer := answerer.answer(row["question"], row.get("ward"))).resolved and answer.suggestions
    ]
    question, ward, answer = abstained[0]
    taken = answer.suggestions[0]
    unit = faq_unit(1, answer.ward or next(iter(answerer.wards)), taken, "職員が書いた答えです。", "情報政策課")
    index = StaffIndex([StaffEntry(unit, (taken,))], answerer.retriever.analyzer, Background.of(answerer.retriever))
    with_staff = StaffAnswerer(answerer, index)
    assert with_staff.answer(taken, answer.ward).hits[0].unit.id == "faq-1"  # the entry does take the question
    assert with_staff.answer(question, ward).suggestions == answer.suggestions


def test_a_staff_index_without_entries_matches_nothing_without_reading_the_question(answerer, monkeypatch):
    index = StaffIndex([], answerer.retriever.analyzer, Background.of(answerer.retriever))

    def read(*_args):
        raise AssertionError("the question was spelled and analysed for no entry")

    monkeypatch.setattr(index, "spelled", read)
    question = "でんししんせいはできますか"  # typed in kana: the staff speller would spell it
    query = answerer.query(question, "台東区")
    match = index.match(question, query.words, query.ward)
    assert match.hits == [] and not match.confident and not match.sure
    with_staff = StaffAnswerer(answerer, index)
    assert with_staff.answer(question, "台東区") == answerer.answer(question, "台東区")


def test_an_answers_confidence_is_the_documents_own_in_the_passage_it_quotes(answerer):
    # The staff answerer weighs a staff entry against this figure: it is the one the ranking's rule gives the
    # hits as quoted, a runner-up put first (the schedule of the workshop, below) included.
    rows = [json.loads(line) for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = [(row["question"], row.get("ward")) for row in rows] + [("ワークショップっていつまでやるの", "千代田区")]
    compared = 0
    for question, ward in asked:
        answer = answerer.answer(question, ward)
        if not answer.resolved or answer.small_talk:
            continue
        query = answerer.query(question, ward)
        assert answer.confidence == answerer.retriever.confidence(answer.hits, slot_given=bool(query.slots)), question
        compared += 1
    assert compared > 60
    assert answer.hits[0].unit.id == "003-p-0004"  # the runner-up, quoted first


def test_a_question_is_cut_into_morphemes_once_for_the_corpus_the_staff_entries_and_its_masking(answerer, monkeypatch):
    from bot.privacy import mask_personal_data, wards_read
    from index import analysis

    cut: list[str] = []
    tokenizer = analysis.sudachi_tokenizer

    class Counting:
        def tokenize(self, text):
            cut.append(text)
            return tokenizer().tokenize(text)

    monkeypatch.setattr(analysis, "sudachi_tokenizer", lambda *_: Counting())
    monkeypatch.setattr(analysis._local, "recent", {}, raising=False)
    # Typed in kana, the question is spelled as the corpus writes it (でんししんせい: 電子申請) and as the staff entry
    # does (きょうけんびょう: 狂犬病), and the staff index reads it as typed too: the masking reuses that last cut.
    question = "きょうけんびょうのよぼうちゅうしゃはでんししんせいできますか"
    unit = faq_unit(1, "台東区", "狂犬病の予防注射はどこで受けられますか", "職員が書いた答えです。", "生活衛生課")
    index = StaffIndex([StaffEntry(unit, (unit.question,))], answerer.retriever.analyzer, Background.of(answerer.retriever))
    ward_readings = wards_read(answerer.wards)  # read once when the app starts (service.RecentAsks)
    cut.clear()
    StaffAnswerer(answerer, index).answer(question, "台東区")
    mask_personal_data(question, ward_readings)
    assert len(cut) == len(set(cut)), cut
    assert question in cut and answerer.retriever.spell(question) in cut


def kana_share_by_scan(runs: list[str], readings: frozenset[str]) -> float:
    """Return the share of the hiragana runs' characters found in the readings, each run's longest piece searched for in every reading."""
    total = sum(len(run) for run in runs)
    matched = sum(
        max((n for n in range(len(run), MIN_READING - 1, -1)
             for i in range(len(run) - n + 1) if any(run[i : i + n] in r for r in readings)), default=0)
        for run in runs
    )
    return matched / total if total else 0.0


def staff_features_one_by_one(index: StaffIndex, question: str, words: list[Word], entry: StaffEntry) -> dict[str, float]:
    """Work out an entry's features for a question the plain way: Python sets and sums over its own texts' analyses."""
    cache = TextCache(index.analyzer)
    wordings = [cache.analysis(wording) for wording in entry.wordings]
    answer = cache.analysis(entry.answer_text)
    words = topic_words(index.analyzer, index.spelled(question, words))
    weights = [index.word_weight(w) for w in words]
    total = sum(weights) or 1.0

    def holds(terms: frozenset[str] | set[str], word: Word) -> bool:
        return any(t in terms for t in word.terms)

    def share(terms: frozenset[str]) -> float:
        return sum(wt for w, wt in zip(words, weights) if holds(terms, w)) / total

    all_terms = frozenset().union(*(a.terms for a in wordings))
    fields = all_terms | answer.terms
    wording_shares = [share(a.terms) for a in wordings]
    best = wordings[wording_shares.index(max(wording_shares))]
    best_weights = [index.word_weight(w) for w in best.words]
    asked = {t for w in words for t in w.terms}
    vectors = index.vectors
    forms = [f for f in sorted({w.form for a in (*wordings, answer) for w in a.words}) if vectors.vector(f) is not None]

    def near(word: Word) -> float:
        vector = vectors.vector(word.form)
        cosine = max((float(vector @ vectors.vector(f)) for f in forms), default=0.0) if vector is not None else 0.0
        return cosine if cosine >= NEAR_IN_MEANING else 0.0

    def mean(pairs: list[tuple[float, np.ndarray]]) -> np.ndarray:
        summed = sum((weight * vector for weight, vector in pairs), np.zeros(DIMENSIONS))
        return summed / (np.linalg.norm(summed) or 1.0)

    nearness = [1.0 if holds(fields, w) else near(w) for w in words]
    query_terms = {t: max(wt for w, wt in zip(words, weights) if t in w.terms) for w in words for t in w.terms}
    position = index.entries.index(entry)
    grams = reading_bigrams(index.analyzer.reading(question))
    readings = frozenset().union(answer.grams, *(a.grams for a in wordings))
    known = [(wt, vectors.vector(w.form)) for w, wt in zip(words, weights) if vectors.vector(w.form) is not None]
    return {
        "wording_coverage": max(wording_shares),
        "coverage": share(all_terms),
        "answer_coverage": share(answer.terms),
        "reverse_coverage": sum(wt for w, wt in zip(best.words, best_weights) if holds(asked, w)) / (sum(best_weights) or 1.0),
        "field_coverage": share(fields),
        "wordings_bm25": index._wordings_field.scores(query_terms)[position] / total,
        "answer_bm25": index._answer_field.scores(query_terms)[position] / total,
        "reading": sum(index._gram_idf.get(g, 0.0) for g in grams & readings) / (sum(index._gram_idf.get(g, 0.0) for g in grams) or 1.0),
        "kana": kana_share_by_scan(hiragana_runs(question), frozenset().union(answer.written, *(a.written for a in wordings))),
        "unmatched": max((wt / total for w, wt in zip(words, weights) if not holds(fields, w)), default=0.0),
        "heaviest": float(holds(fields, words[int(np.argmax(weights))])) if words else 0.0,
        "near_coverage": sum(wt * n for wt, n in zip(weights, nearness)) / total,
        "near_unmatched": max((wt / total for wt, n in zip(weights, nearness) if n == 0.0), default=0.0),
        "meaning": float(mean(known) @ mean([(index._idf.get(f, index._unknown_idf), vectors.vector(f)) for f in forms])),
    }


def test_the_staff_indexs_bulk_features_equal_each_entrys_features_worked_out_alone(answerer):
    topics = [json.loads(line) for line in (DATA / "staff_wordings_k.jsonl").read_text("utf-8").splitlines()][:12]
    # Two wordings an entry, so that which wording is its best counts; the later ones (some typed in kana) are asked.
    entries = [StaffEntry(faq_unit(i + 1, t["ward"], t["wordings"][0], t["answer"], t["department"]), tuple(t["wordings"][:2]))
               for i, t in enumerate(topics)]
    index = StaffIndex(entries, answerer.retriever.analyzer, Background.of(answerer.retriever))
    compared = 0
    for topic in topics:
        for question in topic["wordings"][2:]:
            for ward in (topic["ward"], None):
                query = answerer.query(question, ward)
                for hit in index.rank(question, query.words, query.ward, limit=10_000):
                    plain = staff_features_one_by_one(index, question, query.words, hit.entry)
                    assert hit.features.keys() == plain.keys()
                    for name, value in plain.items():
                        # Vectors' cosines are float32 products, summed in another order one by one.
                        close = 1e-6 if name in ("near_coverage", "meaning") else 1e-12
                        assert hit.features[name] == pytest.approx(value, abs=close), (question, hit.entry.unit.id, name)
                    assert hit.score == pytest.approx(float(np.dot(index.params.rank_weights, [plain[n] for n in STAFF_FEATURES])), abs=1e-5)
                    compared += 1
    assert compared > 100
