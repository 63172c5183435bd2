"""Alembic environment: termcrm always hands in an open connection (see store/migrate.py)."""

from __future__ import annotations

from alembic import context

from termcrm.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` call
    raise SystemExit("run migrations with `termcrm db upgrade`, not with the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
