"""The database: SQLAlchemy models, one engine per process, one session per request."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import current_app, g
from sqlalchemy import (
    Boolean, ColumnElement, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event, or_, select,
    update,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def utcnow() -> datetime:
    """Return the current time in UTC; every stored time is UTC."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Return a stored time as aware UTC (SQLite hands times back without their zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


def new_question_id() -> str:
    """Return a new question's id, as /api/ask hands it out."""
    return uuid.uuid4().hex


class Question(Base):
    """One question a resident asked, masked, with what the bot did."""

    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_question_id)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(8))  # web | line | api
    ward: Mapped[str | None] = mapped_column(String(16), index=True)
    session: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)  # personal data masked
    resolved: Mapped[bool] = mapped_column(Boolean)
    small_talk: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(Text)
    top_unit_id: Mapped[str | None] = mapped_column(String(64))
    top_score: Mapped[float | None] = mapped_column(Float)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Staff review state of an unresolved question: new | answered | linked | out_of_scope.
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_note: Mapped[str | None] = mapped_column(Text)
    # The abstained question whose 「もしかして」 button asked this one, so staff see which candidates residents take.
    suggested_from: Mapped[str | None] = mapped_column(String(32), index=True)

    @hybrid_property
    def unresolved(self) -> bool:
        """Abstained, or answered and marked not helpful: the KPI counts it and staff review it."""
        return not self.resolved or self.helpful is False

    @unresolved.inplace.expression
    @classmethod
    def _unresolved_expression(cls) -> ColumnElement[bool]:
        """Say the same in SQL (helpful is NULL until a resident answers)."""
        return or_(cls.resolved.is_(False), cls.helpful.is_(False))


class FaqEntry(Base):
    """An answer written by staff; it joins the index as soon as it is saved."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(100))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Phrasing(Base):
    """A resident's wording that staff linked to a corpus unit that answers it."""

    __tablename__ = "phrasings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexRevision(Base):
    """A counter bumped with every FAQ or phrasing change, so every worker knows to refresh."""

    __tablename__ = "index_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class LineEvent(Base):
    """A LINE webhook event already handled, so a redelivery is neither answered nor logged again."""

    __tablename__ = "line_events"

    webhook_event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(Base):
    """A ward office account of the staff console; ward is a ward name or "all"."""

    __tablename__ = "staff_users"
    # AUTOINCREMENT: a removed account's id is never given to a new one (PostgreSQL sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    ward: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # salted scrypt, never the password
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A logged-in console session, checked on every request; the cookie holds the token, this its hash."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginLock(Base):
    """Failed logins to one account from one address: a lock shuts out that address, not the staff member."""

    __tablename__ = "login_locks"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)  # a keyed hash, never the address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One staff action: who did what, when, to which records."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    staff: Mapped[str] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(16))  # the ward the action concerns, for scoping
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    # Repeated login failures and locks are one row, counted, so a flood of them cannot bury the log.
    count: Mapped[int] = mapped_column(Integer, default=1)


def bump_index_revision(db: Session) -> None:
    """Mark the live index stale in the same transaction as the change that made it so."""
    db.execute(update(IndexRevision).where(IndexRevision.id == 1).values(revision=IndexRevision.revision + 1))


# Read before every ask: built once, and run on the session's connection without the ORM's per-statement work.
INDEX_REVISION = select(IndexRevision.revision).where(IndexRevision.id == 1)


def current_index_revision(db: Session) -> int:
    """Return the live index revision."""
    return db.connection().scalar(INDEX_REVISION) or 0


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL and a busy timeout so several workers can share it."""
    # Residents' questions are SQL parameters: an error logged with them would log what residents wrote.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints, not at every commit: a committed row survives any crash of
            # the app; only a power cut can lose the last commits. A sync per ask cost more than answering it.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def get_db() -> Session:
    """Return this request's database session."""
    if "db" not in g:
        g.db = Session(current_app.extensions["ward_faq.engine"], expire_on_commit=False)
    return g.db


def close_db(_exception: BaseException | None = None) -> None:
    """Close the request's session, if one was opened, rolling back whatever a failed request left unfinished."""
    db = g.pop("db", None)
    if db is not None:
        db.close()
