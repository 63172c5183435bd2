"""The pieces of the funnel screen: what it shows (the filter, the tables of figures,
the charts) and the dialog that sets its filter.

The tables are Rich tables sized to the screen's width (narrow: fewer columns); the
charts are ``PlotextPlot`` widgets drawn by ``services.funnel_charts``, as
``termcrm funnel`` draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Select
from textual_plotext import PlotextPlot

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_number, pgettext
from termcrm.labels import value_label
from termcrm.services.dto import DepartmentOut, PipelineOut, UserOut
from termcrm.services.funnel import Breakdown, Forecast, Funnel, FunnelFilter, StageFigures
from termcrm.services.funnel_charts import (
    period_text,
    preset_label,
    preset_period,
    short_label,
)
from termcrm.widgets.filter_dialog import FilterDialog, with_current

NARROW = 100  # below this width the tables leave out some columns
CUSTOM = "custom"  # a period typed in the filter dialog (not one of the presets)


# -- the filter ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunnelChoice:
    """What the funnel screen shows: a period (a preset or typed), an owner, a
    department, a pipeline and a currency, with the names the status line shows."""

    preset: str = "all"  # a key of funnel_charts.PRESETS, or CUSTOM
    period: tuple[date, date] | None = None
    owner_id: int | None = None
    owner: str = ""
    department_id: int | None = None
    department: str = ""
    pipeline_id: int | None = None  # None: the default pipeline
    currency: str | None = None  # None: the most common one

    def service_filter(self) -> FunnelFilter:
        return FunnelFilter(
            pipeline_id=self.pipeline_id,
            period=self.period,
            owner_id=self.owner_id,
            department_id=self.department_id,
            currency=self.currency,
        )

    def with_preset(self, key: str, today: date) -> FunnelChoice:
        return replace(self, preset=key, period=preset_period(key, today))


def period_words(choice: FunnelChoice) -> str:
    """``This quarter (2026-Q4)``, ``2026-01-05..2026-02-10``, ``All time``."""
    if choice.period is None:
        return preset_label("all")
    span = period_text(*choice.period)
    if choice.preset == CUSTOM:
        return span
    return _("{period} ({dates})").format(period=preset_label(choice.preset), dates=span)


def filter_line(choice: FunnelChoice, funnel: Funnel | None, *, rep: bool) -> Text:
    """The status line's filter: pipeline · period · owner · department · currency."""
    dim = "dim"
    parts: list[Text] = []
    if funnel is not None and funnel.pipeline:
        parts.append(Text(funnel.pipeline, style="bold"))
    parts.append(Text(_("created: {period}").format(period=period_words(choice))))
    if rep:
        parts.append(Text(_("your deals")))
    if choice.owner_id is not None:
        parts.append(Text(_("owner: {name}").format(name=choice.owner)))
    if choice.department_id is not None:
        parts.append(Text(_("department: {name}").format(name=choice.department)))
    if funnel is not None and funnel.currency:
        money = Text(funnel.currency, style="bold")
        others = [c for c in funnel.currencies if c.currency != funnel.currency]
        if others:
            money.append(
                " "
                + _("(also {others}: c)").format(
                    others=", ".join(f"{c.currency} {fmt_number(c.deals)}" for c in others)
                ),
                style=dim,
            )
        parts.append(money)
    line = Text()
    for i, part in enumerate(parts):
        if i:
            line.append(" · ", style=dim)
        line.append_text(part)
    return line


# -- numbers -----------------------------------------------------------------------------------


def _babel() -> Locale:
    return Locale.parse(i18n.BABEL_LOCALES[i18n.current()])


def whole(amount: Decimal | None) -> str:
    """An amount in whole units, grouped as the locale writes numbers (a table's cell:
    the currency is named above the table)."""
    if amount is None:
        return ""
    return fmt_number(amount.quantize(Decimal(1), ROUND_HALF_UP))


def one_decimal(value: float) -> str:
    """``66.7``, ``82.0``: every figure of a column with one decimal, as the locale writes it."""
    return str(babel_numbers.format_decimal(value, format="#,##0.0", locale=_babel()))


def pct(value: float | None) -> str:
    return "" if value is None else f"{one_decimal(value)}%"


def days(value: float | None) -> str:
    return "" if value is None else one_decimal(value)


def compact(value: float) -> str:
    """A chart's axis number: 75M, 1.5K (in the interface language)."""
    if abs(value) < 1000:
        return fmt_number(round(value, 1))
    return str(babel_numbers.format_compact_decimal(value, locale=_babel(), fraction_digits=1))


def month_name(day: date) -> str:
    """``Nov 2026`` in the interface language."""
    return str(babel_dates.format_skeleton("yMMM", day, locale=_babel()))


# -- the tables ----------------------------------------------------------------------------------


