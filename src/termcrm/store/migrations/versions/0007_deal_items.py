"""deals: a type, products, price lists and line items

A deal gets a type (``kind``: new business, repeat sale…) and ``amount_from_items``
(its amount is the sum of its lines). New tables: ``product`` (SKU, name, unit,
category), ``price_list`` (a currency) with ``price_list_item`` (a product's price in
it), and ``deal_item`` (a deal's lines: the product as sold, quantity, unit price,
discount in percent). A stage history index by stage serves the funnel.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from termcrm.store.types import Money, Quantity, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _editable() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("deal") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("amount_from_items", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("deal_stage_history") as batch_op:
        batch_op.add_column(sa.Column("left_at", UTCDateTime(), nullable=True))
    # the next move of the same deal (by time, then by id) is when it left the stage
    op.execute(
        "UPDATE deal_stage_history SET left_at = (SELECT min(n.changed_at) "
        "FROM deal_stage_history n WHERE n.deal_id = deal_stage_history.deal_id "
        "AND (n.changed_at > deal_stage_history.changed_at OR "
        "(n.changed_at = deal_stage_history.changed_at AND n.id > deal_stage_history.id)))"
    )
    op.create_index(
        "ix_deal_stage_history_stays",
        "deal_stage_history",
        ["deal_id", "to_stage_id", "changed_at", "left_at"],
    )
    op.create_table(
        "product",
        *_editable(),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_product_sku", "product", ["sku"])
    op.create_index("ix_product_name", "product", ["name"])
    op.create_table(
        "price_list",
        *_editable(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "price_list_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("price_list_id", sa.Integer(), sa.ForeignKey("price_list.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.UniqueConstraint("price_list_id", "product_id", name="uq_price_list_item"),
    )
    op.create_index("ix_price_list_item_product_id", "price_list_item", ["product_id"])
    op.create_table(
        "deal_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deal_id", sa.Integer(), sa.ForeignKey("deal.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("quantity", Quantity(), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("discount_pct", Money(), nullable=False),
    )
    op.create_index("ix_deal_item_deal", "deal_item", ["deal_id", "position"])
    op.create_index("ix_deal_item_product_id", "deal_item", ["product_id"])


def downgrade() -> None:
    op.drop_table("deal_item")
    op.drop_table("price_list_item")
    op.drop_table("price_list")
    op.drop_table("product")
    op.drop_index("ix_deal_stage_history_stays", table_name="deal_stage_history")
    with op.batch_alter_table("deal_stage_history") as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("deal") as batch_op:
        batch_op.drop_column("amount_from_items")
        batch_op.drop_column("kind")
