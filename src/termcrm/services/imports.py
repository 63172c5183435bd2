"""Import runs: their record (list, resume) and undo from the audit log.

An import's audit entries carry its id. Undo walks them newest first: records
the import created are removed (with their phones, emails, addresses and tags),
records it updated get their earlier values back through the services, so the
undo is itself versioned and audited. A record somebody changed after the
import is left alone and named in the report; so is one that other records now
refer to (a contact or a task added to an imported client).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import Actor
from termcrm.services.audit import audit_t
from termcrm.services.errors import Conflict, CrmError, Forbidden, NotFound
from termcrm.store.tables import (
    Address,
    Client,
    ClientTag,
    Contact,
    Deal,
    DealStageChange,
    Email,
    ImportReject,
    ImportRun,
    Interaction,
    Phone,
    User,
    table,
)
from termcrm.store.types import utcnow

run_t = table(ImportRun)
reject_t = table(ImportReject)
user_t = table(User)
TABLES = {
    "client": table(Client),
    "contact": table(Contact),
    "interaction": table(Interaction),
    "deal": table(Deal),
}


@dataclass(frozen=True, slots=True)
class ImportOut:
    id: int
    entity: str
    file_name: str
    user: str
    started_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None
    status: str  # running (interrupted or in progress) | done | undone
    rows_total: int
    rows_done: int
    created: int
    updated: int
    skipped: int
    rejected: int


@dataclass(frozen=True, slots=True)
class UndoReport:
    import_id: int
    removed: int
    restored: int
    kept: list[str]  # records left in place, each with the reason


def start_run(
    s: Session,
    actor: Actor,
    entity: str,
    file_name: str,
    file_hash: str,
    options: Mapping[str, Any],
    total: int | None,
) -> int:
    return int(
        s.execute(
            sa.insert(run_t)
            .values(
                entity=entity,
                file_name=file_name[-500:],
                file_hash=file_hash,
                user_id=actor.id,
                started_at=utcnow(),
                status="running",
                options=dict(options),
                rows_total=total or 0,
                rows_done=0,
                created=0,
                updated=0,
                skipped=0,
                rejected=0,
            )
            .returning(run_t.c.id)
        ).scalar_one()
    )


def unfinished_run(s: Session, actor: Actor, file_hash: str, entity: str) -> Any | None:
    """The newest interrupted run of this file by this user, if any."""
    return s.execute(
        sa.select(run_t)
        .where(
            run_t.c.file_hash == file_hash,
            run_t.c.entity == entity,
            run_t.c.user_id == actor.id,
            run_t.c.status == "running",
        )
        .order_by(run_t.c.id.desc())
        .limit(1)
    ).first()


def record_progress(
    s: Session,
    run_id: int,
    rows_done: int,
    counts: Mapping[str, int],
    new_rejects: Sequence[tuple[int, str]],
) -> None:
    """Store how far the run got; in the same transaction as the rows it counts."""
    values: dict[str, Any] = {"rows_done": rows_done, **counts}
    if new_rejects:
        s.execute(
            sa.insert(reject_t), [{"run_id": run_id, "row": n, "reason": r} for n, r in new_rejects]
        )
    s.execute(sa.update(run_t).where(run_t.c.id == run_id).values(**values))


def run_rejects(s: Session, run_id: int) -> list[tuple[int, str]]:
    """The rows a run refused so far, with the reasons, in row order."""
    rows = s.execute(
        sa.select(reject_t.c.row, reject_t.c.reason)
        .where(reject_t.c.run_id == run_id)
        .order_by(reject_t.c.row)
    )
    return [(r.row, r.reason) for r in rows]


def finish_run(s: Session, run_id: int) -> None:
    s.execute(
        sa.update(run_t).where(run_t.c.id == run_id).values(status="done", finished_at=utcnow())
    )


def _out(r: Any) -> ImportOut:
    return ImportOut(
        id=r.id,
        entity=r.entity,
        file_name=r.file_name,
        user=r.full_name or r.login or "",
        started_at=r.started_at,
        finished_at=r.finished_at,
        undone_at=r.undone_at,
        status=r.status,
        rows_total=r.rows_total,
        rows_done=r.rows_done,
        created=r.created,
        updated=r.updated,
        skipped=r.skipped,
        rejected=r.rejected,
    )


def _runs(actor: Actor) -> sa.Select[Any]:
    q = sa.select(run_t, user_t.c.full_name, user_t.c.login).select_from(
        run_t.outerjoin(user_t, user_t.c.id == run_t.c.user_id)
    )
    if not actor.is_admin:
        q = q.where(run_t.c.user_id == actor.id)
    return q


def list_imports(s: Session, actor: Actor, *, limit: int = 50) -> list[ImportOut]:
    """The newest imports: all of them for an admin, one's own for everybody else."""
    rows = s.execute(_runs(actor).order_by(run_t.c.id.desc()).limit(limit)).all()
    return [_out(r) for r in rows]