def _table(title: str | None, columns: Sequence[str]) -> Table:
    table = Table(
        title=Text(title, style="bold") if title else None,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=False,
    )
    for i, name in enumerate(columns):
        if i == 0:
            table.add_column(name, overflow="ellipsis", no_wrap=True, max_width=24)
        else:
            table.add_column(name, justify="right", no_wrap=True)
    return table


def stage_table(f: Funnel, width: int) -> Table:
    """Per stage: reached, now, amount, weighted, to next, to won, average days."""
    narrow = width < NARROW
    columns: list[tuple[str, Callable[[StageFigures], str]]] = [
        (_("Stage"), lambda st: st.name),
        (_("Reached"), lambda st: fmt_number(st.reached)),
        (_("Now"), lambda st: fmt_number(st.in_stage)),
        (_("Amount"), lambda st: whole(st.amount)),
        (_("Weighted"), lambda st: whole(st.weighted)),
        (_("To next"), lambda st: pct(st.to_next_pct)),
        (_("To won"), lambda st: pct(st.to_won_pct)),
        (_("Days"), lambda st: days(st.avg_days)),
    ]
    if narrow:
        del columns[4]  # the weighted amounts: the total is in the summary
    table = _table(None, [c[0] for c in columns])
    for st in f.stages:
        style = "" if st.outcome == "open" else "italic"
        table.add_row(*[Text(get(st)) for _name, get in columns], style=style)
    return table


def totals(f: Funnel) -> Text:
    """Deals (open, won, lost), the win rate, the weighted pipeline, open and won amounts
    (in whole units of the funnel's currency)."""
    money = whole  # the currency is on the status line

    text = Text()
    pairs = [
        (
            _("Deals"),
            _("{deals} ({open} open, {won} won, {lost} lost)").format(
                deals=fmt_number(f.deals),
                open=fmt_number(f.open),
                won=fmt_number(f.won),
                lost=fmt_number(f.lost),
            ),
        ),
        (_("Win rate"), pct(f.win_rate_pct) or "—"),
        (_("Weighted pipeline"), money(f.weighted_pipeline)),
        (_("Open amount"), money(f.open_amount)),
        (_("Won amount"), money(f.won_amount)),
    ]
    for i, (label, value) in enumerate(pairs):
        if i:
            text.append("  ")
        text.append(f"{label}: ", style="bold")
        text.append(value)
    return text


def breakdowns(f: Funnel, width: int) -> RenderableType:
    """By source, by type (kind) and the win rate by owner."""
    narrow = width < NARROW
    columns: list[tuple[str, Callable[[Breakdown], str]]] = [
        (_("Deals"), lambda b: fmt_number(b.deals)),
        (_("Amount"), lambda b: whole(b.amount)),
        (pgettext("deals", "Open"), lambda b: fmt_number(b.open)),
        (_("Won"), lambda b: fmt_number(b.won)),
        (pgettext("deals", "Lost"), lambda b: fmt_number(b.lost)),
        (_("Won amount"), lambda b: whole(b.won_amount)),
        (_("Win rate"), lambda b: pct(b.win_rate_pct)),
    ]
    if narrow:
        columns = [c for i, c in enumerate(columns) if i not in (1, 2)]
    parts: list[RenderableType] = []
    for title, first, items in (
        (_("By source"), _("Source"), f.by_source),
        (_("By type"), _("Type"), f.by_kind),
        (_("Win rate by owner"), _("Owner"), f.by_owner),
    ):
        if not items:
            continue
        table = _table(title, [first, *(c[0] for c in columns)])
        for b in items:
            name = value_label(b.key) if b.key else _("(none)")
            table.add_row(Text(name), *[Text(get(b)) for _name, get in columns])
        if parts:
            parts.append(Text(""))
        parts.append(table)
    return Group(*parts)


def month_table(fc: Forecast) -> Table:
    """Per month: won, trend, the weighted pipeline expected to close in it, its amount."""
    table = _table(None, [_("Month"), _("Won"), _("Trend"), _("Weighted pipeline"), _("Expected")])
    for m in fc.months:
        table.add_row(
            Text(month_name(m.month)),
            Text(whole(m.won)),
            Text(whole(m.trend)),
            Text(whole(m.weighted)),
            Text(whole(m.expected)),
            style="" if m.past else "bold",
        )
    return table


def forecast_notes(fc: Forecast) -> Text:
    """The trend per month and the weighted pipeline outside the months shown."""
    money = whole  # the currency is on the status line and in the chart's title
    text = Text()
    for i, (label, value) in enumerate(
        (
            (_("Trend per month"), fc.slope),
            (_("Weighted pipeline overdue"), fc.overdue_weighted),
            (_("with no close date"), fc.undated_weighted),
            (_("later"), fc.later_weighted),
        )
    ):
        if i:
            text.append("  ")
        text.append(f"{label}: ", style="bold")
        text.append(money(value))
    return text


