"""Streaming reads for export: every row of a list the actor may see, batch by batch.

Each ``iter_*`` function applies the same filters and the same access rule as
the list it mirrors (``client_lists.list_clients`` / ``search_clients``,
``contacts.list_contacts``, ``journal.list_interactions``, ``tasks.list_tasks``,
``deals.list_deals``), in SQL, and yields plain frozen rows carrying every
exported field. Rows are read ``batch`` at a time with keyset pagination
(never OFFSET, never the whole table in memory); what a row gathers from other
tables (phones, emails, tags, addresses, next task) is fetched once per batch
with ``IN`` queries, never once per row.

Unlike the lists, nothing is capped: a search gives every match the actor may
see, however many (the card file shows the first 50 and counts to 1,000).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import client_lists
from termcrm.services.access import department_subtree
from termcrm.services.actor import Actor
from termcrm.services.clients import require_visible_client
from termcrm.services.contact_points import ADDRESS_KINDS
from termcrm.services.deals import access_conditions as deal_access
from termcrm.services.errors import Invalid
from termcrm.services.filters import SCOPES, ClientFilter
from termcrm.services.journal import JournalFilter
from termcrm.services.journal import filter_conditions as journal_conditions
from termcrm.services.tasks import KINDS as TASK_KINDS
from termcrm.services.tasks import STATUSES as TASK_STATUSES
from termcrm.services.tasks import access_conditions as task_access
from termcrm.services.text import clean, digits, fold, search_words
from termcrm.store import search as store_search
from termcrm.store.engine import long_read as long_read  # the export reads in one of these
from termcrm.store.tables import (
    Address,
    Client,
    ClientTag,
    Contact,
    Deal,
    Department,
    Email,
    Interaction,
    Phone,
    Pipeline,
    Stage,
    Task,
    User,
    table,
)

client_t = table(Client)
tag_t = table(ClientTag)
contact_t = table(Contact)
address_t = table(Address)
phone_t = table(Phone)
email_t = table(Email)
user_t = table(User)
dept_t = table(Department)
interaction_t = table(Interaction)
task_t = table(Task)
deal_t = table(Deal)
stage_t = table(Stage)
pipeline_t = table(Pipeline)

BATCH = 2000  # rows per query
# The journal and tasks are read in time order, which no index serves (there are
# indexes by client and by user, each with the time): every batch reads and sorts
# all the matching rows to find its next rows. Larger batches mean fewer passes:
# 500,000 journal entries take 16 s to read in batches of 10,000 instead of 50 s in
# batches of 2,000 (with an index on (occurred_at, id): 7 s).
TIME_ORDER_BATCH = 10_000
DEAL_STATES = ("open", "closed", "won", "lost")
_ADDRESS_RANK = {kind: rank for rank, kind in enumerate(ADDRESS_KINDS)}


# ------------------------------------------------------------------ rows


@dataclass(frozen=True, slots=True)
class ClientExport:
    id: int
    name: str
    legal_name: str
    tax_id: str
    kind: str
    group: str
    status: str
    industry: str
    territory: str
    city: str
    address: str  # the first address's line (legal, actual, postal, delivery)
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    website: str
    source: str
    tags: tuple[str, ...]
    owner: str  # full name (or login)
    owner_login: str
    department: str
    parent_id: int | None
    bank_details: str
    business_info: str
    last_contact: datetime | None
    next_task: datetime | None  # the earliest open task on the client, as the card file shows
    created_at: datetime
    updated_at: datetime
    custom: Mapping[str, Any]  # key -> stored value
    version: int


@dataclass(frozen=True, slots=True)
class ContactExport:
    id: int
    full_name: str
    position: str
    client: str
    client_id: int
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    birthday: date | None
    notes: str
    character_notes: str
    version: int


@dataclass(frozen=True, slots=True)
class InteractionExport:
    id: int
    occurred_at: datetime
    kind: str
    direction: str
    client: str
    client_id: int
    contact: str
    contact_id: int | None
    purpose: str
    result: str
    user: str
    deal_id: int | None
    version: int


@dataclass(frozen=True, slots=True)
class TaskExport:
    id: int
    due_at: datetime
    title: str
    kind: str
    status: str
    assignee: str
    client: str
    client_id: int | None
    contact_id: int | None
    deal_id: int | None
    notes: str
    completed_at: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class DealExport:
    id: int
    title: str
    client: str
    client_id: int
    pipeline: str
    stage: str
    kind: str  # the deal's type
    amount: Decimal
    amount_from_items: bool  # the amount follows the deal's line items
    currency: str
    expected_close: date | None
    owner: str
    owner_login: str
    source: str
    competitor: str
    lost_reason: str
    description: str
    closed_at: datetime | None
    version: int


# ------------------------------------------------------------------ filters


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Which tasks to export: the planner's filters, and a scope like the other lists."""

    scope: str = "all"  # all (every task the actor may see) | mine | department
    status: str | None = None  # open | done | cancelled; None: every status
    kind: str | None = None  # call | meeting | visit | letter | email | other
    assignee_id: int | None = None
    client_id: int | None = None
    due_from: datetime | None = None  # due at or after
    due_until: datetime | None = None  # due before


