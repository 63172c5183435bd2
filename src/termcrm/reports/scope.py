"""Whose data a report covers: the access rule first, then the scope asked for.

Every report filters clients (and what hangs on them: shipments, payments, deals)
by the actor's access rule, so a rep's report covers only their clients whatever
the scope says; the scope narrows further: ``me`` (the clients I own), a ``user``
(the clients they own), a ``department`` (clients of it and the departments below
it) or ``all`` (everything the actor may see).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.reports.model import Scope
from termcrm.services import org
from termcrm.services.access import check_user_in_reach, department_subtree, visible_clients
from termcrm.services.actor import MANAGER, Actor
from termcrm.services.errors import Forbidden, Invalid
from termcrm.store.tables import Client, Department, User, table

client_t = table(Client)
user_t = table(User)
dept_t = table(Department)
SCOPE_DEPT = "report_dept"
SCOPE_USER = "report_user"


def check_scope(s: Session, actor: Actor, scope: Scope) -> None:
    """Refuse a scope out of the actor's reach, with the reason."""
    if scope.kind == "user":
        if scope.user_id is None:
            raise Invalid({"user": _("name the user the report is about")})
        check_user_in_reach(s, actor, scope.user_id, N_("report"))
    elif scope.kind == "department":
        if scope.department_id is None:
            raise Invalid({"department": _("name the department the report is about")})
        if actor.sees_all:
            return
        reach: list[Any] = []
        if actor.role == MANAGER and actor.department_id is not None:
            reach = list(s.execute(department_subtree(actor.department_id)).scalars())
        if scope.department_id not in {int(i) for i in reach}:
            raise Forbidden(_("a report on a department is for its managers and the directors"))


def department_ids(department_id: int) -> sa.Select[Any]:
    return department_subtree(department_id, param=SCOPE_DEPT)


def client_conditions(
    actor: Actor, scope: Scope, clients: sa.Table | sa.FromClause = client_t
) -> list[sa.ColumnElement[bool]]:
    """The clients a report covers (live, visible to the actor, in the scope)."""
    c = clients.c
    conds: list[sa.ColumnElement[bool]] = [
        c.deleted_at.is_(None),
        visible_clients(actor, clients),
    ]
    if scope.kind == "me":
        conds.append(c.owner_id == actor.id)
    elif scope.kind == "user" and scope.user_id is not None:
        conds.append(c.owner_id == sa.bindparam(SCOPE_USER, scope.user_id))
    elif scope.kind == "department" and scope.department_id is not None:
        conds.append(c.department_id.in_(department_ids(scope.department_id)))
    return conds


def user_conditions(
    actor: Actor, scope: Scope, column: sa.ColumnElement[int]
) -> list[sa.ColumnElement[bool]]:
    """The users a per-user report covers (``column`` holds a user id)."""
    from termcrm.services.access import visible_users

    conds: list[sa.ColumnElement[bool]] = [visible_users(actor, column)]
    if scope.kind == "me":
        conds.append(column == actor.id)
    elif scope.kind == "user" and scope.user_id is not None:
        conds.append(column == sa.bindparam(SCOPE_USER, scope.user_id))
    elif scope.kind == "department" and scope.department_id is not None:
        conds.append(
            column.in_(
                sa.select(user_t.c.id).where(
                    user_t.c.department_id.in_(department_ids(scope.department_id))
                )
            )
        )
    return conds


def describe(s: Session, actor: Actor, scope: Scope) -> str:
    """The scope in words, for a report's heading."""
    if scope.kind == "me":
        return _("my clients")
    if scope.kind == "user" and scope.user_id is not None:
        row = s.execute(
            sa.select(user_t.c.full_name, user_t.c.login).where(user_t.c.id == scope.user_id)
        ).first()
        name = (row.full_name or row.login) if row else str(scope.user_id)
        return _("clients of {name}").format(name=name)
    if scope.kind == "department" and scope.department_id is not None:
        path = org.department_names(s).get(scope.department_id, str(scope.department_id))
        return _("department {name}").format(name=path)
    if actor.sees_all:
        return _("all clients")
    if actor.role == MANAGER:
        return _("the clients of my department")
    return _("my clients")
