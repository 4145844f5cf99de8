"""What a FAQ entry may hold: the rules both the console's form and the CSV import check."""
from __future__ import annotations

from dataclasses import dataclass

from bot.service import storable

MAX_FAQ_QUESTION_CHARS = 500
MAX_FAQ_ANSWER_CHARS = 2000
MAX_FAQ_DEPARTMENT_CHARS = 100


@dataclass(frozen=True)
class FaqFields:
    """A FAQ entry's text fields as the staff member wrote them, stripped."""

    ward: str
    question: str
    answer: str
    department: str


def faq_problems(fields: FaqFields, wards: list[str], labels: dict[str, str]) -> list[str]:
    """Return what is wrong with a FAQ entry's fields (Japanese, each field named by labels), or []."""
    problems = []
    for name, limit in (("question", MAX_FAQ_QUESTION_CHARS), ("answer", MAX_FAQ_ANSWER_CHARS)):
        if not 1 <= len(getattr(fields, name)) <= limit:
            problems.append(f"{labels[name]}は1〜{limit}文字で入力してください。")
    if len(fields.department) > MAX_FAQ_DEPARTMENT_CHARS:
        problems.append(f"{labels['department']}は{MAX_FAQ_DEPARTMENT_CHARS}文字以内で入力してください。")
    for name in ("question", "answer", "department"):
        if not storable(getattr(fields, name)):
            problems.append(f"{labels[name]}に使えない文字（制御文字など）が含まれています。")
    if fields.ward not in wards:
        problems.append(f"{labels['ward']}は " + "・".join(wards) + " のいずれかにしてください。")
    return problems
