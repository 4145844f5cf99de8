"""The ward-faq command line: ask, eval, eval-staff, corpus stats, serve's help."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from bot.db import FaqEntry, get_db
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
    # 179 passages, 32 KPI rows, 19 survey results (5 of them paragraphs of plan text) and 5 document cards; their
    # questions are written by rule.
    units = load_units(DEFAULT_CORPUS_DIR)
    by_rule = sum(len(u.asked) for u in units if u.id not in listed)
    assert lines[-1].split() == ["total", "31", "229", "47", str(sum(map(len, listed.values())) + by_rule)]


def test_serve_has_host_and_port_options():
    result = CliRunner().invoke(main, ["serve", "--help"])  # a command of ward-faq itself, not of the app
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_eval_staff_publishes_an_entry_per_topic_and_counts_own_and_hijacked_answers(runner, tmp_path, app):
    topics = tmp_path / "topics.jsonl"
    rows = [
        {"topic": "犬の登録", "ward": "台東区", "department": "生活衛生課",
         "answer": "犬を飼い始めたら30日以内に区へ登録が必要です。保健所の窓口で鑑札をお渡しします。",
         "wordings": ["犬の登録はどうすればいいですか", "犬の登録ってどこでするの", "ハンコの登録ってどうやるの？"]},
        {"topic": "婚姻届", "ward": "台東区", "department": "戸籍住民課",
         "answer": "婚姻届は本籍地または所在地の区市町村に提出できます。証人2名の署名が必要です。",
         "wordings": ["婚姻届を出したいです", "結婚届ってどこに出せばいいの"]},
    ]
    topics.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dev = tmp_path / "dev.jsonl"
    dev_rows = [
        {"id": "D", "question": "大田区の情報化推進計画の進行管理は誰がするのですか", "ward": "大田区",
         "answerable": True, "expect_any": ["庁内ICT推進本部"], "where": ""},
        {"id": "E", "question": "婚姻届を出したいです", "ward": "台東区", "answerable": False, "expect_any": [], "where": ""},
    ]
    dev.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in dev_rows), encoding="utf-8")
    result = runner.invoke(args=["eval-staff", str(topics), "--dev", str(dev)])
    assert result.exit_code == 0, result.output
    # 「犬の登録ってどこでするの」 and 「結婚届ってどこに出せばいいの」 find their own entries; 「ハンコの登録」 is not the dog's.
    assert "ward     own entry 2/3 = 66.7%, hijacked 0, corpus answered 0, unresolved 1" in result.output
    assert "HIJACKED" not in result.output
    assert "answerable hit@1 1/1 = 100.0% → 1/1 = 100.0%, unanswerable abstention 1/1 = 100.0% → 0/1 = 0.0%" in result.output
    assert "dev E 婚姻届を出したいです → 婚姻届を出したいです" in result.output  # what the entries changed, listed
    with app.app_context():  # the scratch database was the command's own: the app's has no entries
        assert get_db().query(FaqEntry).count() == 0
