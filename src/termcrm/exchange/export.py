"""Export a list (clients, contacts, journal, tasks, deals) to xlsx, csv, json, vcf or ics.

The rows come from ``services.export_rows`` (the lists' filters and access rule,
read in keyset batches) and go straight into a streaming writer, so memory stays
flat however many rows there are. Tabular exports use the English column titles
the importer maps back (an export can be edited in Excel and imported again),
with the ID and Version columns that let the importer refuse rows changed since.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import custom_fields
from termcrm.services import export_rows as rows_of
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.services.export_rows import (
    ClientExport,
    ContactExport,
    DealExport,
    DealQuery,
    InteractionExport,
    TaskExport,
    TaskQuery,
)
from termcrm.services.filters import ClientFilter
from termcrm.services.journal import JournalFilter

if TYPE_CHECKING:
    from termcrm.exchange.calendars import CalendarItem
    from termcrm.exchange.sinks import Column
    from termcrm.exchange.vcards import ContactCard

T = TypeVar("T")

ENTITIES = ("clients", "contacts", "journal", "tasks", "deals")
ALIASES = {"interactions": "journal", "client": "clients", "contact": "contacts", "task": "tasks"}
TABULAR = ("xlsx", "csv", "json")
FORMATS: dict[str, tuple[str, ...]] = {
    "clients": (*TABULAR, "vcf"),  # vCard: one ORG card per client
    "contacts": (*TABULAR, "vcf"),
    "journal": (*TABULAR, "ics"),  # iCalendar: one VEVENT per entry
    "tasks": (*TABULAR, "ics"),  # iCalendar: one VTODO per task
    "deals": TABULAR,
}
SHEET_TITLES = {
    "clients": "Clients",
    "contacts": "Contacts",
    "journal": "Journal",
    "tasks": "Tasks",
    "deals": "Deals",
}
PROGRESS_EVERY = 1000  # rows between two progress calls
SEPARATOR = "; "  # joins several values in one cell (phones, emails, tags)

# (title, kind) of the fixed columns, in the order of the brief shared with the importer
CLIENT_COLUMNS = (
    ("ID", "int"),
    ("Name", "text"),
    ("Legal name", "text"),
    ("Tax ID", "text"),
    ("Kind", "text"),
    ("Group", "text"),
    ("Status", "text"),
    ("Industry", "text"),
    ("Territory", "text"),
    ("City", "text"),
    ("Address", "text"),
    ("Phones", "text"),
    ("Emails", "text"),
    ("Website", "text"),
    ("Source", "text"),
    ("Tags", "text"),
    ("Owner", "text"),
    ("Owner login", "text"),
    ("Department", "text"),
    ("Parent ID", "int"),
    ("Bank details", "text"),
    ("Business info", "text"),
    ("Last contact", "datetime"),
    ("Next task", "datetime"),
    ("Created", "datetime"),
    ("Updated", "datetime"),
)  # then the custom client fields, then Version
CONTACT_COLUMNS = (
    ("ID", "int"),
    ("Full name", "text"),
    ("Position", "text"),
    ("Client", "text"),
    ("Client ID", "int"),
    ("Phones", "text"),
    ("Emails", "text"),
    ("Birthday", "date"),
    ("Notes", "text"),
    ("Character notes", "text"),
    ("Version", "int"),
)
JOURNAL_COLUMNS = (
    ("ID", "int"),
    ("When", "datetime"),
    ("Kind", "text"),
    ("Direction", "text"),
    ("Client", "text"),
    ("Client ID", "int"),
    ("Contact", "text"),
    ("Contact ID", "int"),
    ("Purpose", "text"),
    ("Result", "text"),
    ("User", "text"),
    ("Deal ID", "int"),
    ("Version", "int"),
)
TASK_COLUMNS = (
    ("ID", "int"),
    ("Due", "datetime"),
    ("Title", "text"),
    ("Kind", "text"),
    ("Status", "text"),
    ("Assignee", "text"),
    ("Client", "text"),
    ("Client ID", "int"),
    ("Contact ID", "int"),
    ("Deal ID", "int"),
    ("Notes", "text"),
    ("Completed", "datetime"),
    ("Version", "int"),
)
DEAL_COLUMNS = (
    ("ID", "int"),
    ("Title", "text"),
    ("Client", "text"),
    ("Client ID", "int"),
    ("Pipeline", "text"),
    ("Stage", "text"),
    ("Type", "text"),
    ("Amount", "money"),
    ("Amount follows items", "bool"),
    ("Currency", "text"),
    ("Expected close", "date"),
    ("Owner", "text"),
    ("Owner login", "text"),
    ("Source", "text"),
    ("Competitor", "text"),
    ("Lost reason", "text"),
    ("Description", "text"),
    ("Closed", "datetime"),
    ("Version", "int"),
)
# a custom field's kind -> its column's kind
CUSTOM_KINDS = {"number": "number", "date": "date", "text": "text", "choice": "text"}


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    path: Path | None  # None: written to stdout


def formats_for(entity: str) -> tuple[str, ...]:
    return FORMATS[_entity(entity)]


def _entity(entity: str) -> str:
    name = ALIASES.get(entity, entity)
    if name not in FORMATS:
        raise Invalid(
            {
                "entity": _("cannot export '{entity}': choose one of {choices}").format(
                    entity=entity, choices=", ".join(ENTITIES)
                )
            }
        )
    return name


def check_format(entity: str, fmt: str) -> str:
    """The entity's canonical name, or Invalid naming the formats that make sense for it."""
    name = _entity(entity)
    if fmt not in FORMATS[name]:
        known = fmt in {f for formats in FORMATS.values() for f in formats}
        message = (
            _("{entity} cannot be exported as {format}; use one of: {choices}")
            if known
            else _("'{format}' is not an export format; for {entity} use one of: {choices}")
        )
        raise Invalid(
            {"format": message.format(entity=name, format=fmt, choices=", ".join(FORMATS[name]))}
        )
    return name


