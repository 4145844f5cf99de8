"""The index a worker answers from: the corpus, built once, plus the staff index kept live."""
from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import FaqEntry, Phrasing, current_index_revision
from index.answering import Answerer, WardInfo
from index.retriever import Retriever
from index.staff import Background, StaffAnswerer, StaffEntry, StaffIndex, faq_unit


class LiveIndex:
    """Hold the corpus retriever and rebuild the small staff index when the database says staff changed it."""

    def __init__(self, corpus: Retriever, wards: dict[str, WardInfo]) -> None:
        self.corpus = corpus
        self.wards = wards
        self._lock = threading.Lock()
        self._revision = -1
        self._corpus_answerer = Answerer(corpus, wards)
        self._background = Background.of(corpus)
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

    def staff_index(self, entries: list[StaffEntry]) -> StaffIndex:
        """Build a staff index over these entries, weighing words against the corpus."""
        return StaffIndex(entries, self.corpus.analyzer, self._background)

    def staff_entries(self, db: Session, draft: FaqEntry | None = None, draft_wordings: tuple[str, ...] = ()) -> list[StaffEntry]:
        """Return the live FAQ entries with their wordings, and the corpus units staff linked wordings to.

        A draft entry (not saved yet) joins them with its wordings, to preview what publishing it would change.
        """
        wordings: dict[str, list[str]] = defaultdict(list)
        for phrasing in db.scalars(select(Phrasing).order_by(Phrasing.id)):
            wordings[phrasing.unit_id].append(phrasing.text)
        entries = [
            StaffEntry(unit, (entry.question, *wordings[unit.id]))
            for entry in db.scalars(select(FaqEntry).where(FaqEntry.retired.is_(False)).order_by(FaqEntry.id))
            for unit in [entry_unit(entry)]
        ]
        if draft is not None:
            entries.append(StaffEntry(entry_unit(draft), (draft.question, *draft_wordings)))
        entries.extend(StaffEntry(unit, tuple(wordings[unit.id])) for unit in self.corpus.units if unit.id in wordings)
        return entries


def entry_unit(entry: FaqEntry):
    """Make the unit a FAQ entry answers with; a draft has no id yet and is called faq-0."""
    return faq_unit(entry.id or 0, entry.ward, entry.question, entry.answer, entry.department)
