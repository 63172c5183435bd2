"""Significant dates: contact persons' birthdays and clients' company dates, every year.

Birthdays live on the contact (``contact.birthday``, ``birthday_remind_days``);
company dates (foundation day, professional holiday, contract anniversary, any other)
are rows of ``significant_date``. Both are found by month and day, so a date shows on
its day every year; 29 February shows on 28 February in a year that has none.
Access follows the client: a rep sees the dates of their own clients.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import visible_clients
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.clients import live_client, require_visible_client
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.text import clean
from termcrm.store.dates import month_day
from termcrm.store.tables import Client, Contact, SignificantDate, table
from termcrm.store.types import utcnow

date_t = table(SignificantDate)
client_t = table(Client)
contact_t = table(Contact)

KINDS = ("foundation", "holiday", "contract", "other")
KIND_LABELS = {
    "birthday": N_("birthday"),
    "foundation": N_("foundation day"),
    "holiday": N_("professional holiday"),
    "contract": N_("contract anniversary"),
    "other": N_("significant date"),
}
MAX_REMIND_DAYS = 30
DEFAULT_REMIND_DAYS = 3


@dataclass(frozen=True, slots=True)
class DateOut:
    """A stored company date (``significant_date``)."""

    id: int
    client_id: int
    client: str
    contact_id: int | None
    kind: str
    title: str
    month: int
    day: int
    year: int | None
    remind_days: int
    version: int


@dataclass(frozen=True, slots=True)
class Occasion:
    """A significant date on the day it falls in a given year."""

    on: date  # this year's day (28 Feb for a 29 Feb date in a common year)
    kind: str  # birthday | foundation | holiday | contract | other
    title: str  # the contact's name for a birthday, the date's title otherwise
    client_id: int
    client: str
    contact_id: int | None
    years: int | None  # the age or anniversary reached on that day, when the year is known
    remind_days: int
    date_id: int | None  # the significant_date row; None for a birthday

    @property
    def key(self) -> str:
        """Stable across runs: which reminder this is (the app shows each once)."""
        source = f"d{self.date_id}" if self.date_id is not None else f"b{self.contact_id}"
        return f"{source}@{self.on.isoformat()}"


def _check(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values["kind"] not in KINDS:
        errors["kind"] = _("must be one of {choices}").format(choices=", ".join(KINDS))
    if not values["title"]:
        errors["title"] = _("a date needs a title")
    elif len(values["title"]) > 200:
        errors["title"] = _("at most {n} characters").format(n=200)
    month, day, year = values["month"], values["day"], values["year"]
    if not 1 <= month <= 12:
        errors["month"] = _("a month is from 1 to 12")
    elif not 1 <= day <= calendar.monthrange(2000, month)[1]:  # 2000: 29 Feb exists
        errors["day"] = _("no such day in that month")
    elif year is not None:
        if not 1800 <= year <= date.today().year:
            errors["year"] = _("a year from 1800 to this year")
        elif month == 2 and day == 29 and not calendar.isleap(year):
            errors["day"] = _("{year} had no 29 February").format(year=year)
    if not 0 <= values["remind_days"] <= MAX_REMIND_DAYS:
        errors["remind_days"] = _("remind from 0 to {n} days before").format(n=MAX_REMIND_DAYS)
    return errors


def _contact_of(s: Session, client_id: int, contact_id: int | None) -> None:
    if contact_id is None:
        return
    row = s.execute(
        sa.select(contact_t.c.client_id, contact_t.c.deleted_at).where(contact_t.c.id == contact_id)
    ).first()
    if row is None or row.deleted_at is not None:
        raise NotFound(_("contact {id} does not exist").format(id=contact_id))
    if row.client_id != client_id:
        raise Invalid(
            {
                "contact": _("contact {id} is not a contact of client {client}").format(
                    id=contact_id, client=client_id
                )
            }
        )


def add_date(
    s: Session,
    actor: Actor,
    *,
    client_id: int,
    kind: str,
    title: str,
    month: int,
    day: int,
    year: int | None = None,
    remind_days: int = DEFAULT_REMIND_DAYS,
    contact_id: int | None = None,
) -> DateOut:
    require_visible_client(s, actor, client_id)
    values: dict[str, Any] = {
        "kind": kind,
        "title": clean(title),
        "month": month,
        "day": day,
        "year": year,
        "remind_days": remind_days,
    }
    errors = _check(values)
    if errors:
        raise Invalid(errors)
    _contact_of(s, client_id, contact_id)
    now = utcnow()
    new_id = s.execute(
        sa.insert(date_t)
        .values(
            **values,
            month_day=month * 100 + day,
            client_id=client_id,
            contact_id=contact_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(date_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="significant_date",
        entity_id=new_id,
        client_id=client_id,
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v is not None},
    )
    return get_date(s, actor, new_id)


def _row(s: Session, actor: Actor, date_id: int) -> Any:
    row = s.execute(sa.select(date_t).where(date_t.c.id == date_id)).first()
    if row is None or row.deleted_at is not None:
        raise NotFound(_("significant date {id} does not exist").format(id=date_id))
    require_visible_client(s, actor, row.client_id)
    return row


def get_date(s: Session, actor: Actor, date_id: int) -> DateOut:
    _row(s, actor, date_id)
    return list_dates(s, actor, only_id=date_id)[0]


def update_date(
    s: Session, actor: Actor, date_id: int, *, version: int, changes: Mapping[str, Any]
) -> DateOut:
    row = _row(s, actor, date_id)
    check_version(s, "significant_date", date_id, version, row.version)
    fields = ("kind", "title", "month", "day", "year", "remind_days")
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise Invalid({k: _("not a field of a significant date") for k in unknown})
    current = {f: getattr(row, f) for f in fields}
    values = {**current, **changes}
    values["title"] = clean(values["title"])
    errors = _check(values)
    if errors:
        raise Invalid(errors)
    audit_changes = diff(current, values)
    if audit_changes:
        written = {k: values[k] for k in audit_changes}
        written["month_day"] = values["month"] * 100 + values["day"]
        versioned_update(
            s,
            actor,
            date_t,
            entity="significant_date",
            entity_id=date_id,
            base_version=version,
            values=written,
            audit_changes=audit_changes,
            client_id=row.client_id,
        )
    return get_date(s, actor, date_id)


def delete_date(s: Session, actor: Actor, date_id: int, *, version: int) -> None:
    row = _row(s, actor, date_id)
    values = {"deleted_at": utcnow()}
    versioned_update(
        s,
        actor,
        date_t,
        entity="significant_date",
        entity_id=date_id,
        base_version=version,
        values=values,
        audit_changes={"deleted_at": [None, plain(values["deleted_at"])]},
        client_id=row.client_id,
        action="delete",
    )


def list_dates(
    s: Session, actor: Actor, *, client_id: int | None = None, only_id: int | None = None
) -> list[DateOut]:
    """A client's company dates (or every one the actor may see), by month and day."""
    query = (
        sa.select(date_t, client_t.c.name.label("client_name"))
        .select_from(date_t.join(client_t, client_t.c.id == date_t.c.client_id))
        .where(
            date_t.c.deleted_at.is_(None),
            client_t.c.deleted_at.is_(None),
            visible_clients(actor),
        )
        .order_by(date_t.c.month_day, date_t.c.id)
    )
    if client_id is not None:
        require_visible_client(s, actor, client_id)
        query = query.where(date_t.c.client_id == client_id)
    if only_id is not None:
        query = query.where(date_t.c.id == only_id)
    return [
        DateOut(
            id=r.id,
            client_id=r.client_id,
            client=r.client_name,
            contact_id=r.contact_id,
            kind=r.kind,
            title=r.title,
            month=r.month,
            day=r.day,
            year=r.year,
            remind_days=r.remind_days,
            version=r.version,
        )
        for r in s.execute(query)
    ]


