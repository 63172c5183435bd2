"""The line items of a deal: products (or free-text lines) with a quantity, a unit
price and a discount; the deal's amount can follow their total.

Lines belong to their deal: whoever may see the deal may change them, and every
change goes through the deal's version (a line added by one user while another
edits the deal is refused to the second, as any conflicting edit) and its history.
A line keeps the product's name, SKU and unit as sold, so renaming a product later
does not rewrite an old proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import deals, products
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, plain, versioned_update
from termcrm.services.dto import DealOut
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.text import clean
from termcrm.store.tables import Deal, DealItem, table

item_t = table(DealItem)
deal_t = table(Deal)
CENT = Decimal("0.01")
MAX_QUANTITY = Decimal("1e12")


@dataclass(frozen=True, slots=True)
class DealItemOut:
    id: int
    deal_id: int
    position: int
    product_id: int | None
    name: str
    sku: str
    unit: str
    quantity: Decimal
    price: Decimal
    discount_pct: Decimal
    amount: Decimal  # quantity x price less the discount, to the cent


@dataclass(frozen=True, slots=True)
class DealItems:
    deal: DealOut
    items: list[DealItemOut]
    total: Decimal  # the sum of the lines' amounts
    amount_from_items: bool  # the deal's amount is kept equal to the total


MAX_TOTAL = Decimal("1e16")  # as a deal's amount (deals.parse_amount)


def line_amount(quantity: Decimal, price: Decimal, discount_pct: Decimal) -> Decimal:
    gross = quantity * price
    return (gross - gross * discount_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_quantity(value: Any) -> Decimal:
    try:
        text = str(value).replace(" ", "").replace("\u00a0", "").replace(",", ".")
        quantity = Decimal(text).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError):
        raise Invalid({"quantity": _("'{value}' is not a quantity").format(value=value)}) from None
    if quantity <= 0:
        raise Invalid({"quantity": _("a quantity must be more than zero")})
    if quantity >= MAX_QUANTITY:
        raise Invalid({"quantity": _("a quantity this large does not fit")})
    return quantity


def parse_discount(value: Any) -> Decimal:
    try:
        text = str(value).replace(" ", "").replace(",", ".").removesuffix("%")
        pct = Decimal(text).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise Invalid(
            {"discount": _("'{value}' is not a percentage").format(value=value)}
        ) from None
    if not 0 <= pct <= 100:
        raise Invalid({"discount": _("a discount is from 0 to 100%")})
    return pct


def _out(r: Any) -> DealItemOut:
    return DealItemOut(
        id=r.id,
        deal_id=r.deal_id,
        position=r.position,
        product_id=r.product_id,
        name=r.name,
        sku=r.sku,
        unit=r.unit,
        quantity=r.quantity,
        price=r.price,
        discount_pct=r.discount_pct,
        amount=line_amount(r.quantity, r.price, r.discount_pct),
    )


def _following(s: Session, deal_id: int) -> bool:
    return bool(
        s.execute(sa.select(deal_t.c.amount_from_items).where(deal_t.c.id == deal_id)).scalar()
    )


def items_of(s: Session, actor: Actor, deal_id: int) -> DealItems:
    """A deal's lines in order, their total, and the deal (the access rule of deals)."""
    deal = deals.get_deal(s, actor, deal_id)
    rows = s.execute(
        sa.select(item_t)
        .where(item_t.c.deal_id == deal_id)
        .order_by(item_t.c.position, item_t.c.id)
    ).all()
    lines = [_out(r) for r in rows]
    total = sum((i.amount for i in lines), Decimal("0.00"))
    return DealItems(deal, lines, total, _following(s, deal_id))


def _touch(
    s: Session,
    actor: Actor,
    deal: DealOut,
    version: int,
    changes: dict[str, list[Any]],
    *,
    follow: bool | None = None,
) -> None:
    """A change of the lines is a change of the deal: its version moves on, its history
    says what changed, and its amount follows the total when it is set to."""
    following = _following(s, deal.id) if follow is None else follow
    values: dict[str, Any] = {}
    if follow is not None:
        values["amount_from_items"] = follow
    total = _total(s, deal.id)
    if total >= MAX_TOTAL:  # the whole call is refused: the line written before goes too
        raise Invalid(
            {"amount": _("the lines would total {total}: an amount this large does not fit").format(
                total=f"{total:,.2f}"
            )}
        )  # fmt: skip
    if following and total != deal.amount:
        values["amount"] = total
        changes["amount"] = [plain(deal.amount), plain(total)]
    versioned_update(
        s,
        actor,
        deal_t,
        entity="deal",
        entity_id=deal.id,
        base_version=version,
        values=values,
        audit_changes=changes,
        client_id=deal.client_id,
    )


def _total(s: Session, deal_id: int) -> Decimal:
    rows = s.execute(
        sa.select(item_t.c.quantity, item_t.c.price, item_t.c.discount_pct).where(
            item_t.c.deal_id == deal_id
        )
    ).all()
    return sum((line_amount(*r) for r in rows), Decimal("0.00"))


def _describe(name: str, quantity: Decimal, price: Decimal, discount: Decimal) -> str:
    text = f"{name} × {quantity.normalize():f} @ {price}"
    return text + (f" −{discount.normalize():f}%" if discount else "")


