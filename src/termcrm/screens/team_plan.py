"""The plan of the department (key ``P``): per rep, or per department, how the tasks of a
period went: planned, done, % done, overdue, done late, cancelled, and a total line.

A manager sees the reps of their department and the departments below it; a director
or an admin sees every department (``b`` switches to one line per rep and back). A rep
sees their own line only: the service applies the access rule. The period is this
week, this month, last month or this quarter (``p`` goes through them), or any range
of days (``c``); ``[`` and ``]`` move it back and forward. Enter on a rep opens their
planner; on a department, its reps.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, ClassVar

from babel import Locale
from babel import dates as babel_dates
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.strip import Strip
from textual.widgets import Button, Footer, Input, Label, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_date, fmt_number, parse_local_date
from termcrm.screens.base import CrmScreen
from termcrm.services import planner
from termcrm.services.planner import PlanRow, Who
from termcrm.widgets.dialogs import Dialog
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

# what ``p`` goes through: (kind, how many periods back from the current one)
PRESETS = (("week", 0), ("month", 0), ("month", -1), ("quarter", 0))
BY_USER, BY_DEPARTMENT = "user", "department"


# -- periods -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # week | month | quarter | custom
    first: date
    last: date


def _babel() -> Locale:
    return Locale.parse(i18n.BABEL_LOCALES[i18n.current()])


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def period_of(kind: str, today: date) -> Period:
    """The week (from the locale's first day of the week), month or quarter of ``today``."""
    if kind == "week":
        first = today - timedelta(days=(today.weekday() - _babel().first_week_day) % 7)
        return Period("week", first, first + timedelta(days=6))
    if kind == "month":
        first = today.replace(day=1)
        return Period("month", first, _month_end(first))
    if kind == "quarter":
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", first, _month_end(_add_months(first, 2)))
    raise ValueError(f"no such period: {kind}")


def shifted(period: Period, step: int) -> Period:
    """The period ``step`` periods later (earlier when negative), of the same length."""
    if period.kind == "week":
        delta = timedelta(days=7 * step)
        return replace(period, first=period.first + delta, last=period.last + delta)
    if period.kind in ("month", "quarter"):
        months = step * (3 if period.kind == "quarter" else 1)
        first = _add_months(period.first, months)
        last = _month_end(_add_months(period.last, months))
        return Period(period.kind, first, last)
    delta = timedelta(days=((period.last - period.first).days + 1) * step)
    return replace(period, first=period.first + delta, last=period.last + delta)


def preset(index: int, today: date) -> Period:
    kind, step = PRESETS[index % len(PRESETS)]
    return shifted(period_of(kind, today), step)


def span_text(first: date, last: date) -> str:
    """``Nov 23 – 29, 2026`` in the interface language."""
    if first == last:
        return babel_dates.format_date(first, format="medium", locale=_babel())
    return str(babel_dates.format_interval(first, last, "yMMMd", locale=_babel()))


def period_title(period: Period, today: date) -> str:
    """``This week (Nov 23 – 29, 2026)``, ``Last month (October 2026)``, ``Q3 2026``."""
    if period.kind == "custom":
        return span_text(period.first, period.last)
    if period.kind == "week":
        name = span_text(period.first, period.last)
        this, last = _("This week"), _("Last week")
    elif period.kind == "month":
        name = babel_dates.format_skeleton("yMMMM", period.first, locale=_babel())
        this, last = _("This month"), _("Last month")
    else:
        name = babel_dates.format_skeleton("yQQQ", period.first, locale=_babel())
        this, last = _("This quarter"), _("Last quarter")
    current = period_of(period.kind, today)
    if period == current:
        return _("{period} ({dates})").format(period=this, dates=name)
    if period == shifted(current, -1):
        return _("{period} ({dates})").format(period=last, dates=name)
    return name


# -- the table -----------------------------------------------------------------------------


def _percent(row: PlanRow) -> str:
    pct = row.done_pct
    return "—" if pct is None else f"{fmt_number(round(pct))}%"


def _number(column: str, title: str, text: Any) -> Column[PlanRow]:
    return Column(column, title, text, width=max(6, cell_len(title)), right=True)


SEPARATOR = " / "  # between the names of a department's path (org.department_names)


def short_names(paths: list[str]) -> dict[str, str]:
    """Department paths without the part every one of them shares ("Head office /
    Sales / Retail" -> "Retail" when all are in Sales); one that is all shared part
    keeps its own name."""
    split = [p.split(SEPARATOR) for p in paths if p]
    common = 0
    if split:
        for parts in zip(*split, strict=False):
            if len(set(parts)) > 1:
                break
            common += 1
    return {SEPARATOR.join(parts): SEPARATOR.join(parts[common:] or parts[-1:]) for parts in split}


def tree_names(paths: list[str]) -> dict[str, str]:
    """Department paths as a tree, per department: each one's own name, indented under
    the department that holds it (whose line counts it too)."""
    depths = {p: len(p.split(SEPARATOR)) for p in paths if p}
    top = min(depths.values(), default=1)
    return {p: "  " * (d - top) + p.split(SEPARATOR)[-1] for p, d in depths.items()}


def plan_columns(by: str, short: dict[str, str] | None = None) -> list[Column[PlanRow]]:
    """The plan's columns; ``short``: department paths as shown (short_names)."""
    names = short if short is not None else {}

    def department(path: str) -> str:
        return names.get(path, path)

    first: list[Column[PlanRow]]
    if by == BY_USER:
        first = [
            Column("name", _("Rep"), lambda r: r.name, min_width=10, weight=1),
            Column(
                "department",
                _("Department"),
                lambda r: department(r.department),
                min_width=8,
                weight=1,
            ),
        ]
    else:
        first = [
            Column(
                "name",
                _("Department"),
                lambda r: r.name if r.id == 0 else department(r.name),
                min_width=12,
                weight=1,
            )
        ]
    return [
        *first,
        _number("planned", _("Planned"), lambda r: fmt_number(r.planned)),
        _number("done", _("Done"), lambda r: fmt_number(r.done)),
        _number("pct", _("% done"), _percent),
        _number("overdue", _("Overdue"), lambda r: fmt_number(r.overdue)),
        _number("late", _("Done late"), lambda r: fmt_number(r.done_late)),
        _number("cancelled", _("Cancelled"), lambda r: fmt_number(r.cancelled)),
    ]


def total_row(rows: list[PlanRow]) -> PlanRow:
    """The sum of the top lines (a department's line already holds those below it)."""
    top = [r for r in rows if r.within is None]

    def tally(field: str) -> int:
        return sum(getattr(r, field) for r in top)

    return PlanRow(
        0,
        _("Total"),
        "",
        tally("planned"),
        tally("done"),
        tally("done_late"),
        tally("overdue"),
        tally("cancelled"),
    )


class PlanTable(VirtualTable[PlanRow]):
    """The plan's lines; the last one (the total) in bold."""

    BOLD = Style(bold=True)

    def set_columns(self, columns: list[Column[PlanRow]]) -> None:
        self.columns = list(columns)
        self._widths = []
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        total = self.source.total if self.source else 0
        if y > 0 and total and int(self.scroll_offset.y) + y - 1 == total - 1:
            strip = strip.apply_style(self.BOLD)
        return strip


# -- a range of days -------------------------------------------------------------------------


class PeriodDialog(Dialog[tuple[date, date] | None]):
    """Two dates, typed as the locale writes them (or YYYY-MM-DD)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", N_("Show"), priority=True, id="team_plan.period.apply"),
        Binding("escape", "cancel", N_("Cancel"), id="team_plan.period.cancel"),
    ]
    DEFAULT_CSS = """
    PeriodDialog .pd-row { height: auto; }
    PeriodDialog .pd-label { width: 8; color: $text-muted; }
    PeriodDialog .pd-row Input { width: 1fr; background: $boost; }
    PeriodDialog #pd-error { color: $error; height: auto; }
    PeriodDialog #pd-error.-empty { display: none; }
    PeriodDialog .dialog-buttons { padding: 1 0 0 0; }
    """

    def __init__(self, first: date, last: date) -> None:
        super().__init__()
        self.first = first
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.styles.width = 50  # two dates: narrower than a form
            yield Label(_("The plan for the days"), classes="dialog-title")
            with Horizontal(classes="pd-row"):
                yield Label(_("From"), classes="pd-label")
                yield Input(fmt_date(self.first), compact=True, id="pd-first")
            with Horizontal(classes="pd-row"):
                yield Label(_("To"), classes="pd-label")
                yield Input(fmt_date(self.last), compact=True, id="pd-last")
            yield Static("", id="pd-error", classes="-empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Show"), variant="primary", compact=True, id="apply")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pd-first", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pd-first":
            self.query_one("#pd-last", Input).focus()
        else:
            self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def _error(self, message: str) -> None:
        error = self.query_one("#pd-error", Static)
        error.update(message)
        error.set_class(not message, "-empty")

    def action_apply(self) -> None:
        days: list[date] = []
        for which in ("pd-first", "pd-last"):
            text = self.query_one(f"#{which}", Input).value
            try:
                days.append(parse_local_date(text))
            except ValueError:
                example = fmt_date(self.first)
                self._error(
                    _("“{text}” is not a date: type {example} or {iso}").format(
                        text=text.strip(), example=example, iso=self.first.isoformat()
                    )
                )
                self.query_one(f"#{which}", Input).focus()
                return
        first, last = days
        if last < first:
            self._error(_("The period ends before it starts."))
            return
        self.dismiss((first, last))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the screen ------------------------------------------------------------------------------


class TeamPlanScreen(CrmScreen[None]):
    AUTO_FOCUS = "#plan"
    DEFAULT_CSS = """
    TeamPlanScreen #plan-title { height: 1; padding: 0 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "period", N_("Period"), id="team_plan.period"),
        Binding("left_square_bracket", "shift(-1)", N_("Earlier"), id="team_plan.earlier"),
        Binding("right_square_bracket", "shift(1)", N_("Later"), id="team_plan.later"),
        Binding("c", "custom", N_("Dates"), id="team_plan.custom"),
        Binding("b", "by", N_("Rep/department"), id="team_plan.by"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="team_plan.reload"),
        Binding("escape", "back", N_("Back"), id="team_plan.back"),
    ]

    def __init__(self, *, by: str | None = None, today: date | None = None) -> None:
        """``by``: ``user`` or ``department`` (default: per department for a director or
        an admin, per rep otherwise); ``today``: the day the periods are counted from
        (default: the app's today in the user's zone)."""
        super().__init__()
        self._by = by
        self._today = today
        self.preset = 1  # this month
        self.period: Period | None = None
        self.rows: list[PlanRow] = []
        self.total: PlanRow | None = None
        self._generation = 0
        self._drilled = False  # per rep, opened from a department's line
        self._cursor_to: str | None = None  # the department to put the cursor on
        self.short: dict[str, str] = {}  # department paths as shown, filled per answer

    @property
    def by(self) -> str:
        if self._by is None:
            self._by = BY_DEPARTMENT if self.actor_role in ("director", "admin") else BY_USER
        return self._by

    @property
    def actor_role(self) -> str:
        connection = self.crm.connection
        return connection.actor.role if connection is not None else "rep"

    @property
    def today(self) -> date:
        return self._today or self.crm.now().astimezone(i18n.zone()).date()

    @property
    def table(self) -> PlanTable:
        return self.query_one("#plan", PlanTable)

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Static("", id="plan-title")
        yield PlanTable(plan_columns(self.by, self.short), empty_text=_("Loading…"), id="plan")
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.period = preset(self.preset, self.today)
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top():  # back from a rep's planner: what was done there counts
            self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "by" and self.actor_role == "rep")  # a rep: their own line

    # -- reading -----------------------------------------------------------------------------

    def load(self) -> None:
        if self.period is None:
            return
        self._generation += 1
        generation = self._generation
        first, last, by = self.period.first, self.period.last, self.by
        now, tz = self.crm.now(), i18n.zone()
        self._show_title()

        def read(s: Any, a: Any) -> list[PlanRow]:
            return planner.team_plan(s, a, first, last, tz, by=by, now=now)

        def arrived(rows: list[PlanRow]) -> None:
            if generation == self._generation:
                self._show(rows)

        self.call(read, arrived, group="team_plan")

    def _show_title(self) -> None:
        assert self.period is not None
        how = _("per rep") if self.by == BY_USER else _("per department")
        title = _("Team plan") if self.actor_role != "rep" else _("My plan")
        line = Text.assemble(
            title,
            (" · ", "dim"),
            period_title(self.period, self.today),
            (" · ", "dim"),
            (how, "dim"),
        )
        self.query_one("#plan-title", Static).update(line)

    def _show(self, rows: list[PlanRow]) -> None:
        self.rows = rows
        self.total = total_row(rows) if rows else None
        self.short.clear()  # the columns read it as they draw
        names = tree_names if self.by == BY_DEPARTMENT else short_names
        self.short.update(names([r.department for r in rows]))
        table = self.table
        table.empty_text = _("Nobody to show: no reps in your reach.")
        shown = [*rows, self.total] if self.total is not None else []
        table.set_source(ListSource(shown), keep_cursor=True)
        if self._cursor_to is not None:
            index = next((i for i, r in enumerate(rows) if r.department == self._cursor_to), 0)
            table.cursor = index
            self._cursor_to = None
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#status", Static)
        if self.actor_role == "rep":
            text = _("Your own tasks; a manager sees the plan of the department.")
        elif self.by == BY_USER:
            text = _("Enter: the rep's planner. Done late: done after the day it was due.")
        else:
            text = _("Enter: the department's reps. Done late: done after the day it was due.")
        status.update(Text(text))

    # -- actions -----------------------------------------------------------------------------

    def _set_period(self, period: Period) -> None:
        self.period = period
        self.load()

    def action_period(self) -> None:
        self.preset = (self.preset + 1) % len(PRESETS)
        self._set_period(preset(self.preset, self.today))

    def action_shift(self, step: int) -> None:
        if self.period is not None:
            self._set_period(shifted(self.period, step))

    def action_custom(self) -> None:
        if self.period is None:
            return

        def chosen(days: tuple[date, date] | None) -> None:
            if days is not None:
                self._set_period(Period("custom", *days))

        self.app.push_screen(PeriodDialog(self.period.first, self.period.last), chosen)

    def _switch(self, by: str) -> None:
        self._by = by
        self.table.set_columns(plan_columns(by, self.short))
        self.table.cursor = 0
        self.load()

    def action_by(self) -> None:
        self._drilled = False
        self._switch(BY_DEPARTMENT if self.by == BY_USER else BY_USER)

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        if self._drilled:  # back to the departments
            self._drilled = False
            self._switch(BY_DEPARTMENT)
            return
        self.app.pop_screen()

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        row = event.item
        if not isinstance(row, PlanRow) or row is self.total:
            return
        if self.by == BY_DEPARTMENT:
            self._drilled = True
            self._cursor_to = row.name
            self._switch(BY_USER)
            return
        from termcrm.screens.planner import PlannerScreen

        connection = self.crm.connection
        mine = connection is not None and connection.actor.id == row.id
        self.app.push_screen(PlannerScreen(who=Who.mine() if mine else Who.user(row.id)))
