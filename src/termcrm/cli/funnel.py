"""`termcrm funnel` and `termcrm forecast`: the sales funnel and the forecast in the
terminal (a table and a plotext chart), or as JSON / CSV for scripts."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from termcrm.cli.output import Format, FormatOpt, console, emit, to_json
from termcrm.cli.runtime import guarded, runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.services.actor import Actor
    from termcrm.services.funnel import Forecast, Funnel, FunnelFilter

PERIOD_HELP = "2026-Q3, 2026-11, 2026 or 2026-01-01..2026-03-31 (deals created in it)"
PeriodOpt = Annotated[str | None, typer.Option("--period", help=PERIOD_HELP)]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="one owner's deals (login)")]
DeptOpt = Annotated[
    str | None,
    typer.Option("--department", help="deals of the owners of a department and those below it"),
]
PipelineOpt = Annotated[
    str | None, typer.Option("--pipeline", help="pipeline name (default: the default one)")
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option("--currency", help="amounts in this currency (default: the most common one)"),
]


def parse_period(text: str, *, option: str = "--period") -> tuple[date, date]:
    """A period as its first and last day: 2026-Q3, 2026-11, 2026, or FIRST..LAST."""
    from termcrm.services.errors import Invalid
    from termcrm.services.funnel_charts import parse_period as parse

    try:
        return parse(text)
    except Invalid as error:
        raise typer.BadParameter(error.errors["period"], param_hint=option) from None


def _filter(
    s: Session,
    *,
    period: tuple[date, date] | None,
    owner: str | None,
    department: str | None,
    pipeline: str | None,
    currency: str | None,
) -> FunnelFilter:
    from termcrm.services import funnel, org

    found = funnel.find_pipeline(s, pipeline) if pipeline else None
    return funnel.FunnelFilter(
        pipeline_id=found[0] if found else None,
        period=period,
        owner_id=org.get_user(s, owner).id if owner else None,
        department_id=org.find_department(s, department) if department else None,
        currency=currency,
    )


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _width() -> int:
    return max(40, min(console.width, 160))


def _bar_chart(labels: Sequence[str], values: Sequence[float], title: str) -> str:
    import plotext as plt

    from termcrm.services.funnel_charts import chart_height, draw_bars

    draw_bars(plt, labels, values, title=title)
    plt.plotsize(_width(), chart_height(len(labels)))
    return str(plt.build())


def _print_chart(chart: str) -> None:
    """The chart as plain text (no colour codes: it prints the same in a pipe or a log)."""
    import plotext as plt
    from rich.text import Text

    console.print(Text(plt.uncolorize(chart).rstrip()), soft_wrap=True)


def _table(title: str, columns: Sequence[tuple[str, Any]], items: Sequence[Any]) -> None:
    """Rows of figures: text on the left, numbers on the right and never wrapped."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(title),
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    rows = [[_cell(get(item)) for _, get in columns] for item in items]
    widest = max([len(columns[0][0]), *(len(r[0]) for r in rows)])
    for i, (name, _) in enumerate(columns):
        if i == 0:
            table.add_column(name, overflow="fold", min_width=min(widest, 24))
        else:
            table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*[Text(value) for value in row])
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _money(value)
    return str(value)


# -- funnel

STAGE_COLUMNS = [
    ("Stage", lambda x: x.name),
    ("Reached", lambda x: x.reached),
    ("Now", lambda x: x.in_stage),
    ("Amount", lambda x: x.amount),
    ("Weighted", lambda x: x.weighted),
    ("To next", lambda x: _pct(x.to_next_pct)),
    ("To won", lambda x: _pct(x.to_won_pct)),
    ("Days", lambda x: "" if x.avg_days is None else f"{x.avg_days:.1f}"),
]
NARROW = 110  # below this width the stage table leaves out the weighted amounts
BREAKDOWN_COLUMNS = [
    ("Deals", lambda b: b.deals),
    ("Amount", lambda b: b.amount),
    ("Open", lambda b: b.open),
    ("Won", lambda b: b.won),
    ("Lost", lambda b: b.lost),
    ("Won amount", lambda b: b.won_amount),
    ("Win rate", lambda b: _pct(b.win_rate_pct)),
]
CSV_FIELDS = (
    "stage",
    "outcome",
    "probability",
    "reached",
    "in_stage",
    "amount",
    "weighted",
    "to_next_pct",
    "to_won_pct",
    "avg_days",
    "currency",
)


