"""extract_comments on the real corpus texts."""
from __future__ import annotations

import re

import pytest

from index.comments import extract_comments
from index.corpus import DEFAULT_CORPUS_DIR, load_documents
from index.units import QA, Unit

DOCUMENTS = {document.id: document for document in load_documents()}


def text_of(doc_id: str) -> str:
    return (DEFAULT_CORPUS_DIR / "documents" / f"{doc_id}.txt").read_text(encoding="utf-8")


def extract(doc_id: str) -> tuple[list[Unit], str]:
    return extract_comments(DOCUMENTS[doc_id], text_of(doc_id))


def unit(doc_id: str, number: int) -> Unit:
    units = {u.id: u for u in extract(doc_id)[0]}
    return units[f"{doc_id}-qa-{number:02d}"]


ALL_UNITS = [u for doc_id in DOCUMENTS for u in extract(doc_id)[0]]


@pytest.mark.parametrize(("doc_id", "count"), [("000", 4), ("001", 0), ("002", 0), ("003", 12), ("004", 31)])
def test_one_unit_per_comment_row(doc_id: str, count: int) -> None:
    units, _ = extract(doc_id)
    assert len(units) == count
    assert [u.id for u in units] == [f"{doc_id}-qa-{n:02d}" for n in range(1, count + 1)]


def test_002_results_table_is_a_topic_summary_without_replies() -> None:
    # 002 only lists the 7 topics of its 7 comments (意見内容) — no comment text, no reply to quote.
    text = text_of("002")
    assert "意見受付件数\t7件 4名" in text
    topics = re.search(r"^意見内容\t(.*)$", text, re.MULTILINE)
    assert topics and topics.group(1).count("<li>") == 7
    assert extract("002") == ([], text)


def test_document_without_comments_is_returned_unchanged() -> None:
    assert extract("001") == ([], text_of("001"))


def test_ids_are_unique_and_units_are_qa() -> None:
    assert len({u.id for u in ALL_UNITS}) == len(ALL_UNITS) == 47
    for u in ALL_UNITS:
        assert u.kind == QA
        assert u.doc_id == DOCUMENTS[u.doc_id].id
        assert u.ward == DOCUMENTS[u.doc_id].ward
        assert u.document == DOCUMENTS[u.doc_id].title
        assert u.headings == (u.section,)
        assert u.text


def test_section_uses_the_rows_own_number() -> None:
    assert unit("000", 4).section == "パブリックコメント 意見4"
    assert unit("004", 31).section == "パブリックコメント 意見31"


def test_no_html_left_and_paragraphs_kept_as_lines() -> None:
    for u in ALL_UNITS:
        for field in (u.question, u.text, u.title):
            assert not re.search(r"</?[a-zA-Z][^>]*>", field), u.id
            assert not re.search(r"&(?:[a-z]+|#\d+);", field), u.id
    first = unit("000", 1).question.split("\n")
    assert first[0].startswith("23区において台東区のDX化は非常に遅れをとっていると思います。")
    assert first[1].startswith("働き世代として、")
    # The link in 003's first comment keeps its text.
    assert "https://www.tokyo-np.co.jp/article/370183" in unit("003", 1).question


def test_header_rows_are_not_units() -> None:
    headers = {"No.", "分野", "要旨", "区の考え方", "意見", "意見内容", "回答案", "該当箇所", "項番"}
    for u in ALL_UNITS:
        assert u.question not in headers and u.text not in headers
        assert not u.text.startswith("区の考え方") and not u.text.startswith("回答案")


def test_pdf_spaces_inside_japanese_words_are_removed() -> None:
    assert unit("004", 1).question == "区民の利用者目線でのデジタル化を進めて欲しい。"
    assert unit("004", 4).question.startswith("計画の進行管理は誰がするのか。")
    assert "「〜行います。」" in unit("004", 4).question
    assert "デジ タル" not in unit("004", 1).question


def test_spaces_next_to_ascii_and_full_width_forms_are_kept() -> None:
    assert "生成 AI の登場" in unit("003", 4).question
    assert "2025 年 3 月" in unit("003", 1).question
    assert "Web 会議" in unit("004", 29).text
    assert "（目標1 施策1 行政手続き等のオンライン化によるサービス向上）" in unit("000", 1).text


