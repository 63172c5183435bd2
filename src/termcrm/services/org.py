"""Departments, users and the identity of whoever runs termcrm."""

from __future__ import annotations

import os
import pwd
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import require_admin, visible_users
from termcrm.services.actor import ADMIN, ROLES, Actor
from termcrm.services.audit import diff, record, versioned_update
from termcrm.services.dto import DepartmentOut, UserOut
from termcrm.services.errors import Invalid, NotFound, UnknownUser
from termcrm.services.text import clean
from termcrm.store.tables import Client, Department, User, table
from termcrm.store.types import utcnow

user_t = table(User)
dept_t = table(Department)
client_t = table(Client)


def os_login() -> str:
    """The OS account running this process. ``$USER`` is not trusted: anyone can set it."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise UnknownUser(
            _(
                "your user id {uid} has no account name on this machine; "
                "termcrm identifies users by their OS login"
            ).format(uid=os.getuid())
        ) from None


def _actor(r: Any, phone_region: str) -> Actor:
    return Actor(
        id=r.id,
        login=r.login,
        full_name=r.full_name,
        role=r.role,
        department_id=r.department_id,
        phone_region=phone_region,
    )


def known_actor(s: Session, login: str, *, phone_region: str = "RU") -> Actor | None:
    """The active termcrm user for a login, or None; reads only (no write lock)."""
    row = s.execute(sa.select(user_t).where(user_t.c.login == login)).first()
    if row is None or not row.active:
        return None
    return _actor(row, phone_region)


def resolve_actor(s: Session, login: str, *, phone_region: str = "RU") -> Actor:
    """The termcrm user for an OS login. On an empty database that login becomes the admin."""
    row = s.execute(sa.select(user_t).where(user_t.c.login == login)).first()
    if row is None:
        anyone = s.execute(sa.select(user_t.c.id).limit(1)).first()
        if anyone is None:
            now = utcnow()
            new_id = s.execute(
                sa.insert(user_t)
                .values(
                    login=login,
                    full_name=login,
                    role=ADMIN,
                    department_id=None,
                    active=True,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                .returning(user_t.c.id)
            ).scalar_one()
            record(
                s,
                None,
                action="create",
                entity="user",
                entity_id=new_id,
                client_id=None,
                version=1,
                changes={"login": [None, login], "role": [None, ADMIN]},
            )
            row = s.execute(sa.select(user_t).where(user_t.c.id == new_id)).one()
        else:
            raise UnknownUser(
                # TRANSLATORS: the command at the end is typed as is: leave
                # "termcrm user add {login} --role rep --department DEPARTMENT" untranslated.
                _(
                    "you (OS user '{login}') are not a termcrm user; ask an admin to run: "
                    "termcrm user add {login} --role rep --department DEPARTMENT"
                ).format(login=login)
            )
    if not row.active:
        raise UnknownUser(
            _("the termcrm account '{login}' is deactivated; ask an admin").format(login=login)
        )
    return _actor(row, phone_region)


def actor_by_login(s: Session, login: str, *, phone_region: str = "RU") -> Actor:
    row = s.execute(sa.select(user_t).where(user_t.c.login == login)).first()
    if row is None:
        raise NotFound(_("no user with login '{login}'").format(login=login))
    return _actor(row, phone_region)


def _department_paths(s: Session) -> dict[int, tuple[str, int | None]]:
    rows = s.execute(
        sa.select(dept_t.c.id, dept_t.c.name, dept_t.c.parent_id).where(
            dept_t.c.deleted_at.is_(None)
        )
    ).all()
    return {r.id: (r.name, r.parent_id) for r in rows}


def _path(tree: dict[int, tuple[str, int | None]], dept_id: int | None) -> str:
    names: list[str] = []
    seen: set[int] = set()
    while dept_id is not None and dept_id in tree and dept_id not in seen:
        seen.add(dept_id)
        name, dept_id = tree[dept_id]
        names.append(name)
    return " / ".join(reversed(names))


def department_names(s: Session) -> dict[int, str]:
    """Every live department's path ("Sales / Retail") by id."""
    tree = _department_paths(s)
    return {dept_id: _path(tree, dept_id) for dept_id in tree}


def department_parents(s: Session) -> dict[int, int | None]:
    """Every live department's parent (None at the top) by id."""
    return {dept_id: parent for dept_id, (_name, parent) in _department_paths(s).items()}


def find_department(s: Session, ref: str | int) -> int:
    """A department id from its id, its name or its path ("Sales / Retail")."""
    tree = _department_paths(s)
    if isinstance(ref, int) or str(ref).isdigit():
        if int(ref) in tree:
            return int(ref)
        raise NotFound(_("department {id} does not exist").format(id=ref))
    wanted = clean(str(ref)).casefold()
    matches = [
        i
        for i, (name, _) in tree.items()
        if name.casefold() == wanted or _path(tree, i).casefold() == wanted
    ]
    if not matches:
        raise NotFound(_("no department named '{name}' (see `termcrm dept list`)").format(name=ref))
    if len(matches) > 1:
        raise Invalid(
            {"department": _("'{name}' is ambiguous; give the path or the id").format(name=ref)}
        )
    return matches[0]


