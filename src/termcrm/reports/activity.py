"""Manager activity and effectiveness: per user, for the local days of the period
(``Params.option("tz")``, an IANA zone; by default the user's, ``i18n.zone()``):

- interactions by kind (the journal's kinds, one column each), live ones of live clients;
- tasks: planned (due in the period, not cancelled), done, overdue (still open and due
  before the end of the period or before now, whichever is first) and done late (done
  after the end of the local day it was due): the planner's team plan
  (``planner.team_plan``), the same figures the team plan screen shows. "Now" is the
  start of ``Params.today`` when given;
- new clients: created in the period, owned by the user, not in the trash;
- deals closed in the period (``closed_at``) in a won or a lost stage, of live clients:
  won (count, and amount in the report's currency), lost, conversion = won / (won + lost).

Whose: a rep their own row, a manager the users of their department and those below it,
a director everyone (``scope.user_conditions`` over the user of each source). One
aggregate per source, grouped by user; the rows are merged per user.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm import i18n
from termcrm.i18n import N_, _
from termcrm.reports import scope
from termcrm.reports.model import Chart, Column, Params, Report, Table, pct
from termcrm.reports.people import Person, ordered, report_org
from termcrm.services import planner
from termcrm.services.actor import Actor
from termcrm.services.clients import live_client
from termcrm.services.errors import Invalid
from termcrm.services.journal import KINDS
from termcrm.store.tables import Client, Deal, Interaction, Stage, table

interaction_t = table(Interaction)
client_t = table(Client)
deal_t = table(Deal)
stage_t = table(Stage)
NAME = "activity"
TITLE = N_("Manager activity and effectiveness")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
KIND_TITLES = {
    "call": N_("Calls"),
    "meeting": N_("Meetings"),
    "email": N_("Emails"),
    "letter": N_("Letters"),
    "visit": N_("Visits"),
    "message": N_("Messages"),
}
TASK_FIGURES = ("planned", "done", "overdue", "done_late")


def zone_of(params: Params) -> ZoneInfo:
    """The ``tz`` option (an IANA name), else the user's zone (``i18n.zone()``)."""
    value = params.option("tz", None)
    if value is None or value == "":
        return i18n.zone()
    if isinstance(value, ZoneInfo):
        return value
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid({"tz": _("unknown time zone {zone}").format(zone=value)}) from None


