"""A card per document: what it is, its period, its dates and the numbers it gives, as one unit.

Residents ask about a document as a whole (何年度から何年度まで？ 意見はいつまで？ 何人が意見を出した？
施策はいくつ？). Those facts sit in a cover table or a sentence far from each other, so the card gathers
them: each line is the document's own line, copied, or its metadata from corpus/documents.json.
"""
from __future__ import annotations

import re

from index.text import strip_tags
from index.units import PASSAGE, Document, Unit

KIND_LABELS = {
    "plan": "計画",
    "interim_draft": "計画の中間のまとめ（案）",
    "public_comment_results": "パブリックコメントの実施結果",
    "committee_papers": "委員会資料",
}
# A cover-table line: 意見受付期間<TAB>令和7年12月17日～…, 提出者数：12名.
FACT_LINE = re.compile(
    r"^(?P<key>意見受付期間|意見受付件数|意見受付場所|提出方法の内訳|募集期間|募集方法|周知方法|提出者数)\s*[\t：:]\s*(?P<value>.+)$",
    re.MULTILINE,
)
# A schedule line: 令和8年3月下旬 計画発行, 令和7年4月 改定.
SCHEDULE_LINE = re.compile(r"^(?P<when>令和\d+年\d+月[上中下]?旬?)\s+(?P<what>\S*(発行|策定|改定))\s*$", re.MULTILINE)
# Sentences and notes that give the plan's period and size.
FACT_SENTENCES = (
    re.compile(r"[^。\n]*(計画期間は|までの\d+年間)[^。\n]*。?"),
    re.compile(r"[^。\n]*\d+の施策[、と]\d+の取り?組み?[^。\n]*。?"),
    re.compile(r"総数[：:][^）)\n]+"),
)
# When a plan was made (令和4年4月に「千代田区DX戦略」を策定): the card keeps it when the plan is the document's own.
MADE = re.compile(r"[^。\n]*(令和|平成)[\d元]+年(\d+月)?に(?P<what>[^。\n]{0,40})を策定[^。\n]*。?")
# A plan's new name (名称を「(仮称) 台東区DX推進計画」に改める): a fact of the plan it replaces too.
RENAMED = re.compile(r"[^。\n]*名称を[^。\n]*(改め|変更)[^。\n]*。?")


def document_card(document: Document, documents: dict[str, Document], texts: dict[str, str]) -> Unit:
    """Return the card unit of a document, from its metadata and its own lines (documents and texts: every one's, by id)."""
    text = texts[document.id]
    # The title is the card's heading, not a line of it: a line holding every word of a question about the document
    # would be the sentence that matches best, and the answer would lead with it instead of the fact asked.
    lines = [f"{document.ward}の{KIND_LABELS.get(document.kind, document.kind)}"]
    if document.period:
        lines.append(f"計画期間: {document.period}")
    lines.append(f"資料の日付: {to_japanese_month(document.date)}")
    # A cover-table line keeps the document's own break between its key and value (a tab, or 「：」), so a phrase
    # copied across them matches.
    lines += [re.sub(r"\s+", " ", tidy(m.group(0))) for m in FACT_LINE.finditer(text)]
    lines += [f"今後の予定: {m.group('when')} {m.group('what')}" for m in SCHEDULE_LINE.finditer(text)]
    for pattern in (*FACT_SENTENCES, RENAMED):
        lines += [tidy(m.group(0)) for m in pattern.finditer(text)]
    lines += [tidy(m.group(0)) for m in MADE.finditer(text) if any(name in m.group("what") for name in document.names)]
    # Residents ask the old plan's name whether it changed: the plan replacing it says so.
    lines += [tidy(m.group(0)) for new in document.superseded_by for m in RENAMED.finditer(texts[new])]
    lines += [f"この資料が置き換える計画: {documents[old].title}" for old in document.supersedes if old in documents]
    lines += [f"この資料を置き換える計画: {documents[new].title}" for new in document.superseded_by if new in documents]
    lines += [f"変更点を示す中間のまとめ: {documents[draft].title}" for draft in document.amends if draft in documents]
    return Unit.of_document(
        document,
        id=f"{document.id}-card",
        kind=PASSAGE,
        section="資料の概要",
        title=f"資料の概要: {document.title}",
        question="",
        text="\n".join(dict.fromkeys(lines)),
        headings=("資料の概要",),
        asked=card_questions("\n".join(lines)),
    )


def card_questions(text: str) -> tuple[str, ...]:
    """Return the questions a card answers, as residents would ask them, for the facts it holds.

    They leave the document's name out: every question about the document names it, and the
    ranking already knows which document a question names.
    """
    questions = []
    if "計画期間" in text:
        questions.append("計画の期間は何年度から何年度まで？")
    if "受付期間" in text or "募集期間" in text:
        questions.append("パブリックコメントの意見募集はいつからいつまでだった？")
    if "件数" in text or "提出者数" in text:
        questions.append("パブリックコメントには何人が意見を出した？")
    if "施策" in text:
        questions.append("施策と取組は全部でいくつ？")
    if MADE.search(text):
        questions.append("最初に策定されたのはいつ？")
    if RENAMED.search(text):
        questions.append("計画の名前は変わった？")
    return tuple(questions)


def to_japanese_month(date: str) -> str:
    """Write 2026-02 or 2025-03-13 as 2026年2月 or 2025年3月13日."""
    parts = [int(p) for p in date.split("-")]
    return "".join(f"{value}{unit}" for value, unit in zip(parts, ("年", "月", "日")))


def tidy(text: str) -> str:
    """Drop markup and runs of spaces from a copied line."""
    return re.sub(r"\s{2,}", " ", strip_tags(text)).strip()
