"""How long records are kept: LINE event ids for a few days, questions until the ward purges them."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db import LineEvent, Question, get_db, utcnow
from bot.kpi import TOKYO, day_option, tokyo_midnight_utc
from bot.staff.auth import audit

log = logging.getLogger("ward_faq.retention")
EXTENSION = "ward_faq.retention"
# Pruning is a cheap DELETE, but there is no need for it on every webhook.
PRUNE_EVERY_SECONDS = 3600

log_cli = AppGroup("log", help="Look after the question log.")


@dataclass
class PruneSchedule:
    """When this worker next prunes the LINE event ids."""

    next_at: float = 0.0


def init_app(app: Flask) -> None:
    """Give the app its pruning schedule: each worker prunes on its first webhook, then hourly."""
    app.extensions[EXTENSION] = PruneSchedule()


def prune_line_events(db: Session, days: int, now: datetime | None = None) -> int:
    """Forget LINE event ids handled more than `days` ago (LINE redelivers only within a short time)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    pruned = db.execute(delete(LineEvent).where(LineEvent.handled_at < cutoff)).rowcount
    db.commit()
    return pruned


def prune_line_events_hourly() -> None:
    """Prune the LINE event ids if this worker has not done so in the last hour."""
    schedule: PruneSchedule = current_app.extensions[EXTENSION]
    now = time.monotonic()
    if now < schedule.next_at:
        return
    schedule.next_at = now + PRUNE_EVERY_SECONDS
    pruned = prune_line_events(get_db(), current_app.config["LINE_EVENT_DAYS"])
    if pruned:
        log.info("forgot %d LINE event ids older than %d days", pruned, current_app.config["LINE_EVENT_DAYS"])


def purge_questions(db: Session, before: date) -> int:
    """Delete the questions asked before a Tokyo day, recording the purge in the audit log."""
    purged = db.execute(delete(Question).where(Question.asked_at < tokyo_midnight_utc(before))).rowcount
    audit(db, "log_purge", detail=f"questions asked before {before.isoformat()}: {purged}", staff="cli")
    db.commit()
    return purged


@log_cli.command("purge")
@click.option("--before", "before", required=True, callback=day_option, metavar="YYYY-MM-DD",
              help="YYYY-MM-DD: questions asked before this day (Asia/Tokyo) are deleted; that day's are kept.")
@click.option("--yes", is_flag=True, help="Also take a day after today, which deletes today's questions too.")
def purge_command(before: date, yes: bool) -> None:
    """Delete the questions asked before a day, for wards whose rules limit how long questions are kept."""
    day = before
    today = datetime.now(TOKYO).date()
    if day > today and not yes:
        raise click.ClickException(
            f"{day.isoformat()} is after today ({today.isoformat()}, Asia/Tokyo): every question so far would go. "
            "Add --yes if that is what you want."
        )
    purged = purge_questions(get_db(), day)
    click.echo(f"deleted {purged} questions asked before {day.isoformat()} (Asia/Tokyo); recorded in the audit log")
