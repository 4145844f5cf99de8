"""Extract the word vectors staff entries are matched with from GiNZA's model wheel into index/data/word_vectors.npz.

Run with `make word-vectors` (or `.venv/bin/python bench/word_vectors.py [WHEEL]`); without a wheel it is fetched
with `pip download --no-deps ja-ginza==5.3.0`. The vectors are chiVe's (Works Applications, Apache-2.0), trained on
Sudachi's normalized A-unit words, as GiNZA (Megagon Labs, MIT) ships them: 20,000 vectors of 300 dimensions, with
about 480,000 words each mapped to its own vector or, pruned, to its nearest kept one. Only the words and the
vectors are kept, the vectors projected on their 128 leading singular directions in float16, so the file stays
about 7 MB and loads in a fraction of a second.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.vectors import DIMENSIONS, VECTORS_PATH

GINZA_WHEEL = "ja-ginza==5.3.0"
VOCAB = "ja_ginza/ja_ginza-5.3.0/vocab/"
NOT_A_WORD = re.compile(r"[\d.,:/\-]+|.*\s.*")  # figures and strings with spaces: no topic is named by them
MURMUR_M = 0xC6A4A7935BD1E995
MASK = (1 << 64) - 1


def murmur_hash64(data: bytes, seed: int = 1) -> int:
    """Return MurmurHash64A of data, the hash spaCy keys its vectors by."""
    h = (seed ^ (len(data) * MURMUR_M)) & MASK
    whole = len(data) // 8 * 8
    for (k,) in struct.iter_unpack("<Q", data[:whole]):
        k = (k * MURMUR_M) & MASK
        k ^= k >> 47
        h ^= (k * MURMUR_M) & MASK
        h = (h * MURMUR_M) & MASK
    if tail := data[whole:]:
        h ^= int.from_bytes(tail, "little")
        h = (h * MURMUR_M) & MASK
    h ^= h >> 47
    h = (h * MURMUR_M) & MASK
    return h ^ (h >> 47)


UINT_FORMATS = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q"}


def read_uint(data: bytes, at: int) -> tuple[int, int]:
    """Read a msgpack unsigned integer at a position: its value and where the next item starts."""
    tag = data[at]
    if tag < 0x80:
        return tag, at + 1
    if tag not in UINT_FORMATS:
        raise ValueError(f"msgpack tag {tag:#x} is no unsigned integer")
    (value,) = struct.unpack_from(UINT_FORMATS[tag], data, at + 1)
    return value, at + 1 + struct.calcsize(UINT_FORMATS[tag])


def read_key2row(data: bytes) -> dict[int, int]:
    """Read spaCy's key2row: a msgpack map of 64-bit keys to row numbers."""
    if data[0] != 0xDF:
        raise ValueError("key2row is not a msgpack map32")
    (count,) = struct.unpack_from(">I", data, 1)
    at, rows = 5, {}
    for _ in range(count):
        key, at = read_uint(data, at)
        rows[key], at = read_uint(data, at)
    return rows


def fetch_wheel(folder: Path) -> Path:
    """Download GiNZA's model wheel, without its dependencies (spaCy is not needed to read the vectors)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(folder), GINZA_WHEEL], check=True)
    return next(folder.glob("ja_ginza-*.whl"))


def extract(wheel: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the words, each word's row and the vectors, projected to DIMENSIONS, from the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        strings = json.loads(archive.read(VOCAB + "strings.json"))
        key2row = read_key2row(archive.read(VOCAB + "key2row"))
        vectors = np.load(io.BytesIO(archive.read(VOCAB + "vectors"))).astype(np.float64)
    rows_of = {}
    for word in tqdm(strings, desc="words", unit="word"):
        row = key2row.get(murmur_hash64(word.encode("utf-8")))
        if row is not None and not NOT_A_WORD.fullmatch(word):
            rows_of[word] = row
    words = sorted(rows_of)  # index/vectors.py finds a word by bisection
    rows = [rows_of[w] for w in words]
    # The leading singular directions keep the cosines that matter (similar words stay similar) in 128 numbers of 300.
    _, _, directions = np.linalg.svd(vectors, full_matrices=False)
    projected = vectors @ directions[:DIMENSIONS].T
    return words, np.array(rows, dtype=np.uint16), projected.astype(np.float16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help="a ja_ginza wheel (downloaded when not given)")
    parser.add_argument("--out", type=Path, default=VECTORS_PATH)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or fetch_wheel(Path(folder))
        words, rows, vectors = extract(wheel)
    # The words as UTF-8 bytes: read back in milliseconds, where an array of Python strings takes a second.
    words_utf8 = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(args.out, words=words_utf8, rows=rows, vectors=vectors)
    print(f"{len(words):,} words over {len(vectors):,} vectors of {vectors.shape[1]} dimensions → {args.out} "
          f"({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
