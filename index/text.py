"""Text clean-up shared by the parsers of the corpus's PDF-to-text conversions."""
from __future__ import annotations

import html
import re
import unicodedata

# Two notions of "Japanese character", used to tell a PDF line break from a real space.
# They differ on purpose, so each parser names the one it means.
# Comment-table cells: running text with its punctuation and full-width forms, so a break
# after "、" or inside "（注）" is joined as well.
JAPANESE_TEXT = r"\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef"
# Plan text: letters only (kana, kanji, half-width kana). Punctuation stays out because a line
# ending in "。" or "）" ends a sentence; callers add "、" where a break after it is joined.
JAPANESE_LETTERS = "\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f々〆ー"

# A line that is only a page number: "12", "- 12 -", "－3－", "3/10".
PAGE_NUMBER = re.compile(r"^[-‐－—\s]*\d{1,3}[-‐－—\s]*$|^\s*\d{1,3}\s*/\s*\d{1,3}\s*$")

# Between a table row's cells as the index writes them: whitespace, so a phrase copied across the document's cells
# matches after the whitespace is dropped, and an ideographic space, which no cell holds (the parsers make a cell's
# own spaces " "), so a row can be split back into its cells.
CELL_SEPARATOR = "\u3000"

_TAG = re.compile(r"<[^>]+>")
_WHITESPACE = re.compile(r"\s+")


def strip_tags(text: str) -> str:
    """Remove HTML tags and resolve character references such as &amp;."""
    return html.unescape(_TAG.sub("", text))


def without_whitespace(text: str) -> str:
    """Remove all whitespace, so labels the PDF spaced out differently compare equal."""
    return _WHITESPACE.sub("", text)


def squash(text: str) -> str:
    """NFKC-normalize and drop all whitespace: how the question sets' expected phrases are compared."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def table_headings(pieces: list[str], row: int) -> list[int]:
    """Return the pieces a table row is quoted under: its table's column headings, and the line naming a table that is all the text holds.

    A row's figures say nothing without the headings above them (指標　現況(令和2年度)　目標(令和7年度)).
    """
    if CELL_SEPARATOR not in pieces[row]:
        return []
    start = row
    while start > 0 and CELL_SEPARATOR in pieces[start - 1]:
        start -= 1
    if start == row:
        return []
    return [0, start] if start == 1 and all(CELL_SEPARATOR in piece for piece in pieces[1:]) else [start]


def labelled_rows(text: str, target: bool) -> str:
    """Write the KPI rows of text with each cell after its column heading (指標: … / 目標(令和7年度): 60%), as a figure is looked for.

    The detail asked is looked for beside its figure, and in a KPI table the heading stands a line above it.
    Asked for a target, the 現況 column is left out: its value is no answer.
    """
    lines = text.split("\n")
    header: list[str] = []
    for number, line in enumerate(lines):
        cells = line.split(CELL_SEPARATOR)
        if cells[0] == "指標":
            header, lines[number] = cells, ""
        elif header and len(cells) == len(header):
            lines[number] = " / ".join(f"{heading}: {cell}" for heading, cell in zip(header, cells) if not (target and heading.startswith("現況")))
    return "\n".join(lines)


# A numbered item of a plan, as a document or a resident names it: 目標1, 基本目標1, 【施策4】, 取り組み7, 取組 15, No.3.
NUMBERED_ITEM = re.compile(
    r"(基本目標|目標|施策|取り?組み?|No\.?|方針)\s?(\d+(?:-\d+)*)(?![\d.,つ-])"
    r"|(\d+|[一二三四五六七八九])\s?(?:つ|番)目の(基本目標|目標|施策|取り?組み?|方針)"
)
# The labels one kind of item goes by: a plan's 基本目標 is what residents call its 目標.
ITEM_LABELS = {"基本目標": "目標", "取り組み": "取組", "取組み": "取組", "取り組": "取組", "No.": "No", "No": "No"}
KANJI_DIGITS = str.maketrans("一二三四五六七八九", "123456789")


def numbered_items(text: str) -> frozenset[str]:
    """Return the numbered items text names, each as its label and number (目標1, 取組15), however it writes them."""
    items = set()
    for match in NUMBERED_ITEM.finditer(unicodedata.normalize("NFKC", text)):
        label, number = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        number = "-".join(str(int(part)) for part in number.translate(KANJI_DIGITS).split("-"))
        items.add(f"{ITEM_LABELS.get(label, label)}{number}")
    return frozenset(items)

