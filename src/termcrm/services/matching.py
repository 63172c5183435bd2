"""Finding the records an incoming row may be: the lookups behind import's duplicate checks.

Every function reads; none writes. Lookups by key run per chunk of rows (one
query for a thousand tax ids), and each uses the index of what it looks up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services.access import visible_clients
from termcrm.services.actor import Actor
from termcrm.services.text import fold
from termcrm.store.tables import Client, Contact, Deal, Email, Interaction, Phone, User, table

client_t = table(Client)
contact_t = table(Contact)
deal_t = table(Deal)
email_t = table(Email)
interaction_t = table(Interaction)
phone_t = table(Phone)
user_t = table(User)
_LIVE = client_t.c.deleted_at.is_(None)


@dataclass(frozen=True, slots=True)
class UserKey:
    id: int
    login: str
    full_name: str
    active: bool


def users(s: Session) -> list[UserKey]:
    """Every user, active or not, to match the logins and names a file gives."""
    rows = s.execute(sa.select(user_t.c.id, user_t.c.login, user_t.c.full_name, user_t.c.active))
    return [UserKey(r.id, r.login, r.full_name or "", bool(r.active)) for r in rows]


def client_ids(
    s: Session, actor: Actor, *, tax_id: str | None = None, name: str | None = None
) -> list[int]:
    """Live clients the actor may see with this tax id, or exactly this name (any case)."""
    condition = (
        client_t.c.tax_id == tax_id if tax_id is not None else (client_t.c.name_key == fold(name))
    )
    return list(
        s.execute(
            sa.select(client_t.c.id)
            .where(condition, _LIVE, visible_clients(actor))
            .order_by(client_t.c.id)
            .limit(5)
        ).scalars()
    )


def client_ids_of(
    s: Session,
    actor: Actor,
    *,
    tax_ids: Iterable[str] = (),
    names: Iterable[str] = (),
    ids: Iterable[int] = (),
) -> tuple[dict[str, list[int]], dict[str, list[int]], set[int]]:
    """:func:`client_ids` for many references at once (an import's chunk): the live
    clients the actor may see by tax id, by name key (``fold(name)``), oldest first,
    and those of ``ids``."""
    by_tax: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    found_ids: set[int] = set()
    taxes = sorted(set(tax_ids))
    keys = sorted({fold(n) for n in names})
    wanted_ids = sorted(set(ids))
    if wanted_ids:
        found_ids = {
            int(i)
            for i in s.execute(
                sa.select(client_t.c.id).where(
                    client_t.c.id.in_(wanted_ids), _LIVE, visible_clients(actor)
                )
            ).scalars()
        }
    for column, wanted, found in (
        (client_t.c.tax_id, taxes, by_tax),
        (client_t.c.name_key, keys, by_name),
    ):
        if not wanted:
            continue
        for key, client_id in s.execute(
            sa.select(column, client_t.c.id)
            .where(column.in_(wanted), _LIVE, visible_clients(actor))
            .order_by(client_t.c.id)
        ):
            found.setdefault(key, []).append(int(client_id))
    return by_tax, by_name, found_ids


def clients_by_keys(
    s: Session, *, tax_ids: Iterable[str], emails: Iterable[str], phones: Iterable[str]
) -> Iterator[tuple[str, str, int]]:
    """(kind, key, client id) of the live clients with these tax ids, emails (normalised) or
    phone digits: their own, not their contact persons'. Older clients come first."""
    wanted = {
        "tax": sorted(set(tax_ids)),
        "email": sorted(set(emails)),
        "phone": sorted(set(phones)),
    }
    # contact_id is read and tested here, not in SQL: with "contact_id IS NULL" in the
    # WHERE, SQLite picks the contact_id index and reads every client-level phone
    queries = {
        "tax": sa.select(client_t.c.tax_id, client_t.c.id, sa.null()).where(
            _LIVE, client_t.c.tax_id.in_(wanted["tax"])
        ),
        "email": sa.select(email_t.c.normalized, email_t.c.client_id, email_t.c.contact_id)
        .join(client_t, client_t.c.id == email_t.c.client_id)
        .where(_LIVE, email_t.c.normalized.in_(wanted["email"])),
        "phone": sa.select(phone_t.c.digits, phone_t.c.client_id, phone_t.c.contact_id)
        .join(client_t, client_t.c.id == phone_t.c.client_id)
        .where(_LIVE, phone_t.c.digits.in_(wanted["phone"])),
    }
    for kind, query in queries.items():
        if wanted[kind]:
            for key, client_id, contact_id in s.execute(query.order_by(sa.text("2"))):
                if contact_id is None:
                    yield kind, key, client_id


def client_names_in(s: Session, cities: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """(id, name, city) of every live client in these cities: the fuzzy match's candidates."""
    wanted = sorted(set(cities))
    if wanted:
        rows = s.execute(
            sa.select(client_t.c.id, client_t.c.name, client_t.c.city).where(
                _LIVE, client_t.c.city.in_(wanted)
            )
        )
        for r in rows:
            yield int(r.id), r.name, r.city


def contact_by_email(s: Session, actor: Actor, emails: list[str]) -> int | None:
    """A live contact person the actor may see with one of these (normalised) emails."""
    if not emails:
        return None
    found = s.execute(
        sa.select(contact_t.c.id)
        .select_from(
            contact_t.join(client_t, client_t.c.id == contact_t.c.client_id).join(
                email_t, email_t.c.contact_id == contact_t.c.id
            )
        )
        .where(
            contact_t.c.deleted_at.is_(None),
            visible_clients(actor),
            email_t.c.normalized.in_(emails),
        )
        .limit(1)
    ).scalar()
    return int(found) if found is not None else None


def contacts_of(s: Session, client_id: int) -> list[tuple[int, str]]:
    """(id, full name) of a client's live contact persons."""
    rows = s.execute(
        sa.select(contact_t.c.id, contact_t.c.full_name).where(
            contact_t.c.client_id == client_id, contact_t.c.deleted_at.is_(None)
        )
    )
    return [(int(r.id), r.full_name) for r in rows]


def interactions_at(s: Session, client_id: int, kind: str, when: datetime) -> list[tuple[int, str]]:
    """(id, purpose) of the client's journal entries of this kind at this very time."""
    rows = s.execute(
        sa.select(interaction_t.c.id, interaction_t.c.purpose).where(
            interaction_t.c.client_id == client_id,
            interaction_t.c.kind == kind,
            interaction_t.c.occurred_at == when,
            interaction_t.c.deleted_at.is_(None),
        )
    )
    return [(int(r.id), r.purpose) for r in rows]


def deals_of(s: Session, client_id: int) -> list[tuple[int, str, int]]:
    """(id, title, version) of the client's live deals."""
    rows = s.execute(
        sa.select(deal_t.c.id, deal_t.c.title, deal_t.c.version).where(
            deal_t.c.client_id == client_id, deal_t.c.deleted_at.is_(None)
        )
    )
    return [(int(r.id), r.title, int(r.version)) for r in rows]
