"""A small, fixed data set for the TUI's snapshot and flow tests.

Everything shown on screen is fixed here (names, dates), so snapshots do not
change from one day to the next. The acting user is ``admin``; ``ivanova`` (a
manager) and ``li`` (a rep) make the team.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from termcrm.services import clients, contacts, deals, journal, org, tasks
from termcrm.services.actor import Actor
from termcrm.store.engine import Database
from termcrm.store.tables import Client, Contact, Deal, Interaction, Task, table

CLIENTS = [
    # name, group, status, city, owner, INN
    ("ООО «Ромашка»", "wholesale", "active", "Москва", "ivanova", "7707083893"),
    ("Рога и копыта", "retail", "lead", "Одесса", "ivanova", ""),
    ("北京科技有限公司", "wholesale", "loyal", "北京", "li", ""),
    ("上海贸易公司", "retail", "prospect", "上海", "li", ""),
    ("Acme Distribution Co.", "wholesale", "active", "Boston", "admin", ""),
    ("Globex Corporation", "key", "new", "Springfield", "admin", ""),
    ("Initech LLC", "retail", "lapsed", "Austin", "li", ""),
    ("Umbrella Trading", "key", "lost", "Raccoon City", "ivanova", ""),
    ("Сибирские сети", "wholesale", "active", "Новосибирск", "ivanova", ""),
    ("Wayne Enterprises", "key", "loyal", "Gotham", "admin", ""),
    ("Stark Industries", "key", "active", "New York", "admin", ""),
    ("Тверской хлеб", "retail", "new", "Тверь", "li", ""),
]


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def build(db: Database) -> dict[str, int]:
    """Fill an empty migrated database; the ids of the clients by name."""
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
        org.add_department(s, admin, "Sales")
        org.add_user(
            s, admin, "ivanova", role="manager", department="Sales", full_name="Мария Иванова"
        )
        org.add_user(s, admin, "li", role="rep", department="Sales", full_name="李伟")
        users = {u.login: u.id for u in org.list_users(s)}
        ids: dict[str, int] = {}
        for name, group, status, city, owner, inn in CLIENTS:
            out = clients.create_client(
                s,
                admin,
                {
                    "name": name,
                    "group": group,
                    "status": status,
                    "city": city,
                    "owner_id": users[owner],
                    "tax_id": inn,
                    "phones": ["+7 495 123-45-67"] if city == "Москва" else [],
                    "emails": ["info@romashka.ru"] if city == "Москва" else [],
                },
            )
            ids[name] = out.id
        romashka = ids["ООО «Ромашка»"]
        clients.create_client(
            s,
            admin,
            {
                "name": "Ромашка Тверь",
                "parent_id": romashka,
                "city": "Тверь",
                "owner_id": users["ivanova"],
            },
        )
        person = contacts.create_contact(
            s,
            admin,
            romashka,
            {
                "full_name": "Пётр Сидоров",
                "position": "директор по закупкам",
                "phones": ["+7 916 555-01-02"],
                "emails": ["p.sidorov@romashka.ru"],
                "birthday": date(1980, 5, 17),
                "character_notes": "любит точность",
            },
        )
        contacts.create_contact(
            s, admin, ids["北京科技有限公司"], {"full_name": "王芳", "position": "经理"}
        )
        for i, (name, kind, day) in enumerate(
            [
                ("ООО «Ромашка»", "call", 20),
                ("Acme Distribution Co.", "meeting", 18),
                ("北京科技有限公司", "email", 17),
                ("Globex Corporation", "call", 12),
                ("ООО «Ромашка»", "visit", 3),
            ]
        ):
            journal.log_interaction(
                s,
                admin,
                kind=kind,
                client_id=ids[name],
                occurred_at=at(day, 9 + i),
                contact_id=person.id if name == "ООО «Ромашка»" else None,
                purpose="price list" if i % 2 else "follow-up",
                result="agreed to meet",
            )
        for name, day in [("ООО «Ромашка»", 2), ("Acme Distribution Co.", 5), ("Initech LLC", 9)]:
            tasks.add_task(
                s, admin, title="Call back", due_at=at(day, 11, month=12), client_id=ids[name]
            )
        deals.add_deal(s, admin, title="Поставка бумаги", client_id=romashka, amount="125000")
        # record dates fixed too, so what screens show does not change from day to day
        fixed = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
        for model in (Client, Contact, Interaction, Task, Deal):
            s.execute(sa.update(table(model)).values(created_at=fixed, updated_at=fixed))
        return ids


def actor(db: Database, login: str = "admin") -> Actor:
    with db.read() as s:
        return org.actor_by_login(s, login)
