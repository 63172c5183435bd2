"""Client base dynamics: per unit (month, quarter or year) the new, active, lapsed and
lost clients and the base, and the churn list at the period's end (the "динамика
появления новых клиентов", "ушедшие клиенты", "потерянные клиенты" of the seeds).

Every figure comes from the shipments (a client is a buyer from their first shipment
on), counted at each unit's end:

- new: the client's first shipment ever is in the unit;
- active: shipped in the unit;
- lapsed: the last shipment is more than ``lapsed_days`` (90) days before the unit's
  end, but not more than ``lost_days`` (365);
- lost: no shipment for more than ``lost_days``;
- base: every client who shipped by the unit's end.

A return (a negative amount) is not a purchase: only shipments of a positive amount
count. Clients who never shipped (leads, prospects) are not in the base.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, NP_, _
from termcrm.reports import facts, option_values, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.store.tables import Client, Shipment, User, table

shipment_t = table(Shipment)
client_t = table(Client)
user_t = table(User)
NAME = "client-base"
TITLE = N_("Client base dynamics")
STATUS_LABELS = {"lapsed": N_("lapsed"), "lost": N_("lost")}
MAX_DAYS = 3650


def _unit_ends(params: Params, units: list[int], unit: facts.Unit) -> dict[int, date]:
    """The day each unit is counted at: its last day, or the period's, or today."""
    today = option_values.today(params)
    ends = {}
    for u in units:
        first, last = facts.unit_days(u, unit)
        ends[u] = max(first, min(last, params.period[1], today))
    return ends


def _counts(
    s: Session,
    conds: list[sa.ColumnElement[bool]],
    unit: facts.Unit,
    ends: dict[int, date],
    lapsed_days: int,
    lost_days: int,
) -> dict[int, tuple[int, ...]]:
    """(new, active, lapsed, lost, base) per unit, in one statement.

    Per client and unit: the last shipment in it (every unit before the period as
    one); with the client's next unit with a shipment (LEAD) and first one (MIN) over
    the client's units. A client's row of unit k stands for every unit from k to
    before the next: their last shipment as of those units' ends is that row's."""
    sh = shipment_t.c
    # the units before the period in one: only the last shipment before it matters
    # (and that there was one: such a client is not new)
    first = min(ends)
    index = sa.case(
        (facts.unit_index(sh.shipped_on, unit) < first, first - 1),
        else_=facts.unit_index(sh.shipped_on, unit),
    )
    per_unit = (
        sa.select(
            sh.client_id.label("client_id"),
            index.label("u"),
            sa.func.max(sh.shipped_on).label("last"),
        )
        .select_from(shipment_t.join(client_t, client_t.c.id == sh.client_id))
        .where(*conds, sh.shipped_on <= max(ends.values()), sh.amount > 0)
        .group_by(sh.client_id, index)
        .subquery("per_unit")
    )
    p = per_unit.c
    seq = sa.select(
        p.client_id,
        p.u,
        p.last,
        sa.func.lead(p.u).over(partition_by=p.client_id, order_by=p.u).label("nxt"),
        sa.func.min(p.u).over(partition_by=p.client_id).label("first_u"),
    ).subquery("seq")
    units = sa.union_all(
        *(
            sa.select(
                sa.literal(u, sa.Integer).label("u"),
                sa.literal(end - timedelta(days=lapsed_days), sa.Date).label("lapse_day"),
                sa.literal(end - timedelta(days=lost_days), sa.Date).label("lost_day"),
            )
            for u, end in ends.items()
        )
    ).subquery("units")
    q, un = seq.c, units.c

    def count(*when: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((sa.and_(*when), 1), else_=0))

    query = (
        sa.select(
            un.u,
            count(q.u == un.u, q.first_u == un.u),
            count(q.u == un.u),
            count(q.last < un.lapse_day, q.last >= un.lost_day),
            count(q.last < un.lost_day),
            sa.func.count(),
        )
        .select_from(units.join(seq, sa.and_(q.u <= un.u, sa.or_(q.nxt.is_(None), q.nxt > un.u))))
        .group_by(un.u)
    )
    found = {int(r[0]): tuple(int(v or 0) for v in r[1:]) for r in s.execute(query)}
    return {u: found.get(u, (0, 0, 0, 0, 0)) for u in ends}


