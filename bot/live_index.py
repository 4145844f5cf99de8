"""The index a worker answers from: the corpus, built once, plus staff entries kept live."""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import FaqEntry, Phrasing, current_index_revision
from index.answering import Answerer, WardInfo
from index.retriever import Retriever
from index.units import FAQ, Unit

FAQ_DOCUMENT = "よくある質問（区の職員が作成）"


class LiveIndex:
    """Hold the corpus retriever and refresh the staff-written part when the database says it changed."""

    def __init__(self, corpus: Retriever, wards: dict[str, WardInfo]) -> None:
        self.corpus = corpus
        self.wards = wards
        self._lock = threading.Lock()
        self._revision = -1
        self._answerer = Answerer(corpus, wards)

    def answerer(self, db: Session) -> Answerer:
        """Return an answerer that includes every FAQ entry and phrasing saved so far, in any process."""
        revision = current_index_revision(db)
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    extra = self.staff_units(db)
                    self._answerer = Answerer(self.corpus.with_units(extra), self.wards)
                    self._revision = revision
        return self._answerer

    def staff_units(self, db: Session) -> list[Unit]:
        """Turn live FAQ entries and linked phrasings into units."""
        units = [faq_unit(entry) for entry in db.scalars(select(FaqEntry).where(FaqEntry.retired.is_(False)))]
        wordings: dict[str, list[str]] = defaultdict(list)
        for phrasing in db.scalars(select(Phrasing).order_by(Phrasing.id)):
            wordings[phrasing.unit_id].append(phrasing.text)
        for unit in self.corpus.units:
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
