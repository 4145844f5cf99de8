"""Rate limits shared by every worker and host: Flask-Limiter over the configured storage (memory or Redis)."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlparse

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage

from bot.errors import ApiError

EXTENSION = "ward_faq.limiter"
# How often a worker's in-memory counts drop what is older than their window.
SWEEP_SECONDS = 1.0
log = logging.getLogger("ward_faq.limits")


class SweptMemoryStorage(MemoryStorage):
    """The `limits` in-memory storage, its expired counts swept by the hits themselves, at most once a second.

    The stock storage starts a 10 ms timer thread to sweep at every hit that finds none running, so a
    worker asked less often than every 10 ms started a thread (and switched to it) on nearly every ask.
    The counting itself is the stock storage's: only when and in which thread the sweep runs differ.
    """

    STORAGE_SCHEME = ["ward-faq-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = 0.0

    # Replaces MemoryStorage's private scheduler (limits is pinned; a test fails if a hit starts a thread again).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def init_app(app: Flask) -> None:
    """Give the app its limiter; the storage is read from RATELIMIT_STORAGE_URI and opened lazily."""
    configured = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    app.extensions[EXTENSION] = Limiter(
        get_remote_address,
        app=app,
        # memory:// counts in this worker as before, without a thread per hit; any other storage is as configured.
        storage_uri="ward-faq-memory://" if urlparse(configured).scheme == "memory" else configured,
        # A sliding minute, as residents would count it, not a calendar minute that resets all at once.
        strategy="moving-window",
        # An unreachable Redis must not turn requests into 500s: the limit is skipped (and logged) instead.
        swallow_errors=True,
    )


def get_limiter() -> Limiter:
    """Return the current app's limiter."""
    return current_app.extensions[EXTENSION]


def allow(scope: str, key: str, per_minute: int) -> bool:
    """Count one request of key in scope; False once it has made per_minute in the last minute, in any worker."""
    limiter = get_limiter()
    if not limiter.enabled:
        return True
    # The same key layout as Flask-Limiter's own limits, so several apps can share one Redis by prefix.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    identifiers = [prefix, scope, key] if prefix else [scope, key]
    try:
        return limiter.limiter.hit(RateLimitItemPerMinute(per_minute), *identifiers)
    except limiter.storage.base_exceptions as failure:  # Redis unreachable: serve rather than refuse everyone
        log.error("rate limit storage unreachable, request not counted: %s", type(failure).__name__)
        return True


def rate_limit(scope: str = "ask", setting: str = "RATE_LIMIT_PER_MINUTE") -> None:
    """Refuse a client address that asks (or rates answers) too often; each scope is counted apart."""
    if not allow(scope, get_remote_address() or "-", current_app.config[setting]):
        raise ApiError(429, "rate_limited", "短い時間に多くの質問が送られました。少し待ってからもう一度お試しください。")
