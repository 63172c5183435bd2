"""client list indexes: live clients only, per sort column; the trash; contacts by name

The card file sorts by name, group, status and city and filters by territory,
always over live clients: each list is a keyset over a partial index (WHERE
deleted_at IS NULL), so counting a list and anchoring its pages read the index
alone. The name, owner and department indexes of 0001 become partial too.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE = "deleted_at IS NULL"
# indexes of 0001 that become partial: name -> columns
REPLACED = {
    "ix_client_owner_name": ["owner_id", "name_key", "id"],
    "ix_client_department_name": ["department_id", "name_key", "id"],
    "ix_client_name_key": ["name_key", "id"],
}
ADDED = {
    "ix_client_group_id": ["client_group", "id"],
    "ix_client_status_id": ["status", "id"],
    "ix_client_city_id": ["city", "id"],
    "ix_client_territory_id": ["territory", "id"],
}


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "client",
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    for name, columns in REPLACED.items():
        op.drop_index(name, table_name="client")
        _partial(name, columns, LIVE)
    for name, columns in ADDED.items():
        _partial(name, columns, LIVE)
    _partial("ix_client_trash", ["updated_at", "id"], "deleted_at IS NOT NULL")
    op.create_index("ix_contact_name", "contact", ["full_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_name", table_name="contact")
    op.drop_index("ix_client_trash", table_name="client")
    for name in ADDED:
        op.drop_index(name, table_name="client")
    for name, columns in REPLACED.items():
        op.drop_index(name, table_name="client")
        op.create_index(name, "client", columns)
