"""ward-faq: the Flask app that answers residents from the ward documents."""
from __future__ import annotations

import logging
import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.db import close_db, get_db, init_db, make_engine
from bot.live_index import LiveIndex
from index.answering import Answerer, load_wards
from index.cache import index_key, load_index
from index.corpus import DEFAULT_CORPUS_DIR
from index.retriever import Retriever

log = logging.getLogger("ward_faq")


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; the index is built here, once per process."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("WARD_FAQ_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'ward-faq.sqlite'}",
        SECRET_KEY=os.environ.get("WARD_FAQ_SECRET_KEY"),
        CORPUS_DIR=corpus_dir_setting(),
        # The built corpus index, kept between starts (keyed by the corpus's and the index code's hashes).
        INDEX_CACHE=index_cache_setting(app.instance_path),
        # Many residents can share one address (a carrier's shared address, a library's PCs): the limit
        # stops floods, not people.
        RATE_LIMIT_PER_MINUTE=int(os.environ.get("WARD_FAQ_RATE_LIMIT_PER_MINUTE", "300")),
        # How many reverse proxies stand in front of the app; their X-Forwarded-For is trusted, no one else's.
        PROXY_COUNT=int(os.environ.get("WARD_FAQ_PROXY_COUNT", "0")),
        # The widget and API bodies are small; LINE may batch many events in one request.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # The LINE channel is off without a secret; LINE_WARD scopes its questions to one ward.
        LINE_CHANNEL_SECRET=os.environ.get("LINE_CHANNEL_SECRET") or None,
        LINE_CHANNEL_ACCESS_TOKEN=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
        LINE_WARD=os.environ.get("LINE_WARD") or None,
        LINE_API_BASE_URL=os.environ.get("LINE_API_BASE_URL") or "https://api.line.me",
        # Other sites that may embed the web widget, comma-separated origins (https://www.city.example.jp).
        WIDGET_ALLOWED_ORIGINS=os.environ.get("WIDGET_ALLOWED_ORIGINS", ""),
        # The staff console's session cookie: never readable by scripts, not sent cross-site.
        SESSION_COOKIE_SECURE=os.environ.get("WARD_FAQ_SECURE_COOKIES") == "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
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
    init_db(engine)
    app.extensions["ward_faq.engine"] = engine
    app.extensions["ward_faq.index"] = build_index(app.config["CORPUS_DIR"], app.config["INDEX_CACHE"])
    app.teardown_appcontext(close_db)

    from bot import api, cli, line, staff, widget

    app.register_blueprint(api.bp)
    app.register_blueprint(line.bp)
    app.register_blueprint(widget.bp)
    app.register_blueprint(staff.bp)
    cli.register(app)
    # Nothing may hold a connection across gunicorn's fork (--preload): each worker opens its own.
    engine.dispose()
    return app


def corpus_dir_setting() -> Path:
    """Return where the corpus is: WARD_FAQ_CORPUS_DIR, else the corpus/ of the project."""
    return Path(os.environ.get("WARD_FAQ_CORPUS_DIR", DEFAULT_CORPUS_DIR))


def index_cache_setting(instance_path: str) -> Path:
    """Return where the built corpus index is kept: WARD_FAQ_INDEX_CACHE, else index-cache/ in the instance folder."""
    return Path(os.environ.get("WARD_FAQ_INDEX_CACHE") or Path(instance_path) / "index-cache")


def build_index(corpus_dir: Path, cache_dir: Path | None) -> LiveIndex:
    """Return a live index over the corpus retriever of this process."""
    return LiveIndex(corpus_retriever(corpus_dir, cache_dir), load_wards(corpus_dir / "wards.json"))


def corpus_retriever(corpus_dir: Path, cache_dir: Path | None = None) -> Retriever:
    """Return the corpus retriever, loaded or built once per process for each state of the corpus."""
    return keyed_corpus_retriever(corpus_dir, cache_dir, index_key(corpus_dir))


@lru_cache(maxsize=4)
def keyed_corpus_retriever(corpus_dir: Path, cache_dir: Path | None, _key: str) -> Retriever:
    """Load the corpus retriever from the cache (or build it), logging how long it took."""
    loaded = load_index(corpus_dir, cache_dir)
    how = "built" if loaded.built else "loaded from cache"
    log.info("index %s: %d units in %.2f s", how, len(loaded.retriever.units), loaded.seconds)
    return loaded.retriever


def get_answerer() -> Answerer:
    """Return the current app's answerer, with every staff entry saved so far."""
    return current_app.extensions["ward_faq.index"].answerer(get_db())


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
