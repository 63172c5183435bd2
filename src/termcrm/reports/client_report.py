"""The client report: everything about one client on a few sheets (the "полный отчет
по клиенту" of the seeds): the profile, branches, contact persons, the interactions
by kind per month, the deals, and shipments and payments per month with the
receivable (shipped minus paid, from the client's first fact on).

Options: ``client_id`` (required). The client's access rule applies: a client the
actor may not see is refused with the reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, NP_, _, fmt_date, fmt_money, pgettext
from termcrm.labels import value_label
from termcrm.reports import facts
from termcrm.reports.model import Chart, Column, Params, Report, Table
from termcrm.services import clients, contacts
from termcrm.services.access import visible_clients
from termcrm.services.actor import Actor
from termcrm.services.dto import ClientOut
from termcrm.services.errors import Invalid
from termcrm.services.journal import KINDS
from termcrm.store.tables import Client, Deal, Interaction, Payment, Shipment, Stage, User, table

shipment_t = table(Shipment)
payment_t = table(Payment)
client_t = table(Client)
user_t = table(User)
deal_t = table(Deal)
stage_t = table(Stage)
interaction_t = table(Interaction)
NAME = "client"
TITLE = N_("Client report")
ZERO = Decimal("0.00")
KIND_COLUMNS = {
    "call": N_("Calls"),
    "meeting": N_("Meetings"),
    "email": N_("Emails"),
    "letter": N_("Letters"),
    "visit": N_("Visits"),
    "message": N_("Messages"),
}
OUTCOME_LABELS = {
    "open": NP_("deal", "open"),
    "won": NP_("deal", "won"),
    "lost": NP_("deal", "lost"),
}


def client_id_of(params: Params) -> int:
    raw = params.option("client_id", None)
    if raw is None or str(raw).strip() == "":
        raise Invalid({"client_id": _("name the client the report is about")})
    try:
        return int(str(raw).strip())
    except ValueError:
        raise Invalid(
            {"client_id": _("'{value}' is not a client number").format(value=raw)}
        ) from None


def _profile(s: Session, actor: Actor, c: ClientOut) -> Table:
    parent = ""
    if c.parent_id is not None:
        name = s.execute(
            sa.select(client_t.c.name).where(client_t.c.id == c.parent_id)
        ).scalar_one_or_none()
        parent = name or ""
    addresses = "; ".join(
        ", ".join(part for part in (a.postcode, a.city, a.line) if part) for a in c.addresses
    )
    pairs = [
        (N_("Name"), c.name),
        (N_("Legal name"), c.legal_name),
        (N_("Tax id"), c.tax_id),
        (N_("Group"), c.group),
        (N_("Status"), value_label(c.status) if c.status else ""),
        (N_("Industry"), c.industry),
        (N_("Territory"), c.territory),
        (N_("City"), c.city),
        (N_("Source"), c.source),
        (N_("Owner"), c.owner),
        (N_("Department"), c.department),
        (N_("Head office"), parent),
        (N_("Phones"), ", ".join(p.raw for p in c.phones)),
        (N_("Emails"), ", ".join(e.address for e in c.emails)),
        (N_("Address"), addresses),
        (N_("Website"), c.website),
        (N_("Tags"), ", ".join(c.tags)),
    ]
    return Table(
        "profile",
        N_("Profile"),
        (Column("field", N_("Field")), Column("value", N_("Value"))),
        tuple((_(label), value) for label, value in pairs),
    )


def _branches(s: Session, actor: Actor, client_id: int) -> Table:
    """The client's branches (child clients) the actor may see."""
    c = client_t.c
    owner = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login, "")
    rows = s.execute(
        sa.select(c.name, c.city, c.status, owner)
        .select_from(client_t.outerjoin(user_t, user_t.c.id == c.owner_id))
        .where(c.parent_id == client_id, c.deleted_at.is_(None), visible_clients(actor))
        .order_by(c.name_key, c.id)
    ).all()
    return Table(
        "branches",
        N_("Branches"),
        (
            Column("client", N_("Client")),
            Column("city", N_("City")),
            Column("status", N_("Status")),
            Column("owner", N_("Owner")),
        ),
        tuple((r[0], r[1], value_label(r[2]) if r[2] else "", r[3]) for r in rows),
    )


def _contacts(s: Session, actor: Actor, client_id: int) -> Table:
    body = []
    after: str | None = None
    while True:
        page = contacts.list_contacts(s, actor, client_id=client_id, after=after, limit=100)
        for p in page.items:
            body.append(
                (
                    p.full_name,
                    p.position,
                    ", ".join(x.raw for x in p.phones),
                    ", ".join(x.address for x in p.emails),
                    p.birthday,
                )
            )
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return Table(
        "contacts",
        N_("Contact persons"),
        (
            Column("name", N_("Name")),
            Column("position", N_("Position")),
            Column("phones", N_("Phones")),
            Column("emails", N_("Emails")),
            Column("birthday", N_("Birthday"), "date"),
        ),
        tuple(body),
    )


