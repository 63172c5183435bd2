"""Sales leaders and the ABC / XYZ analysis of clients and of products by turnover in a
period (the "Лидеры продаж", ABC analysis and "ложные лидеры" of the Monitor CRM notes
in the seeds).

- ABC: the rows by turnover, largest first, with their share and the cumulative share
  (a window sum); a row is A while the cumulative share before it is under ``a`` %,
  B while it is under ``a + b`` %, C after that.
- XYZ: the coefficient of variation of the monthly turnover over the period's whole
  months up to today (a month without a shipment counts as 0; the current month only
  when the period has ended; none after it): X up to ``x`` %, Y up to ``y`` %, Z above.
  With fewer than three such months there is no XYZ.
- A false leader: an A row whose largest single shipment is more than ``false_leader``
  % of its turnover, a leader by one big sale rather than by steady buying.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _, ngettext
from termcrm.reports import facts, option_values, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table, pct
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.store.tables import Client, Product, Shipment, User, table

shipment_t = table(Shipment)
client_t = table(Client)
product_t = table(Product)
user_t = table(User)
NAME = "abc"
TITLE = N_("Sales leaders and ABC analysis")
SUBJECTS = ("both", "clients", "products")
CLASSES = ("A", "B", "C")
TOP = 10
ZERO = Decimal("0.00")
XYZ_MONTHS = 3  # the fewest months XYZ is measured over


@dataclass(frozen=True, slots=True)
class Rules:
    a: float  # % of the turnover the A rows make up
    b: float  # % the B rows make up after them
    x: float  # the largest coefficient of variation (%) of an X row
    y: float  # ... of a Y row
    false_leader: float  # % of the turnover in one shipment that makes an A row suspect

    def abc(self, before: Decimal, total: Decimal) -> str:
        """The class of a row whose predecessors make up ``before`` of ``total``."""
        if total <= 0:
            return "C"
        share = before * 100 / total
        if share < Decimal(str(self.a)):
            return "A"
        if share < Decimal(str(self.a + self.b)):
            return "B"
        return "C"

    def xyz(self, cv: float | None) -> str:
        if cv is None:
            return ""
        if cv <= self.x:
            return "X"
        if cv <= self.y:
            return "Y"
        return "Z"


def rules_of(params: Params) -> Rules:
    a = option_values.number(params, "a", 80, 0, 100)
    b = option_values.number(params, "b", 15, 0, 100)
    if a + b > 100:
        raise Invalid(
            {"b": _("a + b must be at most 100 % (C is the rest); now {sum:g}").format(sum=a + b)}
        )
    x = option_values.number(params, "x", 10, 0, 1000)
    y = option_values.number(params, "y", 25, 0, 1000)
    if y < x:
        raise Invalid({"y": _("y must be at least x ({x:g})").format(x=x)})
    leader = option_values.number(params, "false_leader", 50, 0, 100)
    return Rules(a, b, x, y, leader)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked client or product, as the SQL aggregated it."""

    rank: int
    key: Any  # a client id; a product id or product group
    turnover: Decimal
    cumulative: Decimal  # this row's and every row's before it
    total: Decimal
    shipments: int
    largest: Decimal
    cv: float | None
    labels: tuple[str, ...]  # the names shown before the figures


@dataclass(frozen=True, slots=True)
class Months:
    """The months XYZ is measured over, by number (year*12+month-1), first to last."""

    first: int
    last: int

    @property
    def count(self) -> int:
        return max(self.last - self.first + 1, 0)


def xyz_months(params: Params) -> Months:
    """The period's months up to today: none after the current month, nor the current
    month itself unless the period has ended (it is not over yet)."""
    first = facts.index_of(params.period[0], "month")
    last = facts.index_of(params.period[1], "month")
    today = option_values.today(params)
    if params.period[1] >= today:
        last = min(last, facts.index_of(today, "month") - 1)
    return Months(first, last)


def _cv(s1: float | None, s2: float | None, months: int) -> float | None:
    """The coefficient of variation (%) of the monthly turnover (population deviation),
    from the sums of the months' turnover and of its squares: months without shipments
    add 0 to both."""
    if s1 is None or s2 is None or months < XYZ_MONTHS or s1 <= 0:
        return None
    mean = s1 / months
    variance = max(s2 / months - mean * mean, 0.0)
    return round(math.sqrt(variance) / mean * 100.0, 2)


