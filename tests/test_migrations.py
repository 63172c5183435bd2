"""Migrations on a brand-new database of each backend: up, down and up again with
data in it loses nothing; base -> head -> base -> head works on an empty one; the
migrated schema matches the table definitions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from termcrm.services import (
    client_lists,
    clients,
    contacts,
    custom_fields,
    deals,
    journal,
    org,
    tasks,
)
from termcrm.services.actor import Actor
from termcrm.store import migrate
from termcrm.store.engine import Database
from termcrm.store.tables import metadata
from termcrm.store.types import utcnow

# tables that exist since 0001: the down-and-up test goes down to 0001, and a later
# revision's own tables (import runs, segments) go with its downgrade by design
LATER_TABLES = {
    "import_run",
    "import_reject",
    "segment",
    "significant_date",
    "product",
    "price_list",
    "price_list_item",
    "deal_item",
    "shipment",
    "payment",
    "sales_plan",
}
TABLES = sorted(t.name for t in metadata.sorted_tables if t.name not in LATER_TABLES)
# objects of the search index, made by raw SQL in 0002 rather than by the tables
SEARCH_TABLES = {
    "client_fts",
    "client_fts_config",
    "client_fts_content",
    "client_fts_data",
    "client_fts_docsize",
    "client_fts_idx",
}
SEARCH_INDEXES = {
    "ix_client_search_trgm",
    "ix_client_name_key_prefix",
    "ix_contact_birthday_day",
    "ix_contact_owner_birthday",
}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database that has never seen a migration: a new file, or a new PostgreSQL database."""
    if backend == "sqlite":
        db = Database(str(tmp_path / "fresh.db"))
        yield db
        db.dispose()
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    name = f"termcrm_migrations_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()
            for t in TABLES
        }


def _fk_problems(db: Database) -> list[tuple[object, ...]]:
    if db.dialect != "sqlite":
        return []
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()]


