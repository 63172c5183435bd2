"""Whom a per-user report is about: the users in its scope and the departments it shows.

The users: those the actor may see (``scope.user_conditions``), narrowed by the scope.
The departments: a director's (and an admin's) every department, a manager's own and
those below it, a rep's none; a department scope keeps its subtree; a report on one
user (``me``, ``user``) shows no department (its figures would be that user's alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.reports import scope as scopes
from termcrm.reports.model import Scope
from termcrm.services import org
from termcrm.services.actor import MANAGER, Actor
from termcrm.store.tables import User, table

user_t = table(User)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    department_id: int | None
    department: str  # the department's path ("" for none)
    active: bool


@dataclass(frozen=True, slots=True)
class Org:
    """The users and the departments of a report, with the department tree."""

    people: dict[int, Person]
    shown: set[int]  # the departments the report shows
    parents: dict[int, int | None]  # every live department's parent
    names: dict[int, str]  # every live department's path

    def tops(self) -> list[int]:
        """The shown departments whose parent is not shown, by path."""
        found = [d for d in self.shown if self.parents.get(d) not in self.shown]
        return sorted(found, key=lambda d: self.names.get(d, ""))

    def chain(self, department_id: int | None) -> list[int]:
        """The shown departments a user of ``department_id`` counts in: it and those
        above it (while shown)."""
        found: list[int] = []
        d = department_id
        while d is not None and d in self.shown and d not in found:
            found.append(d)
            d = self.parents.get(d)
        return found

    def counted(self, person: Person, has_figures: bool) -> bool:
        """A user gets a row when they have figures, or are active in a department."""
        return has_figures or (person.active and person.department_id is not None)


def subtree(parents: dict[int, int | None], root: int | None) -> set[int]:
    """``root`` and every department below it (from the parents' map)."""
    if root is None:
        return set()
    found = {root}
    while True:
        below = {d for d, parent in parents.items() if parent in found} - found
        if not below:
            return found
        found |= below


def report_org(s: Session, actor: Actor, scope: Scope) -> Org:
    """The users and departments of a per-user report (the scope checked before)."""
    name = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login)
    rows = s.execute(
        sa.select(user_t.c.id, name.label("name"), user_t.c.department_id, user_t.c.active).where(
            user_t.c.deleted_at.is_(None), *scopes.user_conditions(actor, scope, user_t.c.id)
        )
    ).all()
    parents = org.department_parents(s)
    names = org.department_names(s)
    people = {
        int(r.id): Person(
            int(r.id),
            r.name,
            r.department_id,
            names.get(r.department_id, "") if r.department_id is not None else "",
            bool(r.active),
        )
        for r in rows
    }
    return Org(people, _shown(actor, scope, parents), parents, names)


def _shown(actor: Actor, scope: Scope, parents: dict[int, int | None]) -> set[int]:
    if scope.kind in ("me", "user"):
        return set()
    if actor.sees_all:
        reach = set(parents)
    elif actor.role == MANAGER:
        reach = subtree(parents, actor.department_id)
    else:
        return set()
    if scope.kind == "department":
        reach &= subtree(parents, scope.department_id)
    return reach


def ordered(people: Iterable[Person]) -> list[Person]:
    """By department path, then name."""
    return sorted(people, key=lambda p: (p.department, p.name.casefold(), p.id))
