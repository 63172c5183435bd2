"""Pipelines, stages, deals and the stage history of each deal; products, price lists
and the line items of a deal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.tables.base import Editable
from termcrm.store.types import Money, Quantity, UTCDateTime, utcnow


class Pipeline(Editable, table=True):
    __tablename__ = "pipeline"

    name: str = Field(max_length=200)
    is_default: bool = Field(default=False)


class Stage(Editable, table=True):
    __tablename__ = "stage"

    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    name: str = Field(max_length=200)
    position: int = Field(default=0)
    probability: int = Field(default=0)  # percent, 0..100
    outcome: str = Field(default="open", max_length=8)  # open | won | lost


class Deal(Editable, table=True):
    __tablename__ = "deal"
    __table_args__ = (
        sa.Index("ix_deal_client", "client_id"),
        sa.Index("ix_deal_owner_stage", "owner_id", "stage_id"),
    )

    title: str = Field(max_length=300)
    client_id: int = Field(foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    pipeline_id: int = Field(foreign_key="pipeline.id")
    stage_id: int = Field(foreign_key="stage.id", index=True)
    owner_id: int = Field(foreign_key="user_account.id")
    amount: Decimal = Field(default=Decimal("0.00"), sa_type=Money)
    currency: str = Field(default="RUB", max_length=3)
    expected_close: date | None = Field(default=None)
    source: str = Field(default="", max_length=100)
    # the type of deal: new business, repeat sale, upsell… (free text, as the team says it)
    kind: str = Field(default="", max_length=50, sa_column_kwargs={"server_default": ""})
    # the amount is the sum of the line items (kept so on every change of them)
    amount_from_items: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    competitor: str = Field(default="", max_length=200)
    lost_reason: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_type=sa.Text)
    stage_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DealStageChange(SQLModel, table=True):
    __tablename__ = "deal_stage_history"
    __table_args__ = (
        sa.Index("ix_deal_stage_history_deal", "deal_id", "changed_at"),
        # the funnel reads each deal's stays from the index alone: the stages it reached,
        # and how long it stayed (migration 0007)
        sa.Index("ix_deal_stage_history_stays", "deal_id", "to_stage_id", "changed_at", "left_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int = Field(foreign_key="stage.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    # when the deal moved on from this stage (the next row's changed_at; None while it
    # is still there): the funnel's days per stage without a window over the history
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Product(Editable, table=True):
    """A product or service the team sells: what a line of a deal or a price list is."""

    __tablename__ = "product"
    __table_args__ = (sa.Index("ix_product_sku", "sku"), sa.Index("ix_product_name", "name"))

    sku: str = Field(default="", max_length=64)
    name: str = Field(max_length=300)
    unit: str = Field(default="pcs", max_length=20)
    category: str = Field(default="", max_length=100)  # the product group
    description: str = Field(default="", sa_type=sa.Text)
    active: bool = Field(default=True)


class PriceList(Editable, table=True):
    """Prices of products in one currency ("Wholesale RUB", "Retail CNY")."""

    __tablename__ = "price_list"

    name: str = Field(max_length=200)
    currency: str = Field(default="RUB", max_length=3)
    is_default: bool = Field(default=False)


class PriceListItem(SQLModel, table=True):
    __tablename__ = "price_list_item"
    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "product_id", name="uq_price_list_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    price_list_id: int = Field(foreign_key="price_list.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    price: Decimal = Field(sa_type=Money)


class DealItem(SQLModel, table=True):
    """A line of a deal: a product (its name, SKU and unit copied as sold), the
    quantity, the unit price and a discount in percent."""

    __tablename__ = "deal_item"
    __table_args__ = (sa.Index("ix_deal_item_deal", "deal_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    position: int = Field(default=0)
    name: str = Field(max_length=300)
    sku: str = Field(default="", max_length=64)
    unit: str = Field(default="pcs", max_length=20)
    quantity: Decimal = Field(default=Decimal("1"), sa_type=Quantity)
    price: Decimal = Field(default=Decimal("0.00"), sa_type=Money)
    discount_pct: Decimal = Field(default=Decimal("0.00"), sa_type=Money)
