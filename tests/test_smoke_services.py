from termcrm.services import client_lists, clients
from termcrm.services.actor import Actor
from termcrm.store.engine import Database


def test_create_and_find_client(db: Database, admin: Actor) -> None:
    with db.write() as s:
        c = clients.create_client(s, admin, {"name": "ООО Ромашка", "city": "Москва"})
    with db.read() as s:
        found = client_lists.search_clients(s, admin, "РОМАШКА")
    assert [x.id for x in found.items] == [c.id]
