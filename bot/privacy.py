"""Mask personal data in residents' text before it is stored: names, addresses, numbers, ids."""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable

from flask import current_app

from index.analysis import tokenize
from index.kana import TO_KATAKANA

# Kanji digits and the dashes residents type between digits, read as ASCII in a copy of the text of the
# same length, so one set of number patterns finds 〇九〇ー一二三四ー五六七八 and 090-1234-5678 alike.
_AS_ASCII = str.maketrans("〇零一二三四五六七八九ー‐‑‒–—―−", "0012345678" "9" "--------")
# Block and lot numbers may be written with 十・百・千 (十二番), which have no one-character ASCII form.
DIGITS = r"[0-9十百千]+"
# Ward and other town names run before the block numbers; 区/市/都/県 end a larger area, which is kept.
TOWN = r"(?:[一-龥々〆ヶァ-ヴー](?<![区市都県])){0,6}"
DATE = (
    r"(?:(?:明治|大正|昭和|平成|令和|[MTSHR])\s?[\d十]{1,3}|\d{4})\s?(?:年|[./-])\s?[\d十]{1,3}\s?(?:月|[./-])\s?[\d十]{1,3}日?"
)
BIRTH_BEFORE = r"(?:生年月日|誕生日|生まれた日|生まれ)\s?(?:は|が|も)?\s?[:：]?\s?"
BIRTH_AFTER = r"\s?(?:生まれ|生)"


# A number does not start inside another (a date, a decimal, 1-2-3): not after a digit, a dot or a slash, nor a
# dash after a digit. A dash after anything else is the copy's reading of a long vowel mark (マイナンバー1234…).
NOT_INSIDE_A_NUMBER = r"(?<![\d./])(?<!\d-)"


def _digit_count(text: str) -> int:
    """Count the digits of a matched number."""
    return sum(ch.isdigit() for ch in text)


# (pattern over the ASCII-digit copy, placeholder, check of the match or None). Order matters: each
# pattern runs on what the ones before it left: e-mail and ids first (they hold digits and dots), then
# dates of birth, phone numbers, other long numbers, and street addresses last.
_PATTERNS: list[tuple[re.Pattern[str], str, Callable[[str], bool] | None]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII), "[メールアドレス]", None),
    # LINE's own user ids (U + 32 hex) and the ids residents give (LINE ID: yamada_taro).
    (re.compile(r"(?<![0-9A-Za-z])U[0-9a-f]{32}(?![0-9A-Za-z])"), "[LINE ID]", None),
    (
        re.compile(r"(?i:LINE|ライン)\s?(?i:ID|アイディー?)\s?(?:は|が|も)?\s?[:：=]?\s?@?[A-Za-z0-9._-]{4,20}"),
        "[LINE ID]",
        None,
    ),
    # Passports (TK1234567), residence cards (AB12345678CD) and other letter-and-digit ids.
    (re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{1,2}\d{7,8}(?:[A-Za-z]{2})?(?![0-9A-Za-z])"), "[旅券等番号]", None),
    (re.compile(r"〒\s?\d{3}-?\d{4}|(?<![\d-])\d{3}-\d{4}(?![\d-])"), "[郵便番号]", None),
    # Dates of birth: a date after 生年月日/誕生日 or before 生まれ; other dates (令和7年1月5日の募集) are kept.
    (re.compile(BIRTH_BEFORE + r"(?P<mask>" + DATE + r")"), "[生年月日]", None),
    (re.compile(r"(?P<mask>" + DATE + r")(?=" + BIRTH_AFTER + r")"), "[生年月日]", None),
    # Phone numbers: a leading 0 or +81, 10 or 11 digits in all, in any grouping.
    (
        re.compile(NOT_INSIDE_A_NUMBER + r"(?:\+81[-\s.]?\(?|\(?0)\d{1,4}\)?[-\s.]?\(?\d{1,4}\)?[-\s.]?\d{3,4}(?![\d./-])"),
        "[電話番号]",
        lambda found: 10 <= _digit_count(found.replace("+81", "0")) <= 11,
    ),
    # My Number, cards, accounts: three or more groups of digits, 10 or more digits in all.
    (
        re.compile(NOT_INSIDE_A_NUMBER + r"\d{2,}(?:[-\s./]\d{3,}){1,5}(?![\d./-])|(?<!\d)\d{10,}(?!\d)"),
        "[番号]",
        lambda found: _digit_count(found) >= 10,
    ),
    # Street addresses: a town name then 丁目・番(地)・号, or a block-lot-house triple (4-5-6, 4の5の6).
    (
        re.compile(
            "|".join(
                [
                    TOWN + DIGITS + r"丁目\s?(?:" + DIGITS + r"\s?番地?\s?(?:" + DIGITS + r"\s?号?)?"
                    + r"|" + DIGITS + r"(?:-" + DIGITS + r")?)?",
                    TOWN + DIGITS + r"番地\s?(?:の\s?)?" + DIGITS + r"(?:号|番)?",
                    TOWN + DIGITS + r"番\s?" + DIGITS + r"号",
                    # Not the numbered measures of the plans (取組3-1-2).
                    TOWN + r"(?<![施策取組第章節項])\d+(?:-\d+){2}(?!-?\d)(?:\s?\d*号室)?",
                    TOWN + r"\d+の\d+の\d+",
                ]
            )
        ),
        "[住所]",
        None,
    ),
]

