"""The index a worker answers from: the corpus, built once, plus staff entries kept live."""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import FaqEntry, Phrasing, current_index_revision, get_db
from index.answering import Answerer, WardInfo, load_wards
from index.cache import load_index
from index.retriever import Retriever
from index.units import FAQ, Unit

FAQ_DOCUMENT = "よくある質問（区の職員が作成）"
EXTENSION = "ward_faq.index"


class LiveIndex:
    """Hold the corpus retriever and refresh the staff-written part when the database says it changed."""

    def __init__(self, corpus_retriever: Retriever, wards: dict[str, WardInfo]) -> None:
        self.corpus_retriever = corpus_retriever
        self.wards = wards
        self._lock = threading.Lock()
        self._revision = -1
        self._answerer = Answerer(corpus_retriever, wards)

    def answerer(self, db: Session) -> Answerer:
        """Return an answerer that includes every FAQ entry and phrasing saved so far, in any process."""
        revision = current_index_revision(db)
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    extra = self.staff_units(db)
                    self._answerer = Answerer(self.corpus_retriever.with_units(extra), self.wards)
                    self._revision = revision
        return self._answerer

    def corpus_unit(self, unit_id: str | None) -> Unit | None:
        """Return the corpus unit with this id, or None."""
        return next((unit for unit in self.corpus_retriever.units if unit.id == unit_id), None)

    def staff_units(self, db: Session) -> list[Unit]:
        """Turn live FAQ entries and linked phrasings into units."""
        units = [faq_unit(entry) for entry in db.scalars(select(FaqEntry).where(FaqEntry.retired.is_(False)))]
        wordings: dict[str, list[str]] = defaultdict(list)
        for phrasing in db.scalars(select(Phrasing).order_by(Phrasing.id)):
            wordings[phrasing.unit_id].append(phrasing.text)
        for unit in self.corpus_retriever.units:
            if unit.id in wordings:
                units.append(replace(unit, phrasings=unit.phrasings + tuple(wordings[unit.id])))
        return units


def faq_unit(entry: FaqEntry) -> Unit:
    """Make a unit of a staff-written FAQ entry."""
    return Unit(
        id=f"faq-{entry.id}",
        doc_id="faq",
        ward=entry.ward,
        document=FAQ_DOCUMENT,
        kind=FAQ,
        section=f"FAQ {entry.id}",
        title=entry.question,
        question=entry.question,
        text=entry.answer,
        department=entry.department or None,
    )


def init_app(app: Flask) -> None:
    """Load (or build) the app's live index over its corpus, or take the retriever its config hands in."""
    corpus_dir = app.config["CORPUS_DIR"]
    retriever = app.config["CORPUS_RETRIEVER"] or load_index(corpus_dir, app.config["INDEX_CACHE"]).retriever
    app.extensions[EXTENSION] = LiveIndex(retriever, load_wards(corpus_dir / "wards.json"))


def get_live_index(app: Flask | None = None) -> LiveIndex:
    """Return the live index of the app (the current one unless given)."""
    return (app or current_app).extensions[EXTENSION]


def get_wards(app: Flask | None = None) -> dict[str, WardInfo]:
    """Return the wards the corpus covers, with what the bot says about each."""
    return get_live_index(app).wards


def get_answerer() -> Answerer:
    """Return the current app's answerer, with every staff entry saved so far."""
    return get_live_index().answerer(get_db())