@dataclass(frozen=True, slots=True)
class DealQuery:
    """Which deals to export."""

    scope: str = "all"  # all | mine (deals I own) | department (owned in my department)
    stage_id: int | None = None
    owner_id: int | None = None
    client_id: int | None = None
    state: str | None = None  # open | closed (won or lost) | won | lost; None: every deal


# ------------------------------------------------------------------ batching


def _batches(
    s: Session,
    first: sa.Select[Any],
    after: sa.Select[Any],
    position: Callable[[Any], dict[str, Any]],
    batch: int,
) -> Iterator[Sequence[Any]]:
    """The rows of ``first`` in batches; ``after`` continues after ``position(last row)``.

    Both statements are built once, so each batch only binds new values.
    """
    conn = s.connection()
    rows = conn.execute(first, {"batch_limit": batch}).all()
    while rows:
        yield rows
        if len(rows) < batch:
            return
        rows = conn.execute(after, {**position(rows[-1]), "batch_limit": batch}).all()


def _limit() -> sa.BindParameter[int]:
    return sa.bindparam("batch_limit", type_=sa.Integer())


def _after(
    columns: Sequence[sa.ColumnElement[Any]], names: Sequence[str], descending: bool
) -> sa.ColumnElement[bool]:
    """Rows strictly after the bound position, in the order of ``columns``."""
    bound = sa.tuple_(*[sa.bindparam(n, type_=c.type) for c, n in zip(columns, names, strict=True)])
    return sa.tuple_(*columns) < bound if descending else sa.tuple_(*columns) > bound


def _check_batch(batch: int) -> None:
    if batch < 1:
        raise ValueError("batch must be at least 1")


def _person(full_name: sa.ColumnElement[str], login: sa.ColumnElement[str]) -> Any:
    """A user as lists show them: the full name, else the login."""
    return sa.func.coalesce(sa.func.nullif(full_name, ""), login, "")


def _grouped(s: Session, q: sa.Select[Any], ids: Sequence[int]) -> defaultdict[int, list[str]]:
    """``q`` selects (owner id, contact id, text) for ``:ids``: the texts of each owner
    whose contact id is null, in the query's order."""
    out: defaultdict[int, list[str]] = defaultdict(list)
    for owner, contact, text in s.connection().execute(q, {"ids": list(ids)}).all():
        if contact is None:
            out[owner].append(text)
    return out


_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)


# ------------------------------------------------------------------ clients


def client_search_words(text: str) -> list[str]:
    """The words a search text looks for, exactly as the card file's search reads it
    (``client_lists.search_clients``): a phone-like text is one word of its digits."""
    query = clean(text)
    if client_lists._PHONE_LIKE.match(query) and len(digits(query)) >= store_search.MIN_TRIGRAM:
        return [digits(query)]
    return search_words(query)


