"""Who changed what, when, field by field: the audit log as the actor may see it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import require_admin
from termcrm.services.actor import Actor
from termcrm.services.clients import get_client
from termcrm.services.contacts import get_contact
from termcrm.services.deals import get_deal
from termcrm.services.dto import AuditOut
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.tasks import get_task
from termcrm.store.tables import (
    AuditEntry,
    Department,
    Pipeline,
    PriceList,
    Product,
    Stage,
    User,
    table,
)

audit_t = table(AuditEntry)
user_t = table(User)
dept_t = table(Department)
ENTITIES = (
    "client",
    "contact",
    "deal",
    "task",
    "user",
    "department",
    "pipeline",
    "stage",
    "product",
    "price_list",
    "sales_plan",
)
# the configuration everyone may read (services/pipelines.py, services/products.py), so
# everyone may read its history too; deleted ones keep theirs
CONFIGURATION = {
    "pipeline": (table(Pipeline), N_("pipeline {id} does not exist")),
    "stage": (table(Stage), N_("stage {id} does not exist")),
    "product": (table(Product), N_("product {id} does not exist")),
    "price_list": (table(PriceList), N_("price list {id} does not exist")),
}


def history(
    s: Session, actor: Actor, entity: str, entity_id: int, *, limit: int = 500
) -> list[AuditOut]:
    """The latest ``limit`` changes of one record, oldest first.

    A client's history includes its contacts, journal entries, tasks and deals; a
    deal's includes its line items (recorded as changes of the deal); a pipeline's
    includes its stages. Access is checked on the record itself: pipelines, stages,
    products and price lists are read by everyone, as their lists are."""
    entity = entity.replace("-", "_")  # price-list, as the command is spelt
    if entity not in ENTITIES:
        raise Invalid({"entity": _("must be one of {choices}").format(choices=", ".join(ENTITIES))})
    a = audit_t.c
    if entity in CONFIGURATION:
        table_, missing = CONFIGURATION[entity]
        found = s.execute(sa.select(table_.c.id).where(table_.c.id == entity_id)).first()
        if found is None:
            raise NotFound(_(missing).format(id=entity_id))
        where = sa.and_(a.entity == entity, a.entity_id == entity_id)
        if entity == "pipeline":
            stage_c = CONFIGURATION["stage"][0].c
            stages = sa.select(stage_c.id).where(stage_c.pipeline_id == entity_id)
            where = sa.or_(where, sa.and_(a.entity == "stage", a.entity_id.in_(stages)))
    elif entity == "client":
        get_client(s, actor, entity_id, include_deleted=True)
        where = sa.or_(
            sa.and_(a.entity == "client", a.entity_id == entity_id), a.client_id == entity_id
        )
    else:
        if entity == "contact":
            get_contact(s, actor, entity_id)
        elif entity == "deal":
            get_deal(s, actor, entity_id)
        elif entity == "task":
            get_task(s, actor, entity_id)
        elif entity == "sales_plan":
            from termcrm.services.sales_plans import plans

            if not plans(s, actor, plan_id=entity_id):
                raise NotFound(_("sales plan {id} does not exist").format(id=entity_id))
        elif entity == "user":
            require_admin(actor, N_("see the history of a user"))
        else:
            require_admin(actor, N_("see the history of a department"))
        where = sa.and_(a.entity == entity, a.entity_id == entity_id)
    rows = s.execute(
        sa.select(audit_t, user_t.c.full_name, user_t.c.login)
        .select_from(audit_t.outerjoin(user_t, user_t.c.id == a.user_id))
        .where(where)
        .order_by(a.id.desc())
        .limit(limit)
    ).all()[::-1]  # the newest ``limit`` entries, shown oldest first
    names = _user_names(s, list(rows))
    departments = _department_names(s, list(rows))
    return [
        AuditOut(
            id=r.id,
            at=r.at,
            # TRANSLATORS: shown as the author of a change made by no user (a migration, say).
            user=r.full_name or r.login or _("system"),
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            version=r.version,
            changes=_named(dict(r.changes or {}), names, departments),
        )
        for r in rows
    ]


USER_FIELDS = ("owner_id", "assignee_id", "author_id", "user_id")


def _user_names(s: Session, rows: list[Any]) -> dict[int, str]:
    ids = {
        v
        for r in rows
        for f in USER_FIELDS
        for v in (r.changes or {}).get(f, [])
        if isinstance(v, int)
    }
    if not ids:
        return {}
    found = s.execute(
        sa.select(user_t.c.id, user_t.c.full_name, user_t.c.login).where(user_t.c.id.in_(ids))
    )
    return {u.id: u.full_name or u.login for u in found}


def _department_names(s: Session, rows: list[Any]) -> dict[int, str]:
    ids = {
        v
        for r in rows
        if r.entity in ("user", "department")
        for f in ("department_id", "parent_id")
        for v in (r.changes or {}).get(f, [])
        if isinstance(v, int)
    }
    if not ids:
        return {}
    found = s.execute(sa.select(dept_t.c.id, dept_t.c.name).where(dept_t.c.id.in_(ids)))
    return {d.id: d.name for d in found}


def _named(
    changes: dict[str, Any], names: dict[int, str], departments: dict[int, str]
) -> dict[str, Any]:
    """Show user and department ids in history as 'Name (#id)'."""
    pairs = [(f, names) for f in USER_FIELDS] + [("department_id", departments)]
    if departments and "parent_id" in changes and "department_id" not in changes:
        pairs.append(("parent_id", departments))  # a department's parent
    for field, known in pairs:
        if field in changes:
            changes[field] = [
                f"{known[v]} (#{v})" if isinstance(v, int) and v in known else v
                for v in changes[field]
            ]
    return changes
