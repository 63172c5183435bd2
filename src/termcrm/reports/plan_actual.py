"""Plan vs actual: per user, per department and per month of the period, the plan, the
actual sales, % done and the gap (plan - actual).

- **Actual**: the amount of the shipments of the period counted as the user's sale
  (``shipment.manager_id``; returns are negative), in the report's currency; a
  department's: those of its users and of the users of the departments below it.
  Shipments are the accounting system's facts: they count whatever became of the client.
- **Plan**: the users' monthly plans; a department's own plan, or the sum of its users'
  and sub-departments' when it has none for a month (``plan_rollup``).
- **Whose**: a rep their own row, a manager the users (and departments) of their
  department and those below it, a director everyone (``scope.user_conditions``).
- **Currency**: ``Params.currency``, else the one most of the shipments are in; plans
  and shipments in other currencies are left out, with a note.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, NP_, _
from termcrm.reports import facts, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table, pct
from termcrm.reports.people import Org, ordered, report_org
from termcrm.reports.plan_rollup import CENT, ZERO, PlanBook, plan_currency
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.store.tables import Shipment, table

shipment_t = table(Shipment)
NAME = "plan-actual"
TITLE = N_("Plan vs actual")


def _figures(plan: Decimal, actual: Decimal) -> tuple[Decimal, Decimal, float | None, Decimal]:
    plan, actual = plan.quantize(CENT), actual.quantize(CENT)
    return plan, actual, pct(actual, plan), plan - actual


def plan_actual(s: Session, actor: Actor, params: Params) -> Report:
    scope.check_scope(s, actor, params.scope)
    first, last = params.period
    if last < first:
        raise Invalid({"period": _("the period ends before it starts")})
    the_org = report_org(s, actor, params.scope)
    months = facts.units_of(params.period, "month")
    sh = shipment_t.c
    conds = [
        sh.shipped_on >= first,
        sh.shipped_on <= last,
        *scope.user_conditions(actor, params.scope, sh.manager_id),
    ]
    currency, others = facts.pick_currency(s, shipment_t, sh.currency, conds, params.currency)
    if currency is None:
        currency = plan_currency(s, actor, the_org, params.period)
    # the actual per user and month: one aggregate over ix_shipment_manager_day
    actual: dict[tuple[int, int], Decimal] = {}
    if currency is not None:
        month = facts.unit_index(sh.shipped_on, "month").label("m")
        for manager_id, m, amount in s.execute(
            sa.select(sh.manager_id, month, sa.func.sum(sh.amount))
            .where(*conds, sh.currency == currency)
            .group_by(sh.manager_id, month)
        ):
            actual[(int(manager_id), int(m))] = Decimal(amount or 0)
    book = PlanBook(s, actor, the_org, params.period, currency or "")

    by_user = _by_user(the_org, book, actual, months)
    by_department = _by_department(the_org, book, actual, months)
    by_month = _by_month(the_org, book, actual, months)
    charts = (
        Chart("bar", N_("Plan and actual by user"), "by_user", "user", ("plan", "actual")),
        Chart(
            "line",
            N_("Cumulative plan and actual by month"),
            "by_month",
            "month",
            ("cum_plan", "cum_actual"),
        ),
    )
    notes = []
    if others:
        notes.append(
            _("Amounts in {currency} only; there are also shipments in {others}.").format(
                currency=currency, others=", ".join(others)
            )
        )
    if book.others:
        notes.append(
            _("Plans in {others} are left out: the report is in {currency}.").format(
                others=", ".join(book.others), currency=currency
            )
        )
    if book.filled:
        notes.append(
            _(
                "A department with no plan of its own for a month is given the sum of "
                "the plans of its users and of the departments below it."
            )
        )
    if not the_org.shown and params.scope.kind in ("me", "user"):
        notes.append(_("A report on one user shows no departments."))
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        (by_user, by_department, by_month),
        charts,
        tuple(notes),
    )


def _columns(first: Column) -> tuple[Column, ...]:
    return (
        first,
        Column("plan", NP_("sales plan", "Plan"), "money", context="sales plan"),
        Column("actual", N_("Actual"), "money"),
        Column("done_pct", N_("Done %"), "pct"),
        Column("gap", N_("Gap"), "money"),
    )


def _by_user(
    the_org: Org, book: PlanBook, actual: dict[tuple[int, int], Decimal], months: list[int]
) -> Table:
    sold: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (uid, m), amount in actual.items():
        if m in months:
            sold[uid] += amount
    body = []
    total_plan = total_actual = ZERO
    for p in ordered(the_org.people.values()):
        plan = sum((book.user_plan(p.id, m) for m in months), ZERO)
        has = p.id in sold or book.has_user_plan(p.id)
        if not the_org.counted(p, has):
            continue
        figures = _figures(plan, sold[p.id])
        total_plan += figures[0]
        total_actual += figures[1]
        body.append((p.name, p.department, *figures))
    columns = _columns(Column("user", N_("User")))
    columns = (columns[0], Column("department", N_("Department")), *columns[1:])
    total = (_("Total"), "", *_figures(total_plan, total_actual))
    return Table("by_user", N_("Plan vs actual by user"), columns, tuple(body), total)


def _by_department(
    the_org: Org, book: PlanBook, actual: dict[tuple[int, int], Decimal], months: list[int]
) -> Table:
    sold: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (uid, m), amount in actual.items():
        person = the_org.people.get(uid)
        if person is None or m not in months:
            continue
        for d in the_org.chain(person.department_id):
            sold[d] += amount
    body = []
    shown = sorted(the_org.shown, key=lambda d: the_org.names.get(d, ""))
    for d in shown:
        plan = sum((book.department_plan(d, m) for m in months), ZERO)
        body.append((the_org.names.get(d, str(d)), *_figures(plan, sold[d])))
    tops = the_org.tops()
    total = None
    if tops:
        plan = sum((book.department_plan(d, m) for d in tops for m in months), ZERO)
        total = (_("Total"), *_figures(plan, sum((sold[d] for d in tops), ZERO)))
    return Table(
        "by_department",
        N_("Plan vs actual by department"),
        _columns(Column("department", N_("Department"))),
        tuple(body),
        total,
    )


def _by_month(
    the_org: Org, book: PlanBook, actual: dict[tuple[int, int], Decimal], months: list[int]
) -> Table:
    sold: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (uid, m), amount in actual.items():
        if uid in the_org.people:
            sold[m] += amount
    body = []
    cum_plan = cum_actual = ZERO
    for m in months:
        plan, done, done_pct, _gap = _figures(book.scope_plan(m), sold[m])
        cum_plan += plan
        cum_actual += done
        body.append((facts.unit_days(m, "month")[0], plan, done, done_pct, cum_plan, cum_actual))
    return Table(
        "by_month",
        N_("Plan vs actual by month"),
        (
            Column("month", N_("Month"), "month"),
            Column("plan", NP_("sales plan", "Plan"), "money", context="sales plan"),
            Column("actual", N_("Actual"), "money"),
            Column("done_pct", N_("Done %"), "pct"),
            Column("cum_plan", N_("Cumulative plan"), "money"),
            Column("cum_actual", N_("Cumulative actual"), "money"),
        ),
        tuple(body),
    )
