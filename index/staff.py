"""Staff-written answers: a small index of their own, ranked and calibrated apart from the corpus.

Staff publish FAQ entries (an answer for a question the documents do not cover) and link residents'
wordings to corpus units that answer them. Both live here, not in the corpus retriever, so a staff
change rebuilds only this index (milliseconds), and whether a staff answer is given is decided by a
rule fitted on staff wording sets (bench/fit_staff.py), not by the corpus's abstention rule.
"""
from __future__ import annotations

import functools
import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from index.analysis import QUESTION_WORDS, SKIPPED_SUBPOS, Analyzer, Word, short_parts, split_segments, verb_of_noun
from index.answering import MAX_EXTRACTED_ANSWER_CHARS, SMALL_TALK, Answer, Answerer
from index.kana import KANA_RUN, MIN_READING, TO_KATAKANA, KanaSpeller, ReadingCounts
from index.retriever import Field, Hit, Retriever
from index.termsets import QuestionTerms, TermHolders, TermSets, Vocabulary, ranges, shares
from index.units import FAQ, Unit
from index.vectors import DIMENSIONS, WordVectors, default_word_vectors

FAQ_DOCUMENT = "よくある質問（区の職員が作成）"
HIRAGANA_RUN = re.compile(r"[ぁ-ゖ]+")
# Two words this close in meaning (cosine of their vectors) are taken as near: 居酒屋 and 飲食店 are (0.74), 犬 and
# 印鑑 are not (0.16).
NEAR_IN_MEANING = 0.45
NEAR_CANDIDATES = 10

# What ranks an entry for a question; the weights in StaffParams are fitted to these, in order.
STAFF_FEATURES = (
    "wording_coverage",  # share of the question's word weight the best single wording holds
    "coverage",  # … all its wordings together hold
    "answer_coverage",  # … its answer text and department hold
    "field_coverage",  # … its wordings and answer together hold
    "reverse_coverage",  # share of the best wording's own word weight the question holds
    "wordings_bm25",  # BM25 of all its wordings, per unit of the question's word weight
    "answer_bm25",  # BM25 of its answer text, per unit of the question's word weight
    "reading",  # share of the question's kana-reading bigrams its wordings and answer hold
    "kana",  # share of the question's hiragana that reads as words the entry writes in kanji (いんかんとうろく: 印鑑登録)
    "near_coverage",  # share of the question's word weight its fields hold, a word near in meaning counting by how near (index/vectors.py)
    "meaning",  # cosine of the question's and the entry's mean word vectors, each word weighted by its rarity
)
# What decides whether the best entry answers: its features and how it stands against the runner-up.
DECISION_FEATURES = (
    "score", "margin", "wording_coverage", "coverage", "reverse_coverage", "reading", "kana",
    "unmatched",  # the largest share of the question's word weight that one word no field of the entry holds carries
    "heaviest",  # 1 if the entry holds the question's heaviest word (the one that names the topic)
    "near_coverage",
    "near_unmatched",  # as unmatched, for a word that no field of the entry holds nor comes near in meaning
    "meaning",
    "meaning_lead",  # how much nearer in meaning the best entry is than the runner-up
    # A sibling (国保の加入 / 脱退) is close in score and holds the question's words too; an entry that only shares
    # generic words with a topic not published leads by little against a runner-up that holds as much.
    "relative_margin",  # the margin as a share of the best score
    "coverage_lead",  # how much more of the question's word weight the best entry's fields hold than the runner-up's
    "wording_lead",  # … its best wording holds than the runner-up's
    "runner_heaviest",  # 1 if the runner-up holds the question's heaviest word too
    "alone",  # 1 if no other entry shares a word with the question
)


