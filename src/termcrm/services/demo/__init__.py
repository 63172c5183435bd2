"""Demo data: the team of the seed documents' demo, clients and two years of history.

``load_demo`` fills a database that holds no clients (or, with ``replace``,
one it first empties completely) in ONE write transaction: if anything fails,
nothing is left behind, and no other session ever sees a half-loaded database.

What it creates (N = ``clients``):

- departments (4): Head office > Sales > Wholesale, Retail;
- users (8 + the admin): a director (Head office), a sales head (manager of
  Sales, so both sub-departments), a manager and two reps in each of
  Wholesale and Retail; ``admin_login`` is or becomes the admin;
- the default pipeline with its stages (``deals.default_pipeline``);
- clients: exactly N, about 15% persons, names from Faker's ru_RU, en_US and
  zh_CN pools (about 50/25/25), about 10% branches of an earlier company of
  the same owner; owners are reps (Wholesale reps own the wholesale groups
  and trade networks, Retail reps own retail); Russian companies have a valid
  INN (branches share their parent's), other clients no tax id;
- per client: 1 address, 1 email, 1-2 phones (companies) or 1 (persons), 0-3 tags;
- with ``history`` (the default), also: 1-3 contact persons per company, each
  with a mobile phone and (80%) an email; 1-9 journal entries per client
  (about 5) over the last two years; an open task for about 60% of clients
  (about a third of them overdue) and a done task for about 40% of calls,
  meetings and visits; 0-2 deals per company (10% of persons have one),
  spread over the stages, each with its stage history, won or lost ones closed;
  durations on planned calls, meetings and visits and a 15-minute reminder on half of
  the open tasks; for one company in 40 a repeating call on the first Monday of each
  month (in the zone of the client's locale); company dates (foundation day,
  professional holiday, contract anniversary) for about one company in eight;
- with ``history``, a product catalog too: 12 products and services per language
  (Russian, English, Chinese) with a SKU, a unit and a category; a default price list
  per demo currency (RUB, USD, CNY) pricing every product; and line items on about 60%
  of the deals (1-5 lines of products in the client's language, quantities sized to
  the deal, a discount on some lines), whose amount then follows the items (their
  total, ``deal_items.line_amount`` per line).
- with ``history``, the sales facts too (``demo/sales.py``): shipments over the last 30
  months (active clients ship most months, some lapsed, some new; products, groups and
  prices from the catalog; the manager is the client's owner; external ids like
  ``1C-RN-000123-1``; a few returns), payments (most 0-60 days after, some in parts,
  some not yet: receivables), and RUB sales plans per rep and per department (Sales,
  Wholesale, Retail) for each month of the current year.

``client.search_body`` and ``name_key`` are computed here exactly as
``search_index.refresh`` and the client service would. No audit entry is
written per row: one entry (entity "demo", action "create") records the counts.
The same seed gives the same data (dates are relative to today).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services import deals as deal_service
from termcrm.services import org
from termcrm.services.access import require_admin
from termcrm.services.actor import ADMIN, DIRECTOR, MANAGER, REP, Actor
from termcrm.services.audit import record
from termcrm.services.demo.generator import (
    CATALOG_TABLES,
    TABLES,
    Generator,
    Team,
    make_pools,
    plan_t,
)
from termcrm.services.errors import Invalid
from termcrm.store import bulk
from termcrm.store.engine import Database
from termcrm.store.tables import Client, Department, User, metadata, table
from termcrm.store.types import utcnow

client_t = table(Client)
user_t = table(User)
dept_t = table(Department)

BATCH = 5000  # clients generated and inserted at a time

# key, name, parent key
DEPARTMENTS = (
    ("head", "Head office", None),
    ("sales", "Sales", "head"),
    ("wholesale", "Wholesale", "sales"),
    ("retail", "Retail", "sales"),
)
# login, full name, role, department key
TEAM = (
    ("svolkov", "Сергей Волков", DIRECTOR, "head"),
    ("akuznetsova", "Анна Кузнецова", MANAGER, "sales"),
    ("liwei", "李伟", MANAGER, "wholesale"),
    ("jcarter", "James Carter", MANAGER, "retail"),
    ("dorlov", "Дмитрий Орлов", REP, "wholesale"),
    ("wangfang", "王芳", REP, "wholesale"),
    ("ebrooks", "Emily Brooks", REP, "retail"),
    ("osmirnova", "Ольга Смирнова", REP, "retail"),
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Rows created per table, and the logins of the demo team."""

    departments: int
    users: int  # the team, plus the admin when this load created it
    clients: int
    branches: int  # clients with a parent (included in ``clients``)
    client_tags: int
    contacts: int
    addresses: int
    phones: int
    emails: int
    interactions: int
    tasks: int
    deals: int
    deal_stage_changes: int
    significant_dates: int
    products: int
    price_lists: int
    deal_items: int
    shipments: int
    payments: int
    sales_plans: int
    admin_login: str
    logins: tuple[str, ...]  # the demo team, director first


def has_clients(db: Database) -> bool:
    """True when the database holds any client (in the trash too)."""
    with db.read() as s:
        return s.execute(sa.select(client_t.c.id).limit(1)).first() is not None


