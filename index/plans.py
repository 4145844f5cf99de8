"""Split plan texts into heading-scoped passages and glossary entries.

The texts are PDF-to-text conversions: markdown headings whose levels are
unreliable, tables as tab-separated rows, page numbers, tables of contents and
figure captions.  The plan hierarchy (第N章 > 基本目標 > 施策 > 取組) is inferred
from the heading text; markdown levels only break ties between other headings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import CELL_SEPARATOR, JAPANESE_LETTERS, PAGE_NUMBER, strip_tags, without_whitespace
from index.units import GLOSSARY, PASSAGE, Document, Unit

MAX_CHUNK = 800  # characters of passage text; longer sections are split
TINY = 30  # a body shorter than this is merged, kept only if informative, or dropped
MAX_TITLE = 30  # characters of one heading in the human-readable section path
LONG_CELL = 40  # a headed table with a longer cell is a list of records, one per passage
SHORT_SECTION = 300  # characters: a sub-section this short reads best folded into its parent's passage

_COUNTERS = r"(?:年|か月|ヶ月|月|日|件|人|名|回|時間|分(?!野)|歳|度|割|倍|種類|号|条|頁|台(?!東)|%|％)"
_ORG = re.compile(r"[^\s、。（）]+?(?:課|室|局|センター|委員会|館)(?:（[^）]*）)?")

# Fixed ranks of the plan structure; every other heading is ranked relative to these.
CHAPTER, GOAL, MEASURE, ACTION = 0, 1, 2, 3
_FIXED = [
    ("chapter", CHAPTER, re.compile(r"^(第\s*[0-9０-９一二三四五六七八九十]+\s*章|資料編)")),
    ("goal", GOAL, re.compile(r"^【?(基本)?目標\s*([0-9０-９]+)\s*(】|[\s：:]|$)")),
    ("measure", MEASURE, re.compile(r"^【?施策\s*([0-9０-９]+)\s*(】|[\s：:]|$)")),
    ("action", ACTION, re.compile(r"^【?取り?組み?\s*([0-9０-９]+)\s*(】|[\s：:.．]|$)")),
]
_KPI = re.compile(r"^(重要業績)?評価指標\s*([（(]\s*KPI\s*[)）])?$")
_NUMBERED = [
    ("num-dot", re.compile(r"^([0-9]{1,2})[.．]\s*\S")),
    ("paren", re.compile(r"^[(（]([0-9]{1,2})[)）]\s*\S")),
    ("circled", re.compile(r"^([①-⑳])\s*\S")),
]
_NUM_SPACE = re.compile(r"^([0-9]{1,2})\s+\S")  # "1 概要": a heading only when marked up as one
_BULLETS = "■□◆◇●○◎・"
_SQUARE = "■□◆◇"

_TOC_LEADER = re.compile(r"(\.{3,}|…{2,}|・{3,}|‥+)\s*\d+\s*$")
_ANNEX_LEADER = re.compile(r"(\.{3,}|…+|・{3,})\s*(別紙\s*\d+)")
_DATE_LINE = re.compile(r"^(令和|平成)\S*年\S*月\S*日$")
_KPI_ARROW = re.compile(r"^(現況\s*[（(][^)）]*[)）])\s*>\s*(目標\s*[（(][^)）]*[)）])$")
_KPI_VALUE = re.compile(r"^[0-9０-９][0-9０-９,.，]*\s*\S{0,8}$")
_GLOSSARY_TITLE = re.compile(r"用語(解説|集)")


@dataclass
class _Heading:
    """One heading of the document, placed in the inferred hierarchy."""

    title: str
    style: str  # chapter | goal | measure | action | kpi | num-dot | num-space | paren | circled | square | plain
    rank: int | None = None  # fixed rank for the plan structure
    number: int | None = None
    md: int = 9  # markdown level; 9 for headings recognised from their text alone
    filled: bool = False  # has body text or sub-headings


@dataclass
class _Line:
    """One cleaned line of the text."""

    kind: str  # blank | heading | table | list | text
    text: str = ""
    cells: list[str] = field(default_factory=list)
    heading: _Heading | None = None
    markdown: bool = False  # the heading was marked up (# or bold), not guessed from its text
    hard_break: bool = False  # ends with a markdown line break: the sentence continues below


@dataclass
class _Block:
    """A paragraph, list item or table row of a section body."""

    text: str
    alone: bool = False  # a table record: gets a passage of its own


@dataclass
class _Section:
    """The body under one heading path."""

    path: list[_Heading]
    lines: list[_Line] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    glossary: list[tuple[str, str]] = field(default_factory=list)


def extract_passages(document: Document, text: str) -> list[Unit]:
    """Split a plan text into passages and glossary entries, in document order."""
    lines = _join_lines(_prepare_lines(text))
    sections = _build_sections(_resolve_heading_runs(lines))
    for section in sections:
        _fill_body(section)
    sections = _merge_kpi_sections(sections)
    sections = _fold_short_subsections(sections)
    sections = _handle_tiny_sections(sections)
    departments = _departments_by_measure(sections)
    return _units(document, sections, departments)


# ---------------------------------------------------------------- text cleaning


def _strip_markup(line: str) -> str:
    """Remove HTML tags and footnote markers, keeping list items apart."""
    line = re.sub(r"<sup>.*?</sup>", "", line)
    line = re.sub(r"</(li|p)>|<br\s*/?>", " ", line)
    return strip_tags(line).replace("\u00a0", " ").replace("\u3000", " ")


def _tidy(text: str, cell: bool = False) -> str:
    """Remove the spaces the PDF conversion put inside Japanese words and numbers."""
    text = re.sub(r" {2,}", "\x00", text.strip())  # runs of spaces separate items: keep one
    text = re.sub(r"(?<=[ァ-ヶー]) (?=[ァ-ヶー])", "", text)  # "デジ タル"
    while re.search(r"(?<![A-Za-z])([A-Z]) (?=[A-Z](?![a-z]))", text):  # "A I" -> "AI"
        text = re.sub(r"(?<![A-Za-z])([A-Z]) (?=[A-Z](?![a-z]))", r"\1", text)
    text = re.sub(rf"(?<=[{JAPANESE_LETTERS}]) (?=[0-9][0-9,.]* ?{_COUNTERS})", "", text)  # "令和 2 年"
    text = re.sub(rf"(?<=[0-9]) (?={_COUNTERS})", "", text)  # -> "令和2年"
    # "AI チャット"
    text = re.sub(rf"(?<=[{JAPANESE_LETTERS}]) (?=[A-Za-z])|(?<=[A-Za-z]) (?=[{JAPANESE_LETTERS}])", "", text)
    if cell:
        # Table cells are wrapped at the column width; a space after "3名" still separates items.
        text = re.sub(
            rf"(?<![0-9][{JAPANESE_LETTERS}])(?<=[{JAPANESE_LETTERS}、]) (?=[{JAPANESE_LETTERS}])", "", text
        )
    text = text.replace("\x00", " ")
    return re.sub(r"\s+", " ", text).strip()


def _prepare_lines(text: str) -> list[_Line]:
    """Clean and classify every line, dropping page numbers, contents and debris."""
    raw_lines = text.splitlines()
    running = _running_lines(raw_lines)
    lines: list[_Line] = []
    for raw in raw_lines:
        if re.match(r"^\s*<sup>", raw):
            continue  # footnote: the glossary explains the same terms, and it splits sentences
        hard_break = raw.endswith("  ")
        raw = _strip_markup(raw).rstrip(" \r")  # a trailing tab still marks a table row
        stripped = raw.strip()
        if (
            not stripped
            or stripped in running
            or re.fullmatch(r"[-*_=]{3,}", stripped)
            or PAGE_NUMBER.match(stripped)
            or _TOC_LEADER.search(stripped)
        ):
            lines.append(_Line("blank"))
            continue
        raw = _ANNEX_LEADER.sub(r"（\2）", raw)
        lines.append(_classify(raw, hard_break))
    return lines


def _running_lines(raw_lines: list[str]) -> set[str]:
    """Find short lines repeated on many pages: running headers and footers."""
    counts: dict[str, int] = {}
    for raw in raw_lines:
        line = raw.strip()
        if line and "\t" not in line and len(line) <= 40 and not line.startswith("#"):
            counts[line] = counts.get(line, 0) + 1
    return {
        line
        for line, count in counts.items()
        if count >= 3 and not _text_heading(line) and not line.startswith("担当")
    }


def _classify(raw: str, hard_break: bool) -> _Line:
    """Tell headings, table rows, list items and plain text apart."""
    if "\t" in raw:
        cells = [_tidy(cell, cell=True) for cell in raw.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells) or all(re.fullmatch(r"-+", c) for c in cells if c):
            return _Line("blank")
        return _Line("table", cells=cells)
    line = raw.strip()
    markdown = re.match(r"^(#{1,6})\s*(.*)$", line)
    if markdown:
        title = markdown.group(2).strip().strip("*").strip()
        return _heading_line(title, len(markdown.group(1))) if title else _Line("blank")
    bold = re.fullmatch(r"\*\*(.+)\*\*", line)
    if bold:
        return _heading_line(bold.group(1).strip(), 9)
    item = re.match(r"^[-*+]\s+(.*)$", line)
    if item:
        return _Line("list", text=item.group(1).strip(), hard_break=hard_break)
    if " > " in line and _fixed_style(line):
        return _Line("blank")  # slide breadcrumb "【施策1】… > 取組1 …" repeated on every sheet
    heading = _text_heading(line)
    if heading:
        return _Line("heading", text=heading.title, heading=heading)
    return _Line("text", text=line, hard_break=hard_break)


def _heading_line(title: str, md: int) -> _Line:
    """Make a marked-up heading line."""
    heading = _make_heading(title, md)
    return _Line("heading", text=heading.title, heading=heading, markdown=True)


def _text_heading(line: str) -> _Heading | None:
    """Recognise an unmarked heading from its text: 施策N, 取組N, 1., (1) …"""
    line = line.strip()
    if line.endswith("。") or len(line) > 80:
        return None
    style = _fixed_style(line)
    if style or _KPI.match(line):
        return _make_heading(line, 9)
    for _, pattern in _NUMBERED[:2]:  # "1. 背景", "(6)居住年数"
        if pattern.match(line) and len(line) <= 50:
            return _make_heading(line, 9)
    return None


def _fixed_style(title: str) -> tuple[str, int, int | None] | None:
    """Return the plan-structure style, rank and number of a heading text."""
    bare = title.lstrip(_BULLETS + " ")
    for name, rank, pattern in _FIXED:
        match = pattern.match(bare)
        if match:
            digits = re.search(r"[0-9０-９]+", match.group(0))
            return name, rank, int(digits.group(0)) if digits else None
    return None


def _make_heading(title: str, md: int) -> _Heading:
    """Build a heading, inferring its style from the text."""
    square = title[:1] in _SQUARE
    bare = re.sub(r"\s+", " ", title.lstrip(_BULLETS + " "))
    # Tidy after the leading number, so that "3 人的対策" does not become "3人的対策".
    number = re.match(r"^([0-9]{1,2}\s+|[(（]?[0-9]{1,2}[)）.．]\s*)", bare)
    prefix = number.group(0).strip() + " " if number else ""
    display = prefix + _tidy(bare[len(number.group(0)) :] if number else bare)
    display = re.sub(r"^(【?)(基本目標|目標|施策|取り?組み?)\s+(?=[0-9])", r"\1\2", display)
    fixed = _fixed_style(title)
    if fixed:
        return _Heading(display, fixed[0], fixed[1], fixed[2], md)
    if _KPI.match(display):
        return _Heading(display, "kpi", None, None, md)
    for name, pattern in _NUMBERED:
        match = pattern.match(bare)
        if match:
            digits = match.group(1)
            return _Heading(display, name, None, int(digits) if digits.isdigit() else None, md)
    match = _NUM_SPACE.match(bare)
    if match and md < 9:
        return _Heading(display, "num-space", None, int(match.group(1)), md)
    return _Heading(display, "square" if square else "plain", None, None, md)


def _ends_sentence(text: str) -> bool:
    """Tell whether a line ends where a sentence or label may end."""
    return not re.search(rf"[{JAPANESE_LETTERS}、]$", text)


def _join_lines(lines: list[_Line]) -> list[_Line]:
    """Rejoin sentences the PDF split: at markdown line breaks and across page breaks."""
    joined: list[_Line] = []
    for line in lines:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.kind in ("text", "list")
            and previous.hard_break
            and line.kind == "text"
            and not _DATE_LINE.match(previous.text)
        ):
            # A deliberate break after a label ("施策1・3・5", "【…】") separates two phrases.
            spaced = previous.kind == "list" and re.search(r"[0-9A-Za-z】」)）]$", previous.text)
            previous.text = f"{previous.text} {line.text}" if spaced else _glue(previous.text, line.text)
            previous.hard_break = line.hard_break
            continue
        if line.kind == "text" and _continues_paragraph(joined, line):
            last = next(item for item in reversed(joined) if item.kind != "blank")
            last.text = _glue(last.text, line.text)
            continue
        joined.append(line)
    return joined


def _continues_paragraph(joined: list[_Line], line: _Line) -> bool:
    """Tell whether a paragraph after a blank gap finishes a sentence left open above."""
    if not joined or joined[-1].kind != "blank":
        return False
    last = next((item for item in reversed(joined) if item.kind != "blank"), None)
    return (
        last is not None
        and last.kind == "text"
        and len(last.text) >= 40
        and len(line.text) >= 20  # short lines after a gap are figure labels, not the rest
        and not last.text.startswith(tuple(_BULLETS))
        and not _ends_sentence(last.text)
        and re.match(rf"^[{JAPANESE_LETTERS}]", line.text) is not None
    )


def _glue(left: str, right: str) -> str:
    """Join two pieces of one sentence, with a space only between Latin words."""
    if re.search(r"[A-Za-z0-9,.]$", left) and re.match(r"^[A-Za-z0-9(]", right):
        return f"{left} {right}"
    return left + right


# ---------------------------------------------------------------- headings


def _resolve_heading_runs(lines: list[_Line]) -> list[_Line]:
    """Turn lists of unmarked headings without bodies into text, or drop them as contents."""
    result: list[_Line] = []
    index = 0
    while index < len(lines):
        run = _heading_run(lines, index)
        if len(run) < 2:
            result.append(lines[index])
            index += 1
            continue
        end = run[-1] + 1
        rest = {_key(line.text) for line in lines[end:] if line.kind == "heading"}
        if not all(_key(lines[i].text) in rest for i in run):
            # A list of the 取組 of a 施策, an agenda: plain list items of the section above.
            result.extend(_Line("list", text=lines[i].text) for i in run)
        index = end
    return result


def _heading_run(lines: list[_Line], start: int) -> list[int]:
    """Return the indexes of consecutive same-style unmarked headings that have no body."""
    first = lines[start]
    if first.kind != "heading" or first.markdown:
        return []
    run = [start]
    index = _skip_blanks(lines, start + 1)
    while index < len(lines):
        line = lines[index]
        if line.kind != "heading" or line.markdown or line.heading.style != first.heading.style:
            break
        run.append(index)
        index = _skip_blanks(lines, index + 1)
    if index < len(lines) and lines[index].kind != "heading":
        run.pop()  # the last one has a body: it is a real section
    return run


def _skip_blanks(lines: list[_Line], index: int) -> int:
    """Return the index of the first line from index on that is not blank, or len(lines)."""
    while index < len(lines) and lines[index].kind == "blank":
        index += 1
    return index


def _key(title: str) -> str:
    """Normalise a heading for comparison."""
    return without_whitespace(title)


def _build_sections(lines: list[_Line]) -> list[_Section]:
    """Place every heading in the hierarchy and collect the body under each path."""
    stack: list[_Heading] = []
    depth_of: dict[str, int] = {}  # where each plain heading title was first placed
    sections = [_Section(path=[])]
    for index, line in enumerate(lines):
        if line.kind != "heading":
            sections[-1].lines.append(line)
            if line.kind != "blank" and stack:
                stack[-1].filled = True
            continue
        heading = line.heading
        if heading.style == "kpi" and not any(h.style == "measure" for h in stack):
            heading.style = "plain"  # an explanation of KPIs, not the KPI of a 施策
        if heading.style == "plain" and _is_caption(lines, index):
            continue  # the title of a figure the conversion dropped
        key = _key(heading.title)
        if heading.style == "plain" and key in depth_of:
            del stack[depth_of[key] :]  # a title repeated (back cover) returns to its first level
        _place(stack, heading)
        depth_of.setdefault(key, len(stack) - 1)
        sections.append(_Section(path=list(stack)))
    return sections


def _is_caption(lines: list[_Line], index: int) -> bool:
    """Tell whether a plain heading has neither a body nor sub-headings."""
    following = next((line for line in lines[index + 1 :] if line.kind != "blank"), None)
    if following is None:
        return True
    if following.kind != "heading":
        return False
    nxt = following.heading
    if nxt.style == "kpi" or nxt.style == "plain":
        return nxt.md <= lines[index].heading.md  # a deeper plain heading is a sub-section
    if nxt.style in ("num-dot", "num-space", "paren", "circled") and nxt.number == 1:
        return False
    return nxt.style != "square"


def _place(stack: list[_Heading], heading: _Heading) -> None:
    """Pop the headings the new one closes, then push it."""
    if heading.style == "kpi":
        heading.rank = ACTION  # a 施策's KPI table is a sibling of its 取組
    if heading.rank is not None:
        _close_for_fixed(stack, heading)
    elif heading.style == "plain":
        _close_for_plain(stack, heading)
    else:
        _close_for_numbered(stack, heading)
    if stack:
        stack[-1].filled = True
    stack.append(heading)


def _fixed_ancestor_rank(stack: list[_Heading]) -> int:
    """Return the rank of the innermost plan-structure heading, -1 if none."""
    return next((h.rank for h in reversed(stack) if h.rank is not None), -1)


def _close_for_fixed(stack: list[_Heading], heading: _Heading) -> None:
    """Close headings a 章/目標/施策/取組 cannot sit under."""
    if heading.rank == CHAPTER:
        stack.clear()  # nothing holds a chapter
        return
    while stack:
        top = stack[-1]
        if top.rank is not None:
            if top.rank < heading.rank:
                return
        elif not (
            top.style in ("plain", "square")
            or top.md > heading.md
            or _fixed_ancestor_rank(stack[:-1]) > CHAPTER
        ):
            return  # a numbered part of a chapter, e.g. "2. 施策の具体的内容", holds 基本目標
        stack.pop()


def _close_for_plain(stack: list[_Heading], heading: _Heading) -> None:
    """Close headings an unnumbered heading follows rather than belongs to."""
    for index, entry in enumerate(stack):
        if entry.style == "plain" and entry.md >= heading.md:
            del stack[index:]
            return
    while stack:
        top = stack[-1]
        deeper = top.md > heading.md
        if top.rank is None and not deeper and (top.filled or top.md < heading.md):
            return
        if top.rank is not None and not deeper:
            return
        stack.pop()


def _close_for_numbered(stack: list[_Heading], heading: _Heading) -> None:
    """Close up to the previous item of the same numbering, unless numbering restarts."""
    same = [i for i, entry in enumerate(stack) if entry.style == heading.style]
    if same and heading.number != 1:
        del stack[same[-1] :]
        return
    while stack:
        top = stack[-1]
        if top.rank is not None:
            return
        if not (top.style == "plain" and top.md >= heading.md) and not (
            not top.filled and top.md >= heading.md
        ):
            return
        stack.pop()


# ---------------------------------------------------------------- bodies


def _fill_body(section: _Section) -> None:
    """Turn the body lines of a section into readable blocks."""
    glossary = any(_GLOSSARY_TITLE.search(h.title) for h in section.path)
    lines = section.lines
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.kind == "table":
            end = index
            while end < len(lines) and lines[end].kind == "table":
                end += 1
            rows = [lines[i].cells for i in range(index, end)]
            if not (glossary and _take_glossary(section, rows)):
                section.blocks.extend(_table_blocks(rows))
            index = end
            continue
        if line.kind == "text" and re.match(r"^担当\s*[：:\s]", line.text):
            index = _take_department(section, lines, index)
            continue
        if line.kind == "text" and _KPI_ARROW.match(_tidy(line.text)):
            index = _take_kpi_slide(section, lines, index)
            continue
        if line.kind in ("text", "list"):
            text = _tidy(line.text)
            if len(text) > 2:  # "区民", "例)": words left over from figures
                if line.kind == "list" and not text.startswith(tuple(_BULLETS + "①✓※")):
                    text = "・" + text
                section.blocks.append(_Block(text))
        index += 1


def _take_department(section: _Section, lines: list[_Line], index: int) -> int:
    """Read "担当 情報政策課" and the department names continuing on the next lines."""
    names = _ORG.findall(re.sub(r"^担当\s*[：:]?", "", lines[index].text))
    index += 1
    while index < len(lines) and lines[index].kind == "text":
        more = lines[index].text.strip()
        if not more or _ORG.sub("", more).strip(" 、・"):
            break  # not a bare list of department names
        names.extend(_ORG.findall(more))
        index += 1
    names = [_tidy(name) for name in names]
    section.departments.extend(name for name in names if name not in section.departments)
    if names:
        section.blocks.append(_Block("担当：" + " ".join(names)))  # as the document writes it, so a quote matches it
    return index


def _take_kpi_slide(section: _Section, lines: list[_Line], index: int) -> int:
    """Read a KPI drawn as "現況(…) > 目標(…)", the indicator and its values."""
    current, target = _KPI_ARROW.match(_tidy(lines[index].text)).groups()
    texts: list[str] = []
    index += 1
    while len(texts) < 3:
        index = _skip_blanks(lines, index)
        if index == len(lines):
            break
        line = lines[index]
        if line.kind != "text" or (texts and not _KPI_VALUE.match(_tidy(line.text))):
            break
        texts.append(_tidy(line.text))
        index += 1
    if not texts:
        return index
    section.blocks.append(_Block(_cells_line(["指標", current, target][: len(texts)]) + "\n" + _cells_line(texts)))
    return index


def _take_glossary(section: _Section, rows: list[list[str]]) -> bool:
    """Read term/definition rows of a glossary table; False if it is not one."""
    header = rows[0]
    if "用語" not in header:
        return False
    term_col = header.index("用語")
    definition_col = next(
        (i for i, cell in enumerate(header) if cell in ("解説", "説明", "意味", "定義")), term_col + 1
    )
    for row in rows[1:]:
        if len(row) > definition_col and row[term_col] and row[definition_col]:
            section.glossary.append((row[term_col], row[definition_col]))
    return True


def _table_blocks(rows: list[list[str]]) -> list[_Block]:
    """Write a table as the document lays it out: its column headings on a line, then each row on a line of its own."""
    blocks: list[_Block] = []
    while rows and sum(1 for cell in rows[0] if cell) == 1:
        blocks.append(_Block(next(cell for cell in rows[0] if cell)))  # a title row
        rows = rows[1:]
    if not rows:
        return blocks
    header = _normalise_header(rows[0]) if len(rows) > 1 and _is_header(rows[0]) else None
    if header is None:
        # Without column headings a row is a key and its values: apart by a plain space, they read as no table.
        return blocks + [_Block(" ".join(cell for cell in row if cell)) for row in rows]
    records = len(header) > 2 and any(len(cell) > LONG_CELL for row in rows[1:] for cell in row)
    headings = _cells_line(_split_repeated(header, header)[0][0])
    for row in rows[1:]:
        if row == rows[0]:
            continue  # the header repeated after a page break
        for record_header, record in _split_repeated(header, row):
            text = _cells_line(record)
            if text and (records or headings):
                # The column headings stand above the first row, in its block, so no passage ends with them alone;
                # a record, a passage of its own, keeps them above it.
                text = (_cells_line(record_header) if records else headings) + "\n" + text
                headings = ""
            if text:
                blocks.append(_Block(text, alone=records))
    return blocks


def _is_header(row: list[str]) -> bool:
    """Tell whether a table row names columns rather than holding data."""
    cells = [cell for cell in row if cell]
    if len(cells) < 2:
        return False
    if any(
        cell.endswith("。") or len(cell) > 60 or re.match(r"^[0-9０-９,.]+\s*\S{0,3}$", cell)
        for cell in cells
    ):
        return False
    return len(cells) >= 3 or all(len(cell) <= 15 for cell in cells)


def _normalise_header(row: list[str]) -> list[str]:
    """Write header cells uniformly: "現況(令和2年度)"."""
    return [re.sub(r"\s*[（(]\s*(.*?)\s*[)）]", r"(\1)", cell) for cell in row]


def _split_repeated(header: list[str], row: list[str]) -> list[tuple[list[str], list[str]]]:
    """Split rows of tables printed in several side-by-side column groups."""
    for width in range(1, len(header) // 2 + 1):
        if len(header) % width == 0 and header == header[:width] * (len(header) // width):
            row = row + [""] * (len(header) - len(row))
            return [
                (header[:width], row[start : start + width])
                for start in range(0, len(header), width)
                if any(row[start : start + width])
            ]
    return [(header, row)]


def _cells_line(cells: list[str]) -> str:
    """Write a table row's cells in their order, apart only by an ideographic space, so a phrase copied across cells still matches."""
    return CELL_SEPARATOR.join(cell for cell in cells if cell)


