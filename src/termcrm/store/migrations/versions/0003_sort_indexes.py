"""client sort indexes: the card file sorts by group, status and city

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_client_group_id": ["client_group", "id"],
    "ix_client_status_id": ["status", "id"],
    "ix_client_city_id": ["city", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "client", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="client")
