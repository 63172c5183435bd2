"""Sales plans: the amount a user or a department is to sell in a month.

Who sets them: an admin or a director for anyone; a manager for the users of their
department (and the departments below it) and for those departments. A rep reads
their own plan; a manager the plans in their department; a director and an admin
every plan. Setting a plan that exists changes it (with its version and history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services import org
from termcrm.services.access import check_user_in_reach, department_subtree, visible_users
from termcrm.services.actor import MANAGER, REP, Actor
from termcrm.services.audit import plain, record
from termcrm.services.deals import parse_amount
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.text import clean
from termcrm.store.tables import SalesPlan, User, table
from termcrm.store.types import utcnow

plan_t = table(SalesPlan)
user_t = table(User)
PLAN_DEPT = "plan_dept"


@dataclass(frozen=True, slots=True)
class PlanOut:
    id: int
    month: date  # the first day
    user_id: int | None
    user: str  # the user's name ("" for a department's plan)
    department_id: int | None
    department: str  # the department's path ("" for a user's plan)
    amount: Decimal
    currency: str
    version: int


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _departments_in_reach(s: Session, actor: Actor) -> set[int] | None:
    """The departments whose plans the actor may read and set; None: every one."""
    if actor.sees_all:
        return None
    if actor.role == MANAGER and actor.department_id is not None:
        subtree = department_subtree(actor.department_id, param=PLAN_DEPT)
        found: list[Any] = list(s.execute(subtree).scalars())
        return {int(i) for i in found}
    return set()


def _check_may_set(
    s: Session, actor: Actor, user_id: int | None, department_id: int | None
) -> None:
    if actor.role == REP:
        raise Forbidden(_("a rep cannot set sales plans; ask your manager"))
    if user_id is not None:
        check_user_in_reach(s, actor, user_id, N_("plan"))
    if department_id is not None:
        reach = _departments_in_reach(s, actor)
        if reach is not None and department_id not in reach:
            raise Forbidden(
                _("managers can set the plans of their own department and those below it")
            )


def set_plan(
    s: Session,
    actor: Actor,
    *,
    month: date,
    amount: Any,
    currency: str = "RUB",
    user_id: int | None = None,
    department_id: int | None = None,
) -> PlanOut:
    """Set the plan of a user or of a department (exactly one) for ``month``'s month."""
    if (user_id is None) == (department_id is None):
        raise Invalid({"target": _("a plan is for one user or for one department")})
    errors: dict[str, str] = {}
    code = clean(currency).upper()
    if len(code) != 3 or not code.isalpha():
        errors["currency"] = _("use a three-letter ISO code such as RUB, USD or CNY")
    try:
        money = parse_amount(amount)
    except Invalid as exc:
        errors.update(exc.errors)
        money = Decimal("0")
    if errors:
        raise Invalid(errors)
    if (
        user_id is not None
        and s.execute(sa.select(user_t.c.id).where(user_t.c.id == user_id)).first() is None
    ):
        raise NotFound(_("user {id} does not exist").format(id=user_id))
    if department_id is not None:
        org.find_department(s, department_id)
    _check_may_set(s, actor, user_id, department_id)
    first = first_of_month(month)
    p = plan_t.c
    target = p.user_id == user_id if user_id is not None else p.department_id == department_id
    row = s.execute(sa.select(plan_t).where(target, p.month == first, p.currency == code)).first()
    now = utcnow()
    if row is None:
        plan_id = s.execute(
            sa.insert(plan_t)
            .values(
                month=first,
                user_id=user_id,
                department_id=department_id,
                amount=money,
                currency=code,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(p.id)
        ).scalar_one()
        record(
            s,
            actor,
            action="create",
            entity="sales_plan",
            entity_id=plan_id,
            client_id=None,
            version=1,
            changes={
                "month": [None, plain(first)],
                "amount": [None, plain(money)],
                "currency": [None, code],
                "user_id" if user_id is not None else "department_id": [
                    None,
                    user_id if user_id is not None else department_id,
                ],
            },
        )
    elif row.amount != money:
        plan_id = row.id
        s.execute(
            sa.update(plan_t)
            .where(p.id == row.id)
            .values(amount=money, version=row.version + 1, updated_at=now)
        )
        record(
            s,
            actor,
            action="update",
            entity="sales_plan",
            entity_id=row.id,
            client_id=None,
            version=row.version + 1,
            changes={"amount": [plain(row.amount), plain(money)]},
        )
    else:
        plan_id = row.id
    return plans(s, actor, plan_id=plan_id)[0]


def plans(
    s: Session,
    actor: Actor,
    *,
    period: tuple[date, date] | None = None,
    user_id: int | None = None,
    department_id: int | None = None,
    plan_id: int | None = None,
) -> list[PlanOut]:
    """The plans the actor may read, by month, then department, then user."""
    p = plan_t.c
    name = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login)
    query = sa.select(plan_t, name.label("user_name")).select_from(
        plan_t.outerjoin(user_t, user_t.c.id == p.user_id)
    )
    reach = _departments_in_reach(s, actor)
    if reach is not None:
        query = query.where(
            sa.or_(
                sa.and_(p.user_id.is_not(None), visible_users(actor, p.user_id)),
                p.department_id.in_(reach) if reach else sa.false(),
            )
        )
    if period is not None:
        query = query.where(p.month >= first_of_month(period[0]), p.month <= period[1])
    if user_id is not None:
        query = query.where(p.user_id == user_id)
    if department_id is not None:
        query = query.where(p.department_id == department_id)
    if plan_id is not None:
        query = query.where(p.id == plan_id)
    paths = org.department_names(s)
    rows = s.execute(query.order_by(p.month, p.department_id, p.user_id, p.currency)).all()
    return [
        PlanOut(
            id=r.id,
            month=r.month,
            user_id=r.user_id,
            user=r.user_name or "",
            department_id=r.department_id,
            department=paths.get(r.department_id, "") if r.department_id else "",
            amount=r.amount,
            currency=r.currency,
            version=r.version,
        )
        for r in rows
    ]
