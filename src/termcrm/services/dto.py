"""Plain, frozen data handed to front ends; never live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # pass back as ``after`` for the next page; None at the end


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[T]):
    items: list[T]
    total: int  # capped: see ``more``
    more: bool  # True when there are more than ``total`` matches


@dataclass(frozen=True, slots=True)
class DepartmentOut:
    id: int
    name: str
    parent_id: int | None
    path: str  # "Head office / Sales / Wholesale"


@dataclass(frozen=True, slots=True)
class UserOut:
    id: int
    login: str
    full_name: str
    role: str
    department_id: int | None
    department: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class PhoneOut:
    id: int
    kind: str
    raw: str
    e164: str
    extension: str


@dataclass(frozen=True, slots=True)
class EmailOut:
    id: int
    kind: str
    address: str


@dataclass(frozen=True, slots=True)
class AddressOut:
    id: int
    kind: str
    country: str
    postcode: str
    city: str
    line: str


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One line of the client card file."""

    id: int
    name: str
    kind: str
    group: str
    status: str
    city: str
    owner: str
    last_interaction_at: datetime | None
    version: int
    next_task_at: datetime | None = None  # the earliest open task on the client
    deleted_at: datetime | None = None  # when it went to the trash (trash lists only)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (times as ISO 8601), for a front end's own cache."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClientRow:
        times = ("last_interaction_at", "next_task_at", "deleted_at")
        values: dict[str, Any] = {
            k: datetime.fromisoformat(v) if k in times and v is not None else v
            for k, v in data.items()
        }
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ClientOut:
    id: int
    kind: str
    name: str
    legal_name: str
    tax_id: str
    group: str
    status: str
    industry: str
    territory: str
    city: str
    source: str
    website: str
    bank_details: str
    business_info: str
    owner_id: int | None
    owner: str
    department_id: int | None
    department: str
    parent_id: int | None
    custom: dict[str, Any]
    tags: list[str]
    phones: list[PhoneOut]
    emails: list[EmailOut]
    addresses: list[AddressOut]
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class ContactOut:
    id: int
    client_id: int
    client: str
    full_name: str
    position: str
    birthday: date | None
    character_notes: str
    notes: str
    phones: list[PhoneOut]
    emails: list[EmailOut]
    deleted_at: datetime | None
    version: int
    birthday_remind_days: int = 3


@dataclass(frozen=True, slots=True)
class InteractionOut:
    id: int
    kind: str
    direction: str
    occurred_at: datetime
    purpose: str
    result: str
    user_id: int
    user: str
    client_id: int
    client: str
    contact_id: int | None
    contact: str
    deal_id: int | None
    version: int


# not frozen, unlike the other records: a frozen dataclass's __init__ sets every field
# through object.__setattr__ (24 of them here, ten times slower), and an agenda or a
# month's export builds thousands of tasks. Nothing changes a TaskOut once built; it
# stays hashable like the frozen records (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class TaskOut:
    id: int
    title: str
    kind: str
    due_at: datetime
    status: str
    assignee_id: int
    assignee: str
    author_id: int
    client_id: int | None
    client: str
    contact_id: int | None
    deal_id: int | None
    notes: str
    completed_at: datetime | None
    version: int
    duration_min: int | None = None
    remind_before_min: int | None = None
    repeat: str = ""  # an RFC 5545 rule: the task is a series, due_at its next occurrence
    series_start: datetime | None = None
    series_tz: str = ""
    series_id: int | None = None  # a done or cancelled occurrence of that series
    cancel_reason: str = ""
    interaction_id: int | None = None  # the journal entry written when it was done
    ical_uid: str = ""

    @property
    def repeating(self) -> bool:
        return bool(self.repeat) and self.status == "open"

    @property
    def remind_at(self) -> datetime | None:
        if self.remind_before_min is None:
            return None
        return self.due_at - timedelta(minutes=self.remind_before_min)


@dataclass(frozen=True, slots=True)
class StageOut:
    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int
    outcome: str


@dataclass(frozen=True, slots=True)
class StageDetailOut(StageOut):
    """A stage as the pipeline settings show it: with its version (for edits) and the
    number of live deals in it that the actor may see."""

    version: int
    deals: int


@dataclass(frozen=True, slots=True)
class PipelineOut:
    id: int
    name: str
    is_default: bool
    version: int
    stages: tuple[StageDetailOut, ...]  # in order: the open stages, then won and lost

    @property
    def deals(self) -> int:
        return sum(st.deals for st in self.stages)


@dataclass(frozen=True, slots=True)
class DealOut:
    id: int
    title: str
    client_id: int
    client: str
    contact_id: int | None
    pipeline_id: int
    stage_id: int
    stage: str
    owner_id: int
    owner: str
    amount: Decimal
    currency: str
    expected_close: date | None
    source: str
    competitor: str
    lost_reason: str
    description: str
    stage_changed_at: datetime
    closed_at: datetime | None
    version: int
    kind: str = ""  # the type of deal: new business, repeat sale…
    amount_from_items: bool = False  # the amount is kept equal to the lines' total


@dataclass(frozen=True, slots=True)
class CustomFieldOut:
    id: int
    entity: str
    key: str
    label: str
    kind: str
    choices: list[str]
    required: bool


@dataclass(frozen=True, slots=True)
class AuditOut:
    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: int
    version: int
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [old, new]