NAME_PLACEHOLDER = "[氏名]"
HONORIFICS = ("さん", "様", "さま", "くん", "君", "ちゃん", "氏", "先生", "と申し", "といい", "と言い")
NAME_INTRODUCTIONS = ("名前は", "氏名は", "名前:", "氏名:", "名前", "氏名", "私は", "わたしは")
# Place names of the wards that Sudachi also knows as surnames: in residents' questions they are places.
PLACES_NOT_NAMES = frozenset({"神田", "上野", "浅草", "蔵前", "谷中", "根岸", "竜泉", "蒲田", "大森", "羽田", "馬込"})


def wards_read(wards: Iterable[str]) -> tuple[str, ...]:
    """Return the wards' names as they read, in katakana (台東区: タイトウク)."""
    return tuple("".join(reading for *_, reading in tokenize(name)) for name in wards)


def keyed_hash(value: str) -> str:
    """Return the app's keyed SHA-256 of a value (a LINE user id, an address), so it is matched without being kept."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else key.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_personal_data(text: str, ward_readings: tuple[str, ...]) -> str:
    """Return text, NFKC-normalized, with personal names, numbers, ids and addresses as placeholders.

    ward_readings are how the names of the wards the bot serves read (wards_read): typed in kana, they read like
    people's names.
    """
    text = unicodedata.normalize("NFKC", text)
    shadow = text.translate(_AS_ASCII)
    for pattern, placeholder, accept in _PATTERNS:
        masked = _masked(text, shadow, pattern, placeholder, accept)
        if masked is not text:  # the ASCII-digit copy is made again only when a pattern changed the text
            text, shadow = masked, masked.translate(_AS_ASCII)
    return _masked_names(text, ward_readings)


def _masked(text: str, shadow: str, pattern: re.Pattern[str], placeholder: str, accept) -> str:
    """Replace each accepted match of pattern (or its `mask` group) in text, found on shadow, its ASCII-digit copy.

    Return text itself when nothing is replaced.
    """
    group = "mask" if "mask" in pattern.groupindex else 0
    pieces, last = [], 0
    for match in pattern.finditer(shadow):
        start, end = match.span(group)
        if accept is not None and not accept(match.group(group)):
            continue
        pieces += [text[last:start], placeholder]
        last = end
    return "".join(pieces) + text[last:] if pieces else text


def _masked_names(text: str, ward_readings: tuple[str, ...]) -> str:
    """Replace people's names (Sudachi's 固有名詞・人名) with one placeholder per name.

    A lone surname is also a place (今戸, 金杉) or part of a word (マイナ): it counts as a name only
    when a given name follows it, an honorific (さん, 様) follows it, or 名前は/氏名 comes before it.
    """
    # The question just answered was tokenized as it is here: unless a pattern above masked something, that is reused.
    morphemes = [(surface, pos) for surface, pos, *_ in tokenize(text)]
    pieces: list[str] = []
    i = 0
    while i < len(morphemes):
        end = i
        while end < len(morphemes) and _is_name_part(*morphemes[end]):
            end += 1
        run = "".join(surface for surface, _ in morphemes[i:end])
        # A ward's name typed in kana reads to Sudachi as a full name (おおたくにも: おおた くに): it is a place.
        if end > i and not run.translate(TO_KATAKANA).startswith(ward_readings) and (
            _full_name(morphemes[i:end]) or _named_by_context(morphemes, i, end)
        ):
            pieces.append(NAME_PLACEHOLDER)
            i = end
            continue
        pieces.append(morphemes[i][0])
        i += 1
    return "".join(pieces)


def _is_name_part(surface: str, pos: tuple[str, ...]) -> bool:
    """Say whether a morpheme is a surname or given name, leaving out the wards' place names."""
    return pos[1] == "固有名詞" and pos[2] == "人名" and surface not in PLACES_NOT_NAMES


def _full_name(parts: list[tuple[str, tuple[str, ...]]]) -> bool:
    """Say whether name parts read as a full name (山田太郎), not two stray characters (何章)."""
    return len(parts) >= 2 and sum(len(surface) for surface, _ in parts) >= 3


def _named_by_context(morphemes: list[tuple[str, tuple[str, ...]]], start: int, end: int) -> bool:
    """Say whether the words around a lone surname or given name show it is a person's name."""
    after = "".join(surface for surface, _ in morphemes[end : end + 3])
    before = "".join(surface for surface, _ in morphemes[max(0, start - 3) : start])
    return after.startswith(HONORIFICS) or before.endswith(NAME_INTRODUCTIONS)