# -- occasions: the dates on their days of a given span


def _spans(first: date, last: date) -> list[tuple[int, int]]:
    """month_day ranges covering the days first..last (at most a year)."""
    if (last - first).days >= 365:
        return [(101, 1231)]
    lo, hi = first.month * 100 + first.day, last.month * 100 + last.day
    if first.year == last.year:
        return [(lo, hi)]
    return [(lo, 1231), (101, hi)]


def _day_in(year: int, month: int, day: int) -> date:
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def _occurs(first: date, last: date, month: int, day: int) -> list[date]:
    """The days in first..last on which a date of (month, day) falls."""
    return [
        d
        for year in range(first.year, last.year + 1)
        if first <= (d := _day_in(year, month, day)) <= last
    ]


def _widened(spans: list[tuple[int, int]], first: date, last: date) -> list[tuple[int, int]]:
    """29 February dates show on the 28th in common years: look them up then too."""
    for year in range(first.year, last.year + 1):
        feb28 = date(year, 2, 28)
        if not calendar.isleap(year) and first <= feb28 <= last:
            return [*spans, (229, 229)]
    return spans


def occasions(
    s: Session,
    actor: Actor,
    first: date,
    last: date,
    *,
    owner_id: int | None = None,
) -> list[Occasion]:
    """Birthdays and company dates falling on the days ``first``..``last``, by day.

    ``owner_id`` narrows to the clients of one user (the planner of "mine"); the
    access rule applies either way."""
    if last < first:
        return []
    spans = _widened(_spans(first, last), first, last)
    found: list[Occasion] = []
    md = month_day(contact_t.c.birthday)
    birthdays = _by_day(
        s,
        actor,
        sa.select(
            contact_t.c.id,
            contact_t.c.full_name,
            contact_t.c.birthday,
            contact_t.c.birthday_remind_days,
            contact_t.c.client_id,
        ),
        contact_t,
        [
            sa.or_(*(md.between(lo, hi) for lo, hi in spans)),
            # the terms of the partial index ix_contact_birthday_day (store/dates.py)
            contact_t.c.birthday.is_not(None),
            contact_t.c.deleted_at.is_(None),
        ],
        owner_id,
    )
    for r in birthdays:
        born: date = r.birthday
        for on in _occurs(first, last, born.month, born.day):
            found.append(
                Occasion(
                    on=on,
                    kind="birthday",
                    title=r.full_name,
                    client_id=r.client_id,
                    client=r.client_name,
                    contact_id=r.id,
                    years=on.year - born.year if on.year > born.year else None,
                    remind_days=r.birthday_remind_days,
                    date_id=None,
                )
            )
    company = _by_day(
        s,
        actor,
        sa.select(date_t),
        date_t,
        [
            sa.or_(*(date_t.c.month_day.between(lo, hi) for lo, hi in spans)),
            date_t.c.deleted_at.is_(None),
        ],
        owner_id,
    )
    for r in company:
        for on in _occurs(first, last, r.month, r.day):
            found.append(
                Occasion(
                    on=on,
                    kind=r.kind,
                    title=r.title,
                    client_id=r.client_id,
                    client=r.client_name,
                    contact_id=r.contact_id,
                    years=on.year - r.year if r.year is not None and on.year > r.year else None,
                    remind_days=r.remind_days,
                    date_id=r.id,
                )
            )
    found.sort(key=lambda o: (o.on, o.kind != "birthday", o.client, o.title))
    return found


