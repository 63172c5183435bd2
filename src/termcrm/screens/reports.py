"""The Reports section (key 8): every report of ``reports.registry`` on screen.

The list of reports comes first: Enter runs the one under the cursor (the client report
asks for its client first). A report shows its heading, its tables (Rich tables, in
pieces when too wide, the first rows of a long one), each chart after its table (drawn
with plotext on the widget) and its notes. ``p`` goes through the periods (this month,
quarter, year, the last ones), ``f`` sets any period (typed as 2026-Q3), whose data (me,
everything, a user, a department: what the user may pick), the unit of the reports over
time and the currency; ``u`` goes through the units, ``c`` through the currencies when
the facts have several; ``x`` writes the report to an xlsx workbook; ``r`` goes back to
the list. The report runs in a worker (the status line says "running…"); a refusal
shows its reason in place of the report. What is chosen stays while the user visits
other sections.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import ContentSwitcher, Footer, OptionList, Static
from textual.widgets.option_list import Option

from termcrm import i18n
from termcrm.i18n import N_, _
from termcrm.reports.charts import chart_data, draw_chart
from termcrm.reports.model import Report, Scope
from termcrm.reports.registry import REPORTS
from termcrm.screens.base import CrmScreen
from termcrm.screens.export_dialog import shown_path
from termcrm.screens.funnel_parts import Chart, compact
from termcrm.screens.report_parts import (
    REPORT_PRESETS,
    UNITS,
    ExportReportDialog,
    ReportChoice,
    ReportParamsDialog,
    notes,
    status_line,
    table_view,
)
from termcrm.widgets.top_bar import TopBar

MENU, VIEW = "report-menu", "report-view"


class ReportMenu(OptionList):
    """The reports, by their titles (and command names)."""


class ReportsScreen(CrmScreen[None]):
    SECTION = "reports"
    DEFAULT_CSS = """
    ReportsScreen #reports-status { height: auto; max-height: 2; padding: 0 1; }
    ReportsScreen ContentSwitcher { height: 1fr; }
    ReportsScreen #report-menu { height: 1fr; border: none; padding: 0 1; }
    ReportsScreen #report-view { height: 1fr; padding: 0 1; }
    ReportsScreen #report-view > Static { height: auto; margin-bottom: 1; }
    ReportsScreen #report-view > Chart { margin-bottom: 1; }
    ReportsScreen #report-view > .report-error { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "menu", N_("Reports"), id="reports.menu"),
        Binding("p", "period", N_("Period"), id="reports.period"),
        Binding("f", "params", N_("Parameters"), id="reports.params"),
        Binding("u", "unit", N_("Unit"), id="reports.unit"),
        Binding("c", "currency", N_("Currency"), id="reports.currency"),
        Binding("x", "export", N_("Export"), id="reports.export"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="reports.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choice = ReportChoice()
        self.view = MENU
        self.report: Report | None = None
        self.currencies: list[str] = []
        self.error: str | None = None
        self.running = False
        self._tables: list[tuple[Static, Any]] = []  # (its widget, the report's table)

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
        yield Static("", id="reports-status")
        with ContentSwitcher(initial=self.view):
            yield ReportMenu(
                *[
                    Option(self._menu_line(name, spec.title, spec.needs_client), id=name)
                    for name, spec in REPORTS.items()
                ],
                id=MENU,
            )
            yield VerticalScroll(id=VIEW)
        yield Footer(compact=True)

    @staticmethod
    def _menu_line(name: str, title: str, needs_client: bool) -> Text:
        line = Text(_(title), style="bold")
        line.append(f"  {name}", style="dim")
        if needs_client:
            line.append("  " + _("(asks for the client)"), style="dim italic")
        return line

    def on_mount(self) -> None:
        state = self.crm.carried.pop(self.SECTION or "", None)
        if state:
            self.take(state)
        elif self.actor_role == "rep":
            self.choice = replace(self.choice, scope=Scope("me"))
        menu = self.query_one(ReportMenu)
        if self.choice.name in REPORTS:
            menu.highlighted = list(REPORTS).index(self.choice.name)
        else:
            menu.highlighted = 0
        self._switch(self.view)
        self._show_status()
        if self.view == VIEW and self.choice.name is not None:
            self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top() and self.view == VIEW and self.report is not None:
            self.load()  # the facts may have changed meanwhile

    def carry(self) -> dict[str, Any]:
        """What a rebuild (a language switch) keeps: the report, its parameters, the view."""
        return {"choice": self.choice, "view": self.view}

    def take(self, state: dict[str, Any]) -> None:
        self.choice = state.get("choice", self.choice)
        self.view = state.get("view", self.view)

    def on_resize(self, event: events.Resize) -> None:
        self._show_tables()

    def _switch(self, view: str) -> None:
        self.view = view
        self.query_one(ContentSwitcher).current = view
        self.query_one(f"#{view}").focus()

    # -- running ---------------------------------------------------------------------------

    def load(self) -> None:
        """Run the chosen report (in a worker; only the latest run reports back)."""
        choice = self.choice
        if choice.name is None:
            return
        if choice.needs_client and choice.client_id is None:
            self.action_params()
            return
        params = choice.params(self.today)
        name = choice.name

        def read(s: Any, actor: Any) -> tuple[Report, list[str]]:
            from termcrm.reports import choices, registry

            report = registry.run(s, actor, name, params)
            return report, choices.currencies(s, actor, params)

        def arrived(found: tuple[Report, list[str]]) -> None:
            self.running = False
            self.report, self.currencies = found
            self.error = None
            self.call_later(self._show_report)

        def failed(error: Exception) -> bool:
            from termcrm.widgets.dialogs import describe_error

            self.running = False
            if not type(error).__module__.startswith("termcrm") and not isinstance(
                error, ImportError
            ):
                self._show_status()
                return False  # a bug: the app's error dialog (and the log)
            self.report = None
            self.error = describe_error(error)
            self.call_later(self._show_report)
            return True

        self.running = True
        self._show_status()
        if self.view != VIEW:
            self._switch(VIEW)
        if self.report is None or self.report.name != name:
            self.call_later(self._show_running)  # not the last figures of another report
        self.call(read, arrived, failed=failed, group="reports")

    async def _show_running(self) -> None:
        if not self.running:
            return
        view = self.query_one(f"#{VIEW}", VerticalScroll)
        await view.remove_children()
        self._tables = []
        await view.mount(Static(Text(_("Running the report…"), style="dim")))

    # -- showing ---------------------------------------------------------------------------

    def _show_status(self) -> None:
        line = status_line(
            self.choice, self.today, self.report, self.currencies, running=self.running
        )
        if self.view == MENU and self.choice.name is None:
            line = Text(_("Choose a report: Enter runs it."), style="dim")
        self.query_one("#reports-status", Static).update(line)

    @property
    def _width(self) -> int:
        return max(40, self.size.width - 4)  # the padding and the scroll bar

    async def _show_report(self) -> None:
        self._show_status()
        view = self.query_one(f"#{VIEW}", VerticalScroll)
        await view.remove_children()
        self._tables = []
        if self.error is not None:
            await view.mount(Static(self.error, classes="report-error", markup=False))
            return
        report = self.report
        if report is None:
            return
        widgets: list[Any] = []
        width = self._width
        for table in report.tables:
            static = Static(table_view(table, width))
            self._tables.append((static, table))
            widgets.append(static)
            for spec in report.charts:
                if spec.table != table.key:
                    continue
                data = chart_data(report, spec)
                if data is None:
                    continue
                chart = Chart()
                chart.styles.height = data.height()

                def draw(plt: Any, chart_width: int, data: Any = data) -> None:
                    draw_chart(plt, data, chart_width, ticks=compact)

                chart.show(draw)
                widgets.append(chart)
        if report.notes:
            widgets.append(Static(notes(report)))
        await view.mount_all(widgets)
        view.scroll_home(animate=False)

    def _show_tables(self) -> None:
        width = self._width
        for static, table in self._tables:
            static.update(table_view(table, width))

    # -- actions ---------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = event.option.id
        if name is None or name not in REPORTS:
            return
        chosen = self.choice.with_report(name)
        if name != self.choice.name:
            self.report = None
        self.choice = chosen
        self.load()

    def _set(self, choice: ReportChoice) -> None:
        self.choice = choice
        self._show_status()
        if choice.name is not None:
            self.load()

    def _chosen(self) -> bool:
        if self.choice.name is None:
            self.notify(_("Choose a report first: Enter on the list runs it."), markup=False)
            return False
        return True

    def action_menu(self) -> None:
        self._switch(MENU)
        self._show_status()

    def action_period(self) -> None:
        keys = list(REPORT_PRESETS)
        current = keys.index(self.choice.preset) if self.choice.preset in keys else -1
        self._set(self.choice.with_preset(keys[(current + 1) % len(keys)]))

    def action_unit(self) -> None:
        if not self._chosen():
            return
        unit = self.choice.unit_on(self.today)
        if unit is None:
            self.notify(_("This report has no unit: it is not over time."), markup=False)
            return
        self._set(replace(self.choice, unit=UNITS[(UNITS.index(unit) + 1) % len(UNITS)]))

    def action_currency(self) -> None:
        """The next currency the facts are in (a report is of one currency at a time)."""
        if not self._chosen():
            return
        if len(self.currencies) < 2:
            self.notify(_("All these figures are in one currency."), markup=False)
            return
        now = self.report.currency if self.report is not None else self.choice.currency
        codes = self.currencies
        following = codes[(codes.index(now) + 1) % len(codes)] if now in codes else codes[0]
        self._set(replace(self.choice, currency=following))

    def action_params(self) -> None:
        if self.choice.name is None:
            self.choice = self.choice.with_report(self._highlighted())
        choice, today = self.choice, self.today
        params = choice.params(today)

        def read(s: Any, actor: Any) -> tuple[Any, list[str]]:
            from termcrm.reports import choices

            return (
                choices.scope_choices(s, actor),
                choices.currencies(s, actor, params),
            )

        def chosen(new: ReportChoice | None) -> None:
            if new is not None:
                self._set(new)
            else:
                self._show_status()

        def arrived(found: tuple[Any, list[str]]) -> None:
            scopes, currencies = found
            self.app.push_screen(ReportParamsDialog(choice, today, scopes, currencies), chosen)

        self.call(read, arrived)

    def _highlighted(self) -> str:
        menu = self.query_one(ReportMenu)
        index = menu.highlighted if menu.highlighted is not None else 0
        return list(REPORTS)[index]

    def action_export(self) -> None:
        if not self._chosen():
            return
        if self.report is None or self.running or self.report.name != self.choice.name:
            self.notify(_("Run the report first: there is nothing to export yet."), markup=False)
            return

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(
                    _("The report is written to {path}").format(path=shown_path(path)),
                    title=_("Export"),
                    markup=False,
                )

        self.app.push_screen(ExportReportDialog(self.report), written)

    def action_reload(self) -> None:
        if self.choice.name is not None:
            self.load()
