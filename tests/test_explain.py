"""bench/explain.py names the rule that decided each answer, from the answerer's own checks."""
from __future__ import annotations

from helpers import bench_module


def test_a_detail_missing_is_named_as_what_withheld_the_answer(answerer):
    explain = bench_module("explain")
    lines = explain.explain(answerer, "台東区の電子図書館は何冊借りられるの？", "台東区", [])
    assert lines[-1].startswith("  withheld: the detail asked is missing (")


def test_an_answer_is_explained_with_its_candidates_and_the_rules_terms(answerer):
    explain = bench_module("explain")
    lines = explain.explain(answerer, "DXって何？", "台東区", ["デジタル"])
    assert lines[-1].startswith("  answered: ")
    glossary = next(i for i, line in enumerate(lines) if line.startswith("  * 002-g-028"))  # holds the phrase expected
    assert "coverage=+" in lines[glossary + 1]  # its reranker terms, weighted, on the line under it
    assert any("type_missing=" in line and "slot_given=" in line for line in lines)


def test_a_question_about_another_municipality_is_withheld_for_that(answerer):
    explain = bench_module("explain")
    answer = answerer.answer("渋谷区のDX戦略はいつ作られたの？")
    assert explain.decided_by(answer) == "withheld: about another municipality"
