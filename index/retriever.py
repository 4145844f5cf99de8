"""Field-weighted BM25 over the corpus units, reranked by how much of the question a unit covers."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rank_bm25 import BM25Plus

from index.analysis import Analyzer, Word, split_segments
from index.slots import Slot
from index.units import FAQ, GLOSSARY, QA, Document, Unit


# What the reranker looks at for each BM25 leader; the weights below are fitted to these, in order.
RERANK_FEATURES = (
    "head",  # BM25 of the head field (question, title, headings), relative to the best leader
    "grams",  # … of its character bigrams (the body field counts in the first stage only: here it added nothing)
    "segment",  # … of its best single sentence or list item
    "coverage",  # share of the question's word weight the unit holds
    "sentence_coverage",  # … its best segment holds
    "head_coverage",  # … its head holds
    "answer_type",  # asks when / how many / who … and the best segment or the unit gives that
    "survey",  # +1 a survey result for a question about a survey (its overview only when asked how it was done), -1 where only one is about one
    "glossary",  # a glossary entry for a question that does not ask what a term means
    "superseded",  # from a plan a newer one replaced, not named in the question
    "named",  # +1 from a document the question names, -1 from another one
    "comment",  # a public comment row (or a staff FAQ entry)
    "length",  # log of the unit's length in characters: a long unit covers words by chance
    "asked",  # BM25 of the residents' questions the unit answers (questions_answered), relative to the best leader
    "asked_coverage",  # share of the question's word weight the best of those questions holds
    "asked_best",  # BM25 of the best single one of those questions, relative to the best leader
)
DETAIL_TYPES = frozenset({"when", "count", "target", "department", "money", "hours", "phone"})
# What the abstention rule looks at for the best hit.
ABSTAIN_FEATURES = (
    "score", "margin", "coverage", "sentence_coverage", "head_coverage", "type_missing", "unmatched", "unknown",
    "asked_coverage", "asked_best",  # how close the question comes to one the unit is known to answer
)


@dataclass(frozen=True)
class RankingParams:
    """The knobs of ranking and abstention; the weights are fitted to tests/data by bench/fit.py (make fit)."""

    k1: float = 1.2
    b: float = 0.75
    delta: float = 0.5
    # First stage: which units are worth reranking.
    head_weight: float = 1.0
    body_weight: float = 0.6
    gram_weight: float = 0.2
    segment_weight: float = 2.0
    asked_weight: float = 1.0
    candidates: int = 40
    verb_weight: float = 0.3  # verbs and adjectives say less about the topic than nouns
    affix_weight: float = 0.3
    synonym_weight: float = 0.5  # a Sudachi synonym-group match counts less than the word itself
    rerank_weights: tuple[float, ...] = (0.014, 1.164, 1.291, 1.913, 0.78, 0.499, 1.545, 0.993, -0.333, -1.316, 0.17, -0.66, 0.498, 1.582, 1.027, 1.29)
    abstain_weights: tuple[float, ...] = (0.713, -0.193, -0.254, -1.378, 0.1, -2.822, -0.658, -1.631, 1.135, 0.065)
    abstain_bias: float = -2.364
    min_confidence: float = 0.77
    # A staff-written FAQ entry or linked wording answers whenever it holds this much of the question.
    min_curated_coverage: float = 0.8


@dataclass(frozen=True)
class Query:
    """A question, analysed: its content words and what kind of answer it wants."""

    words: list[Word]
    ward: str | None = None
    documents: frozenset[str] = frozenset()  # the documents the question names (情報化推進計画 …)
    answer_types: frozenset[str] = frozenset()  # ANSWER_TYPES: when, count, money, hours, phone, department …
    wants_survey: bool = False
    asks_survey_conduct: bool = False  # how a survey was done (回答数, 対象, 方法), not what it found
    slots: tuple[Slot, ...] = ()  # the details asked for (a month, a count of 冊 …), which the quoted sentence must give
    defined: frozenset[str] = frozenset()  # glossary units whose term the question asks the meaning of: they come first


@dataclass(frozen=True)
class Segment:
    """One sentence or list item of a unit, as the index split it, with its terms."""

    text: str
    terms: frozenset[str]


@dataclass(frozen=True)
class Hit:
    """A unit and how well it matches a question, with the segments the match was measured on."""

    unit: Unit
    score: float  # the reranked score: what orders hits
    features: dict[str, float]  # RERANK_FEATURES and the match features ABSTAIN_FEATURES reads
    text_segments: tuple[Segment, ...] = ()  # the unit's text, split
    question_segments: tuple[Segment, ...] = ()  # a public comment's question, split


@dataclass(frozen=True)
class UnitTerms:
    """A unit's index terms, kept so that the index can be rebuilt without re-tokenizing."""

    head: tuple[str, ...]
    body: tuple[str, ...]
    grams: tuple[str, ...]
    segments: tuple[tuple[str, ...], ...] = field(default=())  # each sentence or list item, text's then question's
    segment_texts: tuple[str, ...] = ()  # the same sentences and list items as text
    text_segments: int = 0  # how many of the segments are the text's
    segment_types: tuple[frozenset[str], ...] = ()  # per segment, the kinds of answer it gives (SEGMENT_ANSWER_TYPES)
    asked: tuple[tuple[str, ...], ...] = ()  # each residents' question the unit answers (questions_answered)


