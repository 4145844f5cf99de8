"""Load the corpus: document metadata and the answerable units parsed from each text."""
from __future__ import annotations

import json
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

from index.cards import document_card
from index.comments import extract_comments
from index.plans import extract_passages
from index.rows import row_units
from index.units import Document, Unit

# The corpus/ folder, installed beside this package as ward_faq_corpus (wheels are installed unzipped: a real folder).
DEFAULT_CORPUS_DIR = Path(str(files("ward_faq_corpus")))


def load_documents(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> list[Document]:
    """Read corpus/documents.json, filling in superseded_by from the supersedes links."""
    raw = json.loads((corpus_dir / "documents.json").read_text(encoding="utf-8"))["documents"]
    replaced_by: dict[str, list[str]] = {}
    for entry in raw:
        for old in entry.get("supersedes", []):
            replaced_by.setdefault(old, []).append(entry["id"])
    return [
        Document(
            id=entry["id"],
            ward=entry["ward"],
            title=entry["title"],
            kind=entry["kind"],
            date=entry["date"],
            period=entry.get("period"),
            supersedes=tuple(entry.get("supersedes", [])),
            superseded_by=tuple(replaced_by.get(entry["id"], [])),
            amends=tuple(entry.get("amends", [])),
            url=entry.get("url"),
            source_file=entry.get("source_file", ""),
            names=tuple(entry.get("names", [])),
        )
        for entry in raw
    ]


def parse_document(document: Document, text: str) -> list[Unit]:
    """Split one document into comment Q&A units, then passages and glossary entries, then KPI rows and survey results."""
    comment_units, rest = extract_comments(document, text)
    passages = extract_passages(document, rest)
    return comment_units + passages + row_units(passages)


def load_units(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> list[Unit]:
    """Parse every document of the corpus into units and a card, each with the residents' questions it answers."""
    units: list[Unit] = []
    documents = load_documents(corpus_dir)
    by_id = {d.id: d for d in documents}
    texts = {d.id: (corpus_dir / "documents" / f"{d.id}.txt").read_text(encoding="utf-8") for d in documents}
    for document in documents:
        units.extend(parse_document(document, texts[document.id]))
        units.append(document_card(document, by_id, texts))
    return with_questions(units, corpus_dir / "questions.json")


def with_questions(units: list[Unit], path: Path) -> list[Unit]:
    """Give each unit the questions corpus/questions.json lists for it (none when there is no such file)."""
    if not path.exists():
        return units
    asked: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    # A unit id that no longer exists means the parser changed: say so rather than lose the questions.
    unknown = sorted(set(asked) - {u.id for u in units})
    if unknown:
        raise ValueError(f"{path.name} names units the corpus does not have: {', '.join(unknown)}")
    return [replace(u, asked=tuple(asked[u.id])) if u.id in asked else u for u in units]


def read_jsonl(*paths: Path) -> list[dict]:
    """Read JSON Lines files (question and wording sets): one object a line, blank lines skipped."""
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