def _search_conditions(dialect: str, words: list[str]) -> list[sa.ColumnElement[bool]]:
    """Clients whose search text contains every word: the card file's search, uncapped.

    Words of three characters or more go through the trigram index (FTS5 or
    pg_trgm); shorter ones are matched in the text itself (the card file looks
    for those among the newest clients only; an export reads every client).
    """
    conds: list[sa.ColumnElement[bool]] = []
    long_words = [w for w in words if len(w) >= store_search.MIN_TRIGRAM]
    if long_words:
        hits = store_search.matching_ids(dialect, long_words).order_by(None)
        conds.append(client_t.c.id.in_(hits))
    conds.extend(
        client_t.c.search_body.contains(w, autoescape=True)
        for w in words
        if len(w) < store_search.MIN_TRIGRAM
    )
    return conds


_CLIENT_COLUMNS = (
    client_t.c.id,
    client_t.c.name,
    client_t.c.legal_name,
    client_t.c.tax_id,
    client_t.c.kind,
    client_t.c.client_group,
    client_t.c.status,
    client_t.c.industry,
    client_t.c.territory,
    client_t.c.city,
    client_t.c.website,
    client_t.c.source,
    _person(user_t.c.full_name, user_t.c.login).label("owner"),
    sa.func.coalesce(user_t.c.login, "").label("owner_login"),
    sa.func.coalesce(dept_t.c.name, "").label("department"),
    client_t.c.parent_id,
    client_t.c.bank_details,
    client_t.c.business_info,
    client_t.c.last_interaction_at,
    client_t.c.created_at,
    client_t.c.updated_at,
    client_t.c.custom,
    client_t.c.version,
    client_t.c.name_key,
)
_CLIENT_FROM = client_t.outerjoin(user_t, user_t.c.id == client_t.c.owner_id).outerjoin(
    dept_t, dept_t.c.id == client_t.c.department_id
)
# Phones, emails and addresses of a batch of clients, their contact persons' included
# (those are skipped while reading): with ``contact_id IS NULL`` in the WHERE, SQLite
# reads an IN list of ids through the contact_id index, every client-level row of the
# table for each batch, instead of the client_id index.
_CLIENT_PHONES = (
    sa.select(phone_t.c.client_id, phone_t.c.contact_id, phone_t.c.raw)
    .where(phone_t.c.client_id.in_(_IDS))
    .order_by(phone_t.c.id)
)
_CLIENT_EMAILS = (
    sa.select(email_t.c.client_id, email_t.c.contact_id, email_t.c.address)
    .where(email_t.c.client_id.in_(_IDS))
    .order_by(email_t.c.id)
)
_CLIENT_TAGS = (
    sa.select(tag_t.c.client_id, sa.null(), tag_t.c.tag)
    .where(tag_t.c.client_id.in_(_IDS))
    .order_by(tag_t.c.client_id, tag_t.c.tag)
)
_CLIENT_ADDRESSES = (
    sa.select(address_t.c.client_id, address_t.c.contact_id, address_t.c.kind, address_t.c.line)
    .where(address_t.c.client_id.in_(_IDS))
    .order_by(address_t.c.id)
)
_NEXT_TASKS = (
    sa.select(task_t.c.client_id, sa.func.min(task_t.c.due_at))
    .where(
        task_t.c.client_id.in_(_IDS),
        task_t.c.status == "open",
        task_t.c.deleted_at.is_(None),
    )
    .group_by(task_t.c.client_id)
)


def client_conditions(
    s: Session, actor: Actor, flt: ClientFilter, search: str = ""
) -> list[sa.ColumnElement[bool]]:
    """The WHERE of a client export: the list's filter and access rule, and the search."""
    conds = client_lists._conditions(actor, flt)
    words = client_search_words(search) if search and search.strip() else []
    if search and search.strip() and not words:
        return [*conds, sa.false()]  # a text of nothing but spaces and marks finds nothing
    if words:
        conds.extend(_search_conditions(s.get_bind().dialect.name, words))
    return conds


