"""Staff logins: password hashes, login lockout, CSRF tokens, ward scope and the audit log."""
from __future__ import annotations

import functools
import hmac
import secrets
import time
from datetime import timedelta

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import or_, select, true
from werkzeug.security import check_password_hash, generate_password_hash

from bot.db import AuditEntry, LoginAttempt, Question, StaffUser, as_utc, get_db, utcnow

ALL_WARDS = "all"
MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 64
CSRF_FIELD = "csrf_token"
# Checked against when the account name is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password)


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


def load_staff() -> None:
    """Put the logged-in staff member in g.staff, or None; an expired or removed account logs out."""
    g.staff = None
    staff_id, login_at = session.get("staff_id"), session.get("login_at", 0)
    if staff_id is None:
        return
    if time.time() - login_at > current_app.config["STAFF_SESSION_HOURS"] * 3600:
        session.clear()
        return
    g.staff = get_db().get(StaffUser, staff_id)


def login_required(view):
    """Send anyone not logged in to the login form."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.staff is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(**kwargs)

    return wrapped


def locked_until(db, name: str):
    """Return when the lock on an account name ends, or None if it is not locked."""
    attempt = db.get(LoginAttempt, name)
    if attempt is None or attempt.locked_until is None or as_utc(attempt.locked_until) <= utcnow():
        return None
    return as_utc(attempt.locked_until)


def authenticate(db, name: str, password: str) -> StaffUser | None:
    """Return the account if the password is right and the name is not locked; count failures."""
    name = name[:MAX_NAME_CHARS]
    if locked_until(db, name) is not None:
        return None
    user = db.scalar(select(StaffUser).where(StaffUser.name == name))
    password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    attempt = db.get(LoginAttempt, name)
    if user is not None and password_ok:
        if attempt is not None:
            db.delete(attempt)
        user.last_login_at = utcnow()
        return user
    if attempt is None:
        attempt = LoginAttempt(name=name, failures=0)
        db.add(attempt)
    attempt.failures += 1
    if attempt.failures >= current_app.config["STAFF_LOCKOUT_FAILURES"]:
        attempt.failures = 0
        attempt.locked_until = utcnow() + timedelta(minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
    # Slow down guessing even before the lock starts.
    time.sleep(current_app.config["STAFF_LOGIN_DELAY"])
    return None


def start_session(user: StaffUser) -> None:
    """Start a fresh session for a staff member, with a new CSRF token (no fixation)."""
    session.clear()
    session["staff_id"] = user.id
    session["login_at"] = time.time()
    csrf_token()


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
