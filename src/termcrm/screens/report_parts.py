"""The pieces of the reports screen: what it runs (``ReportChoice``), how it shows a
report (its tables as Rich tables, its charts drawn on ``PlotextPlot`` widgets), and
its dialogs (the report's parameters, the export to xlsx).

Cells are formatted by ``reports.render_text`` (as ``termcrm report`` prints them); the
charts draw the same series as its ``chart_text``, on the widget's own figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich import box
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from termcrm.i18n import N_, _, fmt_number, ngettext
from termcrm.reports.choices import ScopeChoices
from termcrm.reports.model import Params, Report, Scope, Table
from termcrm.reports.registry import REPORTS
from termcrm.reports.render_text import NUMERIC, column_chunks, table_cells
from termcrm.screens.base import CrmModal
from termcrm.screens.export_dialog import shown_path, typed_path
from termcrm.services.errors import Invalid
from termcrm.services.funnel_charts import (
    PRESETS,
    period_text,
    preset_label,
    preset_period,
)
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.filter_dialog import FilterDialog, with_current

CUSTOM = "custom"  # a period typed in the dialog (not one of the presets)
# the presets a report may have: every one but "all time" (a report covers a period)
REPORT_PRESETS = tuple(key for key, _label in PRESETS if key != "all")
DEFAULT_PRESET = "this_month"  # as ``termcrm report`` without --period
UNITS = ("year", "quarter", "month")
UNIT_NAMES = {"year": N_("by year"), "quarter": N_("by quarter"), "month": N_("by month")}
MAX_ROWS = 200  # rows a table shows on screen; all of them go to the xlsx
LABEL_WIDTH = 20  # a chart's category labels are cut to this many characters


# -- what is run ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportChoice:
    """The report the screen runs and its parameters, with the names the status line shows."""

    name: str | None = None  # a key of REPORTS; None: not chosen yet
    preset: str = DEFAULT_PRESET  # a key of PRESETS, or CUSTOM
    period: tuple[date, date] | None = None  # None: the preset's, seen from today
    scope: Scope = field(default_factory=Scope)  # everything the actor may see
    unit: str | None = None  # None: the report's own default
    currency: str | None = None  # None: the most common one
    client_id: int | None = None  # the client report's client
    client: str = ""

    def span(self, today: date) -> tuple[date, date]:
        if self.period is not None:
            return self.period
        days = preset_period(self.preset, today)
        assert days is not None  # "all" is not a report's preset
        return days

    @property
    def takes_unit(self) -> bool:
        spec = REPORTS.get(self.name or "")
        return spec is not None and spec.by

    def unit_on(self, today: date) -> str | None:
        """The unit the report runs by: the one chosen, else the report's own for the
        period (``Spec.default_unit``); None for a report not over time."""
        if not self.takes_unit:
            return None
        assert self.name is not None
        return self.unit or REPORTS[self.name].default_unit(self.span(today))

    @property
    def needs_client(self) -> bool:
        return self.name is not None and REPORTS[self.name].needs_client

    def params(self, today: date) -> Params:
        options: list[tuple[str, Any]] = []
        unit = self.unit_on(today)
        if unit is not None:
            options.append(("by", unit))
        if self.needs_client and self.client_id is not None:
            options.append(("client_id", self.client_id))
        return Params(
            self.span(today), self.scope, self.currency, today=today, options=tuple(options)
        )

    def with_preset(self, key: str) -> ReportChoice:
        return replace(self, preset=key, period=None)

    def with_report(self, name: str) -> ReportChoice:
        """Another report: the period, scope and currency stay; the unit is the report's."""
        return replace(self, name=name, unit=None)


def report_title(name: str) -> str:
    return _(REPORTS[name].title)


def period_words(choice: ReportChoice, today: date) -> str:
    """``This month (2026-02)`` or the typed ``2026-01-05..2026-02-10``."""
    span = period_text(*choice.span(today))
    if choice.preset == CUSTOM:
        return span
    return _("{period} ({dates})").format(period=preset_label(choice.preset), dates=span)


