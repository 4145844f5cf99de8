"""The ward-faq command: serve, ask, eval, eval-staff, kpi, corpus stats, index build."""
from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from tqdm import tqdm

from bot.db import FaqEntry, bump_index_revision, get_db
from bot.kpi import KpiFilter, day_option, kpi
from bot.live_index import get_answerer, get_live_index
from bot.retention import log_cli
from bot.service import sources_of
from bot.staff.accounts import staff_cli
from index.cache import build_index_cache
from index.corpus import read_jsonl
from index.text import squash


def register(app: Flask) -> None:
    """Add the ward-faq commands to the app's CLI."""
    app.cli.add_command(ask_command)
    app.cli.add_command(eval_command)
    app.cli.add_command(eval_staff_command)
    app.cli.add_command(kpi_command)
    app.cli.add_command(corpus)
    app.cli.add_command(staff_cli)
    app.cli.add_command(log_cli)


def create_cli_app() -> Flask:
    """Create the app for the command line."""
    from bot import create_app  # the package imports this module to register the commands: import it late

    return create_app()


main = FlaskGroup(create_app=create_cli_app, add_version_option=False, help="ward-faq: the ward FAQ chatbot.")


# Not an app command: the app refuses to start on an outdated schema, and this is what brings it up to date.
@main.group("db", cls=click.Group)
def db_cli() -> None:
    """Keep the database's schema: Alembic migrations shipped with the package."""


def configured_engine():
    """Return an engine on the configured database, its instance folder made for a SQLite file."""
    from bot import configured_app
    from bot.db import make_engine

    app = configured_app()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return make_engine(app.config["DATABASE_URL"])


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to this release's schema, keeping every row; run it before starting a new release."""
    from bot import schema

    before, after = schema.upgrade(configured_engine())
    click.echo(f"database schema: {before or '(empty)'} -> {after}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="what the migration changes, e.g. 'add questions.suggested_from'")
def db_revision(message: str) -> None:
    """Write a new migration in bot/migrations/versions from what the models add to the database's schema."""
    from alembic import command

    from bot import schema

    head = schema.head_revision()
    with configured_engine().begin() as connection:
        if schema.current_revision(connection) != head:
            raise click.ClickException("run `ward-faq db upgrade` first: the migration is written against the latest schema")
        command.revision(schema.alembic_config(connection), message=message, autogenerate=True,
                         rev_id=f"{int(head) + 1:04d}")


# A command of ward-faq itself, not of the app: no app is made in this process. Gunicorn makes it, after its
# settings have prepared the metrics folder, and outside any app context (one shared by every request would
# hand a transaction one request left open or broken to the next).
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


@dataclass
class Score:
    """How a question set was answered: per ward and answerability [right, asked], the failures, and rescues."""

    counts: dict[tuple[str, bool], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    failures: list = field(default_factory=list)
    abstained: int = 0  # answerable questions the bot abstained on …
    rescued: int = 0  # … of which one tap on a suggestion answers

    def rate(self, ward: str, answerable: bool) -> str:
        """Say right/asked = share for one cell."""
        hit, total = self.counts.get((ward, answerable), [0, 0])
        return f"{hit}/{total} = {hit / total:.1%}" if total else "-"


def score(answerer, rows: list[dict], desc: str = "eval") -> Score:
    """Score answers as an outside evaluator does."""
    result = Score()
    for row in tqdm(rows, desc=desc, unit="q", file=sys.stderr):
        answer = answerer.answer(row["question"], row.get("ward"))
        if row["answerable"]:
            ok = scores(answer, row)
            if not answer.resolved:
                # 「もしかして」: does one tap on a suggestion answer it, by the same rule?
                result.abstained += 1
                result.rescued += any(scores(answerer.answer(s, row.get("ward")), row) for s in answer.suggestions)
        else:
            ok = not answer.resolved
        for ward in ("all", row.get("ward") or "(なし)"):
            result.counts[(ward, row["answerable"])][0] += ok
            result.counts[(ward, row["answerable"])][1] += 1
        if not ok:
            result.failures.append((row, answer))
    return result


def scores(answer, row: dict) -> bool:
    """Say whether an answer counts for an answerable question: resolved, with one of its expected phrases."""
    return answer.resolved and any(squash(e) in squash(answer.text) for e in row["expect_any"])


@click.command("eval")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_command(path: Path) -> None:
    """Score the answers to a question set (answerable hit@1, unanswerable abstention), per ward."""
    result = score(get_answerer(), read_jsonl(path))
    for row, answer in result.failures:
        told = answer.text[:80] if answer.resolved else "(abstained)"
        source = answer.hits[0].unit.id if answer.hits else "-"
        click.echo(f"FAIL {row['id']} {row['question']}")
        click.echo(f"  expected: {'、'.join(row['expect_any']) or '(abstain)'}")
        click.echo(f"  answered [{source}]: {told}")
    click.echo(f"{'ward':<10}{'answerable hit@1':>22}{'unanswerable abstention':>28}")
    for ward in ["all", *sorted({w for w, _ in result.counts} - {"all"})]:
        click.echo(f"{ward:<10}{result.rate(ward, True):>22}{result.rate(ward, False):>28}")
    if result.abstained:
        click.echo(
            "answerable questions abstained on, answered by one tap on a suggestion: "
            f"{result.rescued}/{result.abstained} = {result.rescued / result.abstained:.1%}"
        )


@click.command("eval-staff")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dev", "dev_path", default="tests/data/eval.jsonl", show_default=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="the development question set")
def eval_staff_command(path: Path, dev_path: Path) -> None:
    """Publish one FAQ entry per topic of a wording set (from its first wording) into a scratch database, then
    count the later wordings answered by their own entry and those hijacked by another, and score the dev set
    before and after."""
    from bot import create_app  # a second app, on a scratch database, sharing this one's corpus index

    topics, dev = read_jsonl(path), read_jsonl(dev_path)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{Path(scratch) / 'eval-staff.sqlite'}",
            "SECRET_KEY": "eval-staff",
            "CORPUS_RETRIEVER": get_live_index().corpus_retriever,
        })
        with app.app_context():
            before = score(get_answerer(), dev, "dev before")
            db = get_db()
            entries = [
                FaqEntry(ward=t["ward"], question=t["wordings"][0], answer=t["answer"], department=t.get("department"),
                         created_by="eval-staff")
                for t in topics
            ]
            db.add_all(entries)
            db.flush()
            bump_index_revision(db)
            db.commit()
            answerer = get_answerer()
            results: dict[str, Counter] = {"ward": Counter(), "no ward": Counter()}
            for topic, entry in tqdm(list(zip(topics, entries)), desc="topics", unit="topic", file=sys.stderr):
                for wording in topic["wordings"][1:]:
                    for scope, ward in (("ward", topic["ward"]), ("no ward", None)):
                        answer = answerer.answer(wording, ward)
                        unit = answer.hits[0].unit if answer.resolved and answer.hits else None
                        if unit is not None and unit.id == f"faq-{entry.id}":
                            outcome = "own"
                        elif unit is not None and unit.kind == "faq":
                            outcome = "hijacked"
                            click.echo(f"HIJACKED [{scope}] {wording} → {unit.title}（{topic['topic']}）")
                        else:
                            outcome = "corpus" if unit is not None else "unresolved"
                        results[scope][outcome] += 1
            after = score(answerer, dev, "dev after")
            db.close()
        app.extensions["ward_faq.engine"].dispose()
    click.echo(f"{len(topics)} entries published from {path.name}; later wordings asked with the topic's ward and with none")
    for scope, counter in results.items():
        total = sum(counter.values())
        click.echo(
            f"  {scope:<8} own entry {counter['own']}/{total} = {counter['own'] / total:.1%}, hijacked {counter['hijacked']}, "
            f"corpus answered {counter['corpus']}, unresolved {counter['unresolved']}"
        )
    click.echo(f"dev set {dev_path.name}: answerable hit@1 {before.rate('all', True)} → {after.rate('all', True)}, "
               f"unanswerable abstention {before.rate('all', False)} → {after.rate('all', False)}")
    already = {row["id"] for row, _ in before.failures}
    for row, answer in after.failures:
        if row["id"] not in already:  # what the entries changed: a staff answer where the set expects another
            click.echo(f"  dev {row['id']} {row['question']} → {answer.hits[0].unit.title if answer.hits else '(abstained)'}")


