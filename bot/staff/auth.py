"""Staff logins: password rules, server-side sessions, login locks, CSRF tokens, ward scope and the audit log."""
from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from bot.db import AuditEntry, LoginLock, Question, StaffSession, StaffUser, as_utc, get_db, utcnow
from bot.privacy import keyed_hash

ALL_WARDS = "all"
# Length and a list of common passwords, no composition rules, as NIST SP 800-63B advises.
MIN_PASSWORD_CHARS = 12
# The 20,000 most common passwords, lowercased (the list Django ships, from Royce Williams' compilation).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"
MAX_NAME_CHARS = 64
CSRF_FIELD = "csrf_token"
SESSION_KEY = "staff_session"


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password)


@functools.cache
def dummy_hash() -> str:
    """Return the hash checked when the account name is unknown, so a wrong name costs as much time as a wrong password.

    Made at a process's first login, not at import: a hash costs a tenth of a second at every start.
    """
    return hash_password("not-a-real-password")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, read once."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def password_problem(password: str, name: str) -> str | None:
    """Say why a new password is refused (Japanese), or None when it will do."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください。"
    lowered = password.lower()
    if lowered.strip() in common_passwords() or len(set(lowered)) <= 2:
        return "よく使われるパスワードや、同じ文字の繰り返しは使えません。"
    if name.lower() in lowered or "ward-faq" in lowered or "wardfaq" in lowered:
        return "アカウント名やサービス名を含むパスワードは使えません。"
    return None


def csrf_token() -> str:
    """Return this session's CSRF token, making one on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a POST whose form does not carry this session's token."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "CSRF")


def digest(token: str) -> str:
    """Return the SHA-256 of a session token: what the database keeps, so a copy of it opens no session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def keyed(value: str) -> str:
    """Return a keyed hash of a value (an address, an account name), so it is counted without being kept."""
    return keyed_hash(value)[:32]


def load_staff() -> None:
    """Put the logged-in staff member in g.staff, or None: the session must still be in the database."""
    g.staff = None
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return
    db = get_db()
    row = db.get(StaffSession, digest(token))
    if row is None or as_utc(row.expires_at) <= utcnow():
        session.clear()  # logged out, password changed, account removed, or expired
        return
    g.staff = db.get(StaffUser, row.staff_id)


def start_session(db, user: StaffUser) -> None:
    """Start a fresh server-side session for a staff member, with a new CSRF token (no fixation)."""
    now = utcnow()
    db.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    hours = current_app.config["STAFF_SESSION_HOURS"]
    db.add(StaffSession(token_hash=digest(token), staff_id=user.id, expires_at=now + timedelta(hours=hours)))
    session.clear()
    session[SESSION_KEY] = token
    csrf_token()


def end_session(db) -> None:
    """End this browser's session: its cookie, even copied, opens nothing any more."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db.execute(delete(StaffSession).where(StaffSession.token_hash == digest(token)))
    session.clear()


def end_sessions(db, staff_id: int) -> None:
    """End every session of an account (password changed, account removed)."""
    db.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))


