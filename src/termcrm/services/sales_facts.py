"""Sales facts from the accounting system: shipments and payments.

They are the accounting system's truth, loaded by the back office (an admin or a
director): each row carries the accounting system's own id (``external_id``), so
loading the same file again updates the rows it loaded before instead of adding
them twice. Reading them follows the access rule of their client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.access import visible_clients
from termcrm.services.actor import ADMIN, DIRECTOR, Actor
from termcrm.services.clients import require_visible_client
from termcrm.services.deals import parse_amount
from termcrm.services.errors import Forbidden, Invalid
from termcrm.services.text import clean
from termcrm.store.tables import Client, Payment, Product, Shipment, User, table
from termcrm.store.types import utcnow

shipment_t = table(Shipment)
payment_t = table(Payment)
client_t = table(Client)
product_t = table(Product)
user_t = table(User)

Outcome = Literal["create", "update", "skip"]


@dataclass(frozen=True, slots=True)
class Saved:
    """What loading one fact did: created it, updated it (same external id), or nothing
    (the same values were already there)."""

    action: Outcome
    id: int


def require_load(actor: Actor) -> None:
    if actor.role not in (ADMIN, DIRECTOR):
        raise Forbidden(
            # TRANSLATORS: {role} is the user's role as stored (rep, manager)
            _(
                "only an admin or a director loads shipments and payments from the "
                "accounting system (you are {role})"
            ).format(role=actor.role)
        )


def _currency(errors: dict[str, str], value: str) -> str:
    code = clean(value).upper()
    if len(code) != 3 or not code.isalpha():
        errors["currency"] = _("use a three-letter ISO code such as RUB, USD or CNY")
    return code


def _signed(
    errors: dict[str, str], field: str, value: Any, *, places: Decimal = Decimal("0.01")
) -> Decimal:
    """An amount or a quantity of a shipment: a return is negative."""
    text = str(value).replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(text).quantize(places)
    except (InvalidOperation, ValueError):
        errors[field] = _("'{value}' is not a number").format(value=value)
        return Decimal("0")
    if abs(number) >= Decimal("1e15"):
        errors[field] = _("a number this large does not fit")
    return number


def _external(value: str | None) -> str | None:
    text = clean(value or "")
    if len(text) > 100:
        raise Invalid({"external_id": _("an external id is at most 100 characters")})
    return text or None


def _upsert(s: Session, t: sa.Table, values: dict[str, Any], external_id: str | None) -> Saved:
    now = utcnow()
    if external_id is not None:
        row = s.execute(sa.select(t).where(t.c.external_id == external_id)).first()
        if row is not None:
            if all(getattr(row, k) == v for k, v in values.items()):
                return Saved("skip", int(row.id))
            s.execute(sa.update(t).where(t.c.id == row.id).values(**values, updated_at=now))
            return Saved("update", int(row.id))
    new_id = s.execute(
        sa.insert(t)
        .values(**values, external_id=external_id, created_at=now, updated_at=now)
        .returning(t.c.id)
    ).scalar_one()
    return Saved("create", int(new_id))


def save_shipment(
    s: Session,
    actor: Actor,
    *,
    shipped_on: date,
    client_id: int,
    amount: Any,
    currency: str = "RUB",
    product_id: int | None = None,
    product_group: str = "",
    quantity: Any = 0,
    document: str = "",
    manager_id: int | None = None,
    external_id: str | None = None,
) -> Saved:
    """A shipment; the product group defaults to the product's category, the manager to
    the client's owner."""
    require_load(actor)
    client = require_visible_client(s, actor, client_id)
    errors: dict[str, str] = {}
    code = _currency(errors, currency)
    money = _signed(errors, "amount", amount)
    qty = _signed(errors, "quantity", quantity or 0, places=Decimal("0.001"))
    group = clean(product_group)[:100]
    if product_id is not None:
        product = s.execute(
            sa.select(product_t.c.category).where(
                product_t.c.id == product_id, product_t.c.deleted_at.is_(None)
            )
        ).first()
        if product is None:
            errors["product"] = _("product {id} does not exist").format(id=product_id)
        elif not group:
            group = product.category
    manager = manager_id if manager_id is not None else int(client.owner_id)
    if manager_id is not None and (
        s.execute(sa.select(user_t.c.id).where(user_t.c.id == manager_id)).first() is None
    ):
        errors["manager"] = _("user {id} does not exist").format(id=manager_id)
    if errors:
        raise Invalid(errors)
    values = {
        "shipped_on": shipped_on,
        "client_id": client_id,
        "product_id": product_id,
        "product_group": group,
        "quantity": qty,
        "amount": money,
        "currency": code,
        "document": clean(document)[:64],
        "manager_id": manager,
    }
    return _upsert(s, shipment_t, values, _external(external_id))


