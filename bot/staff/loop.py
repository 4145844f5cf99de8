"""The staff loop: what a draft answer would change before it is published, and how each entry has done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.db import FaqEntry, Phrasing, Question
from bot.kpi import TOKYO, tokyo_midnight_utc
from bot.live_index import entry_of, get_live_index
from bot.staff.queue import QueueFilter, queue_questions, squashed
from index.staff import StaffAnswerer

DRAFT_ID = "faq-0"  # the unit id a draft entry answers with before it has one of its own
MAX_PREVIEW = 300  # the newest questions of each kind a preview looks at


@dataclass(frozen=True)
class Preview:
    """What publishing a draft entry would change, shown to staff before they publish it."""

    would_answer: list[Question]  # other unresolved questions in the queue the entry would now answer
    takes_over: list[Question]  # questions the documents answered today that the entry would answer instead


@dataclass(frozen=True)
class EntryRecord:
    """How often an entry answered residents, and what they said of it."""

    answered: int = 0
    helpful: int = 0
    not_helpful: int = 0


def answered_by(answerer: StaffAnswerer, question: Question, unit_id: str) -> bool:
    """Say whether the answerer answers a logged question with this unit."""
    answer = answerer.answer(question.text, question.ward)
    return answer.resolved and not answer.small_talk and bool(answer.hits) and answer.hits[0].unit.id == unit_id


def preview(db: Session, visible, draft: FaqEntry, group: list[Question]) -> Preview:
    """Ask, as if the draft were published with the group's wordings, the queue and today's document answers."""
    answerer = get_live_index().answerer_with(db, entry_of(draft, wordings_of(draft, group)))
    in_group = {q.id for q in group}
    queued = [
        q for q in queue_questions(db, visible, QueueFilter(status="new"))
        if q.id not in in_group and q.ward in (draft.ward, None)
    ][:MAX_PREVIEW]
    today = select(Question).where(
        visible,
        Question.resolved.is_(True),
        Question.small_talk.is_(False),
        Question.asked_at >= tokyo_midnight_utc(today_in_tokyo()),
        Question.top_unit_id.is_not(None),
        Question.top_unit_id.not_like("faq-%"),
        Question.ward.is_(None) | (Question.ward == draft.ward),
    )
    answered_today = db.scalars(today.order_by(Question.asked_at.desc()).limit(MAX_PREVIEW)).all()
    return Preview(
        would_answer=[q for q in queued if answered_by(answerer, q, DRAFT_ID)],
        takes_over=[q for q in answered_today if answered_by(answerer, q, DRAFT_ID)],
    )


def today_in_tokyo() -> date:
    """Return today's date in Tokyo, where the ward offices are."""
    return datetime.now(TOKYO).date()


def new_wordings(known: list[str], texts: list[str]) -> list[str]:
    """Return the texts that differ from the known wordings and from each other (case, width, punctuation aside)."""
    seen = {squashed(text) for text in known}
    fresh = []
    for text in texts:
        if squashed(text) not in seen:
            seen.add(squashed(text))
            fresh.append(text)
    return fresh


def wordings_of(entry: FaqEntry, questions: list[Question]) -> list[str]:
    """Return the residents' wordings to record with an entry: each different from its question and each other."""
    return new_wordings([entry.question], [q.text for q in questions])


def record_wordings(db: Session, unit_id: str, texts: list[str], staff: str, known: tuple[str, ...] = ()) -> int:
    """Store wordings with a FAQ entry or corpus unit, so a resident asking any of them finds it; return how many were new."""
    known = (*known, *db.scalars(select(Phrasing.text).where(Phrasing.unit_id == unit_id)))
    fresh = new_wordings(list(known), texts)
    db.add_all(Phrasing(unit_id=unit_id, text=text, created_by=staff) for text in fresh)
    return len(fresh)


def entry_records(db: Session, entry_ids: list[int]) -> dict[int, EntryRecord]:
    """Return, per FAQ entry, how many questions it answered and how many were marked helpful or not."""
    if not entry_ids:
        return {}
    rows = db.execute(
        select(
            Question.top_unit_id,
            func.count(),
            func.sum(case((Question.helpful.is_(True), 1), else_=0)),
            func.sum(case((Question.helpful.is_(False), 1), else_=0)),
        )
        .where(Question.resolved.is_(True), Question.top_unit_id.in_([f"faq-{i}" for i in entry_ids]))
        .group_by(Question.top_unit_id)
    )
    return {int(unit_id.removeprefix("faq-")): EntryRecord(n, int(yes or 0), int(no or 0)) for unit_id, n, yes, no in rows}
