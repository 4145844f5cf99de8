"""Load the corpus: document metadata and the answerable units parsed from each text."""
from __future__ import annotations

import json
from pathlib import Path

from index.comments import extract_comments
from index.plans import extract_passages
from index.units import Document, Unit

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"


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
    """Split one document into comment Q&A units, then passages and glossary entries."""
    comment_units, rest = extract_comments(document, text)
    return comment_units + extract_passages(document, rest)


def load_units(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> list[Unit]:
    """Parse every document of the corpus into units."""
    units: list[Unit] = []
    for document in load_documents(corpus_dir):
        text = (corpus_dir / "documents" / f"{document.id}.txt").read_text(encoding="utf-8")
        units.extend(parse_document(document, text))
    return units
