"""ward-faq: the Flask app that answers residents from the ward documents."""
from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

from bot.origin import check_siblings

# Before anything imports from index: a foreign `index` would otherwise fail there, obscurely.
check_siblings()

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import (
    api, availability, cli, errors, headers, limits, line, live_index, metrics, openapi, retention, service, widget,
)
from bot.availability import wait_for_database
from bot.db import close_db, make_engine
from bot.schema import prepare as prepare_schema
from bot.staff import views as staff_views
from index.corpus import DEFAULT_CORPUS_DIR

log = logging.getLogger("ward_faq")


def number(name: str, default: str, kind: type[int] | type[float]) -> int | float:
    """Read a numeric setting, or stop the start with one line naming the setting that is not a number."""
    value = os.environ.get(name, default)
    try:
        return kind(value)
    except ValueError:
        raise SystemExit(f"ward-faq: {name} must be a number, not {value!r}") from None


def load_config(app: Flask) -> None:
    """Read every setting from the environment, each with its safe default."""
    env = os.environ.get
    app.config.from_mapping(
        DATABASE_URL=env("WARD_FAQ_DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'ward-faq.sqlite'}",
        SECRET_KEY=env("WARD_FAQ_SECRET_KEY"),
        # At start-up, how long to wait for a database that does not answer yet (it may be starting too).
        DB_WAIT_SECONDS=number("WARD_FAQ_DB_WAIT_SECONDS", "10", float),
        CORPUS_DIR=Path(env("WARD_FAQ_CORPUS_DIR", DEFAULT_CORPUS_DIR)),
        # The built corpus index, kept between starts (a file per hash of the corpus and of the index code).
        INDEX_CACHE=Path(env("WARD_FAQ_INDEX_CACHE") or Path(app.instance_path) / "index-cache"),
        # A corpus retriever built beforehand (tests share one); None builds it from CORPUS_DIR.
        CORPUS_RETRIEVER=None,
        # Many residents can share one address (a carrier's shared address, a library's PCs): the limit
        # stops floods, not people.
        RATE_LIMIT_PER_MINUTE=number("WARD_FAQ_RATE_LIMIT_PER_MINUTE", "300", int),
        # Verdicts on answers per client address per minute, and how long a verdict may still be changed.
        FEEDBACK_RATE_LIMIT_PER_MINUTE=number("WARD_FAQ_FEEDBACK_RATE_LIMIT_PER_MINUTE", "60", int),
        FEEDBACK_CHANGE_MINUTES=number("WARD_FAQ_FEEDBACK_CHANGE_MINUTES", "10", int),
        # One LINE user is one person: LINE's servers share addresses, so LINE is limited per user instead.
        LINE_RATE_LIMIT_PER_MINUTE=number("WARD_FAQ_LINE_RATE_LIMIT_PER_MINUTE", "20", int),
        # Where the limits are counted: memory:// is per worker; redis://host:6379 counts across workers and hosts.
        RATELIMIT_STORAGE_URI=env("WARD_FAQ_RATELIMIT_STORAGE_URL", "memory://"),
        RATELIMIT_KEY_PREFIX=env("WARD_FAQ_RATELIMIT_KEY_PREFIX", "ward-faq"),
        # How many reverse proxies stand in front of the app; their X-Forwarded-For is trusted, no one else's.
        PROXY_COUNT=number("WARD_FAQ_PROXY_COUNT", "0", int),
        # The widget and API bodies are small; LINE may batch many events in one request.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # The LINE channel is off without a secret; LINE_WARD scopes its questions to one ward.
        LINE_CHANNEL_SECRET=env("LINE_CHANNEL_SECRET") or None,
        LINE_CHANNEL_ACCESS_TOKEN=env("LINE_CHANNEL_ACCESS_TOKEN") or None,
        LINE_WARD=env("LINE_WARD") or None,
        LINE_API_BASE_URL=env("LINE_API_BASE_URL") or "https://api.line.me",
        # LINE wants its 200 within about 2 s; a reply slower than this many seconds is given up on, not waited for.
        LINE_REPLY_TIMEOUT=number("LINE_REPLY_TIMEOUT", "1.0", float),
        # Handled LINE event ids are kept this many days to answer a redelivery once; LINE redelivers within hours.
        LINE_EVENT_DAYS=number("WARD_FAQ_LINE_EVENT_DAYS", "7", int),
        # Other sites that may embed the web widget, comma-separated origins (https://www.city.example.jp).
        WIDGET_ALLOWED_ORIGINS=env("WIDGET_ALLOWED_ORIGINS", ""),
        # The staff console's session cookie: never readable by scripts, not sent cross-site.
        SESSION_COOKIE_SECURE=env("WARD_FAQ_SECURE_COOKIES") == "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Staff logins: attempts per address and per account name in any minute; failures in a row from one
        # address before that address is locked out of the account, and for how long; a session's life.
        STAFF_LOGIN_PER_MINUTE=number("WARD_FAQ_STAFF_LOGIN_PER_MINUTE", "5", int),
        STAFF_LOGIN_ACCOUNT_PER_MINUTE=number("WARD_FAQ_STAFF_LOGIN_ACCOUNT_PER_MINUTE", "30", int),
        STAFF_LOCKOUT_FAILURES=number("WARD_FAQ_STAFF_LOCKOUT_FAILURES", "5", int),
        STAFF_LOCKOUT_MINUTES=number("WARD_FAQ_STAFF_LOCKOUT_MINUTES", "15", int),
        STAFF_SESSION_HOURS=number("WARD_FAQ_STAFF_SESSION_HOURS", "12", int),
    )


def instance_dir() -> Path:
    """Return the folder of the SQLite file and the secret key: WARD_FAQ_INSTANCE_DIR, else ./instance."""
    # Not Flask's default, which for an installed package is inside the virtualenv: a rebuilt venv would lose the log.
    return Path(os.environ.get("WARD_FAQ_INSTANCE_DIR") or "instance").resolve()


def configured_app() -> Flask:
    """Return the app with its configuration read and nothing opened or built yet (the db commands need no more)."""
    app = Flask(__name__, instance_path=str(instance_dir()), instance_relative_config=True)
    app.session_interface = CookieSessionInterface()
    load_config(app)
    return app


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, whose signer is made only for a request that carries the cookie (staff's pages).

    Residents' asks and the health checks never carry one: each of them made a signer for nothing.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return a new empty session when the request has no session cookie, else the cookie's, checked."""
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; the index is built here, once per process."""
    app = configured_app()
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["PROXY_COUNT"]:
        # Behind a proxy every request comes from the proxy: take the resident's address from its header.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    configure_logging()

    engine = make_engine(app.config["DATABASE_URL"])
    wait_for_database(engine, app.config["DB_WAIT_SECONDS"])
    prepare_schema(engine)
    app.extensions["ward_faq.engine"] = engine
    metrics.init_app(app, engine)
    live_index.init_app(app)
    service.init_app(app)
    limits.init_app(app)
    errors.init_app(app)
    availability.init_app(app)
    headers.init_app(app)
    retention.init_app(app)
    app.teardown_appcontext(close_db)

    app.register_blueprint(api.bp)
    app.register_blueprint(line.bp)
    app.register_blueprint(widget.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(staff_views.bp)
    cli.register(app)
    # Nothing may hold a connection across gunicorn's fork (--preload): each worker opens its own.
    engine.dispose()
    return app


def instance_secret(instance: Path) -> str:
    """Return a secret key kept in the instance folder, so all workers and restarts share it."""
    path = instance / "secret_key"
    if not path.exists():
        try:
            with open(path, "x", encoding="utf-8") as file:
                file.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another worker wrote it first
    return path.read_text(encoding="utf-8").strip()


def configure_logging() -> None:
    """Log to stdout once per process."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
