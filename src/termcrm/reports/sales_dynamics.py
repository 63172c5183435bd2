"""Sales dynamics by client group: turnover per group per year (quarter, month), the
growth against the unit before in %, and the group's share of the unit's total in %
(the table of slide 2 of the Soyuzpechat presentation in the seeds)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.reports import facts, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table, growth, pct
from termcrm.services.actor import Actor
from termcrm.store.tables import Client, Shipment, table

shipment_t = table(Shipment)
client_t = table(Client)
NAME = "sales-dynamics"
TITLE = N_("Sales dynamics by client group")
ZERO = Decimal("0.00")


def sales_dynamics(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``by`` (year | quarter | month; default year)."""
    scope.check_scope(s, actor, params.scope)
    unit = facts.check_unit(str(params.option("by", "year")))
    units = facts.units_of(params.period, unit)
    # one unit before the period: the first unit's growth is against it
    first_day = facts.unit_days(units[0] - 1, unit)[0]
    sh = shipment_t.c
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    conds = [
        sh.shipped_on >= first_day,
        sh.shipped_on <= params.period[1],
        *scope.client_conditions(actor, params.scope),
    ]
    currency, others = facts.pick_currency(s, source, sh.currency, conds, params.currency)
    index = facts.unit_index(sh.shipped_on, unit).label("unit")
    sums: dict[str, dict[int, Decimal]] = defaultdict(dict)
    if currency is not None:
        for group, at, amount in s.execute(
            sa.select(client_t.c.client_group, index, sa.func.sum(sh.amount))
            .select_from(source)
            .where(*conds, sh.currency == currency)
            .group_by(client_t.c.client_group, index)
        ):
            sums[group or ""][int(at)] = Decimal(amount or 0).quantize(Decimal("0.01"))
    groups = sorted(sums, key=lambda g: (-sum(sums[g].values()), g))
    totals = {u: sum((sums[g].get(u, ZERO) for g in groups), ZERO) for u in [units[0] - 1, *units]}
    labels = {u: facts.unit_label(u, unit) for u in units}

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
            row += [amount, growth(amount, sums[g].get(u - 1, ZERO)), pct(amount, totals[u])]
        body.append(tuple(row))
    total_row: list[object] = [_("Total")]
    for u in units:
        total_row += [totals[u], growth(totals[u], totals[u - 1]), 100.0 if totals[u] else None]
    by_group = Table("by_group", TITLE, tuple(columns), tuple(body), tuple(total_row))
    by_unit = Table(
        "totals",
        N_("Turnover by period"),
        (
            Column("period", N_("Period")),
            Column("turnover", N_("Turnover"), "money"),
            Column("growth", N_("Growth %"), "pct"),
        ),
        tuple((labels[u], totals[u], growth(totals[u], totals[u - 1])) for u in units),
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
