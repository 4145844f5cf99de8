"""Mask personal data in residents' text before it is stored."""
from __future__ import annotations

import re
import unicodedata

# Order matters: e-mail before numbers, My Number (12 digits) before phone numbers.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[メールアドレス]"),
    (re.compile(r"(?<!\d)\d{4}[-\s]?\d{4}[-\s]?\d{4}(?!\d)"), "[個人番号]"),
    (re.compile(r"(?<![\d-])(?:\+81[-\s]?\(?|\(?0)\d{1,4}\)?[-\s]?\d{1,4}[-\s]?\d{3,4}(?![\d-])"), "[電話番号]"),
    (re.compile(r"〒?\s?\d{3}-\d{4}"), "[郵便番号]"),
    # A street address: a town name then 丁目/番/号 numbers, or a chōme-banchi-gō triple like 1-2-3.
    (
        re.compile(
            r"(?:東京都)?[^\s、。,]{0,10}?(?:区|市)?[^\s、。,]{1,8}?"
            r"(?:\d+丁目\s?\d+番(?:地)?\s?(?:\d+号?)?|\d+丁目|\d+-\d+-\d+(?:号室)?)"
        ),
        "[住所]",
    ),
]


def mask_personal_data(text: str) -> str:
    """Replace phone numbers, e-mail addresses, 12-digit numbers and addresses with placeholders."""
    text = unicodedata.normalize("NFKC", text)
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
