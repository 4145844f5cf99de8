"""The database schema, kept by Alembic migrations shipped in bot/migrations (never by create_all)."""
from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("ward_faq")

# The migration that creates the schema as it was before migrations: a database made then is at this revision.
INITIAL_REVISION = "0001"
# A table every ward-faq database has had from the start.
FIRST_TABLE = "questions"
MIGRATION_LOCK = 0x77617264  # any number of our own for PostgreSQL's advisory lock ("ward")


class SchemaOutdated(SystemExit):
    """The database's schema is not the one this release needs: stop with one line, not a traceback."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of the migrations shipped with the package, on a connection."""
    config = Config()
    config.set_main_option("script_location", "bot:migrations")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the revision the code's models are at."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """Return the database's revision; the initial one for a database made before migrations; None if empty."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None and inspect(connection).has_table(FIRST_TABLE):
        return INITIAL_REVISION
    return revision


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the latest schema, keeping its rows; return the revisions before and after."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Hosts starting at once on one database: one migrates, the others wait and find it done.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = current_revision(connection)
        config = alembic_config(connection)
        if before == INITIAL_REVISION and MigrationContext.configure(connection).get_current_revision() is None:
            command.stamp(config, INITIAL_REVISION)  # made by create_all before migrations: its schema is 0001's
        command.upgrade(config, "head")
    return before, head_revision()


def prepare(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to start on one that needs `ward-faq db upgrade`."""
    with engine.connect() as connection:
        revision = current_revision(connection)
    head = head_revision()
    if revision is None:
        upgrade(engine)
        log.info("empty database: schema created at revision %s", head)
    elif revision != head:
        raise SchemaOutdated(
            f"ward-faq: the database schema is at revision {revision}, this release needs {head}: "
            "run `ward-faq db upgrade` first"
        )