def iter_clients(
    s: Session,
    actor: Actor,
    flt: ClientFilter | None = None,
    *,
    search: str = "",
    batch: int = BATCH,
) -> Iterator[ClientExport]:
    """Every client of the list ``flt`` (and matching ``search``) that ``actor`` may see,
    by name (as the card file sorts)."""
    _check_batch(batch)
    conds = client_conditions(s, actor, flt or ClientFilter(), search)
    order = (client_t.c.name_key, client_t.c.id)
    base = sa.select(*_CLIENT_COLUMNS).select_from(_CLIENT_FROM).order_by(*order).limit(_limit())
    first = base.where(*conds)
    after = base.where(*conds, _after(order, ("after_name", "after_id"), False))
    for rows in _batches(
        s, first, after, lambda r: {"after_name": r.name_key, "after_id": r.id}, batch
    ):
        yield from _client_batch(s, rows)


def _client_batch(s: Session, rows: Sequence[Any]) -> Iterator[ClientExport]:
    ids = [r.id for r in rows]
    phones = _grouped(s, _CLIENT_PHONES, ids)
    emails = _grouped(s, _CLIENT_EMAILS, ids)
    tags = _grouped(s, _CLIENT_TAGS, ids)
    conn = s.connection()
    first_address: dict[int, tuple[int, str]] = {}
    for client_id, contact_id, kind, line in conn.execute(_CLIENT_ADDRESSES, {"ids": ids}).all():
        if contact_id is not None:
            continue
        rank = _ADDRESS_RANK.get(kind, len(_ADDRESS_RANK))
        known = first_address.get(client_id)
        if known is None or rank < known[0]:
            first_address[client_id] = (rank, line)
    next_task: dict[int, datetime] = {
        client_id: due for client_id, due in conn.execute(_NEXT_TASKS, {"ids": ids})
    }
    empty: tuple[str, ...] = ()
    for r in rows:
        (
            id_,
            name,
            legal_name,
            tax_id,
            kind,
            group,
            status,
            industry,
            territory,
            city,
            website,
            source,
            owner,
            owner_login,
            department,
            parent_id,
            bank_details,
            business_info,
            last_at,
            created_at,
            updated_at,
            custom,
            version,
            _name_key,
        ) = r
        address = first_address.get(id_)
        yield ClientExport(
            id_,
            name,
            legal_name,
            tax_id,
            kind,
            group,
            status,
            industry,
            territory,
            city,
            address[1] if address else "",
            tuple(phones[id_]) if id_ in phones else empty,
            tuple(emails[id_]) if id_ in emails else empty,
            website,
            source,
            tuple(tags[id_]) if id_ in tags else empty,
            owner,
            owner_login,
            department,
            parent_id,
            bank_details,
            business_info,
            last_at,
            next_task.get(id_),
            created_at,
            updated_at,
            custom or {},
            version,
        )


# ------------------------------------------------------------------ contacts

_CONTACT_PHONES = (
    sa.select(phone_t.c.contact_id, sa.null(), phone_t.c.raw)
    .where(phone_t.c.contact_id.in_(_IDS))
    .order_by(phone_t.c.id)
)
_CONTACT_EMAILS = (
    sa.select(email_t.c.contact_id, sa.null(), email_t.c.address)
    .where(email_t.c.contact_id.in_(_IDS))
    .order_by(email_t.c.id)
)