def add_department(
    s: Session, actor: Actor, name: str, parent: str | int | None = None
) -> DepartmentOut:
    require_admin(actor, N_("add a department"))
    name = clean(name)
    if not name:
        raise Invalid({"name": _("a department needs a name")})
    parent_id = find_department(s, parent) if parent is not None else None
    now = utcnow()
    new_id = s.execute(
        sa.insert(dept_t)
        .values(name=name, parent_id=parent_id, version=1, created_at=now, updated_at=now)
        .returning(dept_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="department",
        entity_id=new_id,
        client_id=None,
        version=1,
        changes={"name": [None, name], "parent_id": [None, parent_id]},
    )
    tree = _department_paths(s)
    return DepartmentOut(id=new_id, name=name, parent_id=parent_id, path=_path(tree, new_id))


def list_departments(s: Session) -> list[DepartmentOut]:
    tree = _department_paths(s)
    items = [
        DepartmentOut(id=i, name=n, parent_id=p, path=_path(tree, i)) for i, (n, p) in tree.items()
    ]
    return sorted(items, key=lambda d: d.path.casefold())


def _user_out(tree: dict[int, tuple[str, int | None]], r: Any) -> UserOut:
    return UserOut(
        id=r.id,
        login=r.login,
        full_name=r.full_name,
        role=r.role,
        department_id=r.department_id,
        department=_path(tree, r.department_id),
        active=r.active,
        version=r.version,
    )


def add_user(
    s: Session,
    actor: Actor,
    login: str,
    *,
    role: str,
    department: str | int | None,
    full_name: str = "",
) -> UserOut:
    require_admin(actor, N_("add a user"))
    login = clean(login)
    errors: dict[str, str] = {}
    if not login or " " in login:
        errors["login"] = _("give the OS login name, without spaces")
    if role not in ROLES:
        errors["role"] = _("must be one of {choices}").format(choices=", ".join(ROLES))
    if role == "rep" and department is None:
        errors["department"] = _("a rep must belong to a department")
    if role == "manager" and department is None:
        errors["department"] = _("a manager must belong to a department")
    if s.execute(sa.select(user_t.c.id).where(user_t.c.login == login)).first():
        errors["login"] = _("user '{login}' already exists").format(login=login)
    if errors:
        raise Invalid(errors)
    dept_id = find_department(s, department) if department is not None else None
    now = utcnow()
    values = {
        "login": login,
        "full_name": clean(full_name) or login,
        "role": role,
        "department_id": dept_id,
    }
    new_id = s.execute(
        sa.insert(user_t)
        .values(**values, active=True, version=1, created_at=now, updated_at=now)
        .returning(user_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="user",
        entity_id=new_id,
        client_id=None,
        version=1,
        changes={k: [None, v] for k, v in values.items()},
    )
    return get_user(s, login)


def get_user(s: Session, login: str) -> UserOut:
    row = s.execute(sa.select(user_t).where(user_t.c.login == login)).first()
    if row is None:
        raise NotFound(_("no user with login '{login}'").format(login=login))
    return _user_out(_department_paths(s), row)


def list_users(s: Session, *, include_inactive: bool = False) -> list[UserOut]:
    q = sa.select(user_t).order_by(user_t.c.login)
    if not include_inactive:
        q = q.where(user_t.c.active.is_(True))
    tree = _department_paths(s)
    return [_user_out(tree, r) for r in s.execute(q)]


def users_in_reach(s: Session, actor: Actor) -> list[UserOut]:
    """The active users this actor may hand a client or a task to (themselves first).

    The same rule as ``access.check_user_in_reach``: everyone for directors and
    admins, the department subtree for managers, only themselves for reps.
    """
    q = (
        sa.select(user_t)
        .where(user_t.c.active.is_(True), visible_users(actor, user_t.c.id))
        .order_by(user_t.c.full_name, user_t.c.login)
    )
    tree = _department_paths(s)
    users = [_user_out(tree, r) for r in s.execute(q)]
    return sorted(users, key=lambda u: u.id != actor.id)


def update_user(
    s: Session,
    actor: Actor,
    login: str,
    *,
    role: str | None = None,
    department: str | int | None = None,
    active: bool | None = None,
    full_name: str | None = None,
) -> UserOut:
    require_admin(actor, N_("change a user"))
    row = s.execute(sa.select(user_t).where(user_t.c.login == login)).first()
    if row is None:
        raise NotFound(_("no user with login '{login}'").format(login=login))
    values: dict[str, Any] = {}
    if role is not None:
        if role not in ROLES:
            raise Invalid({"role": _("must be one of {choices}").format(choices=", ".join(ROLES))})
        values["role"] = role
    if department is not None:
        values["department_id"] = find_department(s, department)
    if active is not None:
        if not active and row.id == actor.id:
            raise Invalid({"active": _("you cannot deactivate yourself")})
        values["active"] = active
    if full_name is not None:
        values["full_name"] = clean(full_name)
    if values.get("role", row.role) != ADMIN and row.role == ADMIN:
        admins = s.execute(
            sa.select(sa.func.count())
            .select_from(user_t)
            .where(user_t.c.role == ADMIN, user_t.c.active.is_(True))
        ).scalar_one()
        if admins <= 1:
            raise Invalid({"role": _("this is the last admin; make somebody else admin first")})
    changes = diff(dict(row._mapping), values)
    if "department_id" in changes:
        # a client belongs to its owner's department: the owner's clients move along
        moved = s.execute(
            sa.update(client_t)
            .where(client_t.c.owner_id == row.id)
            .values(department_id=values["department_id"])
        ).rowcount  # type: ignore[attr-defined]
        changes["clients_moved"] = [None, moved]
    if changes:
        versioned_update(
            s,
            actor,
            user_t,
            entity="user",
            entity_id=row.id,
            base_version=row.version,
            values=values,
            audit_changes=changes,
            client_id=None,
        )
    return get_user(s, login)
