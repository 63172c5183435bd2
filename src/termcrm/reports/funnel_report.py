"""The funnel and the forecast as a report: ``services.funnel`` computes every figure
(see its docstring for the definitions); this module lays them out in tables and puts
the sales plans of the forecast's months next to its trend.

- The scope maps to the funnel's filter: ``me`` and ``user`` to the deals' owner, a
  ``department`` to the owners of it and the departments below it; the period to the
  deals created in it. The funnel's access rule (a rep's own clients, a manager's
  department, everything for a director) applies as everywhere.
- The forecast keeps its own months (``months_back`` whole months before the current
  one and ``months_ahead`` from it; ``Params.today`` is the current day), whatever the
  period; it is in the funnel's currency.
- The plan of a month: the plans in scope by the reports' rule (``plan_rollup``: a
  department's own plan or its users' and sub-departments'), in the same currency.

Options: ``pipeline`` (id or name; the default one), ``months_back`` (12), ``months_ahead`` (6).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from termcrm.i18n import N_, NP_, _, fmt_money
from termcrm.reports import option_values, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table
from termcrm.reports.people import report_org
from termcrm.reports.plan_rollup import PlanBook, month_index
from termcrm.services import funnel
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.services.funnel_charts import month_end

NAME = "funnel"
TITLE = N_("Funnel and forecast")


def _filter(actor: Actor, params: Params, pipeline_id: int | None) -> funnel.FunnelFilter:
    sc = params.scope
    owner = actor.id if sc.kind == "me" else sc.user_id if sc.kind == "user" else None
    department = sc.department_id if sc.kind == "department" else None
    return funnel.FunnelFilter(
        pipeline_id=pipeline_id,
        period=params.period,
        owner_id=owner,
        department_id=department,
        currency=params.currency,
    )


def funnel_report(s: Session, actor: Actor, params: Params) -> Report:
    scope.check_scope(s, actor, params.scope)
    first, last = params.period
    if last < first:
        raise Invalid({"period": _("the period ends before it starts")})
    ref = params.option("pipeline", None)
    found = funnel.find_pipeline(s, ref) if ref not in (None, "") else None
    flt = _filter(actor, params, found[0] if found else None)
    f = funnel.funnel(s, actor, flt)
    if f.currency is not None and flt.currency is None:
        # the forecast in the funnel's currency, whatever its own deals' most common one
        flt = dataclasses.replace(flt, currency=f.currency)
    fc = funnel.forecast(
        s,
        actor,
        flt,
        months_back=option_values.whole(params, "months_back", 12, 1, 120),
        months_ahead=option_values.whole(params, "months_ahead", 6, 1, 60),
        today=params.today,
    )
    currency = f.currency or fc.currency
    plans: dict[int, Decimal] = {}
    plan_others: list[str] = []
    if fc.months and currency is not None:
        last_month = fc.months[-1].month
        span = (fc.months[0].month, month_end(last_month.year, last_month.month))
        book = PlanBook(s, actor, report_org(s, actor, params.scope), span, currency)
        plans = {month_index(m.month): book.scope_plan(month_index(m.month)) for m in fc.months}
        plan_others = book.others

    tables = (_stages(f), _totals(f), _forecast(fc, plans))
    charts = (
        Chart("bar", N_("Deals reached per stage"), "stages", "stage", ("reached",)),
        Chart(
            "line",
            N_("Won, trend and plan by month"),
            "forecast",
            "month",
            ("won", "trend", "plan"),
        ),
    )
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        tables,
        charts,
        tuple(_notes(f, fc, currency, plan_others)),
    )


def _stages(f: funnel.Funnel) -> Table:
    rows = tuple(
        (
            st.name,
            float(st.probability),
            st.reached,
            st.in_stage,
            st.amount,
            st.weighted,
            st.to_next_pct,
            st.to_won_pct,
            st.avg_days,
        )
        for st in f.stages
    )
    # the weighted total is the weighted pipeline: open deals only (won ones are not
    # "weighted" sales to come, they are sales made)
    total = (_("Total"), None, None, f.deals, f.amount, f.weighted_pipeline, None, None, None)
    return Table(
        "stages",
        N_("Funnel stages"),
        (
            Column("stage", N_("Stage")),
            Column("probability", N_("Probability %"), "pct"),
            Column("reached", N_("Reached"), "int"),
            Column("now", N_("Now in stage"), "int"),
            Column("amount", N_("Amount"), "money"),
            Column("weighted", N_("Weighted"), "money"),
            Column("to_next", N_("To next %"), "pct"),
            Column("to_won", N_("To won %"), "pct"),
            Column("avg_days", N_("Average days"), "number"),
        ),
        rows,
        total,
    )


def _totals(f: funnel.Funnel) -> Table:
    return Table(
        "totals",
        N_("Funnel totals"),
        (
            Column("deals", N_("Deals"), "int"),
            Column("open", NP_("deals", "Open"), "int", context="deals"),
            Column("won", N_("Won"), "int"),
            Column("lost", NP_("deals", "Lost"), "int", context="deals"),
            Column("win_rate", N_("Win rate %"), "pct"),
            Column("amount", N_("Amount"), "money"),
            Column("won_amount", N_("Won amount"), "money"),
            Column("weighted", N_("Weighted pipeline"), "money"),
        ),
        (
            (
                f.deals,
                f.open,
                f.won,
                f.lost,
                f.win_rate_pct,
                f.amount,
                f.won_amount,
                f.weighted_pipeline,
            ),
        ),
    )


def _forecast(fc: funnel.Forecast, plans: dict[int, Decimal]) -> Table:
    rows: list[tuple[Any, ...]] = [
        (
            m.month,
            m.won,
            m.trend,
            m.weighted,
            m.expected,
            plans.get(month_index(m.month), Decimal("0.00")),
        )
        for m in fc.months
    ]
    return Table(
        "forecast",
        N_("Forecast by month"),
        (
            Column("month", N_("Month"), "month"),
            Column("won", N_("Won"), "money"),
            Column("trend", N_("Trend"), "money"),
            Column("weighted", N_("Weighted"), "money"),
            Column("expected", N_("Expected"), "money"),
            Column("plan", NP_("sales plan", "Plan"), "money", context="sales plan"),
        ),
        tuple(rows),
    )


def _notes(
    f: funnel.Funnel, fc: funnel.Forecast, currency: str | None, plan_others: list[str]
) -> list[str]:
    notes = []
    if f.pipeline:
        notes.append(_("Pipeline: {name}.").format(name=f.pipeline))
    others = [c.currency for c in f.currencies if c.currency != currency]
    if others:
        notes.append(
            _("Amounts in {currency} only; there are also deals in {others}.").format(
                currency=currency, others=", ".join(others)
            )
        )
    if fc.months:
        notes.append(
            _(
                "The forecast covers its own months, whatever the period: won deals by "
                "the month they closed, the trend line through the past months."
            )
        )
    if fc.overdue_weighted or fc.undated_weighted or fc.later_weighted:
        notes.append(
            _(
                "Weighted open deals outside the forecast's months: {overdue} expected "
                "earlier, {later} later, {undated} with no expected close."
            ).format(
                overdue=fmt_money(fc.overdue_weighted, currency or "RUB"),
                later=fmt_money(fc.later_weighted, currency or "RUB"),
                undated=fmt_money(fc.undated_weighted, currency or "RUB"),
            )
        )
    if plan_others:
        notes.append(
            _("Plans in {others} are left out: the report is in {currency}.").format(
                others=", ".join(plan_others), currency=currency
            )
        )
    return notes
