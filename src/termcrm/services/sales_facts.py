"""Sales facts from the accounting system: shipments and payments.

They are the accounting system's truth, loaded by the back office (an admin or a
director): each row carries the accounting system's own id (``external_id``), so
loading the same file again updates the rows it loaded before instead of adding
them twice. Reading them follows the access rule of their client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from termcrm.services.errors import CrmError, Forbidden, Invalid
from termcrm.services.text import clean
from termcrm.store.bulk import IdAllocator, bulk_insert
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


def _external(errors: dict[str, str], value: str | None) -> str | None:
    text = clean(value or "")
    if len(text) > 100:
        errors["external_id"] = _("an external id is at most 100 characters")
    return text or None


@dataclass(frozen=True, slots=True)
class ShipmentIn:
    """One shipment to load: the product group defaults to the product's category, the
    manager to the client's owner."""

    shipped_on: date
    client_id: int
    amount: Any
    currency: str = "RUB"
    product_id: int | None = None
    product_group: str = ""
    quantity: Any = 0
    document: str = ""
    manager_id: int | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentIn:
    paid_on: date
    client_id: int
    amount: Any
    currency: str = "RUB"
    document: str = ""
    external_id: str | None = None


# what loading one fact of a batch came to: saved, or refused with the reason
Loaded = Saved | CrmError
# a fact ready to write (its columns and its external id), or its refusal
_Ready = tuple[dict[str, Any], str | None] | CrmError


def _owners(s: Session, actor: Actor, client_ids: set[int]) -> dict[int, int | CrmError]:
    """The owner of each client the actor may load facts for, else the refusal with its
    reason (no such client, in the trash, not theirs): one statement for the batch."""
    found: dict[int, int | CrmError] = {}
    if client_ids:
        rows = s.execute(
            sa.select(client_t.c.id, client_t.c.owner_id).where(
                client_t.c.id.in_(client_ids),
                client_t.c.deleted_at.is_(None),
                visible_clients(actor),
            )
        )
        found = {int(r.id): int(r.owner_id) for r in rows}
    for missing in client_ids - found.keys():  # the reason, one client at a time (rare)
        try:
            found[missing] = int(require_visible_client(s, actor, missing).owner_id)
        except CrmError as exc:
            found[missing] = exc
    return found


def _prepared(
    s: Session,
    actor: Actor,
    items: Sequence[Any],
    values_of: Callable[[Any, int, dict[str, str]], dict[str, Any]],
) -> list[_Ready]:
    """Each item's columns (``values_of(item, its client's owner, errors)``) and external
    id; or its refusal: its client's, or the errors ``values_of`` noted."""
    owners = _owners(s, actor, {i.client_id for i in items})
    ready: list[_Ready] = []
    for item in items:
        owner = owners[item.client_id]
        if isinstance(owner, CrmError):
            ready.append(owner)
            continue
        errors: dict[str, str] = {}
        values = values_of(item, owner, errors)
        external = _external(errors, item.external_id)
        ready.append(Invalid(errors) if errors else (values, external))
    return ready


def save_shipments(s: Session, actor: Actor, items: Sequence[ShipmentIn]) -> list[Loaded]:
    """Load shipments (an import's batch): what each came to, in order. The lookups
    take a statement each for the whole batch, the writes one bulk insert (ids drawn
    first, ``store.bulk``) and one update; an item that is refused leaves the others
    as they are."""
    require_load(actor)
    product_ids = {i.product_id for i in items if i.product_id is not None}
    categories: dict[int, str] = {}
    if product_ids:
        categories = {
            int(r.id): r.category
            for r in s.execute(
                sa.select(product_t.c.id, product_t.c.category).where(
                    product_t.c.id.in_(product_ids), product_t.c.deleted_at.is_(None)
                )
            )
        }
    manager_ids = {i.manager_id for i in items if i.manager_id is not None}
    users: set[int] = set()
    if manager_ids:
        users = {
            int(r[0]) for r in s.execute(sa.select(user_t.c.id).where(user_t.c.id.in_(manager_ids)))
        }

    def values_of(item: ShipmentIn, owner: int, errors: dict[str, str]) -> dict[str, Any]:
        code = _currency(errors, item.currency)
        money = _signed(errors, "amount", item.amount)
        qty = _signed(errors, "quantity", item.quantity or 0, places=Decimal("0.001"))
        group = clean(item.product_group)[:100]
        if item.product_id is not None:
            if item.product_id not in categories:
                errors["product"] = _("product {id} does not exist").format(id=item.product_id)
            elif not group:
                group = categories[item.product_id]
        if item.manager_id is not None and item.manager_id not in users:
            errors["manager"] = _("user {id} does not exist").format(id=item.manager_id)
        return {
            "shipped_on": item.shipped_on,
            "client_id": item.client_id,
            "product_id": item.product_id,
            "product_group": group,
            "quantity": qty,
            "amount": money,
            "currency": code,
            "document": clean(item.document)[:64],
            "manager_id": item.manager_id if item.manager_id is not None else owner,
        }

    return _upsert_many(s, shipment_t, _prepared(s, actor, items, values_of))


