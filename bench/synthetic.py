"""A synthetic corpus for the scale benchmark: units written in the real corpus's words, spread over many wards.

The words are the real documents' morphemes, drawn as often as the documents use them (so their
frequencies are Zipf-like, as in any text); a unit's length in sentences follows a Zipf law too,
capped, so that most units are a sentence or two and a few are long lists. Each unit gets a few
residents' questions made of its own words, and every ward a plan document and a WardInfo.
"""
from __future__ import annotations

import random
from collections import Counter
from itertools import accumulate
from dataclasses import dataclass

from index.analysis import Analyzer
from index.answering import WardInfo
from index.corpus import DEFAULT_CORPUS_DIR, load_units
from index.units import GLOSSARY, PASSAGE, QA, Document, Unit

QUESTION_ENDINGS = ("について教えてください", "はどうなっていますか？", "はいつからですか？", "の担当はどこ？", "って何？")


@dataclass(frozen=True)
class SyntheticCorpus:
    """The units, documents and wards of a synthetic corpus, and questions to ask it."""

    units: list[Unit]
    documents: list[Document]
    wards: dict[str, WardInfo]
    questions: list[tuple[str, str]]  # (question, the ward of the unit it was written from)


def vocabulary(analyzer: Analyzer) -> tuple[list[str], list[int]]:
    """Return the real corpus's content morphemes as written, and how often each occurs."""
    counts: Counter[str] = Counter()
    for unit in load_units(DEFAULT_CORPUS_DIR):
        for form, pos, subpos, _groups, surface in analyzer._morphemes(unit.text):
            if pos in ("名詞", "動詞", "形容詞", "形状詞") and subpos != "数詞" and len(surface) > 1:
                counts[surface] += 1
    words = sorted(counts)
    return words, [counts[w] for w in words]


def zipf_length(rng: random.Random, exponent: float, cap: int) -> int:
    """Return a length from 1 to cap, P(k) ∝ 1/k^exponent."""
    weights = [1 / k**exponent for k in range(1, cap + 1)]
    return rng.choices(range(1, cap + 1), weights)[0]


def generate(analyzer: Analyzer, units: int, wards: int = 300, asked: int = 3, seed: int = 13) -> SyntheticCorpus:
    """Write `units` units over `wards` wards (each unit in a ward drawn at random), reproducibly."""
    rng = random.Random(seed)
    words, weights = vocabulary(analyzer)
    cumulative = list(accumulate(weights))

    def drawn(count: int) -> list[str]:
        return rng.choices(words, cum_weights=cumulative, k=count)

    def phrase(count: int) -> str:
        return "".join(drawn(count))

    names = [f"第{i:03d}区" for i in range(1, wards + 1)]
    documents = [
        Document(id=f"s{i:03d}", ward=name, title=f"{name}DX推進計画", kind="plan", date="2026-04-01", names=(f"{name}DX推進計画",))
        for i, name in enumerate(names, 1)
    ]
    ward_info = {
        name: WardInfo(name, f"{name}役所 総合窓口", f"{name}情報政策課", (name,), (f"{name}の計画について教えて",) * 3)
        for name in names
    }
    result: list[Unit] = []
    questions: list[tuple[str, str]] = []
    for n in range(units):
        document = rng.choice(documents)
        kind = rng.choices((PASSAGE, QA, GLOSSARY), (0.7, 0.2, 0.1))[0]
        sentences = [drawn(rng.randint(5, 15)) for _ in range(zipf_length(rng, 0.9, 30))]
        text = "".join("".join(s) + "。" + ("\n" if rng.random() < 0.3 else "") for s in sentences)
        title = phrase(rng.randint(2, 5))
        asked_questions = tuple(phrase(rng.randint(2, 4)) + rng.choice(QUESTION_ENDINGS) for _ in range(asked))
        result.append(
            Unit.of_document(
                document,
                id=f"{document.id}-{kind}-{n}",
                kind=kind,
                section=f"第{rng.randint(1, 5)}章 > {title}",
                title=title,
                question=phrase(rng.randint(6, 20)) + "。" if kind == QA else (title if kind == GLOSSARY else ""),
                text=text,
                department=f"{document.ward}{rng.choice(('情報政策課', 'DX推進課', '区民課'))}",
                headings=(f"第{rng.randint(1, 5)}章", title),
                asked=asked_questions,
            )
        )
        if n % max(1, units // 400) == 0:
            # A resident asks in the unit's title and two more of its words.
            own = rng.sample([w for s in sentences for w in s], k=2)
            questions.append((title + "".join(own) + rng.choice(QUESTION_ENDINGS), document.ward))
    return SyntheticCorpus(result, documents, ward_info, questions)

