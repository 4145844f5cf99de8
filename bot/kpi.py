"""The plans' KPI: the share of unresolved questions, by Asia/Tokyo day."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Select, select
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


# Days a filter may name: Python's own first and last years are left out, since a Tokyo midnight in UTC, the day
# after a range or a default span before it would fall outside what a date can hold.
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def parse_day(value: str | None) -> date | None:
    """Read an optional YYYY-MM-DD day, nothing looser (Python also takes 20261101); ValueError otherwise."""
    if value is None:
        return None
    if len(value) != 10:
        raise ValueError(value)
    day = date.fromisoformat(value)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(value)
    return day


def day_option(context: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Read a YYYY-MM-DD command-line option as /api/kpi reads its query."""
    try:
        return parse_day(value)
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD の形の日付にしてください。", ctx=context, param=param) from None


def tokyo_midnight_utc(day: date) -> datetime:
    """Return the UTC instant a Tokyo day starts (stored times are UTC; SQLite drops zones)."""
    return datetime.combine(day, time.min, TOKYO).astimezone(timezone.utc)


def counted_questions(query: Select, where: KpiFilter) -> Select:
    """Keep the questions the KPI counts (small talk does not) in where's Tokyo days (inclusive), ward and channel."""
    query = query.where(Question.small_talk.is_(False))
    if where.start is not None:
        query = query.where(Question.asked_at >= tokyo_midnight_utc(where.start))
    if where.end is not None:
        query = query.where(Question.asked_at < tokyo_midnight_utc(where.end + timedelta(days=1)))
    if where.ward is not None:
        query = query.where(Question.ward == where.ward)
    if where.channel is not None:
        query = query.where(Question.channel == where.channel)
    return query


def kpi(db: Session, where: KpiFilter) -> dict:
    """Count questions and unresolved ones, overall and per Tokyo day; small talk does not count."""
    query = counted_questions(select(Question.asked_at, Question.unresolved), where)
    totals: Counter[date] = Counter()
    unresolved: Counter[date] = Counter()
    for asked_at, missed in db.execute(query):
        day = as_utc(asked_at).astimezone(TOKYO).date()
        totals[day] += 1
        unresolved[day] += bool(missed)
    total, missed = sum(totals.values()), sum(unresolved.values())
    return {
        "total": total,
        "unresolved": missed,
        "unresolved_rate": round(missed / total, 4) if total else 0.0,
        "by_day": [
            {"date": day.isoformat(), "total": totals[day], "unresolved": unresolved[day]} for day in sorted(totals)
        ],
    }


PERIODS = ("day", "week", "month")


def period_start(day: date, period: str) -> date:
    """Return the first Tokyo day of the day, ISO week (from Monday) or month that day falls in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, period: str) -> date:
    """Return the first day of the period after the one starting at start."""
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def period_count(start: date, end: date, period: str) -> int:
    """Return how many days, weeks or months kpi_by_period lists from start to end."""
    first, last = period_start(start, period), period_start(end, period)
    if period == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days // (7 if period == "week" else 1) + 1


def kpi_by_period(figures: dict, period: str, start: date, end: date) -> list[dict]:
    """Sum kpi()'s days into days, weeks or months from start to end, periods without questions included."""
    totals: Counter[date] = Counter()
    unresolved: Counter[date] = Counter()
    for row in figures["by_day"]:
        key = period_start(date.fromisoformat(row["date"]), period)
        totals[key] += row["total"]
        unresolved[key] += row["unresolved"]
    rows = []
    current = period_start(start, period)
    while current <= end:
        total, missed = totals[current], unresolved[current]
        rows.append(
            {
                "start": current.isoformat(),
                "total": total,
                "unresolved": missed,
                "unresolved_rate": round(missed / total, 4) if total else None,
            }
        )
        current = next_period(current, period)
    return rows
