"""Fit the staff index's ranking and its decision to answer, on the wording sets, and print the parameters to keep.

Run with `make fit-staff` (or `.venv/bin/python bench/fit_staff.py WORDINGS.jsonl …`; by default every
tests/data/staff_wordings*.jsonl). Each line of a wording set is a topic the documents do not cover:
{"topic", "ward", "answer", "department", "wordings": [...]}. As `ward-faq eval-staff` does, one entry is
published per topic from its first wording, a set's topics together; the later wordings must find their own
entry (ranking, fitted listwise). Sets are published apart, as they were written apart: several hold the same
topic (国民健康保険の加入), and a ward publishes it once, so another set's entry for it is no other topic.
A logistic rule over the best entry and the runner-up, fitted to say yes to its own wordings, each question
weighted by what a wrong answer costs (below), says how sure the index is; two rules decide whether the best
entry answers:
- where the documents answer too, it must be nearly sure (StaffAnswerer), at a confidence chosen by the grid
  below, or surer than the documents are of their passage by a lead chosen after it;
- where the documents abstain, it must be sure at a lower confidence, and no heavy question word may be
  missing from it. Both cut-offs, and the confidence above, are chosen by a grid to answer the most
  later wordings by their own entry, each wording answered by another topic's published entry, and each
  question about the documents taken (every fitted residents' question they answer, asked of one set's entries), costing
  HIJACK_COST answered ones, and each later wording of a topic not published (its own entry left out) that
  another entry takes costing UNPUBLISHED_COST (also when asked of SMALL_INDEX other entries only).
Cross-validation over topics shows how it does on topics it was not fitted on.
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fit import fit_abstainer, fit_listwise, fitted_sets, wording_sets
from index.analysis import Word
from index.answering import Answerer
from index.build import build_answerer
from index.corpus import read_jsonl
from index.staff import (DECISION_FEATURES, STAFF_FEATURES, Background, StaffEntry, StaffIndex, StaffParams, confident,
                         decision_confidence, decision_values, faq_unit, outweighs, sure)

ROOT = Path(__file__).resolve().parent.parent
MIN_CONFIDENCES = np.round(np.arange(0.05, 0.99, 0.025), 3)
# No more than half: an entry that lacks a word carrying half the question's weight is another topic (ハンコ in
# 「ハンコの登録」 against the dog-registration entry), however little the wordings fitted on show it.
MAX_UNMATCHED = np.round(np.arange(0.2, 0.501, 0.05), 2)
CONFIDENCES_OVER_CORPUS = (0.8, 0.85, 0.9, 0.95, 0.99)
LEADS_OVER_CORPUS = (0.1, 0.2, 0.3, 0.4, 0.5, 1.0)  # 1.0: never outweighs the documents
# Another topic's published entry answering, or a question about the documents taken, is what must not happen:
# each costs this many wordings answered by their own entry.
HIJACK_COST = 10
# A wording of a topic not yet published that another entry takes is often a near topic (粗大ごみ for a television):
# wrong, but milder: it costs one.
UNPUBLISHED_COST = 1
# In a ward's first weeks there are few entries, and a question on another topic faces only them: its best match
# then has no runner-up to be close to (「自転車の防犯登録」 against the dog-registration entry alone). Each later
# wording is also asked of this many other topics' entries, drawn at random; one taken costs UNPUBLISHED_COST, as a
# wording of a topic not published does (costing HIJACK_COST, the rule would answer half as many rewordings).
SMALL_INDEX = 5


@dataclass
class Example:
    """One question's candidate entries: their features, and which is its own (if published)."""

    topic: int  # the topic whose wording this is; -1 for a question about the documents
    features: np.ndarray  # candidates × STAFF_FEATURES
    extra: list[dict[str, float]]
    gold: np.ndarray  # 1.0 for its own entry
    published: bool  # whether its own entry was in the index
    corpus_resolves: bool  # whether the documents answer it (then an entry must be surer to take it)
    corpus_confidence: float  # how sure the documents are of their best passage (their fitted rule)
    repeat: bool = False  # the entry's own wording, asked again
    small: bool = False  # asked of a few other topics' entries only (SMALL_INDEX)


def topic_entries(topics: list[dict], first: int = 0) -> list[StaffEntry]:
    """Publish one entry per topic from its first wording, as eval-staff does, numbered from after first."""
    return [
        StaffEntry(faq_unit(first + i + 1, t["ward"], t["wordings"][0], t["answer"], t.get("department")), (t["wordings"][0],))
        for i, t in enumerate(topics)
    ]


@dataclass(frozen=True)
class Asked:
    """A question as every index is asked it: its words and whether the documents answer it, worked out once."""

    question: str
    ward: str | None
    words: list[Word]
    corpus_resolves: bool
    corpus_confidence: float