# What a sentence answering each type of question looks like in the documents.
SEGMENT_ANSWER_TYPES = {
    "when": re.compile(r"(令和|平成)\s?(\d+|元)\s?年|\d+\s?月|\d{4}\s?年|\d+\s?年度"),
    # A figure with its counter, or a KPI value (現況(令和2年度): 9,100), which has none.
    "count": re.compile(r"(?<![第\d,.])\d[\d,.]*\s?(人|件|名|%|％|回|円|校|台|か所|箇所|手続|時間|種類|分|つ)|(?<![第\d,.])\d+の(?=[^\d\s])|(現況|目標)[^:：\n]*[:：]\s*[\d,.]+"),
    "target": re.compile(r"目標|指標"),
    "department": re.compile(r"担当|[^\s、。：:（）()]{2,}(課|室)(?!題|程|長)"),
    "money": re.compile(r"\d[\d,.]*\s?(円|万円|億円)|無料|有料"),
    "hours": re.compile(r"\d{1,2}\s?時(?!間)|\d{1,2}:\d\d|[月火水木金土日]曜|平日|休日"),
    "phone": re.compile(r"\d{2,4}\s?[-‐－(（]\s?\d{2,4}\s?[-‐－)）]\s?\d{3,4}"),
}
SURVEY_HEADING = re.compile(r"アンケート|調査結果|自由意見|ワークショップ")
# A survey's overview (who was asked, how, how many answered) rather than one of its results.
SURVEY_OVERVIEW = re.compile(r"調査の概要|調査項目|回答者の属性")


