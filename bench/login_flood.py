"""Residents' ask latency while 16 clients flood the staff login with bad passwords.

Serves the app as deployed (`ward-faq serve`: gunicorn, 2 workers) on 127.0.0.1 with a fresh database,
measures asks alone, then asks during the flood, and prints p50/p95/max and the login answers counted.
Loopback only, and bounded: the flood lasts --seconds (at most 60). With --redis URL the limits are counted
in that Redis (under a key prefix of the run's own), as a deployment with several workers would.

    .venv/bin/python bench/login_flood.py [--clients 16] [--seconds 10] [--redis redis://127.0.0.1:6379]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from index.corpus import read_jsonl
from measure import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "a-long-staff-passphrase"




def questions() -> list[str]:
    """Return the development set's questions."""
    return [row["question"] for row in read_jsonl(ROOT / "tests" / "data" / "eval.jsonl")]


def timed_ask(base: str, question: str) -> float:
    """Ask one question over HTTP; return the seconds it took."""
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(f"{base}/api/ask", data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return time.perf_counter() - started


def measure_asks(base: str, until: float, latencies: list[float]) -> None:
    """Ask the development questions one after another until the deadline."""
    pool = questions()
    i = 0
    while time.monotonic() < until:
        latencies.append(timed_ask(base, pool[i % len(pool)]))
        i += 1


def flood_logins(base: str, until: float, answers: Counter, lock: threading.Lock, seed: int) -> None:
    """Post bad logins as fast as the server answers: wrong passwords for a real account and made-up names."""
    rng = random.Random(seed)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/staff/login", timeout=30) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    while time.monotonic() < until:
        name = "taito" if rng.random() < 0.5 else f"user{rng.randrange(10**6)}"
        form = {"name": name, "password": f"guess-{rng.randrange(10**9)}", "csrf_token": token}
        try:
            with opener.open(f"{base}/staff/login", urllib.parse.urlencode(form).encode(), timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        with lock:
            answers[status] += 1


def flood_process(base: str, clients: int, seconds: float, started, results) -> None:
    """Run the login flood from this process's own threads for the given seconds; put the answers counted."""
    answers: Counter = Counter()
    lock = threading.Lock()
    until = time.monotonic() + seconds
    flooders = [
        threading.Thread(target=flood_logins, args=(base, until, answers, lock, seed), daemon=True)
        for seed in range(clients)
    ]
    for thread in flooders:
        thread.start()
    started.set()
    for thread in flooders:
        thread.join(timeout=seconds + 60)
    results.put(answers)


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    """Wait for the server's health check, failing if the server died."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the server stopped before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("the server did not come up within 120 s")


def report(label: str, latencies: list[float]) -> None:
    """Print the count, p50, p95 and max of ask latencies in milliseconds."""
    ms = [1000 * s for s in latencies]
    print(
        f"{label:<28} asks {len(ms):>5}   p50 {statistics.median(ms):7.1f} ms   "
        f"p95 {percentile(ms, 0.95):7.1f} ms   max {max(ms):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis", default=None, help="count the limits in this Redis, as across workers")
    args = parser.parse_args()
    clients, seconds = max(1, min(args.clients, 64)), max(1.0, min(args.seconds, 60.0))
    command = str(Path(sys.executable).parent / "ward-faq")
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            **os.environ,
            "WARD_FAQ_DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite",
            "WARD_FAQ_SECRET_KEY": "login-flood-bench",
            "WARD_FAQ_RATE_LIMIT_PER_MINUTE": "100000",
        }
        if args.redis:
            env["WARD_FAQ_RATELIMIT_STORAGE_URL"] = args.redis
            env["WARD_FAQ_RATELIMIT_KEY_PREFIX"] = f"ward-faq-bench-{uuid.uuid4().hex}"
        print("creating a staff account …", flush=True)
        subprocess.run(
            [command, "staff", "add", "taito", "--ward", "台東区"], input=f"{PASSWORD}\n{PASSWORD}\n",
            text=True, env=env, check=True, capture_output=True,
        )
        port = free_port()
        base = f"http://{HOST}:{port}"
        limits = f"limits counted in {args.redis}" if args.redis else "limits counted per worker"
        print(f"starting `ward-faq serve` on {base} (gunicorn, 2 workers, {limits}) …", flush=True)
        server = subprocess.Popen(
            [command, "serve", "--host", HOST, "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(base, server)
            for question in questions()[:10]:  # warm up both workers
                timed_ask(base, question)
            print(f"asking alone for {seconds:.0f} s …", flush=True)
            alone: list[float] = []
            measure_asks(base, time.monotonic() + seconds, alone)
            print(f"asking during {clients} clients' bad logins for {seconds:.0f} s …", flush=True)
            # The flood runs in a process of its own, so its client threads never hold the asker's interpreter
            # lock: the residents it stands for ask from other machines.
            context = multiprocessing.get_context("spawn")
            started, results = context.Event(), context.Queue()
            flood = context.Process(target=flood_process, args=(base, clients, seconds, started, results))
            flood.start()
            started.wait(timeout=60)
            during: list[float] = []
            measure_asks(base, time.monotonic() + seconds, during)
            answers = results.get(timeout=seconds + 120)
            flood.join(timeout=30)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report("asks alone", alone)
    report(f"asks during {clients} bad logins", during)
    logins = sum(answers.values())
    print(f"bad logins answered: {logins} ({logins / seconds:.0f}/s): "
          + ", ".join(f"{status}×{count}" for status, count in sorted(answers.items())))


if __name__ == "__main__":
    main()
