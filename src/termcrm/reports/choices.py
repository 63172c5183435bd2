"""What a front end offers before it runs a report: the users and departments the actor
may name as the report's scope, and the currencies the facts in a scope are in.

Headless, for the TUI's reports screen (its parameters dialog and the currency key).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.reports import facts
from termcrm.reports import scope as report_scope
from termcrm.reports.model import Params
from termcrm.services import org
from termcrm.services.access import department_subtree
from termcrm.services.actor import MANAGER, REP, Actor
from termcrm.services.dto import DepartmentOut, UserOut
from termcrm.store.tables import Client, Deal, Payment, Shipment, table

client_t = table(Client)
shipment_t = table(Shipment)
payment_t = table(Payment)
deal_t = table(Deal)


@dataclass(frozen=True, slots=True)
class ScopeChoices:
    """The scopes an actor may pick: ``me`` always; ``all``, users and departments by role."""

    everyone: bool  # "all" means more than "my clients" (not a rep)
    users: tuple[UserOut, ...]
    departments: tuple[DepartmentOut, ...]


def scope_choices(s: Session, actor: Actor) -> ScopeChoices:
    """A rep: only themselves. A manager: the users of their department's subtree and
    those departments. A director or an admin: every active user and every department."""
    if actor.role == REP and not actor.sees_all:
        return ScopeChoices(False, (), ())
    users = tuple(u for u in org.users_in_reach(s, actor) if u.id != actor.id)
    departments = org.list_departments(s)
    if not actor.sees_all:
        found: list[Any] = []
        if actor.role == MANAGER and actor.department_id is not None:
            found = list(s.execute(department_subtree(actor.department_id)).scalars())
        reach = {int(i) for i in found}
        departments = [d for d in departments if d.id in reach]
    return ScopeChoices(True, users, tuple(departments))


def currencies(s: Session, actor: Actor, params: Params) -> list[str]:
    """The currencies of the shipments and payments of the report's period (from the
    unit before it, for a report over time: its first growth is against that) and of
    the deals of the clients a report on its scope covers, the most used first."""
    conds = report_scope.client_conditions(actor, params.scope)
    first, last = params.period
    by = params.option("by", None)
    if by in facts.UNITS:
        unit = facts.check_unit(str(by))
        first = facts.unit_days(facts.index_of(first, unit) - 1, unit)[0]
    period: tuple[date, date] = (first, last)
    counts: Counter[str] = Counter()
    for source, day in ((shipment_t, shipment_t.c.shipped_on), (payment_t, payment_t.c.paid_on)):
        query = (
            sa.select(source.c.currency, sa.func.count())
            .select_from(source.join(client_t, client_t.c.id == source.c.client_id))
            .where(day >= period[0], day <= period[1], *conds)
            .group_by(source.c.currency)
        )
        counts.update({str(code): int(n) for code, n in s.execute(query)})
    deals = (
        sa.select(deal_t.c.currency, sa.func.count())
        .select_from(deal_t.join(client_t, client_t.c.id == deal_t.c.client_id))
        .where(deal_t.c.deleted_at.is_(None), *conds)
        .group_by(deal_t.c.currency)
    )
    counts.update({str(code): int(n) for code, n in s.execute(deals)})
    return [code for code, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
