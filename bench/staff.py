"""Measure how an ask's cost grows with a ward's staff FAQ entries: ask p50/p95 with 0, 50 and 500 entries published.

Run with `make bench-staff` (or `.venv/bin/python bench/staff.py [QUESTIONS.jsonl] [--rounds N] [--entries 0 50 500]`).
The entries are the topics of tests/data/staff_wordings*.jsonl, each published from its first wording as
`ward-faq eval-staff` does, in three wards; the same questions are asked in-process with each count, as
`make bench` asks them, so the figures differ only by the entries. The staff index's build (on every staff
change, its texts' analyses kept from the last build) is timed too.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from index.build import build_answerer
from index.corpus import read_jsonl
from index.staff import Background, StaffAnswerer, StaffIndex, TextCache
from fit_staff import topic_entries
from measure import percentile
from run import time_in_process

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Publish each count of entries in turn, ask every question, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=ROOT / "tests" / "data" / "eval.jsonl")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds over the questions")
    parser.add_argument("--entries", type=int, nargs="+", default=[0, 50, 500], help="how many entries to publish, in turn")
    args = parser.parse_args()
    questions = read_jsonl(args.questions)
    topics = [topic for path in sorted((ROOT / "tests" / "data").glob("staff_wordings*.jsonl")) for topic in read_jsonl(path)]
    if max(args.entries) > len(topics):
        raise SystemExit(f"the wording sets hold {len(topics)} topics, fewer than {max(args.entries)} entries")
    corpus = build_answerer()
    analyzer, background = corpus.retriever.analyzer, Background.of(corpus.retriever)
    rows = []
    for count in args.entries:
        print(f"{count} entries published…", file=sys.stderr)
        entries = topic_entries(topics[:count])
        cache = TextCache(analyzer)
        StaffIndex(entries, analyzer, background, cache=cache)  # analyses every text, as the first build does
        started = time.perf_counter()
        index = StaffIndex(entries, analyzer, background, cache=cache)
        rebuild = time.perf_counter() - started
        timed = time_in_process(StaffAnswerer(corpus, index), questions, args.rounds)
        rows.append((count, rebuild, timed))

    print(f"\nstaff entries and ask cost: {len(questions)} questions × {args.rounds} rounds, in-process")
    print(f"{'entries':>8}{'rebuild':>11}{'ask p50':>11}{'ask p95':>11}{'mean':>11}{'CPU p50':>11}{'CPU p95':>11}")
    for count, rebuild, timed in rows:
        print(f"{count:>8}{rebuild * 1000:>8.1f} ms"
              + "".join(f"{value * 1000:>8.2f} ms" for value in (
                  percentile(timed.wall, 0.5), percentile(timed.wall, 0.95), statistics.fmean(timed.wall),
                  percentile(timed.cpu, 0.5), percentile(timed.cpu, 0.95))))


if __name__ == "__main__":
    main()