def _month_first(index: int) -> date:
    return facts.unit_days(index, "month")[0]


def _interactions(s: Session, client_id: int, period: tuple[date, date]) -> Table:
    """Interactions per month of the period and kind (months by UTC time)."""
    i = interaction_t.c
    start = datetime.combine(period[0], time(), tzinfo=UTC)
    end = datetime.combine(period[1] + timedelta(days=1), time(), tzinfo=UTC)
    month = facts.unit_index(i.occurred_at, "month")
    counts: dict[int, dict[str, int]] = {}
    for m, kind, n in s.execute(
        sa.select(month, i.kind, sa.func.count())
        .where(
            i.client_id == client_id,
            i.occurred_at >= start,
            i.occurred_at < end,
            i.deleted_at.is_(None),
        )
        .group_by(month, i.kind)
    ):
        counts.setdefault(int(m), {})[kind] = int(n)
    months = facts.units_of(period, "month")
    per_month = [[counts.get(m, {}).get(k, 0) for k in KINDS] for m in months]
    body = [(_month_first(m), *row, sum(row)) for m, row in zip(months, per_month, strict=True)]
    totals = [sum(row[j] for row in per_month) for j in range(len(KINDS))]
    return Table(
        "interactions",
        N_("Interactions by month"),
        (
            Column("month", N_("Month"), "month"),
            *(Column(k, KIND_COLUMNS[k], "int") for k in KINDS),
            Column("total", N_("Total"), "int"),
        ),
        tuple(body),
        (_("Total"), *totals, sum(totals)),
    )


def _deals(s: Session, client_id: int) -> Table:
    d = deal_t.c
    rows = s.execute(
        sa.select(
            d.title, stage_t.c.name, d.amount, d.currency, d.expected_close, stage_t.c.outcome
        )
        .select_from(deal_t.join(stage_t, stage_t.c.id == d.stage_id))
        .where(d.client_id == client_id, d.deleted_at.is_(None))
        .order_by(d.created_at.desc(), d.id.desc())
    ).all()
    return Table(
        "deals",
        N_("Deals"),
        (
            Column("title", N_("Deal")),
            Column("stage", N_("Stage")),
            Column("amount", N_("Amount"), "money"),
            Column("currency", N_("Currency")),
            Column("expected_close", N_("Expected close"), "date"),
            Column("status", N_("Status")),
        ),
        tuple(
            (r[0], r[1], r[2], r[3], r[4], pgettext("deal", OUTCOME_LABELS.get(r[5], r[5])))
            for r in rows
        ),
    )


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


class _Month(NamedTuple):
    """One currency's facts in one month: shipped and paid up to the period's end, and
    up to today."""

    shipped: Decimal
    paid: Decimal
    shipped_by_today: Decimal
    paid_by_today: Decimal


class _Facts(NamedTuple):
    months: dict[int, _Month]
    shipments: int
    payments: int


@cache
def _facts_query() -> sa.Select[Any]:
    """Of client ``:client_id``, per currency and month: shipped and paid up to ``:end``
    (the period's last day) and up to ``:today``, and the numbers of shipments and
    payments (all of them). Built once: it is the same statement for every client."""
    money = shipment_t.c.amount.type
    nothing = sa.literal(ZERO, money)
    client_id = sa.bindparam("client_id", type_=sa.Integer)
    sh, pay = shipment_t.c, payment_t.c
    shipped = sa.select(
        sh.currency.label("currency"),
        facts.unit_index(sh.shipped_on, "month").label("m"),
        sh.shipped_on.label("day"),
        sh.amount.label("shipped"),
        nothing.label("paid"),
        sa.literal(1).label("shipment"),
    ).where(sh.client_id == client_id)
    paid = sa.select(
        pay.currency,
        facts.unit_index(pay.paid_on, "month"),
        pay.paid_on,
        nothing,
        pay.amount,
        sa.literal(0),
    ).where(pay.client_id == client_id)
    f = sa.union_all(shipped, paid).subquery("facts").c
    by_end = f.day <= sa.bindparam("end", type_=sa.Date)
    by_today = f.day <= sa.bindparam("today", type_=sa.Date)

    def total(column: sa.ColumnElement[Any], when: sa.ColumnElement[bool]) -> Any:
        return sa.type_coerce(sa.func.sum(sa.case((when, column), else_=nothing)), money)

    return sa.select(
        f.currency,
        f.m,
        total(f.shipped, by_end),
        total(f.paid, by_end),
        total(f.shipped, by_today),
        total(f.paid, by_today),
        sa.func.sum(f.shipment),
        sa.func.count() - sa.func.sum(f.shipment),
    ).group_by(f.currency, f.m)


