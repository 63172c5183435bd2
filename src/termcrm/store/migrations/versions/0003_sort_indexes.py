"""client sort indexes: the card file sorts by group, status and city, filters by territory;
contacts listed by name

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
    "ix_client_territory_id": ["territory", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "client", columns)
    op.create_index("ix_contact_name", "contact", ["full_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_name", table_name="contact")
    for name in INDEXES:
        op.drop_index(name, table_name="client")
