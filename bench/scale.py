"""Measure ward-faq at scale: synthetic corpora of 10 k and 100 k units over 300 wards (bench/synthetic.py).

Run with `make bench-scale` (or `.venv/bin/python bench/scale.py [--units 10000 100000] [--wards 300]`).
For each size, one process builds the index and writes its cache, and a fresh process loads it and
answers, as a worker would: build time, load-from-cache time, peak memory of each process, ask
p50/p95 with a ward and without one (wall clock; and CPU time, for the first round over the
questions, which works out the 「もしかして」 checks of its abstentions, and for the later rounds,
which find them kept), and how long a staff FAQ entry takes from its save to its first answer.
"""
from __future__ import annotations

import argparse
import gc
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session
from tqdm import tqdm

from bot.db import FaqEntry, bump_index_revision, make_engine
from bot.schema import prepare
from bot.live_index import LiveIndex
from index.answering import Answerer
from index.build import corpus_analyzer
from index.cache import read_cache, write_cache
from index.retriever import Retriever
from synthetic import generate
from measure import percentile

STAFF_QUESTION = "粗大ごみ回収アプリの予約はどこからできますか"
STAFF_ANSWER = "粗大ごみ回収アプリの予約は、区のホームページの「粗大ごみ」のページからできます。"



def peak_mib() -> float:
    """Return this process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(units: int, wards: int, folder: Path) -> dict:
    """Generate the corpus, build its index and write the cache; return the figures."""
    analyzer = corpus_analyzer()
    corpus = generate(analyzer, units, wards)
    started = time.perf_counter()
    retriever = Retriever(corpus.units, corpus.documents, analyzer, progress=True)
    seconds = time.perf_counter() - started
    write_cache(folder / "index.pickle", retriever)
    (folder / "corpus.pickle").write_bytes(pickle.dumps((corpus.wards, corpus.questions)))
    return {"build_s": seconds, "build_peak_mib": peak_mib(), "cache_mib": (folder / "index.pickle").stat().st_size / 2**20}


def serve(folder: Path, rounds: int) -> dict:
    """Load the cached index as a starting worker does, then answer and take a staff entry live; return the figures."""
    started = time.perf_counter()
    retriever = read_cache(folder / "index.pickle", corpus_analyzer())
    gc.freeze()  # as index.cache.load_index does for the app
    load_seconds = time.perf_counter() - started
    wards, questions = pickle.loads((folder / "corpus.pickle").read_bytes())

    engine = make_engine(f"sqlite:///{folder / 'staff.sqlite'}")
    prepare(engine)
    live = LiveIndex(Answerer(retriever, wards))
    with Session(engine) as db:
        answerer = live.answerer(db)  # what the first ask of a worker does
    # Wall clock of every ask; CPU time (what the ask itself costs on a shared machine) of the first round,
    # which works out the 「もしかして」 checks of its abstentions, and of the later ones, which find them kept.
    timings: dict[str, list[float]] = {f"{scope}{kind}": [] for scope in ("ward", "none") for kind in ("", "_cpu_first", "_cpu_later")}
    for round_ in tqdm(range(rounds), desc="asking", unit="round", file=sys.stderr):
        for question, ward in questions:
            for scope, asked_ward in (("ward", ward), ("none", None)):
                began, began_cpu = time.perf_counter(), time.process_time()
                answerer.answer(question, asked_ward)
                timings[scope].append(time.perf_counter() - began)
                timings[f"{scope}_cpu_{'first' if round_ == 0 else 'later'}"].append(time.process_time() - began_cpu)

    serving_peak = peak_mib()  # before the staff save, which may build a second index while the first serves
    # A staff FAQ save: the row and the revision bump in one transaction, then the next ask in this worker.
    ward = next(iter(wards))
    with Session(engine) as db:
        saved = time.perf_counter()
        db.add(FaqEntry(ward=ward, question=STAFF_QUESTION, answer=STAFF_ANSWER))
        bump_index_revision(db)
        db.commit()
        answer = live.answerer(db).answer(STAFF_QUESTION, ward)
        live_seconds = time.perf_counter() - saved
    if answer.text != STAFF_ANSWER:
        raise SystemExit("the staff entry did not answer its own question")
    asks = {f"ask_{name}_p{q}_ms": percentile(values, q / 100) * 1000 for name, values in timings.items() if values for q in (50, 95)}
    return asks | {
        "load_s": load_seconds,
        "staff_live_s": live_seconds,
        "serve_peak_mib": serving_peak,
        "staff_peak_mib": peak_mib(),
        "questions": len(questions) * rounds,
    }


def child(step: str, *args: str) -> dict:
    """Run one step in a fresh process (so its memory and its start are its own); return its figures."""
    command = [sys.executable, __file__, "--step", step, *args]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    """Build and serve each size in fresh processes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--wards", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the synthetic questions")
    parser.add_argument("--step", choices=["build", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "build":
        print(json.dumps(build(args.units[0], args.wards, args.folder)))
        return
    if args.step == "serve":
        print(json.dumps(serve(args.folder, args.rounds)))
        return

    results = {}
    for units in args.units:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{units} units over {args.wards} wards: building…", file=sys.stderr)
            figures = child("build", "--units", str(units), "--wards", str(args.wards), "--folder", tmp)
            print(f"{units} units: loading and asking…", file=sys.stderr)
            figures |= child("serve", "--rounds", str(args.rounds), "--folder", tmp)
        results[units] = figures
    rows = [
        ("index build", "build_s", "{:.1f} s"),
        ("cache file", "cache_mib", "{:.0f} MiB"),
        ("peak memory, building process", "build_peak_mib", "{:.0f} MiB"),
        ("load from cache (+dictionary)", "load_s", "{:.2f} s"),
        ("peak memory, serving (load + asks)", "serve_peak_mib", "{:.0f} MiB"),
        ("ask with a ward p50", "ask_ward_p50_ms", "{:.2f} ms"),
        ("ask with a ward p95", "ask_ward_p95_ms", "{:.2f} ms"),
        ("ask with a ward, CPU, 1st round p50", "ask_ward_cpu_first_p50_ms", "{:.2f} ms"),
        ("ask with a ward, CPU, 1st round p95", "ask_ward_cpu_first_p95_ms", "{:.2f} ms"),
        ("ask with a ward, CPU, later p50", "ask_ward_cpu_later_p50_ms", "{:.2f} ms"),
        ("ask with a ward, CPU, later p95", "ask_ward_cpu_later_p95_ms", "{:.2f} ms"),
        ("ask without a ward p50", "ask_none_p50_ms", "{:.2f} ms"),
        ("ask without a ward p95", "ask_none_p95_ms", "{:.2f} ms"),
        ("ask without a ward, CPU, 1st round p50", "ask_none_cpu_first_p50_ms", "{:.2f} ms"),
        ("ask without a ward, CPU, 1st round p95", "ask_none_cpu_first_p95_ms", "{:.2f} ms"),
        ("ask without a ward, CPU, later p50", "ask_none_cpu_later_p50_ms", "{:.2f} ms"),
        ("ask without a ward, CPU, later p95", "ask_none_cpu_later_p95_ms", "{:.2f} ms"),
        ("staff FAQ save to live answer", "staff_live_s", "{:.2f} s"),
        ("peak memory, after the staff save", "staff_peak_mib", "{:.0f} MiB"),
        ("questions timed (each scope)", "questions", "{}"),
    ]
    print(f"\nward-faq at scale: synthetic corpora over {args.wards} wards")
    print(f"{'measure':<42}" + "".join(f"{f'{u:,} units':>16}" for u in results))
    for name, key, form in rows:
        print(f"{name:<42}" + "".join(f"{form.format(r[key]) if key in r else '–':>16}" for r in results.values()))


if __name__ == "__main__":
    main()
