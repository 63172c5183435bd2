"""Client search on both backends: Cyrillic case, Chinese substrings (short ones
too), phone digits whatever the formatting, tax ids, emails, contact names,
Unicode normal forms, several words, the capped count, access and the trash."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest

from termcrm.services import client_lists, clients, contacts, org
from termcrm.services.actor import Actor
from termcrm.services.client_lists import ClientFilter
from termcrm.store.engine import Database


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture
def book(db: Database, admin: Actor) -> dict[str, int]:
    """A small card file; returns client ids by a short key."""
    cn = dataclasses.replace(admin, phone_region="CN")
    with db.write() as s:
        ids = {
            "romashka": clients.create_client(
                s,
                admin,
                {
                    "name": "ООО Ромашка",
                    "city": "Москва",
                    "tax_id": "7707083893",
                    "emails": ["Info@Romashka.ru"],
                    "phones": ["84951234567"],
                },
            ).id,
            "romashka_yug": clients.create_client(
                s, admin, {"name": "Ромашка-Юг", "city": "Краснодар"}
            ).id,
            "huawei": clients.create_client(
                s, cn, {"name": "北京华为科技有限公司", "city": "北京", "phones": ["010 6552 9988"]}
            ).id,
            "zhang": clients.create_client(s, cn, {"name": "张伟", "kind": "person"}).id,
            "cafe": clients.create_client(s, admin, {"name": _nfd("Café Müller")}).id,
            "yoshkar": clients.create_client(s, admin, {"name": _nfd("Йошкар-Ола Трейд")}).id,
            "acme": clients.create_client(
                s, admin, {"name": "Acme Trading", "city": "Tver", "phones": ["+7 (495) 765-43-21"]}
            ).id,
            "ports": clients.create_client(s, cn, {"name": "Shanghai Ports"}).id,
        }
        contacts.create_contact(
            s, admin, ids["romashka"], {"full_name": "Иван Петров", "phones": ["+7 916 555-44-33"]}
        )
        contacts.create_contact(
            s, cn, ids["ports"], {"full_name": "王小明", "phones": ["138 0013 8000"]}
        )
    return ids


def _find(db: Database, actor: Actor, text: str, **kw: Any) -> set[int]:
    with db.read() as s:
        return {r.id for r in client_lists.search_clients(s, actor, text, **kw).items}


def _expect(db: Database, actor: Actor, book: dict[str, int], cases: dict[str, set[str]]) -> None:
    got = {q: _find(db, actor, q) for q in cases}
    want = {q: {book[k] for k in keys} for q, keys in cases.items()}
    assert got == want


def test_cyrillic_is_case_insensitive(db: Database, admin: Actor, book: dict[str, int]):
    _expect(
        db,
        admin,
        book,
        {
            "РОМАШКА": {"romashka", "romashka_yug"},
            "ромашка": {"romashka", "romashka_yug"},
            "рОмАшКа": {"romashka", "romashka_yug"},
            "МАШК": {"romashka", "romashka_yug"},
            "МОСКВА": {"romashka"},
            "ЙОШКАР": {"yoshkar"},
            "трейд": {"yoshkar"},
        },
    )


def test_chinese_substrings_long_and_short(db: Database, admin: Actor, book: dict[str, int]):
    _expect(
        db,
        admin,
        book,
        {
            "华为科技": {"huawei"},
            "有限公司": {"huawei"},
            "为科技": {"huawei"},
            "科技": {"huawei"},  # two characters: no trigram, the short path
            "北京": {"huawei"},  # a prefix of the name and the city
            "张伟": {"zhang"},  # a whole two-character name
            "伟": {"zhang"},
            "小明": {"ports"},  # part of a contact's name
            "王小明": {"ports"},
            "上海": set(),
        },
    )


def test_phone_digits_whatever_the_formatting(db: Database, admin: Actor, book: dict[str, int]):
    _expect(
        db,
        admin,
        book,
        {
            # stored as 84951234567
            "+7 (495) 123-45-67": {"romashka"},
            "8 (495) 123-45-67": {"romashka"},
            "+74951234567": {"romashka"},
            "84951234567": {"romashka"},
            "495 123 45 67": {"romashka"},
            "123-45-67": {"romashka"},
            # stored as +7 (495) 765-43-21
            "84957654321": {"acme"},
            "8-495-765-43-21": {"acme"},
            "4957654321": {"acme"},
            "74957654321": {"acme"},
            # a contact's mobile finds the client
            "8 916 555 44 33": {"romashka"},
            "+79165554433": {"romashka"},
            # Chinese numbers, stored in the national form
            "+86 10 6552 9988": {"huawei"},
            "010-6552-9988": {"huawei"},
            "8613800138000": {"ports"},
            "138 0013 8000": {"ports"},
            # no such number
            "+7 495 000-00-00": set(),
        },
    )


def test_tax_id_email_and_contact_name(db: Database, admin: Actor, book: dict[str, int]):
    _expect(
        db,
        admin,
        book,
        {
            "7707083893": {"romashka"},
            "7070838": {"romashka"},
            "info@romashka.ru": {"romashka"},
            "INFO@ROMASHKA": {"romashka"},
            "romashka.ru": {"romashka"},
            "Петров": {"romashka"},
            "иван петров": {"romashka"},
            "ИВАН": {"romashka"},
        },
    )


def test_unicode_normal_forms(db: Database, admin: Actor, book: dict[str, int]):
    with db.read() as s:
        stored = clients.get_client(s, admin, book["cafe"]).name
    assert stored == unicodedata.normalize("NFC", "Café Müller") != _nfd("Café Müller")
    _expect(
        db,
        admin,
        book,
        {
            _nfd("café müller"): {"cafe"},
            _nfd("MÜLLER"): {"cafe"},
            "Café": {"cafe"},
            "cafe": set(),  # accents are letters, not decoration
            _nfd("йошкар-ола"): {"yoshkar"},
            "Йошкар-Ола": {"yoshkar"},
        },
    )


def test_several_words_must_all_match(db: Database, admin: Actor, book: dict[str, int]):
    _expect(
        db,
        admin,
        book,
        {
            "ромашка москва": {"romashka"},
            "МОСКВА ромашка": {"romashka"},
            "ромашка краснодар": {"romashka_yug"},
            "ромашка юг": {"romashka_yug"},  # a short word among long ones
            "ромашка пекин": set(),
            "ооо петров": {"romashka"},  # a client word and a contact word
            "acme   tver": {"acme"},
            "北京 科技": {"huawei"},  # two short words
            "   ": set(),
        },
    )


def test_odd_characters_do_not_break_the_query(db: Database, admin: Actor, book: dict[str, int]):
    with db.write() as s:
        odd = clients.create_client(s, admin, {"name": 'ООО "100% Вода_Плюс" (o\'neil)'}).id
    for query in ("100%", "вода_плюс", '"100%', "(o'neil)", "o'neil"):
        assert _find(db, admin, query) == {odd}, query
    for query in ("%%%", "___", '"""', "*", "a OR b", "NEAR(x y)", "\\", "-ромашка", "^ооо"):
        assert odd not in _find(db, admin, query), query


