"""The ward-faq command: serve, ask, eval, kpi, corpus stats."""
from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from tqdm import tqdm

from bot.db import get_db
from bot.kpi import KpiFilter, kpi
from bot.live_index import get_answerer, get_live_index
from bot.service import sources_of
from bot.retention import log_cli
from bot.staff.accounts import staff_cli
from index.text import squash


def register(app: Flask) -> None:
    """Add the ward-faq commands to the app's CLI."""
    app.cli.add_command(ask_command)
    app.cli.add_command(eval_command)
    app.cli.add_command(kpi_command)
    app.cli.add_command(corpus)
    app.cli.add_command(staff_cli)
    app.cli.add_command(log_cli)


def create_cli_app() -> Flask:
    """Create the app for the command line."""
    from bot import create_app  # the package imports this module to register the commands: import it late

    return create_app()


main = FlaskGroup(create_app=create_cli_app, add_version_option=False, help="ward-faq: the ward FAQ chatbot.")


# On the group itself, so no app is made in this process: gunicorn makes it, after its settings prepare the metrics.
@main.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app under gunicorn with the Procfile's settings (bot.serving): the index built once, shared by the workers."""
    click.echo(f"ward-faq: http://{host}:{port}/")
    sys.stdout.flush()  # exec replaces this process, buffers and all
    command = ["--config", "python:bot.serving", "--bind", f"{host}:{port}", "--workers", str(workers), "bot:create_app()"]
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", *command])


@click.command("ask")
@with_appcontext
@click.argument("question")
@click.option("--ward", default=None, help="台東区・千代田区・大田区")
def ask_command(question: str, ward: str | None) -> None:
    """Ask one question and print the answer, its sources and department (not logged)."""
    answer = get_answerer().answer(question, ward)
    click.echo(f"resolved: {str(answer.resolved).lower()}")
    click.echo(f"answer: {answer.text}")
    for source in sources_of(answer):
        click.echo(f"source: {source['ward']} / {source['document']} / {source['section']} (score {source['score']})")
    click.echo(f"department: {answer.department or '-'}")


@click.command("eval")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_command(path: Path) -> None:
    """Score the answers to a question set (answerable hit@1, unanswerable abstention), per ward."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerer = get_answerer()
    counts: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    abstained, rescued = 0, 0
    for row in tqdm(rows, desc="eval", unit="q", file=sys.stderr):
        answer = answerer.answer(row["question"], row.get("ward"))
        if row["answerable"]:
            ok = scores(answer, row)
            if not answer.resolved:
                # 「もしかして」: does one tap on a suggestion answer it, by the same rule?
                abstained += 1
                rescued += any(scores(answerer.answer(s, row.get("ward")), row) for s in answer.suggestions)
        else:
            ok = not answer.resolved
        for ward in ("all", row.get("ward") or "(なし)"):
            counts[(ward, row["answerable"])][0] += ok
            counts[(ward, row["answerable"])][1] += 1
        if not ok:
            failures.append((row, answer))
    for row, answer in failures:
        told = answer.text[:80] if answer.resolved else "(abstained)"
        source = answer.hits[0].unit.id if answer.hits else "-"
        click.echo(f"FAIL {row['id']} {row['question']}")
        click.echo(f"  expected: {'、'.join(row['expect_any']) or '(abstain)'}")
        click.echo(f"  answered [{source}]: {told}")
    click.echo(f"{'ward':<10}{'answerable hit@1':>22}{'unanswerable abstention':>28}")
    for ward in ["all", *sorted({w for w, _ in counts} - {"all"})]:
        cells = []
        for answerable in (True, False):
            hit, total = counts.get((ward, answerable), [0, 0])
            cells.append(f"{hit}/{total} = {hit / total:.1%}" if total else "-")
        click.echo(f"{ward:<10}{cells[0]:>22}{cells[1]:>28}")
    if abstained:
        click.echo(f"answerable questions abstained on, answered by one tap on a suggestion: {rescued}/{abstained} = {rescued / abstained:.1%}")


def scores(answer, row: dict) -> bool:
    """Say whether an answer counts for an answerable question: resolved, with one of its expected phrases."""
    return answer.resolved and any(squash(e) in squash(answer.text) for e in row["expect_any"])


@click.command("kpi")
@with_appcontext
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--ward", default=None)
@click.option("--channel", type=click.Choice(["web", "line", "api"]), default=None)
def kpi_command(start, end, ward: str | None, channel: str | None) -> None:
    """Print the unresolved rate, overall and per day (the same figures as /api/kpi)."""
    figures = kpi(get_db(), KpiFilter(to_date(start), to_date(end), ward, channel))
    click.echo(f"total {figures['total']}  unresolved {figures['unresolved']}  rate {figures['unresolved_rate']:.2%}")
    for day in figures["by_day"]:
        click.echo(f"{day['date']}  {day['total']:>5}  {day['unresolved']:>5}")


def to_date(moment) -> date | None:
    """Return the date of a click DateTime value."""
    return moment.date() if moment is not None else None


corpus = AppGroup("corpus", help="Look at the corpus.")


@corpus.command("stats")
def corpus_stats() -> None:
    """Print the number of units per document and kind, and the residents' questions listed for them."""
    retriever = get_live_index().corpus_retriever
    counts = Counter((u.doc_id, u.kind) for u in retriever.units)
    for unit in retriever.units:
        counts[(unit.doc_id, "questions")] += len(unit.asked)
    kinds = sorted({u.kind for u in retriever.units}) + ["questions"]
    click.echo(f"{'document':<60}" + "".join(f"{k:>10}" for k in kinds))
    for document in retriever.documents.values():
        label = f"{document.id} {document.ward} {document.title}"[:58]
        click.echo(f"{label:<60}" + "".join(f"{counts[(document.id, k)]:>10}" for k in kinds))
    click.echo(f"{'total':<60}" + "".join(f"{sum(v for (_, k), v in counts.items() if k == kind):>10}" for kind in kinds))