def day_counts(
    s: Session, actor: Actor, first: date, last: date, *, owner_id: int | None = None
) -> Counter[date]:
    """How many birthdays and company dates fall on each day of ``first``..``last``: the
    days of ``occasions``, counted. For the actor's own clients (or anyone's, for one who
    sees all) the counts come from the owner's month-and-day index entries alone, with
    no contact or client row read."""
    if last < first:
        return Counter()
    if owner_id is None or not (actor.sees_all or owner_id == actor.id):
        # whose clients the actor may see is the client's business: read them
        return Counter(o.on for o in occasions(s, actor, first, last, owner_id=owner_id))
    spans = _widened(_spans(first, last), first, last)
    md = month_day(contact_t.c.birthday)
    births = (
        sa.select(md, sa.func.count())
        .where(
            contact_t.c.owner_id == owner_id,
            sa.or_(*(md.between(lo, hi) for lo, hi in spans)),
            contact_t.c.birthday.is_not(None),
            contact_t.c.deleted_at.is_(None),
            live_client(contact_t.c.client_id),
        )
        .group_by(md)
    )
    d = date_t.c
    company = (
        sa.select(d.month_day, sa.func.count())
        .where(
            d.owner_id == owner_id,
            sa.or_(*(d.month_day.between(lo, hi) for lo, hi in spans)),
            d.deleted_at.is_(None),
            live_client(d.client_id),
        )
        .group_by(d.month_day)
    )
    counts: Counter[date] = Counter()
    for query in (births, company):
        for on_day, n in s.execute(query).all():
            for on in _occurs(first, last, on_day // 100, on_day % 100):
                counts[on] += n
    return counts


def _by_day(
    s: Session,
    actor: Actor,
    select: sa.Select[Any],
    source: sa.Table,
    on_days: list[sa.ColumnElement[bool]],
    owner_id: int | None,
) -> Sequence[Any]:
    """The rows of ``source`` (contact or significant_date) that ``on_days`` finds by its
    month-and-day index, of live clients the actor may see (and of ``owner_id``'s), with
    the client's name as ``client_name``.

    With one owner, the rows' own copy of their client's owner (store/owners.py) leads
    to the owner's index entries of those days alone; the client is still read, for its
    name and to leave out a trashed one."""
    client = client_t.c
    scope: list[sa.ColumnElement[bool]] = [client.deleted_at.is_(None), visible_clients(actor)]
    if owner_id is not None:
        scope.append(source.c.owner_id == owner_id)
    named = select.add_columns(client.name.label("client_name")).select_from(
        source.join(client_t, client.id == source.c.client_id)
    )
    return s.execute(named.where(*on_days, *scope)).all()


def reminders(
    s: Session, actor: Actor, today: date, *, owner_id: int | None = None
) -> list[Occasion]:
    """The dates whose reminder window holds ``today``: from N days before to the day."""
    window = occasions(s, actor, today, today + timedelta(days=MAX_REMIND_DAYS), owner_id=owner_id)
    return [o for o in window if (o.on - today).days <= o.remind_days]
