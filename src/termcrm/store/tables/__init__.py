"""All tables of the store; importing this module registers them on the metadata."""

from sqlmodel import SQLModel

from termcrm.store.tables.activity import Interaction, Task
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
from termcrm.store.tables.deals import Deal, DealStageChange, Pipeline, Stage
from termcrm.store.tables.org import Department, User

metadata = SQLModel.metadata

__all__ = [
    "Address",
    "AuditEntry",
    "Client",
    "ClientTag",
    "Contact",
    "CustomField",
    "Deal",
    "DealStageChange",
    "Department",
    "Email",
    "Interaction",
    "Phone",
    "Pipeline",
    "Stage",
    "Task",
    "User",
    "metadata",
]