def _ranked(
    s: Session,
    source: sa.FromClause,
    conds: Sequence[sa.ColumnElement[bool]],
    keys: Sequence[sa.ColumnElement[Any]],
    named: Callable[[sa.FromClause, Sequence[sa.ColumnElement[Any]]], sa.FromClause],
    labels: Sequence[Any],
    months: Months,
) -> list[Ranked]:
    """The rows of ``keys`` ranked by turnover: per key and month in a subquery, per key
    over it (turnover, the sums for the variation over ``months``, shipments, the
    largest one), the rank and cumulative turnover by window functions, then the names
    ``labels`` from the tables ``named`` joins to the ranked rows (each by its key, never
    a joined pair as one side: SQLite would scan the pair for every row)."""
    sh = shipment_t.c
    key_cols = [k.label(f"k{i}") for i, k in enumerate(keys)]
    monthly = (
        sa.select(
            *key_cols,
            facts.unit_index(sh.shipped_on, "month").label("m"),
            sa.func.sum(sh.amount).label("x"),
            sa.func.count().label("n"),
            sa.func.max(sh.amount).label("big"),
        )
        .select_from(source)
        .where(*conds)
        .group_by(*[k.name for k in key_cols], "m")
        .subquery("monthly")
    )
    mk = [monthly.c[f"k{i}"] for i in range(len(keys))]
    # the variation's sums over the measured months only (the turnover is the period's)
    xf = sa.case((monthly.c.m.between(months.first, months.last), sa.cast(monthly.c.x, sa.Float)))
    per = (
        sa.select(
            *mk,
            sa.func.sum(monthly.c.x).label("turnover"),
            sa.func.sum(xf).label("s1"),
            sa.func.sum(xf * xf).label("s2"),
            sa.func.sum(monthly.c.n).label("n"),
            sa.func.max(monthly.c.big).label("big"),
        )
        .group_by(*mk)
        .subquery("per")
    )
    pk = [per.c[f"k{i}"] for i in range(len(keys))]
    # ties in turnover go by key, NULLs as 0 (the dialects sort NULLs differently)
    order = [per.c.turnover.desc(), sa.func.coalesce(pk[0], 0), *pk[1:]]
    ranked = sa.select(
        *pk,
        per.c.turnover,
        per.c.s1,
        per.c.s2,
        per.c.n,
        per.c.big,
        sa.func.row_number().over(order_by=order).label("rank"),
        sa.func.sum(per.c.turnover).over(order_by=order, rows=(None, 0)).label("cum"),
        sa.func.sum(per.c.turnover).over().label("total"),
    ).subquery("ranked")
    rk = [ranked.c[f"k{i}"] for i in range(len(keys))]
    query = sa.select(ranked, *labels).select_from(named(ranked, rk)).order_by(ranked.c.rank)
    nk = len(keys)
    out = []
    for r in s.execute(query).all():  # fetched at once: a row at a time costs a call each
        turnover, s1, s2, n, big, rank, cum, total = r[nk : nk + 8]
        turnover = turnover or ZERO
        out.append(
            Ranked(
                rank=int(rank),
                key=r[:nk],
                turnover=turnover,
                cumulative=cum or ZERO,
                total=total or ZERO,
                shipments=int(n or 0),
                largest=big or ZERO,
                cv=_cv(s1, s2, months.count),
                labels=tuple(str(v or "") for v in r[nk + 8 :]),
            )
        )
    return out


def _figures(rules: Rules, r: Ranked) -> tuple[Any, ...]:
    """A row's figures after its labels, and whether it is a false leader."""
    abc = rules.abc(r.cumulative - r.turnover, r.total)
    largest_share = pct(r.largest, r.turnover) if r.turnover > 0 else None
    suspect = abc == "A" and largest_share is not None and largest_share > rules.false_leader
    return (
        r.turnover.quantize(Decimal("0.01")),
        pct(r.turnover, r.total) if r.total > 0 else None,
        pct(r.cumulative, r.total) if r.total > 0 else None,
        abc,
        r.cv,
        rules.xyz(r.cv),
        r.shipments,
        r.largest.quantize(Decimal("0.01")),
        largest_share,
        _("yes") if suspect else "",
    )