# ---------------------------------------------------------------- sections


def _merge_kpi_sections(sections: list[_Section]) -> list[_Section]:
    """Move each KPI table into the passage of its 施策."""
    result: list[_Section] = []
    for section in sections:
        if section.path and section.path[-1].style == "kpi":
            parent = next(
                (s for s in reversed(result) if s.path and s.path[-1] is section.path[-2]), None
            )
            if parent is not None:
                label = section.path[-1].title
                parent.blocks.extend([_Block(label)] + section.blocks if section.blocks else [])
                parent.departments.extend(
                    d for d in section.departments if d not in parent.departments
                )
                continue
        result.append(section)
    return result


def _fold_short_subsections(sections: list[_Section]) -> list[_Section]:
    """Fold runs of short sibling sub-sections into their parent's passage, each labelled by its heading.

    Committee papers split one topic into headings of a line each (監査テーマ, 監査対象, 実施期間,
    監査方式): alone, such a line neither matches a question nor answers it. The plan structure
    (章, 目標, 施策, 取組, KPI) is never folded, so its passages keep their own department.
    Folding repeats, so that a sub-section made whole by folding can fold into its parent in turn.
    """
    while True:
        folded = _fold_once(sections)
        if len(folded) == len(sections):
            return folded
        sections = folded


