"""Field-weighted BM25 over the corpus units, reranked by how much of the question a unit covers."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rank_bm25 import BM25Plus

from index.analysis import Analyzer, Word, split_sentences
from index.units import Document, Unit


@dataclass(frozen=True)
class RankingParams:
    """The knobs of ranking and abstention, chosen by measurement on the development set."""

    k1: float = 1.2
    b: float = 0.75
    delta: float = 0.5
    head_weight: float = 1.0  # question, title, heading path: what a unit is about
    body_weight: float = 0.6  # the text quoted to residents
    gram_weight: float = 0.2  # character bigrams of the text: catch compounds split differently
    candidates: int = 40  # how many BM25 leaders are reranked
    # Rerank: relative BM25 plus the shares of the question's weight the unit, its best sentence and its heading hold.
    rerank_bm25: float = 1.0
    rerank_coverage: float = 0.5
    rerank_sentence: float = 0.5
    rerank_head: float = 0.3
    rerank_answer_type: float = 0.15  # asks "when" and the unit has a date, "how many" and it has a count …
    survey_penalty: float = 0.3  # residents' survey comments are not the ward's answer, unless asked for
    superseded_factor: float = 0.85  # an older plan ranks below its successor
    # Abstention: the best unit must hold this much of the question's weight, in all and in one sentence.
    min_coverage: float = 0.5
    min_sentence_coverage: float = 0.3
    min_bm25: float = 3.0


@dataclass(frozen=True)
class Query:
    """A question, analysed: its content words and what kind of answer it wants."""

    words: list[Word]
    ward: str | None = None
    prefer_doc: str | None = None  # an older document the question names, not to be ranked down
    answer_types: frozenset[str] = frozenset()  # "when", "count", "department"
    wants_survey: bool = False


@dataclass(frozen=True)
class Hit:
    """A unit and how well it matches a question."""

    unit: Unit
    score: float  # the reranked score: what orders hits
    bm25: float
    coverage: float  # share of the question's word weight the unit holds
    sentence_coverage: float  # … that its best sentence holds


@dataclass(frozen=True)
class UnitTerms:
    """A unit's index terms, kept so that the index can be rebuilt without re-tokenizing."""

    head: tuple[str, ...]
    body: tuple[str, ...]
    grams: tuple[str, ...]
    sentences: tuple[frozenset[str], ...] = field(default=())


# What an answer of each type looks like in the documents.
ANSWER_TYPE_PATTERNS = {
    "when": re.compile(r"(令和|平成)\s?\d+\s?年|\d+\s?月|\d{4}\s?年|年度"),
    "count": re.compile(r"\d[\d,.]*\s?(人|件|名|%|％|回|円|校|台|か所|箇所|手続)"),
}
SURVEY_HEADING = re.compile(r"アンケート|調査結果|自由意見|ワークショップ")


