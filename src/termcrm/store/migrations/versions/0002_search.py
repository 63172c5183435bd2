"""client search: FTS5 trigram (SQLite) or pg_trgm (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:05:00
"""

from __future__ import annotations

from alembic import op

from termcrm.store import search

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search.install(op.get_bind())


def downgrade() -> None:
    search.uninstall(op.get_bind())