def _churn(
    s: Session,
    conds: list[sa.ColumnElement[bool]],
    end: date,
    currency: str | None,
    lapsed_days: int,
    lost_days: int,
    limit: int,
) -> list[tuple[Any, ...]]:
    """The clients lapsed or lost at ``end``, lapsed first, the most valuable first:
    name, owner, last shipment, days since, turnover in the 12 months up to it (its
    month and the 11 before), status."""
    sh = shipment_t.c
    gone = (
        sa.select(sh.client_id.label("client_id"), sa.func.max(sh.shipped_on).label("last"))
        .select_from(shipment_t.join(client_t, client_t.c.id == sh.client_id))
        .where(*conds, sh.shipped_on <= end, sh.amount > 0)
        .group_by(sh.client_id)
        .having(sa.func.max(sh.shipped_on) < end - timedelta(days=lapsed_days))
        .subquery("gone")
    )
    earlier = shipment_t.alias("earlier")
    e = earlier.c
    month = facts.unit_index(e.shipped_on, "month")
    last_month = facts.unit_index(gone.c.last, "month")
    turnover = sa.func.coalesce(
        sa.func.sum(
            sa.case((sa.and_(e.currency == (currency or ""), month > last_month - 12), e.amount))
        ),
        Decimal(0),
    ).label("turnover")
    lost = gone.c.last < end - timedelta(days=lost_days)
    owner = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login, "")
    query = (
        sa.select(client_t.c.name, owner.label("owner"), gone.c.last, turnover)
        .select_from(
            gone.join(client_t, client_t.c.id == gone.c.client_id)
            .outerjoin(user_t, user_t.c.id == client_t.c.owner_id)
            .join(earlier, sa.and_(e.client_id == gone.c.client_id, e.shipped_on <= gone.c.last))
        )
        .group_by(client_t.c.id, client_t.c.name, user_t.c.full_name, user_t.c.login, gone.c.last)
        .order_by(sa.case((lost, 1), else_=0), turnover.desc(), client_t.c.name, client_t.c.id)
        .limit(limit)
    )
    out = []
    for name, owner_name, last, amount in s.execute(query):
        days = (end - last).days
        status = "lost" if days > lost_days else "lapsed"
        out.append(
            (
                name,
                owner_name,
                last,
                days,
                Decimal(amount or 0).quantize(Decimal("0.01")),
                _(STATUS_LABELS[status]),
            )
        )
    return out


def default_unit(period: tuple[date, date]) -> facts.Unit:
    """Month by month, whatever the period: lapsing is counted in days."""
    return "month"


def client_base(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``by`` (month | quarter | year; default month), ``lapsed_days`` (90),
    ``lost_days`` (365), ``limit`` (500: the longest churn list)."""
    scope.check_scope(s, actor, params.scope)
    unit = facts.check_unit(str(params.option("by", default_unit(params.period))))
    lapsed_days = option_values.whole(params, "lapsed_days", 90, 1, MAX_DAYS)
    lost_days = option_values.whole(params, "lost_days", 365, 1, MAX_DAYS)
    if lost_days <= lapsed_days:
        raise Invalid({"lost_days": _("must be more than lapsed_days ({n})").format(n=lapsed_days)})
    limit = option_values.whole(params, "limit", 500, 1, 100_000)
    units = facts.units_of(params.period, unit)
    ends = _unit_ends(params, units, unit)
    end = ends[units[-1]]
    conds = scope.client_conditions(actor, params.scope)
    counts = _counts(s, conds, unit, ends, lapsed_days, lost_days)
    by_unit = Table(
        "by_unit",
        N_("Client base by period"),
        (
            Column("period", N_("Period")),
            Column("new", N_("New"), "int"),
            Column("active", N_("Active"), "int"),
            Column("lapsed", N_("Lapsed"), "int"),
            Column("lost", NP_("clients", "Lost"), "int", context="clients"),
            Column("base", N_("Base"), "int"),
        ),
        tuple((facts.unit_label(u, unit), *counts[u]) for u in units),
    )
    sh = shipment_t.c
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    # the currency of the period's shipments (a sample: the whole history costs a scan
    # of every shipment), of the history when the period has none
    currency, others = facts.pick_currency(
        s,
        source,
        sh.currency,
        [*conds, sh.shipped_on >= params.period[0], sh.shipped_on <= end],
        params.currency,
    )
    if currency is None:
        currency, others = facts.pick_currency(
            s, source, sh.currency, [*conds, sh.shipped_on <= end], None
        )
    churned = _churn(s, conds, end, currency, lapsed_days, lost_days, limit)
    churn = Table(
        "churn",
        N_("Lapsed and lost clients"),
        (
            Column("client", N_("Client")),
            Column("owner", N_("Owner")),
            Column("last_shipment", N_("Last shipment"), "date"),
            Column("days", N_("Days since"), "int"),
            Column("turnover", N_("Turnover in its last 12 months"), "money"),
            Column("status", N_("Status")),
        ),
        tuple(churned),
    )
    notes = [
        _("Counted at each period's end (at most {day}) from the shipments: new = the "
          "first shipment ever; active = shipped in the period; lapsed = no shipment for "
          "more than {lapsed} days; lost = none for more than {lost} days; base = every "
          "client who shipped by then. Clients who never shipped are not counted, "
          "returns are not purchases.").format(
            day=end.isoformat(), lapsed=lapsed_days, lost=lost_days
        )
    ]  # fmt: skip
    total_churned = counts[units[-1]][2] + counts[units[-1]][3]
    if total_churned > len(churned):
        notes.append(
            _("The churn list shows {shown} of {total} clients (option limit).").format(
                shown=len(churned), total=total_churned
            )
        )
    if others:
        notes.append(
            _("Amounts in {currency} only; there are also shipments in {others}.").format(
                currency=currency, others=", ".join(others)
            )
        )
    charts = (
        Chart(
            "line",
            N_("New, active, lapsed and lost clients"),
            "by_unit",
            "period",
            ("new", "active", "lapsed", "lost"),
        ),
    )
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        (by_unit, churn),
        charts,
        tuple(notes),
    )
