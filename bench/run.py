"""Measure ward-faq: index build time, ask latency in-process and over HTTP, peak memory.

Run with `make bench` (or `.venv/bin/python bench/run.py [QUESTIONS.jsonl] [--rounds N]`).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tqdm import tqdm
from werkzeug.serving import make_server

from bot import create_app
from index.answering import Answerer
from index.build import build_answerer, build_retriever
from index.retriever import Retriever

ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: list[float], share: float) -> float:
    """Return the value below which the given share of samples fall (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def time_build() -> tuple[float, Retriever]:
    """Parse the corpus and build the retriever from scratch; return seconds and the retriever."""
    started = time.perf_counter()
    retriever = build_retriever()
    return time.perf_counter() - started, retriever


def time_in_process(answerer: Answerer, questions: list[dict], rounds: int) -> list[float]:
    """Time Answerer.answer for every question, rounds times."""
    samples = []
    for _ in tqdm(range(rounds), desc="in-process", unit="round"):
        for q in questions:
            started = time.perf_counter()
            answerer.answer(q["question"], q.get("ward"))
            samples.append(time.perf_counter() - started)
    return samples


def time_http(app, questions: list[dict], rounds: int) -> list[float]:
    """Time POST /api/ask over real HTTP on 127.0.0.1, logging included."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/ask"
    samples = []
    try:
        for _ in tqdm(range(rounds), desc="http", unit="round"):
            for q in questions:
                body = json.dumps({"question": q["question"], "ward": q.get("ward")}).encode()
                request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                samples.append(time.perf_counter() - started)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    return samples


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=ROOT / "tests" / "data" / "eval.jsonl")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    build_seconds, retriever = time_build()
    units = len(retriever.units)
    in_process = time_in_process(build_answerer(retriever=retriever), questions, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        config = {"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite", "RATE_LIMIT_PER_MINUTE": 10**9}
        http = time_http(create_app({**config, "CORPUS_RETRIEVER": retriever}), questions, args.rounds)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nward-faq benchmark: {len(questions)} questions × {args.rounds} rounds, {units} units")
    print(f"{'measure':<34}{'value':>12}")
    print(f"{'index build (parse+tokenize+BM25)':<34}{build_seconds * 1000:>10.0f} ms")
    for name, samples in (("ask in-process", in_process), ("ask over HTTP (with logging)", http)):
        print(f"{name + ' p50':<34}{percentile(samples, 0.50) * 1000:>10.2f} ms")
        print(f"{name + ' p95':<34}{percentile(samples, 0.95) * 1000:>10.2f} ms")
        print(f"{name + ' mean':<34}{statistics.fmean(samples) * 1000:>10.2f} ms")
    print(f"{'peak memory (max RSS)':<34}{peak_mib:>9.0f} MiB")


if __name__ == "__main__":
    main()
