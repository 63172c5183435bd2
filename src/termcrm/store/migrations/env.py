"""Alembic environment: termcrm always hands in an open connection (see store/migrate.py)."""

from __future__ import annotations

from alembic import context

from termcrm.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` call
    raise SystemExit("run migrations with `termcrm db upgrade`, not with the alembic command")

# the search index lives outside the models (store/search.py); autogenerate must not drop it
SEARCH_OBJECTS = {"client_fts", "ix_client_search_trgm", "ix_client_name_key_prefix"}


def include_object(obj, name, type_, reflected, compare_to):
    return not (name in SEARCH_OBJECTS or (name or "").startswith("client_fts_"))


context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
