"""sales facts: shipments and payments from the accounting system, sales plans

``shipment`` (a document line shipped to a client: day, product or product group,
quantity, amount, currency, document number, the manager it counts for, the
accounting system's id) and ``payment`` (money received from a client), each
unique on its external id so that a re-import updates rather than duplicates;
``sales_plan``: an amount per month for a user or a department. Covering indexes
serve the reports' sums by day, by client, by product and by manager; the journal's
index by user widens to cover the activity report, and a new index finds an
owner's new clients by when they were created.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from termcrm.store.types import Money, Quantity, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=True),
        sa.Column("product_group", sa.String(length=100), nullable=False),
        sa.Column("quantity", Quantity(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("manager_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        *_stamps(),
    )
    op.create_index("uq_shipment_external_id", "shipment", ["external_id"], unique=True)
    op.create_index(
        "ix_shipment_day",
        "shipment",
        ["shipped_on", "client_id", "amount", "currency", "product_id", "product_group"],
    )
    op.create_index(
        "ix_shipment_client_day", "shipment", ["client_id", "shipped_on", "amount", "currency"]
    )
    op.create_index(
        "ix_shipment_manager_day", "shipment", ["manager_id", "shipped_on", "amount", "currency"]
    )
    op.create_index("ix_shipment_product_day", "shipment", ["product_id", "shipped_on"])
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id"), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        *_stamps(),
    )
    op.create_index("uq_payment_external_id", "payment", ["external_id"], unique=True)
    op.create_index("ix_payment_day", "payment", ["paid_on", "client_id", "amount", "currency"])
    op.create_index(
        "ix_payment_client_day", "payment", ["client_id", "paid_on", "amount", "currency"]
    )
    op.create_table(
        "sales_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_stamps(),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (department_id IS NULL)", name="ck_sales_plan_one_target"
        ),
    )
    op.create_index(
        "uq_sales_plan_user",
        "sales_plan",
        ["user_id", "month", "currency"],
        unique=True,
        sqlite_where=sa.text("user_id IS NOT NULL"),
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_sales_plan_department",
        "sales_plan",
        ["department_id", "month", "currency"],
        unique=True,
        sqlite_where=sa.text("department_id IS NOT NULL"),
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index("ix_sales_plan_month", "sales_plan", ["month"])
    # the reports read these alone: a user's journal by kind and client, new clients by owner
    op.drop_index("ix_interaction_user_when", table_name="interaction")
    op.create_index(
        "ix_interaction_user_when",
        "interaction",
        ["user_id", "occurred_at", "kind", "client_id", "deleted_at"],
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "ix_client_owner_created",
        "client",
        ["owner_id", "created_at"],
        sqlite_where=live,
        postgresql_where=live,
    )


def downgrade() -> None:
    op.drop_index("ix_client_owner_created", table_name="client")
    op.drop_index("ix_interaction_user_when", table_name="interaction")
    op.create_index("ix_interaction_user_when", "interaction", ["user_id", "occurred_at"])
    op.drop_table("sales_plan")
    op.drop_table("payment")
    op.drop_table("shipment")
