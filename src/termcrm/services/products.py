"""The product catalog and its price lists.

A product is what a line of a deal sells: a SKU, a name, a unit, a category. A price
list holds products' prices in one currency ("Wholesale RUB"); one price list per
currency may be the default, where a deal's line takes its price from when none is
given. Everyone reads the catalog; admins and directors change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.text import clean
from termcrm.store.tables import PriceList, PriceListItem, Product, table
from termcrm.store.types import utcnow

product_t = table(Product)
price_list_t = table(PriceList)
price_t = table(PriceListItem)

PRODUCT_FIELDS = ("sku", "name", "unit", "category", "description", "active")
LIMITS = {"sku": 64, "name": 300, "unit": 20, "category": 100}


@dataclass(frozen=True, slots=True)
class ProductOut:
    id: int
    sku: str
    name: str
    unit: str
    category: str
    description: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class PriceListOut:
    id: int
    name: str
    currency: str
    is_default: bool
    products: int  # how many products have a price in it
    version: int


@dataclass(frozen=True, slots=True)
class PriceOut:
    price_list_id: int
    price_list: str
    currency: str
    product_id: int
    sku: str
    name: str
    unit: str
    price: Decimal


def _may_edit(actor: Actor) -> None:
    if not actor.sees_all:
        raise Forbidden(_("only admins and directors change the product catalog"))


def parse_money(value: Any, field: str = "price") -> Decimal:
    """An amount typed or read: ``1 250,50``, ``1250.5``, a number; not negative."""
    from termcrm.services.deals import parse_amount

    try:
        return parse_amount(value)
    except Invalid as exc:
        raise Invalid({field: next(iter(exc.errors.values()))}) from None


# -- products


def _product_values(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise Invalid({f: _("no such product field") for f in sorted(unknown)})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in ("sku", "name", "unit", "category", "description"):
        if field in data:
            values[field] = clean(str(data[field] or ""))
            limit = LIMITS.get(field)
            if limit and len(values[field]) > limit:
                errors[field] = _("at most {n} characters").format(n=limit)
    if "active" in data:
        values["active"] = bool(data["active"])
    if ("name" in values or creating) and not values.get("name"):
        errors["name"] = _("a product needs a name")
    if "unit" in values and not values["unit"]:
        errors["unit"] = _("a product needs a unit, such as pcs, kg or h")
    if errors:
        raise Invalid(errors)
    return values


def _sku_taken(s: Session, sku: str, but: int | None = None) -> bool:
    if not sku:
        return False
    query = sa.select(product_t.c.id).where(
        sa.func.lower(product_t.c.sku) == sku.lower(), product_t.c.deleted_at.is_(None)
    )
    if but is not None:
        query = query.where(product_t.c.id != but)
    return s.execute(query.limit(1)).first() is not None


def add_product(s: Session, actor: Actor, data: Mapping[str, Any]) -> ProductOut:
    _may_edit(actor)
    values: dict[str, Any] = {
        "sku": "",
        "unit": "pcs",
        "category": "",
        "description": "",
        "active": True,
    }
    values.update(_product_values(data, creating=True))
    if _sku_taken(s, values["sku"]):
        raise Invalid({"sku": _("SKU {sku} is taken by another product").format(sku=values["sku"])})
    now = utcnow()
    product_id = s.execute(
        sa.insert(product_t)
        .values(**values, version=1, created_at=now, updated_at=now)
        .returning(product_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="product",
        entity_id=product_id,
        client_id=None,
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v not in ("", None)},
    )
    return get_product(s, product_id)


def update_product(
    s: Session, actor: Actor, product_id: int, *, version: int, changes: Mapping[str, Any]
) -> ProductOut:
    _may_edit(actor)
    current = get_product(s, product_id)
    check_version(s, "product", product_id, version, current.version)
    values = _product_values(changes, creating=False)
    if "sku" in values and _sku_taken(s, values["sku"], but=product_id):
        raise Invalid({"sku": _("SKU {sku} is taken by another product").format(sku=values["sku"])})
    audit = diff({k: getattr(current, k) for k in values}, values)
    if not audit:
        return current
    versioned_update(
        s,
        actor,
        product_t,
        entity="product",
        entity_id=product_id,
        base_version=version,
        values={k: v for k, v in values.items() if k in audit},
        audit_changes=audit,
        client_id=None,
    )
    return get_product(s, product_id)


def _product_out(r: Any) -> ProductOut:
    return ProductOut(
        id=r.id,
        sku=r.sku,
        name=r.name,
        unit=r.unit,
        category=r.category,
        description=r.description,
        active=r.active,
        version=r.version,
    )


def get_product(s: Session, product_id: int) -> ProductOut:
    row = s.execute(
        sa.select(product_t).where(product_t.c.id == product_id, product_t.c.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound(_("product {id} does not exist").format(id=product_id))
    return _product_out(row)


def find_product(s: Session, ref: str | int) -> ProductOut:
    """A product by id, SKU or exact name (case-insensitive)."""
    text = clean(str(ref))
    p = product_t.c
    live = p.deleted_at.is_(None)
    if text.isdigit():
        row = s.execute(sa.select(product_t).where(p.id == int(text), live)).first()
        if row is not None:
            return _product_out(row)
    for column in (p.sku, p.name):
        rows = s.execute(
            sa.select(product_t).where(sa.func.lower(column) == text.lower(), live).limit(2)
        ).all()
        if len(rows) == 1:
            return _product_out(rows[0])
        if len(rows) > 1:
            raise Invalid(
                {
                    "product": _("'{ref}' names several products; give the SKU or the id").format(
                        ref=ref
                    )
                }
            )
    raise NotFound(_("no product '{ref}' (see `termcrm product list`)").format(ref=ref))


def list_products(
    s: Session, *, text: str = "", include_inactive: bool = False, limit: int = 500
) -> list[ProductOut]:
    """Products by name; ``text`` narrows to a SKU or a name containing it."""
    p = product_t.c
    query = sa.select(product_t).where(p.deleted_at.is_(None))
    if not include_inactive:
        query = query.where(p.active.is_(True))
    words = clean(text).lower()
    if words:  # % and _ typed are letters, not wildcards (as the client search)
        query = query.where(
            sa.or_(
                sa.func.lower(p.name).contains(words, autoescape=True),
                sa.func.lower(p.sku).contains(words, autoescape=True),
            )
        )
    rows = s.execute(query.order_by(p.name, p.id).limit(limit)).all()
    return [_product_out(r) for r in rows]


# -- price lists


def _currency(value: str) -> str:
    code = clean(value).upper()
    if len(code) != 3 or not code.isalpha():
        raise Invalid({"currency": _("use a three-letter ISO code such as RUB, USD or CNY")})
    return code


def add_price_list(
    s: Session, actor: Actor, name: str, *, currency: str = "RUB", is_default: bool = False
) -> PriceListOut:
    _may_edit(actor)
    name = clean(name)
    if not name:
        raise Invalid({"name": _("a price list needs a name")})
    code = _currency(currency)
    taken = s.execute(
        sa.select(price_list_t.c.id).where(
            sa.func.lower(price_list_t.c.name) == name.lower(), price_list_t.c.deleted_at.is_(None)
        )
    ).first()
    if taken is not None:
        raise Invalid({"name": _("there is a price list named {name} already").format(name=name)})
    now = utcnow()
    if is_default:
        _undefault(s, code)
    list_id = s.execute(
        sa.insert(price_list_t)
        .values(
            name=name,
            currency=code,
            is_default=is_default,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(price_list_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="price_list",
        entity_id=list_id,
        client_id=None,
        version=1,
        changes={"name": [None, name], "currency": [None, code], "is_default": [None, is_default]},
    )
    return get_price_list(s, list_id)


def _undefault(s: Session, currency: str) -> None:
    s.execute(
        sa.update(price_list_t)
        .where(price_list_t.c.currency == currency, price_list_t.c.is_default.is_(True))
        .values(is_default=False)
    )


def _price_lists_query() -> sa.Select[Any]:
    counted = (
        sa.select(sa.func.count())
        .where(price_t.c.price_list_id == price_list_t.c.id)
        .scalar_subquery()
    )
    return sa.select(price_list_t, counted.label("products")).where(
        price_list_t.c.deleted_at.is_(None)
    )


def _price_list_out(r: Any) -> PriceListOut:
    return PriceListOut(r.id, r.name, r.currency, r.is_default, r.products, r.version)


def get_price_list(s: Session, list_id: int) -> PriceListOut:
    row = s.execute(_price_lists_query().where(price_list_t.c.id == list_id)).first()
    if row is None:
        raise NotFound(_("price list {id} does not exist").format(id=list_id))
    return _price_list_out(row)


def find_price_list(s: Session, ref: str | int) -> PriceListOut:
    text = clean(str(ref))
    if text.isdigit():
        return get_price_list(s, int(text))
    row = s.execute(
        _price_lists_query().where(sa.func.lower(price_list_t.c.name) == text.lower())
    ).first()
    if row is None:
        raise NotFound(_("no price list '{ref}' (see `termcrm price-list list`)").format(ref=ref))
    return _price_list_out(row)


def list_price_lists(s: Session) -> list[PriceListOut]:
    rows = s.execute(_price_lists_query().order_by(price_list_t.c.name)).all()
    return [_price_list_out(r) for r in rows]


def set_price(
    s: Session, actor: Actor, price_list_id: int, product_id: int, price: Any
) -> PriceOut:
    """Give a product its price in a price list (replacing the one it had)."""
    _may_edit(actor)
    plist = get_price_list(s, price_list_id)
    product = get_product(s, product_id)
    amount = parse_money(price)
    old = s.execute(
        sa.select(price_t.c.id, price_t.c.price).where(
            price_t.c.price_list_id == plist.id, price_t.c.product_id == product.id
        )
    ).first()
    if old is None:
        s.execute(
            sa.insert(price_t).values(price_list_id=plist.id, product_id=product.id, price=amount)
        )
    else:
        s.execute(sa.update(price_t).where(price_t.c.id == old.id).values(price=amount))
    record(
        s,
        actor,
        action="update",
        entity="price_list",
        entity_id=plist.id,
        client_id=None,
        version=plist.version,
        changes={
            f"price[{product.sku or product.id}]": [
                plain(old.price) if old else None,
                plain(amount),
            ]
        },
    )
    return PriceOut(
        plist.id,
        plist.name,
        plist.currency,
        product.id,
        product.sku,
        product.name,
        product.unit,
        amount,
    )


def prices(s: Session, price_list_id: int) -> list[PriceOut]:
    """A price list's products with their prices, by name."""
    plist = get_price_list(s, price_list_id)
    p = product_t.c
    rows = s.execute(
        sa.select(p.id, p.sku, p.name, p.unit, price_t.c.price)
        .select_from(price_t.join(product_t, p.id == price_t.c.product_id))
        .where(price_t.c.price_list_id == plist.id, p.deleted_at.is_(None))
        .order_by(p.name, p.id)
    ).all()
    return [
        PriceOut(plist.id, plist.name, plist.currency, r.id, r.sku, r.name, r.unit, r.price)
        for r in rows
    ]


def default_price(s: Session, product_id: int, currency: str) -> Decimal | None:
    """The product's price in the default price list of ``currency``, if it has one."""
    found = s.execute(
        sa.select(price_t.c.price)
        .select_from(price_t.join(price_list_t, price_list_t.c.id == price_t.c.price_list_id))
        .where(
            price_t.c.product_id == product_id,
            price_list_t.c.currency == currency,
            price_list_t.c.is_default.is_(True),
            price_list_t.c.deleted_at.is_(None),
        )
    ).first()
    return None if found is None else found.price
