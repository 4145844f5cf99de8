"""Alembic's environment: migrate the connection ward-faq hands over, against the app's models."""
from __future__ import annotations

from alembic import context

from bot.db import Base

connection = context.config.attributes["connection"]
# SQLite cannot ALTER most things in place: batch mode copies the table instead.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
