"""The index a worker answers from: the corpus, built once, plus the staff index kept live."""
from __future__ import annotations

import threading
from collections import defaultdict

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import FaqEntry, Phrasing, current_index_revision, get_db
from index.answering import Answerer, WardInfo
from index.build import build_answerer
from index.cache import load_index
from index.staff import Background, StaffAnswerer, StaffEntry, StaffIndex, TextCache, faq_unit
from index.units import Unit

EXTENSION = "ward_faq.index"


class LiveIndex:
    """Hold the corpus retriever and rebuild the small staff index when the database says staff changed it."""

    def __init__(self, corpus_answerer: Answerer) -> None:
        self.corpus_retriever = corpus_answerer.retriever
        self.wards = corpus_answerer.wards
        self._lock = threading.Lock()
        self._revision = -1
        self._corpus_answerer = corpus_answerer
        self._background = Background.of(self.corpus_retriever)
        self._texts = TextCache(self.corpus_retriever.analyzer)
        self._answerer = StaffAnswerer(self._corpus_answerer, self.staff_index([]))

    def answerer(self, db: Session) -> StaffAnswerer:
        """Return an answerer that includes every FAQ entry and wording saved so far, in any process."""
        revision = current_index_revision(db)
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    self._answerer = StaffAnswerer(self._corpus_answerer, self.staff_index(self.staff_entries(db)))
                    self._revision = revision
        return self._answerer

    def corpus_unit(self, unit_id: str | None) -> Unit | None:
        """Return the corpus unit with this id, or None."""
        return next((unit for unit in self.corpus_retriever.units if unit.id == unit_id), None)

    def staff_index(self, entries: list[StaffEntry]) -> StaffIndex:
        """Build a staff index over these entries, weighing words against the corpus."""
        return StaffIndex(entries, self.corpus_retriever.analyzer, self._background, cache=self._texts)

    def answerer_with(self, db: Session, draft: StaffEntry) -> StaffAnswerer:
        """Return an answerer as it would be once a draft entry is published, to preview what it would change."""
        return StaffAnswerer(self._corpus_answerer, self.staff_index([*self.staff_entries(db), draft]))

    def staff_entries(self, db: Session) -> list[StaffEntry]:
        """Return the live FAQ entries with their wordings, and the corpus units staff linked wordings to."""
        wordings: dict[str, list[str]] = defaultdict(list)
        for phrasing in db.scalars(select(Phrasing).order_by(Phrasing.id)):
            wordings[phrasing.unit_id].append(phrasing.text)
        entries = [
            entry_of(faq, wordings[f"faq-{faq.id}"])
            for faq in db.scalars(select(FaqEntry).where(FaqEntry.retired.is_(False)).order_by(FaqEntry.id))
        ]
        entries.extend(StaffEntry(unit, tuple(wordings[unit.id])) for unit in self.corpus_retriever.units if unit.id in wordings)
        return entries


def entry_of(faq: FaqEntry, wordings=()) -> StaffEntry:
    """Make the staff index's entry of a FAQ entry (a draft not saved yet is faq-0) and its wordings."""
    unit = faq_unit(faq.id or 0, faq.ward, faq.question, faq.answer, faq.department)
    return StaffEntry(unit, (faq.question, *wordings))


def init_app(app: Flask) -> None:
    """Load (or build) the app's live index over its corpus, or take the retriever its config hands in."""
    corpus_dir = app.config["CORPUS_DIR"]
    retriever = app.config["CORPUS_RETRIEVER"] or load_index(corpus_dir, app.config["INDEX_CACHE"]).retriever
    app.extensions[EXTENSION] = LiveIndex(build_answerer(corpus_dir, retriever))


def get_live_index(app: Flask | None = None) -> LiveIndex:
    """Return the live index of the app (the current one unless given)."""
    return (app or current_app).extensions[EXTENSION]


def get_wards(app: Flask | None = None) -> dict[str, WardInfo]:
    """Return the wards the corpus covers, with what the bot says about each."""
    return get_live_index(app).wards


def get_answerer() -> StaffAnswerer:
    """Return the current app's answerer, with every staff entry saved so far."""
    return get_live_index().answerer(get_db())
