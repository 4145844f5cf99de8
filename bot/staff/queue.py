"""The review queue: unresolved questions, similar ones grouped, each with the bot's best candidates."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.db import Question, as_utc
from bot.kpi import KpiFilter, counted_questions
from bot.live_index import get_answerer
from index.retriever import Hit

STATUSES = {"new": "未対応", "answered": "回答済み", "linked": "既存回答に紐付け", "out_of_scope": "対象外"}
SIMILARITY = 0.5  # Jaccard overlap of content words from which two questions count as the same gap
MAX_QUESTIONS = 1000  # the newest this many questions are grouped; older ones wait for a narrower filter
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class QueueFilter(KpiFilter):
    """What the queue shows: the KPI's days, ward and channel, and a review status."""

    status: str | None = "new"


@dataclass
class Group:
    """Similar questions of one ward, newest first; the first one stands for the group."""

    questions: list[Question]
    words: frozenset[str]
    candidates: list[Hit] = field(default_factory=list)

    @property
    def head(self) -> Question:
        """Return the newest question of the group."""
        return self.questions[0]

    @property
    def channels(self) -> list[str]:
        """Return the channels the group's questions came through."""
        return list(dict.fromkeys(q.channel for q in self.questions))

    @property
    def staff_answer_unhelpful(self) -> bool:
        """Say whether a staff FAQ entry answered one of the group's questions and the resident said it did not help."""
        return any(q.helpful is False and (q.top_unit_id or "").startswith("faq-") for q in self.questions)

    @property
    def ids(self) -> list[str]:
        """Return the ids of the group's questions."""
        return [q.id for q in self.questions]


def queue_questions(db, visible, where: QueueFilter) -> list[Question]:
    """Return the unresolved questions the filter selects, newest first."""
    query = counted_questions(select(Question).where(Question.unresolved, visible), where)
    if where.status is not None:
        query = query.where(Question.status == where.status)
    return list(db.scalars(query.order_by(Question.asked_at.desc(), Question.id).limit(MAX_QUESTIONS)))


def squashed(text: str) -> str:
    """Return text without case, width, spaces or punctuation differences."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower())


def content_words(text: str) -> frozenset[str]:
    """Return the content words of a question, as the retriever analyses them."""
    return frozenset(word.form for word in get_answerer().retriever.analyzer.analyze(text))


def similar(a: Question, a_words: frozenset[str], b: Question, b_words: frozenset[str]) -> bool:
    """Say whether two questions ask the same thing: same text, or mostly the same content words."""
    if squashed(a.text) == squashed(b.text):
        return True
    if not a_words or not b_words:
        return False
    return len(a_words & b_words) / len(a_words | b_words) >= SIMILARITY


def group_questions(questions: list[Question]) -> list[Group]:
    """Group similar questions of the same ward; unhelpful staff answers first, then the most asked gap, then the newest."""
    groups: list[Group] = []
    for question in questions:  # newest first, so each group's head is its newest question
        words = content_words(question.text)
        for group in groups:
            if group.head.ward == question.ward and similar(group.head, group.words, question, words):
                group.questions.append(question)
                break
        else:
            groups.append(Group([question], words))
    # A staff answer residents marked not helpful comes first: the entry needs mending before it answers again.
    groups.sort(key=lambda g: (not g.staff_answer_unhelpful, -len(g.questions), -as_utc(g.head.asked_at).timestamp()))
    return groups


def candidates(question: Question, limit: int = 3) -> list[Hit]:
    """Return the corpus units that best match a question, whichever the bot chose to say."""
    answerer = get_answerer()
    # The answerer's retriever is the corpus's alone (staff entries live in the staff index): every hit can be linked.
    return answerer.retriever.search(answerer.query(question.text, question.ward), limit=limit)
