"""The findings of the security review, each shown fixed: headers, CSV formulas, sessions, lockout, input."""
from __future__ import annotations

import csv
import io

import pytest

from bot.db import FaqEntry, get_db
from test_staff import add_staff, login, post

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝ＳＵＭ（Ａ１）", "＋１", "－１", "＠ＳＵＭ"]


@pytest.mark.parametrize(
    ("path", "needed"),
    [
        ("/", "script-src 'self'"),
        ("/widget.js", "default-src 'none'"),
        ("/healthz", "default-src 'none'"),
        ("/api/kpi", "default-src 'none'"),
        ("/api/nothing-here", "default-src 'none'"),
        ("/staff/login", "form-action 'self'"),
        ("/staff/no-such-page", "default-src 'none'; style-src 'self'"),
        ("/no-such-page", "default-src 'none'"),
    ],
)
def test_every_response_carries_security_headers(client, path, needed):
    response = client.get(path)
    assert needed in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_and_errors_carry_security_headers(client):
    for response in (
        client.post("/api/ask", json={"question": "マイナカードでできる手続きは？"}),
        client.post("/api/ask", json={}),
        client.post("/api/feedback", json={"id": "nope", "helpful": True}),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_console_pages_are_never_cached_and_run_no_script(client):
    for path in ("/staff/login", "/staff/no-such-page"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert "script-src" not in response.headers["Content-Security-Policy"]


def test_full_width_and_control_formula_starts_are_escaped_on_export_and_restored_on_import(app, client):
    add_staff(app, "taito", "台東区")
    with app.app_context():
        db = get_db()
        db.add_all(FaqEntry(ward="台東区", question=f"{start}は計算式ですか", answer=start) for start in FORMULAS)
        db.commit()
    login(client, "taito")
    exported = client.get("/staff/faq/export.csv").data
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))[1:]
    assert [row[3] for row in rows] == ["'" + start for start in FORMULAS]

    reimported = post(client, "/staff/faq/import", file=(io.BytesIO(exported), "faq.csv"))
    assert reimported.status_code == 302
    with app.app_context():
        assert sorted(e.answer for e in get_db().query(FaqEntry)) == sorted(FORMULAS)
