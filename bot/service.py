"""Ask and log: the one path every channel (API, widget, LINE) answers through."""
from __future__ import annotations

import hashlib
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, insert, or_, update
from sqlalchemy.orm import Session

from bot import metrics
from bot.db import Question, new_question_id, utcnow
from bot.live_index import get_answerer, get_wards
from bot.privacy import mask_personal_data, wards_read
from index.answering import Answer, Answerer

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


def normalized_question(text: str) -> str:
    """Return a question as it is answered, stored and measured: NFKC-normalized (㍿ → 株式会社), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


QUESTIONS_INSERT = insert(Question.__table__)
EXTENSION = "ward_faq.recent_asks"
# How many of its last questions a worker keeps the answer of: each holds its hits, a few kilobytes.
RECENT_ASKS = 1024


class RecentAsks:
    """The answers a worker gave lately, and the masked texts it logged, by a digest of the question and its ward.

    Residents send the same questions word for word (the widget's examples, the 「もしかして」 and related
    questions' buttons, a question passed around): an answer depends only on the question, its ward and the
    index it is answered from, the masked text on the question alone, so a repeat is answered without
    answering again. Keyed by a digest, so no resident's words are held here; the answers and masked texts
    are what the log keeps anyway. A staff change (a new answerer) empties it; each ask is still logged.
    """

    def __init__(self, wards: Iterable[str], size: int = RECENT_ASKS) -> None:
        # Read once, so that an ask's masking tokenizes the question alone (and reuses its morphemes, see tokenize).
        self.ward_readings = wards_read(wards)  # the masking reads them as places, not names
        self.size = size
        self._answerer: Answerer | None = None
        self._asks: OrderedDict[tuple[str | None, bytes], tuple[Answer, str]] = OrderedDict()
        self._lock = threading.Lock()  # a threaded server's requests share the worker's asks

    def answer(self, answerer: Answerer, text: str, ward: str | None) -> tuple[Answer, str]:
        """Return the answer to a question from answerer and its text masked for the log, worked out once while kept."""
        key = (ward, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        with self._lock:
            if answerer is not self._answerer:  # staff changed the index: answers may have changed
                self._asks.clear()
                self._answerer = answerer
            found = self._asks.get(key)
            if found is not None:
                self._asks.move_to_end(key)
                return found
        found = answerer.answer(text, ward), mask_personal_data(text.strip(), self.ward_readings)
        with self._lock:
            if answerer is self._answerer:
                self._asks[key] = found
                if len(self._asks) > self.size:
                    self._asks.popitem(last=False)  # the least recently asked
        return found


def init_app(app: Flask) -> None:
    """Give the app (each worker) its recent asks."""
    app.extensions[EXTENSION] = RecentAsks(get_wards(app))


def get_recent_asks() -> RecentAsks:
    """Return the current app's (its worker's) recent asks."""
    return current_app.extensions[EXTENSION]


@dataclass(frozen=True)
class Asked:
    """The id of a logged question and the answer given."""

    question_id: str
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
    answer, masked = get_recent_asks().answer(get_answerer(), text, ward)
    top = answer.hits[0] if answer.resolved and answer.hits else None
    row = {
        "id": new_question_id(),
        "channel": channel,
        "ward": answer.ward,
        "session": session,
        "text": masked,
        "resolved": answer.resolved,
        "small_talk": answer.small_talk,
        "answer": answer.text,
        "top_unit_id": top.unit.id if top else None,
        "top_score": round(top.score, 4) if top else None,
        "suggested_from": suggested_from,
    }
    # One INSERT on the transaction's connection (the columns' defaults fill the rest): the row is never read
    # back here, so the ORM's unit of work would only cost every ask its bookkeeping.
    db.connection().execute(QUESTIONS_INSERT, row)
    db.add_all(also)
    db.commit()
    metrics.record_ask(channel, answer, time.perf_counter() - started)
    return Asked(row["id"], answer)


class FeedbackRefused(Exception):
    """A verdict that may not be recorded: another client's question, or one already final."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "foreign" | "final"


def record_feedback(db: Session, question_id: str, helpful: bool, client: str | None) -> Question | None:
    """Store a resident's verdict on an answer, counted once; None if the question is unknown.

    client is the session id the verdict came with (a LINE user's salted hash on LINE). A client that
    names itself must be the one that asked; a verdict may be changed only by the client that asked
    and only within FEEDBACK_CHANGE_MINUTES of the first, so no one can flip the KPI back and forth.
    """
    question = db.get(Question, question_id)
    if question is None:
        return None
    if client is not None and question.session != client:
        raise FeedbackRefused("foreign")
    if question.helpful is helpful:
        return question  # a retry of the same verdict changes nothing
    if question.helpful is not None and question.session != client:
        raise FeedbackRefused("foreign")
    now = utcnow()
    change_window = timedelta(minutes=current_app.config["FEEDBACK_CHANGE_MINUTES"])
    # One statement, so two verdicts at the same moment cannot both pass the window check.
    changed = db.execute(
        update(Question)
        .where(
            Question.id == question_id,
            or_(Question.helpful.is_(None), Question.feedback_at >= now - change_window),
        )
        .values(helpful=helpful, feedback_at=func.coalesce(Question.feedback_at, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.commit()
    if not changed:
        raise FeedbackRefused("final")
    db.refresh(question)
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