def load_demo(
    db: Database,
    *,
    admin_login: str,
    clients: int = 2000,
    seed: int = 1,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
    history: bool = True,
) -> DemoSummary:
    """Load the demo into ``db`` in one transaction; see the module docstring.

    Refuses (``Invalid``) a database that already holds clients unless
    ``replace``, which first deletes ALL data (every table but the schema
    version) and makes ``admin_login`` the admin of the emptied database.
    ``admin_login`` must be, or on an empty database becomes, an admin.
    ``history=False`` loads the team and clients only (no contacts, journal,
    tasks or deals): the benchmark's path. ``progress(stage, count)`` is called
    after each batch with the number of clients loaded so far.
    """
    if clients < 1:
        raise Invalid({"clients": "give at least 1 client"})
    with db.write() as s:
        known = s.execute(sa.select(user_t.c.id).where(user_t.c.login == admin_login)).first()
        actor = org.resolve_actor(s, admin_login)
        require_admin(actor, "load demo data")
        admin_created = known is None
        existing = s.execute(sa.select(sa.func.count()).select_from(client_t)).scalar_one()
        if existing and not replace:
            raise Invalid(
                {
                    "database": f"it already holds {existing:,} clients; demo data goes into "
                    "an empty database only (use --replace to delete ALL data first)"
                }
            )
        if replace:
            bulk.delete_all(s, [t for t in metadata.sorted_tables if t.name != "alembic_version"])
            actor = org.resolve_actor(s, admin_login)
            admin_created = True
        return _load(
            s,
            actor,
            admin_created=admin_created,
            clients=clients,
            seed=seed,
            progress=progress,
            history=history,
        )


def _load(
    s: Session,
    actor: Actor,
    *,
    admin_created: bool,
    clients: int,
    seed: int,
    progress: Callable[[str, int], None] | None,
    history: bool,
) -> DemoSummary:
    team = _create_team(s, actor)
    pipeline_id = deal_service.default_pipeline(s)
    stage_list = deal_service.stages(s, pipeline_id)
    gen = Generator(
        Random(seed),
        make_pools(seed),
        team,
        pipeline_id=pipeline_id,
        stages=[(st.id, st.outcome) for st in stage_list],
        history=history,
    )
    ids = bulk.IdAllocator(s)
    counts = dict.fromkeys(TABLES, 0)
    with bulk.bulk_loading(s), bulk.search_index_suspended(s):
        catalog = gen.catalog(ids) if history else {}
        for name, rows_of in catalog.items():
            bulk.bulk_insert(s, CATALOG_TABLES[name], rows_of)
            counts[name] = len(rows_of)
        done = 0
        while done < clients:
            n = min(BATCH, clients - done)
            rows = gen.batch(n, ids)
            for name, tbl in TABLES.items():
                if rows[name]:
                    bulk.bulk_insert(s, tbl, rows[name])
                    counts[name] += len(rows[name])
            done += n
            if progress is not None:
                progress("clients", done)
        if progress is not None:
            progress("search index", done)
        plans = gen.sales.plans(team.reps, team.departments) if history else []
        bulk.bulk_insert(s, plan_t, plans)
    bulk.analyze(s, [*TABLES.values(), *CATALOG_TABLES.values(), plan_t])
    summary = DemoSummary(
        departments=len(DEPARTMENTS),
        users=len(team.logins) + int(admin_created),
        clients=counts["client"],
        branches=gen.branches,
        client_tags=counts["client_tag"],
        contacts=counts["contact"],
        addresses=counts["address"],
        phones=counts["phone"],
        emails=counts["email"],
        interactions=counts["interaction"],
        tasks=counts["task"],
        deals=counts["deal"],
        deal_stage_changes=counts["deal_stage_history"],
        significant_dates=counts["significant_date"],
        products=counts.get("product", 0),
        price_lists=counts.get("price_list", 0),
        deal_items=counts["deal_item"],
        shipments=counts["shipment"],
        payments=counts["payment"],
        sales_plans=len(plans),
        admin_login=actor.login,
        logins=team.logins,
    )
    record(
        s,
        actor,
        action="create",
        entity="demo",
        entity_id=0,
        client_id=None,
        version=1,
        changes={
            "seed": [None, seed],
            **{k: [None, v] for k, v in _counts(summary).items()},
        },
    )
    return summary


def _counts(summary: DemoSummary) -> dict[str, int]:
    return {k: v for k, v in dataclasses.asdict(summary).items() if isinstance(v, int)}


# insert order: parents before children


def _create_team(s: Session, actor: Actor) -> Team:
    now = utcnow()
    dept_ids: dict[str, int] = {}
    for key, name, parent in DEPARTMENTS:
        dept_ids[key] = s.execute(
            sa.insert(dept_t)
            .values(
                name=name,
                parent_id=dept_ids[parent] if parent else None,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(dept_t.c.id)
        ).scalar_one()
    taken = set(s.execute(sa.select(user_t.c.login)).scalars())
    ids: dict[str, int] = {}
    reps: dict[str, list[tuple[int, int]]] = {"wholesale": [], "retail": []}
    managers: dict[int, int] = {}
    logins: list[str] = []
    for base, full_name, role, dept in TEAM:
        login = base
        for n in itertools.count(2):
            if login not in taken:
                break
            login = f"{base}{n}"
        taken.add(login)
        user_id = s.execute(
            sa.insert(user_t)
            .values(
                login=login,
                full_name=full_name,
                role=role,
                department_id=dept_ids[dept],
                active=True,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(user_t.c.id)
        ).scalar_one()
        ids[login] = user_id
        logins.append(login)
        if role == REP:
            reps[dept].append((user_id, dept_ids[dept]))
        elif role == MANAGER:
            managers[dept_ids[dept]] = user_id
    assert actor.role == ADMIN
    return Team(
        logins=tuple(logins),
        ids=ids,
        reps=reps,
        managers=managers,
        departments=dept_ids,
    )
