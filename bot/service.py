"""Ask and log: the one path every channel (API, widget, LINE) answers through."""
from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot import metrics
from bot.db import Question, utcnow
from bot.live_index import get_answerer
from bot.privacy import mask_personal_data
from index.answering import Answer

CHANNELS = ("web", "line", "api")
# The longest question any channel takes, and the longest session id a client may send.
MAX_QUESTION_CHARS = 500
MAX_SESSION_CHARS = 100
# The id of a logged question, as /api/ask hands it out and LINE's buttons carry it.
QUESTION_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Lone surrogates cannot be encoded, PostgreSQL refuses NUL, and other control characters are no one's words;
# tabs and line breaks are ordinary in a resident's text.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def storable(text: str) -> bool:
    """Say whether text can be stored and shown as it is: no lone surrogates, no control characters."""
    return UNSTORABLE.search(text) is None


@dataclass(frozen=True)
class Asked:
    """A logged question and the answer given."""

    question: Question
    answer: Answer


def ask(
    db: Session,
    text: str,
    ward: str | None,
    channel: str,
    session: str | None,
    *,
    also: Iterable[object] = (),
    suggested_from: str | None = None,
) -> Asked:
    """Answer a question and log it, masked, in one transaction together with the rows in `also`.

    suggested_from is the logged question whose 「もしかして」 button asked this one; an id the log
    does not have (an old conversation, a made-up id) is dropped, and the question is answered all the same.
    """
    if suggested_from is not None and db.get(Question, suggested_from) is None:
        suggested_from = None
    started = time.perf_counter()
    answer = get_answerer().answer(text, ward)
    top = answer.hits[0] if answer.resolved and answer.hits else None
    question = Question(
        channel=channel,
        ward=answer.ward,
        session=session,
        text=mask_personal_data(text.strip()),
        resolved=answer.resolved,
        small_talk=answer.small_talk,
        answer=answer.text,
        top_unit_id=top.unit.id if top else None,
        top_score=round(top.score, 4) if top else None,
        suggested_from=suggested_from,
    )
    db.add(question)
    db.add_all(also)
    db.commit()
    metrics.record_ask(channel, answer, time.perf_counter() - started)
    return Asked(question, answer)


def record_feedback(db: Session, question_id: str, helpful: bool) -> Question | None:
    """Store a resident's verdict on an answer; None if the question is unknown."""
    question = db.get(Question, question_id)
    if question is None:
        return None
    question.helpful = helpful
    question.feedback_at = utcnow()
    db.commit()
    metrics.record_feedback(question)
    return question


def sources_of(answer: Answer) -> list[dict]:
    """Describe where a resolved answer came from, best first, as the contract's sources."""
    if not answer.resolved or answer.small_talk:
        return []
    return [
        {
            "ward": hit.unit.ward,
            "document": hit.unit.document,
            "section": hit.unit.section,
            "title": hit.unit.title,
            "url": None,
            "score": round(hit.score, 3),
        }
        for hit in answer.hits[:3]
    ]
