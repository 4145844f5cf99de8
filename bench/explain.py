"""Print a question's best candidates with their reranker features, to see why a neighbour outranks the answer.

Run with `.venv/bin/python bench/explain.py "DX推進計画の目標1は何ですか" --ward 台東区`, or with `--set FILE ID …`
to explain questions of a question set (a candidate holding an expected phrase is starred).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from index.answering import Answerer
from index.build import build_answerer
from index.corpus import read_jsonl
from index.retriever import RERANK_FEATURES
from index.text import squash


def explain(answerer: Answerer, question: str, ward: str | None, expected: list[str], limit: int) -> None:
    """Print the candidates of one question, best first, each feature times its weight, and the answer given."""
    query = answerer.query(question, ward)
    hits = answerer.retriever.search(query, limit=limit)
    weights = np.array(answerer.retriever.params.rerank_weights)
    wanted = [squash(e) for e in expected]
    print(f"\n=== {question} [{ward}] types={sorted(query.answer_types)} survey={query.wants_survey}")
    for rank, hit in enumerate(hits, 1):
        gold = "*" if any(e in squash(hit.unit.text + hit.unit.question) for e in wanted) else " "
        parts = " ".join(
            f"{name[:6]}={hit.features[name] * w:+.2f}" for name, w in zip(RERANK_FEATURES, weights) if hit.features[name]
        )
        print(f"{gold}{rank:2} {hit.score:6.2f} {hit.unit.id:<22} {hit.unit.title[:30]}")
        print(f"      {parts}")
    answer = answerer.answer(question, ward)
    print(f"--> resolved={answer.resolved}: {answer.text[:160]!r}")


def main() -> None:
    """Explain the questions given, or those of a question set picked by id."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*")
    parser.add_argument("--ward")
    parser.add_argument("--set", type=Path, help="a question set; the positional arguments are then its ids")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    answerer = build_answerer()
    if args.set:
        rows = {row["id"]: row for row in read_jsonl(args.set)}
        for identifier in args.questions:
            row = rows[identifier]
            explain(answerer, row["question"], row.get("ward"), row["expect_any"], args.limit)
    else:
        for question in args.questions:
            explain(answerer, question, args.ward, [], args.limit)


if __name__ == "__main__":
    main()
