"""What the planner's calendar files (.ics) need to know about tasks already stored.

An exported task carries a UID made of its id and creation time, so that importing
the file again finds the task it came from (and not a task that merely has the same
id in another database); an imported event keeps its UID in ``task.ical_uid``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services.actor import Actor
from termcrm.services.tasks import access_conditions, client_t, task_t

T = TypeVar("T")
CHUNK = 500  # ids or uids per IN (...) list


def _chunks(values: Collection[T]) -> Iterator[Sequence[T]]:
    items = list(dict.fromkeys(values))
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def created_times(s: Session, ids: Collection[int]) -> dict[int, datetime]:
    """The creation time of each live (not deleted) task among ``ids``; whose task
    it is does not matter here: an id alone tells nothing about a task's content."""
    t = task_t.c
    found: dict[int, datetime] = {}
    for chunk in _chunks(ids):
        query = sa.select(t.id, t.created_at).where(t.id.in_(chunk), t.deleted_at.is_(None))
        found.update((r.id, r.created_at) for r in s.execute(query))
    return found


def imported_uids(s: Session, actor: Actor, uids: Collection[str]) -> dict[str, int]:
    """Of these calendar UIDs, those already imported as a live task of the actor
    (open, done or cancelled): uid -> task id."""
    t = task_t.c
    found: dict[str, int] = {}
    wanted = [u for u in uids if u]
    for chunk in _chunks(wanted):
        query = (
            sa.select(t.ical_uid, t.id)
            .select_from(task_t.outerjoin(client_t, client_t.c.id == t.client_id))
            .where(
                t.ical_uid.in_(chunk),
                t.assignee_id == actor.id,
                *access_conditions(actor),
            )
            .order_by(t.id)
        )
        for r in s.execute(query):
            found.setdefault(r.ical_uid, r.id)
    return found