def asked(answerer: Answerer, question: str, ward: str | None) -> Asked:
    """Analyse a question and ask the documents, once for all the indexes it is put to."""
    answer = answerer.answer(question, ward)
    # The documents' confidence as StaffAnswerer reads it: that of the passage quoted, when they answer.
    return Asked(question, ward, answerer.query(question, ward).words, answer.resolved, answer.confidence)


def example(index: StaffIndex, question: Asked, topic: int, published: bool, repeat: bool = False, small: bool = False) -> Example:
    """Rank every entry for a question and record the candidates' features."""
    hits = index.rank(question.question, question.words, question.ward, limit=10_000)
    names = [*STAFF_FEATURES]
    features = np.array([[h.features[n] for n in names] for h in hits]).reshape(-1, len(names))
    gold = np.array([float(h.entry.unit.id == f"faq-{topic + 1}") for h in hits])
    return Example(topic, features, [h.features for h in hits], gold, published, question.corpus_resolves,
                   question.corpus_confidence, repeat, small)


def collect(sets: list[list[dict]], corpus_questions: list[dict], answerer: Answerer, background: Background) -> list[Example]:
    """Publish each set's topics, then ask every later wording with all of them published, with its own left out and
    of a few others only; ask each corpus question of one set's entries, the sets in turn. Topics are numbered across
    the sets."""
    analyzer = answerer.retriever.analyzer
    examples = []
    draw = np.random.default_rng(7)
    first = 0
    for n, topics in enumerate(sets):
        entries = topic_entries(topics, first)
        full = StaffIndex(entries, analyzer, background)
        for t, topic in enumerate(tqdm(topics, desc="topics", unit="topic")):
            without = StaffIndex(entries[:t] + entries[t + 1 :], analyzer, background)
            others = [entries[i] for i in draw.choice([i for i in range(len(entries)) if i != t], SMALL_INDEX, replace=False)]
            small = StaffIndex(others, analyzer, background)
            examples.append(example(full, asked(answerer, topic["wordings"][0], topic["ward"]), first + t, True, repeat=True))
            for wording in topic["wordings"][1:]:
                for ward in (topic["ward"], None):
                    question = asked(answerer, wording, ward)
                    examples.append(example(full, question, first + t, True))
                    examples.append(example(without, question, first + t, False))
                    examples.append(example(small, question, first + t, False, small=True))
        for row in tqdm(corpus_questions[n :: len(sets)], desc="corpus questions", unit="q"):
            examples.append(example(full, asked(answerer, row["question"], row.get("ward")), -1, False))
        first += len(topics)
    return examples


def fit_ranking(examples: list[Example], l2: float = 0.01, steps: int = 400, rate: float = 0.5) -> np.ndarray:
    """Fit weights so that each wording's own entry gets the softmax mass over its candidates (listwise)."""
    usable = [(e.features, e.gold) for e in examples if e.published and e.gold.any()]
    return fit_listwise(usable, len(STAFF_FEATURES), l2, steps, rate)