# ------------------------------------------------------------------ columns and cells


@dataclass(frozen=True, slots=True)
class _CustomColumn:
    key: str
    title: str
    kind: str


def custom_columns(s: Session) -> list[_CustomColumn]:
    """One column per custom client field, titled by its label (or key); a label that
    repeats a fixed title or another label gets its key added: "Region (region2)"."""
    fixed = {title.casefold() for title, _kind in CLIENT_COLUMNS} | {"version"}
    defs = custom_fields.list_fields(s, "client")
    counts: dict[str, int] = {}
    for d in defs:
        title = (d.label or d.key).casefold()
        counts[title] = counts.get(title, 0) + 1
    out = []
    for d in defs:
        title = d.label or d.key
        if title.casefold() in fixed or counts[title.casefold()] > 1:
            title = f"{title} ({d.key})"
        out.append(_CustomColumn(d.key, title, CUSTOM_KINDS.get(d.kind, "text")))
    return out


def _custom_cell(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, int | float | bool):
        return value
    return str(value)


def client_cells(
    customs: Sequence[_CustomColumn],
) -> Callable[[ClientExport], tuple[Any, ...]]:
    join = SEPARATOR.join
    keys = [(c.key, c.kind) for c in customs]

    def cells(r: ClientExport) -> tuple[Any, ...]:
        custom = r.custom
        return (
            r.id,
            r.name,
            r.legal_name,
            r.tax_id,
            r.kind,
            r.group,
            r.status,
            r.industry,
            r.territory,
            r.city,
            r.address,
            join(r.phones),
            join(r.emails),
            r.website,
            r.source,
            join(r.tags),
            r.owner,
            r.owner_login,
            r.department,
            r.parent_id,
            r.bank_details,
            r.business_info,
            r.last_contact,
            r.next_task,
            r.created_at,
            r.updated_at,
            *[_custom_cell(custom.get(k), kind) for k, kind in keys],
            r.version,
        )

    return cells


def contact_cells(r: ContactExport) -> tuple[Any, ...]:
    return (
        r.id,
        r.full_name,
        r.position,
        r.client,
        r.client_id,
        SEPARATOR.join(r.phones),
        SEPARATOR.join(r.emails),
        r.birthday,
        r.notes,
        r.character_notes,
        r.version,
    )


def interaction_cells(r: InteractionExport) -> tuple[Any, ...]:
    return (
        r.id,
        r.occurred_at,
        r.kind,
        r.direction,
        r.client,
        r.client_id,
        r.contact,
        r.contact_id,
        r.purpose,
        r.result,
        r.user,
        r.deal_id,
        r.version,
    )


def task_cells(r: TaskExport) -> tuple[Any, ...]:
    return (
        r.id,
        r.due_at,
        r.title,
        r.kind,
        r.status,
        r.assignee,
        r.client,
        r.client_id,
        r.contact_id,
        r.deal_id,
        r.notes,
        r.completed_at,
        r.version,
    )


def deal_cells(r: DealExport) -> tuple[Any, ...]:
    return (
        r.id,
        r.title,
        r.client,
        r.client_id,
        r.pipeline,
        r.stage,
        r.kind,
        r.amount,
        r.amount_from_items,
        r.currency,
        r.expected_close,
        r.owner,
        r.owner_login,
        r.source,
        r.competitor,
        r.lost_reason,
        r.description,
        r.closed_at,
        r.version,
    )