def _fold_once(sections: list[_Section]) -> list[_Section]:
    """Fold each run of short sibling leaf sections once."""
    result: list[_Section] = []
    index = 0
    while index < len(sections):
        end = index
        size = 0
        while end < len(sections) and _foldable(sections, end) and (
            end == index or _same_parent(sections[end], sections[index])
        ):
            size += len(_body_text(sections[end])) + len(sections[end].path[-1].title) + 2
            if size > MAX_CHUNK:
                break
            end += 1
        run = sections[index:end]
        parent = result[-1] if result else None
        beside_parent = bool(run) and parent is not None and _is_parent(parent, run[0])
        if beside_parent and len(_body_text(parent)) + size <= MAX_CHUNK:
            _absorb(parent, run)
        elif len(run) >= 2:
            merged = _Section(path=run[0].path[:-1])
            _absorb(merged, run)
            result.append(merged)
        else:
            result.append(sections[index])
            end = index + 1
        index = end
    return result


def _foldable(sections: list[_Section], index: int) -> bool:
    """Tell whether a section is a short leaf below a heading outside the plan structure."""
    section = sections[index]
    if len(section.path) < 2 or section.glossary:
        return False
    heading = section.path[-1]
    if heading.rank is not None or heading.style == "kpi":
        return False
    has_children = index + 1 < len(sections) and _is_descendant(sections[index + 1].path, section.path)
    return not has_children and len(_body_text(section)) <= SHORT_SECTION