def get_import(s: Session, actor: Actor, import_id: int) -> ImportOut:
    row = s.execute(_runs(actor).where(run_t.c.id == import_id)).first()
    if row is None:
        exists = s.execute(sa.select(run_t.c.id).where(run_t.c.id == import_id)).first()
        if exists:
            raise Forbidden(
                _("import {id} was made by somebody else; only they or an admin may see it").format(
                    id=import_id
                )
            )
        raise NotFound(
            _("there is no import {id} (see `termcrm import list`)").format(id=import_id)
        )
    return _out(row)


def _children_of(entity: str, ids: list[int]) -> list[sa.Delete]:
    """The rows that belong to these records and go with them."""
    phone_t, email_t, address_t, tag_t = (
        table(Phone),
        table(Email),
        table(Address),
        table(ClientTag),
    )
    if entity == "client":
        return [
            # by client_id alone (so by its index): a contact's phones went with the contact,
            # and a contact still there keeps its client from going at all
            sa.delete(phone_t).where(phone_t.c.client_id.in_(ids)),
            sa.delete(email_t).where(email_t.c.client_id.in_(ids)),
            sa.delete(address_t).where(address_t.c.client_id.in_(ids)),
            sa.delete(tag_t).where(tag_t.c.client_id.in_(ids)),
        ]
    if entity == "contact":
        return [
            sa.delete(phone_t).where(phone_t.c.contact_id.in_(ids)),
            sa.delete(email_t).where(email_t.c.contact_id.in_(ids)),
        ]
    if entity == "deal":
        history = table(DealStageChange)
        return [sa.delete(history).where(history.c.deal_id.in_(ids))]
    return []


def _later_changes(s: Session, entity: str, record_id: int, after: int, import_id: int) -> int:
    """Audit entries of the record after ``after`` that this import did not write."""
    return int(
        s.execute(
            sa.select(sa.func.count())
            .select_from(audit_t)
            .where(
                audit_t.c.entity == entity,
                audit_t.c.entity_id == record_id,
                audit_t.c.id > after,
                sa.or_(audit_t.c.import_id.is_(None), audit_t.c.import_id != import_id),
            )
        ).scalar_one()
    )


def _restore(
    s: Session, actor: Actor, entity: str, record_id: int, version: int, old: dict
) -> None:
    from termcrm.services import clients, contacts

    if entity == "client":
        clients.update_client(s, actor, record_id, version=version, changes=old)
    elif entity == "contact":
        contacts.update_contact(s, actor, record_id, version=version, changes=old)
    else:  # imports update clients and contacts only
        raise CrmError(_("{entity} {id} cannot be restored").format(entity=entity, id=record_id))


def _refresh_client(s: Session, client_id: int | None) -> None:
    """A client whose contacts or journal entries went: its search text and last contact."""
    from termcrm.services import search_index

    if client_id is None:
        return
    client_t, interaction_t = TABLES["client"], TABLES["interaction"]
    exists = s.execute(sa.select(client_t.c.id).where(client_t.c.id == client_id)).first()
    if exists:
        search_index.refresh(s, client_id)
        latest = (
            sa.select(sa.func.max(interaction_t.c.occurred_at))
            .where(interaction_t.c.client_id == client_id, interaction_t.c.deleted_at.is_(None))
            .scalar_subquery()
        )
        s.execute(
            sa.update(client_t).where(client_t.c.id == client_id).values(last_interaction_at=latest)
        )


UNDO_CHUNK = 1000  # created records removed per statement


