"""Installed from the wheel, outside the checkout: the corpus ships inside, state lives in ./instance, nothing shadows us."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot import create_app
from helpers import corpus_retriever
from servers import ROOT, gunicorn


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Build the wheel, install it in a new venv (dependencies from pip's cache) and return the venv's bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(work / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((work / "dist").glob("ward_faq-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    bin_dir = work / "venv" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    return bin_dir


@pytest.mark.slow
def test_the_installed_command_answers_from_an_empty_folder_and_keeps_its_state_there(installed, tmp_path):
    upgrade = subprocess.run([str(installed / "ward-faq"), "db", "upgrade"], cwd=tmp_path, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "database schema: (empty) -> " in upgrade.stdout  # the migrations ship in the wheel
    build = subprocess.run([str(installed / "ward-faq"), "index", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert list((tmp_path / "instance" / "index-cache").glob("*.pickle")), "the index is cached in ./instance"
    result = subprocess.run(
        [str(installed / "ward-faq"), "ask", "マイナカードでできる手続きは？", "--ward", "台東区"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "resolved: true" in result.stdout
    assert "マイナンバーカード" in result.stdout and "source: 台東区 / " in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance"]
    assert {"secret_key", "ward-faq.sqlite"} <= {p.name for p in (tmp_path / "instance").iterdir()}


@pytest.mark.slow
def test_the_installed_app_serves_answers_under_gunicorn_from_an_empty_folder(installed, tmp_path):
    with gunicorn({"WARD_FAQ_SECRET_KEY": "test"}, workers=1, bin_dir=installed, cwd=tmp_path) as url:
        body = json.dumps({"question": "スマホの使い方を教えてもらえる講座はありますか", "ward": "台東区"}).encode()
        request = urllib.request.Request(url + "/api/ask", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    assert answer["resolved"] is True
    assert answer["sources"][0]["ward"] == "台東区" and answer["answer"]
    assert (tmp_path / "instance" / "ward-faq.sqlite").exists()


@pytest.mark.slow
def test_the_installed_package_ships_the_word_vectors_staff_entries_are_matched_with(installed, tmp_path):
    probe = "from index.vectors import default_word_vectors as v; print(len(v().words), float(v().vector('判子') @ v().vector('印鑑')) > 0.6)"
    result = subprocess.run([str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    words, near = result.stdout.split()
    assert int(words) > 400_000 and near == "True"


@pytest.mark.parametrize("name", ["index", "ward_faq_corpus"])
def test_a_package_named_like_ours_in_the_working_directory_stops_the_start_with_one_line(tmp_path, name):
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", "import bot"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"the package '{name}' is imported from {tmp_path / name / '__init__.py'}" in result.stderr
    assert "shadows ours" in result.stderr


def test_our_own_packages_pass_the_check(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import bot"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def app_config(tmp_path) -> dict:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "CORPUS_RETRIEVER": corpus_retriever()}


def test_the_instance_folder_is_instance_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("WARD_FAQ_INSTANCE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    app = create_app(app_config(tmp_path))
    assert app.instance_path == str(tmp_path / "instance")
    assert (tmp_path / "instance" / "secret_key").exists()


def test_ward_faq_instance_dir_moves_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("WARD_FAQ_INSTANCE_DIR", str(tmp_path / "state"))
    app = create_app(app_config(tmp_path))
    assert app.instance_path == str(tmp_path / "state")
    assert (tmp_path / "state" / "secret_key").exists()