def decision_rows(examples: list[Example], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the best entry's decision values, whether it is the right answer, and whether any entry matched."""
    rows, right, matched = [], [], []
    for e in examples:
        if not len(e.gold):
            rows.append(np.zeros(len(DECISION_FEATURES)))
            right.append(False)
            matched.append(False)
            continue
        scores = e.features @ weights
        top = np.argsort(-scores)[:2]
        values = decision_values([float(scores[i]) for i in top], [e.extra[i] for i in top])
        rows.append(np.array([values[n] for n in DECISION_FEATURES]))
        right.append(bool(e.gold[top[0]]))
        matched.append(True)
    return np.array(rows), np.array(right), np.array(matched)


def costs(examples: list[Example], right: np.ndarray) -> np.ndarray:
    """Return what answering each question costs when its best entry is not its own, as gain_of counts it."""
    return np.array([
        1.0 if is_right else UNPUBLISHED_COST if e.topic >= 0 and not e.published else HIJACK_COST
        for e, is_right in zip(examples, right)
    ])


def fit(examples: list[Example]) -> StaffParams:
    """Fit ranking and both decisions; return the parameters."""
    weights = fit_ranking(examples)
    rows = decision_rows(examples, weights)
    x, right, matched = rows
    # Over the questions some entry matches, each weighted by what answering it wrongly costs: the rule learns to
    # refuse most what costs most.
    d_weights, d_bias = fit_abstainer(x[matched], right[matched].astype(float), costs(examples, right)[matched])
    fitted = StaffParams(rank_weights=tuple(weights), decision_weights=tuple(d_weights), decision_bias=d_bias)
    best = (-np.inf, fitted)
    for min_confidence, max_unmatched, over_corpus in itertools.product(MIN_CONFIDENCES, MAX_UNMATCHED, CONFIDENCES_OVER_CORPUS):
        params = replace(fitted, min_confidence=float(min_confidence), max_unmatched=float(max_unmatched),
                         min_confidence_over_corpus=over_corpus)
        gain = gain_of(report(examples, params, rows))
        if gain > best[0]:
            best = (gain, params)
    # How far above the documents' confidence an entry must be to answer instead, once the rest is chosen.
    return max((replace(best[1], lead_over_corpus=lead) for lead in LEADS_OVER_CORPUS), key=lambda p: gain_of(report(examples, p, rows)))


def gain_of(counts: dict[str, tuple[int, int]]) -> int:
    """Return the wordings answered by their own entry, less the cost of those answered wrongly."""
    return counts["own"][0] - HIJACK_COST * (counts["hijacked"][0] + counts["corpus taken"][0]) \
        - UNPUBLISHED_COST * (counts["unpublished taken"][0] + counts["small index taken"][0])


def report(examples: list[Example], params: StaffParams, rows=None) -> dict[str, tuple[int, int]]:
    """Count later wordings answered by their own entry or hijacked by another, unpublished topics' wordings taken (among
    all entries, and among a few), and corpus questions taken."""
    x, right, matched = rows or decision_rows(examples, np.array(params.rank_weights))
    confidence = decision_confidence(params, x)
    values = dict(zip(DECISION_FEATURES, x.T))
    resolves = np.array([e.corpus_resolves for e in examples])
    corpus_confidence = np.array([e.corpus_confidence for e in examples])
    # As StaffAnswerer decides: where the documents answer too, only an entry nearly sure, or far surer than they, takes the question.
    answered = matched & (sure(params, confidence, values) | np.where(
        resolves, outweighs(params, confidence, corpus_confidence), confident(params, confidence, values)))
    wrong = matched & ~right
    published = np.array([e.published and not e.repeat for e in examples])
    unpublished = np.array([not e.published and e.topic >= 0 and not e.small for e in examples])
    small = np.array([e.small for e in examples])
    corpus = np.array([e.topic < 0 for e in examples])
    return {
        "own": (int((answered & right & published).sum()), int(published.sum())),
        "hijacked": (int((answered & wrong & published).sum()), int(published.sum())),
        "unpublished taken": (int((answered & unpublished).sum()), int(unpublished.sum())),
        "small index taken": (int((answered & small).sum()), int(small.sum())),
        "corpus taken": (int((answered & corpus).sum()), int(corpus.sum())),
    }


def cross_validate(topics: list[dict], examples: list[Example], folds: int = 5) -> dict[str, list[int]]:
    """Fit on four fifths of the topics and count on the rest, five times."""
    order = np.random.default_rng(7).permutation(len(topics))
    totals: dict[str, list[int]] = {}
    corpus = [e for e in examples if e.topic < 0]
    for k in range(folds):
        held = set(order[k::folds].tolist())
        train = [e for e in examples if e.topic not in held and e.topic >= 0] + corpus[k % 2 :: 2]
        test = [e for e in examples if e.topic in held] + corpus[1 - k % 2 :: 2]
        for name, (n, d) in report(test, fit(train)).items():
            totals.setdefault(name, [0, 0])
            totals[name][0] += n
            totals[name][1] += d
    return totals


def main() -> None:
    """Fit on the wording sets and print the parameters and the cross-validated counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wordings", nargs="*", type=Path, default=wording_sets())
    parser.add_argument("--corpus-questions", nargs="*", type=Path, default=fitted_sets(),
                        help="residents' question sets; those the documents answer must not be taken by an entry")
    args = parser.parse_args()
    sets = [read_jsonl(path) for path in args.wordings]
    topics = [topic for topics in sets for topic in topics]
    # Only the questions the documents answer: the others may well be what a staff entry is for.
    corpus_questions = [row for row in read_jsonl(*args.corpus_questions) if row["answerable"]]
    answerer = build_answerer()
    examples = collect(sets, corpus_questions, answerer, Background.of(answerer.retriever))

    def line(counts) -> str:
        return ", ".join(f"{name} {n}/{d}" for name, (n, d) in counts.items())

    print(f"\n{len(topics)} topics from {', '.join(p.name for p in args.wordings)}, {len(corpus_questions)} questions about the documents")
    print(f"5-fold over topics: {line(cross_validate(topics, examples))}")
    params = fit(examples)
    print(f"fitted on all:      {line(report(examples, params))}")
    print("\nStaffParams(")
    print(f"    rank_weights={tuple(round(float(w), 3) for w in params.rank_weights)},")
    print(f"    decision_weights={tuple(round(float(w), 3) for w in params.decision_weights)},")
    print(f"    decision_bias={round(params.decision_bias, 3)},")
    print(f"    min_confidence={params.min_confidence},")
    print(f"    max_unmatched={params.max_unmatched},")
    print(f"    min_confidence_over_corpus={params.min_confidence_over_corpus},")
    print(f"    lead_over_corpus={params.lead_over_corpus},")
    print(")")
    for name, weight in zip(STAFF_FEATURES, params.rank_weights):
        print(f"  rank     {name:<18}{weight:+.3f}")
    for name, weight in zip(DECISION_FEATURES, params.decision_weights):
        print(f"  decision {name:<18}{weight:+.3f}")


if __name__ == "__main__":
    main()
