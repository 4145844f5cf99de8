"""Helpers the test modules share: one corpus retriever for the whole run, asking the bot, checking /openapi.json."""
from __future__ import annotations

import importlib.util
import json
import sys
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from types import ModuleType

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.live_index import get_wards
from bot.openapi import openapi_document
from index.build import build_retriever
from index.retriever import Retriever

DOCUMENT_URI = "urn:ward-faq:openapi"


@cache
def corpus_retriever() -> Retriever:
    """Return the corpus retriever, built once for every app the tests create."""
    return build_retriever()


BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str) -> ModuleType:
    """Import a script of bench/ (not a package) by its file."""
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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


class ContractClient(FlaskClient):
    """A test client that checks every response of the API and health checks against the app's /openapi.json."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_documented(self.application, response.request.method, response.request.path, response.status_code,
                         response.get_json(silent=True))
        return response


def check_documented(app: Flask, method: str, path: str, status: int, body) -> None:
    """Fail unless the document lists this status for this operation and the body fits its schema."""
    if method == "OPTIONS" or not (path.startswith("/api/") or path in ("/healthz", "/readyz")):
        return  # CORS preflights and pages are not part of the API
    document, registry = openapi(tuple(get_wards(app)))
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        assert path.startswith("/api/") and status in (404, 405), f"{method} {path} answered {status}, undocumented"
        pointer = "/components/schemas/Error"
    else:
        assert str(status) in operation["responses"], f"{method} {path} answered {status}: /openapi.json does not list it"
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"
    assert body is not None, f"{method} {path} answered {status} without a JSON body"
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(body)


@cache
def openapi(wards: tuple[str, ...]) -> tuple[dict, Registry]:
    """Return the OpenAPI document for these wards, as served, and a registry its schemas resolve in."""
    document = json.loads(json.dumps(openapi_document(list(wards))))
    registry = Registry().with_resource(DOCUMENT_URI, Resource(contents=document, specification=DRAFT202012))
    return document, registry


def ask_over_http(url: str, body: dict) -> tuple[int, dict]:
    """Post an ask to an app served over real HTTP; return the status and the JSON body, error or not."""
    request = urllib.request.Request(url + "/api/ask", json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