@click.command("kpi")
@with_appcontext
@click.option("--from", "start", callback=day_option, default=None, metavar="YYYY-MM-DD")
@click.option("--to", "end", callback=day_option, default=None, metavar="YYYY-MM-DD")
@click.option("--ward", default=None)
@click.option("--channel", type=click.Choice(["web", "line", "api"]), default=None)
def kpi_command(start, end, ward: str | None, channel: str | None) -> None:
    """Print the unresolved rate, overall and per day (the same figures as /api/kpi)."""
    figures = kpi(get_db(), KpiFilter(start, end, ward, channel))
    click.echo(f"total {figures['total']}  unresolved {figures['unresolved']}  rate {figures['unresolved_rate']:.2%}")
    for day in figures["by_day"]:
        click.echo(f"{day['date']}  {day['total']:>5}  {day['unresolved']:>5}")


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


index_cli = click.Group("index", help="Build the corpus index.")


@index_cli.command("build")
def index_build() -> None:
    """Build the corpus index from scratch and write its cache, which every later start loads instead."""
    from bot import configured_app  # the package imports this module to register the commands: import it late

    # Only the app's settings are read: creating the app would load or build the index before this command could.
    app = configured_app()
    loaded = build_index_cache(app.config["CORPUS_DIR"], app.config["INDEX_CACHE"], progress=True)
    units = len(loaded.retriever.units)
    click.echo(f"index built: {units} units in {loaded.seconds:.2f} s, cached in {loaded.cache_file}")


main.add_command(index_cli)
