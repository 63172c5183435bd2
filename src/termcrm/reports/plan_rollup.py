"""The sales plans a report compares with, per user, per department and per scope.

Plans are read through ``services.sales_plans.plans`` (its reading rule: a rep their
own plans, a manager those of their department, a director every plan), in one
currency, by month. The rule for a department (the reports' decision):

- a department with a plan of its own for a month has that plan;
- one without is given the sum of the plans of its own users and of its shown
  sub-departments (each by the same rule), so a team planned person by person still
  has a department plan.

The plan of the whole scope (``scope_plan``) adds up the shown top departments and the
users in scope outside every shown department (a director with no department, the one
user of a ``me`` or ``user`` report).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from termcrm.reports.people import Org
from termcrm.services import sales_plans
from termcrm.services.actor import Actor

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


class PlanBook:
    """The plans of a report's users and departments in one currency, by month index."""

    def __init__(
        self, s: Session, actor: Actor, the_org: Org, period: tuple[date, date], currency: str
    ) -> None:
        self.org = the_org
        self.currency = currency
        self.user: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        self.own: dict[tuple[int, int], Decimal] = {}
        found: dict[str, int] = defaultdict(int)
        for plan in sales_plans.plans(s, actor, period=period):
            if plan.user_id is not None and plan.user_id in the_org.people:
                target = True
            else:
                target = plan.department_id is not None and plan.department_id in the_org.shown
            if not target:
                continue
            found[plan.currency] += 1
            if plan.currency != currency:
                continue
            m = month_index(plan.month)
            if plan.user_id is not None:
                self.user[(plan.user_id, m)] += plan.amount
            elif plan.department_id is not None:
                self.own[(plan.department_id, m)] = plan.amount
        self.currencies = found  # every currency of the plans in scope, with their count
        self.others = sorted(c for c in found if c != currency)
        self.filled = False  # a department's plan was filled from its users' plans
        self._children: dict[int, list[int]] = defaultdict(list)
        for d in the_org.shown:
            parent = the_org.parents.get(d)
            if parent in the_org.shown and parent is not None:
                self._children[parent].append(d)
        self._direct: dict[int, list[int]] = defaultdict(list)
        for p in the_org.people.values():
            if p.department_id is not None and p.department_id in the_org.shown:
                self._direct[p.department_id].append(p.id)
        self._memo: dict[tuple[int, int], Decimal] = {}

    def user_plan(self, user_id: int, month: int) -> Decimal:
        return self.user.get((user_id, month), ZERO)

    def has_user_plan(self, user_id: int) -> bool:
        return any(uid == user_id for uid, _m in self.user)

    def department_plan(self, department_id: int, month: int) -> Decimal:
        """Its own plan, else its users' and its sub-departments' (see the module)."""
        key = (department_id, month)
        if key in self.own:
            return self.own[key]
        if key not in self._memo:
            self._memo[key] = ZERO  # a loop in the tree counts nothing twice
            total = sum((self.user_plan(u, month) for u in self._direct[department_id]), ZERO)
            total += sum(
                (self.department_plan(c, month) for c in self._children[department_id]), ZERO
            )
            if total:
                self.filled = True
            self._memo[key] = total
        return self._memo[key]

    def scope_plan(self, month: int) -> Decimal:
        """The plan of everyone in the report for a month."""
        total = sum((self.department_plan(d, month) for d in self.org.tops()), ZERO)
        for p in self.org.people.values():
            if p.department_id is None or p.department_id not in self.org.shown:
                total += self.user_plan(p.id, month)
        return total


def plan_currency(s: Session, actor: Actor, the_org: Org, period: tuple[date, date]) -> str | None:
    """The most common currency of the plans in scope (for a report with no sales)."""
    book = PlanBook(s, actor, the_org, period, "")
    if not book.currencies:
        return None
    return sorted(book.currencies.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
