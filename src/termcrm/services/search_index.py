"""Keeps each client's search text (``client.search_body``) in step with its data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services.text import build_search_body, digits
from termcrm.services.validation import national_digits
from termcrm.store.tables import Client, Contact, Email, Phone, table

client_t = table(Client)
contact_t = table(Contact)
phone_t = table(Phone)
email_t = table(Email)


def phone_terms(e164: str, raw: str) -> list[str]:
    """The digit strings a phone is found by: international, national and as typed."""
    return [digits(e164), national_digits(e164), digits(raw)]


def refresh(s: Session, client_id: int) -> None:
    """Recompute one client's search text from its rows in this transaction."""
    row = s.execute(
        sa.select(client_t.c.name, client_t.c.legal_name, client_t.c.tax_id, client_t.c.city).where(
            client_t.c.id == client_id
        )
    ).one()
    contacts = sa.select(contact_t.c.id).where(
        contact_t.c.client_id == client_id, contact_t.c.deleted_at.is_(None)
    )
    names = (
        s.execute(
            sa.select(contact_t.c.full_name)
            .where(contact_t.c.id.in_(contacts))
            .order_by(contact_t.c.id)
        )
        .scalars()
        .all()
    )
    owned = sa.or_(
        sa.and_(phone_t.c.client_id == client_id, phone_t.c.contact_id.is_(None)),
        phone_t.c.contact_id.in_(contacts),
    )
    phones = s.execute(sa.select(phone_t.c.e164, phone_t.c.raw).where(owned)).all()
    owned_e = sa.or_(
        sa.and_(email_t.c.client_id == client_id, email_t.c.contact_id.is_(None)),
        email_t.c.contact_id.in_(contacts),
    )
    emails = s.execute(sa.select(email_t.c.normalized).where(owned_e)).scalars().all()
    body = build_search_body(
        [
            row.name,
            row.legal_name,
            row.tax_id,
            row.city,
            *names,
            *emails,
            *[t for p in phones for t in phone_terms(p.e164, p.raw)],
        ]
    )
    s.execute(sa.update(client_t).where(client_t.c.id == client_id).values(search_body=body))
