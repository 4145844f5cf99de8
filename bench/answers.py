"""Print every answer to the question sets, one JSON line a question, so that two versions can be compared.

Run with `.venv/bin/python bench/answers.py > before.jsonl`, change the index, run it again and diff:
ranking changes for speed must leave every line the same.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from index.build import build_answerer
from index.corpus import read_jsonl

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Answer every question of the given sets (the development and residents' sets by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [ROOT / "tests" / "data" / "eval.jsonl", ROOT / "tests" / "data" / "residents.jsonl"]
    parser.add_argument("questions", nargs="*", type=Path, default=default)
    args = parser.parse_args()
    answerer = build_answerer()
    rows = read_jsonl(*args.questions)
    for row in tqdm(rows, desc="answers", unit="q", file=sys.stderr):
        answer = answerer.answer(row["question"], row.get("ward"))
        hits = [[hit.unit.id, round(hit.score, 9)] for hit in answer.hits]
        line = {"id": row["id"], "resolved": answer.resolved, "answer": answer.text, "hits": hits, "suggestions": answer.suggestions}
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