def _remove_created(
    s: Session, actor: Actor, import_id: int, entity: str, group: list[Any]
) -> tuple[int, list[str], set[int]]:
    """Remove records of one kind the import created, many per statement.

    Returns (how many went, the ones left with the reason, the clients to refresh).
    """
    tbl = TABLES[entity]
    ids = [e.entity_id for e in group]
    changed = set(
        s.execute(
            sa.select(audit_t.c.entity_id)
            .where(
                audit_t.c.entity == entity,
                audit_t.c.entity_id.in_(ids),
                sa.or_(audit_t.c.import_id.is_(None), audit_t.c.import_id != import_id),
            )
            .distinct()
        ).scalars()
    )
    kept = [
        _("{record}: changed after the import; left as it is").format(record=f"{entity} {i}")
        for i in ids
        if i in changed
    ]
    rows = {
        r.id: r
        for r in s.execute(
            sa.select(tbl.c.id, tbl.c.version).where(
                tbl.c.id.in_([i for i in ids if i not in changed])
            )
        )
    }
    try:
        with s.begin_nested():
            for stmt in _children_of(entity, list(rows)):
                s.execute(stmt)
            s.execute(sa.delete(tbl).where(tbl.c.id.in_(list(rows))))
        gone = list(rows)
    except IntegrityError:  # some have records added since: find them one by one
        gone = []
        for record_id in rows:
            try:
                with s.begin_nested():
                    for stmt in _children_of(entity, [record_id]):
                        s.execute(stmt)
                    s.execute(sa.delete(tbl).where(tbl.c.id == record_id))
                gone.append(record_id)
            except IntegrityError:
                kept.append(
                    _(
                        "{record}: other records were added to it after the import; left in place"
                    ).format(record=f"{entity} {record_id}")
                )
    by_id = {e.entity_id: e for e in group}
    now = utcnow()
    if gone:
        s.execute(
            sa.insert(audit_t),
            [
                {
                    "at": now,
                    "user_id": actor.id,
                    "action": "undo-import",
                    "entity": entity,
                    "entity_id": record_id,
                    "client_id": by_id[record_id].client_id if entity != "client" else None,
                    "version": rows[record_id].version,
                    "changes": {},
                    "import_id": None,
                }
                for record_id in gone
            ],
        )
    clients = {
        by_id[i].client_id for i in gone if entity != "client" and by_id[i].client_id is not None
    }
    return len(gone), kept, clients


# imports that update by the accounting system's id and write no history: no undo
UPSERTED = frozenset({"shipments", "payments", "plans"})


def undo_import(s: Session, actor: Actor, import_id: int) -> UndoReport:
    """Remove what the import created and restore what it updated; see the module docstring."""
    run = get_import(s, actor, import_id)
    if run.entity in UPSERTED:
        raise CrmError(
            _(
                "import {id} loaded {entity}, which are matched by their external id and keep "
                "no history to undo; import the corrected file instead"
            ).format(id=import_id, entity=run.entity)
        )
    if run.status == "undone":
        raise CrmError(_("import {id} was already undone").format(id=import_id))
    entries = s.execute(
        sa.select(audit_t).where(audit_t.c.import_id == import_id).order_by(audit_t.c.id.desc())
    ).all()
    created = {(e.entity, e.entity_id) for e in entries if e.action == "create"}
    removed = restored = 0
    kept: list[str] = []
    touched_clients: set[int] = set()
    updates: dict[tuple[str, int], list[Any]] = {}
    creates = [e for e in entries if e.action == "create" and e.entity in TABLES]
    for start in range(0, len(creates), UNDO_CHUNK):
        chunk = creates[start : start + UNDO_CHUNK]
        # newest first; in a chunk a client goes after the contacts and deals made for it
        for entity in sorted({e.entity for e in chunk}, key=lambda x: x == "client"):
            group = [e for e in chunk if e.entity == entity]
            gone, left, clients_of = _remove_created(s, actor, import_id, entity, group)
            removed += gone
            kept += left
            touched_clients |= clients_of
    for e in entries:
        if e.action == "update" and e.entity in TABLES and (e.entity, e.entity_id) not in created:
            updates.setdefault((e.entity, e.entity_id), []).append(e)
    for (entity, record_id), group in updates.items():
        # newest first: the record must still be as the import's last change left it,
        # and each field goes back to what it was before the import's first change
        label = f"{entity} {record_id}"
        newest = group[0]
        if _later_changes(s, entity, record_id, newest.id, import_id):
            kept.append(_("{record}: changed after the import; left as it is").format(record=label))
            continue
        old: dict[str, Any] = {}
        for e in reversed(group):
            for name, (before, _after) in (e.changes or {}).items():
                old.setdefault(name, before)
        try:
            with s.begin_nested():
                _restore(s, actor, entity, record_id, newest.version, old)
        except Conflict:
            kept.append(_("{record}: changed after the import; left as it is").format(record=label))
            continue
        except CrmError as exc:
            kept.append(f"{label}: {exc}")
            continue
        restored += 1
    for client_id in touched_clients:
        _refresh_client(s, client_id)
    s.execute(
        sa.update(run_t).where(run_t.c.id == import_id).values(status="undone", undone_at=utcnow())
    )
    return UndoReport(import_id, removed, restored, kept)
