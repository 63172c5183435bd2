"""Sales dynamics by client group: turnover per group per year (quarter, month), the
growth against the unit before in %, and the group's share of the unit's total in %
(the table of slide 2 of the Soyuzpechat presentation in the seeds).

The units are clipped to the period: the first starts on the period's first day, the
last ends on its last day. A unit's growth is against the same days one unit earlier
(a whole unit against the whole unit before; 2026-01-01..2026-11-30 of the year 2026
against 2025-01-01..2025-11-30)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.reports import facts, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table, growth, pct
from termcrm.services.actor import Actor
from termcrm.services.funnel_charts import month_end
from termcrm.store.tables import Client, Shipment, table

shipment_t = table(Shipment)
client_t = table(Client)
NAME = "sales-dynamics"
TITLE = N_("Sales dynamics by client group")
ZERO = Decimal("0.00")
UNIT_MONTHS: dict[facts.Unit, int] = {"year": 12, "quarter": 3, "month": 1}


def default_unit(period: tuple[date, date]) -> facts.Unit:
    """The largest unit the period is made of whole ones of: a year (or years) -> year,
    a quarter (two, ...) -> quarter, anything else (a month, five months, some days) ->
    month."""
    first, last = period
    for unit in facts.UNITS:
        if (
            facts.unit_days(facts.index_of(first, unit), unit)[0] == first
            and facts.unit_days(facts.index_of(last, unit), unit)[1] == last
        ):
            return unit
    return "month"


def shifted(day: date, months: int) -> date:
    """``day`` ``months`` months earlier; a month's last day stays the last day, a day
    past the end of the shorter month becomes its last (03-31 -> 02-28)."""
    year, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    end = month_end(year, m + 1)
    if day == month_end(day.year, day.month):
        return end
    return date(year, m + 1, min(day.day, end.day))


def spans(period: tuple[date, date], unit: facts.Unit) -> dict[int, tuple[date, date]]:
    """Each unit's days within the period, by the unit's number."""
    out = {}
    for u in facts.units_of(period, unit):
        first, last = facts.unit_days(u, unit)
        out[u] = (max(first, period[0]), min(last, period[1]))
    return out


def label(u: int, unit: facts.Unit, span: tuple[date, date]) -> str:
    """2026, 2026-Q3, 2026-11 for a whole unit; 2026 (01-01 to 11-30) for a clipped one."""
    text = facts.unit_label(u, unit)
    if span == facts.unit_days(u, unit):
        return text
    # TRANSLATORS: a unit of a report over time cut to the period: 2026 (01-01 to 11-30)
    return _("{unit} ({first} to {last})").format(
        unit=text, first=f"{span[0]:%m-%d}", last=f"{span[1]:%m-%d}"
    )


def sales_dynamics(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``by`` (year | quarter | month; default: the largest unit the period is
    made of whole ones of, see :func:`default_unit`)."""
    scope.check_scope(s, actor, params.scope)
    by = params.option("by", None)
    unit = facts.check_unit(str(by)) if by is not None else default_unit(params.period)
    days = spans(params.period, unit)
    units = list(days)
    first, last = params.period
    # the same days one unit earlier: each unit's growth is against its part of them
    before = (shifted(first, UNIT_MONTHS[unit]), shifted(last, UNIT_MONTHS[unit]))
    sh = shipment_t.c
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    if before[1] >= first - timedelta(days=1):  # the two spans meet: one range
        in_days = sa.and_(sh.shipped_on >= before[0], sh.shipped_on <= last)
    else:  # a period shorter than its unit: a gap between them
        in_days = sa.or_(
            sa.and_(sh.shipped_on >= first, sh.shipped_on <= last),
            sa.and_(sh.shipped_on >= before[0], sh.shipped_on <= before[1]),
        )
    conds = [in_days, *scope.client_conditions(actor, params.scope)]
    currency, others = facts.pick_currency(s, source, sh.currency, conds, params.currency)
    index = facts.unit_index(sh.shipped_on, unit).label("unit")
    # per group and unit: the turnover in the period, and in the days one unit earlier
    # (a unit's part of them is under the number of the unit before it)
    now_sum = sa.func.sum(sa.case((sh.shipped_on >= first, sh.amount)))
    before_sum = sa.func.sum(sa.case((sh.shipped_on <= before[1], sh.amount)))
    sums: dict[str, dict[int, Decimal]] = defaultdict(dict)
    earlier: dict[str, dict[int, Decimal]] = defaultdict(dict)
    if currency is not None:
        for group, at, now_amount, before_amount in s.execute(
            sa.select(client_t.c.client_group, index, now_sum, before_sum)
            .select_from(source)
            .where(*conds, sh.currency == currency)
            .group_by(client_t.c.client_group, index)
        ):
            key = group or ""
            if now_amount is not None:
                sums[key][int(at)] = Decimal(now_amount).quantize(Decimal("0.01"))
            if before_amount is not None:
                earlier[key][int(at) + 1] = Decimal(before_amount).quantize(Decimal("0.01"))
    groups = sorted(set(sums) | set(earlier), key=lambda g: (-sum(sums[g].values()), g))
    totals = {u: sum((sums[g].get(u, ZERO) for g in groups), ZERO) for u in units}
    totals_before = {u: sum((earlier[g].get(u, ZERO) for g in groups), ZERO) for u in units}
    labels = {u: label(u, unit, days[u]) for u in units}

    columns = [Column("group", N_("Client group"))]
    for u in units:
        args = (("period", labels[u]),)
        columns += [
            Column(f"turnover_{u}", N_("{period} turnover"), "money", args),
            Column(f"growth_{u}", N_("{period} growth %"), "pct", args),
            Column(f"share_{u}", N_("{period} share %"), "pct", args),
        ]
    body = []
    for g in groups:
        row: list[object] = [g or _("(no group)")]
        for u in units:
            amount = sums[g].get(u, ZERO)
            row += [amount, growth(amount, earlier[g].get(u, ZERO)), pct(amount, totals[u])]
        body.append(tuple(row))
    total_row: list[object] = [_("Total")]
    for u in units:
        total_row += [
            totals[u],
            growth(totals[u], totals_before[u]),
            100.0 if totals[u] else None,
        ]
    by_group = Table("by_group", TITLE, tuple(columns), tuple(body), tuple(total_row))
    by_unit = Table(
        "totals",
        N_("Turnover by period"),
        (
            Column("period", N_("Period")),
            Column("turnover", N_("Turnover"), "money"),
            Column("growth", N_("Growth %"), "pct"),
        ),
        tuple((labels[u], totals[u], growth(totals[u], totals_before[u])) for u in units),
    )
    charts = (
        Chart(
            "bar",
            N_("Turnover by client group"),
            "by_group",
            "group",
            tuple(f"turnover_{u}" for u in units),
        ),
        Chart("line", N_("Turnover by period"), "totals", "period", ("turnover",)),
    )
    notes = []
    if others:
        notes.append(
            _("Amounts in {currency} only; there are also shipments in {others}.").format(
                currency=currency, others=", ".join(others)
            )
        )
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        (by_group, by_unit),
        charts,
        tuple(notes),
    )