def test_search_follows_edits(db: Database, admin: Actor, book: dict[str, int]):
    cid = book["romashka"]
    with db.read() as s:
        c = clients.get_client(s, admin, cid)
        (person,) = contacts.list_contacts(s, admin, client_id=cid).items
    with db.write() as s:
        clients.update_client(
            s,
            admin,
            cid,
            version=c.version,
            changes={"name": "ООО Василёк", "phones": ["+7 495 111-22-33"]},
        )
        contacts.update_contact(
            s, admin, person.id, version=person.version, changes={"full_name": "Пётр Сидоров"}
        )
    _expect(
        db,
        admin,
        book,
        {
            "ромашка": {"romashka_yug"},
            "василёк": {"romashka"},
            "84951234567": set(),
            "84951112233": {"romashka"},
            "петров": set(),
            "сидоров": {"romashka"},
        },
    )
    with db.write() as s:
        contacts.delete_contact(s, admin, person.id)
    assert _find(db, admin, "сидоров") == set()


def test_deleted_clients_are_not_found_until_restored(
    db: Database, admin: Actor, book: dict[str, int]
):
    queries = {
        "ромашка": {"romashka", "romashka_yug"},
        "84951234567": {"romashka"},
        "петров": {"romashka"},
        "ро": {"romashka", "romashka_yug"},
    }
    with db.write() as s:
        clients.delete_client(s, admin, book["romashka"])
    _expect(db, admin, book, {q: keys - {"romashka"} for q, keys in queries.items()})
    with db.read() as s:
        trash = client_lists.search_clients(s, admin, "ромашка", flt=ClientFilter(deleted=True))
    assert [r.id for r in trash.items] == [book["romashka"]]
    with db.write() as s:
        clients.restore_client(s, admin, book["romashka"])
    _expect(db, admin, book, queries)