@dataclass(frozen=True)
class StaffParams:
    """The knobs of the staff index; the weights are fitted by bench/fit_staff.py (make fit-staff)."""

    k1: float = 1.2
    b: float = 0.5
    delta: float = 0.5
    verb_weight: float = 0.6  # verbs and adjectives say less about the topic than nouns
    rank_weights: tuple[float, ...] = (0.737, 0.737, 1.131, 1.269, 1.519, 0.553, 1.077, 0.877, 0.282, 2.107, 1.123)
    decision_weights: tuple[float, ...] = (0.097, 0.085, -0.238, -0.238, 2.477, 1.573, 0.735, -0.665, -0.44, 3.78, 2.046, 2.942, 4.686, 1.156, 0.758, 0.122, -0.4, -4.965)
    decision_bias: float = -9.684
    # Where the documents do not answer, the best entry answers when the decision is this sure, unless a question
    # word this heavy is one the entry lacks (ハンコ in 「ハンコの登録」 against a dog-registration entry). Both are
    # fitted (bench/fit_staff.py).
    min_confidence: float = 0.375
    max_unmatched: float = 0.5
    # Where the documents answer too, a staff entry takes the question only when this sure, or when one of its
    # wordings and the question hold this much of each other (a wording staff recorded, nearly word for word):
    # quoting a staff answer over the right passage costs more than the reverse. The confidence is fitted too.
    min_confidence_over_corpus: float = 0.8
    word_for_word: float = 0.9
    # Or when the entry's confidence is this far above the documents' own in their passage (their fitted rule): a
    # passage they barely chose is often one that says neither where nor how (a plan to put 住民票 online).
    lead_over_corpus: float = 0.1


@dataclass(frozen=True)
class StaffEntry:
    """An answer staff stand behind and the residents' wordings it answers.

    unit is a FAQ unit (the staff answer) or a corpus unit residents' wordings were linked to.
    """

    unit: Unit
    wordings: tuple[str, ...]  # for a FAQ entry its own question comes first

    @property
    def answer_text(self) -> str:
        """Return the text that describes what the entry answers: a FAQ's answer; a corpus unit is ranked by the corpus."""
        return f"{self.unit.text}\n{self.unit.department or ''}" if self.unit.kind == FAQ else ""


@dataclass(frozen=True)
class StaffHit:
    """An entry and how well it matches a question."""

    entry: StaffEntry
    score: float
    features: dict[str, float]


@dataclass(frozen=True)
class StaffMatch:
    """The best entry for a question, the runner-up, and how sure the index is that the best one answers."""

    hits: list[StaffHit]
    confidence: float  # the fitted probability that the best entry is the right answer
    confident: bool  # sure enough to answer where the documents do not
    sure: bool  # sure enough to answer even where the documents do

    @property
    def best(self) -> StaffHit | None:
        """Return the best entry, if any matched at all."""
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class Background:
    """How many corpus units use each term, so that a word common in ward texts counts little."""

    frequency: Counter = field(default_factory=Counter)
    size: int = 0

    @classmethod
    def of(cls, retriever: Retriever) -> Background:
        """Count the corpus units (with their residents' questions) that use each term.

        A unit using a noun made from a verb uses the verb too, as the entries' texts do (topic_words): the
        verb's weight is that of the act, however it is written (申し込む in 「申し込みの受付」).
        """
        frequency: Counter[str] = Counter()
        for terms in retriever.unit_terms.values():
            used = set(terms.head) | set(terms.body) | {t for q in terms.asked for t in q}
            frequency.update(used | {verb for t in used if (verb := verb_of_noun(t))})
        return cls(frequency, len(retriever.unit_terms))


def faq_unit(entry_id: int, ward: str, question: str, answer: str, department: str | None) -> Unit:
    """Make the unit a staff-written FAQ entry answers with."""
    return Unit(
        id=f"faq-{entry_id}",
        doc_id="faq",
        ward=ward,
        document=FAQ_DOCUMENT,
        kind=FAQ,
        section=f"FAQ {entry_id}",
        title=question,
        question=question,
        text=answer,
        department=department or None,
    )


def reading_bigrams(reading: str) -> set[str]:
    """Return the bigrams of a katakana reading, long vowel marks dropped (ほいくえん / ホイクエン)."""
    kana = "".join(ch for ch in reading if "ァ" <= ch <= "ヶ")
    return {kana[i : i + 2] for i in range(len(kana) - 1)}