def columns_for(
    s: Session, entity: str, fmt: str = "csv"
) -> tuple[list[Column], Callable[[Any], tuple[Any, ...]]]:
    """The columns of a tabular export of ``entity`` and the function making a row's cells.

    In xlsx an empty text is no cell at all: openpyxl would write an empty string cell
    for it, which costs as much as a full one (a quarter of a client row is empty).
    """
    columns, cells = _columns_for(s, entity)
    if fmt != "xlsx":
        return columns, cells

    def sparse(row: Any) -> tuple[Any, ...]:
        return tuple([None if v == "" else v for v in cells(row)])

    return columns, sparse


def _columns_for(s: Session, entity: str) -> tuple[list[Column], Callable[[Any], tuple[Any, ...]]]:
    from termcrm.exchange.sinks import Column

    name = _entity(entity)
    if name == "clients":
        customs = custom_columns(s)
        fixed = [*CLIENT_COLUMNS, *[(c.title, c.kind) for c in customs], ("Version", "int")]
        return [Column(t, k) for t, k in fixed], client_cells(customs)
    table: dict[str, tuple[tuple[tuple[str, str], ...], Callable[[Any], tuple[Any, ...]]]] = {
        "contacts": (CONTACT_COLUMNS, contact_cells),
        "journal": (JOURNAL_COLUMNS, interaction_cells),
        "tasks": (TASK_COLUMNS, task_cells),
        "deals": (DEAL_COLUMNS, deal_cells),
    }
    spec, cells = table[name]
    return [Column(t, k) for t, k in spec], cells


# ------------------------------------------------------------------ vCard and iCalendar


def client_card(r: ClientExport) -> ContactCard:
    """A client as an organisation's card: FN and ORG are its name."""
    from termcrm.exchange.vcards import ContactCard

    return ContactCard(
        full_name=r.name,
        organization=r.legal_name or r.name,
        title="",
        phones=list(r.phones),
        emails=list(r.emails),
        birthday=None,
        note=r.business_info,
        uid=f"termcrm-client-{r.id}",
    )


def contact_card(r: ContactExport) -> ContactCard:
    from termcrm.exchange.vcards import ContactCard

    return ContactCard(
        full_name=r.full_name,
        organization=r.client,
        title=r.position,
        phones=list(r.phones),
        emails=list(r.emails),
        birthday=r.birthday,
        note="\n\n".join(n for n in (r.notes, r.character_notes) if n),
        uid=f"termcrm-contact-{r.id}",
    )


TODO_STATUS = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}


def task_item(r: TaskExport) -> CalendarItem:
    from termcrm.exchange.calendars import CalendarItem

    client = _("Client")
    lines = [f"{client}: {r.client}" if r.client else "", r.notes]
    return CalendarItem(
        uid=f"termcrm-task-{r.id}",
        summary=f"{r.title} - {r.client}" if r.client else r.title,
        start=r.due_at,
        end=None,
        description="\n".join(line for line in lines if line),
        categories=[r.kind],
        status=TODO_STATUS.get(r.status),
        completed=r.completed_at,
        kind="todo",
    )


def interaction_item(r: InteractionExport) -> CalendarItem:
    from termcrm.exchange.calendars import CalendarItem

    who = f"{r.client} ({r.contact})" if r.contact else r.client
    purpose, result, who_label = _("Purpose"), _("Result"), _("Who")
    lines = [
        f"{purpose}: {r.purpose}" if r.purpose else "",
        f"{result}: {r.result}" if r.result else "",
        f"{who_label}: {r.user}",
    ]
    return CalendarItem(
        uid=f"termcrm-interaction-{r.id}",
        summary=f"{r.kind}: {who}",
        start=r.occurred_at,
        end=None,
        description="\n".join(line for line in lines if line),
        categories=[r.kind, r.direction],
        status=None,
        completed=None,
        kind="event",
    )


# ------------------------------------------------------------------ export


def rows(
    s: Session,
    actor: Actor,
    entity: str,
    *,
    client_filter: ClientFilter | None = None,
    search: str = "",
    client_id: int | None = None,
    journal_filter: JournalFilter | None = None,
    task_filter: TaskQuery | None = None,
    deal_filter: DealQuery | None = None,
    batch: int | None = None,
) -> Iterator[Any]:
    """The export rows of ``entity`` under its filters (the others must be None);
    ``client_id`` narrows contacts to one client's."""
    name = _entity(entity)
    if client_id is not None and name != "contacts":
        raise ValueError("client_id narrows contacts; the other lists take it in their filter")
    given = {
        "client_filter": client_filter is not None or bool(search),
        "journal_filter": journal_filter is not None,
        "task_filter": task_filter is not None,
        "deal_filter": deal_filter is not None,
    }
    allowed = {
        "clients": "client_filter",
        "contacts": "client_filter",
        "journal": "journal_filter",
        "tasks": "task_filter",
        "deals": "deal_filter",
    }[name]
    wrong = [k for k, v in given.items() if v and k != allowed]
    if wrong:
        raise ValueError(f"{name} exports take {allowed}, not {', '.join(wrong)}")
    size: dict[str, int] = {} if batch is None else {"batch": batch}  # else each its own
    if name == "clients":
        return rows_of.iter_clients(s, actor, client_filter, search=search, **size)
    if name == "contacts":
        return rows_of.iter_contacts(
            s, actor, client_filter, text=search, client_id=client_id, **size
        )
    if name == "journal":
        return rows_of.iter_interactions(s, actor, journal_filter, **size)
    if name == "tasks":
        return rows_of.iter_tasks(s, actor, task_filter, **size)
    return rows_of.iter_deals(s, actor, deal_filter, **size)