def activity(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``tz`` (the zone of the period's days; default: the user's)."""
    scope.check_scope(s, actor, params.scope)
    first, last = params.period
    if last < first:
        raise Invalid({"period": _("the period ends before it starts")})
    tz = zone_of(params)
    start, end = planner.utc_span(first, last, tz)
    now = (
        datetime.combine(params.today, time(), tz).astimezone(UTC)
        if params.today is not None
        else datetime.now(UTC)
    )
    the_org = report_org(s, actor, params.scope)
    sc = params.scope

    # interactions: per user and kind
    i = interaction_t.c
    touches: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, kind, n in s.execute(
        sa.select(i.user_id, i.kind, sa.func.count())
        .where(
            i.occurred_at >= start,
            i.occurred_at < end,
            i.deleted_at.is_(None),
            live_client(i.client_id),
            *scope.user_conditions(actor, sc, i.user_id),
        )
        .group_by(i.user_id, i.kind)
    ):
        touches[int(user_id)][kind] = int(n)

    # tasks: the planner's team plan (planned, done, overdue, done late)
    tasks: dict[int, tuple[int, int, int, int]] = {
        row.id: (row.planned, row.done, row.overdue, row.done_late)
        for row in planner.team_plan(s, actor, first, last, tz, by="user", now=now)
        if row.id in the_org.people
    }

    # new clients: per owner
    c = client_t.c
    new_clients: dict[int, int] = {
        int(owner): int(n)
        for owner, n in s.execute(
            sa.select(c.owner_id, sa.func.count())
            .where(
                c.created_at >= start,
                c.created_at < end,
                c.deleted_at.is_(None),
                c.owner_id.is_not(None),
                *scope.user_conditions(actor, sc, c.owner_id),
            )
            .group_by(c.owner_id)
        )
    }

    # deals closed won or lost: per owner and currency
    d = deal_t.c
    outcome = stage_t.c.outcome
    deal_rows = s.execute(
        sa.select(
            d.owner_id,
            d.currency,
            sa.func.sum(sa.case((outcome == "won", 1), else_=0)).label("won"),
            sa.func.sum(sa.case((outcome == "lost", 1), else_=0)).label("lost"),
            sa.func.sum(sa.case((outcome == "won", d.amount), else_=0)).label("amount"),
        )
        .select_from(deal_t.join(stage_t, stage_t.c.id == d.stage_id))
        .where(
            d.closed_at >= start,
            d.closed_at < end,
            d.deleted_at.is_(None),
            outcome.in_(("won", "lost")),
            live_client(d.client_id),
            *scope.user_conditions(actor, sc, d.owner_id),
        )
        .group_by(d.owner_id, d.currency)
    ).all()
    currency, others = _currency(deal_rows, params.currency)
    deals: dict[int, list[Any]] = defaultdict(lambda: [0, ZERO, 0])  # won, amount, lost
    for r in deal_rows:
        tally = deals[int(r.owner_id)]
        tally[0] += int(r.won or 0)
        tally[2] += int(r.lost or 0)
        if r.currency == currency:
            tally[1] += Decimal(r.amount or 0)

    body: list[tuple[Any, ...]] = []
    totals: list[Any] = [0] * (len(KINDS) + 1 + len(TASK_FIGURES) + 1) + [0, ZERO, 0]
    for p in ordered(the_org.people.values()):
        has = p.id in touches or p.id in tasks or p.id in new_clients or p.id in deals
        if not the_org.counted(p, has):
            continue
        row = _row(p, touches.get(p.id, {}), tasks.get(p.id), new_clients.get(p.id, 0), deals)
        for n, value in enumerate(row[2:-1]):
            totals[n] += value
        body.append(row)
    won, lost = totals[-3], totals[-1]
    total = (_("Total"), "", *totals, pct(won, won + lost))
    table_ = Table("by_user", TITLE, _columns(), tuple(body), total)
    charts = (
        Chart(
            "bar",
            N_("Interactions by kind"),
            "by_user",
            "user",
            tuple(f"kind_{k}" for k in KINDS),
            stacked=True,
        ),
    )
    notes = []
    if others:
        notes.append(
            _(
                "Amounts of won deals in {currency} only; there are also deals in {others} "
                "(counted, not summed)."
            ).format(currency=currency, others=", ".join(others))
        )
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        (table_,),
        charts,
        tuple(notes),
    )


def _currency(rows: Sequence[Any], wanted: str | None) -> tuple[str | None, list[str]]:
    """``wanted``, else the currency most won deals are in (of the closed deals when none
    was won); and the other currencies."""
    won: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for r in rows:
        won[r.currency] += int(r.won or 0)
        closed[r.currency] += int(r.won or 0) + int(r.lost or 0)
    found = sorted(closed, key=lambda k: (-won[k], -closed[k], k))
    if wanted:
        code = wanted.strip().upper()
        return code, [k for k in found if k != code and won[k]]
    if not found:
        return None, []
    return found[0], [k for k in found[1:] if won[k]]


def _row(
    p: Person,
    kinds: dict[str, int],
    task: tuple[int, int, int, int] | None,
    new_clients: int,
    deals: dict[int, list[Any]],
) -> tuple[Any, ...]:
    counts = [kinds.get(k, 0) for k in KINDS]
    won, amount, lost = deals.get(p.id, (0, ZERO, 0))
    return (
        p.name,
        p.department,
        *counts,
        sum(counts),
        *(task or (0, 0, 0, 0)),
        new_clients,
        won,
        Decimal(amount).quantize(CENT),
        lost,
        pct(won, won + lost),
    )


def _columns() -> tuple[Column, ...]:
    return (
        Column("user", N_("User")),
        Column("department", N_("Department")),
        *(Column(f"kind_{k}", KIND_TITLES[k], "int") for k in KINDS),
        Column("interactions", N_("Interactions"), "int"),
        Column("tasks_planned", N_("Tasks planned"), "int"),
        Column("tasks_done", N_("Tasks done"), "int"),
        Column("tasks_overdue", N_("Tasks overdue"), "int"),
        Column("tasks_done_late", N_("Tasks done late"), "int"),
        Column("new_clients", N_("New clients"), "int"),
        Column("deals_won", N_("Deals won"), "int"),
        Column("won_amount", N_("Won amount"), "money"),
        Column("deals_lost", N_("Deals lost"), "int"),
        Column("conversion", N_("Conversion %"), "pct"),
    )
