"""Word vectors: words near in meaning meet, words apart do not, and the shipped file reads as it was written."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from helpers import bench_module
from index.vectors import DIMENSIONS, WordVectors, default_word_vectors

word_vectors = bench_module("word_vectors")
murmur_hash64, read_key2row = word_vectors.murmur_hash64, word_vectors.read_key2row


@pytest.fixture(scope="module")
def vectors() -> WordVectors:
    return default_word_vectors()


def cosine(vectors: WordVectors, a: str, b: str) -> float:
    return float(vectors.vector(a) @ vectors.vector(b))


def test_words_a_resident_uses_are_near_the_words_staff_write(vectors):
    assert cosine(vectors, "判子", "印鑑") > 0.6  # ハンコ, as Sudachi normalizes it
    assert cosine(vectors, "保育所", "保育園") > 0.8
    assert cosine(vectors, "居酒屋", "飲食店") > 0.6


def test_words_of_other_topics_are_not_near(vectors):
    assert cosine(vectors, "犬", "印鑑") < 0.3
    assert cosine(vectors, "粗大ごみ", "ソファー") < 0.3


def test_a_compound_without_a_vector_of_its_own_is_the_mean_of_its_parts(vectors):
    assert vectors.row("マイナンバーカード") is None
    compound = vectors.vector("マイナンバーカード")
    assert compound is not None and compound.shape == (DIMENSIONS,)
    assert np.isclose(np.linalg.norm(compound), 1.0)
    assert float(compound @ vectors.vector("マイナンバー")) > 0.6


def test_a_word_unknown_to_the_vectors_has_none(vectors):
    assert vectors.vector("qzxqv") is None
    assert vectors.row("") is None


def test_the_words_are_sorted_for_bisection_and_each_has_a_row(vectors):
    assert vectors.words == sorted(vectors.words)
    assert len(vectors.words) == len(vectors.rows) > 400_000
    assert int(vectors.rows.max()) < len(vectors.unit)


def test_key2row_reads_every_width_of_msgpack_integer():
    entries = [(5, 1), (0xFF, 0x7F), (0x1234, 0xAB), (0x12345678, 0xABCD), (0x123456789ABCDEF0, 0x10000)]
    packed = b"\xdf" + struct.pack(">I", len(entries))
    for key, row in entries:
        for value in (key, row):
            if value < 0x80:
                packed += bytes([value])
            elif value <= 0xFF:
                packed += b"\xcc" + struct.pack(">B", value)
            elif value <= 0xFFFF:
                packed += b"\xcd" + struct.pack(">H", value)
            elif value <= 0xFFFFFFFF:
                packed += b"\xce" + struct.pack(">I", value)
            else:
                packed += b"\xcf" + struct.pack(">Q", value)
    assert read_key2row(packed) == dict(entries)
    with pytest.raises(ValueError):
        read_key2row(b"\x80")


def test_murmur_hash64_is_murmurhash64a_with_seed_1_as_spacy_keys_its_vectors():
    # Reference values from the C reference implementation (MurmurHash64A, seed 1): a 5-byte tail, a 6-byte tail
    # and two whole blocks plus a 11-byte tail.
    assert murmur_hash64("apple".encode()) == 8566208034543834098
    assert murmur_hash64("印鑑".encode()) == 14840073347537478590
    assert murmur_hash64("マイナンバーカード".encode()) == 17698864258043686410
