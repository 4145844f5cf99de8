"""Field-weighted BM25 over the corpus units, with ward scoping and an abstention rule."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Plus

from index.analysis import Analyzer, Word
from index.units import Document, Unit


@dataclass(frozen=True)
class RankingParams:
    """The knobs of ranking and abstention, chosen by measurement on the development set."""

    k1: float = 1.2
    b: float = 0.75
    delta: float = 0.5
    head_weight: float = 1.0  # question, title, heading path: what a unit is about
    body_weight: float = 0.6  # the text quoted to residents
    superseded_factor: float = 0.8  # an older plan ranks below its successor
    min_coverage: float = 0.5  # share of the question's word weight the best unit must contain
    min_score: float = 3.0


@dataclass(frozen=True)
class Hit:
    """A unit and how well it matches a question."""

    unit: Unit
    score: float
    coverage: float


@dataclass(frozen=True)
class UnitTerms:
    """A unit's index terms, kept so that the index can be rebuilt without re-tokenizing."""

    head: tuple[str, ...]
    body: tuple[str, ...]


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
        heads = [list(self.unit_terms[u.id].head) or ["\0"] for u in units]
        bodies = [list(self.unit_terms[u.id].body) or ["\0"] for u in units]
        self._head = BM25Plus(heads, k1=params.k1, b=params.b, delta=params.delta)
        self._body = BM25Plus(bodies, k1=params.k1, b=params.b, delta=params.delta)
        self._term_sets = [set(self.unit_terms[u.id].head) | set(self.unit_terms[u.id].body) for u in units]
        document_frequency: Counter[str] = Counter()
        for terms in self._term_sets:
            document_frequency.update(terms)
        n = len(units)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._wards = np.array([u.ward for u in units])
        self._factor = np.array([self._unit_factor(u) for u in units])

    def with_units(self, extra: list[Unit]) -> Retriever:
        """Return a retriever over the corpus plus extra units, reusing the tokenized corpus."""
        base = [u for u in self.units if u.id not in {e.id for e in extra}]
        return Retriever(base + extra, list(self.documents.values()), self.analyzer, self.params, self.unit_terms)

    def _terms_of(self, unit: Unit) -> UnitTerms:
        """Tokenize a unit's fields."""
        head_text = "\n".join([unit.question, unit.title, *unit.headings, unit.measure or ""])
        return UnitTerms(tuple(self.analyzer.terms(head_text)), tuple(self.analyzer.terms(unit.text)))

    def _unit_factor(self, unit: Unit) -> float:
        """Rank units of a superseded document below those of its successor."""
        document = self.documents.get(unit.doc_id)
        if document is not None and document.superseded_by:
            return self.params.superseded_factor
        return 1.0

    def idf(self, word: Word) -> float:
        """Return a word's weight: rare words matter, words unknown to the corpus matter most."""
        known = [self._idf[t] for t in word.terms if t in self._idf]
        return max(known) if known else self._unknown_idf

    def search(self, words: list[Word], ward: str | None = None, prefer_doc: str | None = None, limit: int = 5) -> list[Hit]:
        """Return the best units for the question's words, best first."""
        query = [t for w in words for t in w.terms]
        if not query or not self.units:
            return []
        p = self.params
        scores = p.head_weight * self._field_scores(self._head, query) + p.body_weight * self._field_scores(
            self._body, query
        )
        factor = self._factor.copy()
        if prefer_doc is not None:
            factor = np.where(np.array([u.doc_id == prefer_doc for u in self.units]), 1.0, factor)
        scores = scores * factor
        if ward is not None:
            scores = np.where(self._wards == ward, scores, -np.inf)
        order = np.argsort(-scores)[:limit]
        return [
            Hit(self.units[i], float(scores[i]), self.coverage(words, i))
            for i in order
            if np.isfinite(scores[i]) and scores[i] > 0
        ]

    def _field_scores(self, field: BM25Plus, query: list[str]) -> np.ndarray:
        """Score one field, less the delta BM25Plus gives every unit, so that 0 means no match."""
        floor = field.delta * sum(field.idf.get(t) or 0.0 for t in query)
        return field.get_scores(query) - floor

    def coverage(self, words: list[Word], index: int) -> float:
        """Return the share of the question's word weight that unit number index contains."""
        terms = self._term_sets[index]
        total = sum(self.idf(w) for w in words)
        covered = sum(self.idf(w) for w in words if any(t in terms for t in w.terms))
        return covered / total if total else 0.0
