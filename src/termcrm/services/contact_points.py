"""Phones, emails and addresses of clients and contact persons."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.dto import AddressOut, EmailOut, PhoneOut
from termcrm.services.errors import Invalid
from termcrm.services.text import clean
from termcrm.services.validation import (
    FieldError,
    NormalPhone,
    length_errors,
    normalise_email,
    normalise_phone,
)
from termcrm.store.tables import Address, Email, Phone, table
from termcrm.store.types import utcnow

phone_t = table(Phone)
email_t = table(Email)
address_t = table(Address)
ADDRESS_KINDS = ("legal", "actual", "postal", "delivery")
ADDRESS_LIMITS = {
    f: getattr(address_t.c[f].type, "length", None) for f in ("postcode", "city", "line")
}


def parse_phones(raws: Iterable[str], region: str, field: str = "phones") -> list[NormalPhone]:
    out: list[NormalPhone] = []
    errors: list[str] = []
    for raw in raws:
        if not clean(raw):
            continue
        try:
            phone = normalise_phone(raw, region)
        except FieldError as exc:
            errors.append(str(exc))
            continue
        if all(p.e164 != phone.e164 or p.extension != phone.extension for p in out):
            out.append(phone)
    if errors:
        raise Invalid({field: "; ".join(errors)})
    return out


def parse_emails(raws: Iterable[str], field: str = "emails") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    errors: list[str] = []
    for raw in raws:
        if not clean(raw):
            continue
        try:
            address, normalized = normalise_email(raw)
        except FieldError as exc:
            errors.append(str(exc))
            continue
        if all(n != normalized for _, n in out):
            out.append((address, normalized))
    if errors:
        raise Invalid({field: "; ".join(errors)})
    return out


def parse_addresses(
    items: Iterable[Mapping[str, Any]], field: str = "addresses"
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in items:
        kind = clean(item.get("kind")) or "actual"
        if kind not in ADDRESS_KINDS:
            raise Invalid(
                {
                    field: _("address kind '{kind}' is not one of {choices}").format(
                        kind=kind, choices=", ".join(ADDRESS_KINDS)
                    )
                }
            )
        country = clean(item.get("country")).upper()
        if country and len(country) != 2:
            raise Invalid(
                {
                    field: _(
                        "country '{country}' must be a two-letter code such as RU or CN"
                    ).format(country=country)
                }
            )
        address = {
            "kind": kind,
            "country": country,
            "postcode": clean(item.get("postcode")),
            "city": clean(item.get("city")),
            "line": clean(item.get("line")),
        }
        too_long = length_errors(address, ADDRESS_LIMITS)
        if too_long:
            raise Invalid({field: "; ".join(f"{k}: {v}" for k, v in too_long.items())})
        if address["line"] or address["city"]:
            out.append(address)
    return out


def _owner(
    table: sa.Table, client_id: int | None, contact_id: int | None
) -> sa.ColumnElement[bool]:
    if contact_id is not None:
        return table.c.contact_id == contact_id
    return sa.and_(table.c.client_id == client_id, table.c.contact_id.is_(None))


def replace_phones(
    s: Session,
    phones: Sequence[NormalPhone],
    *,
    client_id: int | None = None,
    contact_id: int | None = None,
) -> None:
    s.execute(sa.delete(phone_t).where(_owner(phone_t, client_id, contact_id)))
    if phones:
        now = utcnow()
        s.execute(
            sa.insert(phone_t),
            [
                {
                    "client_id": client_id,
                    "contact_id": contact_id,
                    "kind": p.kind,
                    "raw": p.raw,
                    "e164": p.e164,
                    "digits": p.digits,
                    "extension": p.extension,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in phones
            ],
        )


def replace_emails(
    s: Session,
    emails: Sequence[tuple[str, str]],
    *,
    client_id: int | None = None,
    contact_id: int | None = None,
) -> None:
    s.execute(sa.delete(email_t).where(_owner(email_t, client_id, contact_id)))
    if emails:
        now = utcnow()
        s.execute(
            sa.insert(email_t),
            [
                {
                    "client_id": client_id,
                    "contact_id": contact_id,
                    "kind": "work",
                    "address": a,
                    "normalized": n,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for a, n in emails
            ],
        )


def replace_addresses(
    s: Session, addresses: Sequence[Mapping[str, str]], *, client_id: int
) -> None:
    s.execute(sa.delete(address_t).where(_owner(address_t, client_id, None)))
    if addresses:
        now = utcnow()
        s.execute(
            sa.insert(address_t),
            [
                {
                    **a,
                    "client_id": client_id,
                    "contact_id": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for a in addresses
            ],
        )


def phones_of(
    s: Session, *, client_ids: Sequence[int] = (), contact_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[PhoneOut]]:
    """Phones keyed by ('client', id) or ('contact', id)."""
    return _load(
        s,
        phone_t,
        client_ids,
        contact_ids,
        lambda r: PhoneOut(id=r.id, kind=r.kind, raw=r.raw, e164=r.e164, extension=r.extension),
    )


def emails_of(
    s: Session, *, client_ids: Sequence[int] = (), contact_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[EmailOut]]:
    return _load(
        s,
        email_t,
        client_ids,
        contact_ids,
        lambda r: EmailOut(id=r.id, kind=r.kind, address=r.address),
    )


def addresses_of(s: Session, client_id: int) -> list[AddressOut]:
    rows = s.execute(
        sa.select(address_t).where(_owner(address_t, client_id, None)).order_by(address_t.c.id)
    )
    return [
        AddressOut(
            id=r.id, kind=r.kind, country=r.country, postcode=r.postcode, city=r.city, line=r.line
        )
        for r in rows
    ]


def _load(
    s: Session, table: sa.Table, client_ids: Sequence[int], contact_ids: Sequence[int], convert: Any
) -> dict[tuple[str, int], list[Any]]:
    out: dict[tuple[str, int], list[Any]] = defaultdict(list)
    conditions = []
    if client_ids:
        conditions.append(sa.and_(table.c.client_id.in_(client_ids), table.c.contact_id.is_(None)))
    if contact_ids:
        conditions.append(table.c.contact_id.in_(contact_ids))
    if not conditions:
        return out
    for r in s.execute(sa.select(table).where(sa.or_(*conditions)).order_by(table.c.id)):
        key = ("contact", r.contact_id) if r.contact_id is not None else ("client", r.client_id)
        out[key].append(convert(r))
    return out
