"""All tables of the store; importing this module registers them on the metadata."""

import sqlalchemy as sa
from sqlmodel import SQLModel

from termcrm.store.tables.activity import Interaction, SignificantDate, Task
from termcrm.store.tables.audit import AuditEntry
from termcrm.store.tables.clients import (
    Address,
    Client,
    ClientTag,
    Contact,
    CustomField,
    Email,
    Phone,
)
from termcrm.store.tables.deals import (
    Deal,
    DealItem,
    DealStageChange,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    Stage,
)
from termcrm.store.tables.exchange import ImportReject, ImportRun, Segment
from termcrm.store.tables.org import Department, User
from termcrm.store.tables.sales import Payment, SalesPlan, Shipment

metadata = SQLModel.metadata


def table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for the services' SQL expressions (typed for mypy)."""
    result: sa.Table = model.__table__  # type: ignore[attr-defined]
    return result


__all__ = [
    "Address",
    "AuditEntry",
    "Client",
    "ClientTag",
    "Contact",
    "CustomField",
    "Deal",
    "DealItem",
    "DealStageChange",
    "Department",
    "Email",
    "ImportReject",
    "ImportRun",
    "Interaction",
    "Payment",
    "Phone",
    "Pipeline",
    "PriceList",
    "PriceListItem",
    "Product",
    "SalesPlan",
    "Segment",
    "Shipment",
    "SignificantDate",
    "Stage",
    "Task",
    "User",
    "metadata",
    "table",
]
