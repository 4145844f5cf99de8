"""Measure ward-faq: index build and load, start to first answer, ask latency in-process, throughput over HTTP.

Run with `make bench` (or `.venv/bin/python bench/run.py [QUESTIONS.jsonl] [--rounds N] [--seconds S]`).
The HTTP figures come from the Procfile's own server (gunicorn, two workers) on a random local port,
loaded by the same closed-loop client for POST /api/ask and for GET /healthz.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from index.answering import Answerer
from index.build import build_answerer, corpus_analyzer
from index.cache import build_index_cache, load_index
from index.corpus import DEFAULT_CORPUS_DIR, read_jsonl
from measure import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
WARD_FAQ = Path(sys.executable).with_name("ward-faq")



@dataclass
class InProcess:
    """Each ask's wall-clock and CPU time, and whether it was answered (an abstention also picks 「もしかして」)."""

    wall: list[float]
    cpu: list[float]
    resolved: list[bool]

    def cpu_of(self, resolved: bool) -> list[float]:
        """Return the CPU times of the answered asks, or of the abstained ones."""
        return [cpu for cpu, was in zip(self.cpu, self.resolved) if was == resolved] or [0.0]


def time_in_process(answerer: Answerer, questions: list[dict], rounds: int) -> InProcess:
    """Time Answerer.answer for every question, rounds times: wall-clock and this thread's CPU time.

    On shared cores the wall clock also counts the time other processes held the CPU; the CPU time
    is what an ask itself costs.
    """
    timed = InProcess([], [], [])
    for _ in tqdm(range(rounds), desc="in-process", unit="round"):
        for q in questions:
            started, started_cpu = time.perf_counter(), time.thread_time()
            answer = answerer.answer(q["question"], q.get("ward"))
            timed.cpu.append(time.thread_time() - started_cpu)
            timed.wall.append(time.perf_counter() - started)
            timed.resolved.append(answer.resolved)
    return timed


