"""The plans' KPI: the share of unresolved questions, by Asia/Tokyo day."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Question, as_utc

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class KpiFilter:
    """Which questions count: an inclusive range of Tokyo days, a ward, a channel."""

    start: date | None = None
    end: date | None = None
    ward: str | None = None
    channel: str | None = None


def tokyo_midnight_utc(day: date) -> datetime:
    """Return the UTC instant a Tokyo day starts (stored times are UTC; SQLite drops zones)."""
    return datetime.combine(day, time.min, TOKYO).astimezone(timezone.utc)


def kpi(db: Session, where: KpiFilter) -> dict:
    """Count questions and unresolved ones, overall and per Tokyo day; small talk does not count."""
    query = select(Question.asked_at, Question.resolved, Question.helpful).where(Question.small_talk.is_(False))
    if where.start is not None:
        query = query.where(Question.asked_at >= tokyo_midnight_utc(where.start))
    if where.end is not None:
        query = query.where(Question.asked_at < tokyo_midnight_utc(where.end + timedelta(days=1)))
    if where.ward is not None:
        query = query.where(Question.ward == where.ward)
    if where.channel is not None:
        query = query.where(Question.channel == where.channel)
    totals: Counter[date] = Counter()
    unresolved: Counter[date] = Counter()
    for asked_at, resolved, helpful in db.execute(query):
        day = as_utc(asked_at).astimezone(TOKYO).date()
        totals[day] += 1
        unresolved[day] += (not resolved) or helpful is False
    total, missed = sum(totals.values()), sum(unresolved.values())
    return {
        "total": total,
        "unresolved": missed,
        "unresolved_rate": round(missed / total, 4) if total else 0.0,
        "by_day": [
            {"date": day.isoformat(), "total": totals[day], "unresolved": unresolved[day]} for day in sorted(totals)
        ],
    }
