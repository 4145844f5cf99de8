"""Small value types shared by the parsers, the retriever and the app."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document of the corpus, as described in corpus/documents.json."""

    id: str  # "000" … "004": the file corpus/documents/<id>.txt
    ward: str  # 台東区 / 千代田区 / 大田区
    title: str
    kind: str  # plan | interim_draft | public_comment_results | committee_papers
    date: str  # YYYY-MM-DD (or YYYY-MM) the document was issued
    period: str | None = None  # the fiscal years a plan covers, e.g. "令和8年度～令和10年度"
    supersedes: tuple[str, ...] = ()  # ids of documents this one replaces
    superseded_by: tuple[str, ...] = ()
    amends: tuple[str, ...] = ()  # drafts whose changes this document lists (not replacing them)
    url: str | None = None
    source_file: str = ""  # the name the document was received under
    names: tuple[str, ...] = ()  # what residents call it: 情報化推進計画, DX戦略 …


# The kinds of answerable unit.
QA = "qa"  # a public comment row: resident's comment → ward's reply
PASSAGE = "passage"  # plan text under one heading
GLOSSARY = "glossary"  # one term → definition
FAQ = "faq"  # written by staff, lives in the database


@dataclass(frozen=True)
class Unit:
    """One answerable piece of the corpus: what the retriever ranks and the bot quotes."""

    id: str  # stable across builds, e.g. "004-qa-12", "002-p-0153", "002-g-クラウド", "faq-7"
    doc_id: str  # Document.id, or "faq" for staff-written entries
    ward: str
    document: str  # the document's title, shown to residents as the source
    kind: str  # QA | PASSAGE | GLOSSARY | FAQ
    section: str  # where in the document, human readable, e.g. "意見4" or "第2章 > 【施策1】… > 【取り組み2】…"
    title: str  # short label: the heading, the term, or the comment's first words
    question: str  # what a resident asked (QA: the comment; GLOSSARY: the term; FAQ: the wording); "" for passages
    text: str  # what the bot quotes: the ward's reply, the definition, the passage body
    department: str | None = None  # 担当課 where the text names one
    measure: str | None = None  # the 施策 / 取組 a comment row or passage belongs to, if named
    headings: tuple[str, ...] = field(default_factory=tuple)  # heading path, outermost first
    asked: tuple[str, ...] = ()  # questions it answers, as residents would ask them (corpus/questions.json): never quoted

    @classmethod
    def of_document(cls, document: Document, **fields: Any) -> Unit:
        """Make a unit of a corpus document, taking its doc_id, ward and document title from it."""
        return cls(doc_id=document.id, ward=document.ward, document=document.title, **fields)
