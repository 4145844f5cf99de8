"""No client input makes a 500: seeded random bodies and queries against every public endpoint."""
from __future__ import annotations

import json
import random

import pytest

VALUES = [None, True, False, 0, -1, 1.5, 10**30, "", " ", "台東区", "あ" * 501, "<script>", "\u0000", [], {}, [1], {"a": 1}]
KEYS = ["question", "ward", "session", "id", "helpful", "extra"]


def random_body(rng: random.Random) -> bytes:
    """Return a JSON object of random keys and values, or random bytes now and then."""
    if rng.random() < 0.15:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    body = {key: rng.choice(VALUES) for key in rng.sample(KEYS, rng.randint(0, len(KEYS)))}
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode()


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_random_bodies_never_make_a_500(client, path):
    rng = random.Random(path)
    for _ in range(150):
        content_type = rng.choice(["application/json", "application/json; charset=utf-8", "text/plain", None])
        response = client.post(path, data=random_body(rng), content_type=content_type)
        assert response.status_code in (200, 400, 404, 413, 415), response.data
        assert "error" in response.get_json() or response.status_code == 200


def test_random_kpi_queries_never_make_a_500(client):
    rng = random.Random(7)
    values = ["2026-11-01", "2026-02-30", "", "x", "9999-99-99", "台東区", "web", "fax", "1" * 300]
    for _ in range(100):
        query = {key: rng.choice(values) for key in rng.sample(["from", "to", "ward", "channel"], rng.randint(0, 4))}
        response = client.get("/api/kpi", query_string=query)
        assert response.status_code in (200, 400), (query, response.data)


def test_other_methods_and_paths_answer_cleanly(client):
    assert client.get("/api/ask").status_code == 405
    assert client.put("/api/feedback").status_code == 405
    assert client.get("/api/nothing-here").status_code == 404
