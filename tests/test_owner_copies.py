"""The client's owner copied onto contacts and company dates (store/owners.py) stays
right whatever writes the rows: the services, a plain INSERT of a bulk load, an UPDATE
by hand; on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from termcrm.services import clients, contacts, org, significant_dates
from termcrm.services.actor import Actor
from termcrm.store.engine import Database
from termcrm.store.tables import Client, Contact, SignificantDate, table

client_t = table(Client)
contact_t = table(Contact)
date_t = table(SignificantDate)


def _owners(db: Database) -> dict[str, int | None]:
    with db.read() as s:
        rows = s.execute(sa.select(contact_t.c.full_name, contact_t.c.owner_id)).all()
        dates = s.execute(sa.select(date_t.c.title, date_t.c.owner_id)).all()
    return {**dict(rows), **dict(dates)}  # type: ignore[arg-type]


def test_the_owner_follows_the_client(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        for login in ("ann", "bob"):
            org.add_user(s, admin, login, role="rep", department="Sales")
        ann = org.actor_by_login(s, "ann").id
        bob = org.actor_by_login(s, "bob").id
        acme = clients.create_client(s, admin, {"name": "Acme", "owner_id": ann}).id
        other = clients.create_client(s, admin, {"name": "Other", "owner_id": bob}).id
        contacts.create_contact(s, admin, acme, {"full_name": "Ivan", "birthday": "1980-05-17"})
        significant_dates.add_date(
            s, admin, client_id=acme, kind="foundation", title="Founded", month=3, day=1
        )
        # a bulk load's plain INSERT, with no owner or a wrong one
        now = sa.func.now()
        for name, owner in (("Bulk", None), ("Wrong", bob)):
            s.execute(
                sa.insert(contact_t).values(
                    client_id=acme,
                    full_name=name,
                    owner_id=owner,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    position="",
                    character_notes="",
                    notes="",
                )
            )
    assert _owners(db) == {"Ivan": ann, "Bulk": ann, "Wrong": ann, "Founded": ann}

    with db.write() as s:  # another owner for the client: its rows follow
        current = clients.get_client(s, admin, acme)
        clients.update_client(s, admin, acme, version=current.version, changes={"owner_id": bob})
    assert set(_owners(db).values()) == {bob}

    with db.write() as s:  # a row moved to another client, or set by hand, is put right
        s.execute(
            sa.update(contact_t).where(contact_t.c.full_name == "Bulk").values(client_id=other)
        )
        s.execute(sa.update(client_t).where(client_t.c.id == other).values(owner_id=ann))
        s.execute(sa.update(contact_t).where(contact_t.c.full_name == "Ivan").values(owner_id=ann))
    owners = _owners(db)
    assert owners["Bulk"] == ann and owners["Ivan"] == bob and owners["Wrong"] == bob