def _same_parent(one: _Section, other: _Section) -> bool:
    """Tell whether two sections sit under the same heading."""
    return len(one.path) == len(other.path) and all(a is b for a, b in zip(one.path[:-1], other.path[:-1]))


def _is_parent(parent: _Section, child: _Section) -> bool:
    """Tell whether a section is the one directly above another."""
    return len(child.path) == len(parent.path) + 1 and _is_descendant(child.path, parent.path)


def _absorb(parent: _Section, run: list[_Section]) -> None:
    """Append the sections of a run to a parent's body, a one-line body after its heading, a longer one below it."""
    for section in run:
        title = section.path[-1].title
        if len(section.blocks) == 1:
            text = section.blocks[0].text.lstrip("・ ")
            parent.blocks.append(_Block(f"{title}：{text}", section.blocks[0].alone))
        elif section.blocks:
            parent.blocks.append(_Block(title if title.startswith("【") else f"【{title}】"))
            parent.blocks.extend(section.blocks)
        parent.departments.extend(d for d in section.departments if d not in parent.departments)


def _body_text(section: _Section) -> str:
    """Return the passage text of a section."""
    return "\n".join(block.text for block in section.blocks)


def _handle_tiny_sections(sections: list[_Section]) -> list[_Section]:
    """Merge a tiny body into the section below it, keep it if informative, else drop it."""
    result: list[_Section] = []
    carried: list[_Block] = []
    carried_path: list[_Heading] = []
    for section in sections:
        if carried and _is_descendant(section.path, carried_path) and section.blocks:
            section.blocks = carried + section.blocks
            carried = []
        elif carried:
            result.append(_Section(path=carried_path, blocks=carried))
            carried = []
        body = _body_text(section)
        if section.glossary or len(body) >= TINY:
            result.append(section)
        elif re.search(r"[0-9０-９。]", body) and section.path:
            carried, carried_path = section.blocks, section.path
    if carried:
        result.append(_Section(path=carried_path, blocks=carried))
    return result