def written_word_readings(analyzer: Analyzer, text: str) -> frozenset[str]:
    """Return the readings of each run of words written with kanji or katakana (印鑑登録 → インカントウロク)."""
    runs, current = [], ""
    for surface, reading in analyzer.readings(text):
        if reading and not HIRAGANA_RUN.fullmatch(surface):
            current += reading
        elif current:
            runs.append(current)
            current = ""
    return frozenset([*runs, current] if current else runs)


def hiragana_runs(text: str) -> list[str]:
    """Return the runs of MIN_READING or more hiragana in text, in katakana: how a resident spells words they would not write in kanji.

    A long vowel mark belongs to the run, as residents spell loanwords so (へるぷまーく: ヘルプマーク).
    """
    return [run.translate(TO_KATAKANA) for run in KANA_RUN.findall(unicodedata.normalize("NFKC", text))]


def row_sums(matrix: np.ndarray) -> np.ndarray:
    """Return each row's sum, added left to right as a Python sum would, so that equal rows give equal sums to the bit."""
    return np.cumsum(matrix, axis=1)[:, -1] if matrix.shape[1] else np.zeros(matrix.shape[0])


@functools.lru_cache(maxsize=100_000)  # residents' questions bring new compounds: the cache must not grow for ever
def compound_parts(surface: str) -> tuple[str, ...]:
    """Return the nouns a compound is made of, by Sudachi's short split, each with its verb (出生届 → 出生, 届け, 届ける).

    Sudachi keeps a compound whole or cuts it by what surrounds it (期日前投票 / 期日・前): the parts let
    「期日前」 meet 「期日」, and 「赤ちゃんの届け」 an entry that says 出生届.
    """
    parts = [
        form for form, pos, subpos in short_parts(surface)
        if pos == "名詞" and subpos not in SKIPPED_SUBPOS and form not in QUESTION_WORDS
    ]
    return tuple(dict.fromkeys(t for part in parts for t in (part, verb_of_noun(part)) if t))


def with_parts(words: list[Word]) -> list[Word]:
    """Return the words, each compound noun also matching the nouns it is made of (compound_parts)."""
    return [
        replace(w, groups=(*w.groups, *parts)) if w.pos == "名詞" and (parts := compound_parts(w.surface)) else w
        for w in words
    ]


def topic_words(analyzer: Analyzer, words: list[Word]) -> list[Word]:
    """Return the words that can name a topic, each also matching its parts (compound_parts), its verb (申し込み:
    申し込む) and its kind (corpus/kinds.txt).

    A lone hiragana character is a piece of a word spelt in hiragana that Sudachi cut apart (そうさいひ → さ):
    it would match any text holding that character as a word.
    """
    named = [w for w in words if not (len(w.surface) == 1 and HIRAGANA_RUN.fullmatch(w.surface))]
    return analyzer.with_kinds(analyzer.with_verbs(with_parts(named)))


@dataclass(frozen=True)
class Analysis:
    """A text of an entry, analysed once: its words, their index terms, its readings and its nouns."""

    words: list[Word]
    terms: frozenset[str]
    grams: frozenset[str]
    written: frozenset[str]  # readings of the words written in kanji or katakana
    nouns: tuple[tuple[str, str], ...]  # its nouns and compounds as written and as read, for the entries' speller


