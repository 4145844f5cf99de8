"""The ward-faq command line: ask, eval, corpus stats, serve's help."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from index.corpus import DEFAULT_CORPUS_DIR, load_units


def test_ask_prints_the_answer_sources_and_department(runner):
    result = runner.invoke(args=["ask", "大田区の情報化推進計画の進行管理は誰がするのですか", "--ward", "大田区"])
    assert result.exit_code == 0, result.output
    assert "resolved: true" in result.output
    assert "庁内ICT推進本部" in result.output
    assert "source: 大田区 / " in result.output and "department: " in result.output


def test_ask_says_when_it_does_not_know(runner):
    result = runner.invoke(args=["ask", "燃えるごみの収集日は何曜日ですか", "--ward", "大田区"])
    assert result.exit_code == 0
    assert "resolved: false" in result.output and "大田区役所" in result.output


def test_eval_scores_answerable_and_unanswerable_questions_per_ward(runner, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "A", "question": "大田区の情報化推進計画の進行管理は誰がするのですか", "ward": "大田区",
         "answerable": True, "expect_any": ["庁内 ICT推進本部"], "where": ""},
        {"id": "B", "question": "大田区の情報化推進計画の進行管理は誰がするのですか", "ward": "大田区",
         "answerable": True, "expect_any": ["どこにもない言葉"], "where": ""},
        {"id": "C", "question": "燃えるごみの収集日は何曜日ですか", "ward": "大田区",
         "answerable": False, "expect_any": [], "where": ""},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner.invoke(args=["eval", str(questions)])
    assert result.exit_code == 0, result.output
    assert "FAIL B" in result.output and "FAIL A" not in result.output and "FAIL C" not in result.output
    assert "1/2 = 50.0%" in result.output  # whitespace in an expected phrase is ignored, as the rule says
    assert "1/1 = 100.0%" in result.output


def test_corpus_stats_counts_units_per_document_and_kind(runner):
    result = runner.invoke(args=["corpus", "stats"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[1:] == ["glossary", "passage", "qa", "questions"]
    row_004 = next(line for line in lines if line.startswith("004 "))
    assert row_004.split()[-4:-1] == ["0", "1", "31"]  # its card
    listed = json.loads((DEFAULT_CORPUS_DIR / "questions.json").read_text(encoding="utf-8"))
    # 179 passages, 32 KPI rows, 14 survey results and 5 document cards; their questions are written by rule.
    units = load_units(DEFAULT_CORPUS_DIR)
    by_rule = sum(len(u.asked) for u in units if u.id not in listed)
    assert lines[-1].split() == ["total", "31", "230", "47", str(sum(map(len, listed.values())) + by_rule)]


def test_serve_has_host_and_port_options():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
