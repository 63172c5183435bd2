"""Validation and normalisation: INN checksums, phones by region with extensions
kept apart, emails, and a client refused as a whole naming every bad field."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest
import sqlalchemy as sa

from termcrm.services import clients, contacts, custom_fields
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.services.validation import (
    FieldError,
    inn_is_valid,
    inn_with_checksum,
    normalise_email,
    normalise_phone,
    normalise_tax_id,
)
from termcrm.store.engine import Database
from termcrm.store.tables import Address, AuditEntry, Client, ClientTag, Email, Phone

# real, published INNs (companies; a person's example from the tax service)
VALID_INN = ["7707083893", "7736207543", "7830002293", "500100732259"]


def _reference_check(digits: str, weights: list[int]) -> str:
    """The published rule, written out separately: weighted sum mod 11 mod 10."""
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


@pytest.mark.parametrize("inn", VALID_INN)
def test_valid_inns_pass(inn: str):
    assert inn_is_valid(inn)
    assert normalise_tax_id(inn) == inn
    assert normalise_tax_id(f" {inn[:4]} {inn[4:]} ") == inn


@pytest.mark.parametrize("inn", VALID_INN)
def test_any_wrong_check_digit_fails(inn: str):
    for position in range(len(inn) - 2 if len(inn) == 12 else len(inn) - 1, len(inn)):
        for digit in "0123456789":
            if digit == inn[position]:
                continue
            broken = inn[:position] + digit + inn[position + 1 :]
            assert not inn_is_valid(broken), broken
            with pytest.raises(FieldError, match="is not a valid INN: the check digit"):
                normalise_tax_id(broken)


def test_checksum_weights_for_each_length():
    assert inn_with_checksum("770708389") == "7707083893"
    assert inn_with_checksum("5001007322") == "500100732259"
    rng = random.Random(1)
    for _ in range(300):
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        ten = nine + _reference_check(nine, [2, 4, 10, 3, 5, 9, 4, 6, 8])
        assert inn_with_checksum(nine) == ten and inn_is_valid(ten)
        base = ten
        eleven = base + _reference_check(base, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        twelve = eleven + _reference_check(eleven, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        assert inn_with_checksum(base) == twelve and inn_is_valid(twelve)
    assert not inn_is_valid("0000000001")
    assert inn_is_valid("0000000000")  # the sums are zero: formally valid


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("123456789", "has 9 digits; an INN has 10 (company) or 12 (person)"),
        ("12345678901", "has 11 digits"),
        ("1234567890123", "has 13 digits"),
    ],
)
def test_wrong_length_inns_fail(value: str, message: str):
    assert not inn_is_valid(value)
    with pytest.raises(FieldError, match=re.escape(f"'{value}' {message}")):
        normalise_tax_id(value)


def test_foreign_tax_ids_pass_as_typed_in_capitals():
    assert normalise_tax_id("91110108ma01abcd2x") == "91110108MA01ABCD2X"  # a Chinese USCC
    assert normalise_tax_id("") == ""
    assert normalise_tax_id("   ") == ""


@pytest.mark.parametrize(
    ("raw", "region", "e164", "national", "extension"),
    [
        ("8 (495) 123-45-67", "RU", "+74951234567", "84951234567", ""),
        ("+7 495 123 45 67", "RU", "+74951234567", "84951234567", ""),
        ("4951234567", "RU", "+74951234567", "84951234567", ""),
        ("8-916-555-44-33", "RU", "+79165554433", "89165554433", ""),
        ("+7 495 123-45-67 доб. 123", "RU", "+74951234567", "84951234567", "123"),
        ("+7 495 123-45-67 ext. 55", "RU", "+74951234567", "84951234567", "55"),
        ("010 6552 9988", "CN", "+861065529988", "01065529988", ""),
        ("138 0013 8000", "CN", "+8613800138000", "13800138000", ""),
        ("+86 10 6552 9988", "RU", "+861065529988", "01065529988", ""),  # country code wins
        ("+7 495 123-45-67", "CN", "+74951234567", "84951234567", ""),
        ("(010) 6552-9988 x801", "CN", "+861065529988", "01065529988", "801"),
    ],
)
def test_phones_by_region(raw: str, region: str, e164: str, national: str, extension: str):
    phone = normalise_phone(raw, region)
    assert (phone.raw, phone.e164, phone.digits, phone.national_digits, phone.extension) == (
        raw,
        e164,
        e164[1:],
        national,
        extension,
    )


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("12", "RU", "is not a valid phone number for region RU"),
        ("+7 495 12", "RU", "is not a valid phone number"),
        ("138 0013 8000", "RU", "is not a valid phone number for region RU"),
        ("call me", "RU", "is not a phone number"),
        ("", "CN", "is not a phone number"),
    ],
)
def test_bad_phones_say_why(raw: str, region: str, message: str):
    with pytest.raises(FieldError, match=message):
        normalise_phone(raw, region)


def test_emails():
    assert normalise_email(" Ivan.Petrov@Example.COM ") == (
        "Ivan.Petrov@Example.COM",
        "ivan.petrov@example.com",
    )
    assert normalise_email("иван@почта.рф") == ("иван@почта.рф", "иван@почта.рф")
    for bad, why in [
        ("not-an-email", "An email address must have an @-sign"),
        ("a@b", "is not a valid email address"),
        ("two@@example.com", "is not a valid email address"),
        ("spaces in@example.com", "is not a valid email address"),
    ]:
        with pytest.raises(FieldError) as err:
            normalise_email(bad)
        assert str(err.value).startswith(f"'{bad}' is not a valid email address")
        assert why in str(err.value)


TABLES = (Client, ClientTag, Phone, Email, Address, AuditEntry)


def _counts(db: Database) -> list[int]:
    with db.read() as s:
        return [
            s.execute(sa.select(sa.func.count()).select_from(t.__table__)).scalar_one()
            for t in TABLES
        ]


def test_create_client_names_every_bad_field_and_writes_nothing(db: Database, admin: Actor):
    with db.write() as s:
        custom_fields.define_field(s, admin, key="volume", kind="number")
        custom_fields.define_field(s, admin, key="since", kind="date")
    before = _counts(db)
    with pytest.raises(Invalid) as err, db.write() as s:
        clients.create_client(
            s,
            admin,
            {
                "name": "   ",
                "kind": "robot",
                "status": "hot",
                "tax_id": "7707083894",
                "website": "acme dot com",
                "phones": ["+7 495 123-45-67", "12", "call me"],
                "emails": ["ok@acme.ru", "not-an-email"],
                "addresses": [{"kind": "home", "line": "x"}],
                "tags": ["vip", "x" * 65],
                "custom": {"volume": "lots", "since": "yesterday", "colour": "red"},
            },
        )
    errors = err.value.errors
    assert set(errors) == {
        "name",
        "kind",
        "status",
        "tax_id",
        "website",
        "phones",
        "emails",
        "addresses",
        "tags",
        "custom.volume",
        "custom.since",
        "custom.colour",
    }
    assert errors["name"] == "a client needs a name"
    assert errors["kind"] == "must be one of company, person"
    assert errors["status"].startswith("must be one of lead, prospect")
    assert "check digit" in errors["tax_id"]
    assert "'12' is not a valid phone number" in errors["phones"]
    assert "'call me' is not a phone number" in errors["phones"]
    assert "+7 495" not in errors["phones"]  # the good one is not blamed
    assert errors["emails"].startswith("'not-an-email' is not a valid email address")
    assert "ok@acme.ru" not in errors["emails"]
    assert "address kind 'home'" in errors["addresses"]
    assert errors["custom.volume"] == "'lots' is not a number"
    assert "YYYY-MM-DD" in errors["custom.since"]
    assert errors["custom.colour"].startswith("no such custom field (known: since, volume)")
    message = str(err.value)
    for field in errors:
        assert f"{field}: " in message
    assert _counts(db) == before


def test_unknown_fields_and_bad_owner_are_refused(db: Database, admin: Actor):
    before = _counts(db)
    with pytest.raises(Invalid) as err, db.write() as s:
        clients.create_client(s, admin, {"name": "Acme", "colour": "red", "size": 3})
    assert err.value.errors == {"colour": "no such client field", "size": "no such client field"}
    with pytest.raises(Invalid, match="owner_id: user 999 does not exist"), db.write() as s:
        clients.create_client(s, admin, {"name": "Acme", "owner_id": 999})
    assert _counts(db) == before


def test_values_are_normalised_on_the_way_in(db: Database, admin: Actor):
    cn = dataclasses.replace(admin, phone_region="CN")
    with db.write() as s:
        c = clients.create_client(
            s,
            cn,
            {
                "name": "  北京   华为 ",
                "tax_id": " 7707 083893 ",
                "phones": ["010 6552 9988", "+86 10 6552 9988", "010 6552 9988 x801"],
                "emails": ["Info@Acme.CN", "info@acme.cn"],
                "tags": [" vip", "vip ", "опт"],
            },
        )
        p = contacts.create_contact(
            s,
            cn,
            c.id,
            {"full_name": "张伟", "phones": ["138 0013 8000"], "birthday": "1980-02-29"},
        )
    assert c.name == "北京 华为"
    assert c.tax_id == "7707083893"
    # the same number twice is kept once; with an extension it is another line
    assert [(x.e164, x.extension) for x in c.phones] == [
        ("+861065529988", ""),
        ("+861065529988", "801"),
    ]
    assert [e.address for e in c.emails] == ["Info@Acme.CN"]
    assert c.tags == ["vip", "опт"]
    assert [x.e164 for x in p.phones] == ["+8613800138000"]
    assert p.birthday is not None and p.birthday.isoformat() == "1980-02-29"


def test_contact_fields_are_checked_together(db: Database, admin: Actor):
    with db.write() as s:
        cid = clients.create_client(s, admin, {"name": "Acme"}).id
    before = _counts(db)
    with pytest.raises(Invalid) as err, db.write() as s:
        contacts.create_contact(
            s,
            admin,
            cid,
            {"full_name": "", "birthday": "2999-01-01", "phones": ["1"], "emails": ["@x"]},
        )
    assert set(err.value.errors) == {"full_name", "birthday", "phones", "emails"}
    assert err.value.errors["birthday"] == "a birthday cannot be in the future"
    with pytest.raises(Invalid, match="is not a date"), db.write() as s:
        contacts.create_contact(s, admin, cid, {"full_name": "X", "birthday": "29.02.1980"})
    assert _counts(db) == before