def login_required(view):
    """Send anyone not logged in to the login form."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.staff is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(**kwargs)

    return wrapped


@dataclass(frozen=True)
class Login:
    """What a login attempt came to: the account if the password was right, the account named, any lock."""

    user: StaffUser | None
    account: StaffUser | None
    locked_until: datetime | None = None


def authenticate(db, name: str, password: str, address: str) -> Login:
    """Check a password, counting failures per account and address; a lock holds that address out only.

    The attempt is counted before the password is checked, in one UPDATE, so concurrent attempts from
    one address can never check more passwords than the limit allows. No worker ever sleeps.
    """
    dummy = dummy_hash()  # made at the first login whatever the name, so its cost tells nothing either
    account = db.scalar(select(StaffUser).where(StaffUser.name == name[:MAX_NAME_CHARS]))
    if account is None:
        check_password_hash(dummy, password)  # a wrong name costs as much time as a wrong password
        return Login(None, None)
    address_key = keyed(address)
    now = utcnow()
    if db.get(LoginLock, (account.id, address_key)) is None:
        db.add(LoginLock(staff_id=account.id, address=address_key, failures=0))
        try:
            db.commit()
        except IntegrityError:
            db.rollback()  # another worker added it at the same moment
    open_row = (LoginLock.staff_id == account.id) & (LoginLock.address == address_key)
    attempt = db.execute(
        update(LoginLock)
        .where(open_row, or_(LoginLock.locked_until.is_(None), LoginLock.locked_until <= now))
        .values(failures=LoginLock.failures + 1, locked_until=None)
        .returning(LoginLock.failures)
    ).scalar()
    db.commit()
    limit = current_app.config["STAFF_LOCKOUT_FAILURES"]
    if attempt is None or attempt > limit:
        return Login(None, account, lock_end(db, account.id, address_key) or now)
    if check_password_hash(account.password_hash, password):
        db.execute(update(LoginLock).where(open_row).values(failures=0))
        account.last_login_at = now
        return Login(account, account)
    if attempt == limit:
        until = now + timedelta(minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
        db.execute(update(LoginLock).where(open_row).values(failures=0, locked_until=until))
        return Login(None, account, until)
    return Login(None, account)


def lock_end(db, staff_id: int, address_key: str) -> datetime | None:
    """Return when the lock of an account for an address ends, or None if there is none."""
    end = db.scalar(
        select(LoginLock.locked_until).where(LoginLock.staff_id == staff_id, LoginLock.address == address_key)
    )
    return as_utc(end) if end is not None and as_utc(end) > utcnow() else None


def locked_addresses(db, staff_id: int) -> int:
    """Count the addresses an account is locked for right now."""
    return db.scalar(
        select(func.count()).select_from(LoginLock)
        .where(LoginLock.staff_id == staff_id, LoginLock.locked_until > utcnow())
    )


def unlock(db, staff_id: int) -> None:
    """Lift every lock of an account and forget its failures."""
    db.execute(delete(LoginLock).where(LoginLock.staff_id == staff_id))


def sees_ward(ward: str | None) -> bool:
    """Say whether the logged-in staff member may see and act on things of this ward."""
    # A question with no ward (the resident named none) could be any ward's: it reaches every ward's staff.
    return g.staff.ward == ALL_WARDS or ward in (g.staff.ward, None)


def visible_questions():
    """Return the SQL condition for the questions the logged-in staff member may see."""
    if g.staff.ward == ALL_WARDS:
        return true()
    return or_(Question.ward == g.staff.ward, Question.ward.is_(None))


def writable_wards(wards) -> list[str]:
    """Return the wards the logged-in staff member may write FAQ entries for."""
    return list(wards) if g.staff.ward == ALL_WARDS else [g.staff.ward]


def audit(db, action: str, *, ward: str | None = None, target: str | None = None, detail: str | None = None,
          staff: str | None = None) -> None:
    """Record a staff action in the session's transaction; an all-wards account's ward is recorded as none."""
    who = staff or (g.staff.name if g.get("staff") else "-")
    ward = None if ward == ALL_WARDS else ward
    db.add(AuditEntry(staff=who, ward=ward, action=action, target=target, detail=detail))


def audit_repeated(db, action: str, *, staff: str, ward: str | None = None) -> None:
    """Record a login failure or lock; repeats within a lock period add to one row's count."""
    since = utcnow() - timedelta(minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
    latest = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.action == action, AuditEntry.staff == staff, AuditEntry.at >= since)
        .scalar_subquery()
    )
    counted = db.execute(
        update(AuditEntry).where(AuditEntry.id == latest).values(count=AuditEntry.count + 1, at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not counted:
        audit(db, action, ward=ward, staff=staff)
