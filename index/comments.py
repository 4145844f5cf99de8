"""Turn the public-comment tables of a document into question → reply units.

The texts are PDF-to-text conversions: each table row is one tab-separated
line, cells may hold HTML, the table header repeats on every page, and the
PDF's line breaks leave stray spaces inside Japanese words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import JAPANESE_TEXT, PAGE_NUMBER, strip_tags, without_whitespace
from index.units import QA, Document, Unit

# A space between two characters of Japanese running text is a PDF line break, not a word
# boundary (Japanese has none).
_JA_GAP = re.compile(f"([{JAPANESE_TEXT}]) (?=[{JAPANESE_TEXT}])")
# ...except the space after a chapter label ("第2章 計画策定の背景"), which separates it from the title.
_CHAPTER_LABEL = re.compile(r"第[0-9０-９]+章$")
_CHAPTER = re.compile(r"第[0-9０-９]+章")
_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|br|li|ul|ol|div)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")
# The converter sometimes emits a span twice in a row; no real reply repeats 20+ characters verbatim.
_STUTTER = re.compile(r"(.{20,}?)\1")
_HEADING = re.compile(r"^#{1,2} ")
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{1,12}課(?![題長程税金])")
# 000 ends each reply with the measures it concerns: "（目標1 施策1 行政手続き…）".
_MEASURE_TRAILER = re.compile(r"[（(]\s*(目標\s*\d+\s*施策\s*\d+[^（()）]*)[)）]")
_SENTENCE_ENDERS = "。？！?!"
_OPENERS, _CLOSERS = "「『（(【", "」』）)】"

# Header cells, compared with all whitespace removed.
_NUMBER_HEADER = re.compile(r"^(?:No\.?|NO\.?|Ｎｏ．?|番号|項番)$")
_COMMENT_HEADER = re.compile(r"意見|要旨")
_REPLY_HEADER = re.compile(r"考え方|方針|回答")
_MEASURE_HEADER = re.compile(r"分野|該当箇所|施策|取組")

TITLE_LENGTH = 40


@dataclass
class _Row:
    """One comment row, its cells still as raw text, possibly joined from several lines."""

    number: int | None
    comment: str = ""
    reply: str = ""
    measure: str = ""


@dataclass
class _Table:
    """A comment table: where it lies in the text and the rows read from it."""

    line_numbers: set[int] = field(default_factory=set)  # lines to drop from the remaining text
    rows: list[_Row] = field(default_factory=list)
    department: str | None = None


def extract_comments(document: Document, text: str) -> tuple[list[Unit], str]:
    """Return one QA unit per public-comment row, and the text without those tables."""
    lines = text.split("\n")
    tables = _find_tables(lines)
    if not tables:
        return [], text
    units: list[Unit] = []
    taken: set[str] = set()
    for table in tables:
        rows = _join_rows(table.rows)
        splitters = _measure_splitters(rows)
        for row in rows:
            units.append(_to_unit(document, row, table.department, splitters, taken))
    dropped = set().union(*(table.line_numbers for table in tables))
    return units, _remaining_text(lines, dropped)


# --- finding tables -------------------------------------------------------------------------


def _header_columns(line: str) -> dict[str, int] | None:
    """Map the roles number/comment/reply/measure to column indexes if the line is a comment-table header."""
    cells = [without_whitespace(cell) for cell in line.split("\t")]
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if "number" not in columns and _NUMBER_HEADER.match(cell):
            columns["number"] = index
        elif "reply" not in columns and _REPLY_HEADER.search(cell):
            columns["reply"] = index
        elif "comment" not in columns and _COMMENT_HEADER.search(cell):
            columns["comment"] = index
        elif "measure" not in columns and _MEASURE_HEADER.search(cell):
            columns["measure"] = index
    return columns if {"number", "comment", "reply"} <= columns.keys() else None


def _find_tables(lines: list[str]) -> list[_Table]:
    """Collect the comment tables: a header, rows, and repeated headers, blank lines or page numbers between them."""
    tables: list[_Table] = []
    table: _Table | None = None
    columns: dict[str, int] = {}
    pending: list[int] = []  # blank and debris lines, dropped only if the table goes on after them
    for number, line in enumerate(lines):
        header = _header_columns(line) if "\t" in line else None
        if header:
            if table is None:
                table = _Table(department=_department_before(lines, number))
                tables.append(table)
            columns = header
            table.line_numbers.update(pending + [number])
            pending = []
        elif table is not None and "\t" in line and line.strip():
            table.rows.append(_read_row(line.split("\t"), columns))
            table.line_numbers.update(pending + [number])
            pending = []
        elif table is not None and (not line.strip() or PAGE_NUMBER.match(line)):
            pending.append(number)
        else:
            table, pending = None, []
    return tables


def _read_row(cells: list[str], columns: dict[str, int]) -> _Row:
    """Read the cells of one table line by the header's column roles."""

    def cell(role: str) -> str:
        index = columns.get(role)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    number = _clean(cell("number"))
    return _Row(
        number=int(number) if number.isdecimal() else None,
        comment=cell("comment"),
        reply=cell("reply"),
        measure=cell("measure"),
    )


def _department_before(lines: list[str], start: int) -> str | None:
    """Return the 課 named between the section heading above the table and the table itself."""
    section: list[str] = []
    for line in reversed(lines[:start]):
        section.append(line)
        if _HEADING.match(line):
            break
    # A line saying 担当/所管 outranks a 課 merely mentioned (e.g. as a place to read the draft).
    section.sort(key=lambda candidate: not re.search("担当|所管", candidate))
    for line in section:
        found = _DEPARTMENT.search(line)
        if found:
            return found.group(0)
    return None