class Retriever:
    """Rank units for a question; immutable, so one instance is shared by all threads."""

    def __init__(
        self,
        units: list[Unit],
        documents: list[Document],
        analyzer: Analyzer,
        params: RankingParams = RankingParams(),
        unit_terms: dict[str, UnitTerms] | None = None,
    ) -> None:
        self.units = units
        self.documents = {d.id: d for d in documents}
        self.analyzer = analyzer
        self.params = params
        known = unit_terms or {}
        self.unit_terms = {u.id: known.get(u.id) or self._terms_of(u) for u in units}
        terms = [self.unit_terms[u.id] for u in units]
        bm25 = {"k1": params.k1, "b": params.b, "delta": params.delta}
        # An empty field still needs a token: rank-bm25 divides by the corpus length.
        self._head = BM25Plus([list(t.head) or ["\0"] for t in terms], **bm25)
        self._body = BM25Plus([list(t.body) or ["\0"] for t in terms], **bm25)
        self._grams = BM25Plus([list(t.grams) or ["\0"] for t in terms], **bm25)
        self._term_sets = [set(t.head) | set(t.body) for t in terms]
        self._head_sets = [set(t.head) for t in terms]
        document_frequency: Counter[str] = Counter()
        for term_set in self._term_sets:
            document_frequency.update(term_set)
        n = len(units)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._wards = np.array([u.ward for u in units])
        self._factor = np.array([self._document_factor(u) for u in units])
        self._answer_types = [self._answer_types_of(u) for u in units]
        self._survey = np.array([bool(SURVEY_HEADING.search(" ".join(u.headings) + u.title)) for u in units])

    def with_units(self, extra: list[Unit]) -> Retriever:
        """Return a retriever over the corpus plus extra units, reusing the tokenized corpus."""
        replaced = {e.id for e in extra}
        base = [u for u in self.units if u.id not in replaced]
        # A replaced unit (a corpus unit with linked phrasings) must be tokenized anew.
        known = {unit_id: terms for unit_id, terms in self.unit_terms.items() if unit_id not in replaced}
        return Retriever(base + extra, list(self.documents.values()), self.analyzer, self.params, known)

    def _terms_of(self, unit: Unit) -> UnitTerms:
        """Tokenize a unit's fields and each of its sentences."""
        head_text = "\n".join([unit.question, *unit.phrasings, unit.title, *unit.headings, unit.measure or ""])
        sentences = split_sentences(unit.text) + split_sentences(unit.question)
        return UnitTerms(
            head=tuple(self.analyzer.terms(head_text)),
            body=tuple(self.analyzer.terms(unit.text)),
            grams=tuple(bigrams(unit.question + "\n" + unit.text)),
            sentences=tuple(frozenset(self.analyzer.terms(s)) for s in sentences),
        )

    def _document_factor(self, unit: Unit) -> float:
        """Rank units of a superseded document below those of its successor."""
        document = self.documents.get(unit.doc_id)
        return self.params.superseded_factor if document is not None and document.superseded_by else 1.0

    @staticmethod
    def _answer_types_of(unit: Unit) -> frozenset[str]:
        """Return the kinds of answer a unit can give: dates, counts, a department."""
        found = {kind for kind, pattern in ANSWER_TYPE_PATTERNS.items() if pattern.search(unit.text)}
        if unit.department or "担当" in unit.text:
            found.add("department")
        return frozenset(found)

    def idf(self, word: Word) -> float:
        """Return a word's weight: rare words matter, words unknown to the corpus matter most."""
        known = [self._idf[t] for t in word.terms if t in self._idf]
        return max(known) if known else self._unknown_idf

    def search(self, query: Query, limit: int = 5) -> list[Hit]:
        """Return the best units for a query, best first."""
        terms = [t for w in query.words for t in w.terms]
        if not terms or not self.units:
            return []
        p = self.params
        grams = [g for w in query.words for g in bigrams(w.surface)]
        scores = (
            p.head_weight * self._field_scores(self._head, terms)
            + p.body_weight * self._field_scores(self._body, terms)
            + p.gram_weight * self._field_scores(self._grams, grams)
        )
        if query.ward is not None:
            scores = np.where(self._wards == query.ward, scores, -np.inf)
        leaders = [i for i in np.argsort(-scores)[: p.candidates] if np.isfinite(scores[i]) and scores[i] > 0]
        if not leaders:
            return []
        top = scores[leaders[0]]
        hits = [self._rerank(query, i, float(scores[i]), float(top)) for i in leaders]
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    def _rerank(self, query: Query, index: int, bm25: float, top: float) -> Hit:
        """Score one candidate by relative BM25 and by how much of the question it covers."""
        p = self.params
        weights = [self.idf(w) for w in query.words]
        total = sum(weights) or 1.0

        def share(term_set) -> float:
            return sum(wt for w, wt in zip(query.words, weights) if any(t in term_set for t in w.terms)) / total

        coverage = share(self._term_sets[index])
        sentences = self.unit_terms[self.units[index].id].sentences
        sentence_coverage = max((share(s) for s in sentences), default=0.0)
        typed = len(query.answer_types & self._answer_types[index]) / len(query.answer_types) if query.answer_types else 0.0
        survey = self._survey[index] and not query.wants_survey
        score = (
            p.rerank_bm25 * bm25 / top
            + p.rerank_coverage * coverage
            + p.rerank_sentence * sentence_coverage
            + p.rerank_head * share(self._head_sets[index])
            + p.rerank_answer_type * typed
            - p.survey_penalty * survey
        ) * self._factor_of(query, index)
        return Hit(self.units[index], score, bm25, coverage, sentence_coverage)

    def _factor_of(self, query: Query, index: int) -> float:
        """Return the superseded-document factor of a unit, unless the question names its document."""
        return 1.0 if self.units[index].doc_id == query.prefer_doc else float(self._factor[index])

    def _field_scores(self, bm25: BM25Plus, terms: list[str]) -> np.ndarray:
        """Score one field, less the delta BM25Plus gives every unit, so that 0 means no match."""
        floor = bm25.delta * sum(bm25.idf.get(t) or 0.0 for t in terms)
        return bm25.get_scores(terms) - floor

    def resolves(self, hit: Hit) -> bool:
        """Say whether the best hit answers the question well enough to quote it."""
        p = self.params
        return hit.coverage >= p.min_coverage and hit.sentence_coverage >= p.min_sentence_coverage and hit.bm25 >= p.min_bm25


def bigrams(text: str) -> list[str]:
    """Return the character bigrams of text, word by word (no bigram spans a space or a symbol)."""
    grams: list[str] = []
    for chunk in re.split(r"[^\w・ー]+", unicodedata.normalize("NFKC", text).lower()):
        grams.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return grams
