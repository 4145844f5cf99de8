"""The request rate limit: each client's requests per sliding minute, per worker process."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Flask, current_app, request

from bot.errors import ApiError

EXTENSION = "ward_faq.rate_limiter"


class RateLimiter:
    """Allow each client a number of requests per sliding minute (per worker process)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, client: str, per_minute: int) -> bool:
        """Record a request and say whether it is within the limit."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen[client]
            while seen and now - seen[0] > 60:
                seen.popleft()
            if len(seen) >= per_minute:
                return False
            seen.append(now)
            return True


def init_app(app: Flask) -> None:
    """Give the app its rate limiter."""
    app.extensions[EXTENSION] = RateLimiter()


def rate_limit() -> None:
    """Refuse a client that asks too often."""
    limiter: RateLimiter = current_app.extensions[EXTENSION]
    if not limiter.allow(request.remote_addr or "-", current_app.config["RATE_LIMIT_PER_MINUTE"]):
        raise ApiError(429, "rate_limited", "短い時間に多くの質問が送られました。少し待ってからもう一度お試しください。")
