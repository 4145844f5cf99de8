"""Helpers the test modules share: one corpus retriever for the whole run, and asking the bot."""
from __future__ import annotations

from functools import cache

from index.build import build_retriever
from index.retriever import Retriever


@cache
def corpus_retriever() -> Retriever:
    """Return the corpus retriever, built once for every app the tests create."""
    return build_retriever()
