"""When the database cannot be reached: 503s that say so, a readiness check, and a short wait at start-up."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.errors import json_error

bp = Blueprint("availability", __name__)
log = logging.getLogger("ward_faq")

# What a database out of reach raises: refused or cut connections, a pool with none free, a locked file.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
UNAVAILABLE_MESSAGE = "ただいま混み合っているか、保守中です。しばらくしてからもう一度お試しください。"
STAFF_UNAVAILABLE_MESSAGE = "データベースに接続できません。しばらくしてから、このページを読み込み直してください。"


class DatabaseUnreachable(SystemExit):
    """The database did not answer at start-up: stop with one line, not a traceback."""


def database_unavailable(error: Exception):
    """Answer 503 while the database is out of reach; the next request tries again, so no restart is needed."""
    cause = getattr(error, "orig", None) or error  # the driver's error, without the statement or its parameters
    log.error("database unavailable: %s on %s %s", type(cause).__name__, request.method, request.path)
    if request.blueprint == "staff":
        return render_template("staff/error.html", message=STAFF_UNAVAILABLE_MESSAGE), 503
    return json_error(503, "unavailable", UNAVAILABLE_MESSAGE)


def database_answers(engine: Engine) -> bool:
    """Say whether the database answers a query now."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except UNAVAILABLE:
        return False


def wait_for_database(engine: Engine, seconds: float) -> None:
    """Wait up to seconds for the database to answer (it may be starting too), or stop with one line."""
    deadline = time.monotonic() + seconds
    if database_answers(engine):
        return
    where = engine.url.render_as_string(hide_password=True)
    log.error("database unreachable at %s; retrying for up to %g s", where, seconds)
    while time.monotonic() < deadline:
        time.sleep(1)
        if database_answers(engine):
            log.info("database reachable")
            return
    raise DatabaseUnreachable(f"ward-faq: the database at {where} cannot be reached; is it running?")


@bp.get("/readyz")
def readyz():
    """Say whether requests can be served now: the index is loaded and the database answers."""
    if not database_answers(current_app.extensions["ward_faq.engine"]):
        return json_error(503, "unavailable", UNAVAILABLE_MESSAGE)
    return jsonify({"status": "ready"})


def init_app(app: Flask) -> None:
    """Answer database outages with 503 everywhere in the app, and serve /readyz."""
    for error in UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)
    app.register_blueprint(bp)
