"""FAQ entries as CSV: UTF-8 with a BOM so that Excel opens it, and back."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from bot.db import FaqEntry
from bot.staff.faq_rules import FaqFields, faq_problems

COLUMNS = ("id", "ward", "question", "answer", "department", "retired")
REQUIRED = ("ward", "question", "answer")
# A cell starting with one of these is run as a formula by spreadsheets (Excel reads the full-width
# forms too); a leading ' keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# The CSV names each field by its column.
COLUMN_LABELS = {column: f"{column} " for column in COLUMNS}
TRUE, FALSE = {"1", "true", "yes"}, {"", "0", "false", "no"}


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """Write rows as CSV in UTF-8 with a BOM, cells that look like formulas kept as text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def inert(cell) -> str:
    """Return a cell that a spreadsheet shows as text, never runs."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def restored(cell: str) -> str:
    """Undo inert() on import."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def export_faq(entries: list[FaqEntry]) -> bytes:
    """Return the entries as CSV."""
    rows = [[e.id, e.ward, e.question, e.answer, e.department or "", int(e.retired)] for e in entries]
    return csv_bytes(list(COLUMNS), rows)


@dataclass(frozen=True)
class FaqRow:
    """One checked row of an imported CSV."""

    id: int | None
    ward: str
    question: str
    answer: str
    department: str | None
    retired: bool


def read_faq_csv(data: bytes, wards: list[str], known_ids: set[int]) -> tuple[list[FaqRow], list[str]]:
    """Read and check an uploaded CSV; return its rows and, if any row is wrong, the errors (Japanese)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["UTF-8 のCSVとして読めません。Excel では「CSV UTF-8」で保存してください。"]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], ["必要な列がありません: " + ", ".join(missing)]
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):
        cell = {c: restored((raw.get(c) or "").strip()) for c in COLUMNS}
        problem = row_problem(cell, wards, known_ids)
        if problem:
            errors.append(f"{number}行目: {problem}")
            continue
        rows.append(
            FaqRow(
                id=int(cell["id"]) if cell["id"] else None,
                ward=cell["ward"],
                question=cell["question"],
                answer=cell["answer"],
                department=cell["department"] or None,
                retired=cell["retired"].lower() in TRUE,
            )
        )
    return rows, errors


def row_problem(cell: dict[str, str], wards: list[str], known_ids: set[int]) -> str | None:
    """Return what is wrong with one row, or None."""
    # Decimal digits (full-width too) that int() takes: isdigit() also takes ², and int() refuses very long numbers.
    if cell["id"] and (not (cell["id"].isdecimal() and len(cell["id"]) <= 18) or int(cell["id"]) not in known_ids):
        return f"id {cell['id']} のFAQはありません（新しく作るときは id を空にしてください）。"
    fields = FaqFields(cell["ward"], cell["question"], cell["answer"], cell["department"])
    problems = faq_problems(fields, wards, COLUMN_LABELS)
    if problems:
        return " ".join(problems)
    if cell["retired"].lower() not in TRUE | FALSE:
        return "retired は 0 か 1 にしてください。"
    return None
