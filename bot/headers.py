"""Security headers on every response, with a Content Security Policy suited to each kind of page."""
from __future__ import annotations

from flask import Flask, Response, request

# The staff console: no scripts at all, its own stylesheet, forms only to itself.
CONSOLE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The demo ward page: the widget's script and API from this host, and the inline styles the page and the
# widget's shadow root carry.
DEMO_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# JSON, the widget script, health checks: nothing to run or show if a browser opens them directly.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def init_app(app: Flask) -> None:
    """Add the security headers to every response of the app, errors and unknown paths included."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff and framing rules; console pages are also never cached nor sent as referrer."""
    # The widget runs inside ward pages as a script, never in a frame: no page of this host is framed.
    response.headers.setdefault("Content-Security-Policy", policy_for(request.path))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if is_console(request.path):
        response.headers["Cache-Control"] = "no-store"
    return response


def is_console(path: str) -> bool:
    """Say whether a path is the staff console's, including its unknown pages."""
    return path == "/staff" or path.startswith("/staff/")


def policy_for(path: str) -> str:
    """Return the Content Security Policy for a path."""
    if is_console(path):
        return CONSOLE_POLICY
    if path == "/":
        return DEMO_POLICY
    return DATA_POLICY