def iter_contacts(
    s: Session,
    actor: Actor,
    flt: ClientFilter | None = None,
    *,
    text: str = "",
    client_id: int | None = None,
    batch: int = BATCH,
) -> Iterator[ContactExport]:
    """Contact persons of the clients of the list ``flt`` that ``actor`` may see, by name.

    With ``text``, only those whose name contains every word of it, casefolded, as
    ``contacts.list_contacts`` matches: the clients' search text narrows the rows
    read, and the names are matched here.
    """
    _check_batch(batch)
    if client_id is not None:
        require_visible_client(s, actor, client_id)
    conds = client_lists._conditions(actor, flt or ClientFilter())
    conds.append(contact_t.c.deleted_at.is_(None))
    if client_id is not None:
        conds.append(contact_t.c.client_id == client_id)
    words = search_words(text or "")
    if words:
        conds.extend(_search_conditions(s.get_bind().dialect.name, words))
    order = (contact_t.c.full_name, contact_t.c.id)
    base = (
        sa.select(
            contact_t.c.id,
            contact_t.c.full_name,
            contact_t.c.position,
            client_t.c.name,
            contact_t.c.client_id,
            contact_t.c.birthday,
            contact_t.c.notes,
            contact_t.c.character_notes,
            contact_t.c.version,
        )
        .select_from(contact_t.join(client_t, client_t.c.id == contact_t.c.client_id))
        .order_by(*order)
        .limit(_limit())
    )
    first = base.where(*conds)
    after = base.where(*conds, _after(order, ("after_name", "after_id"), False))
    for rows in _batches(
        s, first, after, lambda r: {"after_name": r.full_name, "after_id": r.id}, batch
    ):
        if words:
            rows = [r for r in rows if all(w in fold(r.full_name) for w in words)]
            if not rows:
                continue
        ids = [r.id for r in rows]
        phones = _grouped(s, _CONTACT_PHONES, ids)
        emails = _grouped(s, _CONTACT_EMAILS, ids)
        for id_, full_name, position, client, cid, birthday, notes, character, version in rows:
            yield ContactExport(
                id_,
                full_name,
                position,
                client,
                cid,
                tuple(phones.get(id_, ())),
                tuple(emails.get(id_, ())),
                birthday,
                notes,
                character,
                version,
            )


# ------------------------------------------------------------------ journal


