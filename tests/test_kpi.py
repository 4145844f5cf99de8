"""The KPI against a hand-built log of known questions, on Asia/Tokyo days."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import true

from bot.db import Question, get_db
from bot.kpi import KpiFilter, kpi
from bot.staff.queue import QueueFilter, queue_questions


def log(db, when_utc: str, *, resolved=True, helpful=None, ward="台東区", channel="web", small_talk=False):
    db.add(
        Question(
            asked_at=datetime.fromisoformat(when_utc).replace(tzinfo=timezone.utc),
            channel=channel, ward=ward, session=None, text="q", resolved=resolved,
            small_talk=small_talk, answer="a", helpful=helpful,
        )
    )


def test_kpi_counts_unresolved_per_tokyo_day(app, client, runner):
    with app.app_context():
        db = get_db()
        log(db, "2026-11-20T14:59:00")  # 23:59 on the 20th in Tokyo
        log(db, "2026-11-20T15:00:00", resolved=False)  # 00:00 on the 21st in Tokyo
        log(db, "2026-11-21T03:00:00", helpful=False, channel="line")  # answered, not helpful
        log(db, "2026-11-21T04:00:00", helpful=True, ward="大田区")
        log(db, "2026-11-21T05:00:00", small_talk=True)  # never counted
        db.commit()
    body = client.get("/api/kpi").get_json()
    assert body == {
        "total": 4,
        "unresolved": 2,
        "unresolved_rate": 0.5,
        "by_day": [
            {"date": "2026-11-20", "total": 1, "unresolved": 0},
            {"date": "2026-11-21", "total": 3, "unresolved": 2},
        ],
    }
    assert client.get("/api/kpi?from=2026-11-21&to=2026-11-21").get_json()["total"] == 3
    assert client.get("/api/kpi?to=2026-11-20").get_json()["total"] == 1
    assert client.get("/api/kpi?ward=大田区").get_json()["unresolved"] == 0
    line = client.get("/api/kpi?channel=line").get_json()
    assert (line["total"], line["unresolved"], line["unresolved_rate"]) == (1, 1, 1.0)
    result = runner.invoke(args=["kpi", "--from", "2026-11-21", "--to", "2026-11-21"])
    assert result.exit_code == 0
    assert "total 3  unresolved 2  rate 66.67%" in result.output
    for bad in ("0001-01-01", "20261121", "2026-11-31"):
        refused = runner.invoke(args=["kpi", "--from", bad])
        assert refused.exit_code == 2 and "YYYY-MM-DD" in refused.output, refused.output


@pytest.mark.parametrize(
    "where",
    [
        KpiFilter(),
        KpiFilter(start=date(2026, 11, 21), end=date(2026, 11, 21)),
        KpiFilter(ward="台東区"),
        KpiFilter(channel="line"),
        KpiFilter(end=date(2026, 11, 20), ward="台東区", channel="web"),
    ],
)
def test_the_staff_queue_holds_exactly_the_questions_the_kpi_counts_unresolved(app, where):
    with app.app_context():
        db = get_db()
        log(db, "2026-11-20T14:59:00", resolved=False)
        log(db, "2026-11-20T15:00:00", resolved=False, ward="大田区")
        log(db, "2026-11-21T03:00:00", helpful=False, channel="line")
        log(db, "2026-11-21T04:00:00", helpful=True)
        log(db, "2026-11-21T05:00:00", resolved=True)
        log(db, "2026-11-21T06:00:00", small_talk=True, resolved=False)
        db.commit()
        queued = queue_questions(db, true(), QueueFilter(where.start, where.end, where.ward, where.channel, status=None))
        assert len(queued) == kpi(db, where)["unresolved"]
        assert all(question.unresolved and not question.small_talk for question in queued)