def status_line(
    choice: ReportChoice,
    today: date,
    report: Report | None,
    currencies: Sequence[str],
    *,
    running: bool,
) -> Text:
    """Report · period · whose · unit · currency (the others: ``c``) · running…"""
    dim = "dim"
    parts: list[Text] = []
    if choice.name is not None:
        parts.append(Text(report_title(choice.name), style="bold"))
        if choice.needs_client:
            parts.append(Text(choice.client or _("no client chosen: f")))
    parts.append(Text(period_words(choice, today)))
    if report is not None and report.name == choice.name:
        parts.append(Text(report.scope))
    unit = choice.unit_on(today)
    if unit is not None:
        parts.append(Text(_(UNIT_NAMES[unit])))
    code = report.currency if report is not None else choice.currency
    if code:
        money = Text(code, style="bold")
        others = [c for c in currencies if c != code]
        if others:
            money.append(" " + _("(also {others}: c)").format(others=", ".join(others)), style=dim)
        parts.append(money)
    if running:
        parts.append(Text(_("running…"), style="italic"))
    line = Text()
    for i, part in enumerate(parts):
        if i:
            line.append(" · ", style=dim)
        line.append_text(part)
    return line


# -- the tables ----------------------------------------------------------------------------------


def more_rows(hidden: int) -> str:
    return ngettext(
        "… and {count} more row: all of them are in the xlsx export (x).",
        "… and {count} more rows: all of them are in the xlsx export (x).",
        hidden,
    ).format(count=fmt_number(hidden))