FIGURE_COLUMNS = (
    Column("turnover", N_("Turnover"), "money"),
    Column("share", N_("Share %"), "pct"),
    Column("cumulative", N_("Cumulative share %"), "pct"),
    Column("abc", N_("ABC")),
    Column("cv", N_("Variation %"), "pct"),
    Column("xyz", N_("XYZ")),
    Column("shipments", N_("Shipments"), "int"),
    Column("largest", N_("Largest shipment"), "money"),
    Column("largest_share", N_("Largest shipment %"), "pct"),
    Column("false_leader", N_("False leader")),
)

CLASS_COLUMNS = {
    "clients": [
        Column("clients_count", N_("Clients"), "int"),
        Column("clients_turnover", N_("Clients' turnover"), "money"),
        Column("clients_share", N_("Clients' share %"), "pct"),
    ],
    "products": [
        Column("products_count", N_("Products"), "int"),
        Column("products_turnover", N_("Products' turnover"), "money"),
        Column("products_share", N_("Products' share %"), "pct"),
    ],
}


def _total_row(label_count: int, ranked: list[Ranked]) -> tuple[Any, ...] | None:
    if not ranked:
        return None
    total = ranked[0].total.quantize(Decimal("0.01"))
    return (
        None,
        _("Total"),
        *([""] * (label_count - 1)),
        total,
        100.0 if total > 0 else None,
        None,
        "",
        None,
        "",
        sum(r.shipments for r in ranked),
        max(r.largest for r in ranked).quantize(Decimal("0.01")),
        None,
        "",
    )


def _clients(
    s: Session, conds: list[sa.ColumnElement[bool]], months: Months, rules: Rules
) -> tuple[Table, list[Ranked]]:
    sh = shipment_t.c
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    ranked = _ranked(
        s,
        source,
        conds,
        [sh.client_id],
        lambda rows, k: rows.join(client_t, client_t.c.id == k[0]).outerjoin(
            user_t, user_t.c.id == client_t.c.owner_id
        ),
        [
            client_t.c.name,
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login),
        ],
        months,
    )
    body = tuple((r.rank, *r.labels, *_figures(rules, r)) for r in ranked)
    columns = (
        Column("rank", N_("Rank"), "int"),
        Column("client", N_("Client")),
        Column("owner", N_("Owner")),
        *FIGURE_COLUMNS,
    )
    return Table("clients", N_("Clients by turnover"), columns, body, _total_row(2, ranked)), ranked


def _products(
    s: Session, conds: list[sa.ColumnElement[bool]], months: Months, rules: Rules
) -> tuple[Table, list[Ranked]]:
    """By product; shipments without a product by their product group."""
    sh = shipment_t.c
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    # the group of a product's shipments: one key with the product, so a product shipped
    # under two groups stays one row (its catalogue group is shown)
    group = sa.case((sh.product_id.is_(None), sh.product_group), else_=sa.literal(""))
    ranked = _ranked(
        s,
        source,
        conds,
        # coalesced: grouping by the bare column makes SQLite walk the product index
        # and read each shipment's row; this way the period's covering index serves it
        [sa.func.coalesce(sh.product_id, 0), group],
        lambda rows, k: rows.outerjoin(product_t, product_t.c.id == k[0]),
        [product_t.c.name, product_t.c.sku, product_t.c.category],
        months,
    )
    body = []
    for r in ranked:
        product_id, shipped_group = r.key
        name, sku, category = r.labels
        if not product_id:  # 0: no product
            name = _("(no product: {group})").format(group=shipped_group or _("no group"))
            category = shipped_group
        body.append((r.rank, name, sku, category, *_figures(rules, r)))
    columns = (
        Column("rank", N_("Rank"), "int"),
        Column("product", N_("Product")),
        Column("sku", N_("SKU")),
        Column("group", N_("Product group")),
        *FIGURE_COLUMNS,
    )
    table_ = Table(
        "products", N_("Products by turnover"), columns, tuple(body), _total_row(3, ranked)
    )
    return table_, ranked


def _class_counts(rules: Rules, ranked: list[Ranked]) -> dict[str, tuple[int, Decimal]]:
    counts: dict[str, tuple[int, Decimal]] = {c: (0, ZERO) for c in CLASSES}
    for r in ranked:
        c = rules.abc(r.cumulative - r.turnover, r.total)
        n, amount = counts[c]
        counts[c] = (n + 1, amount + r.turnover)
    return counts


