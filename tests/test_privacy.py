"""Personal data is masked before a question is stored."""
from __future__ import annotations

import pytest

from bot.privacy import mask_personal_data


@pytest.mark.parametrize(
    ("text", "hidden", "placeholder"),
    [
        ("電話は03-1234-5678です", "03-1234-5678", "[電話番号]"),
        ("携帯 090-1234-5678 に", "090-1234-5678", "[電話番号]"),
        ("09012345678まで", "09012345678", "[電話番号]"),
        ("(03)5246-1111", "5246-1111", "[電話番号]"),
        ("taro.yamada+faq@example.co.jp へ", "taro.yamada", "[メールアドレス]"),
        ("マイナンバーは1234 5678 9012です", "1234 5678 9012", "[個人番号]"),
        ("番号123456789012", "123456789012", "[個人番号]"),
        ("〒110-8615に送って", "110-8615", "[郵便番号]"),
        ("台東区東上野4丁目5番6号に住んでます", "東上野4丁目5番6号", "[住所]"),
        ("東上野4-5-6のマンション", "4-5-6", "[住所]"),
    ],
)
def test_personal_data_is_masked(text, hidden, placeholder):
    masked = mask_personal_data(text)
    assert hidden not in masked
    assert placeholder in masked


@pytest.mark.parametrize(
    "text",
    ["令和7年1月5日～1月20日の募集", "施策10の目標は70%", "取組1-2の予定", "2025年にスマホ講座はありますか"],
)
def test_ordinary_numbers_are_kept(text):
    import unicodedata

    assert mask_personal_data(text) == unicodedata.normalize("NFKC", text)