def time_first_answer(env: dict[str, str]) -> float:
    """Return the seconds from starting `ward-faq ask` to its answer, the index cache already built."""
    started = time.perf_counter()
    subprocess.run([str(WARD_FAQ), "ask", "マイナカードでできる手続きは？", "--ward", "台東区"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started



def server_cpu_seconds(pid: int) -> float:
    """Return the CPU time used so far by a process and its children (gunicorn's master and workers), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime
    return own + sum(server_cpu_seconds(int(child)) for child in children)


@contextmanager
def procfile_server(env: dict[str, str]):
    """Run the Procfile's web command (gunicorn, two workers) on a random local port; yield its host, port and pid."""
    command = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(encoding="utf-8"), re.MULTILINE).group(1)
    port = free_port()
    env = env | {"PORT": str(port), "WEB_CONCURRENCY": "2", "PATH": f"{WARD_FAQ.parent}{os.pathsep}{env['PATH']}"}
    process = subprocess.Popen(
        ["sh", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the Procfile's server did not start") from None
                time.sleep(0.2)
        yield "127.0.0.1", port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Load:
    """What a closed-loop run did."""

    answered: int
    failed: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds


def closed_loop(host: str, port: int, requests: list[tuple[str, str, bytes | None]], clients: int, seconds: float) -> Load:
    """Send requests from `clients` threads, each waiting for its answer before the next, for `seconds` (or until done).

    Each thread keeps its connection open (http.client reconnects when the server closes it).
    """
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"answered": 0, "failed": 0, "next": 0}
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if counts["next"] >= len(requests):
                    break
                method, path, body = requests[counts["next"]]
                counts["next"] += 1
            headers = {"Content-Type": "application/json"} if body is not None else {}
            started = time.perf_counter()
            try:
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            with lock:
                counts["answered" if ok else "failed"] += 1
                latencies.append(time.perf_counter() - started)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(counts["answered"], counts["failed"], time.perf_counter() - started, latencies)


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=ROOT / "tests" / "data" / "eval.jsonl")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds over the questions")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each HTTP load run")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop HTTP clients")
    args = parser.parse_args()
    questions = read_jsonl(args.questions)

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "index-cache"
        print("building the index from scratch…", file=sys.stderr)
        built = build_index_cache(DEFAULT_CORPUS_DIR, cache, progress=True)
        loaded = load_index(DEFAULT_CORPUS_DIR, cache)
        analyzer_started = time.perf_counter()
        corpus_analyzer()
        analyzer_seconds = time.perf_counter() - analyzer_started
        env = os.environ | {
            "WARD_FAQ_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "WARD_FAQ_INDEX_CACHE": str(cache),
            "WARD_FAQ_SECRET_KEY": "bench",
            "WARD_FAQ_RATE_LIMIT_PER_MINUTE": str(10**9),
        }
        print("starting a process to its first answer…", file=sys.stderr)
        first_answer = statistics.median(time_first_answer(env) for _ in range(3))
        in_process = time_in_process(build_answerer(retriever=loaded.retriever), questions, args.rounds)

        asks = [
            ("POST", "/api/ask", json.dumps({"question": q["question"], "ward": q.get("ward")}).encode())
            for q in questions
        ] * 1000
        health = [("GET", "/healthz", None)] * len(asks)
        with procfile_server(env) as (host, port, pid):
            closed_loop(host, port, asks[:50] + health[:50], args.clients, 30)  # warm both workers
            logged_before = sqlite3.connect(f"{tmp}/bench.sqlite").execute("select count(*) from questions").fetchone()[0]
            print(f"POST /api/ask for {args.seconds:.0f} s, {args.clients} clients…", file=sys.stderr)
            cpu_before = server_cpu_seconds(pid)
            ask_load = closed_loop(host, port, asks, args.clients, args.seconds)
            cpu_between = server_cpu_seconds(pid)
            print(f"GET /healthz for {args.seconds:.0f} s, {args.clients} clients…", file=sys.stderr)
            health_load = closed_loop(host, port, health, args.clients, args.seconds)
            ask_cpu = (cpu_between - cpu_before) / max(1, ask_load.answered + ask_load.failed)
            health_cpu = (server_cpu_seconds(pid) - cpu_between) / max(1, health_load.answered + health_load.failed)
        logged = sqlite3.connect(f"{tmp}/bench.sqlite").execute("select count(*) from questions").fetchone()[0]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nward-faq benchmark: {len(questions)} questions × {args.rounds} rounds, {len(built.retriever.units)} units")
    rows = [
        ("index build (parse+tokenize+BM25)", f"{built.seconds * 1000:.0f} ms"),
        ("index load from cache (+dictionary)", f"{loaded.seconds * 1000:.0f} ms"),
        ("  of which Sudachi dictionary+synonyms", f"{analyzer_seconds * 1000:.0f} ms"),
        ("process start to first answer", f"{first_answer * 1000:.0f} ms"),
        ("ask in-process p50", f"{percentile(in_process.wall, 0.50) * 1000:.2f} ms"),
        ("ask in-process p95", f"{percentile(in_process.wall, 0.95) * 1000:.2f} ms"),
        ("ask in-process mean", f"{statistics.fmean(in_process.wall) * 1000:.2f} ms"),
        ("ask in-process CPU time p50", f"{percentile(in_process.cpu, 0.50) * 1000:.2f} ms"),
        ("ask in-process CPU time p95", f"{percentile(in_process.cpu, 0.95) * 1000:.2f} ms"),
        *(
            (f"  {kind} CPU time p50 / p95", f"{percentile(cpu, 0.5) * 1000:.2f} / {percentile(cpu, 0.95) * 1000:.2f} ms")
            for kind, cpu in (("answered", in_process.cpu_of(True)), ("abstained", in_process.cpu_of(False)))
        ),
        (f"POST /api/ask, {args.clients} clients", f"{ask_load.per_second:.0f} /s"),
        ("  latency p50 / p95", f"{percentile(ask_load.latencies, 0.5) * 1000:.1f} / {percentile(ask_load.latencies, 0.95) * 1000:.1f} ms"),
        (f"GET /healthz, {args.clients} clients", f"{health_load.per_second:.0f} /s"),
        ("ask / healthz", f"{ask_load.per_second / health_load.per_second:.0%}"),
        ("server CPU time per ask / per healthz", f"{ask_cpu * 1000:.2f} / {health_cpu * 1000:.2f} ms"),
        ("asks answered / logged / failed", f"{ask_load.answered} / {logged - logged_before} / {ask_load.failed + health_load.failed}"),
        ("peak memory of this process", f"{peak_mib:.0f} MiB"),
    ]
    for name, value in rows:
        print(f"{name:<40}{value:>16}")


if __name__ == "__main__":
    main()