def table_view(table: Table, width: int, limit: int = MAX_ROWS) -> RenderableType:
    """A report's table as Rich tables: its title, its columns in pieces that fit
    ``width`` (each with the first column), the totals row in bold under a rule, and
    past ``limit`` rows a line saying how many more there are."""
    hidden = max(0, len(table.rows) - limit)
    shown = replace(table, rows=table.rows[:limit]) if hidden else table
    cells = table_cells(shown)
    parts: list[RenderableType] = []
    for n, indexes in enumerate(column_chunks(shown, cells, width)):
        title = _(table.title) if not n else _("{title} (continued)").format(title=_(table.title))
        rich = RichTable(
            title=Text(title, style="bold"),
            title_justify="left",
            header_style="bold",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        for i in indexes:
            column = shown.columns[i]
            numeric = column.kind in NUMERIC
            body = max((cell_len(row[i]) for row in cells), default=0)
            rich.add_column(
                Text(column.heading()),
                justify="right" if numeric else "left",
                overflow="fold",
                # figures and dates never wrap; a long heading wraps over their width
                min_width=body if numeric or column.kind in ("date", "month") else min(body, 12),
            )
        for r, row in enumerate(cells):
            is_total = shown.total is not None and r == len(cells) - 1
            rich.add_row(
                *[Text(row[i]) for i in indexes],
                style="bold" if is_total else None,
                end_section=shown.total is not None and r == len(cells) - 2,
            )
        if not cells:
            rich.add_row(Text(_("(nothing)"), style="dim"), *[""] * (len(indexes) - 1))
        if n:
            parts.append(Text(""))
        parts.append(rich)
    if hidden:
        parts.append(Text(more_rows(hidden), style="italic dim"))
    return Group(*parts)


def notes(report: Report) -> Text:
    text = Text()
    for i, note in enumerate(report.notes):
        if i:
            text.append("\n")
        text.append(f"* {note}", style="italic")
    return text


# -- the charts ----------------------------------------------------------------------------------


# -- the parameters dialog -----------------------------------------------------------------------


def scope_options(choices: ScopeChoices, *, me: str, everyone: str) -> list[tuple[str, str]]:
    """The scope select's options: (label, "me" | "all" | "user:ID" | "department:ID")."""
    options = [(me, "me")]
    if choices.everyone:
        options.append((everyone, "all"))
    options += [
        (_("clients of {name}").format(name=u.full_name or u.login), f"user:{u.id}")
        for u in choices.users
    ]
    options += [
        (_("department {name}").format(name=d.path), f"department:{d.id}")
        for d in choices.departments
    ]
    return options


def scope_value(scope: Scope) -> str:
    if scope.kind == "user":
        return f"user:{scope.user_id}"
    if scope.kind == "department":
        return f"department:{scope.department_id}"
    return scope.kind


def scope_of(value: str) -> Scope:
    kind, _sep, ident = value.partition(":")
    if kind == "user":
        return Scope("user", user_id=int(ident))
    if kind == "department":
        return Scope("department", department_id=int(ident))
    return Scope("me") if kind == "me" else Scope("all")


class ReportParamsDialog(FilterDialog[ReportChoice]):
    """The report's parameters: the period (typed: 2026-Q3, 2026-11, 2026, two days),
    whose data (me, everything, a user, a department: what the actor may pick), the unit
    for the reports over time, the currency, and the client of the client report."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", N_("Run"), priority=True, id="reports.params.apply"),
        Binding("escape", "cancel", N_("Cancel"), id="reports.params.cancel"),
    ]

    def __init__(
        self,
        choice: ReportChoice,
        today: date,
        scopes: ScopeChoices,
        currencies: Sequence[str],
    ) -> None:
        super().__init__()
        self.choice = choice
        self.today = today
        self.scopes = scopes
        self.currencies = with_current(currencies, choice.currency)

    def compose(self) -> ComposeResult:
        c = self.choice
        title = report_title(c.name) if c.name else _("Report")
        with Vertical(classes="dialog"):
            yield Label(title, classes="dialog-title", markup=False)
            if c.needs_client:
                yield self.row(
                    _("Client"),
                    ClientPicker(c.client_id, c.client, id="rp-client"),
                )
                yield self.error_line("rp-client-error")
            yield from self.period_rows(
                _("Period"),
                c.span(self.today),
                hint=_("2026-Q3, 2026-11, 2026 or 2026-01-01..2026-03-31"),
                widget_id="rp-period",
            )
            options = scope_options(
                self.scopes, me=_("my clients"), everyone=_("everything I may see")
            )
            value = scope_value(c.scope)
            yield self.row(
                _("Whose"),
                Select(
                    options,
                    value=value if value in {v for _l, v in options} else "me",
                    allow_blank=False,
                    compact=True,
                    id="rp-scope",
                ),
            )
            if c.takes_unit:
                yield self.row(
                    _("Unit"),
                    Select(
                        [(_(UNIT_NAMES[u]), u) for u in UNITS],
                        value=c.unit_on(self.today) or UNITS[0],
                        allow_blank=False,
                        compact=True,
                        id="rp-unit",
                    ),
                )
            yield self.currency_row(self.currencies, c.currency, widget_id="rp-currency")
            yield self.buttons(_("Run"))

    def on_mount(self) -> None:
        super().on_mount()
        if self.choice.needs_client and self.choice.client_id is None:
            self.query_one("#rp-client", ClientPicker).focus()
        else:
            self.query_one("#rp-period", Input).focus()

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        self.show_error("rp-client-error", None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "rp-period":
            self.action_apply()

    def action_apply(self) -> None:
        c = self.choice
        client_id, client = c.client_id, c.client
        if c.needs_client:
            picker = self.query_one("#rp-client", ClientPicker)
            client_id, client = picker.client_id, picker.client_name
            if client_id is None:
                self.show_error("rp-client-error", _("Choose the client the report is about."))
                picker.focus()
                return
        read, period = self.read_period("rp-period")
        if not read:
            return
        preset, span = c.preset, c.period
        if period != c.span(self.today):
            preset, span = CUSTOM, period
        unit = c.unit
        if c.takes_unit:
            picked = str(self.query_one("#rp-unit", Select).value)
            # left as it was shown (the report's own pick): keep following the period
            if c.unit is not None or picked != c.unit_on(self.today):
                unit = picked
        currency = self.selected("rp-currency")
        self.dismiss(
            replace(
                c,
                preset=preset,
                period=span,
                scope=scope_of(str(self.query_one("#rp-scope", Select).value)),
                unit=unit,
                currency=currency,
                client_id=client_id,
                client=client,
            )
        )


# -- the export dialog ---------------------------------------------------------------------------


def default_file(report: Report) -> str:
    """``report-sales-dynamics-2026-Q1.xlsx``: in the folder termcrm was started in."""
    return f"report-{report.name}-{period_text(*report.period)}.xlsx"


def export_target(text: str) -> Path:
    """The file an export goes to, or Invalid {"path": why}."""
    if not text.strip():
        raise Invalid({"path": _("Give the name of the file to write.")})
    path = typed_path(text)
    if path.is_dir():
        raise Invalid({"path": _("{path} is a folder; give a file name.").format(path=text)})
    if path.suffix.lower() != ".xlsx":
        raise Invalid(
            {
                "path": _("The file name should end in .{format}, the format chosen.").format(
                    format="xlsx"
                )
            }
        )
    if not path.parent.is_dir():
        raise Invalid(
            {"path": _("There is no folder {folder}.").format(folder=shown_path(path.parent))}
        )
    return path


class ExportReportDialog(CrmModal[Path | None]):
    """The report shown, to an xlsx workbook (its tables and native charts); a file name
    offered in the folder termcrm was started in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", N_("Export"), priority=True, id="reports.export.run"),
        Binding("escape", "cancel", N_("Cancel"), id="reports.export.cancel"),
    ]
    DEFAULT_CSS = """
    ExportReportDialog .rp-row { height: auto; }
    ExportReportDialog .rp-label { width: 8; color: $text-muted; }
    ExportReportDialog .rp-row Input { width: 1fr; background: $boost; }
    ExportReportDialog .rp-error { color: $error; height: auto; padding: 0 0 0 8; }
    ExportReportDialog .rp-error.-empty { display: none; }
    ExportReportDialog .dialog-buttons { padding: 1 0 0 0; }
    """

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report
        self._writing = False  # a workbook is being written: the keys wait

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Export the report to Excel"), classes="dialog-title")
            yield Static(_(self.report.title), classes="dialog-body", markup=False)
            with Horizontal(classes="rp-row"):
                yield Label(_("File"), classes="rp-label")
                yield Input(default_file(self.report), compact=True, id="rp-path")
            yield Static("", id="rp-path-error", classes="rp-error -empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), variant="primary", compact=True, id="run")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#rp-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "run":
            self.action_export()
        else:
            self.dismiss(None)

    def _show_error(self, message: str | None) -> None:
        line = self.query_one("#rp-path-error", Static)
        line.update(message or "")
        line.set_class(not message, "-empty")

    def action_export(self) -> None:
        try:
            path = export_target(self.query_one("#rp-path", Input).value)
        except Invalid as refused:
            self._show_error(refused.errors["path"])
            return
        self._show_error(None)
        if path.exists():
            self.confirm(
                _("{path} exists. Replace it?").format(path=shown_path(path)),
                lambda: self._write(path),
                yes=_("Replace"),
                no=_("Cancel"),
            )
        else:
            self._write(path)

    def _write(self, path: Path) -> None:
        """Write the workbook in a thread (a report may hold tens of thousands of rows):
        the dialog closes once it is written, or shows why it was not."""
        from termcrm.exchange.errors import FileRefused
        from termcrm.reports.render_files import write_report

        if self._writing:
            return
        self._writing = True
        self._show_error(_("Writing…"))
        report = self.report

        def job() -> None:
            problem: str | None = None
            try:
                write_report(report, "xlsx", path)
            except FileRefused as refused:
                problem = str(refused)
            except OSError as error:
                problem = _("Cannot write the file: {reason}").format(
                    reason=error.strerror or error
                )
            self.app.call_from_thread(self._written, path, problem)

        self.run_worker(job, thread=True, exit_on_error=False, group="report-export")

    def _written(self, path: Path, problem: str | None) -> None:
        self._writing = False
        if problem is not None:
            self._show_error(problem)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
