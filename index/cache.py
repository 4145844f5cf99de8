"""Build the corpus index once and keep it on disk, so a process starts by loading it instead of re-tokenizing."""
from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import platform
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from index.analysis import Analyzer
from index.build import build_retriever, corpus_analyzer
from index.retriever import Retriever

log = logging.getLogger("ward_faq.index")

INDEX_SOURCE_DIR = Path(__file__).resolve().parent
# Tokenization and statistics depend on these as much as on our own code.
LIBRARIES = ("sudachipy", "sudachidict-core", "rank-bm25", "numpy")
CACHE_PREFIX = "corpus-"


@dataclass(frozen=True)
class LoadedIndex:
    """The corpus retriever and how it was obtained."""

    retriever: Retriever
    built: bool  # tokenized from the corpus now, not loaded from the cache
    seconds: float
    cache_file: Path | None


def index_key(corpus_dir: Path) -> str:
    """Return a digest of everything the built index depends on: the corpus's bytes, the index code, its libraries."""
    digest = hashlib.sha256()
    sources = sorted(INDEX_SOURCE_DIR.glob("*.py"))
    corpus_files = sorted(p for p in corpus_dir.rglob("*") if p.is_file())
    for path in [*sources, *corpus_files]:
        digest.update(path.name.encode() if path in sources else str(path.relative_to(corpus_dir)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for library in LIBRARIES:
        digest.update(f"{library}={version(library)}".encode())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()[:32]


def cache_file(corpus_dir: Path, cache_dir: Path) -> Path:
    """Return the cache file for the corpus as it is now and the index code as it is now."""
    return cache_dir / f"{CACHE_PREFIX}{index_key(corpus_dir)}.pickle"


def load_index(corpus_dir: Path, cache_dir: Path | None) -> LoadedIndex:
    """Return the corpus retriever from the cache when it matches the corpus and code, else build and cache it.

    A cache file that cannot be read is rebuilt with a warning; a cache folder that cannot be written
    only costs the next start a rebuild.
    """
    started = time.perf_counter()
    analyzer = corpus_analyzer(corpus_dir)
    path = cache_file(corpus_dir, cache_dir) if cache_dir is not None else None
    if path is None:
        loaded = LoadedIndex(build_retriever(corpus_dir, analyzer), True, time.perf_counter() - started, None)
    elif path.exists():
        try:
            retriever = read_cache(path, analyzer)
        except Exception as error:  # a truncated or foreign file: any unpickling error means rebuild
            log.warning("index cache %s unreadable (%s: %s): rebuilding it", path, type(error).__name__, error)
            loaded = build_index_cache(corpus_dir, cache_dir, analyzer=analyzer)
        else:
            loaded = LoadedIndex(retriever, False, time.perf_counter() - started, path)
            log.info("index loaded from cache: %d units in %.2f s", len(retriever.units), loaded.seconds)
    else:
        loaded = build_index_cache(corpus_dir, cache_dir, analyzer=analyzer)
    # The index lives as long as the process: the cyclic collector need not walk its objects at every pass
    # (with a large corpus, millions of them), and gunicorn's workers keep sharing its memory pages.
    gc.freeze()
    return loaded


def build_index_cache(
    corpus_dir: Path, cache_dir: Path, progress: bool = False, analyzer: Analyzer | None = None
) -> LoadedIndex:
    """Build the corpus retriever from scratch and write its cache file."""
    started = time.perf_counter()
    path = cache_file(corpus_dir, cache_dir)
    retriever = build_retriever(corpus_dir, analyzer, progress)
    write_cache(path, retriever)
    return LoadedIndex(retriever, True, time.perf_counter() - started, path)


def read_cache(path: Path, analyzer: Analyzer) -> Retriever:
    """Unpickle a cached retriever (refusing anything else) and give it the analyzer."""
    collecting = gc.isenabled()
    gc.disable()  # unpickling makes many objects and no garbage: collecting would only rescan them, again and again
    try:
        with open(path, "rb") as file:
            retriever = pickle.load(file)
    finally:
        if collecting:
            gc.enable()
    if not isinstance(retriever, Retriever):
        raise TypeError(f"holds a {type(retriever).__name__}, not a Retriever")
    retriever.analyzer = analyzer  # Sudachi's dictionary is loaded, never pickled
    return retriever


def write_cache(path: Path, retriever: Retriever) -> None:
    """Write the cache atomically (workers may start together), removing caches of older corpora or code."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as file:
            temporary = Path(file.name)
            pickle.dump(retriever, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        for old in path.parent.glob(f"{CACHE_PREFIX}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        log.warning("index cache %s not written (%s): the next start rebuilds it", path, error)
