"""The built corpus index is cached on disk: loaded when it matches, rebuilt when the corpus changed or the file is bad."""
from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from index.analysis import Analyzer
from index.answering import Answerer, load_wards
from index.cache import cache_file, load_index
from index.corpus import DEFAULT_CORPUS_DIR

WARD_FAQ = Path(sys.executable).with_name("ward-faq")
NEW_QUESTION = "ぴよぴよ端末の貸し出しはしていますか"


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Return a copy of the corpus that a test may change."""
    return Path(shutil.copytree(DEFAULT_CORPUS_DIR, tmp_path / "corpus"))


def add_question(corpus: Path, unit_id: str, question: str) -> None:
    """List one more residents' question for a unit, as an editor of corpus/questions.json would."""
    path = corpus / "questions.json"
    asked = json.loads(path.read_text(encoding="utf-8"))
    asked[unit_id].append(question)
    path.write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")


def answers(retriever, questions: list[tuple[str, str | None]]) -> list[tuple[bool, str, list]]:
    """Answer questions and keep what a resident sees and the ranking."""
    answerer = Answerer(retriever, load_wards(DEFAULT_CORPUS_DIR / "wards.json"))
    found = []
    for question, ward in questions:
        answer = answerer.answer(question, ward)
        found.append((answer.resolved, answer.text, [(h.unit.id, h.score) for h in answer.hits]))
    return found


def test_the_cache_is_written_then_loaded_and_answers_the_same(corpus, tmp_path):
    cache = tmp_path / "cache"
    built = load_index(corpus, cache)
    assert built.built and built.cache_file.exists() and built.cache_file.parent == cache
    loaded = load_index(corpus, cache)
    assert not loaded.built and loaded.cache_file == built.cache_file
    assert isinstance(loaded.retriever.analyzer, Analyzer)
    assert [u.id for u in loaded.retriever.units] == [u.id for u in built.retriever.units]
    # Which units' suggested questions quote them is kept with the index, not worked out again at load.
    assert loaded.retriever.suggestion_checks == built.retriever.suggestion_checks != {}
    rows = [json.loads(line) for line in (Path(__file__).parent / "data" / "eval.jsonl").read_text().splitlines()]
    questions = [(row["question"], row.get("ward")) for row in rows]
    assert answers(loaded.retriever, questions) == answers(built.retriever, questions)


def test_a_changed_corpus_is_rebuilt_and_the_old_cache_removed(corpus, tmp_path):
    cache = tmp_path / "cache"
    first = load_index(corpus, cache)
    unit_id = first.retriever.units[0].id
    add_question(corpus, unit_id, NEW_QUESTION)
    second = load_index(corpus, cache)
    assert second.built and second.cache_file != first.cache_file
    assert NEW_QUESTION in second.retriever.units[0].asked
    assert list(cache.iterdir()) == [second.cache_file]
    assert not load_index(corpus, cache).built


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle at all", pickle.dumps({"units": []}), pickle.dumps("x")[:-3]],
    ids=["empty", "garbage", "another object", "truncated"],
)
def test_a_bad_cache_file_is_rebuilt_with_a_warning(corpus, tmp_path, caplog, content):
    cache = tmp_path / "cache"
    path = cache_file(corpus, cache)
    cache.mkdir()
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="ward_faq.index"):
        loaded = load_index(corpus, cache)
    assert loaded.built and len(loaded.retriever.units) > 200
    assert any("unreadable" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert not load_index(corpus, cache).built  # the rebuilt file replaced the bad one


def test_a_cache_folder_that_cannot_be_written_costs_a_rebuild_not_a_crash(corpus, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ward_faq.index"):
        loaded = load_index(corpus, blocked / "cache")
    assert loaded.built and len(loaded.retriever.units) > 200
    assert any("not written" in r.getMessage() for r in caplog.records)


def test_index_build_writes_the_cache_the_app_then_loads(corpus, tmp_path):
    cache = tmp_path / "cache"
    env = {"WARD_FAQ_CORPUS_DIR": str(corpus), "WARD_FAQ_INDEX_CACHE": str(cache)}
    result = CliRunner().invoke(main, ["index", "build"], env=env)
    assert result.exit_code == 0, result.output
    assert "index built:" in result.output and str(cache_file(corpus, cache)) in result.output
    assert not load_index(corpus, cache).built


def test_a_new_process_loads_the_cache_and_picks_up_a_corpus_change(corpus, tmp_path):
    env = os.environ | {"WARD_FAQ_CORPUS_DIR": str(corpus), "WARD_FAQ_INDEX_CACHE": str(tmp_path / "cache")}
    env["WARD_FAQ_DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite'}"

    def run(*args: str) -> str:
        command = [str(WARD_FAQ), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout

    def questions_listed(stats: str) -> int:
        return int(next(line for line in stats.splitlines() if line.startswith("total")).split()[-1])

    first = run("corpus", "stats")
    assert "index built" in first
    answered = run("ask", "マイナカードでできる手続きは？", "--ward", "台東区")
    assert "index loaded from cache" in answered and "resolved: true" in answered
    add_question(corpus, "004-qa-06", NEW_QUESTION)
    changed = run("corpus", "stats")
    assert "index built" in changed
    assert questions_listed(changed) == questions_listed(first) + 1
