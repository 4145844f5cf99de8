"""The schema is kept by Alembic: a database made before migrations upgrades and keeps its rows; models match."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from bot import create_app
from bot.db import Base, FaqEntry, Question, StaffUser
from bot.schema import MIGRATION_LOCK, SchemaOutdated, head_revision, upgrade
from helpers import corpus_retriever
from servers import ROOT

BEFORE_MIGRATIONS = Path(__file__).resolve().parent / "data"
OLD_ID = "0123456789abcdef0123456789abcdef"


def app_on(database_url: str):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "CORPUS_RETRIEVER": corpus_retriever()})


def make_database_before_migrations(url: str) -> None:
    """Create the tables as create_all made them before migrations, with a question, a FAQ entry and an account."""
    engine = create_engine(url)
    sql = (BEFORE_MIGRATIONS / f"schema-before-migrations.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    with engine.begin() as connection:
        for statement in filter(str.strip, ddl.split(";")):
            connection.exec_driver_sql(statement)
        connection.execute(text(
            "INSERT INTO questions (id, asked_at, channel, ward, session, text, resolved, small_talk, answer, status)"
            " VALUES (:id, '2026-11-20 01:00:00+00:00', 'web', '台東区', 's1', '区役所の[電話番号]は', false, false, 'x', 'new')"
        ), {"id": OLD_ID})
        connection.execute(text(
            "INSERT INTO faq_entries (ward, question, answer, retired, created_at, updated_at)"
            " VALUES ('台東区', '粗大ごみの出し方は', '受付センターに申し込んでください。', false,"
            " '2026-11-20 01:00:00+00:00', '2026-11-20 01:00:00+00:00')"
        ))
        connection.execute(text(
            "INSERT INTO staff_users (name, ward, password_hash, created_at)"
            " VALUES ('taito', '台東区', 'scrypt:x', '2026-11-20 01:00:00+00:00')"
        ))
    engine.dispose()


def test_a_database_made_before_migrations_upgrades_and_keeps_its_rows(database_url):
    make_database_before_migrations(database_url)
    done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "db", "upgrade"], cwd=ROOT,
                          env=os.environ | {"WARD_FAQ_DATABASE_URL": database_url}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database schema: 0001 -> {head_revision()}"
    app = app_on(database_url)
    with Session(app.extensions["ward_faq.engine"]) as db:
        assert db.get(Question, OLD_ID).text == "区役所の[電話番号]は"
        assert db.scalar(select(FaqEntry.answer)) == "受付センターに申し込んでください。"
        assert db.scalar(select(StaffUser.name)) == "taito"
    client = app.test_client()
    assert client.post("/api/feedback", json={"id": OLD_ID, "helpful": False}).status_code == 200
    assert client.post("/api/ask", json={"question": "粗大ごみの出し方は", "ward": "台東区"}).get_json()["resolved"]
    assert client.get("/api/kpi").get_json()["unresolved"] == 1


def test_the_migrations_make_exactly_the_models_schema(database_url):
    """A model change without its migration fails here: `ward-faq db revision -m …` writes the migration."""
    engine = create_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    engine.dispose()


def test_an_empty_database_gets_the_schema_from_the_migrations(database_url):
    app = app_on(database_url)
    with app.extensions["ward_faq.engine"].connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_the_app_refuses_a_schema_it_was_not_made_for(database_url):
    engine = create_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    with pytest.raises(SchemaOutdated, match="run `ward-faq db upgrade`"):
        app_on(database_url)


def test_two_hosts_upgrading_one_postgresql_database_at_once_take_turns(postgres_url):
    command = [sys.executable, "-c", "from bot.cli import main; main()", "db", "upgrade"]
    env = os.environ | {"WARD_FAQ_DATABASE_URL": postgres_url}
    engine = create_engine(postgres_url)
    with engine.connect() as holder:
        # Hold the migration lock, so both hosts are seen waiting for it before either may migrate.
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        holder.commit()
        hosts = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key"
        deadline = time.monotonic() + 120
        while holder.execute(text(waiting), {"key": MIGRATION_LOCK}).scalar() < 2:
            assert time.monotonic() < deadline and all(host.poll() is None for host in hosts), "hosts did not wait"
            time.sleep(0.1)
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        holder.commit()
    engine.dispose()
    outputs = [host.communicate(timeout=120) for host in hosts]
    assert [host.returncode for host in hosts] == [0, 0], [errors for _, errors in outputs]
    head = head_revision()
    said = sorted(output.strip() for output, _ in outputs)
    assert said == [f"database schema: (empty) -> {head}", f"database schema: {head} -> {head}"]
