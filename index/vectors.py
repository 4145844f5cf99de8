"""Word vectors: how close in meaning two words are, for the wordings staff answers must meet that share no word.

A resident asks 「夜中に天井裏で獣の音がする」 of an entry staff wrote as 「ハクビシンが屋根裏に住み着いた」: no word is
shared, but 屋根裏 is near 天井, and ハクビシン near 獣. The vectors are chiVe's (bench/word_vectors.py), keyed by
Sudachi's normalized A-unit words, as Word.form is; a compound they lack (粗大ごみ) is the mean of its parts.
"""
from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.analysis import short_parts

VECTORS_PATH = Path(__file__).resolve().parent / "data" / "word_vectors.npz"
DIMENSIONS = 128


@dataclass(frozen=True)
class WordVectors:
    """Unit-length vectors for Sudachi's normalized words."""

    # The words sorted, and each one's row of unit: a sorted list is read in a tenth of the time a dict of half a
    # million words takes to build, and a word is found by bisection.
    words: list[str]
    rows: np.ndarray
    unit: np.ndarray  # vectors × DIMENSIONS, each of length 1

    @classmethod
    def load(cls, path: Path) -> WordVectors:
        """Read the vectors bench/word_vectors.py extracted."""
        with np.load(path) as data:
            words = data["words"].tobytes().decode("utf-8").split("\n")
            vectors = data["vectors"].astype(np.float32)
            rows = data["rows"]
        return cls(words, rows, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))

    def row(self, form: str) -> int | None:
        """Return the row of a word's vector, None when the word has none."""
        at = bisect.bisect_left(self.words, form)
        return int(self.rows[at]) if at < len(self.words) and self.words[at] == form else None

    def vector(self, form: str) -> np.ndarray | None:
        """Return a word's unit vector: its own, or the mean of its parts' (粗大ごみ: 粗大, ごみ); None when unknown."""
        if (row := self.row(form)) is not None:
            return self.unit[row]
        parts = [row for part, *_ in short_parts(form) if (row := self.row(part)) is not None]
        if not parts:
            return None
        mean = self.unit[parts].mean(axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)


@functools.cache
def default_word_vectors() -> WordVectors:
    """Return the word vectors shipped with the index, read once per process."""
    return WordVectors.load(VECTORS_PATH)
