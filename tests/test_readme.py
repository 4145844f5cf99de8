"""The README's API examples work as pasted against the app as deployed (`ward-faq serve`, gunicorn)."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import click
import pytest
from flask import has_app_context
from flask.cli import ScriptInfo

from bot.cli import main
from servers import ROOT, ward_faq_serve

README_URL = "http://127.0.0.1:8000"


def api_curl_examples() -> list[str]:
    """Return the curl commands of the README's API section, each joined onto one line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [command for command in block.replace("\\\n", " ").splitlines() if command.startswith("curl ")]


def test_the_readme_api_examples_reach_every_endpoint_but_the_line_webhook():
    commands = " ".join(api_curl_examples())
    for path in ("/api/ask", "/api/feedback", "/api/kpi", "/healthz", "/metrics", "/openapi.json"):
        assert path in commands


def test_every_curl_example_of_the_readme_api_section_works_as_pasted(tmp_path):
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed: the README's examples use it")
    env = {"WARD_FAQ_DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite'}", "WARD_FAQ_SECRET_KEY": "test"}
    with ward_faq_serve(env, workers=1) as url:
        asked_id = None
        for command in api_curl_examples():
            command = command.replace(README_URL, url)
            if asked_id:
                command = command.replace("ID-FROM-ASK", asked_id)
            # A status line after the body, so that an HTML error page from the server cannot pass.
            done = subprocess.run(command + " -w '\\n%{http_code}'", shell=True, capture_output=True,
                                  encoding="utf-8", errors="replace", timeout=60, check=True)
            body, status = done.stdout.rsplit("\n", 1)
            assert status == "200", (command, status, body)
            if "/metrics" in command:
                assert "ward_faq_asks_total" in body  # Prometheus text, not JSON
                continue
            answer = json.loads(body)
            if "/api/ask" in command:
                asked_id = answer["id"]
                assert answer["resolved"] and answer["sources"]
            if "/api/kpi" in command:
                assert {"total", "unresolved", "unresolved_rate", "by_day"} <= answer.keys()
            if "/openapi.json" in command:
                assert answer["openapi"].startswith("3.1")


def test_the_readme_lists_every_module_of_bot_and_index_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listing = readme.split("The code, file by file:", 1)[1].split("```", 2)[1]
    listed = {line.split()[0] for line in listing.splitlines() if line.strip()}
    modules = [path for package in ("bot", "index") for path in (ROOT / package).rglob("*.py")
               if "migrations" not in path.parts]
    # Package markers are not listed, but bot/__init__.py is: it holds the app factory.
    present = {str(path.relative_to(ROOT)) for path in modules
               if path.name != "__init__.py" or path == ROOT / "bot" / "__init__.py"}
    assert listed == present


def command_line_examples() -> list[list[str]]:
    """Return the words of each `ward-faq` command of the README's Command line section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.strip()]


def test_every_command_of_the_readme_command_line_section_exists(app):
    examples = command_line_examples()
    assert len(examples) >= 10
    for words in examples:
        # Closed at the end of the block: looking up an app command pushes an app context that must not outlive it.
        with click.Context(main, obj=ScriptInfo(create_app=lambda: app)) as context:
            command = main
            for word in words:
                if not isinstance(command, click.Group):
                    break  # the rest are the command's arguments and options
                command = command.get_command(context, word)
                assert command is not None, f"the README names `ward-faq {' '.join(words)}`, which does not exist"
            assert not isinstance(command, click.Group), words
            with command.make_context(command.name, words[words.index(command.name) + 1:], parent=context):
                pass  # its arguments parse
    assert not has_app_context()


def test_the_readme_gives_the_widget_script_size_it_has():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"Size: ([\d,]+) bytes", readme).group(1)
    assert int(stated.replace(",", "")) == (ROOT / "bot" / "static" / "widget.js").stat().st_size
