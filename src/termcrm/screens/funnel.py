"""The Funnel section (key 6): the sales funnel and, with ``t``, the forecast.

The funnel: the totals (deals, open, won, lost, win rate, weighted pipeline), the table
of stages (reached, now, amount, weighted, conversion to the next stage and to won,
average days), two charts (the deals that reached each stage, the amounts in each
stage now) and the breakdowns by source, by type and by owner. The forecast: won per
month, its trend ahead and the weighted pipeline by expected close month (a chart and
the table of months). Every figure comes from ``services.funnel``: a rep sees their own
deals, a manager their department's.

``p`` goes through the periods (all time, this month, quarter, year, the last ones),
``f`` sets any period (typed as 2026-Q3), owner, department, pipeline and currency,
``c`` goes through the currencies when the deals have several. The filter stays while
the user visits other sections. ``S`` opens the pipeline settings.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Static

from termcrm import i18n
from termcrm.i18n import N_, _
from termcrm.screens.base import CrmScreen
from termcrm.screens.funnel_parts import (
    Chart,
    FilterOptions,
    FunnelChoice,
    FunnelFilterDialog,
    bar_labels,
    breakdowns,
    chart_title,
    compact,
    filter_line,
    forecast_notes,
    month_table,
    stage_table,
    totals,
)
from termcrm.services import funnel as funnel_service
from termcrm.services.funnel import Forecast, Funnel
from termcrm.services.funnel_charts import (
    PRESETS,
    chart_height,
    draw_bars,
    draw_forecast,
    forecast_series,
    funnel_bars,
)
from termcrm.widgets.top_bar import TopBar

FUNNEL, FORECAST = "funnel-view", "forecast-view"
MONTHS_BACK, MONTHS_AHEAD = 12, 6


class FunnelScreen(CrmScreen[None]):
    SECTION = "funnel"
    DEFAULT_CSS = """
    FunnelScreen #funnel-status { height: auto; max-height: 2; padding: 0 1; }
    FunnelScreen ContentSwitcher { height: 1fr; }
    FunnelScreen .funnel-page { height: 1fr; padding: 0 1; }
    FunnelScreen .funnel-page > Static { height: auto; margin-bottom: 1; }
    FunnelScreen #funnel-charts { height: 12; margin-bottom: 1; }
    FunnelScreen #chart-reached { margin-right: 1; }
    FunnelScreen #chart-forecast { height: 12; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch_view", N_("Forecast/funnel"), id="funnel.view"),
        Binding("p", "period", N_("Period"), id="funnel.period"),
        Binding("f", "filter", N_("Filter"), id="funnel.filter"),
        Binding("c", "currency", N_("Currency"), id="funnel.currency"),
        Binding("S", "pipelines", N_("Pipelines"), id="funnel.pipelines"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="funnel.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choice = FunnelChoice()
        self.view = FUNNEL
        self.funnel: Funnel | None = None
        self.forecast: Forecast | None = None
        self._generation = 0

    # -- who and when ----------------------------------------------------------------------

    @property
    def actor_role(self) -> str:
        connection = self.crm.connection
        return connection.actor.role if connection is not None else "rep"

    @property
    def today(self) -> date:
        return self.crm.now().astimezone(i18n.zone()).date()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        yield Static("", id="funnel-status")
        with ContentSwitcher(initial=self.view):
            with VerticalScroll(id=FUNNEL, classes="funnel-page"):
                yield Static(Text(_("Loading…"), style="dim"), id="funnel-totals")
                yield Static("", id="stage-table")
                with Horizontal(id="funnel-charts"):
                    yield Chart(id="chart-reached")
                    yield Chart(id="chart-amount")
                yield Static("", id="breakdowns")
            with VerticalScroll(id=FORECAST, classes="funnel-page"):
                yield Chart(id="chart-forecast")
                yield Static("", id="forecast-notes")
                yield Static("", id="month-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        state = self.crm.carried.pop(self.SECTION or "", None)
        if state:
            self.take(state)
        self.query_one(ContentSwitcher).current = self.view
        self.query_one(f"#{self.view}").focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top():  # deals may have moved meanwhile
            self.load()

    def carry(self) -> dict[str, Any]:
        """What a rebuild (a language switch) keeps: the filter and the view."""
        return {"choice": self.choice, "view": self.view}

    def take(self, state: dict[str, Any]) -> None:
        self.choice = state.get("choice", self.choice)
        self.view = state.get("view", self.view)

    def on_resize(self, event: events.Resize) -> None:
        self._show()

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        flt = self.choice.service_filter()
        today = self.crm.now().date()  # the forecast's months are UTC months

        def read(s: Any, actor: Any) -> tuple[Funnel, Forecast]:
            return (
                funnel_service.funnel(s, actor, flt),
                funnel_service.forecast(
                    s, actor, flt, months_back=MONTHS_BACK, months_ahead=MONTHS_AHEAD, today=today
                ),
            )

        def arrived(found: tuple[Funnel, Forecast]) -> None:
            if generation == self._generation:
                self.funnel, self.forecast = found
                self._show()

        self.call(read, arrived, group="funnel")

    # -- showing ---------------------------------------------------------------------------

    def _show(self) -> None:
        self._show_status()
        if self.funnel is None or self.forecast is None:
            return
        width = self.size.width - 2
        self._show_funnel(self.funnel, width)
        self._show_forecast(self.forecast, width)

    def _tabs(self) -> list[tuple[str, str]]:
        funnel, forecast = _("Funnel"), _("Forecast")  # (outside f-strings: babel finds them)
        return [(FUNNEL, f" {funnel} "), (FORECAST, f" {forecast} ")]

    def _show_status(self) -> None:
        line = Text()
        for view, name in self._tabs():
            line.append(name, style="bold reverse" if view == self.view else "dim")
        line.append("  ")
        line.append_text(filter_line(self.choice, self.funnel, rep=self.actor_role == "rep"))
        self.query_one("#funnel-status", Static).update(line)

    def _show_funnel(self, f: Funnel, width: int) -> None:
        charts = self.query_one("#funnel-charts", Horizontal)
        if not f.deals:
            self.query_one("#funnel-totals", Static).update(
                Text(_("No deals here yet: nothing to count."), style="dim")
            )
            self.query_one("#stage-table", Static).update("")
            self.query_one("#breakdowns", Static).update("")
            charts.display = False
            return
        self.query_one("#funnel-totals", Static).update(totals(f))
        self.query_one("#stage-table", Static).update(stage_table(f, width))
        self.query_one("#breakdowns", Static).update(breakdowns(f, width))
        bars = funnel_bars(f)
        charts.display = True
        charts.styles.height = chart_height(len(bars))
        names = [b.stage for b in bars]
        reached = [float(b.reached) for b in bars]
        amounts = [b.amount for b in bars]

        reached_title = _("Deals that reached each stage")
        amount_title = _("Amount in each stage now, {currency}").format(currency=f.currency)

        def draw_reached(plt: Any, chart_width: int) -> None:
            labels = bar_labels(names, chart_width)
            title = chart_title(reached_title, chart_width)
            draw_bars(plt, labels, reached, title=title, ticks=compact)

        def draw_amount(plt: Any, chart_width: int) -> None:
            labels = bar_labels(names, chart_width)
            title = chart_title(amount_title, chart_width)
            draw_bars(plt, labels, amounts, title=title, ticks=compact)

        self.query_one("#chart-reached", Chart).show(draw_reached)
        self.query_one("#chart-amount", Chart).show(draw_amount)

    def _show_forecast(self, fc: Forecast, width: int) -> None:
        chart = self.query_one("#chart-forecast", Chart)
        if not fc.months:
            chart.show(None)
            self.query_one("#forecast-notes", Static).update(
                Text(_("No deals here yet: nothing to forecast."), style="dim")
            )
            self.query_one("#month-table", Static).update("")
            return
        series = forecast_series(fc)
        chart.styles.height = max(10, (self.size.height - 6) // 2)

        def draw(plt: Any, chart_width: int) -> None:
            draw_forecast(
                plt,
                series,
                title=_("Won per month, trend and weighted pipeline, {currency}").format(
                    currency=fc.currency or "—"
                ),
                bars=True,
                max_ticks=max(3, chart_width // 14),
                ticks=compact,
            )

        chart.show(draw)
        self.query_one("#forecast-notes", Static).update(forecast_notes(fc))
        self.query_one("#month-table", Static).update(month_table(fc))

    # -- actions ---------------------------------------------------------------------------

    def _set(self, choice: FunnelChoice) -> None:
        self.choice = choice
        self._show_status()
        self.load()

    def action_switch_view(self) -> None:
        self.view = FORECAST if self.view == FUNNEL else FUNNEL
        self.query_one(ContentSwitcher).current = self.view
        self.query_one(f"#{self.view}").focus()
        self._show_status()

    def on_click(self, event: events.Click) -> None:
        """A click on a view's name on the status line shows that view (the tabs)."""
        status = self.query_one("#funnel-status", Static)
        if event.widget is not status:
            return
        offset = event.get_content_offset(status)
        if offset is None or offset.y != 0:
            return
        x = 0
        for view, name in self._tabs():
            x += cell_len(name)
            if offset.x < x:
                if view != self.view:
                    self.action_switch_view()
                return

    def action_period(self) -> None:
        keys = [key for key, _label in PRESETS]
        current = keys.index(self.choice.preset) if self.choice.preset in keys else 0
        self._set(self.choice.with_preset(keys[(current + 1) % len(keys)], self.today))

    def action_currency(self) -> None:
        """The next currency the deals are in (the funnel is of one currency at a time)."""
        if self.funnel is None or len(self.funnel.currencies) < 2:
            self.notify(_("All these deals are in one currency."), markup=False)
            return
        codes = [c.currency for c in self.funnel.currencies]
        now = self.funnel.currency
        following = codes[(codes.index(now) + 1) % len(codes)] if now in codes else codes[0]
        self._set(replace(self.choice, currency=following))

    def action_filter(self) -> None:
        from termcrm.services import org, pipelines

        def read(s: Any, actor: Any) -> FilterOptions:
            return FilterOptions(
                users=tuple(org.users_in_reach(s, actor)),
                departments=tuple(org.list_departments(s)),
                pipelines=tuple(pipelines.list_pipelines(s, actor)),
            )

        def chosen(choice: FunnelChoice | None) -> None:
            if choice is not None:
                self._set(choice)

        def arrived(options: FilterOptions) -> None:
            currencies = [c.currency for c in self.funnel.currencies] if self.funnel else []
            self.app.push_screen(FunnelFilterDialog(self.choice, options, currencies), chosen)

        # a write: the default pipeline is made on a fresh database
        self.call(read, arrived, write=True)

    def action_pipelines(self) -> None:
        from termcrm.screens.pipelines import PipelineSettings

        self.app.push_screen(PipelineSettings())

    def action_reload(self) -> None:
        self.load()
