"""The access rule on every read and write path, on both backends.

A small company: two departments (North, with a child department North / Retail,
and South), a rep in each, a manager of North, a director and an admin; 66
records spread over six owners. For every role and every path the returned ids
equal the expected set exactly: nothing missing, nothing leaked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services import (
    client_lists,
    clients,
    contacts,
    deals,
    history,
    journal,
    org,
    tasks,
)
from termcrm.services.actor import Actor
from termcrm.services.client_lists import ClientFilter
from termcrm.services.deals import DealFilter
from termcrm.services.errors import Forbidden, Invalid, NotFound, UnknownUser
from termcrm.services.journal import JournalFilter
from termcrm.services.tasks import TaskFilter
from termcrm.store.engine import Database
from termcrm.store.tables import AuditEntry, Client, Contact, Deal, Interaction, Task
from termcrm.store.types import utcnow

# who owns clients, with their role, department and full name
PEOPLE = {
    "director": ("director", None, "Dina Director"),
    "mgr_n": ("manager", "North", "Mark Manager"),
    "rep_n": ("rep", "North", "Nina North"),
    "rep_c": ("rep", "North / Retail", "Chen Child"),
    "rep_s": ("rep", "South", "Sergey South"),
}
OWNERS = ("admin", "director", "mgr_n", "rep_n", "rep_c", "rep_s")
VIEWERS = OWNERS
# whose clients (and whose tasks) each viewer reaches: written out, not computed
REACH = {
    "admin": set(OWNERS),
    "director": set(OWNERS),
    "mgr_n": {"mgr_n", "rep_n", "rep_c"},
    "rep_n": {"rep_n"},
    "rep_c": {"rep_c"},
    "rep_s": {"rep_s"},
}
WORDS = ("alpha", "bravo")
REP_RULE = "reps see only the clients they own"
MANAGER_RULE = "managers see the clients of their own department and the departments below it"


@dataclass
class World:
    actors: dict[str, Actor]
    client_owner: dict[int, str] = field(default_factory=dict)  # live and deleted
    client_name: dict[int, str] = field(default_factory=dict)
    client_phone: dict[int, str] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    contact_client: dict[int, int] = field(default_factory=dict)
    interaction_client: dict[int, int] = field(default_factory=dict)
    task_assignee: dict[int, str] = field(default_factory=dict)
    task_client: dict[int, int | None] = field(default_factory=dict)
    deal_client: dict[int, int] = field(default_factory=dict)
    # client id -> every (entity, id) whose audit entries belong to that client
    records: dict[int, set[tuple[str, int]]] = field(default_factory=dict)

    def sees(self, viewer: str, client_id: int) -> bool:
        return self.client_owner[client_id] in REACH[viewer]

    def live_clients(self, viewer: str) -> set[int]:
        return {c for c in self.client_owner if self.sees(viewer, c) and c not in self.deleted}

    def full_name(self, key: str) -> str:
        return self.actors[key].full_name


def _build(db: Database, admin: Actor) -> World:
    now = utcnow()
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "Retail", parent="North")
        org.add_department(s, admin, "South")
        for login, (role, dept, name) in PEOPLE.items():
            org.add_user(s, admin, login, role=role, department=dept, full_name=name)
        actors = {"admin": admin} | {k: org.actor_by_login(s, k) for k in PEOPLE}
        w = World(actors=actors)
        n = 0
        for owner in OWNERS:
            for word in WORDS:
                n += 1
                name = f"ZQ Acme {owner} {word}"
                phone = f"+7 495 100-{n:02d}-{n:02d}"
                c = clients.create_client(
                    s,
                    admin,
                    {"name": name, "owner_id": actors[owner].id, "phones": [phone]},
                )
                w.client_owner[c.id] = owner
                w.client_name[c.id] = name
                w.client_phone[c.id] = phone
                recs = w.records.setdefault(c.id, {("client", c.id)})
                p = contacts.create_contact(
                    s, admin, c.id, {"full_name": f"Person {owner} {word}", "position": "CEO"}
                )
                w.contact_client[p.id] = c.id
                recs.add(("contact", p.id))
                i = journal.log_interaction(
                    s,
                    admin,
                    kind="call",
                    client_id=c.id,
                    contact_id=p.id,
                    user_id=actors[owner].id,
                    occurred_at=now - timedelta(hours=n),
                    purpose=f"call {n}",
                )
                w.interaction_client[i.id] = c.id
                recs.add(("interaction", i.id))
                t = tasks.add_task(
                    s,
                    admin,
                    title=f"follow up {n}",
                    due_at=now + timedelta(hours=n),
                    assignee_id=actors[owner].id,
                    client_id=c.id,
                )
                w.task_assignee[t.id] = owner
                w.task_client[t.id] = c.id
                recs.add(("task", t.id))
                d = deals.add_deal(
                    s,
                    admin,
                    title=f"deal {n}",
                    client_id=c.id,
                    amount=1000 * n,
                    owner_id=actors[owner].id,
                )
                w.deal_client[d.id] = c.id
                recs.add(("deal", d.id))
        by_owner = {
            (o, wd): cid
            for cid, o in w.client_owner.items()
            for wd in WORDS
            if w.client_name[cid].endswith(wd)
        }
        rep_c_client = by_owner[("rep_c", "alpha")]
        rep_n_client = by_owner[("rep_n", "alpha")]
        mgr = actors["mgr_n"]
        # the manager plans a task for himself about a client of his child department
        t = tasks.add_task(
            s,
            mgr,
            title="check on Chen's client",
            due_at=now + timedelta(days=3),
            client_id=rep_c_client,
        )
        w.task_assignee[t.id] = "mgr_n"
        w.task_client[t.id] = rep_c_client
        w.records[rep_c_client].add(("task", t.id))
        # a task about no client at all
        t = tasks.add_task(
            s, actors["rep_s"], title="tidy the price list", due_at=now + timedelta(days=4)
        )
        w.task_assignee[t.id] = "rep_s"
        w.task_client[t.id] = None
        # the manager owns a deal on a rep's client, and logs a visit at another
        d = deals.add_deal(s, mgr, title="manager's deal", client_id=rep_c_client, amount=5)
        w.deal_client[d.id] = rep_c_client
        w.records[rep_c_client].add(("deal", d.id))
        i = journal.log_interaction(
            s, mgr, kind="visit", client_id=rep_n_client, occurred_at=now - timedelta(days=9)
        )
        w.interaction_client[i.id] = rep_n_client
        w.records[rep_n_client].add(("interaction", i.id))
        # a client of rep_n in the trash, with a contact
        c = clients.create_client(s, actors["rep_n"], {"name": "ZQ Acme rep_n trashed"})
        p = contacts.create_contact(s, actors["rep_n"], c.id, {"full_name": "Person trashed"})
        clients.delete_client(s, actors["rep_n"], c.id)
        w.client_owner[c.id] = "rep_n"
        w.client_name[c.id] = "ZQ Acme rep_n trashed"
        w.deleted.add(c.id)
        w.contact_client[p.id] = c.id
        w.records[c.id] = {("client", c.id), ("contact", p.id)}
    total = (
        len(w.client_owner)
        + len(w.contact_client)
        + len(w.interaction_client)
        + len(w.task_assignee)
        + len(w.deal_client)
    )
    assert total == 66
    return w


@pytest.fixture
def world(db: Database, admin: Actor) -> World:
    return _build(db, admin)


def _walk(fetch: Any, limit: int) -> list[Any]:
    """Every item of a keyset-paged list; fails on a repeated item or a runaway cursor."""
    items: list[Any] = []
    after = None
    for _ in range(200):
        page = fetch(after=after, limit=limit)
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            break
        assert page.items, "a cursor after an empty page"
        after = page.next_cursor
    else:
        pytest.fail("paging did not end")
    ids = [x.id for x in items]
    assert len(ids) == len(set(ids)), f"an item came twice: {ids}"
    return items


def _refusal(w: World, viewer: str, client_id: int) -> str:
    rule = MANAGER_RULE if w.actors[viewer].role == "manager" else REP_RULE
    owner = w.full_name(w.client_owner[client_id])
    return f"client {client_id} belongs to {owner}: {rule}"


def _row(s: Session, table: Any, row_id: int) -> dict[str, Any]:
    t = table.__table__
    return dict(s.execute(sa.select(t).where(t.c.id == row_id)).one()._mapping)


def _audit_count(s: Session) -> int:
    return s.execute(sa.select(sa.func.count()).select_from(AuditEntry.__table__)).scalar_one()


# ---------------------------------------------------------------- clients


SORTS = ("name", "-name", "id", "-id", "-created", "city", "-updated", "status")


def test_list_clients_walks_exactly_the_visible_clients(db: Database, world: World):
    with db.read() as s:
        for viewer, sort in ((v, so) for v in VIEWERS for so in SORTS):
            actor = world.actors[viewer]
            rows = _walk(
                lambda after, limit, a=actor, so=sort: client_lists.list_clients(
                    s, a, sort=so, after=after, limit=limit
                ),
                limit=3,
            )
            assert {r.id for r in rows} == world.live_clients(viewer), (viewer, sort)
            if sort in ("name", "-name"):
                keys = [(r.name.casefold(), r.id) for r in rows]
                assert keys == sorted(keys, reverse=sort.startswith("-"))
            if sort in ("id", "-id"):
                assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=sort == "-id")


def test_list_clients_filters_never_widen_access(db: Database, world: World):
    a = world.actors
    with db.read() as s:

        def ids(viewer: str, flt: ClientFilter) -> set[int]:
            page = client_lists.list_clients(s, a[viewer], flt, limit=1000)
            assert page.next_cursor is None
            return {r.id for r in page.items}

        owned_by = {
            o: {c for c, ow in world.client_owner.items() if ow == o and c not in world.deleted}
            for o in OWNERS
        }
        # asking for another owner's clients returns nothing outside one's reach
        assert ids("rep_n", ClientFilter(owner_id=a["rep_s"].id)) == set()
        assert ids("mgr_n", ClientFilter(owner_id=a["rep_s"].id)) == set()
        assert ids("mgr_n", ClientFilter(owner_id=a["rep_c"].id)) == owned_by["rep_c"]
        assert ids("mgr_n", ClientFilter(scope="mine")) == owned_by["mgr_n"]
        assert ids("mgr_n", ClientFilter(scope="department")) == (
            owned_by["mgr_n"] | owned_by["rep_n"] | owned_by["rep_c"]
        )
        # a rep's "department" is still only what the rep may see
        assert ids("rep_n", ClientFilter(scope="department")) == owned_by["rep_n"]
        assert ids("director", ClientFilter(scope="mine")) == owned_by["director"]
        with pytest.raises(Invalid, match="you belong to no department"):
            ids("director", ClientFilter(scope="department"))
        # the trash obeys the same rule
        trashed = set(world.deleted)
        for viewer in VIEWERS:
            expected = {c for c in trashed if world.sees(viewer, c)}
            assert ids(viewer, ClientFilter(deleted=True)) == expected, viewer
        assert trashed and ids("rep_s", ClientFilter(deleted=True)) == set()


def test_search_clients_returns_only_visible_clients(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            expected = world.live_clients(viewer)
            for query in ("acme", "ZQ", "zq acme", "Person"):
                found = client_lists.search_clients(s, actor, query, limit=100)
                assert {r.id for r in found.items} == expected, (viewer, query)
                assert found.total == len(expected)
                assert found.more is False
            for cid, name in world.client_name.items():
                visible = world.sees(viewer, cid) and cid not in world.deleted
                want = [cid] if visible else []
                hits = client_lists.search_clients(s, actor, name.upper(), limit=100)
                assert [r.id for r in hits.items] == want, (viewer, name)
                if cid in world.client_phone:
                    hits = client_lists.search_clients(s, actor, world.client_phone[cid])
                    assert [r.id for r in hits.items] == want, (viewer, name)
            # a short (two-character) query goes another way and obeys the rule too
            hits = client_lists.search_clients(s, actor, "zq", limit=1000)
            assert {r.id for r in hits.items} == expected


def test_get_client_visible_or_forbidden_with_reason(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            for cid, owner in world.client_owner.items():
                if not world.sees(viewer, cid):
                    with pytest.raises(Forbidden) as err:
                        clients.get_client(s, actor, cid)
                    assert str(err.value) == _refusal(world, viewer, cid)
                    with pytest.raises(Forbidden):
                        clients.get_client(s, actor, cid, include_deleted=True)
                elif cid in world.deleted:
                    with pytest.raises(NotFound, match="in the trash"):
                        clients.get_client(s, actor, cid)
                    got = clients.get_client(s, actor, cid, include_deleted=True)
                    assert got.id == cid and got.deleted_at is not None
                else:
                    got = clients.get_client(s, actor, cid)
                    assert (got.id, got.owner) == (cid, world.full_name(owner))
            with pytest.raises(NotFound, match="does not exist"):
                clients.get_client(s, actor, 999_999)


def test_update_client_allowed_or_forbidden_and_nothing_written(db: Database, world: World):
    for viewer in VIEWERS:
        actor = world.actors[viewer]
        for cid in world.client_owner:
            with db.read() as s:
                before = _row(s, Client, cid)
                audits = _audit_count(s)
            label = f"set by {viewer}"
            if not world.sees(viewer, cid):
                with pytest.raises(Forbidden) as err, db.write() as s:
                    clients.update_client(
                        s, actor, cid, version=before["version"], changes={"industry": label}
                    )
                assert str(err.value) == _refusal(world, viewer, cid)
            elif cid in world.deleted:
                with pytest.raises(NotFound, match="in the trash"), db.write() as s:
                    clients.update_client(
                        s, actor, cid, version=before["version"], changes={"industry": label}
                    )
            else:
                with db.write() as s:
                    out = clients.update_client(
                        s, actor, cid, version=before["version"], changes={"industry": label}
                    )
                assert (out.industry, out.version) == (label, before["version"] + 1)
                continue
            with db.read() as s:
                assert _row(s, Client, cid) == before
                assert _audit_count(s) == audits


def test_history_shows_the_clients_records_or_is_forbidden(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            for cid in world.client_owner:
                if world.sees(viewer, cid):
                    entries = history.history(s, actor, "client", cid)
                    assert {(e.entity, e.entity_id) for e in entries} == world.records[cid]
                    assert [e.id for e in entries] == sorted(e.id for e in entries)
                else:
                    with pytest.raises(Forbidden) as err:
                        history.history(s, actor, "client", cid)
                    assert str(err.value) == _refusal(world, viewer, cid)
            for did, cid in world.deal_client.items():
                if world.sees(viewer, cid):
                    entries = history.history(s, actor, "deal", did)
                    assert {(e.entity, e.entity_id) for e in entries} == {("deal", did)}
                else:
                    with pytest.raises(Forbidden, match=f"client {cid} belongs to"):
                        history.history(s, actor, "deal", did)
            for pid, cid in world.contact_client.items():
                if not world.sees(viewer, cid):
                    with pytest.raises(Forbidden, match=f"client {cid} belongs to"):
                        history.history(s, actor, "contact", pid)
                elif cid not in world.deleted:
                    entries = history.history(s, actor, "contact", pid)
                    assert {(e.entity, e.entity_id) for e in entries} == {("contact", pid)}
            for tid, assignee in world.task_assignee.items():
                if assignee in REACH[viewer]:
                    entries = history.history(s, actor, "task", tid)
                    assert {(e.entity, e.entity_id) for e in entries} == {("task", tid)}
                else:
                    with pytest.raises(Forbidden, match=f"task {tid} is assigned to"):
                        history.history(s, actor, "task", tid)
            user_id = world.actors["rep_s"].id
            if viewer == "admin":
                entries = history.history(s, actor, "user", user_id)
                assert {(e.entity, e.entity_id) for e in entries} == {("user", user_id)}
            else:
                with pytest.raises(Forbidden, match="only an admin"):
                    history.history(s, actor, "user", user_id)


# ---------------------------------------------------------------- contacts


def test_contacts_list_and_get(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            live = world.live_clients(viewer)
            rows = _walk(
                lambda after, limit, a=actor: contacts.list_contacts(
                    s, a, after=after, limit=limit
                ),
                limit=4,
            )
            assert {r.id for r in rows} == {
                p for p, c in world.contact_client.items() if c in live
            }, viewer
            for pid, cid in world.contact_client.items():
                if not world.sees(viewer, cid):
                    with pytest.raises(Forbidden) as err:
                        contacts.get_contact(s, actor, pid)
                    assert str(err.value) == _refusal(world, viewer, cid)
                    with pytest.raises(Forbidden):
                        contacts.list_contacts(s, actor, client_id=cid)
                elif cid in world.deleted:
                    with pytest.raises(NotFound, match="in the trash"):
                        contacts.get_contact(s, actor, pid)
                else:
                    got = contacts.get_contact(s, actor, pid)
                    assert (got.id, got.client_id) == (pid, cid)
                    one = contacts.list_contacts(s, actor, client_id=cid)
                    assert [x.id for x in one.items] == [pid]


def test_update_contact_forbidden_writes_nothing(db: Database, world: World):
    for viewer in VIEWERS:
        actor = world.actors[viewer]
        for pid, cid in world.contact_client.items():
            if cid in world.deleted:
                continue
            with db.read() as s:
                before = _row(s, Contact, pid)
            if world.sees(viewer, cid):
                with db.write() as s:
                    out = contacts.update_contact(
                        s, actor, pid, version=before["version"], changes={"position": viewer}
                    )
                assert (out.position, out.version) == (viewer, before["version"] + 1)
            else:
                with pytest.raises(Forbidden, match=f"client {cid} belongs to"), db.write() as s:
                    contacts.update_contact(
                        s, actor, pid, version=before["version"], changes={"position": viewer}
                    )
                with db.read() as s:
                    assert _row(s, Contact, pid) == before


# ---------------------------------------------------------------- journal, tasks, deals


def test_interactions_list(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            rows = _walk(
                lambda after, limit, a=actor: journal.list_interactions(
                    s, a, after=after, limit=limit
                ),
                limit=4,
            )
            expected = {i for i, c in world.interaction_client.items() if world.sees(viewer, c)}
            assert {r.id for r in rows} == expected, viewer
            times = [(r.occurred_at, r.id) for r in rows]
            assert times == sorted(times, reverse=True)
            for cid in world.client_owner:
                page = journal.list_interactions(s, actor, JournalFilter(client_id=cid))
                want = {
                    i
                    for i, c in world.interaction_client.items()
                    if c == cid and world.sees(viewer, c)
                }
                assert {r.id for r in page.items} == want


def test_tasks_list_and_get(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            rows = _walk(
                lambda after, limit, a=actor: tasks.list_tasks(s, a, after=after, limit=limit),
                limit=3,
            )
            expected = {t for t, who in world.task_assignee.items() if who in REACH[viewer]}
            assert {r.id for r in rows} == expected, viewer
            dues = [(r.due_at, r.id) for r in rows]
            assert dues == sorted(dues)
            for tid, who in world.task_assignee.items():
                if who in REACH[viewer]:
                    assert tasks.get_task(s, actor, tid).id == tid
                else:
                    with pytest.raises(Forbidden) as err:
                        tasks.get_task(s, actor, tid)
                    assert str(err.value).startswith(
                        f"task {tid} is assigned to {world.full_name(who)}: "
                    )
            for cid in world.client_owner:
                if cid in world.deleted:
                    continue
                if world.sees(viewer, cid):
                    page = tasks.list_tasks(s, actor, TaskFilter(client_id=cid))
                    want = {
                        t
                        for t, c in world.task_client.items()
                        if c == cid and world.task_assignee[t] in REACH[viewer]
                    }
                    assert {r.id for r in page.items} == want
                else:
                    with pytest.raises(Forbidden):
                        tasks.list_tasks(s, actor, TaskFilter(client_id=cid))


def test_deals_list_and_get(db: Database, world: World):
    with db.read() as s:
        for viewer in VIEWERS:
            actor = world.actors[viewer]
            rows = _walk(
                lambda after, limit, a=actor: deals.list_deals(s, a, after=after, limit=limit),
                limit=5,
            )
            expected = {d for d, c in world.deal_client.items() if world.sees(viewer, c)}
            assert {r.id for r in rows} == expected, viewer
            for did, cid in world.deal_client.items():
                if world.sees(viewer, cid):
                    assert deals.get_deal(s, actor, did).client_id == cid
                else:
                    with pytest.raises(Forbidden) as err:
                        deals.get_deal(s, actor, did)
                    assert str(err.value) == _refusal(world, viewer, cid)
            for cid in world.client_owner:
                page = deals.list_deals(s, actor, DealFilter(client_id=cid))
                want = {d for d, c in world.deal_client.items() if c == cid}
                assert {r.id for r in page.items} == (want if world.sees(viewer, cid) else set())


def test_writes_about_a_client_out_of_reach_are_refused(db: Database, world: World):
    now = utcnow()
    tables = (Client, Contact, Interaction, Task, Deal, AuditEntry)

    def counts() -> list[int]:
        with db.read() as s:
            return [
                s.execute(sa.select(sa.func.count()).select_from(t.__table__)).scalar_one()
                for t in tables
            ]

    before = counts()
    for viewer in ("mgr_n", "rep_n", "rep_c", "rep_s"):
        actor = world.actors[viewer]
        for cid in world.client_owner:
            if world.sees(viewer, cid):
                continue
            attempts = [
                lambda s, a=actor, c=cid: contacts.create_contact(s, a, c, {"full_name": "X"}),
                lambda s, a=actor, c=cid: journal.log_interaction(s, a, kind="call", client_id=c),
                lambda s, a=actor, c=cid: tasks.add_task(s, a, title="x", due_at=now, client_id=c),
                lambda s, a=actor, c=cid: deals.add_deal(s, a, title="x", client_id=c),
                lambda s, a=actor, c=cid: clients.delete_client(s, a, c),
                lambda s, a=actor, c=cid: clients.create_client(
                    s, a, {"name": "branch", "parent_id": c}
                ),
            ]
            for attempt in attempts:
                with pytest.raises(Forbidden, match=f"client {cid} belongs to"), db.write() as s:
                    attempt(s)
    assert counts() == before


# ---------------------------------------------------------------- handing clients over


def test_rep_cannot_hand_a_client_to_another_rep(db: Database, world: World):
    rep = world.actors["rep_n"]
    cid = next(c for c, o in world.client_owner.items() if o == "rep_n" and c not in world.deleted)
    with db.read() as s:
        before = _row(s, Client, cid)
        audits = _audit_count(s)
    for other in ("rep_c", "mgr_n", "rep_s"):
        with (
            pytest.raises(Forbidden, match="reps cannot hand a client to somebody else"),
            db.write() as s,
        ):
            clients.update_client(
                s,
                rep,
                cid,
                version=before["version"],
                changes={"owner_id": world.actors[other].id, "city": "Tver"},
            )
        gift = {"name": "gift", "owner_id": world.actors[other].id}
        with pytest.raises(Forbidden, match="reps create clients for themselves"), db.write() as s:
            clients.create_client(s, rep, gift)
    with db.read() as s:
        assert _row(s, Client, cid) == before
        assert _audit_count(s) == audits
    # naming oneself as the owner is no change and allowed
    with db.write() as s:
        out = clients.update_client(
            s, rep, cid, version=before["version"], changes={"owner_id": rep.id, "city": "Tver"}
        )
    assert (out.owner_id, out.city, out.version) == (rep.id, "Tver", before["version"] + 1)


def test_manager_assigns_only_within_the_department_subtree(db: Database, world: World):
    a = world.actors
    mgr = a["mgr_n"]
    cid = next(c for c, o in world.client_owner.items() if o == "rep_n" and c not in world.deleted)
    with db.write() as s:
        v = _row(s, Client, cid)["version"]
        out = clients.update_client(s, mgr, cid, version=v, changes={"owner_id": a["rep_c"].id})
    retail = out.department_id
    assert out.owner_id == a["rep_c"].id and out.department == "Retail"
    with db.read() as s:
        assert retail == org.find_department(s, "North / Retail")
        # the client moved with its owner: rep_n lost it, rep_c has it
        assert cid in {r.id for r in client_lists.list_clients(s, a["rep_c"], limit=100).items}
        assert cid not in {r.id for r in client_lists.list_clients(s, a["rep_n"], limit=100).items}
        before = _row(s, Client, cid)
        audits = _audit_count(s)
    for outsider in ("rep_s", "director", "admin"):
        with (
            pytest.raises(Forbidden, match="managers can assign only users of their own dep"),
            db.write() as s,
        ):
            clients.update_client(
                s,
                mgr,
                cid,
                version=before["version"],
                changes={"owner_id": a[outsider].id},
            )
    with pytest.raises(Forbidden, match="managers can assign only"), db.write() as s:
        clients.create_client(s, mgr, {"name": "for the south", "owner_id": a["rep_s"].id})
    with pytest.raises(Forbidden, match="managers can assign only"), db.write() as s:
        tasks.add_task(s, mgr, title="x", due_at=utcnow(), assignee_id=a["rep_s"].id)
    with db.read() as s:
        assert _row(s, Client, cid) == before
        assert _audit_count(s) == audits
    with db.write() as s:
        back = clients.update_client(
            s, mgr, cid, version=before["version"], changes={"owner_id": a["rep_n"].id}
        )
    assert back.department == "North" and back.version == before["version"] + 1


# ---------------------------------------------------------------- identity


def test_first_user_of_an_empty_database_becomes_admin(db: Database):
    with db.write() as s:
        first = org.resolve_actor(s, "olga")
    assert first.role == "admin" and first.login == "olga"
    with db.write() as s:
        assert org.resolve_actor(s, "olga") == first
        with pytest.raises(UnknownUser) as err:
            org.resolve_actor(s, "boris")
    message = str(err.value)
    assert "'boris'" in message
    assert "termcrm user add boris --role rep --department" in message
    with db.read() as s:
        assert [u.login for u in org.list_users(s, include_inactive=True)] == ["olga"]
        assert [e.entity for e in history.history(s, first, "user", first.id)] == ["user"]


def test_unknown_and_deactivated_users_are_refused(db: Database, world: World):
    with db.write() as s:
        with pytest.raises(UnknownUser, match="termcrm user add mallory --role rep --department"):
            org.resolve_actor(s, "mallory")
        assert org.resolve_actor(s, "rep_s") == world.actors["rep_s"]
        org.update_user(s, world.actors["admin"], "rep_s", active=False)
    with db.write() as s, pytest.raises(UnknownUser, match="deactivated"):
        org.resolve_actor(s, "rep_s")
    with db.read() as s:
        assert "mallory" not in {u.login for u in org.list_users(s, include_inactive=True)}


def test_only_an_admin_manages_users_and_departments(db: Database, world: World):
    for viewer in ("director", "mgr_n", "rep_n"):
        actor = world.actors[viewer]
        with pytest.raises(Forbidden, match="only an admin"), db.write() as s:
            org.add_user(s, actor, "eve", role="rep", department="South")
        with pytest.raises(Forbidden, match="only an admin"), db.write() as s:
            org.add_department(s, actor, "East")
        with pytest.raises(Forbidden, match="only an admin"), db.write() as s:
            org.update_user(s, actor, viewer, role="admin")
    with db.read() as s:
        assert {u.login for u in org.list_users(s)} == set(OWNERS)