def save_payment(
    s: Session,
    actor: Actor,
    *,
    paid_on: date,
    client_id: int,
    amount: Any,
    currency: str = "RUB",
    document: str = "",
    external_id: str | None = None,
) -> Saved:
    require_load(actor)
    require_visible_client(s, actor, client_id)
    errors: dict[str, str] = {}
    code = _currency(errors, currency)
    try:
        money = parse_amount(amount)
    except Invalid as exc:
        errors.update(exc.errors)
        money = Decimal("0")
    if errors:
        raise Invalid(errors)
    values = {
        "paid_on": paid_on,
        "client_id": client_id,
        "amount": money,
        "currency": code,
        "document": clean(document)[:64],
    }
    return _upsert(s, payment_t, values, _external(external_id))


@dataclass(frozen=True, slots=True)
class ShipmentOut:
    id: int
    shipped_on: date
    client_id: int
    client: str
    product_id: int | None
    product: str
    product_group: str
    quantity: Decimal
    amount: Decimal
    currency: str
    document: str
    manager_id: int
    manager: str
    external_id: str | None


@dataclass(frozen=True, slots=True)
class PaymentOut:
    id: int
    paid_on: date
    client_id: int
    client: str
    amount: Decimal
    currency: str
    document: str
    external_id: str | None


def list_shipments(
    s: Session,
    actor: Actor,
    *,
    client_id: int | None = None,
    period: tuple[date, date] | None = None,
    limit: int = 500,
) -> list[ShipmentOut]:
    """Shipments of the clients the actor may see, newest first."""
    sh = shipment_t.c
    query = (
        sa.select(
            shipment_t,
            client_t.c.name.label("client_name"),
            sa.func.coalesce(product_t.c.name, "").label("product_name"),
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label(
                "manager_name"
            ),
        )
        .select_from(
            shipment_t.join(client_t, client_t.c.id == sh.client_id)
            .join(user_t, user_t.c.id == sh.manager_id)
            .outerjoin(product_t, product_t.c.id == sh.product_id)
        )
        .where(client_t.c.deleted_at.is_(None), visible_clients(actor))
    )
    if client_id is not None:
        query = query.where(sh.client_id == client_id)
    if period is not None:
        query = query.where(sh.shipped_on.between(*period))
    rows = s.execute(query.order_by(sh.shipped_on.desc(), sh.id.desc()).limit(limit))
    return [
        ShipmentOut(
            id=r.id,
            shipped_on=r.shipped_on,
            client_id=r.client_id,
            client=r.client_name,
            product_id=r.product_id,
            product=r.product_name,
            product_group=r.product_group,
            quantity=r.quantity,
            amount=r.amount,
            currency=r.currency,
            document=r.document,
            manager_id=r.manager_id,
            manager=r.manager_name,
            external_id=r.external_id,
        )
        for r in rows
    ]


def list_payments(
    s: Session,
    actor: Actor,
    *,
    client_id: int | None = None,
    period: tuple[date, date] | None = None,
    limit: int = 500,
) -> list[PaymentOut]:
    """Payments of the clients the actor may see, newest first."""
    p = payment_t.c
    query = (
        sa.select(payment_t, client_t.c.name.label("client_name"))
        .join(client_t, client_t.c.id == p.client_id)
        .where(client_t.c.deleted_at.is_(None), visible_clients(actor))
    )
    if client_id is not None:
        query = query.where(p.client_id == client_id)
    if period is not None:
        query = query.where(p.paid_on.between(*period))
    rows = s.execute(query.order_by(p.paid_on.desc(), p.id.desc()).limit(limit))
    return [
        PaymentOut(
            id=r.id,
            paid_on=r.paid_on,
            client_id=r.client_id,
            client=r.client_name,
            amount=r.amount,
            currency=r.currency,
            document=r.document,
            external_id=r.external_id,
        )
        for r in rows
    ]