def _remaining_text(lines: list[str], dropped: set[int]) -> str:
    """Return the lines outside the tables, one blank line standing in for each removed run of lines."""
    kept: list[str] = []
    for number, line in enumerate(lines):
        if number not in dropped:
            kept.append(line)
        elif number - 1 not in dropped:
            kept.append("")
    return "\n".join(kept)


# --- joining rows ---------------------------------------------------------------------------


def _join_rows(rows: list[_Row]) -> list[_Row]:
    """Number the rows, folding lines the PDF split off a row back into it."""
    joined: list[_Row] = []
    for index, row in enumerate(rows):
        previous = joined[-1].number if joined else 0
        if row.number is None and joined and not _fills_gap(previous, rows[index + 1 :]):
            _append(joined[-1], row)
            continue
        if row.number is None:
            # A row whose No. cell came out empty: it is the one the numbering skips.
            row.number = previous + 1
        if joined:
            _move_spilled_measure(joined[-1], row)
        joined.append(row)
    return joined


def _fills_gap(previous: int, following: list[_Row]) -> bool:
    """Tell whether the numbering skips a number after `previous`, so an unnumbered line is a row of its own."""
    upcoming = next((row.number for row in following if row.number is not None), None)
    return upcoming is not None and previous + 1 < upcoming


def _append(row: _Row, continuation: _Row) -> None:
    """Append a continuation line's cells to the row it continues."""
    for name in ("comment", "reply", "measure"):
        extra = getattr(continuation, name)
        if extra:
            setattr(row, name, f"{getattr(row, name)} {extra}".strip())


def _move_spilled_measure(previous: _Row, row: _Row) -> None:
    """Give the previous row back the end of its measure cell that the PDF printed atop this row's."""
    chapter = _CHAPTER.search(row.measure)
    if chapter and chapter.start() > 0:
        previous.measure = f"{previous.measure} {row.measure[: chapter.start()]}".strip()
        row.measure = row.measure[chapter.start() :]


# --- building units -------------------------------------------------------------------------


def _to_unit(
    document: Document, row: _Row, department: str | None, splitters: set[str], taken: set[str]
) -> Unit:
    """Build the QA unit for one joined row."""
    assert row.number is not None
    question = _clean(row.comment)
    reply = _clean(row.reply)
    section = f"パブリックコメント 意見{row.number}"
    return Unit.of_document(
        document,
        id=_unique_id(f"{document.id}-qa-{row.number:02d}", taken),
        kind=QA,
        section=section,
        title=_title(question) or section,
        question=question,
        text=reply,
        department=department,
        measure=_measure(row.measure, reply, splitters),
        headings=(section,),
    )


def _unique_id(base: str, taken: set[str]) -> str:
    """Return base, suffixed if a row number repeats (two tables in one document), and record it."""
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _measure(cell: str, reply: str, splitters: set[str]) -> str | None:
    """Return the 施策 / 取組 the row concerns: its measure column, else the reply's （目標… 施策…） trailer."""
    value = _clean(cell)
    values = _split_values(value, splitters - {value}) if value else []
    if not values:
        values = [_SPACES.sub(" ", found).strip() for found in _MEASURE_TRAILER.findall(reply)]
    return "、".join(values) or None


def _measure_splitters(rows: list[_Row]) -> set[str]:
    """Return the measure values that, found inside another cell, mark where two values were run together."""
    known = {_clean(row.measure) for row in rows} - {""}
    # A value that begins a longer one is that one cut short ("第4章" of "第4章 情報化への取組").
    return {value for value in known if not any(other != value and other.startswith(value) for other in known)}


def _split_values(cell: str, splitters: set[str]) -> list[str]:
    """Split a cell where the PDF ran several values together, e.g. "全体重点方針と取組み"."""
    for value in sorted(splitters, key=len, reverse=True):
        at = cell.find(value)
        if at != -1:
            before, after = cell[:at].strip(), cell[at + len(value) :].strip()
            return _split_values(before, splitters) + [value] + _split_values(after, splitters)
    return [cell] if cell else []


def _title(question: str) -> str:
    """Return the comment's first words: its first sentences if short enough, else ~40 characters."""
    first = question.split("\n", 1)[0]
    if len(first) <= TITLE_LENGTH:
        return first
    ends = [end for end in _sentence_ends(first[:TITLE_LENGTH]) if end >= TITLE_LENGTH // 4]
    return first[: ends[-1]] if ends else first[:TITLE_LENGTH] + "…"


def _sentence_ends(text: str) -> list[int]:
    """Return the offsets just after each sentence end that is not inside quotes or brackets."""
    ends: list[int] = []
    depth = 0
    for at, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(depth - 1, 0)
        elif char in _SENTENCE_ENDERS and depth == 0:
            ends.append(at + 1)
    return ends


# --- cleaning cell text ---------------------------------------------------------------------


def _clean(cell: str) -> str:
    """Turn a cell's HTML and PDF debris into plain text, one paragraph a line."""
    text = strip_tags(_BLOCK_TAG.sub("\n", cell))
    paragraphs = (_clean_line(line) for line in text.split("\n"))
    return "\n".join(paragraph for paragraph in paragraphs if paragraph)


def _clean_line(line: str) -> str:
    """Collapse spaces, drop those the PDF put inside Japanese text, and undo doubled spans."""
    line = _SPACES.sub(" ", line).strip()

    def join(gap: re.Match[str]) -> str:
        keeps_space = _CHAPTER_LABEL.search(line, 0, gap.start() + 1)
        return gap.group(0) if keeps_space else gap.group(1)

    return _STUTTER.sub(r"\1", _JA_GAP.sub(join, line))