def _in_department(actor: Actor, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """``column`` (a user id) is a user of the actor's department or one below it."""
    if actor.department_id is None:
        raise Invalid({"scope": _("you belong to no department")})
    return column.in_(
        sa.select(user_t.c.id).where(
            user_t.c.department_id.in_(department_subtree(actor.department_id))
        )
    )


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise Invalid({"scope": _("must be one of {choices}").format(choices=", ".join(SCOPES))})


def iter_interactions(
    s: Session, actor: Actor, flt: JournalFilter | None = None, *, batch: int = TIME_ORDER_BATCH
) -> Iterator[InteractionExport]:
    """The journal entries ``actor`` may see, newest first (``journal.list_interactions``)."""
    _check_batch(batch)
    f = flt or JournalFilter()
    i = interaction_t.c
    if f.client_id is not None:
        require_visible_client(s, actor, f.client_id)
    conds = journal_conditions(actor, f)
    order = (i.occurred_at, i.id)
    base = (
        sa.select(
            i.id,
            i.occurred_at,
            i.kind,
            i.direction,
            client_t.c.name,
            i.client_id,
            sa.func.coalesce(contact_t.c.full_name, ""),
            i.contact_id,
            i.purpose,
            i.result,
            _person(user_t.c.full_name, user_t.c.login),
            i.deal_id,
            i.version,
        )
        .select_from(
            interaction_t.join(client_t, client_t.c.id == i.client_id)
            .join(user_t, user_t.c.id == i.user_id)
            .outerjoin(contact_t, contact_t.c.id == i.contact_id)
        )
        .order_by(i.occurred_at.desc(), i.id.desc())
        .limit(_limit())
    )
    first = base.where(*conds)
    after = base.where(*conds, _after(order, ("after_at", "after_id"), True))
    for rows in _batches(
        s, first, after, lambda r: {"after_at": r.occurred_at, "after_id": r.id}, batch
    ):
        for r in rows:
            yield InteractionExport(*r)


# ------------------------------------------------------------------ tasks


def iter_tasks(
    s: Session, actor: Actor, flt: TaskQuery | None = None, *, batch: int = TIME_ORDER_BATCH
) -> Iterator[TaskExport]:
    """The tasks ``actor`` may see (``tasks.list_tasks``), earliest due first."""
    _check_batch(batch)
    f = flt or TaskQuery()
    t = task_t.c
    _check_scope(f.scope)
    if f.status is not None and f.status not in TASK_STATUSES:
        raise Invalid(
            {"status": _("must be one of {choices}").format(choices=", ".join(TASK_STATUSES))}
        )
    if f.kind is not None and f.kind not in TASK_KINDS:
        raise Invalid({"kind": _("must be one of {choices}").format(choices=", ".join(TASK_KINDS))})
    if f.client_id is not None:
        require_visible_client(s, actor, f.client_id)
    conds = task_access(actor)
    if f.scope == "mine":
        conds.append(t.assignee_id == actor.id)
    elif f.scope == "department":
        conds.append(_in_department(actor, t.assignee_id))
    if f.status is not None:
        conds.append(t.status == f.status)
    if f.kind is not None:
        conds.append(t.kind == f.kind)
    if f.assignee_id is not None:
        conds.append(t.assignee_id == f.assignee_id)
    if f.client_id is not None:
        conds.append(t.client_id == f.client_id)
    if f.due_from is not None:
        conds.append(t.due_at >= f.due_from)
    if f.due_until is not None:
        conds.append(t.due_at < f.due_until)
    order = (t.due_at, t.id)
    base = (
        sa.select(
            t.id,
            t.due_at,
            t.title,
            t.kind,
            t.status,
            _person(user_t.c.full_name, user_t.c.login),
            sa.func.coalesce(client_t.c.name, ""),
            t.client_id,
            t.contact_id,
            t.deal_id,
            t.notes,
            t.completed_at,
            t.version,
        )
        .select_from(
            task_t.join(user_t, user_t.c.id == t.assignee_id).outerjoin(
                client_t, client_t.c.id == t.client_id
            )
        )
        .order_by(*order)
        .limit(_limit())
    )
    first = base.where(*conds)
    after = base.where(*conds, _after(order, ("after_at", "after_id"), False))
    for rows in _batches(
        s, first, after, lambda r: {"after_at": r.due_at, "after_id": r.id}, batch
    ):
        for r in rows:
            yield TaskExport(*r)


# ------------------------------------------------------------------ deals


def iter_deals(
    s: Session, actor: Actor, flt: DealQuery | None = None, *, batch: int = BATCH
) -> Iterator[DealExport]:
    """The deals ``actor`` may see (``deals.list_deals``), newest first."""
    _check_batch(batch)
    f = flt or DealQuery()
    d = deal_t.c
    _check_scope(f.scope)
    if f.state is not None and f.state not in DEAL_STATES:
        raise Invalid(
            {"state": _("must be one of {choices}").format(choices=", ".join(DEAL_STATES))}
        )
    if f.client_id is not None:
        require_visible_client(s, actor, f.client_id)
    conds = deal_access(actor)
    if f.scope == "mine":
        conds.append(d.owner_id == actor.id)
    elif f.scope == "department":
        conds.append(_in_department(actor, d.owner_id))
    for column, value in (
        (d.stage_id, f.stage_id),
        (d.owner_id, f.owner_id),
        (d.client_id, f.client_id),
    ):
        if value is not None:
            conds.append(column == value)
    if f.state == "open":
        conds.append(stage_t.c.outcome == "open")
    elif f.state == "closed":
        conds.append(stage_t.c.outcome != "open")
    elif f.state is not None:
        conds.append(stage_t.c.outcome == f.state)
    base = (
        sa.select(
            d.id,
            d.title,
            client_t.c.name,
            d.client_id,
            pipeline_t.c.name,
            stage_t.c.name,
            d.kind,
            d.amount,
            d.amount_from_items,
            d.currency,
            d.expected_close,
            _person(user_t.c.full_name, user_t.c.login),
            user_t.c.login,
            d.source,
            d.competitor,
            d.lost_reason,
            d.description,
            d.closed_at,
            d.version,
        )
        .select_from(
            deal_t.join(client_t, client_t.c.id == d.client_id)
            .join(stage_t, stage_t.c.id == d.stage_id)
            .join(pipeline_t, pipeline_t.c.id == d.pipeline_id)
            .join(user_t, user_t.c.id == d.owner_id)
        )
        .order_by(d.id.desc())
        .limit(_limit())
    )
    first = base.where(*conds)
    after = base.where(*conds, d.id < sa.bindparam("after_id", type_=sa.Integer()))
    for rows in _batches(s, first, after, lambda r: {"after_id": r.id}, batch):
        for r in rows:
            yield DealExport(*r)