def _is_descendant(path: list[_Heading], ancestor: list[_Heading]) -> bool:
    """Tell whether a heading path lies under another."""
    return len(path) > len(ancestor) and all(a is b for a, b in zip(path, ancestor))


def _departments_by_measure(sections: list[_Section]) -> dict[str, list[str]]:
    """Collect the departments named under each 施策 and 取組, keyed "measure:1"."""
    found: dict[str, list[str]] = {}
    for section in sections:
        for heading in section.path:
            if heading.style in ("measure", "action") and heading.number is not None:
                names = found.setdefault(f"{heading.style}:{heading.number}", [])
                names.extend(d for d in section.departments if d not in names)
    return found


def _department(section: _Section, by_measure: dict[str, list[str]]) -> str | None:
    """Name the departments in charge: the section's own, else its 取組's, else its 施策's."""
    if section.departments:
        return "、".join(section.departments)
    for style in ("action", "measure"):
        for heading in reversed(section.path):
            if heading.style == style and by_measure.get(f"{style}:{heading.number}"):
                return "、".join(by_measure[f"{style}:{heading.number}"])
    return None


def _chunks(blocks: list[_Block]) -> list[str]:
    """Group blocks into passages of at most MAX_CHUNK characters, records on their own."""
    pieces: list[tuple[str, bool]] = []
    for block in blocks:
        pieces.extend((piece, block.alone) for piece in _split_long(block.text))
    groups: list[list[str]] = [[]]
    for text, alone in pieces:
        current = groups[-1]
        size = sum(len(t) + 1 for t in current) + len(text)
        if current and (alone or size > MAX_CHUNK):
            current = []
            groups.append(current)
        current.append(text)
        if alone:
            groups.append([])  # nothing joins a record after it either
    return ["\n".join(group) for group in groups if group]


