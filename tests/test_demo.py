"""Demo data on both backends: counts, the team, refusal and replace, determinism,
search over the loaded data, referential integrity, valid tax ids, phones and
emails, search text as the services compute it, atomicity; and the bulk insert
path converting values exactly as SQLAlchemy Core does."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from termcrm.services import client_lists, clients, deal_items, demo, org, products, search_index
from termcrm.services.actor import ADMIN, DIRECTOR, MANAGER, REP, Actor
from termcrm.services.demo import DemoSummary, load_demo
from termcrm.services.errors import CrmError, Invalid
from termcrm.services.validation import inn_is_valid, normalise_email, normalise_phone
from termcrm.store import bulk
from termcrm.store.engine import Database
from termcrm.store.tables import (
    Address,
    AuditEntry,
    Client,
    ClientTag,
    Contact,
    CustomField,
    Deal,
    DealItem,
    DealStageChange,
    Department,
    Email,
    Interaction,
    Payment,
    Phone,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    SalesPlan,
    Shipment,
    Stage,
    Task,
    User,
    table,
)

N = 200
client_t = table(Client)
user_t = table(User)
dept_t = table(Department)
deal_t = table(Deal)
stage_t = table(Stage)
phone_t = table(Phone)
email_t = table(Email)
contact_t = table(Contact)
interaction_t = table(Interaction)
task_t = table(Task)
audit_t = table(AuditEntry)

SUMMARY_TABLES = {
    "departments": Department,
    "users": User,
    "clients": Client,
    "client_tags": ClientTag,
    "contacts": Contact,
    "addresses": Address,
    "phones": Phone,
    "emails": Email,
    "interactions": Interaction,
    "tasks": Task,
    "deals": Deal,
    "deal_stage_changes": DealStageChange,
    "products": Product,
    "price_lists": PriceList,
    "deal_items": DealItem,
    "shipments": Shipment,
    "payments": Payment,
    "sales_plans": SalesPlan,
}


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.read() as s:
        t = table(model)
        return int(s.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one())


def _names(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.execute(sa.select(client_t.c.name).order_by(client_t.c.id)).scalars())


@pytest.fixture
def loaded(db: Database) -> DemoSummary:
    return load_demo(db, admin_login="admin", clients=N, seed=7)


def test_counts_match_the_summary_and_the_documented_shape(
    db: Database, loaded: DemoSummary
) -> None:
    for field, model in SUMMARY_TABLES.items():
        assert _count(db, model) == getattr(loaded, field), field
    companies = _count(db, Client, client_t.c.kind == "company")
    persons = _count(db, Client, client_t.c.kind == "person")
    assert loaded.clients == N and companies + persons == N
    assert 0.05 * N < persons < 0.3 * N
    assert loaded.departments == 4 and loaded.users == 9
    assert _count(db, Pipeline) == 1 and _count(db, Stage) == 6
    assert loaded.addresses == N
    assert companies <= loaded.contacts <= 3 * companies
    assert loaded.phones >= N + loaded.contacts
    assert loaded.emails >= N
    assert N <= loaded.interactions <= 9 * N
    assert 3 * N < loaded.interactions < 7 * N  # about 5 per client
    assert 0 < loaded.branches < 0.25 * N
    assert _count(db, Client, client_t.c.parent_id.is_not(None)) == loaded.branches
    assert loaded.deals > 0 and loaded.deal_stage_changes >= loaded.deals
    now = datetime.now(UTC)
    assert _count(db, Task, task_t.c.status == "open", task_t.c.due_at < now) > 0
    assert _count(db, Task, task_t.c.status == "open", task_t.c.due_at > now) > 0
    assert _count(db, Task, task_t.c.status == "done", task_t.c.completed_at.is_not(None)) > 0
    with db.read() as s:
        # one audit entry for the whole load, none per row
        audits = s.execute(sa.select(audit_t.c.entity, audit_t.c.changes)).all()
        demo_entries = [a for a in audits if a.entity == "demo"]
        assert len(demo_entries) == 1
        assert demo_entries[0].changes["clients"] == [None, N]
        assert {a.entity for a in audits} <= {"demo", "user"}
        # every stage is used, won and lost deals are closed, lost ones say why
        outcome = dict(s.execute(sa.select(stage_t.c.id, stage_t.c.outcome)).all())
        deals = s.execute(sa.select(deal_t)).all()
        assert {d.stage_id for d in deals} == set(outcome)
        for d in deals:
            assert (d.closed_at is not None) == (outcome[d.stage_id] != "open")
            assert bool(d.lost_reason) == (outcome[d.stage_id] == "lost")
            assert d.amount > 0
        # the stage history walks to the deal's stage
        hist = s.execute(
            sa.select(table(DealStageChange)).order_by(
                table(DealStageChange).c.deal_id, table(DealStageChange).c.changed_at
            )
        ).all()
        last_stage = {h.deal_id: h.to_stage_id for h in hist}
        assert all(last_stage[d.id] == d.stage_id for d in deals)
        # last_interaction_at is the newest journal entry
        newest = dict(
            s.execute(
                sa.select(
                    interaction_t.c.client_id, sa.func.max(interaction_t.c.occurred_at)
                ).group_by(interaction_t.c.client_id)
            ).all()
        )
        rows = s.execute(
            sa.select(
                client_t.c.id,
                client_t.c.last_interaction_at,
                client_t.c.owner_id,
                client_t.c.department_id,
                client_t.c.parent_id,
            )
        ).all()
        assert len(newest) == N
        for r in rows:
            assert r.last_interaction_at is not None
            assert abs((r.last_interaction_at - _aware(newest[r.id])).total_seconds()) < 1
        # branches hang under an earlier client of the same owner
        owner = {r.id: r.owner_id for r in rows}
        for r in rows:
            if r.parent_id is not None:
                assert r.parent_id < r.id and owner[r.parent_id] == r.owner_id


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite's max() hands back the stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_the_catalog_price_lists_and_line_items(db: Database, loaded: DemoSummary) -> None:
    """Products in the three languages, a default price list per currency pricing every
    product, and line items on a good share of deals whose amount is the lines' total,
    read back through the services."""
    assert loaded.products == 36 and loaded.price_lists == 3
    assert _count(db, PriceListItem) == 3 * 36
    with db.read() as s:
        admin = org.actor_by_login(s, "admin")
        catalog = products.list_products(s)
        assert len(catalog) == 36 and len({p.sku.lower() for p in catalog}) == 36
        assert all(p.sku and p.unit and p.category for p in catalog)
        names = " ".join(p.name for p in catalog)
        assert "Бумага офисная" in names and "Copy paper" in names and "复印纸" in names
        lists = products.list_price_lists(s)
        assert sorted(pl.currency for pl in lists) == ["CNY", "RUB", "USD"]
        assert all(pl.is_default and pl.products == 36 for pl in lists)
        rub = next(pl for pl in lists if pl.currency == "RUB")
        assert all(p.price > 0 for p in products.prices(s, rub.id))
        paper = products.find_product(s, "BUM-A4-500")
        assert products.default_price(s, paper.id, "RUB") == Decimal("390.00")
        assert products.default_price(s, paper.id, "CNY") == Decimal("32.50")  # 390 / 12

        deal_ids = list(s.execute(sa.select(deal_t.c.id).order_by(deal_t.c.id)).scalars())
        with_items = 0
        discounted = 0
        for deal_id in deal_ids:
            got = deal_items.items_of(s, admin, deal_id)
            if not got.items:
                assert not got.amount_from_items
                continue
            with_items += 1
            assert got.amount_from_items and 1 <= len(got.items) <= 5
            assert got.deal.amount == got.total > 0
            assert [i.position for i in got.items] == list(range(1, len(got.items) + 1))
            for item in got.items:
                price = products.default_price(s, item.product_id or 0, got.deal.currency)
                assert item.price == price and item.quantity >= 1
                assert item.amount == deal_items.line_amount(
                    item.quantity, item.price, item.discount_pct
                )
                discounted += item.discount_pct > 0
        having = s.execute(sa.select(sa.func.count(sa.distinct(table(DealItem).c.deal_id))))
        assert with_items == having.scalar_one()
        assert 0.4 * len(deal_ids) < with_items < 0.8 * len(deal_ids)
        assert 0 < discounted < loaded.deal_items
        # a deal's lines are in its client's language: a RUB deal sells Russian products
        rub_deal = s.execute(
            sa.select(sa.func.min(deal_t.c.id)).where(
                deal_t.c.currency == "RUB", deal_t.c.amount_from_items.is_(True)
            )
        ).scalar_one()
        lines = deal_items.items_of(s, admin, rub_deal).items
        assert all(any("\u0400" <= ch <= "\u04ff" for ch in i.name) for i in lines)


def test_sales_facts_receivables_and_plans(db: Database, loaded: DemoSummary) -> None:
    """Shipments over the last 30 months from the catalog, sold by the client's owner,
    with a few returns; payments leaving receivables; RUB plans per rep and department
    for each month of this year, read back through the services."""
    from termcrm.services import sales_facts, sales_plans

    assert loaded.shipments > 3 * N and loaded.payments > N
    assert loaded.sales_plans == 12 * (4 + 3)  # 4 reps and Sales, Wholesale, Retail
    ship_t, pay_t, plan_t = table(Shipment), table(Payment), table(SalesPlan)
    today = date.today()
    with db.read() as s:
        first, last = s.execute(
            sa.select(sa.func.min(ship_t.c.shipped_on), sa.func.max(ship_t.c.shipped_on))
        ).one()
        first, last = _day(first), _day(last)
        assert (today - first).days > 800 and last <= today  # ~30 months, none ahead
        owners = dict(s.execute(sa.select(client_t.c.id, client_t.c.owner_id)).all())
        rows = s.execute(
            sa.select(
                ship_t.c.client_id, ship_t.c.manager_id, ship_t.c.amount, ship_t.c.quantity,
                ship_t.c.product_id, ship_t.c.product_group, ship_t.c.external_id,
                ship_t.c.currency,
            )
        ).all()  # fmt: skip
        assert all(r.manager_id == owners[r.client_id] for r in rows)
        assert all(r.product_id is not None and r.product_group for r in rows)
        assert len({r.external_id for r in rows}) == len(rows)
        assert all(r.external_id.startswith(("1C-RN-", "1C-VZ-")) for r in rows)
        returns = [r for r in rows if r.amount < 0]
        assert returns and len(returns) < 0.05 * len(rows)
        assert all(r.quantity < 0 for r in returns)
        assert {r.currency for r in rows} == {"RUB", "USD", "CNY"}
        # not every client buys; some stopped (lapsed, lost), some only began (new)
        buyers = {r.client_id for r in rows}
        assert 0.4 * N < len(buyers) < N
        # receivables: shipped minus paid per client and currency, some clients owe
        shipped: dict[tuple[int, str], Decimal] = {}
        for r in rows:
            shipped[(r.client_id, r.currency)] = (
                shipped.get((r.client_id, r.currency), 0) + r.amount
            )
        paid: dict[tuple[int, str], Decimal] = {}
        for p in s.execute(sa.select(pay_t.c.client_id, pay_t.c.currency, pay_t.c.amount)):
            assert p.amount > 0
            paid[(p.client_id, p.currency)] = paid.get((p.client_id, p.currency), 0) + p.amount
        owing = [k for k, v in shipped.items() if v - paid.get(k, Decimal(0)) > 0]
        assert len(owing) > 0.1 * len(shipped)
        assert set(paid) <= set(shipped)
        # the services read them back
        admin = org.actor_by_login(s, "admin")
        assert len(sales_facts.list_shipments(s, admin, limit=10)) == 10
        assert len(sales_facts.list_payments(s, admin, limit=10)) == 10
        plans = sales_plans.plans(s, admin)
        assert len(plans) == loaded.sales_plans
        assert {p.month for p in plans} == {date(today.year, m, 1) for m in range(1, 13)}
        assert {p.currency for p in plans} == {"RUB"}
        assert {p.department for p in plans if p.department} == {
            "Head office / Sales",
            "Head office / Sales / Wholesale",
            "Head office / Sales / Retail",
        }
        assert all(p.amount > 0 for p in plans)
        assert s.execute(sa.select(sa.func.count()).select_from(plan_t)).scalar_one() == len(plans)


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def test_the_team_has_every_role_and_owners_are_reps_of_the_right_department(
    db: Database, loaded: DemoSummary
) -> None:
    with db.read() as s:
        users = s.execute(sa.select(user_t)).all()
        depts = {d.id: d for d in s.execute(sa.select(dept_t)).all()}
        by_login = {u.login: u for u in users}
        assert {u.role for u in users} == {REP, MANAGER, DIRECTOR, ADMIN}
        assert by_login["admin"].role == ADMIN
        assert len(loaded.logins) == 8 and set(loaded.logins) <= set(by_login)
        roles = sorted(by_login[login].role for login in loaded.logins)
        assert roles == sorted([DIRECTOR, MANAGER, MANAGER, MANAGER, REP, REP, REP, REP])
        names = {d.name: d for d in depts.values()}
        assert names["Sales"].parent_id == names["Head office"].id
        assert names["Wholesale"].parent_id == names["Sales"].id
        assert names["Retail"].parent_id == names["Sales"].id
        head = next(u for u in users if u.role == MANAGER and u.department_id == names["Sales"].id)
        reps = {u.id: u for u in users if u.role == REP}
        assert {u.department_id for u in reps.values()} == {
            names["Wholesale"].id,
            names["Retail"].id,
        }
        rows = s.execute(
            sa.select(client_t.c.owner_id, client_t.c.department_id, client_t.c.client_group)
        ).all()
        for r in rows:
            assert r.owner_id in reps and reps[r.owner_id].department_id == r.department_id
            wholesale = r.client_group != "own retail"
            assert (r.department_id == names["Wholesale"].id) == wholesale
        # the sales head sees every client; a department manager only theirs
        head_actor = org.actor_by_login(s, head.login)
        found = client_lists.list_clients(s, head_actor, limit=1000)
        assert len(found.items) == N
        retail_mgr = next(
            u for u in users if u.role == MANAGER and u.department_id == names["Retail"].id
        )
        retail = client_lists.list_clients(s, org.actor_by_login(s, retail_mgr.login), limit=1000)
        assert {c.group for c in retail.items} == {"own retail"}


def test_refuses_a_database_that_holds_clients(db: Database, loaded: DemoSummary) -> None:
    before = _names(db)
    with pytest.raises(Invalid, match="already holds 200 clients") as info:
        load_demo(db, admin_login="admin", clients=10, seed=1)
    assert "\n" not in str(info.value)
    assert _names(db) == before
    assert demo.has_clients(db)


def test_only_an_admin_loads_demo_data(db: Database, loaded: DemoSummary) -> None:
    with pytest.raises(CrmError):
        load_demo(db, admin_login="dorlov", clients=10, seed=1, replace=True)
    with pytest.raises(CrmError, match="not a termcrm user"):
        load_demo(db, admin_login="stranger", clients=10, seed=1, replace=True)
    assert _count(db, Client) == N


def test_replace_deletes_everything_and_recreates_the_admin(
    db: Database, loaded: DemoSummary
) -> None:
    with db.write() as s:
        org.update_user(s, org.actor_by_login(s, "admin"), "svolkov", full_name="Changed")
    summary = load_demo(db, admin_login="admin", clients=50, seed=8, replace=True)
    assert summary.clients == 50 and summary.users == 9
    for field, model in SUMMARY_TABLES.items():
        assert _count(db, model) == getattr(summary, field), field
    with db.read() as s:
        admin = org.actor_by_login(s, "admin")
        assert admin.role == ADMIN
        assert org.get_user(s, "svolkov").full_name == "Сергей Волков"
        assert s.execute(sa.select(sa.func.min(client_t.c.id))).scalar_one() == 1
        entities = list(s.execute(sa.select(audit_t.c.entity)).scalars())
        assert entities.count("demo") == 1
    # the services keep working on the loaded data: ids continue after the demo's
    with db.write() as s:
        new = clients.create_client(s, admin, {"name": "Новый клиент", "phones": ["+74951112233"]})
    assert new.id > 50
    with db.read() as s:
        found = client_lists.search_clients(s, admin, "НОВЫЙ")
    assert [c.id for c in found.items] == [new.id]


def test_the_same_seed_gives_the_same_clients(db: Database) -> None:
    load_demo(db, admin_login="admin", clients=60, seed=3)
    first = _names(db)
    load_demo(db, admin_login="admin", clients=60, seed=3, replace=True)
    assert _names(db) == first
    load_demo(db, admin_login="admin", clients=60, seed=4, replace=True)
    assert _names(db) != first
    scripts = {
        "cyrillic": any("\u0400" <= ch <= "\u04ff" for n in first for ch in n),
        "latin": any("a" <= ch <= "z" for n in first for ch in n),
        "chinese": any("\u4e00" <= ch <= "\u9fff" for n in first for ch in n),
    }
    assert all(scripts.values()), scripts


def test_search_finds_demo_clients_by_cyrillic_upper_case_and_phone_digits(
    db: Database, loaded: DemoSummary
) -> None:
    with db.read() as s:
        admin = org.actor_by_login(s, "admin")
        with_plain_phone = sa.select(phone_t.c.client_id).where(phone_t.c.extension == "")
        ru = s.execute(
            sa.select(client_t.c.id, client_t.c.name, client_t.c.owner_id)
            .where(client_t.c.name.like("ООО «%"), client_t.c.id.in_(with_plain_phone))
            .order_by(client_t.c.id)
        ).first()
        assert ru is not None
        core = ru.name.split("«")[1].rstrip("»").split(" (")[0]
        found = client_lists.search_clients(s, admin, core.upper(), limit=1000)
        assert ru.id in {c.id for c in found.items}
        phone = s.execute(
            sa.select(phone_t.c.raw, phone_t.c.digits)
            .where(phone_t.c.client_id == ru.id, phone_t.c.extension == "")
            .order_by(phone_t.c.id)
        ).first()
        assert phone is not None
        national = "8" + phone.digits[1:]  # +7 495 ... dialled at home as 8 495 ...
        for query in (phone.digits, national, phone.raw, phone.digits[-7:]):
            found = client_lists.search_clients(s, admin, query, limit=1000)
            assert ru.id in {c.id for c in found.items}, query
        # the access filter holds on demo data too
        owner = s.execute(sa.select(user_t.c.login).where(user_t.c.id == ru.owner_id)).scalar()
        assert owner is not None
        other = next(
            login for login in ("dorlov", "wangfang", "ebrooks", "osmirnova") if login != owner
        )
        mine = client_lists.search_clients(s, org.actor_by_login(s, owner), phone.digits)
        theirs = client_lists.search_clients(s, org.actor_by_login(s, other), phone.digits)
        assert ru.id in {c.id for c in mine.items}
        assert ru.id not in {c.id for c in theirs.items}


def test_foreign_keys_are_clean_on_sqlite(db: Database, loaded: DemoSummary) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PRAGMA foreign_key_check is SQLite's; PostgreSQL enforces keys itself")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        fts = conn.exec_driver_sql(
            "INSERT INTO client_fts(client_fts, rank) VALUES ('integrity-check', 1)"
        )
        fts.close()
        conn.rollback()


def test_tax_ids_phones_and_emails_are_valid(db: Database, loaded: DemoSummary) -> None:
    with db.read() as s:
        tax_ids = list(s.execute(sa.select(client_t.c.tax_id)).scalars())
        assert any(tax_ids)
        assert all(inn_is_valid(t) for t in tax_ids if t)
        russian = s.execute(
            sa.select(client_t.c.tax_id).where(
                client_t.c.kind == "company", client_t.c.legal_name.like("%ответственностью%")
            )
        ).scalars()
        assert all(len(t) == 10 for t in russian)
        for p in s.execute(sa.select(phone_t)).all():
            normal = normalise_phone(p.raw, "RU")
            assert (normal.e164, normal.digits, normal.extension) == (
                p.e164,
                p.digits,
                p.extension,
            ), p.raw
        for e in s.execute(sa.select(email_t)).all():
            assert normalise_email(e.address) == (e.address, e.normalized)


def test_search_text_is_what_the_search_index_computes(db: Database, loaded: DemoSummary) -> None:
    with db.read() as s:  # refresh writes: the read session rolls it all back
        stored = dict(s.execute(sa.select(client_t.c.id, client_t.c.search_body)).all())
        keys = dict(s.execute(sa.select(client_t.c.name, client_t.c.name_key)).all())
        for client_id in stored:
            search_index.refresh(s, client_id)
        fresh = dict(s.execute(sa.select(client_t.c.id, client_t.c.search_body)).all())
    for client_id, body in stored.items():
        # the same parts; refresh reads phones and emails in no particular order
        assert set(body.split(" | ")) == set(fresh[client_id].split(" | ")), client_id
    from termcrm.services.text import fold

    assert all(fold(name) == key for name, key in keys.items())


def test_a_failed_load_leaves_nothing_behind(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "BATCH", 20)
    calls: list[int] = []

    def progress(stage: str, count: int) -> None:
        calls.append(count)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(db, admin_login="admin", clients=100, seed=1, progress=progress)
    assert calls == [20, 40]
    for model in SUMMARY_TABLES.values():
        assert _count(db, model) == 0
    # the search index survived the rollback and works for the next load
    summary = load_demo(db, admin_login="admin", clients=30, seed=1)
    assert summary.clients == 30
    with db.read() as s:
        admin = org.actor_by_login(s, "admin")
        first = s.execute(sa.select(client_t.c.name).order_by(client_t.c.id).limit(1)).scalar_one()
        found = client_lists.search_clients(s, admin, first.upper(), limit=100)
        assert found.items


def test_bulk_insert_stores_values_as_core_does(db: Database) -> None:
    msk = timezone(timedelta(hours=3))
    at = datetime(2024, 2, 29, 23, 30, 0, tzinfo=msk)
    base = {
        "version": 1,
        "created_at": at,
        "updated_at": datetime(2024, 3, 1, 0, 0, 0, 5, tzinfo=UTC),
        "deleted_at": None,
        "label": "Tab\there, new\nline, back\\slash",
        "kind": "choice",
        "required": True,
    }
    core_row = {**base, "entity": "client", "key": "core", "choices": ["a", "б", "中"]}
    bulk_row = {**base, "entity": "client", "key": "bulk", "choices": ["a", "б", "中"]}
    field_t = table(CustomField)
    with db.write() as s:
        s.execute(sa.insert(field_t), [core_row])
        bulk.bulk_insert(s, field_t, [bulk_row])
    with db.read() as s:
        rows = {r.key: r for r in s.execute(sa.select(field_t)).all()}
    core, fast = rows["core"]._asdict(), rows["bulk"]._asdict()
    for name in ("id", "key"):
        core.pop(name), fast.pop(name)
    assert fast == core
    assert fast["created_at"] == at and fast["created_at"].tzinfo is not None
    assert fast["choices"] == ["a", "б", "中"] and fast["required"] is True


def test_bulk_insert_of_money_dates_and_ids(db: Database) -> None:
    summary = load_demo(db, admin_login="admin", clients=5, seed=2, history=False)
    assert summary.contacts == summary.deals == summary.interactions == 0
    with db.write() as s:
        client_id = s.execute(sa.select(sa.func.min(client_t.c.id))).scalar_one()
        owner = s.execute(sa.select(user_t.c.id).where(user_t.c.login == "dorlov")).scalar_one()
        stage = s.execute(sa.select(stage_t.c.id, stage_t.c.pipeline_id)).first()
        assert stage is not None
        ids = bulk.IdAllocator(s).take(deal_t, 2)
        assert len(set(ids)) == 2
        now = datetime.now(UTC)
        common = {
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
            "client_id": client_id,
            "contact_id": None,
            "pipeline_id": stage.pipeline_id,
            "stage_id": stage.id,
            "owner_id": owner,
            "currency": "RUB",
            "source": "",
            "competitor": "",
            "lost_reason": "",
            "description": "",
            "stage_changed_at": now,
            "closed_at": None,
        }
        bulk.bulk_insert(
            s,
            deal_t,
            [
                {
                    **common,
                    "id": ids[0],
                    "title": "a",
                    "amount": Decimal("1234.5"),
                    "expected_close": date(2025, 12, 31),
                },
                {
                    **common,
                    "id": ids[1],
                    "title": "b",
                    "amount": Decimal("0.01"),
                    "expected_close": None,
                },
            ],
        )
        bulk.reset_sequences(s, [deal_t])
        next_id = s.execute(
            sa.insert(deal_t)
            .values({**common, "title": "c", "amount": Decimal(1)})
            .returning(deal_t.c.id)
        ).scalar_one()
        assert next_id > max(ids)
    with db.read() as s:
        got = {r.title: r for r in s.execute(sa.select(deal_t).where(deal_t.c.id.in_(ids))).all()}
    assert got["a"].amount == Decimal("1234.50") and got["a"].expected_close == date(2025, 12, 31)
    assert got["b"].amount == Decimal("0.01") and got["b"].expected_close is None
    assert got["a"].created_at == now


def test_summary_is_plain_frozen_data(loaded: DemoSummary) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.clients = 1  # type: ignore[misc]
    counts = {k: v for k, v in dataclasses.asdict(loaded).items() if isinstance(v, int)}
    assert counts["clients"] == N and loaded.admin_login == "admin"


def test_an_existing_admin_is_kept_and_not_counted(db: Database, admin: Actor) -> None:
    summary = load_demo(db, admin_login=admin.login, clients=20, seed=1)
    assert summary.users == 8 and _count(db, User) == 9
    assert summary.admin_login == admin.login
    with db.read() as s:
        assert org.actor_by_login(s, admin.login).id == admin.id
