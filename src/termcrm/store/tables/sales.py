"""Sales facts loaded from the accounting system (shipments and payments) and the sales
plans the reports compare them with."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.types import Money, Quantity, UTCDateTime, utcnow


class Shipment(SQLModel, table=True):
    """Goods or services shipped to a client (a line of a sales document)."""

    __tablename__ = "shipment"
    __table_args__ = (
        # one row per document line of the accounting system: a re-import updates it
        sa.Index("uq_shipment_external_id", "external_id", unique=True),
        # the reports' scans, covering what they sum
        sa.Index(
            "ix_shipment_day",
            "shipped_on",
            "client_id",
            "amount",
            "currency",
            "product_id",
            "product_group",
        ),
        sa.Index("ix_shipment_client_day", "client_id", "shipped_on", "amount", "currency"),
        sa.Index("ix_shipment_manager_day", "manager_id", "shipped_on", "amount", "currency"),
        sa.Index("ix_shipment_product_day", "product_id", "shipped_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipped_on: date
    client_id: int = Field(foreign_key="client.id")
    product_id: int | None = Field(default=None, foreign_key="product.id")
    product_group: str = Field(default="", max_length=100)  # the product's category, as shipped
    quantity: Decimal = Field(default=Decimal("0"), sa_type=Quantity)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="RUB", max_length=3)
    document: str = Field(default="", max_length=64)  # the accounting document's number
    manager_id: int = Field(foreign_key="user_account.id")  # whose sale it counts as
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Payment(SQLModel, table=True):
    """Money received from a client."""

    __tablename__ = "payment"
    __table_args__ = (
        sa.Index("uq_payment_external_id", "external_id", unique=True),
        sa.Index("ix_payment_day", "paid_on", "client_id", "amount", "currency"),
        sa.Index("ix_payment_client_day", "client_id", "paid_on", "amount", "currency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    paid_on: date
    client_id: int = Field(foreign_key="client.id")
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="RUB", max_length=3)
    document: str = Field(default="", max_length=64)
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SalesPlan(SQLModel, table=True):
    """The amount a user, or a department, is to sell in a month (in one currency)."""

    __tablename__ = "sales_plan"
    __table_args__ = (
        sa.CheckConstraint(
            "(user_id IS NULL) <> (department_id IS NULL)", name="ck_sales_plan_one_target"
        ),
        sa.Index(
            "uq_sales_plan_user",
            "user_id",
            "month",
            "currency",
            unique=True,
            sqlite_where=sa.text("user_id IS NOT NULL"),
            postgresql_where=sa.text("user_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_sales_plan_department",
            "department_id",
            "month",
            "currency",
            unique=True,
            sqlite_where=sa.text("department_id IS NOT NULL"),
            postgresql_where=sa.text("department_id IS NOT NULL"),
        ),
        sa.Index("ix_sales_plan_month", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date  # its first day
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="RUB", max_length=3)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