def save_payments(s: Session, actor: Actor, items: Sequence[PaymentIn]) -> list[Loaded]:
    """Load payments (an import's batch), as :func:`save_shipments` loads shipments."""
    require_load(actor)

    def values_of(item: PaymentIn, owner: int, errors: dict[str, str]) -> dict[str, Any]:
        code = _currency(errors, item.currency)
        try:
            money = parse_amount(item.amount)
        except Invalid as exc:
            errors.update(exc.errors)
            money = Decimal("0")
        return {
            "paid_on": item.paid_on,
            "client_id": item.client_id,
            "amount": money,
            "currency": code,
            "document": clean(item.document)[:64],
        }

    return _upsert_many(s, payment_t, _prepared(s, actor, items, values_of))


def _upsert_many(s: Session, t: sa.Table, ready: list[_Ready]) -> list[Loaded]:
    """Write a batch by external id: a fact whose external id is there (or earlier in
    the batch) is updated, or left alone when nothing changed; the others are added.
    The end is as if the items were saved one after another."""
    externals = {r[1] for r in ready if not isinstance(r, CrmError) and r[1] is not None}
    stored: dict[str, Any] = {}
    if externals:
        stored = {
            r.external_id: r for r in s.execute(sa.select(t).where(t.c.external_id.in_(externals)))
        }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}  # by the stored fact's id
    # the latest values of each external id in this batch and where they go
    latest: dict[str, tuple[dict[str, Any], str, int]] = {}
    plan: list[tuple[Outcome, str, int] | CrmError] = []  # (action, "insert"|"row", index|id)
    for item in ready:
        if isinstance(item, CrmError):
            plan.append(item)
            continue
        values, external = item
        if external is not None and external in latest:
            before, target, key = latest[external]
        elif external is not None and external in stored:
            row = stored[external]
            before, target, key = {k: getattr(row, k) for k in values}, "row", int(row.id)
        else:
            inserts.append(
                {**values, "external_id": external, "created_at": now, "updated_at": now}
            )
            target, key = "insert", len(inserts) - 1
            if external is not None:
                latest[external] = (values, target, key)
            plan.append(("create", target, key))
            continue
        if all(before[k] == v for k, v in values.items()):
            plan.append(("skip", target, key))
            continue
        if target == "insert":
            inserts[key].update(values)
        else:
            updates[key] = {**values, "updated_at": now}
        latest[external] = (values, target, key)
        plan.append(("update", target, key))
    ids = IdAllocator(s).take(t, len(inserts))
    if inserts:
        bulk_insert(s, t, [{**row, "id": new_id} for row, new_id in zip(inserts, ids, strict=True)])
    if updates:
        columns = list(next(iter(updates.values())))
        s.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("fact_id"))
            .values({c: sa.bindparam(f"new_{c}") for c in columns}),
            [
                {"fact_id": fid, **{f"new_{c}": v for c, v in new.items()}}
                for fid, new in updates.items()
            ],
        )
    out: list[Loaded] = []
    for step in plan:
        if isinstance(step, CrmError):
            out.append(step)
        else:
            action, target, key = step
            out.append(Saved(action, ids[key] if target == "insert" else key))
    return out


def _one(result: Loaded) -> Saved:
    if isinstance(result, CrmError):
        raise result
    return result


def save_shipment(s: Session, actor: Actor, **fields: Any) -> Saved:
    """One shipment (see :class:`ShipmentIn`); the refusal raised with its reason."""
    return _one(save_shipments(s, actor, [ShipmentIn(**fields)])[0])


def save_payment(s: Session, actor: Actor, **fields: Any) -> Saved:
    """One payment (see :class:`PaymentIn`); the refusal raised with its reason."""
    return _one(save_payments(s, actor, [PaymentIn(**fields)])[0])


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
