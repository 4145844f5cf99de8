"""Helpers the test modules share: one corpus retriever for the whole run, and asking the bot."""
from __future__ import annotations

from functools import cache

from index.build import build_retriever
from index.retriever import Retriever


@cache
def corpus_retriever() -> Retriever:
    """Return the corpus retriever, built once for every app the tests create."""
    return build_retriever()


def ask_body(question, ward=None, **fields) -> dict:
    """Return an /api/ask body; the ward is left out when None."""
    return {"question": question} | ({"ward": ward} if ward is not None else {}) | fields


def ask(client, question, ward=None, headers=None, **fields):
    """Ask through the app's test client and return the response."""
    return client.post("/api/ask", json=ask_body(question, ward, **fields), headers=headers or {})


def ask_json(client, question: str, ward: str | None = "台東区") -> dict:
    """Ask through the app's test client, as a resident of ward, and return the answer's body."""
    response = ask(client, question, ward)
    assert response.status_code == 200, response.data
    return response.get_json()