def abc_analysis(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``subject`` (both | clients | products; default both); ``a`` (80) and
    ``b`` (15): the % of the turnover of the A and B classes; ``x`` (10) and ``y``
    (25): the largest variation % of X and Y; ``false_leader`` (50): the % of an A
    row's turnover in one shipment that flags it."""
    scope.check_scope(s, actor, params.scope)
    subject = option_values.choice(params, "subject", "both", SUBJECTS)
    rules = rules_of(params)
    sh = shipment_t.c
    first, last = params.period
    source = shipment_t.join(client_t, client_t.c.id == sh.client_id)
    conds = [
        sh.shipped_on >= first,
        sh.shipped_on <= last,
        *scope.client_conditions(actor, params.scope),
    ]
    currency, others = facts.pick_currency(s, source, sh.currency, conds, params.currency)
    months = xyz_months(params)
    conds = [*conds, sh.currency == (currency or "")]
    tables: list[Table] = []
    charts: list[Chart] = []
    classes: dict[str, dict[str, tuple[int, Decimal]]] = {}
    notes: list[str] = []
    parts = []
    if subject in ("both", "clients"):
        parts.append(("clients", _clients(s, conds, months, rules)))
    if subject in ("both", "products"):
        parts.append(("products", _products(s, conds, months, rules)))
    for key, (table_, ranked) in parts:
        tables.append(table_)
        classes[key] = _class_counts(rules, ranked)
        leaders = sum(1 for v in table_.values("false_leader") if v)
        if leaders:
            notes.append(
                # TRANSLATORS: {what} is a table's title (Clients by turnover); the
                # plural follows {n}
                ngettext(
                    "{what}: {n} A row has one shipment over {pct:g} % of its turnover "
                    "(a false leader?).",
                    "{what}: {n} A rows have one shipment over {pct:g} % of their turnover "
                    "(false leaders?).",
                    leaders,
                ).format(what=_(table_.title), n=leaders, pct=rules.false_leader)
            )
    class_columns: list[Column] = [Column("class", N_("Class"))]
    for key in classes:
        class_columns += CLASS_COLUMNS[key]
    class_rows = []
    for c in CLASSES:
        row: list[Any] = [c]
        for counts in classes.values():
            total = sum((amount for _n, amount in counts.values()), ZERO)
            n, amount = counts[c]
            row += [n, amount, pct(amount, total) if total > 0 else None]
        class_rows.append(tuple(row))
    tables.append(Table("classes", N_("ABC classes"), tuple(class_columns), tuple(class_rows)))
    charts.append(
        Chart(
            "bar" if len(classes) > 1 else "pie",
            N_("Turnover share by ABC class"),
            "classes",
            "class",
            tuple(f"{k}_share" for k in classes),
        )
    )
    for key, (table_, _ranked_rows) in parts:
        name_col = "client" if key == "clients" else "product"
        top = Table(
            f"top_{key}",
            N_("Top 10 clients") if key == "clients" else N_("Top 10 products"),
            (
                Column("rank", N_("Rank"), "int"),
                Column(name_col, N_("Client") if key == "clients" else N_("Product")),
                Column("turnover", N_("Turnover"), "money"),
            ),
            tuple(
                (row[0], row[table_.column(name_col)], row[table_.column("turnover")])
                for row in table_.rows[:TOP]
            ),
        )
        tables.append(top)
        charts.append(Chart("bar", top.title, top.key, name_col, ("turnover",)))
    notes.append(
        _("A: the first {a:g} % of the turnover, B: the next {b:g} %, C: the rest.").format(
            a=rules.a, b=rules.b
        )
    )
    if months.count >= XYZ_MONTHS:
        notes.append(
            _("XYZ by the variation of the monthly turnover over the {months} whole months "
              "{first} to {last} (a month without shipments counts as 0): X up to {x:g} %, "
              "Y up to {y:g} %, Z above.").format(
                months=months.count,
                first=facts.unit_label(months.first, "month"),
                last=facts.unit_label(months.last, "month"),
                x=rules.x,
                y=rules.y,
            )
        )  # fmt: skip
    else:
        notes.append(
            _("No XYZ: it needs at least three whole months of the period up to today "
              "(the current month counts once the period has ended).")
        )  # fmt: skip
    if others:
        notes.append(
            _("Amounts in {currency} only; there are also shipments in {others}.").format(
                currency=currency, others=", ".join(others)
            )
        )
    return Report(
        NAME,
        TITLE,
        params.period,
        scope.describe(s, actor, params.scope),
        currency,
        tuple(tables),
        tuple(charts),
        tuple(notes),
    )