def _split_long(text: str) -> list[str]:
    """Split a paragraph longer than MAX_CHUNK at sentence ends."""
    if len(text) <= MAX_CHUNK:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[。．])", text):
        if current and len(current) + len(sentence) > MAX_CHUNK:
            parts.append(current)
            current = ""
        while len(sentence) > MAX_CHUNK:  # no sentence end at all: cut hard
            parts.append(sentence[:MAX_CHUNK])
            sentence = sentence[MAX_CHUNK:]
        current += sentence
    if current:
        parts.append(current)
    return parts


def _short(title: str) -> str:
    """Shorten a heading for the section path."""
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _units(
    document: Document, sections: list[_Section], by_measure: dict[str, list[str]]
) -> list[Unit]:
    """Make the passage and glossary units of a document, numbered in order."""
    units: list[Unit] = []
    passages = terms = 0
    for section in sections:
        titles = tuple(h.title for h in section.path)
        label = " > ".join(_short(t) for t in titles)
        measure = next(
            (h.title for h in reversed(section.path) if h.style in ("action", "measure")), None
        )
        department = _department(section, by_measure)
        for text in _chunks(section.blocks):
            passages += 1
            units.append(
                Unit.of_document(
                    document,
                    id=f"{document.id}-p-{passages:04d}",
                    kind=PASSAGE,
                    section=label,
                    title=titles[-1] if titles else document.title,
                    question="",
                    text=text,
                    department=department,
                    measure=measure,
                    headings=titles,
                )
            )
        for term, definition in section.glossary:
            terms += 1
            units.append(
                Unit.of_document(
                    document,
                    id=f"{document.id}-g-{terms:03d}",
                    kind=GLOSSARY,
                    section=label,
                    title=term,
                    question=term,
                    text=definition,
                    headings=titles,
                )
            )
    return units
