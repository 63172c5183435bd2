"""`termcrm deal items|item-add|item-edit|item-rm|follow-items|proposal`: a deal's line
items and its commercial proposal. The commands join `termcrm deal` (cli/deals.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from termcrm.cli.deals import app
from termcrm.cli.output import Format, FormatOpt, console, emit, say
from termcrm.cli.runtime import guarded, runtime

LINE_COLUMNS = [
    ("Line", lambda i: i.id),
    ("No", lambda i: i.position),
    ("SKU", lambda i: i.sku),
    ("Product", lambda i: i.name),
    ("Qty", lambda i: f"{i.quantity.normalize():f}"),
    ("Unit", lambda i: i.unit),
    ("Price", lambda i: i.price),
    ("Disc %", lambda i: i.discount_pct),
    ("Amount", lambda i: i.amount),
]
VersionOpt = Annotated[int | None, typer.Option(help="the deal's version you saw")]


def _show(found: Any, fmt: Format) -> None:
    deal = found.deal
    if fmt is not Format.table:
        emit(found.items, LINE_COLUMNS, fmt)
        return
    emit(
        found.items,
        LINE_COLUMNS,
        fmt,
        title=f"Deal {deal.id}: {deal.title} ({deal.client}) v{deal.version}",
        empty="No lines yet: termcrm deal item-add.",
    )
    follow = " (the deal's amount follows the lines)" if found.amount_from_items else ""
    console.print(
        f"Total {found.total:,.2f} {deal.currency}; deal amount {deal.amount:,.2f}{follow}"
    )


@app.command("items")
@guarded
def items(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(metavar="DEAL", help="deal id")],
    fmt: FormatOpt = Format.table,
) -> None:
    """A deal's lines: products, quantities, prices, discounts and the total."""
    from termcrm.services import deal_items

    rt = runtime(ctx)
    with rt.read() as s:
        found = deal_items.items_of(s, rt.actor, deal_id)
    _show(found, fmt)


@app.command("item-add")
@guarded
def item_add(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(metavar="DEAL", help="deal id")],
    product: Annotated[
        str | None, typer.Argument(help="id, SKU or name of a catalog product")
    ] = None,
    qty: Annotated[str, typer.Option("--qty", help="quantity, e.g. 3 or 2.5")] = "1",
    price: Annotated[
        str | None, typer.Option(help="unit price (default: the product's price list price)")
    ] = None,
    discount: Annotated[str, typer.Option(help="percent off, e.g. 5")] = "0",
    name: Annotated[str, typer.Option(help="a line that is not in the catalog")] = "",
    unit: Annotated[str, typer.Option(help="the unit of a line not in the catalog")] = "",
    price_list: Annotated[str | None, typer.Option(help="take the price from this list")] = None,
    version: VersionOpt = None,
) -> None:
    """Add a line to a deal: a catalog product, or --name with --price."""
    from termcrm.services import deal_items, deals

    rt = runtime(ctx)
    with rt.write() as s:
        base = deals.get_deal(s, rt.actor, deal_id).version if version is None else version
        found = deal_items.add_item(
            s,
            rt.actor,
            deal_id,
            version=base,
            product=product,
            name=name,
            quantity=qty,
            price=price,
            discount_pct=discount,
            unit=unit,
            price_list=price_list,
        )
    line = found.items[-1]
    say(
        f"Added line {line.id}: {line.name}, {line.quantity.normalize():f} {line.unit} x "
        f"{line.price:,.2f} = {line.amount:,.2f} {found.deal.currency}"
    )
    _show(found, Format.table)


@app.command("item-edit")
@guarded
def item_edit(
    ctx: typer.Context,
    line_id: Annotated[int, typer.Argument(metavar="LINE", help="line id (see deal items)")],
    qty: Annotated[str | None, typer.Option("--qty")] = None,
    price: Annotated[str | None, typer.Option()] = None,
    discount: Annotated[str | None, typer.Option()] = None,
    version: VersionOpt = None,
) -> None:
    """Change a line's quantity, price or discount."""
    from termcrm.services import deal_items, deals

    if qty is None and price is None and discount is None:
        raise typer.BadParameter("give --qty, --price or --discount")
    rt = runtime(ctx)
    with rt.write() as s:
        deal_id = deal_items.deal_of(s, line_id)
        base = deals.get_deal(s, rt.actor, deal_id).version if version is None else version
        found = deal_items.update_item(
            s, rt.actor, line_id, version=base, quantity=qty, price=price, discount_pct=discount
        )
    _show(found, Format.table)


@app.command("item-rm")
@guarded
def item_rm(
    ctx: typer.Context,
    line_id: Annotated[int, typer.Argument(metavar="LINE", help="line id (see deal items)")],
    version: VersionOpt = None,
) -> None:
    """Take a line off its deal."""
    from termcrm.services import deal_items, deals

    rt = runtime(ctx)
    with rt.write() as s:
        deal_id = deal_items.deal_of(s, line_id)
        base = deals.get_deal(s, rt.actor, deal_id).version if version is None else version
        found = deal_items.remove_item(s, rt.actor, line_id, version=base)
    _show(found, Format.table)


@app.command("follow-items")
@guarded
def follow_items(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(metavar="DEAL", help="deal id")],
    on: Annotated[
        bool, typer.Option("--on/--off", help="keep the deal's amount equal to the lines' total")
    ] = True,
    version: VersionOpt = None,
) -> None:
    """Make the deal's amount follow its lines' total (--on), or be typed (--off)."""
    from termcrm.services import deal_items, deals

    rt = runtime(ctx)
    with rt.write() as s:
        base = deals.get_deal(s, rt.actor, deal_id).version if version is None else version
        found = deal_items.follow_items(s, rt.actor, deal_id, version=base, on=on)
    _show(found, Format.table)


@app.command("proposal")
@guarded
def proposal(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(metavar="DEAL", help="deal id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the .xlsx file to write")],
) -> None:
    """Write the deal's commercial proposal (client, lines, prices, discount, total) to .xlsx."""
    from termcrm.exchange.proposal import write_proposal

    rt = runtime(ctx)
    with rt.read() as s:
        done = write_proposal(s, rt.actor, deal_id, out)
    say(f"Wrote {done.path}: {done.lines} lines, total {done.total:,.2f} {done.currency}")
