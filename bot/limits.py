"""Rate limits shared by every worker and host: `limits`' moving window over the configured storage (memory or Redis).

Only the routes that count something call it (ask, feedback, LINE, staff login): no hook runs on every request.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from flask import Flask, current_app, request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

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


@dataclass(frozen=True)
class Limits:
    """An app's rate limit counts: where they are kept and how they are counted."""

    storage: Storage
    # A sliding minute, as residents would count it, not a calendar minute that resets all at once.
    window: MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    """Give the app its limits, counted in RATELIMIT_STORAGE_URI (a Redis client connects at its first count)."""
    configured = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    # memory:// counts in this worker as before, without a thread per hit; any other storage is as configured.
    storage = storage_from_string("ward-faq-memory://" if urlparse(configured).scheme == "memory" else configured)
    app.extensions[EXTENSION] = Limits(storage, MovingWindowRateLimiter(storage))


def get_limits() -> Limits:
    """Return the current app's limits."""
    return current_app.extensions[EXTENSION]


def allow(scope: str, key: str, per_minute: int) -> bool:
    """Count one request of key in scope; False once it has made per_minute in the last minute, in any worker."""
    limits = get_limits()
    # limits' own key layout (LIMITER/prefix/scope/key/…), as before: several apps can share one Redis by prefix.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    identifiers = [prefix, scope, key] if prefix else [scope, key]
    try:
        return limits.window.hit(RateLimitItemPerMinute(per_minute), *identifiers)
    except limits.storage.base_exceptions as failure:  # Redis unreachable: serve rather than refuse everyone
        log.error("rate limit storage unreachable, request not counted: %s", type(failure).__name__)
        return True


def rate_limit(scope: str = "ask", setting: str = "RATE_LIMIT_PER_MINUTE") -> None:
    """Refuse a client address that asks (or rates answers) too often; each scope is counted apart."""
    if not allow(scope, request.remote_addr or "-", current_app.config[setting]):
        raise ApiError(429, "rate_limited", "短い時間に多くの質問が送られました。少し待ってからもう一度お試しください。")