def add_item(
    s: Session,
    actor: Actor,
    deal_id: int,
    *,
    version: int,
    product: str | int | None = None,
    name: str = "",
    quantity: Any = 1,
    price: Any = None,
    discount_pct: Any = 0,
    unit: str = "",
    price_list: str | int | None = None,
) -> DealItems:
    """Add a line: a product of the catalog (by id, SKU or name), or a free-text line
    (``name``, with its ``price``). Without a price, the product's price comes from
    ``price_list`` or the default price list of the deal's currency."""
    deal = deals.get_deal(s, actor, deal_id)
    check_version(s, "deal", deal_id, version, deal.version)
    errors: dict[str, str] = {}
    found = products.find_product(s, product) if product not in (None, "") else None
    line_name = clean(name) or (found.name if found else "")
    if not line_name:
        errors["product"] = _("name a product of the catalog, or give the line a name")
    amount: Decimal | None = None
    try:
        qty = parse_quantity(quantity)
        pct = parse_discount(discount_pct)
        if price not in (None, ""):
            amount = products.parse_money(price)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    if amount is None:
        amount = _catalog_price(s, found, deal, price_list)
    position = s.execute(
        sa.select(sa.func.coalesce(sa.func.max(item_t.c.position), 0)).where(
            item_t.c.deal_id == deal_id
        )
    ).scalar_one()
    s.execute(
        sa.insert(item_t).values(
            deal_id=deal_id,
            product_id=found.id if found else None,
            position=int(position) + 1,
            name=line_name[:300],
            sku=found.sku if found else "",
            unit=clean(unit) or (found.unit if found else "pcs"),
            quantity=qty,
            price=amount,
            discount_pct=pct,
        )
    )
    _touch(s, actor, deal, version, {"items": [None, _describe(line_name, qty, amount, pct)]})
    return items_of(s, actor, deal_id)


def _catalog_price(
    s: Session, found: products.ProductOut | None, deal: DealOut, price_list: str | int | None
) -> Decimal:
    if found is None:
        raise Invalid({"price": _("a line that is not a product of the catalog needs a price")})
    if price_list not in (None, ""):
        plist = products.find_price_list(s, price_list)
        if plist.currency != deal.currency:
            raise Invalid(
                {
                    "price_list": _(
                        "price list {name} is in {currency}, the deal in {deal_currency}"
                    ).format(name=plist.name, currency=plist.currency, deal_currency=deal.currency)
                }
            )
        listed = {p.product_id: p.price for p in products.prices(s, plist.id)}
        if found.id in listed:
            return listed[found.id]
        raise Invalid(
            {
                "price": _("{product} has no price in {name}: give the price").format(
                    product=found.name, name=plist.name
                )
            }
        )
    default = products.default_price(s, found.id, deal.currency)
    if default is None:
        raise Invalid(
            {
                "price": _(
                    "{product} has no price in a default {currency} price list: give the price"
                ).format(product=found.name, currency=deal.currency)
            }
        )
    return default


def deal_of(s: Session, item_id: int) -> int:
    """The deal a line belongs to (the access rule is the deal's, checked when it is read)."""
    return int(_item(s, item_id).deal_id)


def _item(s: Session, item_id: int) -> Any:
    row = s.execute(sa.select(item_t).where(item_t.c.id == item_id)).first()
    if row is None:
        raise NotFound(_("deal line {id} does not exist").format(id=item_id))
    return row


def update_item(
    s: Session,
    actor: Actor,
    item_id: int,
    *,
    version: int,
    quantity: Any = None,
    price: Any = None,
    discount_pct: Any = None,
) -> DealItems:
    """Change a line's quantity, price or discount; ``version`` is the deal's."""
    row = _item(s, item_id)
    deal = deals.get_deal(s, actor, row.deal_id)
    check_version(s, "deal", deal.id, version, deal.version)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        if quantity not in (None, ""):
            values["quantity"] = parse_quantity(quantity)
        if price not in (None, ""):
            values["price"] = products.parse_money(price)
        if discount_pct not in (None, ""):
            values["discount_pct"] = parse_discount(discount_pct)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    values = {k: v for k, v in values.items() if v != getattr(row, k)}
    if not values:
        return items_of(s, actor, deal.id)
    s.execute(sa.update(item_t).where(item_t.c.id == item_id).values(**values))
    before = _describe(row.name, row.quantity, row.price, row.discount_pct)
    after = _describe(
        row.name,
        values.get("quantity", row.quantity),
        values.get("price", row.price),
        values.get("discount_pct", row.discount_pct),
    )
    _touch(s, actor, deal, version, {"items": [before, after]})
    return items_of(s, actor, deal.id)


def remove_item(s: Session, actor: Actor, item_id: int, *, version: int) -> DealItems:
    """Take a line off its deal; ``version`` is the deal's."""
    row = _item(s, item_id)
    deal = deals.get_deal(s, actor, row.deal_id)
    check_version(s, "deal", deal.id, version, deal.version)
    s.execute(sa.delete(item_t).where(item_t.c.id == item_id))
    _touch(
        s,
        actor,
        deal,
        version,
        {"items": [_describe(row.name, row.quantity, row.price, row.discount_pct), None]},
    )
    return items_of(s, actor, deal.id)


def follow_items(s: Session, actor: Actor, deal_id: int, *, version: int, on: bool) -> DealItems:
    """Keep the deal's amount equal to its lines' total (``on``), or let it be typed."""
    deal = deals.get_deal(s, actor, deal_id)
    check_version(s, "deal", deal_id, version, deal.version)
    if _following(s, deal_id) == on:
        return items_of(s, actor, deal_id)
    _touch(s, actor, deal, version, {"amount_from_items": [not on, on]}, follow=on)
    return items_of(s, actor, deal_id)
