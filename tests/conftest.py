"""Fixtures: an app on a fresh SQLite file, its clients, a real HTTP server and a real browser."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from flask import Flask

from bot import create_app
from helpers import ContractClient, corpus_retriever
from servers import ThreadedServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def contract_client(monkeypatch):
    """Check every API response any test makes, through any app's test client, against /openapi.json."""
    monkeypatch.setattr(Flask, "test_client_class", ContractClient)


@pytest.fixture
def app(tmp_path):
    """Return an app with its own database file."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
            "SECRET_KEY": "test-secret",
            "RATE_LIMIT_PER_MINUTE": 10_000,
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
