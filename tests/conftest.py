"""Fixtures: an app on a fresh database (SQLite, then PostgreSQL), its clients, real servers, Redis and a real browser."""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from flask import Flask

from bot import create_app
from helpers import ContractClient, corpus_retriever
from index.answering import Answerer
from index.build import build_answerer
from servers import StandInMessagingApi, ThreadedServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def contract_client(monkeypatch):
    """Check every API response any test makes, through any app's test client, against /openapi.json."""
    monkeypatch.setattr(Flask, "test_client_class", ContractClient)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say at the end of every run which servers the tests used, so a run without them cannot pass for a full one."""
    postgres = os.environ.get("WARD_FAQ_TEST_POSTGRES_URL")
    redis = os.environ.get("WARD_FAQ_TEST_REDIS_URL")
    terminalreporter.write_line(
        f"database tests: SQLite and PostgreSQL ({postgres})" if postgres else
        "database tests: SQLite only; WARD_FAQ_TEST_POSTGRES_URL is not set, so their PostgreSQL runs were SKIPPED"
    )
    terminalreporter.write_line(
        f"rate limit tests: Redis ({redis})" if redis else
        "rate limit tests: WARD_FAQ_TEST_REDIS_URL is not set, so the shared (Redis) limit tests were SKIPPED"
    )


def fresh_postgres_database() -> Iterator[str]:
    """Create a PostgreSQL database of a random name for one test, yield its URL, and drop it afterwards."""
    admin_url = os.environ.get("WARD_FAQ_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("WARD_FAQ_TEST_POSTGRES_URL is not set: the PostgreSQL runs of the database tests are skipped")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ward_faq_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """Return the URL of an empty database of this test's own: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        yield from fresh_postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Return the URL of an empty PostgreSQL database of this test's own, for what only PostgreSQL can show."""
    yield from fresh_postgres_database()


@pytest.fixture
def app(database_url):
    """Return an app with its own database."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "RATE_LIMIT_PER_MINUTE": 10_000,
            "FEEDBACK_RATE_LIMIT_PER_MINUTE": 10_000,
            "STAFF_LOGIN_PER_MINUTE": 10_000,
            "STAFF_LOGIN_ACCOUNT_PER_MINUTE": 10_000,
            "CORPUS_RETRIEVER": corpus_retriever(),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class LiveServer(ThreadedServer):
    """The app served over real HTTP on 127.0.0.1, in a thread."""

    def __init__(self, app) -> None:
        super().__init__(make_server("127.0.0.1", 0, app, threaded=True))


@pytest.fixture
def live_server(app):
    """Serve the app over HTTP for the duration of a test."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Start Debian's headless Chromium once for the whole run, driven by Playwright."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `make test` installs it with apt")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """Open a fresh browser context and page for one test."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the folder the README points to for screenshots taken by the tests."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def redis_storage():
    """Return (storage URL, key prefix) of the test Redis, the prefix this test's own; its keys are deleted after."""
    url = os.environ.get("WARD_FAQ_TEST_REDIS_URL")
    if not url:
        pytest.skip("WARD_FAQ_TEST_REDIS_URL is not set: no Redis to test the shared rate limit against")
    redis = pytest.importorskip("redis")
    prefix = f"ward-faq-test-{uuid.uuid4().hex}"
    yield url, prefix
    server = redis.Redis.from_url(url)
    for key in server.scan_iter(f"*{prefix}*"):
        server.delete(key)
    server.close()


@pytest.fixture
def line_api():
    """Run a stand-in for LINE's Messaging API on 127.0.0.1 and yield it (the app's replies go there)."""
    with StandInMessagingApi() as api:
        yield api


@pytest.fixture(scope="session")
def answerer() -> Answerer:
    """Return the corpus answerer, built without Flask on the cached corpus index; it is only read, so one serves every test."""
    return build_answerer(retriever=corpus_retriever())
