"""Field-weighted BM25 over the corpus units, reranked by how much of the question a unit covers."""
from __future__ import annotations

import itertools
import math
import re
import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from rank_bm25 import BM25Plus
from tqdm import tqdm

from index.analysis import Analyzer, Word, split_segments
from index.kana import KanaSpeller, ReadingCounts, VerbSpeller
from index.slots import Slot
from index.termsets import QuestionTerms, TermSets, Vocabulary, end_to_end, held_by_owners, ranges, shares
from index.text import labelled_rows, table_headings
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
    "superseded",  # from a plan a newer one replaced, not named in the question, or a draft amended since, asked the end
    "named",  # +1 from a document the question names, 0 from another that names it in its text, -1 from another
    "comment",  # a public comment row (or a staff FAQ entry)
    "length",  # log of the unit's length in characters: a long unit covers words by chance
    "asked",  # BM25 of the residents' questions the unit answers (Unit.asked), relative to the best leader
    "asked_coverage",  # share of the question's word weight the best of those questions holds
    "asked_best",  # BM25 of the best single one of those questions, relative to the best leader
)
DETAIL_TYPES = frozenset({"when", "count", "target", "department", "money", "hours", "phone"})
# What the abstention rule looks at for the best hit.
ABSTAIN_FEATURES = (
    "score", "margin", "coverage", "sentence_coverage", "head_coverage", "type_missing", "unmatched", "unknown",
    "asked_coverage", "asked_best",  # how close the question comes to one the unit is known to answer
    "slot_given",  # the question asks a detail (何人, いつ …) and the answer cut from the hit gives it (index/slots.py)
    "type_led",  # the question asks for a date, a number … and the sentence the answer leads with gives it
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
    rerank_weights: tuple[float, ...] = (0.278, 1.046, 1.095, 1.881, 1.08, 0.356, 1.525, 0.673, -0.169, -1.04, 0.586, -0.476, 0.575, 1.5, 1.16, 1.295)
    abstain_weights: tuple[float, ...] = (0.749, -0.129, 0.89, -2.021, -0.241, -3.208, -1.465, -1.11, 2.795, -1.001, 2.465, -0.014)
    abstain_bias: float = -4.54
    min_confidence: float = 0.32


@dataclass(frozen=True)
class Query:
    """A question, analysed: its content words and what kind of answer it wants."""

    words: list[Word]
    ward: str | None = None
    spelled: str = ""  # the question with its words typed in kana written as the corpus writes them (index/kana.py)
    documents: frozenset[str] = frozenset()  # the documents the question names (情報化推進計画 …)
    answer_types: frozenset[str] = frozenset()  # ANSWER_TYPES: when, count, money, hours, phone, department …
    wants_survey: bool = False
    counts_people: bool = False  # how many people or households do or have something: a survey's result answers it
    asks_survey_conduct: bool = False  # how a survey was done (回答数, 対象, 方法), not what it found
    asks_own_opinion: bool = False  # the bot's own view (あなたはどう思う？), which no passage holds
    asks_final: bool = False  # what a plan came to in the end (最終的に, 完成版): a draft amended since is outdated for it
    slots: tuple[Slot, ...] = ()  # the details asked for (a month, a count of 冊 …), which the quoted sentence must give
    # The question as glossary terms are compared: as typed, in Sudachi's normalized forms, as it reads (Answerer.term_texts)
    term_texts: tuple[str, ...] = ()
    defined: frozenset[str] = frozenset()  # glossary units whose term the question asks the meaning of: they come first
    items: frozenset[str] = frozenset()  # the numbered items the question names (目標1, 取組7: index.text.numbered_items)


@dataclass(frozen=True)
class Segment:
    """One sentence or list item of a unit, as the index split it, with its terms and the kinds of answer it gives."""

    text: str
    terms: frozenset[str]
    kinds: frozenset[str] = frozenset()  # SEGMENT_ANSWER_TYPES found in text, as the index found them


@dataclass(frozen=True)
class Hit:
    """A unit and how well it matches a question, with the segments the match was measured on."""

    unit: Unit
    score: float  # the reranked score: what orders hits
    features: dict[str, float]  # RERANK_FEATURES and the match features ABSTAIN_FEATURES reads
    terms: UnitTerms | None = None  # the unit's terms as indexed, split into segments when an answer is cut from it

    @property
    def text_segments(self) -> tuple[Segment, ...]:
        """Return the unit's text, split."""
        return self._segments[0]

    @property
    def question_segments(self) -> tuple[Segment, ...]:
        """Return a public comment's question, split."""
        return self._segments[1]

    # Made on first use: of the hits a search returns, usually only the best has an answer cut from it.
    @cached_property
    def _segments(self) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
        return split_hit_segments(self.terms) if self.terms is not None else ((), ())


@dataclass(frozen=True)
class UnitTerms:
    """A unit's index terms, as tokenized at build: what the staff index weighs words by, and hits are split into."""

    head: tuple[str, ...]
    segments: tuple[tuple[str, ...], ...] = field(default=())  # each sentence or list item, text's then question's
    segment_texts: tuple[str, ...] = ()  # the same sentences and list items as text
    text_segments: int = 0  # how many of the segments are the text's
    segment_types: tuple[frozenset[str], ...] = ()  # per segment, the kinds of answer it gives (SEGMENT_ANSWER_TYPES)
    asked: tuple[tuple[str, ...], ...] = ()  # each residents' question the unit answers (Unit.asked)

    @property
    def body(self) -> tuple[str, ...]:
        """Return the terms of the unit's text: those of its text's segments (not kept twice, for memory)."""
        return tuple(term for segment in self.segments[: self.text_segments] for term in segment)


# What a sentence answering each type of question looks like in the documents.
SEGMENT_ANSWER_TYPES = {
    "when": re.compile(r"(令和|平成|昭和)\s?(\d+|元|[一二三四五六七八九十]+)\s?年|\d+\s?月|\d{4}\s?年|\d+\s?年度"),
    # A figure with its counter, a KPI value (現況(令和2年度): 9,100), which has none, or a figure after the count it
    # gives (施策数 19、取組数:11).
    "count": re.compile(r"(?<![第\d,.])\d[\d,.]*\s?(人|件|名|%|％|パーセント|回|円|校|台|か所|箇所|手続|時間|種類|分|つ)|(?<![第\d,.])\d+の(?=[^\d\s])|(現況|目標)[^:：\n]*[:：]\s*[\d,.]+|数\s?[:：]?\s?\d"),
    "target": re.compile(r"目標|指標"),
    "department": re.compile(r"担当|[^\s、。：:（）()]{2,}(課|室)(?!題|程|長)"),
    "money": re.compile(r"\d[\d,.]*\s?(円|万円|億円)|無料|有料"),
    "hours": re.compile(r"\d{1,2}\s?時(?!間)|\d{1,2}:\d\d|[月火水木金土日]曜|平日|休日"),
    "phone": re.compile(r"\d{2,4}\s?[-‐－(（]\s?\d{2,4}\s?[-‐－)）]\s?\d{3,4}"),
}
SURVEY_HEADING = re.compile(r"アンケート|調査結果|自由意見|ワークショップ")
# A survey's overview (who was asked, how, how many answered) rather than one of its results.
SURVEY_OVERVIEW = re.compile(r"調査の概要|調査項目|回答者の属性")


# How many postings a working array covers at a time, where a whole field's would cost memory for nothing.
WORKING_CHUNK = 1 << 20
# Past this many residents' questions in the part asked for each of the leaders', their best question is found by
# looking up the leaders' questions alone rather than by scoring the whole part's (Retriever._best_asked).
ASKED_LOOKUP_RATIO = 50


class CountedTerms:
    """Where rank-bm25 keeps each document's term counts, kept as numbers: terms numbered as they first appear.

    rank-bm25 keeps a dict a document (tens of bytes a term); these are 4 bytes a term and a count,
    laid end to end in document order: at a large corpus's build, memory is what limits.
    """

    def __init__(self, numbers: dict[str, int]) -> None:
        self.numbers = numbers
        self.terms = array("i")
        self.counts = array("i")
        self.sizes = array("i")  # how many distinct terms each document holds

    def append(self, frequencies: dict[str, int]) -> None:
        """Take one document's term counts, as rank-bm25 appends them to its list."""
        numbers = self.numbers
        self.terms.extend([numbers.setdefault(term, len(numbers)) for term in frequencies])
        self.counts.extend(frequencies.values())
        self.sizes.append(len(frequencies))


class StreamedBM25Plus(BM25Plus):
    """rank-bm25's BM25Plus, its statistics its own, handing each document's term counts to a CountedTerms."""

    def __init__(self, corpus: Iterable[Sequence[str]], counted: CountedTerms, **params: float) -> None:
        self._counted = counted
        super().__init__(corpus, **params)

    def _initialize(self, corpus: Iterable[Sequence[str]]) -> dict[str, int]:
        self.doc_freqs = self._counted  # rank-bm25 only appends to it here
        return super()._initialize(corpus)


class Field:
    """One BM25Plus field (rank-bm25's statistics), scored through an inverted index.

    rank-bm25 scans every document in Python for each query term; the inverted index touches only
    the documents that hold the term. The postings are flat arrays (one slice a term, documents in
    order), so that the index pickles fast. Each posting keeps the score a term adds to its
    document, computed once here. The documents may be split into parts (one ward's units side by
    side): where each term's postings in each part begin is kept too, so that scoring a part
    touches that part's postings only, with no search through the others.
    """

    def __init__(
        self, documents: Iterable[Sequence[str]], k1: float, b: float, delta: float, part_starts: Sequence[int] = (0,)
    ) -> None:
        """Index documents (at least one); part_starts are the first document of each part, ascending from 0."""
        terms: dict[str, int] = {}
        counted = CountedTerms(terms)
        bm25 = StreamedBM25Plus(documents, counted, k1=k1, b=b, delta=delta)
        bm25.doc_freqs = []  # only its statistics are read below
        self.size = bm25.corpus_size
        self._terms = terms
        term_of = np.frombuffer(counted.terms, dtype=np.intc)
        counts = np.frombuffer(counted.counts, dtype=np.intc)
        sizes = np.frombuffer(counted.sizes, dtype=np.intc)
        del counted  # each of its arrays now lives as long as its view here, and no working array longer than needed
        lengths = np.bincount(term_of, minlength=len(terms))
        self._starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        # Postings term by term, each term's documents in order (a stable sort keeps them so).
        order = np.argsort(term_of, kind="stable")
        del term_of
        counts = counts[order]
        self._ids = np.repeat(np.arange(self.size, dtype=np.int32), sizes)[order]
        del order, sizes
        # Each posting keeps the score it adds: idf · tf · (k1 + 1) / (norm + tf), computed in place, in that order.
        impacts = np.repeat(np.array([bm25.idf[term] for term in terms]), lengths)
        impacts *= counts
        impacts *= k1 + 1
        # BM25's length normalization, per document, as rank-bm25 computes it.
        norm = k1 * (1 - b + b * np.array(bm25.doc_len) / bm25.avgdl)
        for first in range(0, len(impacts), WORKING_CHUNK):  # a chunk at a time: no posting-long temporary
            chunk = slice(first, first + WORKING_CHUNK)
            impacts[chunk] /= norm[self._ids[chunk]] + counts[chunk]
        del counts
        # BM25Plus gives every document idf·delta for every term; only what a match adds is kept.
        self._impacts = impacts
        self._part_starts = np.array([*part_starts, self.size], dtype=np.int64)
        # One key (term · parts + part) per term and part that holds it, in posting order (term, then part): its
        # postings there run from its first to the next key's first. A key begins with each term's postings and
        # wherever the part changes within them.
        parts = len(self._part_starts) - 1
        # Half the memory where the numbers allow (they do up to billions of postings), the working arrays' too.
        offset = np.int32 if max(len(lengths) * parts, len(self._ids)) < 2**31 else np.int64
        part = np.repeat(np.arange(parts, dtype=offset), np.diff(self._part_starts))[self._ids]
        begins = np.zeros(len(part), dtype=bool)
        begins[self._starts[:-1]] = True
        begins[1:] |= part[1:] != part[:-1]
        firsts = np.flatnonzero(begins)
        del begins
        term = (self._starts.searchsorted(firsts, side="right") - 1).astype(offset)
        self._part_keys = term * parts + part[firsts]
        self._part_firsts = np.append(firsts, len(part)).astype(offset)

    def scores(self, terms: dict[str, float], part: int | None = None) -> np.ndarray:
        """Score the documents of one part (all by default), each term weighted, without BM25Plus's floor (0 = no match)."""
        numbers = self._terms
        known = [(position, weight) for term, weight in terms.items() if (position := numbers.get(term)) is not None]
        positions = np.array([position for position, _ in known], dtype=np.int64)
        if part is None:
            start, stop = 0, self.size
            firsts, lasts = self._starts[positions], self._starts[positions + 1]
        else:
            start, stop = int(self._part_starts[part]), int(self._part_starts[part + 1])
            # Of the keys' own type: searchsorted would otherwise convert every key of the field at each call.
            keys = (positions * (len(self._part_starts) - 1) + part).astype(self._part_keys.dtype)
            at = np.minimum(self._part_keys.searchsorted(keys), len(self._part_keys) - 1)
            firsts, lasts = self._part_firsts[at], self._part_firsts[at + 1]
            lasts = np.where(self._part_keys[at] == keys, lasts, firsts)  # no postings where the part lacks the term
        # Every term's postings end to end, in the question's order: bincount adds each document's in that order,
        # so its score is summed term by term as a loop would sum it, touching only the documents that hold a term.
        lengths = (lasts - firsts).astype(np.int64)
        postings, _ = end_to_end(firsts, lengths)
        # take: faster than indexing for a flat gather.
        ids = self._ids.take(postings) - start if start else self._ids.take(postings)
        impacts = np.repeat([weight for _, weight in known], lengths) * self._impacts.take(postings)
        return np.bincount(ids, impacts, minlength=stop - start)

    def document_scores(self, terms: dict[str, float], documents: np.ndarray) -> np.ndarray:
        """Score the given documents alone, each term weighted, as scores() does: for a few documents of a large field."""
        known = [(self._terms[term], weight) for term, weight in terms.items() if term in self._terms]
        positions = np.array([position for position, _ in known], dtype=np.int64)
        # Every (term, document) pair, term by term in the question's order, looked up in one search of the keys;
        # bincount then adds each document's in that order, as a loop over the terms would.
        wanted = (positions[:, None] * self.size + np.asarray(documents, dtype=np.int64)).ravel()
        keys = self._posting_keys
        at = np.minimum(keys.searchsorted(wanted), len(keys) - 1)
        held = keys[at] == wanted
        impacts = np.repeat([weight for _, weight in known], len(documents))[held] * self._impacts[at[held]]
        owners = np.tile(np.arange(len(documents)), len(known))[held]
        return np.bincount(owners, impacts, minlength=len(documents))

    # Made on first use: only a field scored by document needs it (8 bytes a posting).
    @cached_property
    def _posting_keys(self) -> np.ndarray:
        """Return each posting's key, term · size + document: ascending, as the postings run term by term, documents in order."""
        terms = np.repeat(np.arange(len(self._starts) - 1, dtype=np.int64), np.diff(self._starts))
        return terms * self.size + self._ids


class Retriever:
    """Rank units for a question; immutable, so one instance is shared by all threads."""

    def __init__(
        self,
        units: list[Unit],
        documents: list[Document],
        analyzer: Analyzer,
        params: RankingParams = RankingParams(),
        progress: bool = False,
        names: Iterable[str] = (),
    ) -> None:
        # Each ward's units side by side, so that a question scoped to a ward scores only its slice of every field.
        ward_order = {ward: i for i, ward in enumerate(dict.fromkeys(u.ward for u in units))}
        units = sorted(units, key=lambda u: ward_order[u.ward])
        self.units = units
        self._positions = {u.id: i for i, u in enumerate(units)}
        self.documents = {d.id: d for d in documents}
        self.analyzer = analyzer
        self.params = params
        tokenizing = tqdm(units, desc="tokenizing units", unit="unit", disable=not progress)
        readings, verb_readings = ReadingCounts(), Counter()
        self.unit_terms = {u.id: self._terms_of(u, readings, verb_readings) for u in tokenizing}
        # Words typed in kana (でんししんせい) are spelled as the corpus writes them: the corpus's nouns, the synonym
        # and kinds files' words and the names given (the wards'), each by its reading (index/kana.py).
        # Of those, only nouns: a verb's reading is grammar's too (なくなる would be 亡くなる); verbs are spelled below,
        # by their inflection too.
        for name in (*analyzer.lexicon_words, *names):
            readings.update(pair for pair in analyzer.noun_readings(name, longest=len(name)) if pair[0] == name)
        self.kana = KanaSpeller.from_readings(readings, analyzer.same_word)
        # Verbs typed in kana (つかってる, かわる) are written as the documents and their residents' questions write them,
        # each verb also in its dictionary form, which a resident may type though no text of the corpus ends on it.
        written = {surface for surface, *_ in verb_readings}
        for verb in {verb for *_, verb in verb_readings} - written:
            verb_readings.update(form for form in analyzer.verb_readings(verb) if form[0] == verb)
        self.verbs = VerbSpeller.from_readings(verb_readings)
        terms = [self.unit_terms[u.id] for u in units]
        # Where each ward's units, sentences and residents' questions begin: every field is split by ward.
        per_ward = Counter(u.ward for u in units)
        bounds = np.cumsum([0] + [per_ward[ward] for ward in ward_order])
        self._ward_parts = ward_order
        self._ward_starts = [int(bound) for bound in bounds]
        self._segment_starts = np.cumsum([0] + [len(t.segments) for t in terms])
        # Where each unit's text's segments end (its question's follow): its body is those segments' terms.
        self._text_segment_ends = self._segment_starts[:-1] + np.array([t.text_segments for t in terms], dtype=np.int64)
        self._asked_starts = np.cumsum([0] + [len(t.asked) for t in terms])
        self._segment_unit = np.repeat(np.arange(len(units), dtype=np.int32), np.diff(self._segment_starts))
        bm25 = {"k1": params.k1, "b": params.b, "delta": params.delta, "part_starts": bounds[:-1]}
        # An empty field still needs a token: rank-bm25 divides by the corpus length. Each field reads its
        # documents as it indexes them (generators, the unit's own tuples), so no field's token lists are
        # all held at once: at a large corpus's build, memory is what limits.
        empty = ("\0",)
        self._head = Field((t.head or empty for t in terms), **bm25)
        self._body = Field((t.body or empty for t in terms), **bm25)
        # Character bigrams are cheap to cut again and many: they are not kept per unit.
        self._grams = Field((bigrams(u.question + "\n" + u.text) or empty for u in units), **bm25)
        self._asked = Field((tuple(term for q in t.asked for term in q) or empty for t in terms), **bm25)
        # Each question is also ranked alone, like each sentence: one that matches well says more than many that touch.
        asked_each = [q or empty for t in terms for q in t.asked] or [empty]
        self._asked_each = Field(asked_each, **bm25 | {"part_starts": self._asked_starts[bounds[:-1]]})
        # Every sentence and list item is also ranked alone, so that one matching line of a long list counts.
        segments = [s or empty for t in terms for s in t.segments] or [empty]
        self._segments = Field(segments, **bm25 | {"part_starts": self._segment_starts[bounds[:-1]]})
        del asked_each, segments
        document_frequency: Counter[str] = Counter()
        # The residents' questions count too: a word they use is not unknown to the corpus.
        for t in terms:
            document_frequency.update(set(t.head).union(t.body, *t.asked))
        n = len(units)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        heading_paths = [" ".join(u.headings) + u.title for u in units]
        self._survey = np.array([bool(SURVEY_HEADING.search(path)) for path in heading_paths])
        self._survey_overview = np.array([bool(SURVEY_OVERVIEW.search(path)) for path in heading_paths])
        # What the reranker reads of each unit, as arrays over all units (see _rerank_features).
        vocabulary = Vocabulary()
        self._vocabulary = vocabulary
        # Every unit's head, then every segment, then every residents' question: one family, so that the leaders'
        # rows of all three are looked up in one pass. The segments' rows begin after the heads', the questions' after.
        self._term_sets = TermSets(
            itertools.chain(
                (t.head for t in terms),
                (segment for t in terms for segment in t.segments),
                (question for t in terms for question in t.asked),
            ),
            vocabulary,
        )
        self._segment_rows_from = len(units)
        self._asked_rows_from = len(units) + int(self._segment_starts[-1])
        self._unit_kinds = np.array([kind_bits(self._answer_types_of(u)) for u in units], dtype=np.int64)
        self._segment_kinds = np.array([kind_bits(kinds) for t in terms for kinds in t.segment_types], dtype=np.int64)
        self._is_glossary = np.array([u.kind == GLOSSARY for u in units], dtype=bool)
        self._is_comment = np.array([u.kind in (QA, FAQ) for u in units], dtype=bool)
        superseded = [bool(self.documents.get(u.doc_id) and self.documents[u.doc_id].superseded_by) for u in units]
        self._is_superseded = np.array(superseded, dtype=bool)
        self._amended_docs = frozenset(draft for d in self.documents.values() for draft in d.amends)
        self._is_amended = np.array([u.doc_id in self._amended_docs for u in units], dtype=bool)
        self._doc_ids = np.array([u.doc_id for u in units])
        # The other documents of its ward a unit names in its text (平成13年に台東区情報化推進計画を策定, in the DX plan's
        # background): asked about that document, such a unit is no stranger to it.
        self._docs_named_in = [
            frozenset(
                d.id for d in self.documents.values()
                if d.ward == u.ward and d.id != u.doc_id and any(name in u.text for name in d.names)
            )
            for u in units
        ]
        self._lengths = np.array([math.log10(len(u.text) + len(u.question) + 10) for u in units])
        # Whether asking a unit's suggested question (「もしかして」) in a ward, or in none, quotes that unit: a property
        # of the corpus the answerer works out (index.answering.Answerer.suggestion_answered), kept in the index cache.
        self.suggestion_checks: dict[tuple[str, str | None], bool] = {}

    def spell(self, question: str) -> str:
        """Return the question with the words and verbs it types in kana written as the corpus writes them."""
        spelled = self.kana.spell(question)
        return self.verbs.spell(self.analyzer.verb_morphemes(spelled))

    def __getstate__(self) -> dict:
        """Pickle everything but the analyzer: Sudachi's dictionary is loaded, not pickled (see index.cache)."""
        return {name: value for name, value in self.__dict__.items() if name != "analyzer"}

    def _terms_of(self, unit: Unit, readings: ReadingCounts, verb_readings: Counter[tuple[str, str, str, str]]) -> UnitTerms:
        """Tokenize a unit's fields, each of its sentences and list items and its questions, counting their words' readings."""
        head_text = "\n".join([unit.question, unit.title, *unit.headings, unit.measure or ""])
        texts = split_segments(unit.text)
        segments = texts + split_segments(unit.question)
        terms = []
        for text in [*segments, head_text]:
            terms.append(tuple(self.analyzer.terms(text)))
            readings.update(self.analyzer.noun_readings(text))  # Sudachi's morphemes of text are reused, not cut again
            verb_readings.update(self.analyzer.verb_readings(text))
        head = terms.pop()
        asked = []
        for question in unit.asked:
            asked.append(tuple(self.analyzer.terms(question)))
            verb_readings.update(self.analyzer.verb_readings(question))
        # A table row is matched as it is read: under its column headings (and a row unit's 施策), as one segment.
        terms = [sum((terms[i] for i in table_headings(segments, number)), terms[number]) for number in range(len(terms))]
        return UnitTerms(
            head=head,
            segments=tuple(terms),
            segment_texts=tuple(segments),
            text_segments=len(texts),
            segment_types=tuple(answer_kinds(segment_kinds(segments, number)) for number in range(len(segments))),
            asked=tuple(asked),
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

    def amended(self, unit: Unit) -> bool:
        """Say whether the unit is from a draft that a later document amends (a plan's 中間のまとめ)."""
        return unit.doc_id in self._amended_docs

    def knows(self, word: Word) -> bool:
        """Say whether the corpus (or its residents' questions) holds any of the word's terms."""
        return any(t in self._idf for t in word.terms)

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
        if query.ward is not None and query.ward not in self._ward_parts:
            return []
        p = self.params
        weighted, grams = self._query_terms(query)
        part = None if query.ward is None else self._ward_parts[query.ward]
        start, stop = self._ward_bounds(part)
        fields = self._field_scores(weighted, grams, part)
        leaders = best_first(self._first_stage(fields), p.candidates)  # within start:stop
        # A term the question asks the meaning of is answered by its glossary entry, however the rest matches.
        defined = [self._positions[u] - start for u in sorted(query.defined) if u in self._positions]
        leaders += [i for i in defined if 0 <= i < stop - start and i not in leaders]
        if not leaders:
            return []
        positions = start + np.array(leaders)  # in self.units
        columns = self._rerank_features(query, positions)
        # Field scores count relative to the best leader's, so that one weight fits long and short questions.
        matches = {name: values[leaders] for name, values in fields.items()}
        matches["asked_best"] = self._best_asked(weighted, positions, part)
        columns |= {name: values / max(float(values.max()), 1e-9) for name, values in matches.items()}
        rows = np.column_stack([columns[name] for name in RERANK_FEATURES])
        weights = np.array(p.rerank_weights)
        # One dot product a leader, as the weights were fitted with (a matrix product rounds differently); the
        # array's own dot is the same product without np.dot's dispatch.
        scores = [float(weights.dot(row)) for row in rows]
        columns["defined"] = (
            np.array([float(self.units[start + i].id in query.defined) for i in leaders])
            if query.defined
            else np.zeros(len(leaders))
        )
        # Definitions first (a question asking what a term means), then by score.
        defined_first = columns["defined"].tolist()
        order = sorted(range(len(leaders)), key=lambda j: (-defined_first[j], -scores[j]))[:limit]
        # Only the hits returned get their features as a dict and their segments (for the answer): the features
        # are read out as Python floats in one conversion, not one NumPy scalar at a time.
        names = list(columns)
        table = np.column_stack([columns[name] for name in names])[order].tolist()
        hits = []
        for j, values in zip(order, table):
            unit = self.units[start + leaders[j]]
            hits.append(Hit(unit, scores[j], dict(zip(names, values)), self.unit_terms[unit.id]))
        return hits

    def _query_terms(self, query: Query) -> tuple[dict[str, float], dict[str, float]]:
        """Return the question's weighted terms (words and synonym groups) and its weighted character bigrams."""
        weighted: dict[str, float] = {}
        grams: dict[str, float] = {}
        for word in query.words:
            weight = self.word_weight(word)
            weighted[word.form] = weighted.get(word.form, 0.0) + weight
            for group in word.groups:
                weighted[group] = weighted.get(group, 0.0) + weight * self.params.synonym_weight
            for gram in bigrams(word.surface):
                grams[gram] = grams.get(gram, 0.0) + weight
        return weighted, grams

    def _first_stage(self, fields: dict[str, np.ndarray]) -> np.ndarray:
        """Combine the field scores into the score that picks the leaders to rerank."""
        p = self.params
        return (
            p.head_weight * fields["head"]
            + p.body_weight * fields["body"]
            + p.gram_weight * fields["grams"]
            + p.segment_weight * fields["segment"]
            + p.asked_weight * fields["asked"]
        )

    def _field_scores(self, weighted: dict[str, float], grams: dict[str, float], part: int | None) -> dict[str, np.ndarray]:
        """Return the BM25 score of every field of the first stage for one ward's units (its part), or all."""
        start, stop = self._ward_bounds(part)
        return {
            "head": self._head.scores(weighted, part),
            "body": self._body.scores(weighted, part),
            "grams": self._grams.scores(grams, part),
            "segment": self._best_segments(self._segments.scores(weighted, part), start, stop),
            "asked": self._asked.scores(weighted, part),
        }

    def _ward_bounds(self, part: int | None) -> tuple[int, int]:
        """Return where one ward's units (its part) begin and end in self.units, or the whole corpus's."""
        if part is None:
            return 0, len(self.units)
        return self._ward_starts[part], self._ward_starts[part + 1]

    def _best_segments(self, scores: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Return the score of each unit's best sentence, from those of the sentences of units start to stop."""
        first, last = self._segment_starts[start], self._segment_starts[stop]
        best = np.zeros(stop - start)
        owners = self._segment_unit[first:last] - start if start else self._segment_unit[first:last]
        # [: last - first]: a corpus without a single sentence has one empty stand-in, owned by no unit.
        np.maximum.at(best, owners, scores[: last - first])
        return best

    def _best_asked(self, weighted: dict[str, float], leaders: np.ndarray, part: int | None) -> np.ndarray:
        """Return the BM25 score of each leader's best residents' question (0 for none), the leaders of one ward's part (or all).

        Only the reranker reads it, so only the leaders' questions need a score. Scoring all the part's questions
        at once, as every field is scored, costs less than looking up each word in each of the leaders' questions,
        unless the part holds many times more questions than the leaders (a large corpus asked without a ward).
        Both add the same terms in the same order: the scores are the same to the bit.
        """
        rows, owners = ranges(self._asked_starts, leaders)
        start, stop = self._ward_bounds(part)
        first, last = int(self._asked_starts[start]), int(self._asked_starts[stop])
        if last - first > ASKED_LOOKUP_RATIO * len(rows):
            scores = self._asked_each.document_scores(weighted, rows)
        else:
            scores = self._asked_each.scores(weighted, part)[rows - first]
        best = np.zeros(len(leaders))
        np.maximum.at(best, owners, scores)
        return best

    def _rerank_features(self, query: Query, leaders: np.ndarray) -> dict[str, np.ndarray]:
        """Describe how each leader matches the question beyond BM25, all leaders at once (arrays over leaders).

        A new feature is one more array here: a per-unit property is an array built with the index and
        indexed by the leaders; a match with the question's words goes through the term sets' rows.
        """
        words = query.words
        weights = [self.idf(w) * self.word_weight(w) for w in words]
        total = sum(weights) or 1.0
        question = QuestionTerms([w.terms for w in words], self._vocabulary)
        count = len(leaders)
        segment_rows, segment_owner = ranges(self._segment_starts, leaders)
        asked_rows, asked_owner = ranges(self._asked_starts, leaders)
        # The leaders' heads, segments and residents' questions, in one lookup and one sum of shares (a row's
        # share is its own: summed with the others', it is the same to the bit).
        rows = np.concatenate([leaders, self._segment_rows_from + segment_rows, self._asked_rows_from + asked_rows])
        rows_held = self._term_sets.holds(rows, question)
        rows_shares = shares(rows_held, weights, total)
        head_held, segment_held, _ = np.split(rows_held, [count, count + len(segment_rows)])
        head_shares, segment_shares, asked_shares = np.split(rows_shares, [count, count + len(segment_rows)])
        # A unit's terms are its head's and its text's segments': what those hold, it holds (no scan of its own).
        in_text = segment_rows < self._text_segment_ends[leaders][segment_owner]
        held = head_held | held_by_owners(segment_held & in_text[:, None], segment_owner, count)
        sentence_coverage = np.zeros(count)
        np.maximum.at(sentence_coverage, segment_owner, segment_shares)
        asked_coverage = np.zeros(count)
        np.maximum.at(asked_coverage, asked_owner, asked_shares)
        answer_type, type_missing, type_led = np.zeros(count), np.zeros(count), np.zeros(count)
        if query.answer_types:
            wanted = kind_bits(query.answer_types)
            found = self._unit_kinds[leaders].copy()
            nearby = found.copy()
            # A date or a count answers if it stands in the sentence that matches best (strictly);
            # for ranking, also in one next to it or in any that matches half as well, since the line
            # with the figure (意見受付件数: 4人4件) often repeats few of the question's words.
            last = len(self._segment_kinds)
            best = np.full(count, last)
            np.minimum.at(best, segment_owner, np.where(segment_shares == sentence_coverage[segment_owner], segment_rows, last))
            has_best = best < last
            found[has_best] |= self._segment_kinds[best[has_best]]
            # The answer leads with the sentence that matches best once one giving the kind asked counts as much
            # more as the question's heaviest word (Answerer.best_sentences): what that sentence gives is quoted first.
            gives_kind = (self._segment_kinds[segment_rows] & wanted) > 0
            led = segment_shares + gives_kind * (max(weights, default=0.0) / total)
            lead_share = np.zeros(count)
            np.maximum.at(lead_share, segment_owner, led)
            lead = np.full(count, last)
            np.minimum.at(lead, segment_owner, np.where(led == lead_share[segment_owner], segment_rows, last))
            has_lead = lead < last
            led_kinds = self._unit_kinds[leaders].copy()
            led_kinds[has_lead] |= self._segment_kinds[lead[has_lead]]
            type_led = np.bitwise_count(wanted & led_kinds) / len(query.answer_types)
            half = segment_shares >= sentence_coverage[segment_owner] / 2
            np.bitwise_or.at(nearby, segment_owner[half], self._segment_kinds[segment_rows[half]])
            firsts, ends = self._segment_starts[leaders], self._segment_starts[leaders + 1]
            for step in (-1, 0, 1):
                neighbour = best + step
                inside = has_best & (neighbour >= firsts) & (neighbour < ends)
                nearby[inside] |= self._segment_kinds[neighbour[inside]]
            answer_type = np.bitwise_count(wanted & nearby) / len(query.answer_types)
            # Only a detail (a date, a number …) can be missing: a question that also asks what was replied or meant
            # (答えられない割合, 答え reads as asking the reply) is not short of it when the figure stands there.
            if details := query.answer_types & DETAIL_TYPES:
                type_missing = (np.bitwise_count(kind_bits(details) & found) < len(details)).astype(float)
        named = np.zeros(count, dtype=bool)
        named_column = np.zeros(count)
        if query.documents:
            named = np.isin(self._doc_ids[leaders], list(query.documents))
            names_named = np.array([not query.documents.isdisjoint(self._docs_named_in[i]) for i in leaders], dtype=bool)
            named_column = np.where(named, 1.0, np.where(names_named, 0.0, -1.0))
        word_shares = np.array([weight / total for weight in weights])
        # Nouns of the question the corpus never uses: often the very thing it does not cover.
        unknown = float(sum(1 for w in words if w.pos == "名詞" and not any(t in self._idf for t in w.terms)))
        return {
            "coverage": shares(held, weights, total),
            "sentence_coverage": sentence_coverage,
            "head_coverage": head_shares,
            "answer_type": answer_type,
            "survey": survey_match(
                self._survey[leaders], self._survey_overview[leaders], query.wants_survey, query.asks_survey_conduct
            ),
            "glossary": (self._is_glossary[leaders] & ("definition" not in query.answer_types)).astype(float),
            "superseded": ((self._is_superseded[leaders] & ~named) | (self._is_amended[leaders] & query.asks_final)).astype(float),
            "named": named_column,
            "comment": self._is_comment[leaders].astype(float),
            "length": self._lengths[leaders],
            "asked_coverage": asked_coverage,
            # The question asks for a date, a number, an amount, hours, a phone number or a department,
            # and the best sentence lacks one of them.
            "type_missing": type_missing,
            "unmatched": np.where(held, 0.0, word_shares).max(axis=1, initial=0.0),
            "unknown": np.full(count, unknown),
            "type_led": type_led,
        }

    def confidence(self, hits: list[Hit], slot_given: bool = False) -> float:
        """Return how sure the best hit answers the question, 0 to 1 (a fitted logistic rule).

        slot_given says that the question asks a detail and the answer cut from the best hit gives it.
        """
        if not hits:
            return 0.0
        best = hits[0]
        margin = best.score - hits[1].score if len(hits) > 1 else best.score
        values = best.features | {"score": best.score, "margin": margin, "slot_given": float(slot_given)}
        z = self.params.abstain_bias + float(np.dot(self.params.abstain_weights, [values[n] for n in ABSTAIN_FEATURES]))
        return 1.0 / (1.0 + math.exp(-z))

    def resolves(self, hits: list[Hit], confidence: float) -> bool:
        """Say whether the best hit answers the question well enough to quote it, sure of it as confidence says."""
        if hits and hits[0].features.get("defined"):
            return True
        return confidence >= self.params.min_confidence


def segment_kinds(segments: list[str], number: int) -> frozenset[str]:
    """Return the kinds of answer a segment gives: a table row gives those of the column headings it is read under too."""
    read = "".join(segments[i] for i in (*table_headings(segments, number), number))
    read += "\n" + labelled_rows(read, target=False)
    return frozenset(kind for kind, pattern in SEGMENT_ANSWER_TYPES.items() if pattern.search(read))


def split_hit_segments(terms: UnitTerms) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Pair a unit's segment texts with their terms: the text's segments, then the question's."""
    segments = tuple(
        Segment(text, frozenset(words), kinds)
        for text, words, kinds in zip(terms.segment_texts, terms.segments, terms.segment_types, strict=True)
    )
    return segments[: terms.text_segments], segments[terms.text_segments :]


# The kinds of answer a sentence or a unit gives, as bits, so that a set of kinds is one integer.
KIND_BITS = {kind: 1 << bit for bit, kind in enumerate(dict.fromkeys([*SEGMENT_ANSWER_TYPES, "department", "comment", "definition"]))}


_ANSWER_KINDS: dict[frozenset[str], frozenset[str]] = {}


def answer_kinds(kinds: frozenset[str]) -> frozenset[str]:
    """Return one shared instance of a set of answer kinds: a few sets, held for every sentence of the corpus."""
    return _ANSWER_KINDS.setdefault(kinds, kinds)


def kind_bits(kinds: frozenset[str]) -> int:
    """Return a set of answer kinds as bits (kinds no sentence or unit gives have none)."""
    return sum(KIND_BITS.get(kind, 0) for kind in kinds)


def best_first(scores: np.ndarray, count: int) -> list[int]:
    """Return the positions of the `count` highest positive scores, best first (the earlier first on a tie)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > count:
        # Selecting before sorting: over a whole large corpus, a full sort costs more than the rest of an ask.
        positive = np.sort(positive[np.argpartition(-scores[positive], count - 1)[:count]])
    return positive[np.argsort(-scores[positive], kind="stable")].tolist()


def survey_match(survey: np.ndarray, overview: np.ndarray, wants_survey: bool, asks_conduct: bool) -> np.ndarray:
    """Return +1 where a survey unit meets a survey question, -1 where only one is about a survey, else 0.

    A survey's overview meets only a question about how the survey was done: asked what residents
    answered, its results should win over it.
    """
    met = np.where(asks_conduct | ~overview, 1.0, 0.0)
    return np.where(survey | wants_survey, np.where(survey == wants_survey, met, -1.0), 0.0)


def bigrams(text: str) -> list[str]:
    """Return the character bigrams of text, word by word (no bigram spans a space or a symbol)."""
    grams: list[str] = []
    for chunk in re.split(r"[^\w・ー]+", unicodedata.normalize("NFKC", text).lower()):
        grams.extend(sys.intern(chunk[i : i + 2]) for i in range(len(chunk) - 1))
    return grams