def _table_names(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _search_objects(db: Database) -> set[str]:
    insp = sa.inspect(db.engine)
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            triggers = {
                r[0]
                for r in conn.exec_driver_sql("select name from sqlite_master where type='trigger'")
            }
        return (set(insp.get_table_names()) & SEARCH_TABLES) | triggers
    return {ix["name"] for ix in insp.get_indexes("client")} & SEARCH_INDEXES


def _populate(db: Database) -> dict[str, int]:
    with db.write() as s:
        admin: Actor = org.resolve_actor(s, "root")
        org.add_department(s, admin, "Sales")
        org.add_department(s, admin, "Retail", parent="Sales")
        org.add_user(s, admin, "rep", role="rep", department="Sales / Retail", full_name="Rep")
        custom_fields.define_field(s, admin, key="tier", kind="choice", choices=["A", "B"])
        rep = org.actor_by_login(s, "rep")
        hq = clients.create_client(
            s,
            admin,
            {
                "name": "ООО Ромашка",
                "tax_id": "7707083893",
                "phones": ["84951234567"],
                "emails": ["info@romashka.ru"],
                "addresses": [{"kind": "legal", "city": "Москва", "line": "Тверская, 1"}],
                "tags": ["vip", "опт"],
                "custom": {"tier": "A"},
                "owner_id": rep.id,
            },
        )
        branch = clients.create_client(
            s, rep, {"name": "北京华为科技有限公司", "parent_id": hq.id, "city": "北京"}
        )
        gone = clients.create_client(s, rep, {"name": "Trashed Ltd"})
        clients.delete_client(s, rep, gone.id)
        person = contacts.create_contact(
            s, rep, hq.id, {"full_name": "Иван Петров", "phones": ["+7 916 555-44-33"]}
        )
        deal = deals.add_deal(s, rep, title="Pumps", client_id=hq.id, contact_id=person.id)
        deals.move_deal(s, rep, deal.id, version=1, stage="Proposal")
        journal.log_interaction(
            s,
            rep,
            kind="call",
            client_id=hq.id,
            contact_id=person.id,
            deal_id=deal.id,
            occurred_at=utcnow() - timedelta(days=1),
            purpose="intro",
        )
        tasks.add_task(
            s,
            rep,
            title="call back",
            due_at=utcnow() + timedelta(days=1),
            client_id=hq.id,
            contact_id=person.id,
            deal_id=deal.id,
        )
        return {"hq": hq.id, "branch": branch.id, "admin": admin.id}


def _found(db: Database, text: str) -> set[int]:
    with db.read() as s:
        admin = org.actor_by_login(s, "root")
        return {r.id for r in client_lists.search_clients(s, admin, text).items}


def test_down_and_up_again_with_data_loses_nothing(fresh_db: Database):
    db = fresh_db
    assert migrate.is_empty(db)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    ids = _populate(db)
    before = _counts(db)
    assert all(before[t] > 0 for t in TABLES if t != "alembic_version"), before
    searchable = {
        "ромашка": {ids["hq"]},
        "科技": {ids["branch"]},
        "华为科技": {ids["branch"]},
        "+7 (495) 123-45-67": {ids["hq"]},
        "петров": {ids["hq"]},
        "trashed": set(),
    }
    assert {q: _found(db, q) for q in searchable} == searchable
    search_objects = _search_objects(db)
    assert search_objects

    migrate.downgrade(db, "0001")
    assert migrate.current_revision(db) == "0001"
    assert _counts(db) == before
    assert _search_objects(db) == set()
    assert _fk_problems(db) == []

    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    assert _counts(db) == before
    assert _fk_problems(db) == []
    # 0007 filled in when each deal left each stage: the next move's time
    with db.engine.connect() as conn:
        stays = conn.exec_driver_sql(
            "SELECT changed_at, left_at FROM deal_stage_history ORDER BY deal_id, id"
        ).all()
    assert [s.left_at for s in stays] == [stays[1].changed_at, None]
    assert _search_objects(db) == search_objects
    # the index was rebuilt from the data, and keeps up with new writes
    assert {q: _found(db, q) for q in searchable} == searchable
    with db.write() as s:
        admin = org.actor_by_login(s, "root")
        new = clients.create_client(s, admin, {"name": "Свежий клиент"}).id
        c = clients.get_client(s, admin, ids["hq"])
        clients.update_client(s, admin, c.id, version=c.version, changes={"name": "ООО Василёк"})
    assert _found(db, "свежий") == {new}
    assert _found(db, "ромашка") == set()
    assert _found(db, "василёк") == {ids["hq"]}


def test_base_head_base_head_on_an_empty_database(fresh_db: Database):
    db = fresh_db
    migrate.upgrade(db)
    first = _table_names(db)
    assert set(TABLES) <= first
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    assert _table_names(db) <= {"alembic_version"}
    migrate.upgrade(db, "head")
    assert migrate.current_revision(db) == migrate.head_revision()
    assert _table_names(db) == first
    assert _fk_problems(db) == []
    # and the database works
    with db.write() as s:
        admin = org.resolve_actor(s, "root")
        cid = clients.create_client(s, admin, {"name": "После миграций"}).id
    assert _found(db, "миграций") == {cid}


def test_the_migrated_schema_matches_the_tables(fresh_db: Database):
    db = fresh_db
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)

    def ours(diff: object) -> bool:
        """Differences that are the search index's own objects, which 0002 makes by hand."""
        op = diff[0] if isinstance(diff, tuple) else None
        if op == "remove_table":
            return diff[1].name in SEARCH_TABLES  # type: ignore[index]
        if op == "remove_index":
            return diff[1].name in SEARCH_INDEXES  # type: ignore[index]
        return False

    assert [d for d in diffs if not ours(d)] == []


def _triggers(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            ).scalars()
        else:
            rows = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).scalars()
        return set(rows)


def test_the_owner_copies_triggers_are_there_at_the_head(fresh_db: Database):
    """A migration recreating client, contact or significant_date would lose them."""
    from termcrm.store import owners

    db = fresh_db
    migrate.upgrade(db)
    wanted = set(owners.trigger_names(db.engine.dialect.name))
    assert wanted <= _triggers(db)
    migrate.downgrade(db, "0005")
    assert not wanted & _triggers(db)
    migrate.upgrade(db)
    assert wanted <= _triggers(db)


def test_the_head_read_from_the_scripts_is_alembics_head():
    from alembic.script import ScriptDirectory

    from termcrm.store import migrate

    script = ScriptDirectory.from_config(migrate._config())
    assert migrate.head_revision() == script.get_current_head()
