"""Build the corpus retriever and answerer from a corpus folder, with no web framework involved."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from index.analysis import Analyzer
from index.answering import Answerer, load_municipalities, load_wards
from index.corpus import DEFAULT_CORPUS_DIR, load_documents, load_units
from index.retriever import Retriever

log = logging.getLogger("ward_faq.index")


def corpus_analyzer(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> Analyzer:
    """Return the analyzer of a corpus folder: Sudachi with its synonym and kind files."""
    return Analyzer(corpus_dir / "synonyms.txt", corpus_dir / "kinds.txt")


def build_retriever(
    corpus_dir: Path = DEFAULT_CORPUS_DIR, analyzer: Analyzer | None = None, progress: bool = False
) -> Retriever:
    """Parse the corpus, build its retriever and suggestion checks (with progress if asked), log the time taken."""
    started = time.perf_counter()
    units = load_units(corpus_dir)
    analyzer = analyzer or corpus_analyzer(corpus_dir)
    wards = load_wards(corpus_dir / "wards.json")
    # The wards' names are read too, so that one typed in kana (たいとうく) still names its ward.
    names = [alias for info in wards.values() for alias in info.aliases]
    retriever = Retriever(units, load_documents(corpus_dir), analyzer, progress=progress, names=names)
    # An abstention's 「もしかして」 then only looks up which of its candidates' questions quote their unit.
    Answerer(retriever, wards).check_suggestions(progress)
    log.info("index built: %d units in %.2f s", len(units), time.perf_counter() - started)
    return retriever


def build_answerer(corpus_dir: Path = DEFAULT_CORPUS_DIR, retriever: Retriever | None = None) -> Answerer:
    """Return an answerer over the corpus (over retriever, when one was built already)."""
    wards = load_wards(corpus_dir / "wards.json")
    return Answerer(retriever or build_retriever(corpus_dir), wards, load_municipalities(corpus_dir / "municipalities.txt"))