class Field:
    """One BM25Plus field (rank-bm25's statistics), scored through an inverted index.

    rank-bm25 scans every document in Python for each query term; the inverted index touches only
    the documents that hold the term, which keeps an ask within a few milliseconds.
    """

    def __init__(self, documents: list[list[str]], k1: float, b: float, delta: float) -> None:
        self.bm25 = BM25Plus(documents, k1=k1, b=b, delta=delta)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for index, frequencies in enumerate(self.bm25.doc_freqs):
            for term, count in frequencies.items():
                entry = postings.setdefault(term, ([], []))
                entry[0].append(index)
                entry[1].append(count)
        self._postings = {term: (np.array(ids), np.array(counts, dtype=float)) for term, (ids, counts) in postings.items()}
        # BM25's length normalization, per document, as rank-bm25 computes it.
        self._norm = k1 * (1 - b + b * np.array(self.bm25.doc_len) / self.bm25.avgdl)
        self.size = len(documents)

    def scores(self, terms: dict[str, float]) -> np.ndarray:
        """Score every document, each term weighted, without BM25Plus's per-term floor (0 = no match)."""
        bm25 = self.bm25
        scores = np.zeros(self.size)
        for term, weight in terms.items():
            posting = self._postings.get(term)
            if posting is None:
                continue  # an unknown term scores nothing anywhere
            ids, counts = posting
            # BM25Plus gives every document idf·delta for every term; only what a match adds is kept.
            scores[ids] += weight * bm25.idf[term] * counts * (bm25.k1 + 1) / (self._norm[ids] + counts)
        return scores


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
        self._head = Field([list(t.head) or ["\0"] for t in terms], **bm25)
        self._body = Field([list(t.body) or ["\0"] for t in terms], **bm25)
        self._grams = Field([list(t.grams) or ["\0"] for t in terms], **bm25)
        self._asked = Field([[term for q in t.asked for term in q] or ["\0"] for t in terms], **bm25)
        self._asked_sets = [[set(q) for q in t.asked] for t in terms]
        # Each question is also ranked alone, like each sentence: one that matches well says more than many that touch.
        self._asked_unit = np.array([i for i, t in enumerate(terms) for _ in t.asked] or [0])
        self._asked_each = Field([list(q) or ["\0"] for t in terms for q in t.asked] or [["\0"]], **bm25)
        self._term_sets = [set(t.head) | set(t.body) for t in terms]
        self._head_sets = [set(t.head) for t in terms]
        self._segment_sets = [[set(segment) for segment in t.segments] for t in terms]
        self._split = [split_hit_segments(t) for t in terms]
        self._positions = {u.id: i for i, u in enumerate(units)}
        # Every sentence and list item is also ranked alone, so that one matching line of a long list counts.
        self._segment_unit = np.array([i for i, t in enumerate(terms) for _ in t.segments] or [0])
        self._segments = Field([list(s) or ["\0"] for t in terms for s in t.segments] or [["\0"]], **bm25)
        document_frequency: Counter[str] = Counter()
        # The residents' questions count too: a word they use is not unknown to the corpus.
        for term_set, asked_sets in zip(self._term_sets, self._asked_sets):
            document_frequency.update(term_set.union(*asked_sets))
        n = len(units)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._wards = np.array([u.ward for u in units])
        self._superseded = [bool(self.documents.get(u.doc_id) and self.documents[u.doc_id].superseded_by) for u in units]
        self._answer_types = [self._answer_types_of(u) for u in units]
        self._segment_types = [t.segment_types for t in terms]
        self._survey = np.array([bool(SURVEY_HEADING.search(" ".join(u.headings) + u.title)) for u in units])
        self._survey_overview = np.array([bool(SURVEY_OVERVIEW.search(" ".join(u.headings) + u.title)) for u in units])

    def with_units(self, extra: list[Unit]) -> Retriever:
        """Return a retriever over the corpus plus extra units, reusing the tokenized corpus."""
        replaced = {e.id for e in extra}
        base = [u for u in self.units if u.id not in replaced]
        # A replaced unit (a corpus unit with linked phrasings) must be tokenized anew.
        known = {unit_id: terms for unit_id, terms in self.unit_terms.items() if unit_id not in replaced}
        return Retriever(base + extra, list(self.documents.values()), self.analyzer, self.params, known)

    def _terms_of(self, unit: Unit) -> UnitTerms:
        """Tokenize a unit's fields and each of its sentences and list items."""
        head_text = "\n".join([unit.question, *unit.phrasings, unit.title, *unit.headings, unit.measure or ""])
        texts = split_segments(unit.text)
        segments = texts + split_segments(unit.question)
        terms = [tuple(self.analyzer.terms(s)) for s in segments]
        return UnitTerms(
            head=tuple(self.analyzer.terms(head_text)),
            # The text is its segments: tokenizing it once more would only cost time.
            body=tuple(term for segment in terms[: len(texts)] for term in segment),
            grams=tuple(bigrams(unit.question + "\n" + unit.text)),
            segments=tuple(terms),
            segment_texts=tuple(segments),
            text_segments=len(texts),
            segment_types=tuple(
                frozenset(kind for kind, pattern in SEGMENT_ANSWER_TYPES.items() if pattern.search(segment))
                for segment in segments
            ),
            asked=tuple(tuple(self.analyzer.terms(question)) for question in questions_answered(unit)),
        )

    @staticmethod
    def _answer_types_of(unit: Unit) -> frozenset[str]:
        """Return the kinds of question a whole unit answers: who is in charge, a comment, a term."""
        found = set()
        if unit.department or SEGMENT_ANSWER_TYPES["department"].search(unit.text):
            found.add("department")
        if unit.kind in (QA, FAQ):
            found.add("comment")
        if unit.kind == GLOSSARY:
            found.add("definition")
        return frozenset(found)

    def idf(self, word: Word) -> float:
        """Return a word's weight: rare words matter, words unknown to the corpus matter most."""
        known = [self._idf[t] for t in word.terms if t in self._idf]
        return max(known) if known else self._unknown_idf

    def word_weight(self, word: Word) -> float:
        """Return how much a word of the question counts, by its part of speech."""
        if word.pos in ("動詞", "形容詞"):
            return self.params.verb_weight
        if word.pos in ("接頭辞", "接尾辞"):
            return self.params.affix_weight
        return 1.0

    def search(self, query: Query, limit: int = 5) -> list[Hit]:
        """Return the best units for a query, best first."""
        if not query.words or not self.units:
            return []
        p = self.params
        weighted: dict[str, float] = {}
        for word in query.words:
            weight = self.word_weight(word)
            weighted[word.form] = weighted.get(word.form, 0.0) + weight
            for group in word.groups:
                weighted[group] = weighted.get(group, 0.0) + weight * p.synonym_weight
        grams: dict[str, float] = {}
        for word in query.words:
            for gram in bigrams(word.surface):
                grams[gram] = grams.get(gram, 0.0) + self.word_weight(word)
        fields = {
            "head": self._head.scores(weighted),
            "body": self._body.scores(weighted),
            "grams": self._grams.scores(grams),
            "segment": np.zeros(len(self.units)),
            "asked": self._asked.scores(weighted),
            "asked_best": np.zeros(len(self.units)),
        }
        np.maximum.at(fields["asked_best"], self._asked_unit, self._asked_each.scores(weighted))
        np.maximum.at(fields["segment"], self._segment_unit, self._segments.scores(weighted))
        scores = (
            p.head_weight * fields["head"]
            + p.body_weight * fields["body"]
            + p.gram_weight * fields["grams"]
            + p.segment_weight * fields["segment"]
            + p.asked_weight * fields["asked"]
        )
        if query.ward is not None:
            scores = np.where(self._wards == query.ward, scores, -np.inf)
        leaders = [i for i in np.argsort(-scores)[: p.candidates] if np.isfinite(scores[i]) and scores[i] > 0]
        # A term the question asks the meaning of is answered by its glossary entry, however the rest matches.
        leaders += [
            i for i in (self._positions[u] for u in sorted(query.defined) if u in self._positions)
            if i not in leaders and np.isfinite(scores[i])
        ]
        if not leaders:
            return []
        # Field scores count relative to the best leader's, so that one weight fits long and short questions.
        tops = {name: max(float(values[leaders].max()), 1e-9) for name, values in fields.items()}
        hits = []
        for i in leaders:
            features = self._features(query, i) | {name: float(fields[name][i]) / tops[name] for name in fields}
            score = float(np.dot(p.rerank_weights, [features[name] for name in RERANK_FEATURES]))
            features["defined"] = float(self.units[i].id in query.defined)
            hits.append(Hit(self.units[i], score, features, *self._split[i]))
        hits.sort(key=lambda h: (-h.features["defined"], -h.score))
        return hits[:limit]

    def _features(self, query: Query, index: int) -> dict[str, float]:
        """Describe how one unit matches the question beyond BM25."""
        weights = [self.idf(w) * self.word_weight(w) for w in query.words]
        total = sum(weights) or 1.0

        def share(term_set) -> float:
            return sum(wt for w, wt in zip(query.words, weights) if any(t in term_set for t in w.terms)) / total

        segment_shares = [share(s) for s in self._segment_sets[index]]
        sentence_coverage = max(segment_shares, default=0.0)
        answer_type, strict_answer_type = 0.0, 0.0
        asks_detail = bool(query.answer_types & DETAIL_TYPES)
        if query.answer_types:
            found = set(self._answer_types[index])
            nearby = set(found)
            if segment_shares:
                # A date or a count answers if it stands in the sentence that matches best (strictly);
                # for ranking, also in one next to it or in any that matches half as well, since the line
                # with the figure (意見受付件数: 4人4件) often repeats few of the question's words.
                best = segment_shares.index(sentence_coverage)
                found |= self._segment_types[index][best]
                for share_of, kinds in zip(segment_shares, self._segment_types[index]):
                    if share_of >= sentence_coverage / 2:
                        nearby |= kinds
                for neighbour in self._segment_types[index][max(0, best - 1) : best + 2]:
                    nearby |= neighbour
            answer_type = len(query.answer_types & nearby) / len(query.answer_types)
            strict_answer_type = len(query.answer_types & found) / len(query.answer_types)
        unit = self.units[index]
        terms = self._term_sets[index]
        return {
            "coverage": share(terms),
            "sentence_coverage": sentence_coverage,
            "head_coverage": share(self._head_sets[index]),
            "answer_type": answer_type,
            "survey": survey_match(
                bool(self._survey[index]), bool(self._survey_overview[index]), query.wants_survey, query.asks_survey_conduct
            ),
            "glossary": float(unit.kind == GLOSSARY and "definition" not in query.answer_types),
            "superseded": float(self._superseded[index] and unit.doc_id not in query.documents),
            "named": (1.0 if unit.doc_id in query.documents else -1.0) if query.documents else 0.0,
            "comment": float(unit.kind in (QA, FAQ)),
            "length": math.log10(len(unit.text) + len(unit.question) + 10),
            "asked_coverage": max((share(q) for q in self._asked_sets[index]), default=0.0),
            # The question asks for a date, a number, an amount, hours, a phone number or a department,
            # and the best sentence has none.
            "type_missing": float(asks_detail and strict_answer_type < 1.0),
            "unmatched": max(
                (wt / total for w, wt in zip(query.words, weights) if not any(t in terms for t in w.terms)), default=0.0
            ),
            # Nouns of the question the corpus never uses: often the very thing it does not cover.
            "unknown": float(sum(1 for w in query.words if w.pos == "名詞" and not any(t in self._idf for t in w.terms))),
        }

    def confidence(self, hits: list[Hit]) -> float:
        """Return how sure the best hit answers the question, 0 to 1 (a fitted logistic rule)."""
        if not hits:
            return 0.0
        best = hits[0]
        margin = best.score - hits[1].score if len(hits) > 1 else best.score
        values = best.features | {"score": best.score, "margin": margin}
        z = self.params.abstain_bias + float(np.dot(self.params.abstain_weights, [values[n] for n in ABSTAIN_FEATURES]))
        return 1.0 / (1.0 + math.exp(-z))

    def resolves(self, hits: list[Hit]) -> bool:
        """Say whether the best hit answers the question well enough to quote it."""
        if hits and (self.curated_match(hits[0]) or hits[0].features.get("defined")):
            return True
        return self.confidence(hits) >= self.params.min_confidence

    def curated_match(self, hit: Hit) -> bool:
        """Say whether staff wrote or linked this wording: a FAQ entry or phrasing that holds the question."""
        curated = hit.unit.kind == FAQ or bool(hit.unit.phrasings)
        return curated and hit.features["head_coverage"] >= self.params.min_curated_coverage