def _facts(s: Session, client_id: int, end: date, today: date) -> dict[str, _Facts]:
    """The client's shipments and payments per currency and month, in one statement
    (its rows are months, never facts)."""
    query = _facts_query()
    rows = s.execute(query, {"client_id": client_id, "end": end, "today": today})
    out: dict[str, _Facts] = {}
    for code, m, shipped_sum, paid_sum, shipped_now, paid_now, n_ship, n_pay in rows:
        months, shipments, payments = out.get(code) or _Facts({}, 0, 0)
        months[int(m)] = _Month(
            _money(shipped_sum), _money(paid_sum), _money(shipped_now), _money(paid_now)
        )
        out[code] = _Facts(months, shipments + int(n_ship), payments + int(n_pay))
    return out


def _currency(found: dict[str, _Facts], wanted: str | None) -> tuple[str | None, list[str]]:
    """The report's currency: the one asked for, else the one most of the client's
    shipments are in (without shipments, payments; a tie goes by the code); and the
    others it has."""
    if wanted:
        code = wanted.strip().upper()
        return code, sorted(c for c in found if c != code)
    shipped = [c for c in found if found[c].shipments]
    if shipped:
        chosen = min(shipped, key=lambda c: (-found[c].shipments, c))
    elif found:
        chosen = min(found, key=lambda c: (-found[c].payments, c))
    else:
        return None, []
    return chosen, sorted(c for c in found if c != chosen)


def _sales(found: _Facts | None, period: tuple[date, date]) -> tuple[Table, Decimal, Decimal]:
    """Shipped and paid per month of the period and the receivable at each month's end
    (from the client's first fact on); the receivable before the period (the opening
    balance) and today's."""
    months = facts.units_of(period, "month")
    seen = found.months if found else {}
    opening = sum((v.shipped - v.paid for m, v in seen.items() if m < months[0]), ZERO)
    now = sum((v.shipped_by_today - v.paid_by_today for v in seen.values()), ZERO)
    balance = opening
    body = []
    for m in months:
        month = seen.get(m)
        shipped_sum, paid_sum = (month.shipped, month.paid) if month else (ZERO, ZERO)
        balance += shipped_sum - paid_sum
        body.append((_month_first(m), shipped_sum, paid_sum, balance))
    total = (
        _("Total"),
        sum((r[1] for r in body), ZERO),
        sum((r[2] for r in body), ZERO),
        balance,
    )
    table_ = Table(
        "sales",
        N_("Shipments and payments by month"),
        (
            Column("month", N_("Month"), "month"),
            Column("shipped", N_("Shipped"), "money"),
            Column("paid", N_("Paid"), "money"),
            Column("receivable", N_("Receivable"), "money"),
        ),
        tuple(body),
        total,
    )
    return table_, opening, now


def client_report(s: Session, actor: Actor, params: Params) -> Report:
    client_id = client_id_of(params)
    c = clients.get_client(s, actor, client_id)  # the refusal, with its reason
    today = params.today or date.today()
    tables = [
        _profile(s, actor, c),
        _branches(s, actor, client_id),
        _contacts(s, actor, client_id),
        _interactions(s, client_id, params.period),
        _deals(s, client_id),
    ]
    charts = [
        Chart(
            "bar",
            N_("Interactions by month"),
            "interactions",
            "month",
            tuple(KINDS),
            stacked=True,
        )
    ]
    notes: list[str] = []
    found = _facts(s, client_id, params.period[1], today)
    currency, others = _currency(found, params.currency)
    if currency is not None:
        sales, opening, now = _sales(found.get(currency), params.period)
        tables.append(sales)
        charts.append(
            Chart(
                "line",
                N_("Shipped, paid and receivable"),
                "sales",
                "month",
                ("shipped", "paid", "receivable"),
            )
        )
        notes.append(
            _("Receivable at {day}: {amount} (everything shipped minus everything paid); "
              "at the period's start: {opening}.").format(
                day=fmt_date(today),
                amount=fmt_money(now, currency),
                opening=fmt_money(opening, currency),
            )
        )  # fmt: skip
        if others:
            notes.append(
                _("Amounts in {currency} only; there are also facts in {others}.").format(
                    currency=currency, others=", ".join(others)
                )
            )
    else:
        notes.append(_("The client has no shipments or payments."))
    return Report(
        NAME,
        TITLE,
        params.period,
        _("client {name}").format(name=c.name),
        currency,
        tuple(tables),
        tuple(charts),
        tuple(notes),
    )
