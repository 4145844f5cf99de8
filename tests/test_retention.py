"""`ward-faq log purge`: questions asked before a day are deleted, counted and audited; a day after today is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.db import AuditEntry, Question, get_db
from bot.kpi import TOKYO


def log_questions(app, *asked_at: datetime) -> None:
    with app.app_context():
        db = get_db()
        for moment in asked_at:
            db.add(Question(channel="api", ward="台東区", text="質問", resolved=False, answer="…", asked_at=moment))
        db.commit()


def kept(app) -> list[datetime]:
    with app.app_context():
        return sorted(q.asked_at.replace(tzinfo=None) for q in get_db().scalars(select(Question)))


def test_purge_deletes_the_questions_asked_before_the_tokyo_day_and_audits_it(app, runner):
    # 2026-03-31 23:30 in Tokyo is 14:30 UTC: before 2026-04-01 there, though the same UTC day as the next one.
    before = datetime(2026, 3, 31, 14, 30, tzinfo=timezone.utc)
    after = datetime(2026, 3, 31, 15, 30, tzinfo=timezone.utc)
    log_questions(app, before - timedelta(days=30), before, after)
    result = runner.invoke(args=["log", "purge", "--before", "2026-04-01"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 questions asked before 2026-04-01" in result.output
    assert kept(app) == [after.replace(tzinfo=None)]
    with app.app_context():
        (entry,) = get_db().scalars(select(AuditEntry)).all()
    assert (entry.staff, entry.action, entry.detail) == ("cli", "log_purge", "questions asked before 2026-04-01: 2")


def test_purge_refuses_a_day_after_today_unless_told_yes(app, runner):
    now = datetime.now(timezone.utc)
    log_questions(app, now)
    tomorrow = (datetime.now(TOKYO).date() + timedelta(days=1)).isoformat()
    refused = runner.invoke(args=["log", "purge", "--before", tomorrow])
    assert refused.exit_code == 1 and "is after today" in refused.output and "--yes" in refused.output
    assert len(kept(app)) == 1
    with app.app_context():
        assert get_db().scalars(select(AuditEntry)).all() == []
    done = runner.invoke(args=["log", "purge", "--before", tomorrow, "--yes"])
    assert done.exit_code == 0 and "deleted 1 questions" in done.output
    assert kept(app) == []


def test_purge_needs_a_day_in_the_yyyy_mm_dd_form(app, runner):
    log_questions(app, datetime(2020, 1, 1, tzinfo=timezone.utc))
    for day in ("01/04/2026", "20260401", "0001-01-01"):  # the last one's Tokyo midnight is before any UTC date
        result = runner.invoke(args=["log", "purge", "--before", day])
        assert result.exit_code == 2 and "YYYY-MM-DD" in result.output, result.output
    assert len(kept(app)) == 1
