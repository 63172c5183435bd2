"""The access rule, in one place, as SQL filters applied by every query.

- rep: own clients, and the contacts, interactions, tasks and deals of them;
- manager: the clients of their department and of every department below it;
- director: everything; admin: everything, plus users and settings.

Tasks follow their assignee: a rep sees the tasks assigned to them, a manager
those of the users in their department subtree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import MANAGER, Actor
from termcrm.services.errors import Forbidden, NotFound
from termcrm.store.tables import Client, Department, User, table

client_t = table(Client)
user_t = table(User)
dept_t = table(Department)


# The actor's id and department enter every query as these named parameters, so
# that a statement built once for a shape of query serves every actor of that shape
# (see client_lists.list_clients): only the parameter values change.
ACTOR_ID = "actor_id"
ACTOR_DEPT = "actor_dept"


def actor_id(actor: Actor) -> sa.BindParameter[int]:
    return sa.bindparam(ACTOR_ID, actor.id)


def actor_params(actor: Actor) -> dict[str, int | None]:
    """The values of the actor parameters, for a statement built earlier."""
    return {ACTOR_ID: actor.id, ACTOR_DEPT: actor.department_id}


def access_shape(actor: Actor) -> str:
    """Actors of the same shape get the same SQL for the access rule (not the same values)."""
    if actor.sees_all:
        return "all"
    if actor.role == MANAGER and actor.department_id is not None:
        return "department"
    return "own"


def department_subtree(root_id: int, *, param: str = ACTOR_DEPT) -> sa.Select[tuple[int]]:
    """Ids of the actor's department (``root_id``) and all departments below it.

    A recursive CTE. It is anonymous: one query may hold several (the access
    filter and a "department" scope), and two CTEs of the same name do not compile.
    A subtree of another department than the actor's (a filter) names its own
    ``param``, so that it can sit beside the access rule's in one statement.
    """
    root: sa.BindParameter[int] = sa.bindparam(param, root_id)
    tree = sa.select(dept_t.c.id).where(dept_t.c.id == root).cte(recursive=True)
    tree = tree.union_all(sa.select(dept_t.c.id).where(dept_t.c.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def visible_clients(
    actor: Actor, table: sa.Table | sa.FromClause = client_t
) -> sa.ColumnElement[bool]:
    """The filter on ``client`` rows this actor may see (and edit)."""
    if actor.sees_all:
        return sa.true()
    mine = table.c.owner_id == actor_id(actor)
    if actor.role == MANAGER and actor.department_id is not None:
        return sa.or_(mine, table.c.department_id.in_(department_subtree(actor.department_id)))
    return mine


def visible_users(actor: Actor, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """The filter on a user id column (a task's assignee, say) this actor may see."""
    if actor.sees_all:
        return sa.true()
    if actor.role == MANAGER and actor.department_id is not None:
        in_subtree = sa.select(user_t.c.id).where(
            user_t.c.department_id.in_(department_subtree(actor.department_id))
        )
        return sa.or_(column == actor_id(actor), column.in_(in_subtree))
    return column == actor_id(actor)


def client_ids_visible(actor: Actor) -> sa.Select[tuple[int]]:
    return sa.select(client_t.c.id).where(visible_clients(actor))


def explain_client_refusal(s: Session, actor: Actor, client_id: int) -> Forbidden | NotFound:
    """Why this actor cannot reach a client: it does not exist, or whose it is."""
    row = s.execute(
        sa.select(client_t.c.id, user_t.c.full_name, user_t.c.login)
        .select_from(client_t.outerjoin(user_t, user_t.c.id == client_t.c.owner_id))
        .where(client_t.c.id == client_id)
    ).first()
    if row is None:
        return NotFound(_("client {id} does not exist").format(id=client_id))
    owner = row.full_name or row.login
    if owner and actor.role == MANAGER:
        reason = _(
            "client {id} belongs to {owner}: managers see the clients of their own "
            "department and the departments below it"
        )
    elif owner:
        reason = _("client {id} belongs to {owner}: reps see only the clients they own")
    elif actor.role == MANAGER:
        reason = _(
            "client {id} belongs to nobody: managers see the clients of their own "
            "department and the departments below it"
        )
    else:
        reason = _("client {id} belongs to nobody: reps see only the clients they own")
    return Forbidden(reason.format(id=client_id, owner=owner))


def check_user_in_reach(s: Session, actor: Actor, user_id: int, what: str) -> None:
    """Refuse handing work to a user outside the actor's reach.

    ``what`` names the role handed over ("owner"), in English marked with ``N_``:
    it is translated here, when the refusal is raised.
    """
    if actor.sees_all or user_id == actor.id:
        return
    ok = s.execute(
        sa.select(sa.literal(1)).where(visible_users(actor, sa.literal(user_id)))
    ).first()
    if ok is None:
        if actor.role == MANAGER:
            raise Forbidden(
                # TRANSLATORS: {what} is who is being assigned, such as "owner" or "assignee".
                _("{what}: managers can assign only users of their own department").format(
                    what=_(what)
                )
            )
        # TRANSLATORS: {what} is who is being assigned, such as "owner" or "assignee".
        raise Forbidden(_("{what}: reps can assign only themselves").format(what=_(what)))


def require_admin(actor: Actor, what: str) -> None:
    """Refuse a non-admin. ``what`` is the action ("add a user"), in English marked
    with ``N_``: it is translated here, when the refusal is raised."""
    if not actor.is_admin:
        raise Forbidden(
            # TRANSLATORS: {what} is the action refused, such as "add a user"; {role} is
            # the user's role as stored (rep, manager, director), left untranslated.
            _("{what}: only an admin can do this (you are {role})").format(
                what=_(what), role=actor.role
            )
        )