class _Counted:
    """Counts the items passing through and reports every PROGRESS_EVERY of them."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.count = 0
        self.progress = progress

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        progress = self.progress
        for item in items:
            self.count += 1
            if progress is not None and self.count % PROGRESS_EVERY == 0:
                progress(self.count)
            yield item


def export(
    s: Session,
    actor: Actor,
    entity: str,
    fmt: str,
    out: Path | None,
    *,
    client_filter: ClientFilter | None = None,
    search: str = "",
    client_id: int | None = None,
    journal_filter: JournalFilter | None = None,
    task_filter: TaskQuery | None = None,
    deal_filter: DealQuery | None = None,
    tz: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int | None = None,
) -> ExportResult:
    """Write every row of the list to ``out`` (None: stdout) in ``fmt``.

    ``client_filter`` and ``search`` select clients (for contacts: the clients whose
    contacts are exported, and words of the contacts' names; ``client_id``: one
    client's contacts); ``journal_filter``, ``task_filter`` and ``deal_filter``
    select the rows of the other lists. Times are written in ``tz`` (default: the
    machine's zone) in xlsx, csv and json; vCard and iCalendar keep UTC.
    ``progress(rows_done)`` is called every PROGRESS_EVERY rows and once at the end.
    ``batch``: rows per query (default: each list's own). A file is written under a
    temporary name and renamed when complete, so nobody sees half an export.
    """
    name = check_format(entity, fmt)
    with rows_of.long_read(s):
        count = _export(
            s,
            actor,
            name,
            fmt,
            out,
            client_filter=client_filter,
            search=search,
            client_id=client_id,
            journal_filter=journal_filter,
            task_filter=task_filter,
            deal_filter=deal_filter,
            tz=tz,
            progress=progress,
            batch=batch,
        )
    return ExportResult(rows=count, path=out)


def _export(
    s: Session,
    actor: Actor,
    name: str,
    fmt: str,
    out: Path | None,
    *,
    client_filter: ClientFilter | None,
    search: str,
    client_id: int | None,
    journal_filter: JournalFilter | None,
    task_filter: TaskQuery | None,
    deal_filter: DealQuery | None,
    tz: tzinfo | None,
    progress: Callable[[int], None] | None,
    batch: int | None,
) -> int:
    source = rows(
        s,
        actor,
        name,
        client_filter=client_filter,
        search=search,
        client_id=client_id,
        journal_filter=journal_filter,
        task_filter=task_filter,
        deal_filter=deal_filter,
        batch=batch,
    )
    # the first row is read before anything is written: a refused filter (a client
    # the actor may not see, a scope without a department) fails with no output at all
    first = list(itertools.islice(source, 1))
    all_rows: Iterator[Any] = itertools.chain(first, source)
    counted = _Counted(progress)
    if fmt in TABULAR:
        _write_table(s, name, fmt, out, counted.wrap(all_rows), tz)
    elif fmt == "vcf":
        from termcrm.exchange.vcards import write_vcards

        card = client_card if name == "clients" else contact_card
        write_vcards(map(card, counted.wrap(all_rows)), out)
    else:
        from termcrm.exchange.calendars import write_calendar

        item = task_item if name == "tasks" else interaction_item
        write_calendar(
            map(item, counted.wrap(all_rows)), out, name=f"termcrm {SHEET_TITLES[name].lower()}"
        )
    if progress is not None:
        progress(counted.count)
    return counted.count


def _write_table(
    s: Session, entity: str, fmt: str, out: Path | None, items: Iterable[Any], tz: tzinfo | None
) -> None:
    from termcrm.exchange.sinks import open_writer

    columns, cells = columns_for(s, entity, fmt)
    writer = open_writer(fmt, out, columns, title=SHEET_TITLES[entity], tz=tz)
    try:
        write = writer.write
        for item in items:
            write(cells(item))
    except BaseException:
        writer.abort()
        raise
    writer.close()
