"""The card file's page statements are built once per shape and reused with new values:
nothing of one call (actor, filter values, cursor, limit) may leak into the next."""

from __future__ import annotations

from termcrm.services import client_lists, clients, org
from termcrm.services.actor import Actor
from termcrm.services.client_lists import ClientFilter
from termcrm.store.engine import Database


def test_reused_statements_take_new_values(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        org.add_user(s, admin, "anna", role="rep", department="North")
        org.add_user(s, admin, "boris", role="rep", department="South")
        org.add_user(s, admin, "mila", role="manager", department="North")
        org.add_user(s, admin, "stas", role="manager", department="South")
        reps = {u: org.actor_by_login(s, u) for u in ("anna", "boris", "mila", "stas")}
        made: dict[str, list[int]] = {"anna": [], "boris": []}
        for owner in ("anna", "boris"):
            for i in range(5):
                group = "wholesale" if i % 2 else "retail"
                c = clients.create_client(
                    s, reps[owner], {"name": f"{owner} {i}", "group": group, "city": "Тверь"}
                )
                made[owner].append(c.id)

    def names(actor: Actor, flt: ClientFilter | None = None, **kw: object) -> list[str]:
        with db.read() as s:
            page = client_lists.list_clients(s, actor, flt, **kw)  # type: ignore[arg-type]
        return [r.name for r in page.items]

    # same shape (a rep, no filter), different actors
    assert names(reps["anna"]) == [f"anna {i}" for i in range(5)]
    assert names(reps["boris"]) == [f"boris {i}" for i in range(5)]
    # managers of different departments
    assert names(reps["mila"]) == [f"anna {i}" for i in range(5)]
    assert names(reps["stas"]) == [f"boris {i}" for i in range(5)]
    # same filters, other values
    assert names(admin, ClientFilter(group="retail")) == [
        "anna 0",
        "anna 2",
        "anna 4",
        "boris 0",
        "boris 2",
        "boris 4",
    ]
    assert names(admin, ClientFilter(group="wholesale")) == [
        "anna 1",
        "anna 3",
        "boris 1",
        "boris 3",
    ]
    # limits and cursors of the same shape
    assert names(admin, limit=3) == ["anna 0", "anna 1", "anna 2"]
    with db.read() as s:
        first = client_lists.list_clients(s, admin, limit=2)
        second = client_lists.list_clients(s, admin, limit=2, after=first.next_cursor)
        third = client_lists.list_clients(s, admin, limit=4, after=second.next_cursor)
    assert [r.name for r in second.items] == ["anna 2", "anna 3"]
    assert [r.name for r in third.items] == ["anna 4", "boris 0", "boris 1", "boris 2"]
    # scope "mine" for two reps
    assert names(reps["boris"], ClientFilter(scope="mine"), limit=2) == ["boris 0", "boris 1"]
    assert names(reps["anna"], ClientFilter(scope="mine"), limit=2) == ["anna 0", "anna 1"]