class TextCache:
    """Analyses of entries' texts, kept across rebuilds so that a staff change re-analyses only what it changed."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self._analyses: dict[str, Analysis] = {}
        self._lock = threading.Lock()  # a worker's rebuild and a console preview may build at the same time

    def analysis(self, text: str) -> Analysis:
        """Return the analysis of a text, computing it the first time."""
        found = self._analyses.get(text)
        if found is None:
            words = topic_words(self.analyzer, self.analyzer.analyze(text))
            terms = frozenset(t for w in words for t in w.terms)
            found = Analysis(
                words, terms, frozenset(reading_bigrams(self.analyzer.reading(text))),
                written_word_readings(self.analyzer, text), tuple(self.analyzer.noun_readings(text)),
            )
            with self._lock:
                self._analyses[text] = found
        return found

    def keep_only(self, texts: set[str]) -> None:
        """Forget the analyses of texts no entry holds any more."""
        with self._lock:
            self._analyses = {text: a for text, a in self._analyses.items() if text in texts}


class StaffIndex:
    """Rank staff entries for a question and decide whether the best one answers; rebuilt on every staff change."""

    def __init__(
        self,
        entries: list[StaffEntry],
        analyzer: Analyzer,
        background: Background = Background(),
        params: StaffParams = StaffParams(),
        cache: TextCache | None = None,
        vectors: WordVectors | None = None,
    ) -> None:
        self.entries = entries
        self.analyzer = analyzer
        self.params = params
        cache = cache or TextCache(analyzer)
        wordings = [[cache.analysis(w) for w in e.wordings] for e in entries]
        answers = [cache.analysis(e.answer_text) for e in entries]
        cache.keep_only({w for e in entries for w in e.wordings} | {e.answer_text for e in entries})
        all_terms = [frozenset().union(*(a.terms for a in analyses)) for analyses in wordings]
        answer_terms = [a.terms for a in answers]
        grams = [frozenset().union(answer.grams, *(a.grams for a in analyses)) for analyses, answer in zip(wordings, answers)]
        # Words typed in kana (へるぷまーく, そうおん) are spelled as the entries write them, as the corpus's are
        # spelled as the documents write them (index/kana.py): staff write of services the documents never name.
        readings = ReadingCounts()
        for analysis in (*(a for analyses in wordings for a in analyses), *answers):
            readings.update(analysis.nouns)
        self.kana = KanaSpeller.from_readings(readings, analyzer.same_word)
        frequency = Counter(background.frequency)
        for wording_terms, answer_held in zip(all_terms, answer_terms):
            frequency.update(wording_terms | answer_held)
        size = background.size + len(entries)
        self._idf = {t: math.log(1 + (size - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        self._unknown_idf = math.log(1 + (size + 0.5) / 0.5)
        gram_frequency = Counter(g for held in grams for g in held)
        self._gram_idf = {g: math.log(1 + (len(entries) - df + 0.5) / (df + 0.5)) for g, df in gram_frequency.items()}
        bm25 = {"k1": params.k1, "b": params.b, "delta": params.delta}
        self._wordings_field = Field([list(t) or ["\0"] for t in all_terms] or [["\0"]], **bm25)
        self._answer_field = Field([list(t) or ["\0"] for t in answer_terms] or [["\0"]], **bm25)
        self._wards = np.array([e.unit.ward for e in entries])
        self._term_columns(wordings, answer_terms)
        self._grams = Vocabulary()
        self._gram_holders = TermHolders(TermSets(grams, self._grams), self._grams)
        self._gram_weights = np.array([self._gram_idf[g] for g in self._grams.ids])
        # Every stretch of MIN_READING or more kana of each entry's written readings, so that a hiragana run's pieces are
        # looked up, not searched for in every reading.
        self._kana_pieces = Vocabulary()
        pieces = TermSets(({reading[i : i + n] for analysis in (*analyses, answer) for reading in analysis.written
                            for n in range(MIN_READING, len(reading) + 1) for i in range(len(reading) - n + 1)}
                           for analyses, answer in zip(wordings, answers)), self._kana_pieces)
        self._kana_holders = TermHolders(pieces, self._kana_pieces)
        # Without entries there is nothing to be near: the vectors are read when the first entry is published.
        self._near_columns(wordings, answers, vectors or default_word_vectors() if entries else None)

    def _term_columns(self, wordings: list[list[Analysis]], answer_terms: list[frozenset[str]]) -> None:
        """Turn the entries' term sets around (which wordings, answers and wordings' words hold each term), so that a
        question meets every entry in a few array lookups; and weigh each wording's words once."""
        vocabulary = Vocabulary()
        wording_sets = TermSets((a.terms for analyses in wordings for a in analyses), vocabulary)
        answer_sets = TermSets(answer_terms, vocabulary)
        words = [a.words for analyses in wordings for a in analyses]
        word_sets = TermSets((w.terms for held in words for w in held), vocabulary)
        self._vocabulary = vocabulary
        self._wording_holders = TermHolders(wording_sets, vocabulary)
        self._answer_holders = TermHolders(answer_sets, vocabulary)
        self._word_holders = TermHolders(word_sets, vocabulary)
        self._wording_starts = np.cumsum([0] + [len(analyses) for analyses in wordings[:-1]]).astype(np.intp)
        # Each wording's words as a row of word ids, padded with one past the last (which rank reads as held by no
        # question), their weights beside them, and each wording's whole weight.
        width = max(map(len, words), default=0) or 1
        self._wording_words = np.full((len(words), width), len(word_sets), dtype=np.intp)
        self._wording_word_weights = np.zeros((len(words), width))
        wording_weights = []
        first = 0
        for row, held in enumerate(words):
            weights = [self.word_weight(w) for w in held]
            self._wording_words[row, : len(held)] = np.arange(first, first + len(held))
            self._wording_word_weights[row, : len(held)] = weights
            wording_weights.append(sum(weights) or 1.0)
            first += len(held)
        self._wording_weight = np.array(wording_weights)

    def _near_columns(self, wordings: list[list[Analysis]], answers: list[Analysis], vectors: WordVectors | None) -> None:
        """Lay the vectors of the entries' words side by side as one matrix, so that a question word meets all of them in
        one product, and note which entries hold each word, so that the few words near a question word name their entries."""
        self.vectors = vectors
        vocabulary = Vocabulary()
        # Row 0 is near nothing: with it the products are, to the bit, those the ranking weights were fitted on.
        rows: list[np.ndarray] = [np.zeros(DIMENSIONS, dtype=np.float32)]
        held_forms = []
        meanings = []
        for analyses, answer in zip(wordings, answers):
            held, meaning = [], np.zeros(DIMENSIONS, dtype=np.float32)
            for form in sorted({w.form for a in (*analyses, answer) for w in a.words}):
                if form not in vocabulary.ids and vectors and (vector := vectors.vector(form)) is not None:
                    vocabulary.add([form])
                    rows.append(vector)
                if form in vocabulary.ids:
                    held.append(form)
                    meaning += self._idf.get(form, self._unknown_idf) * rows[1 + vocabulary.ids[form]]
            held_forms.append(held)
            meanings.append(meaning / (np.linalg.norm(meaning) or 1.0))
        self._meanings = np.array(meanings, dtype=np.float32).reshape(-1, DIMENSIONS)
        self._near_matrix = np.array(rows, dtype=np.float32)
        self._near_holders = TermHolders(TermSets(held_forms, vocabulary), vocabulary)

    def nearness(self, words: list[Word], weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """Return, for each question word and each entry, how near in meaning the entry's nearest word is (0 when not
        near), and how near each entry's words are to the question's as a whole (the cosine of their weighted means)."""
        if not (self.vectors and words):
            return np.zeros((len(words), len(self.entries))), np.zeros(len(self.entries))
        vectors = [self.vectors.vector(w.form) for w in words]
        known = np.array([v if v is not None else np.zeros(DIMENSIONS, dtype=np.float32) for v in vectors])
        cosines = (known @ self._near_matrix.T)[:, 1:]
        # Only the few entry words near a question word are traced to the entries that hold them.
        near_words, near_forms = np.nonzero(cosines >= NEAR_IN_MEANING)
        positions, pairs = ranges(self._near_holders.starts, near_forms)
        nearest = np.zeros((len(words), len(self.entries)), dtype=np.float32)
        np.maximum.at(nearest, (near_words[pairs], self._near_holders.rows[positions]), cosines[near_words, near_forms][pairs])
        meaning = np.asarray(weights, dtype=np.float32) @ known
        meaning /= np.linalg.norm(meaning) or 1.0
        return nearest, self._meanings @ meaning

    def idf(self, word: Word) -> float:
        """Return a word's weight: rare in ward texts and staff entries, or unknown to both, weighs most."""
        known = [self._idf[t] for t in word.terms if t in self._idf]
        return max(known) if known else self._unknown_idf

    def word_weight(self, word: Word) -> float:
        """Return how much a word of the question counts: its rarity, less for verbs and adjectives."""
        return self.idf(word) * (self.params.verb_weight if word.pos in ("動詞", "形容詞") else 1.0)

    def spelled(self, question: str, words: list[Word]) -> list[Word]:
        """Return the question's words with those it spells in kana as the entries write them, in place of Sudachi's pieces."""
        spelled = self.kana.spell(question)
        if spelled == question:
            return words
        typed = {w.form for w in self.analyzer.analyze(question)}
        read = self.analyzer.analyze(spelled)
        pieces = typed - {w.form for w in read}
        held = {w.form for w in words}
        return [w for w in words if w.form not in pieces] + [w for w in read if w.form not in typed and w.form not in held]

    def rank(self, question: str, words: list[Word], ward: str | None, limit: int = 5) -> list[StaffHit]:
        """Return the entries that share words with the question, best first."""
        if not self.entries:
            return []  # a deployment without staff entries: nothing to spell, analyse or score
        words = topic_words(self.analyzer, self.spelled(question, words))
        runs = hiragana_runs(question)
        if not (words or runs):
            return []
        weights = [self.word_weight(w) for w in words]
        total = sum(weights) or 1.0
        query_terms = {t: 0.0 for w in words for t in w.terms}
        for word, weight in zip(words, weights):
            for term in word.terms:
                query_terms[term] = max(query_terms[term], weight)
        wordings_bm25 = self._wordings_field.scores(query_terms)
        answer_bm25 = self._answer_field.scores(query_terms)
        grams = reading_bigrams(self.analyzer.reading(question))
        gram_total = sum(self._gram_idf.get(g, 0.0) for g in grams) or 1.0
        kana = self.kana_shares(runs)
        near, meanings = self.nearness(words, weights)
        # Only entries that share a word with the question or a word spelt in hiragana compete, and the few whose
        # words come nearest to the question's in meaning: a shared reading alone is too weak to answer, and most
        # entries hold some word near some question word.
        in_ward = np.ones(len(self.entries), dtype=bool) if ward is None else self._wards == ward
        near_share = np.where(in_ward, np.asarray(weights) @ near, 0.0)
        nearest = np.argsort(-near_share)[:NEAR_CANDIDATES]
        compete = (wordings_bm25 > 0) | (answer_bm25 > 0) | (kana > 0)
        compete[nearest[near_share[nearest] > 0]] = True
        candidates = np.flatnonzero(compete & in_ward)
        if not len(candidates):
            return []
        question = QuestionTerms([w.terms for w in words], self._vocabulary)
        weight = np.asarray(weights, dtype=float)
        # Which question words each wording holds, and each entry's best wording: the first that holds the most.
        held_by_wording = self._wording_holders.holds(question)
        wording_shares = shares(held_by_wording, weights, total)
        starts = self._wording_starts
        most = np.maximum.reduceat(wording_shares, starts)
        counts = np.diff(np.append(starts, len(wording_shares)))
        rows = np.arange(len(wording_shares))
        best = np.minimum.reduceat(np.where(wording_shares == np.repeat(most, counts), rows, len(rows)), starts)[candidates]
        held_wordings = np.logical_or.reduceat(held_by_wording, starts)[candidates]
        held_answer = self._answer_holders.holds(question)[candidates]
        held = held_wordings | held_answer
        # How much of the best wording's own word weight the question holds, summed word by word as written.
        words_held = np.append(self._word_holders.holds_any(question), False)[self._wording_words[best]]
        reverse = row_sums(np.where(words_held, self._wording_word_weights[best], 0.0)) / self._wording_weight[best]
        # A word the fields hold counts whole; one only near in meaning, by how near.
        nearness = np.where(held, 1.0, near[:, candidates].T.astype(float))
        unheld = weight / total
        # Each entry's share of the question's reading bigrams, their weights added up in one pass.
        gram_ids = np.array(self._grams.lookup(grams), dtype=np.int64)
        positions, owners = ranges(self._gram_holders.starts, gram_ids)
        reading = np.bincount(self._gram_holders.rows[positions], self._gram_weights[gram_ids[owners]], minlength=len(self.entries))
        columns = {
            "wording_coverage": most[candidates],
            "coverage": shares(held_wordings, weights, total),
            "answer_coverage": shares(held_answer, weights, total),
            "reverse_coverage": reverse,
            "field_coverage": shares(held, weights, total),
            "wordings_bm25": wordings_bm25[candidates] / total,
            "answer_bm25": answer_bm25[candidates] / total,
            "reading": reading[candidates] / gram_total,
            "kana": kana[candidates],
            "unmatched": np.where(held, 0.0, unheld).max(axis=1, initial=0.0),
            "heaviest": held[:, int(np.argmax(weights))].astype(float) if words else np.zeros(len(candidates)),
            "near_coverage": row_sums(weight * nearness) / total,
            "near_unmatched": np.where(nearness == 0.0, unheld, 0.0).max(axis=1, initial=0.0),
            "meaning": meanings[candidates].astype(float),
        }
        scores = np.column_stack([columns[n] for n in STAFF_FEATURES]) @ np.asarray(self.params.rank_weights)
        order = np.argsort(-scores, kind="stable")[:limit]  # ties keep the entries' order
        values = {name: column[order].tolist() for name, column in columns.items()}
        return [
            StaffHit(self.entries[candidates[k]], float(scores[k]), {name: column[j] for name, column in values.items()})
            for j, k in enumerate(order.tolist())
        ]

    def kana_shares(self, runs: list[str]) -> np.ndarray:
        """Return, for each entry, the share of the hiragana runs' characters found, MIN_READING or more in a row, in
        the readings of the words it writes in kanji or katakana (each run counting its longest piece found)."""
        total = sum(len(run) for run in runs)
        matched = np.zeros(len(self.entries), dtype=np.int64)
        for run in runs:
            longest = np.zeros(len(self.entries), dtype=np.int64)
            for n in range(MIN_READING, len(run) + 1):  # longer pieces last: each entry keeps its longest
                for i in range(len(run) - n + 1):
                    if (piece := self._kana_pieces.ids.get(run[i : i + n])) is not None:
                        longest[self._kana_holders.rows_of(piece)] = n
            matched += longest
        return matched / total if total else np.zeros(len(self.entries))

    def match(self, question: str, words: list[Word], ward: str | None) -> StaffMatch:
        """Rank the entries for a question and say whether the best one answers it."""
        hits = self.rank(question, words, ward)
        if not hits:
            return StaffMatch(hits, 0.0, False, False)
        values = decision_values([h.score for h in hits[:2]], [h.features for h in hits[:2]])
        confidence = float(decision_confidence(self.params, np.array([values[n] for n in DECISION_FEATURES])))
        return StaffMatch(hits, confidence, bool(confident(self.params, confidence, values)),
                          bool(sure(self.params, confidence, values)))


def decision_values(scores: list[float], features: list[dict[str, float]]) -> dict[str, float]:
    """Return what the decision weighs, from the best entry's score and features and the runner-up's (if any)."""
    best, runner = features[0], features[1] if len(features) > 1 else {}
    margin = scores[0] - (scores[1] if runner else 0.0)
    return best | {
        "score": scores[0],
        "margin": margin,
        "relative_margin": margin / scores[0] if scores[0] > 0 else 0.0,
        "coverage_lead": best["field_coverage"] - runner.get("field_coverage", 0.0),
        "wording_lead": best["wording_coverage"] - runner.get("wording_coverage", 0.0),
        "runner_heaviest": runner.get("heaviest", 0.0),
        "meaning_lead": best["meaning"] - runner.get("meaning", 0.0),
        "alone": float(not runner),
    }


# A value for one question, or the array of them for every question of the fit (bench/fit_staff.py): the three rules
# below decide both alike.
OneOrAll = float | np.ndarray


def decision_confidence(params: StaffParams, rows: np.ndarray) -> OneOrAll:
    """Return how sure the decision is that the best entry answers, 0 to 1, from DECISION_FEATURES' values in a row (or rows)."""
    z = rows @ np.asarray(params.decision_weights) + params.decision_bias
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def confident(params: StaffParams, confidence: OneOrAll, values: dict[str, OneOrAll]) -> bool | np.ndarray:
    """Say whether the best entry answers where the documents do not: sure enough, and no heavy question word missing."""
    return (confidence >= params.min_confidence) & (values["unmatched"] <= params.max_unmatched)


def sure(params: StaffParams, confidence: OneOrAll, values: dict[str, OneOrAll]) -> bool | np.ndarray:
    """Say whether an entry's match is sure enough to answer where the documents answer too."""
    word_for_word = np.minimum(values["wording_coverage"], values["reverse_coverage"]) >= params.word_for_word
    # However sure the rule, an entry without the question's heaviest word may be another topic (ハンコの登録, 犬の登録).
    nearly_sure = (confidence >= params.min_confidence_over_corpus) & (values["heaviest"] > 0)
    return nearly_sure | word_for_word


def outweighs(params: StaffParams, confidence: OneOrAll, corpus_confidence: OneOrAll) -> bool | np.ndarray:
    """Say whether an entry is so much surer than the documents of their passage that it answers instead."""
    return confidence - corpus_confidence > params.lead_over_corpus


class StaffAnswerer(Answerer):
    """Answer from a confident staff entry first, and from the corpus otherwise."""

    def __init__(self, corpus: Answerer, staff: StaffIndex) -> None:
        self.__dict__.update(corpus.__dict__)  # the corpus answerer's retriever, wards and ward words, shared
        self.staff = staff

    def staff_match(self, question: str, ward: str | None = None) -> StaffMatch:
        """Return how the staff entries match a question, scoped as the answer would be."""
        question = unicodedata.normalize("NFKC", question).strip()
        query = self.query(question, ward)
        return self.staff.match(question, query.words, query.ward)

    def answer(self, question: str, ward: str | None = None) -> Answer:
        """Answer with the staff entry that holds the question, else as the corpus answers."""
        text = unicodedata.normalize("NFKC", question).strip()
        if SMALL_TALK.match(text):
            return super().answer(question, ward)
        query = self.query(text, ward)
        match = self.staff.match(text, query.words, query.ward)
        if not match.sure:
            from_corpus = self.answer_query(text, query)
            if from_corpus.resolved:
                if not outweighs(self.staff.params, match.confidence, from_corpus.confidence):
                    return from_corpus
            elif not match.confident:
                return from_corpus
        unit = match.best.entry.unit
        if unit.kind == FAQ:  # the staff's own text, quoted from its start
            hit = Hit(unit, match.confidence, match.best.features)
            text = leading_sentences(unit.text)
        else:  # a linked corpus unit, cut as the corpus cuts it
            hit = Hit(unit, match.confidence, match.best.features, self.retriever.unit_terms[unit.id])
            text = self.extract(hit, query)
        return Answer(resolved=True, text=text, hits=[hit], department=unit.department, ward=query.ward)


def leading_sentences(text: str, limit: int = MAX_EXTRACTED_ANSWER_CHARS) -> str:
    """Return text's sentences from its start, as many as fit in limit characters."""
    chosen = ""
    for sentence in split_segments(text):
        if len(chosen) + len(sentence) > limit:
            break
        chosen += sentence
    return chosen.strip() or text[: limit - 1] + "…"