def split_hit_segments(terms: UnitTerms) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Pair a unit's segment texts with their terms: the text's segments, then the question's."""
    segments = tuple(Segment(text, frozenset(words)) for text, words in zip(terms.segment_texts, terms.segments))
    return segments[: terms.text_segments], segments[terms.text_segments :]


def survey_match(survey: bool, overview: bool, wants_survey: bool, asks_conduct: bool) -> float:
    """Return +1 when a survey unit meets a survey question, -1 when only one is about a survey, else 0.

    A survey's overview meets only a question about how the survey was done: asked what residents
    answered, its results should win over it.
    """
    if not (survey or wants_survey):
        return 0.0
    if survey != wants_survey:
        return -1.0
    return 1.0 if asks_conduct or not overview else 0.0


def bigrams(text: str) -> list[str]:
    """Return the character bigrams of text, word by word (no bigram spans a space or a symbol)."""
    grams: list[str] = []
    for chunk in re.split(r"[^\w・ー]+", unicodedata.normalize("NFKC", text).lower()):
        grams.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return grams


def questions_answered(unit: Unit) -> tuple[str, ...]:
    """Return the residents' questions a unit answers: those listed for it, staff's wording and linked wordings."""
    staff_wording = (unit.question,) if unit.kind == FAQ else ()
    return (*unit.asked, *staff_wording, *unit.phrasings)
