"""Random edits through every service path; the audit log must match them exactly.

A seeded random walk of edits (client fields including phones, emails, tags,
addresses and custom fields; contacts; deal stages; delete and restore) runs
against a model of what each record should hold. After every step the newest
audit entry must list exactly the fields that changed, with the right old and
new values, and versions must go up by one with each written change and not
at all when nothing changed.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services import clients, contacts, custom_fields, deals, org
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.validation import inn_with_checksum
from termcrm.store.engine import Database
from termcrm.store.tables import AuditEntry, Client, Contact, Deal

audit_t = AuditEntry.__table__
STEPS = 40
SEEDS = (20261125, 7, 1998)

# value pools: (what the user types, what the record must then hold)
NAMES = [
    ("ООО Ромашка", "ООО Ромашка"),
    ("  ООО   Ромашка ", "ООО Ромашка"),
    ("北京华为科技有限公司", "北京华为科技有限公司"),
    ("Acme Trading", "Acme Trading"),
    (unicodedata.normalize("NFD", "Café Müller"), "Café Müller"),
    ("Café Müller", "Café Müller"),
]
TEXTS = [("", ""), ("Retail", "Retail"), (" Опт  крупный ", "Опт крупный"), ("零售", "零售")]
CITIES = [("", ""), ("Москва", "Москва"), ("北京", "北京"), ("  Tver ", "Tver")]
MULTILINE = [
    ("", ""),
    ("founded 1998\n  two   plants ", "founded 1998\ntwo plants"),
    ("один\nдва", "один\nдва"),
]
WEBSITES = [("", ""), ("https://acme.example", "https://acme.example")]
TAX_IDS = [
    ("", ""),
    ("7707083893", "7707083893"),
    (" 7736 207543 ", "7736207543"),
    (inn_with_checksum("5001007322"), inn_with_checksum("5001007322")),
    ("91110108ma01abcd2x", "91110108MA01ABCD2X"),
]
STATUSES = ["lead", "prospect", "new", "active", "loyal", "lapsed", "lost"]
# (as typed, number key): two spellings of the same number keep only the first
PHONES = [
    ("+7 495 123-45-67", "74951234567"),
    ("8 (495) 123-45-67", "74951234567"),
    ("+7 916 000-11-22 доб. 12", "79160001122x12"),
    ("+7 916 000-11-22", "79160001122"),
    ("+86 138 0013 8000", "8613800138000"),
]
EMAILS = ["info@acme.ru", "INFO@acme.ru", "sales@acme.ru", "иван@почта.рф", " ceo@acme.ru "]
TAGS = ["vip", " vip ", "опт", "重点", "north"]
ADDRESSES = [
    {
        "kind": "legal",
        "country": "ru",
        "postcode": "101000",
        "city": "Москва",
        "line": "Тверская, 1",
    },
    {"city": "北京", "line": "朝阳区 建国路 88号"},
    {"kind": "postal", "line": "  a/ya   15 "},
    {"kind": "delivery", "city": "", "line": ""},  # empty: dropped
]
CONTACT_NAMES = [("Иван Петров", "Иван Петров"), (" 张伟 ", "张伟"), ("Anna  Smith", "Anna Smith")]
POSITIONS = [("", ""), ("CEO", "CEO"), ("Главный  бухгалтер", "Главный бухгалтер")]
BIRTHDAYS = [
    (None, None),
    ("", None),
    ("1980-02-29", "1980-02-29"),
    (date(1975, 5, 9), "1975-05-09"),
]
STAGES = ["Lead", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]
LOST_REASONS = ["price", "went to a competitor"]


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _phones(rng: random.Random) -> tuple[list[str], list[str]]:
    typed = rng.sample([p for p, _ in PHONES], rng.randint(0, 3))
    held: list[str] = []
    keys: set[str] = set()
    for raw in typed:
        key = dict(PHONES)[raw]
        if key not in keys:
            keys.add(key)
            held.append(_clean(raw))
    return typed, held


def _emails(rng: random.Random) -> tuple[list[str], list[str]]:
    typed = rng.sample(EMAILS, rng.randint(0, 3))
    held: list[str] = []
    for raw in typed:
        if raw.strip().casefold() not in {h.casefold() for h in held}:
            held.append(raw.strip())
    return typed, held


def _tags(rng: random.Random) -> tuple[list[str], list[str]]:
    typed = rng.sample(TAGS, rng.randint(0, 3))
    return typed, sorted({t.strip() for t in typed})


def _addresses(rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    typed = rng.sample(ADDRESSES, rng.randint(0, 3))
    held = [
        {
            "kind": a.get("kind") or "actual",
            "country": a.get("country", "").upper(),
            "postcode": a.get("postcode", ""),
            "city": _clean(a.get("city", "")),
            "line": _clean(a.get("line", "")),
        }
        for a in typed
        if _clean(a.get("line", "")) or _clean(a.get("city", ""))
    ]
    return typed, held


def _custom(rng: random.Random, base: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    options: dict[str, list[tuple[Any, Any]]] = {
        "volume": [(7, 7), ("12,5", 12.5), ("1 000", 1000), ("", None), (None, None)],
        "note": [("  big   one ", "big one"), ("", None), ("партнёр", "партнёр")],
        "since": [(date(2020, 1, 31), "2020-01-31"), ("2021-12-01", "2021-12-01"), (None, None)],
        "tier": [("A", "A"), (" B ", "B"), ("", None)],
    }
    typed: dict[str, Any] = {}
    held = dict(base)
    for key in rng.sample(sorted(options), rng.randint(1, 3)):
        value, expected = rng.choice(options[key])
        typed[key] = value
        if expected is None:
            held.pop(key, None)
        else:
            held[key] = expected
    return typed, held


class Model:
    """What every record must hold, in the shape the audit log shows it."""

    def __init__(self) -> None:
        self.clients: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.contact_client: dict[int, int] = {}
        self.deals: dict[int, dict[str, Any]] = {}
        self.versions: dict[tuple[str, int], int] = {}
        self.deleted: dict[int, str] = {}  # client id -> deleted_at as logged


def _entries(s: Session, entity: str, entity_id: int) -> list[Any]:
    return s.execute(
        sa.select(audit_t)
        .where(audit_t.c.entity == entity, audit_t.c.entity_id == entity_id)
        .order_by(audit_t.c.id)
    ).all()


def _version(s: Session, table: Any, row_id: int) -> int:
    t = table.__table__
    return s.execute(sa.select(t.c.version).where(t.c.id == row_id)).scalar_one()


def _check_step(
    db: Database,
    model: Model,
    entity: str,
    entity_id: int,
    table: Any,
    actor: Actor,
    action: str,
    expected: dict[str, list[Any]],
    before: int,
) -> None:
    """The newest entry of the record holds ``expected`` (or nothing new was written)."""
    with db.read() as s:
        entries = _entries(s, entity, entity_id)
        version = _version(s, table, entity_id)
    key = (entity, entity_id)
    if not expected:
        assert len(entries) == before, f"no change, yet an audit entry: {entries[-1].changes}"
        assert version == model.versions[key]
        return
    assert len(entries) == before + 1
    last = entries[-1]
    assert last.changes == expected
    assert (last.action, last.user_id) == (action, actor.id)
    model.versions[key] += 1
    assert last.version == version == model.versions[key]


@pytest.fixture
def setup(db: Database, admin: Actor) -> dict[str, Any]:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        for login, role in (("rep_a", "rep"), ("rep_b", "rep"), ("boss", "manager")):
            org.add_user(s, admin, login, role=role, department="Sales", full_name=login.title())
        custom_fields.define_field(s, admin, key="volume", kind="number")
        custom_fields.define_field(s, admin, key="note", kind="text")
        custom_fields.define_field(s, admin, key="since", kind="date")
        custom_fields.define_field(s, admin, key="tier", kind="choice", choices=["A", "B", "C"])
        return {
            "admin": admin,
            "boss": org.actor_by_login(s, "boss"),
            "users": {u.login: u.id for u in org.list_users(s)},
        }


@pytest.mark.parametrize("seed", SEEDS)
def test_random_edits_are_audited_field_by_field(db: Database, setup: dict[str, Any], seed: int):
    rng = random.Random(seed)
    admin, boss = setup["admin"], setup["boss"]
    owners = [setup["users"][u] for u in ("rep_a", "rep_b", "boss")]
    model = Model()

    # ---- creation: the entry lists every non-empty field given
    with db.write() as s:
        hq = clients.create_client(
            s, admin, {"name": "HQ Holding", "owner_id": owners[0], "tags": ["hq"]}
        )
    model.clients[hq.id] = {}
    with db.read() as s:
        (entry,) = _entries(s, "client", hq.id)
    assert (entry.action, entry.version) == ("create", 1)
    assert entry.changes == {
        "name": [None, "HQ Holding"],
        "owner_id": [None, owners[0]],
        "tags": [None, ["hq"]],
    }
    for n in range(2):
        typed_phones, phones = _phones(rng)
        typed_custom, custom = _custom(rng, {})
        with db.write() as s:
            c = clients.create_client(
                s,
                boss,
                {
                    "name": f" Branch  {n} ",
                    "city": "Тверь",
                    "parent_id": hq.id,
                    "phones": typed_phones,
                    "custom": typed_custom,
                },
            )
        expected = {
            "name": f"Branch {n}",
            "city": "Тверь",
            "parent_id": hq.id,
            "owner_id": boss.id,
            "phones": phones,
            "custom": custom,
        }
        with db.read() as s:
            (entry,) = _entries(s, "client", c.id)
        assert entry.changes == {
            k: [None, v] for k, v in expected.items() if v not in ("", [], {}, None)
        }
        model.clients[c.id] = expected
    for cid in model.clients:
        with db.read() as s:
            got = clients.get_client(s, admin, cid)
        model.clients[cid] = {
            "name": got.name,
            "legal_name": "",
            "group": "",
            "industry": "",
            "territory": "",
            "city": got.city,
            "source": "",
            "website": "",
            "bank_details": "",
            "business_info": "",
            "kind": "company",
            "tax_id": "",
            "status": "lead",
            "owner_id": got.owner_id,
            "parent_id": got.parent_id,
            "custom": got.custom,
            "tags": got.tags,
            "phones": [p.raw for p in got.phones],
            "emails": [],
            "addresses": [],
        }
        model.versions[("client", cid)] = 1
    with db.write() as s:
        for cid in list(model.clients)[1:]:
            p = contacts.create_contact(s, boss, cid, {"full_name": "Иван Петров"})
            model.contacts[p.id] = {
                "full_name": "Иван Петров",
                "position": "",
                "birthday": None,
                "character_notes": "",
                "notes": "",
                "phones": [],
                "emails": [],
            }
            model.versions[("contact", p.id)] = 1
            model.contact_client[p.id] = cid
            d = deals.add_deal(s, boss, title="Pumps", client_id=cid, amount="100")
            model.deals[d.id] = {"stage": "Lead", "lost_reason": "", "client": cid}
            model.versions[("deal", d.id)] = 1
    branches = list(model.clients)[1:]

    # ---- the random walk
    def edit_client(step: int) -> None:
        cid = rng.choice(list(model.clients))
        actor = rng.choice([admin, boss])
        current = model.clients[cid]
        typed: dict[str, Any] = {}
        held: dict[str, Any] = {}
        generators: dict[str, Callable[[], tuple[Any, Any]]] = {
            "name": lambda: rng.choice(NAMES),
            "legal_name": lambda: rng.choice([*NAMES[:3], ("", "")]),
            "group": lambda: rng.choice(TEXTS),
            "industry": lambda: rng.choice(TEXTS),
            "territory": lambda: rng.choice(TEXTS),
            "city": lambda: rng.choice(CITIES),
            "source": lambda: rng.choice(TEXTS),
            "website": lambda: rng.choice(WEBSITES),
            "bank_details": lambda: rng.choice(MULTILINE),
            "business_info": lambda: rng.choice(MULTILINE),
            "kind": lambda: (k := rng.choice(["company", "person"]), k),
            "tax_id": lambda: rng.choice(TAX_IDS),
            "status": lambda: (st := rng.choice(STATUSES), st),
            "owner_id": lambda: (o := rng.choice(owners), o),
            "tags": lambda: _tags(rng),
            "phones": lambda: _phones(rng),
            "emails": lambda: _emails(rng),
            "addresses": lambda: _addresses(rng),
            "custom": lambda: _custom(rng, current["custom"]),
        }
        if cid in branches:
            # a branch of a client in the trash is refused (see the access tests)
            parents = [None] if hq.id in model.deleted else [hq.id, None]
            generators["parent_id"] = lambda: (p := rng.choice(parents), p)
        fields = rng.sample(sorted(generators), rng.randint(1, 6))
        for f in fields:
            typed[f], held[f] = generators[f]()
        expected = {f: [current[f], held[f]] for f in fields if current[f] != held[f]}
        with db.read() as s:
            before = len(_entries(s, "client", cid))
        version = model.versions[("client", cid)]
        if cid in model.deleted:
            with pytest.raises(NotFound, match="in the trash"), db.write() as s:
                clients.update_client(s, actor, cid, version=version, changes=typed)
            expected = {}
        else:
            with db.write() as s:
                out = clients.update_client(s, actor, cid, version=version, changes=typed)
            current.update(held)
            assert out.tags == current["tags"] and out.custom == current["custom"]
            assert [p.raw for p in out.phones] == current["phones"]
            assert [e.address for e in out.emails] == current["emails"]
        _check_step(db, model, "client", cid, Client, actor, "update", expected, before)

    def bad_client_edit(step: int) -> None:
        cid = rng.choice([c for c in model.clients if c not in model.deleted])
        with db.read() as s:
            before = len(_entries(s, "client", cid))
        bad = rng.choice(
            [
                {"emails": ["info@acme.ru", "not-an-email"], "city": "Omsk"},
                {"tax_id": "7707083894", "name": "Renamed"},
                {"custom": {"tier": "Z"}, "tags": ["x"]},
                {"phones": ["12"], "status": "active"},
            ]
        )
        with pytest.raises(Invalid), db.write() as s:
            clients.update_client(
                s, admin, cid, version=model.versions[("client", cid)], changes=bad
            )
        _check_step(db, model, "client", cid, Client, admin, "update", {}, before)

    def edit_contact(step: int) -> None:
        pid = rng.choice(list(model.contacts))
        current = model.contacts[pid]
        generators: dict[str, Callable[[], tuple[Any, Any]]] = {
            "full_name": lambda: rng.choice(CONTACT_NAMES),
            "position": lambda: rng.choice(POSITIONS),
            "birthday": lambda: rng.choice(BIRTHDAYS),
            "character_notes": lambda: rng.choice(MULTILINE),
            "notes": lambda: rng.choice(MULTILINE),
            "phones": lambda: _phones(rng),
            "emails": lambda: _emails(rng),
        }
        fields = rng.sample(sorted(generators), rng.randint(1, 4))
        typed: dict[str, Any] = {}
        held: dict[str, Any] = {}
        for f in fields:
            typed[f], held[f] = generators[f]()
        expected = {f: [current[f], held[f]] for f in fields if current[f] != held[f]}
        with db.read() as s:
            before = len(_entries(s, "contact", pid))
        version = model.versions[("contact", pid)]
        if model.contact_client[pid] in model.deleted:
            with pytest.raises(NotFound, match="in the trash"), db.write() as s:
                contacts.update_contact(s, boss, pid, version=version, changes=typed)
            expected = {}
        else:
            with db.write() as s:
                out = contacts.update_contact(s, boss, pid, version=version, changes=typed)
            current.update(held)
            assert (out.birthday.isoformat() if out.birthday else None) == current["birthday"]
            assert [p.raw for p in out.phones] == current["phones"]
            assert [e.address for e in out.emails] == current["emails"]
        _check_step(db, model, "contact", pid, Contact, boss, "update", expected, before)

    def move_deal(step: int) -> None:
        did = rng.choice(list(model.deals))
        current = model.deals[did]
        stage = rng.choice(STAGES)
        reason = rng.choice(LOST_REASONS) if stage == "Lost" else ""
        expected: dict[str, list[Any]] = {}
        if stage != current["stage"]:
            expected["stage"] = [current["stage"], stage]
            # a lost deal has its reason; leaving the lost stage drops it
            if reason != current["lost_reason"]:
                expected["lost_reason"] = [current["lost_reason"], reason]
        with db.read() as s:
            before = len(_entries(s, "deal", did))
        if current["client"] in model.deleted:  # a trashed client's deals are out of reach
            with pytest.raises(NotFound, match="in the trash"), db.write() as s:
                deals.move_deal(
                    s,
                    admin,
                    did,
                    version=model.versions[("deal", did)],
                    stage=stage,
                    lost_reason=reason,
                )
            _check_step(db, model, "deal", did, Deal, admin, "update", {}, before)
            return
        with db.write() as s:
            out = deals.move_deal(
                s,
                admin,
                did,
                version=model.versions[("deal", did)],
                stage=stage,
                lost_reason=reason,
            )
        if expected:
            current["stage"] = stage
            current["lost_reason"] = reason
        assert (out.stage, out.lost_reason) == (current["stage"], current["lost_reason"])
        _check_step(db, model, "deal", did, Deal, admin, "update", expected, before)

    def delete_or_restore(step: int) -> None:
        cid = rng.choice(list(model.clients))
        with db.read() as s:
            before = len(_entries(s, "client", cid))
        if cid in model.deleted:
            with db.write() as s:
                clients.restore_client(s, boss, cid)
            expected = {"deleted_at": [model.deleted.pop(cid), None]}
            _check_step(db, model, "client", cid, Client, boss, "restore", expected, before)
        else:
            with db.write() as s:
                out = clients.delete_client(s, boss, cid, version=model.versions[("client", cid)])
            assert out.deleted_at is not None
            with db.read() as s:
                logged = _entries(s, "client", cid)[-1].changes["deleted_at"][1]
            assert datetime.fromisoformat(logged) == out.deleted_at
            model.deleted[cid] = logged
            expected = {"deleted_at": [None, logged]}
            _check_step(db, model, "client", cid, Client, boss, "delete", expected, before)

    operations = (
        [edit_client] * 5
        + [edit_contact] * 2
        + [move_deal] * 2
        + [
            delete_or_restore,
            bad_client_edit,
        ]
    )
    done: dict[str, int] = {}
    for step in range(STEPS):
        op = rng.choice(operations)
        op(step)
        done[op.__name__] = done.get(op.__name__, 0) + 1
    assert set(done) == {f.__name__ for f in operations}, done

    # ---- every record's log counts its versions 1, 2, 3, ... without a gap
    with db.read() as s:
        for (entity, entity_id), version in model.versions.items():
            logged = [e.version for e in _entries(s, entity, entity_id)]
            assert logged == list(range(1, version + 1)), (entity, entity_id)
        for cid, state in model.clients.items():
            got = clients.get_client(s, admin, cid, include_deleted=True)
            assert (got.name, got.tax_id, got.status, got.owner_id) == (
                state["name"],
                state["tax_id"],
                state["status"],
                state["owner_id"],
            )
            assert (got.deleted_at is not None) == (cid in model.deleted)


def test_a_deal_leaving_lost_drops_its_reason_and_takes_one_again(db: Database, admin: Actor):
    with db.write() as s:
        cid = clients.create_client(s, admin, {"name": "Acme"}).id
        did = deals.add_deal(s, admin, title="Pumps", client_id=cid).id
        deals.move_deal(s, admin, did, version=1, stage="Lost", lost_reason="price")
        deals.move_deal(s, admin, did, version=2, stage="Negotiation")
        out = deals.move_deal(s, admin, did, version=3, stage="Lost", lost_reason=" price ")
    assert (out.stage, out.lost_reason, out.version) == ("Lost", "price", 4)
    with db.read() as s:
        changes = [e.changes for e in _entries(s, "deal", did)[1:]]
    assert changes == [
        {"stage": ["Lead", "Lost"], "lost_reason": ["", "price"]},
        {"stage": ["Lost", "Negotiation"], "lost_reason": ["price", ""]},
        {"stage": ["Negotiation", "Lost"], "lost_reason": ["", "price"]},
    ]