def funnel(
    ctx: typer.Context,
    period: PeriodOpt = None,
    owner: OwnerOpt = None,
    department: DeptOpt = None,
    pipeline: PipelineOpt = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The sales funnel of the deals you may see: per stage the deals that reached it,
    those in it now, conversion to the next stage and to won, average days in it; the
    weighted pipeline, the win rate, and deals by source, by type and by owner."""
    span = parse_period(period) if period else None
    _funnel(ctx, span, owner, department, pipeline, currency, fmt)


@guarded
def _funnel(
    ctx: typer.Context,
    span: tuple[date, date] | None,
    owner: str | None,
    department: str | None,
    pipeline: str | None,
    currency: str | None,
    fmt: Format,
) -> None:
    from termcrm.services import funnel as service

    rt = runtime(ctx)
    actor: Actor = rt.actor
    with rt.read() as s:
        flt = _filter(
            s,
            period=span,
            owner=owner,
            department=department,
            pipeline=pipeline,
            currency=currency,
        )
        result = service.funnel(s, actor, flt)
    if fmt is Format.json:
        sys.stdout.write(to_json(result) + "\n")
    elif fmt is Format.csv:
        _funnel_csv(result)
    else:
        _funnel_table(result)


def _funnel_csv(f: Funnel) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for st in f.stages:
        writer.writerow(
            [
                st.name,
                st.outcome,
                st.probability,
                st.reached,
                st.in_stage,
                st.amount,
                st.weighted,
                "" if st.to_next_pct is None else st.to_next_pct,
                "" if st.to_won_pct is None else st.to_won_pct,
                "" if st.avg_days is None else st.avg_days,
                f.currency or "",
            ]
        )


def _funnel_table(f: Funnel) -> None:
    from rich.text import Text

    if not f.stages:
        console.print(Text("No deals yet.", style="dim"))
        return
    span = f" {f.period[0]}..{f.period[1]}" if f.period else ""
    title = f"Funnel: {f.pipeline}{span}, {f.deals:,} deals, amounts in {f.currency or '-'}"
    columns = (
        STAGE_COLUMNS
        if console.width >= NARROW
        else [c for c in STAGE_COLUMNS if c[0] != "Weighted"]
    )
    _table(title, columns, f.stages)
    console.print(
        Text(
            "Reached: deals that got this far; Now: in the stage now; To next / To won: "
            "conversion; Days: average days in the stage (completed stays)",
            style="dim",
        )
    )
    if f.deals:
        from termcrm.services.funnel_charts import funnel_bars

        bars = funnel_bars(f)
        _print_chart(
            _bar_chart(
                [b.stage for b in bars],
                [b.reached for b in bars],
                "Deals that reached each stage",
            )
        )
    summary = [
        ("Deals", f"{f.deals:,} ({f.open:,} open, {f.won:,} won, {f.lost:,} lost)"),
        ("Open amount", f"{_money(f.open_amount)} {f.currency or ''}"),
        ("Weighted pipeline", f"{_money(f.weighted_pipeline)} {f.currency or ''}"),
        ("Won amount", f"{_money(f.won_amount)} {f.currency or ''}"),
        ("Win rate", _pct(f.win_rate_pct) or "-"),
    ]
    if len(f.currencies) > 1:
        others = ", ".join(
            f"{c.currency} {c.deals:,}" for c in f.currencies if c.currency != f.currency
        )
        summary.append(("Other currencies", f"{others} deals (use --currency)"))
    for label, value in summary:
        console.print(Text.assemble((f"{label}: ", "bold"), value))
    for title_text, items in (
        ("By source", f.by_source),
        ("By type", f.by_kind),
        ("Win rate by owner", f.by_owner),
    ):
        if items:
            name = "Owner" if items is f.by_owner else title_text.removeprefix("By ").title()
            first: list[tuple[str, Any]] = [(name, lambda b: b.key or "(none)")]
            figures = BREAKDOWN_COLUMNS
            if console.width < NARROW:  # the win rate must show: the amounts give way
                figures = [c for c in figures if c[0] not in ("Amount", "Won amount")]
            _table(title_text, first + figures, items)


# -- forecast


MONTH_COLUMNS = [
    ("Month", lambda m: f"{m.month:%Y-%m}"),
    ("Won", lambda m: m.won),
    ("Trend", lambda m: m.trend),
    ("Weighted pipeline", lambda m: m.weighted),
    ("Expected", lambda m: m.expected),
]


def forecast(
    ctx: typer.Context,
    owner: OwnerOpt = None,
    department: DeptOpt = None,
    pipeline: PipelineOpt = None,
    currency: CurrencyOpt = None,
    months_back: Annotated[
        int, typer.Option("--months-back", help="whole months of won deals behind the trend")
    ] = 12,
    ahead: Annotated[int, typer.Option("--ahead", help="months ahead, this one first")] = 6,
    fmt: FormatOpt = Format.table,
) -> None:
    """Won amounts per month, their linear trend over the next months, and the weighted
    pipeline of open deals by expected close month."""
    _forecast(ctx, owner, department, pipeline, currency, months_back, ahead, fmt)


@guarded
def _forecast(
    ctx: typer.Context,
    owner: str | None,
    department: str | None,
    pipeline: str | None,
    currency: str | None,
    months_back: int,
    ahead: int,
    fmt: Format,
) -> None:
    from termcrm.services import funnel as service

    rt = runtime(ctx)
    actor: Actor = rt.actor
    with rt.read() as s:
        flt = _filter(
            s,
            period=None,
            owner=owner,
            department=department,
            pipeline=pipeline,
            currency=currency,
        )
        result = service.forecast(s, actor, flt, months_back=months_back, months_ahead=ahead)
    if fmt is Format.json:
        sys.stdout.write(to_json(result) + "\n")
    elif fmt is Format.csv:
        emit(list(result.months), MONTH_COLUMNS, Format.csv)
    else:
        _forecast_table(result)


def _forecast_table(fc: Forecast) -> None:
    import plotext as plt
    from rich.text import Text

    from termcrm.services.funnel_charts import draw_forecast, forecast_series

    if not fc.months:
        console.print(Text("No deals yet.", style="dim"))
        return
    _table(f"Forecast, amounts in {fc.currency or '-'}", MONTH_COLUMNS, fc.months)
    draw_forecast(
        plt,
        forecast_series(fc),
        title="Won per month, trend and weighted pipeline",
        bars=False,
    )
    plt.plotsize(_width(), 18)
    _print_chart(str(plt.build()))
    for label, value in (
        ("Trend per month", fc.slope),
        ("Weighted pipeline overdue", fc.overdue_weighted),
        ("Weighted pipeline with no close date", fc.undated_weighted),
        ("Weighted pipeline later", fc.later_weighted),
    ):
        console.print(Text.assemble((f"{label}: ", "bold"), f"{_money(value)} {fc.currency or ''}"))
