"""`termcrm product ...` and `termcrm price-list ...`: the catalog the deals' lines sell."""

from __future__ import annotations

from typing import Annotated

import typer

from termcrm.cli.output import Format, FormatOpt, emit, say
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(help="The product catalog: add, edit, list.", no_args_is_help=True)
price_lists = typer.Typer(help="Price lists: products' prices in a currency.", no_args_is_help=True)

PRODUCT_COLUMNS = [
    ("ID", lambda p: p.id),
    ("SKU", lambda p: p.sku),
    ("Product", lambda p: p.name),
    ("Unit", lambda p: p.unit),
    ("Category", lambda p: p.category),
]
SkuOpt = Annotated[str | None, typer.Option(help="the article number")]
UnitOpt = Annotated[str | None, typer.Option(help="pcs, kg, m, h, licence…")]
CategoryOpt = Annotated[str | None, typer.Option(help="the product group")]
DescriptionOpt = Annotated[str | None, typer.Option()]


def _data(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


@app.command()
@guarded
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the product's name")],
    sku: SkuOpt = None,
    unit: UnitOpt = None,
    category: CategoryOpt = None,
    description: DescriptionOpt = None,
) -> None:
    """Add a product to the catalog (admins and directors)."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.write() as s:
        p = products.add_product(
            s,
            rt.actor,
            _data(name=name, sku=sku, unit=unit, category=category, description=description),
        )
    say(f"Added product {p.id}: {p.name}" + (f" ({p.sku})" if p.sku else "") + f", per {p.unit}")


@app.command()
@guarded
def edit(
    ctx: typer.Context,
    product: Annotated[str, typer.Argument(help="id, SKU or name")],
    name: Annotated[str | None, typer.Option()] = None,
    sku: SkuOpt = None,
    unit: UnitOpt = None,
    category: CategoryOpt = None,
    description: DescriptionOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="offered or no longer")
    ] = None,
) -> None:
    """Change a product; only the options you give change."""
    from termcrm.services import products

    data = _data(
        name=name, sku=sku, unit=unit, category=category, description=description, active=active
    )
    if not data:
        raise typer.BadParameter("give at least one field to change")
    rt = runtime(ctx)
    with rt.write() as s:
        found = products.find_product(s, product)
        p = products.update_product(s, rt.actor, found.id, version=found.version, changes=data)
    say(f"Saved product {p.id}: {p.name} (version {p.version}).")


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    search: Annotated[str, typer.Option(help="part of a name or SKU")] = "",
    all_: Annotated[bool, typer.Option("--all", help="inactive products too")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The catalog, by name."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.read() as s:
        found = products.list_products(s, text=search, include_inactive=all_)
    emit(found, PRODUCT_COLUMNS, fmt, empty="No products.")


@price_lists.command("add")
@guarded
def add_list(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="e.g. 'Wholesale RUB'")],
    currency: Annotated[str, typer.Option(help="ISO code: RUB, USD, CNY, EUR")] = "RUB",
    default: Annotated[
        bool, typer.Option("--default", help="where a deal's line in this currency takes its price")
    ] = False,
) -> None:
    """Add a price list (admins and directors)."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.write() as s:
        pl = products.add_price_list(s, rt.actor, name, currency=currency, is_default=default)
    say(
        f"Added price list {pl.id}: {pl.name} ({pl.currency})"
        + (", the default" if pl.is_default else "")
    )


@price_lists.command("list")
@guarded
def list_lists(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Price lists with their currency and how many products they price."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.read() as s:
        found = products.list_price_lists(s)
    columns = [
        ("ID", lambda p: p.id),
        ("Price list", lambda p: p.name),
        ("Currency", lambda p: p.currency),
        ("Default", lambda p: "yes" if p.is_default else ""),
        ("Products", lambda p: p.products),
    ]
    emit(found, columns, fmt, empty="No price lists.")


@price_lists.command("set")
@guarded
def set_price(
    ctx: typer.Context,
    price_list: Annotated[str, typer.Argument(metavar="LIST", help="id or name")],
    product: Annotated[str, typer.Argument(help="id, SKU or name")],
    price: Annotated[str, typer.Argument(help="e.g. 1250 or 1250.50")],
) -> None:
    """Set a product's price in a price list."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.write() as s:
        pl = products.find_price_list(s, price_list)
        found = products.find_product(s, product)
        p = products.set_price(s, rt.actor, pl.id, found.id, price)
    say(f"{p.name}: {p.price:,.2f} {p.currency} per {p.unit} in {p.price_list}")


@price_lists.command("show")
@guarded
def show_list(
    ctx: typer.Context,
    price_list: Annotated[str, typer.Argument(metavar="LIST", help="id or name")],
    fmt: FormatOpt = Format.table,
) -> None:
    """A price list's products and prices."""
    from termcrm.services import products

    rt = runtime(ctx)
    with rt.read() as s:
        pl = products.find_price_list(s, price_list)
        found = products.prices(s, pl.id)
    columns = [
        ("SKU", lambda p: p.sku),
        ("Product", lambda p: p.name),
        ("Unit", lambda p: p.unit),
        ("Price", lambda p: p.price),
        ("Cur", lambda p: p.currency),
    ]
    emit(found, columns, fmt, title=f"{pl.name} ({pl.currency})", empty="No prices yet.")
