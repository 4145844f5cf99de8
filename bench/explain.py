"""Explain why the bot answers or abstains: the candidates with their reranker terms, the abstention rule's terms and the rule that decided.

Run with `.venv/bin/python bench/explain.py tests/data/residents-f.jsonl` (the questions it gets wrong),
`… residents-f.jsonl F-072 F-105` (those questions, right or wrong) or `… --question 'DXって何？' --ward 台東区`.
A candidate marked * holds one of the question's expected phrases.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from index.answering import Answer, Answerer
from index.build import build_answerer
from index.corpus import read_jsonl
from index.retriever import ABSTAIN_FEATURES, RERANK_FEATURES, Hit
from index.text import squash

SHOWN = 5  # candidates printed per question


def decided_by(answer: Answer) -> str:
    """Name the rule that decided, as the answerer recorded it: a municipality elsewhere, the confidence, a kind, a detail."""
    if answer.resolved:
        return "answered"
    return f"withheld: {answer.withheld}" if answer.withheld else "withheld"


def terms(answerer: Answerer, hits: list[Hit], slot_given: bool) -> str:
    """Return each abstention feature of the best hit with its value and its weighted term."""
    params = answerer.retriever.params
    margin = hits[0].score - hits[1].score if len(hits) > 1 else hits[0].score
    values = hits[0].features | {"score": hits[0].score, "margin": margin, "slot_given": float(slot_given)}
    return " ".join(f"{n}={values[n]:.2f}({w * values[n]:+.2f})" for n, w in zip(ABSTAIN_FEATURES, params.abstain_weights))


def rerank_terms(answerer: Answerer, hit: Hit) -> str:
    """Return a candidate's reranker features that count, each times its weight: why a neighbour outranks the answer."""
    weights = answerer.retriever.params.rerank_weights
    return " ".join(f"{n[:8]}={hit.features[n] * w:+.2f}" for n, w in zip(RERANK_FEATURES, weights) if hit.features[n])


def explain(answerer: Answerer, question: str, ward: str | None, expected: list[str]) -> list[str]:
    """Return the lines that explain how the bot treats one question."""
    answer = answerer.answer(question, ward)
    query = answerer.query(question, ward)
    lines = [
        f"  asks: slots={[slot.label for slot in query.slots]} types={sorted(query.answer_types)}"
        f" survey={query.wants_survey} defined={sorted(query.defined)}"
    ]
    for hit in answer.hits[:SHOWN]:
        text = answerer.extract(hit, query)
        gold = "*" if any(e in squash(hit.unit.text + hit.unit.question) for e in expected) else " "
        missing = answerer.slot_missing(text, hit, query)
        lines.append(
            f"  {gold} {hit.unit.id:22} {hit.score:6.2f} refused={answerer.refuses(hit, query, text)}"
            f" missing={missing.label if missing else None} {hit.unit.title[:40]}"
        )
        lines.append(f"      {rerank_terms(answerer, hit)}")
    if answer.hits:
        confidence = answerer.retriever.confidence(answer.hits, bool(query.slots))
        lines.append(f"  confidence {confidence:.3f} (threshold {answerer.retriever.params.min_confidence})")
        lines.append("  " + terms(answerer, answer.hits, bool(query.slots)))
    lines.append(f"  {decided_by(answer)}: {answer.text[:120]!r}")
    return lines


def main() -> None:
    """Explain the questions asked: those a set gets wrong, those named by id, or one typed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, help="a question set (JSONL)")
    parser.add_argument("ids", nargs="*", help="only these questions of the set, right or wrong")
    parser.add_argument("--question", help="one question to explain, instead of a set")
    parser.add_argument("--ward")
    args = parser.parse_args()
    answerer = build_answerer()
    if args.question:
        rows = [{"id": "-", "question": args.question, "ward": args.ward, "answerable": True, "expect_any": []}]
    else:
        rows = [row for row in read_jsonl(args.questions) if not args.ids or row["id"] in args.ids]
    for row in rows:
        expected = [squash(e) for e in row["expect_any"]]
        answer = answerer.answer(row["question"], row.get("ward"))
        right = answer.resolved and any(e in squash(answer.text) for e in expected) if row["answerable"] else not answer.resolved
        if right and not args.ids and not args.question:
            continue
        kind = "answerable" if row["answerable"] else "unanswerable"
        print(f"\n{row['id']} ({kind}) {row['question']}")
        print("\n".join(explain(answerer, row["question"], row.get("ward"), expected)))


if __name__ == "__main__":
    main()
