"""Which of a question's words each term set holds, for many sets at once (the reranker's coverage features).

A family of term sets (every head, every sentence, every residents' question) is
kept as sorted rows of term ids, end to end (a CSR incidence matrix of sets × terms), so that the
sets of the 40 leaders are a few array slices, and whether each holds each question word is one
vectorized lookup instead of a Python loop over candidates, sentences and words.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import numpy as np


class Vocabulary:
    """Term ids shared by every family of term sets of one index."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, terms: Iterable[str]) -> list[int]:
        """Return the sorted ids of a set of terms, giving new terms the next ids."""
        ids = self.ids
        return sorted({ids.setdefault(term, len(ids)) for term in terms})

    def lookup(self, terms: Iterable[str]) -> list[int]:
        """Return the ids of the terms the index knows."""
        return [self.ids[term] for term in terms if term in self.ids]


class TermSets:
    """A family of term sets, as rows of sorted term ids laid end to end."""

    def __init__(self, rows: Iterable[Iterable[str]], vocabulary: Vocabulary) -> None:
        # Laid end to end as they come (4 bytes a term), not as an array a row: a large corpus has millions of rows.
        terms, lengths = array("i"), array("q")
        for row in rows:
            ids = vocabulary.add(row)
            terms.extend(ids)
            lengths.append(len(ids))
        self.starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        self.terms = np.array(terms, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def holds(self, rows: np.ndarray, question: QuestionTerms) -> np.ndarray:
        """Return, for each of the given rows, which of the question's words it holds (rows × words, bool)."""
        # In float32 (exact for these counts), so that the product below is BLAS's, not NumPy's slow boolean loop.
        held = np.zeros((len(rows), len(question.ids)), dtype=np.float32)
        if len(question.ids) and len(rows):
            positions, ends = spans(self.starts, rows)
            places = question.places.take(self.terms.take(positions))  # take: faster than indexing for a flat gather
            found = np.flatnonzero(places >= 0)
            # Only the few terms found are traced to their row, not every term looked at.
            held[ends.searchsorted(found, side="right"), places[found]] = 1.0
        return (held @ question.words) > 0


class TermHolders:
    """A family of term sets turned around: for each term, the rows that hold it (the incidence matrix by columns).

    Every row is matched against a question at once by gathering the few question terms' rows, not by
    reading every row's terms: the staff index matches all its entries so.
    """

    def __init__(self, sets: TermSets, vocabulary: Vocabulary) -> None:
        rows = np.repeat(np.arange(len(sets), dtype=np.int32), np.diff(sets.starts))
        self.rows = rows[np.argsort(sets.terms, kind="stable")]
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(sets.terms, minlength=len(vocabulary.ids)))])
        self.count = len(sets)

    def holds(self, question: QuestionTerms) -> np.ndarray:
        """Return, for every row, which of the question's words it holds (rows × words, bool)."""
        held = np.zeros((self.count, len(question.ids)), dtype=np.float32)
        positions, places = ranges(self.starts, question.ids)
        held[self.rows[positions], places] = 1.0
        return (held @ question.words) > 0

    def rows_of(self, term: int) -> np.ndarray:
        """Return the rows that hold a term (by its id)."""
        return self.rows[self.starts[term] : self.starts[term + 1]]

    def holds_any(self, question: QuestionTerms) -> np.ndarray:
        """Return, for every row, whether it holds any of the question's terms."""
        held = np.zeros(self.count, dtype=bool)
        held[self.rows[ranges(self.starts, question.ids)[0]]] = True
        return held


class QuestionTerms:
    """A question's words as term ids: which known terms stand for which word."""

    def __init__(self, word_terms: Sequence[Iterable[str]], vocabulary: Vocabulary) -> None:
        per_word = [vocabulary.lookup(terms) for terms in word_terms]
        ids = sorted(set().union(*per_word))
        self.ids = np.array(ids, dtype=np.int32)
        # places[term id]: where the term stands in ids, or -1: one array lookup tells a set's terms apart.
        self.places = np.full(len(vocabulary.ids), -1, dtype=np.int32)
        self.places[self.ids] = np.arange(len(ids), dtype=np.int32)
        # words[t, w] = 1: term t is one of word w's terms (set through the flat view: one assignment for them all).
        place = {term: i for i, term in enumerate(ids)}
        self.words = np.zeros((len(ids), len(per_word)), dtype=np.float32)
        self.words.reshape(-1)[[place[t] * len(per_word) + w for w, terms in enumerate(per_word) for t in terms]] = 1.0


def shares(held: np.ndarray, weights: Sequence[float], total: float) -> np.ndarray:
    """Return the share of the question's word weight each row holds.

    Summed word by word in the question's order, as a Python sum would: equal weights give equal
    shares to the last bit, which the comparisons between sentences rely on.
    """
    if not len(weights):
        return np.zeros(held.shape[0])
    # A running sum is strictly left to right (np.sum would add pairwise), so this is that Python sum to the bit.
    summed = np.cumsum(np.where(held, np.asarray(weights, dtype=float), 0.0), axis=1)[:, -1]
    return summed / total


def held_by_owners(held: np.ndarray, owners: np.ndarray, count: int) -> np.ndarray:
    """Return, for each of count owners, which words any of its rows holds (owners × words, bool), from holds()'s rows."""
    rows, words = np.nonzero(held)
    width = held.shape[1]
    return np.bincount(owners[rows] * width + words, minlength=count * width).reshape(count, width) > 0


def end_to_end(firsts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions of the runs firsts[i] … firsts[i] + lengths[i] - 1, end to end, and where each run ends."""
    ends = lengths.cumsum()
    return np.repeat(firsts - ends + lengths, lengths) + np.arange(ends[-1] if len(ends) else 0), ends


def spans(starts: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows from starts[o] to starts[o + 1] for each owner o, end to end, and where each owner's rows end."""
    firsts = starts[owners]
    return end_to_end(firsts, starts[owners + 1] - firsts)


def ranges(starts: np.ndarray, owners: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows from starts[o] to starts[o + 1] for each owner o, end to end, and which owner each is of."""
    owners = np.asarray(owners, dtype=np.int64)
    firsts = starts[owners]
    lengths = starts[owners + 1] - firsts
    return end_to_end(firsts, lengths)[0], np.arange(len(owners)).repeat(lengths)