# -- a chart that draws itself at its size -----------------------------------------------------


class Chart(PlotextPlot):
    """A plotext chart redrawn at every render by ``draw(plt, width)`` (set with
    ``show``), so that labels and ticks fit the width it has."""

    DEFAULT_CSS = """
    Chart { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._draw: Callable[[Any, int], None] | None = None

    def show(self, draw: Callable[[Any, int], None] | None) -> None:
        self._draw = draw
        self.display = draw is not None
        self.refresh()

    def render(self) -> RenderResult:
        if self._draw is None:
            return Text("")
        self._draw(self.plt, self.size.width)
        return super().render()


def label_width(chart_width: int) -> int:
    """Room for a stage's name left of the bars: a quarter of the chart, 6 to 14."""
    return max(6, min(14, chart_width // 4))


def bar_labels(names: Sequence[str], chart_width: int) -> list[str]:
    """Names cut to fit the chart, each still told apart from the others."""
    width = label_width(chart_width)
    labels: list[str] = []
    for name in names:
        label = short_label(name, width)
        while label in labels:  # plotext would merge two bars of one label
            label += " "
        labels.append(label)
    return labels


def chart_title(title: str, chart_width: int) -> str:
    """A title plotext shows: it leaves out one wider than the bars' room."""
    return short_label(title, max(8, chart_width - label_width(chart_width) - 4))


# -- the filter dialog ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """What the filter dialog offers, read when it opens."""

    users: tuple[UserOut, ...]
    departments: tuple[DepartmentOut, ...]
    pipelines: tuple[PipelineOut, ...]


class FunnelFilterDialog(FilterDialog[FunnelChoice]):
    """The period (typed: 2026-Q3, 2026-11, 2026, two days; empty: all time), the
    owner, the department, the pipeline and the currency of the funnel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", N_("Show"), priority=True, id="funnel.filter.apply"),
        Binding("escape", "cancel", N_("Cancel"), id="funnel.filter.cancel"),
    ]

    def __init__(
        self, choice: FunnelChoice, options: FilterOptions, currencies: Sequence[str]
    ) -> None:
        super().__init__()
        self.choice = choice
        self.options = options
        self.currencies = with_current(currencies, choice.currency)

    def compose(self) -> ComposeResult:
        c = self.choice
        with Vertical(classes="dialog"):
            yield Label(_("The funnel of"), classes="dialog-title")
            yield from self.period_rows(
                _("Created"),
                c.period,
                hint=_("2026-Q3, 2026-11, 2026 or 2026-01-01..2026-03-31; empty: all time"),
                widget_id="ff-period",
            )
            users = [(u.full_name or u.login, u.id) for u in self.options.users]
            yield self.row(
                _("Owner"),
                Select(
                    users,
                    value=c.owner_id
                    if c.owner_id in {u.id for u in self.options.users}
                    else Select.NULL,
                    prompt=_("everyone"),
                    compact=True,
                    id="ff-owner",
                ),
            )
            depts = [(d.path, d.id) for d in self.options.departments]
            yield self.row(
                _("Department"),
                Select(
                    depts,
                    value=c.department_id
                    if c.department_id in {d.id for d in self.options.departments}
                    else Select.NULL,
                    prompt=_("every department"),
                    compact=True,
                    id="ff-department",
                ),
            )
            pipes = [(p.name, p.id) for p in self.options.pipelines]
            yield self.row(
                _("Pipeline"),
                Select(
                    pipes,
                    value=c.pipeline_id
                    if c.pipeline_id in {p.id for p in self.options.pipelines}
                    else Select.NULL,
                    prompt=_("the default one"),
                    compact=True,
                    id="ff-pipeline",
                ),
            )
            yield self.currency_row(self.currencies, c.currency, widget_id="ff-currency")
            yield self.buttons(_("Show"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#ff-period", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        read, period = self.read_period("ff-period", empty_ok=True)
        if not read:
            return
        c = self.choice
        preset = "all" if period is None else c.preset
        if period is not None and period != c.period:
            preset = CUSTOM
        owner_id = self.selected("ff-owner")
        dept_id = self.selected("ff-department")
        users = {u.id: u.full_name or u.login for u in self.options.users}
        depts = {d.id: d.path for d in self.options.departments}
        self.dismiss(
            FunnelChoice(
                preset=preset,
                period=period,
                owner_id=owner_id,
                owner=users.get(owner_id, "") if owner_id is not None else "",
                department_id=dept_id,
                department=depts.get(dept_id, "") if dept_id is not None else "",
                pipeline_id=self.selected("ff-pipeline"),
                currency=self.selected("ff-currency"),
            )
        )