@pytest.fixture
def two_reps(db: Database, admin: Actor) -> dict[str, Actor]:
    with db.write() as s:
        org.add_department(s, admin, "East")
        org.add_department(s, admin, "West")
        org.add_user(s, admin, "rep_e", role="rep", department="East")
        org.add_user(s, admin, "rep_w", role="rep", department="West")
        org.add_user(s, admin, "mgr_e", role="manager", department="East")
        return {k: org.actor_by_login(s, k) for k in ("rep_e", "rep_w", "mgr_e")} | {"admin": admin}


def test_access_filter_applies_to_search(db: Database, two_reps: dict[str, Actor]):
    a = two_reps
    owned: dict[str, set[int]] = {"rep_e": set(), "rep_w": set()}
    with db.write() as s:
        for n in range(6):
            for rep in owned:
                c = clients.create_client(
                    s, a[rep], {"name": f"Общий клиент {n}", "phones": [f"+7 812 300-00-{n:02d}"]}
                )
                owned[rep].add(c.id)
    everyone = owned["rep_e"] | owned["rep_w"]
    for query in ("общий клиент", "ОБЩИЙ", "Об", "+7 812 300"):
        assert _find(db, a["rep_e"], query, limit=100) == owned["rep_e"], query
        assert _find(db, a["rep_w"], query, limit=100) == owned["rep_w"], query
        assert _find(db, a["mgr_e"], query, limit=100) == owned["rep_e"], query
        assert _find(db, a["admin"], query, limit=100) == everyone, query
    with db.read() as s:
        result = client_lists.search_clients(s, a["rep_e"], "общий", limit=3)
    assert (len(result.items), result.total, result.more) == (3, 6, False)
    west_phone = "+7 812 300-00-00"
    assert len(_find(db, a["admin"], west_phone)) == 2
    assert _find(db, a["rep_e"], west_phone) == owned["rep_e"] & _find(db, a["admin"], west_phone)


def test_the_count_is_capped(
    db: Database, two_reps: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
):
    assert client_lists.SEARCH_COUNT_CAP == 1000  # "more than 1,000"
    monkeypatch.setattr(client_lists, "SEARCH_COUNT_CAP", 30)
    a = two_reps
    with db.write() as s:
        for n in range(45):
            rep = a["rep_e"] if n % 3 else a["rep_w"]  # 30 for rep_e, 15 for rep_w
            clients.create_client(s, rep, {"name": f"Капитал {n:02d}"})

    def search(actor: Actor, limit: int) -> tuple[int, int, bool]:
        with db.read() as s:
            r = client_lists.search_clients(s, actor, "капитал", limit=limit)
        ids = [x.id for x in r.items]
        assert ids == sorted(ids, reverse=True)  # newest first
        return len(ids), r.total, r.more

    # more matches than the cap: a capped total and the `more` flag
    assert search(a["admin"], 10) == (10, 30, True)
    assert search(a["admin"], 30) == (30, 30, True)
    # a page holding every match needs no count (pages never exceed the real cap)
    assert search(a["admin"], 100) == (45, 45, False)
    # exactly the cap is not "more"; counting sees only what the actor may see
    assert search(a["rep_e"], 10) == (10, 30, False)
    assert search(a["rep_w"], 10) == (10, 15, False)
    assert search(a["rep_w"], 15) == (15, 15, False)
    monkeypatch.setattr(client_lists, "SEARCH_COUNT_CAP", 29)
    assert search(a["rep_e"], 10) == (10, 29, True)