def test_continuation_line_is_joined_into_its_row() -> None:
    # 004's line after row 5 has an empty No. and 要旨: its reply and 分野 cells continue row 5.
    row = unit("004", 5)
    assert row.question == "デジタル庁との棲み分けは。"
    assert row.text.endswith("区は、今後も、国の動向を捉え、区民の利便性向上に資するデジタル化を推進してまいります。")
    assert row.measure == "第2章 計画策定の背景国や都の情報化に関する動向"
    assert unit("004", 6).question == "基幹系システムとは何か。"


def test_rows_whose_number_was_lost_fill_the_gap() -> None:
    # 004 prints rows 11 and 21 without a No.; they are whole rows, not continuations.
    assert unit("004", 11).question.startswith("デジタル技術の活用、新技術の活用について")
    assert unit("004", 21).question.startswith("システム設計の標準化を行わずに")
    assert "地域情報プラットフォーム標準仕様" in unit("004", 21).text
    assert "ICTリテラシーの向上" in unit("004", 20).text
    assert "地域情報プラットフォーム" not in unit("004", 20).text


def test_004_row_20_lost_its_comment_in_the_pdf() -> None:
    row = unit("004", 20)
    assert row.question == ""
    assert row.title == row.section


def test_measure_is_extracted() -> None:
    assert unit("000", 1).measure == "目標1 施策1 行政手続き等のオンライン化によるサービス向上、目標1 施策5 子育てDXの推進"
    assert unit("000", 3).measure == "目標3 施策18 DX推進体制の強化"
    assert unit("003", 1).measure == "全体"
    assert unit("003", 5).measure == "基本的な考え方、重点方針と取組み"
    assert unit("003", 7).measure == "全体、重点方針と取組み"
    assert unit("004", 31).measure == "第5章 計画推進に向けた体制"
    assert unit("004", 12).measure == "第4章 情報化への取組"


def test_measure_spilled_onto_the_next_row_goes_back() -> None:
    # The PDF printed the end of row 7's 分野 ("に関する動向") at the top of row 8's.
    assert unit("004", 7).measure == "第2章 計画策定の背景国や都の情報化に関する動向"
    assert unit("004", 8).measure == "第2章 計画策定の背景国や都の情報化に関する動向"


def test_doubled_span_from_the_converter_is_removed() -> None:
    reply = unit("004", 25).text
    assert reply.count("参考: 取組30") == 1
    assert reply.endswith("取組32 職員の情報セキュリティ教育・研修の実施素案64ページ")


def test_department_named_near_the_table() -> None:
    assert {u.department for u in extract("000")[0]} == {"情報政策課"}
    assert {u.department for u in extract("003")[0]} == {"デジタル政策課"}
    assert {u.department for u in extract("004")[0]} == {None}  # 004 names no 課


def test_title_is_the_comments_first_words() -> None:
    assert unit("000", 3).title == "セキュリティ対策強化の視点が薄く感じる。"
    assert unit("004", 4).title == "計画の進行管理は誰がするのか。"  # not cut inside 「〜前提とします。」
    assert unit("000", 2).title.endswith("…") and len(unit("000", 2).title) == 41
    for u in ALL_UNITS:
        assert len(u.title) <= 41


def test_remaining_text_keeps_everything_but_the_comment_rows() -> None:
    _, rest = extract("003")
    assert "東京共同電子申請" not in rest
    assert "No.\t該当箇所" not in rest
    assert "募集期間：令和7年1月5日～1月20日" in rest
    assert "## 令和 7 年度における区民参加型デジタルプロジェクトについて" in rest
    assert "受講者\t224名\t49名" in rest  # a later, unrelated table stays
    _, rest = extract("000")
    assert "港区が全手続き" not in rest
    assert "意見受付期間\t令和7年12月17日（水）～令和8年1月7日（水）" in rest
    assert "項番\t頁\t変更箇所\t変更内容" in rest  # the table of changes is not a comment table
    _, rest = extract("004")
    assert "\t" not in rest
    assert rest.startswith("## (仮称) 大田区情報化推進計画 (素案) への意見等の要旨と区の考え方\n")


def test_remaining_text_keeps_line_structure() -> None:
    text = text_of("003")
    _, rest = extract("003")
    before_table = text.split("\nNo.\t")[0]
    assert rest.startswith(before_table)
    after_table = text[text.index("## 令和 7 年度") :]
    assert rest.endswith(after_table)
