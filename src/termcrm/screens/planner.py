"""The planner (key 4): the user's agenda for a day, a week, and a month calendar.

- Day (``d``): the day's tasks by time, its significant dates (birthdays with the
  age, company dates with the anniversary) as all-day lines first; on today, the
  open tasks left from earlier days come before it under "Overdue".
- Week (``w``): the seven days of the week, each under its heading.
- Month (``m``): a calendar with the number of items per day (``!`` where
  something is overdue, ``★`` where there is a significant date), today and the
  chosen day marked; under it, what the chosen day holds. Enter opens that day.

Left/right move a day (in the month, up/down a week); ``[``/``]`` (PgUp/PgDn) a
week, or a month in the month view; ``t`` goes back to today. On a task: Enter
shows it with what can be done to it, space (or ``D``) completes it, ``e`` edits
or reschedules it, ``x`` cancels it, ``a`` hands it to somebody else (managers),
``o`` opens its client; ``n`` plans a new task on the chosen day.

Whose planner: the user's own; a manager or a director cycles with ``u`` through
their own, the whole team's, and one user's they choose. Another screen may open
one user's planner: ``PlannerScreen(who=Who.user(user_id))``.

Everything shown is read from ``services.planner`` in the user's time zone, with
the app's clock (``app.now()``) as "now", so that a pinned clock pins the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from babel import Locale
from babel import dates as babel_dates
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_number, fmt_time, ngettext
from termcrm.labels import value_label
from termcrm.screens.base import CrmScreen
from termcrm.services import org, planner
from termcrm.services.actor import REP
from termcrm.services.dto import TaskOut, UserOut
from termcrm.services.planner import Agenda, AgendaItem, DayCount, Who
from termcrm.services.significant_dates import KIND_LABELS
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

VIEWS = ("day", "week", "month")
VIEW_NAMES = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
DEFAULT_HOUR = 10  # a task planned on another day than today starts at 10:00


# -- dates in the interface language ------------------------------------------------------


def _locale() -> Locale:
    return Locale.parse(i18n.BABEL_LOCALES[i18n.current()])


def week_start(day: date) -> date:
    """The first day of ``day``'s week (the locale's first day of the week)."""
    return day - timedelta(days=(day.weekday() - _locale().first_week_day) % 7)


def long_day(day: date) -> str:
    """Wednesday, December 2, 2026; среда, 2 декабря 2026 г."""
    return babel_dates.format_date(day, format="full", locale=_locale())


def medium_day(day: date) -> str:
    """Thu, Nov 26, 2026; чт, 26 нояб. 2026 г."""
    return babel_dates.format_skeleton("yMMMEd", day, locale=_locale())


def short_day(day: date) -> str:
    """Wed, Dec 2; ср, 2 дек."""
    return babel_dates.format_skeleton("MMMEd", day, locale=_locale())


def month_day(day: date) -> str:
    """Dec 2; 2 дек."""
    return babel_dates.format_skeleton("MMMd", day, locale=_locale())


def week_span(first: date) -> str:
    """Nov 29 – Dec 5, 2026."""
    return babel_dates.format_interval(
        first, first + timedelta(days=6), "yMMMd", locale=_locale()
    ).replace("\u2009", " ")


def month_name(day: date) -> str:
    """December 2026."""
    return babel_dates.format_skeleton("yMMMM", day, locale=_locale())


def weekday_names() -> list[str]:
    """Mon … Sun, from the locale's first day of the week."""
    loc = _locale()
    names = loc.days["stand-alone"]["abbreviated"]
    return [str(names[(loc.first_week_day + i) % 7]) for i in range(7)]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def default_due(day: date, now: datetime) -> datetime:
    """When a task planned on ``day`` starts unless changed (UTC): on today the next
    full hour, on another day 10:00 (the user's zone)."""
    tz = i18n.zone()
    local_now = now.astimezone(tz)
    if day == local_now.date():
        moment = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        moment = datetime.combine(day, time(DEFAULT_HOUR), tz)
    return moment.astimezone(UTC)


# -- how an item reads ------------------------------------------------------------------------


def occasion_text(item: AgendaItem) -> str:
    """``Birthday: Пётр Сидоров, 46 years``; ``Foundation day: Romashka, 20 years``."""
    occasion = item.occasion
    assert occasion is not None
    label = _(KIND_LABELS.get(occasion.kind, occasion.kind))
    label = label[:1].upper() + label[1:]
    if occasion.years is None:
        return _("{label}: {title}").format(label=label, title=occasion.title)
    return ngettext(
        "{label}: {title}, {n} year", "{label}: {title}, {n} years", occasion.years
    ).format(label=label, title=occasion.title, n=occasion.years)


def item_title(item: AgendaItem) -> str:
    """A task's title with its marks: ✓ done, ↻ repeating."""
    if item.occasion is not None:
        return occasion_text(item)
    task = item.task
    assert task is not None
    mark = ""
    if task.status == "done":
        mark = "✓ "
    elif task.repeat:
        mark = "↻ "
    return mark + task.title


def item_client(item: AgendaItem) -> str:
    if item.task is not None:
        return item.task.client
    return item.occasion.client if item.occasion is not None else ""


# -- the rows of the agenda list ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A line of the agenda: a heading (``item`` None) or an item under one."""

    section: date | None  # the day of the section it is in; None: the overdue section
    item: AgendaItem | None = None
    text: str = ""  # a heading's text
    note: str = ""  # a heading's dim note ("nothing planned")
    selectable: bool = True
    dated: bool = False  # shown with its day, not its time (overdue from an earlier day)

    @property
    def task(self) -> TaskOut | None:
        return self.item.task if self.item is not None else None


def when_width() -> int:
    sample = datetime(2026, 12, 28, 22, 55, tzinfo=i18n.zone())  # the widest hour there
    texts = [fmt_time(sample), fmt_time(sample.replace(hour=10)), _("all day")]
    texts += [month_day(date(2026, month, 28)) for month in range(1, 13)]
    return min(10, max(cell_len(t) for t in texts))


def _when(row: Row) -> str:
    item = row.item
    if item is None:
        return ""
    if item.at is None:
        return _("all day")
    return month_day(item.day) if row.dated else fmt_time(item.at)


def agenda_columns(with_who: bool) -> list[Column[Row]]:
    kinds = [value_label(k) for k in ("call", "meeting", "visit", "letter", "email", "other")]
    kind_width = min(9, max(cell_len(k) for k in kinds))
    columns: list[Column[Row]] = [
        Column("when", _("When"), _when, width=when_width()),
        Column(
            "kind",
            _("Kind"),
            lambda r: (
                ""
                if r.item is None
                else "★"
                if r.item.occasion is not None
                else value_label(r.item.task.kind if r.item.task else "")
            ),
            width=kind_width,
        ),
        Column("title", _("Title"), lambda r: item_title(r.item) if r.item else "", weight=3),
        Column("client", _("Client"), lambda r: item_client(r.item) if r.item else "", weight=2),
    ]
    if with_who:
        columns.append(
            Column("who", _("Who"), lambda r: r.task.assignee if r.task else "", weight=1)
        )
    return columns


def agenda_rows(agenda: Agenda, view: str, today: date) -> list[Row]:
    """The lines of a day or a week: overdue first, then each day's under its heading."""
    rows: list[Row] = []
    if agenda.overdue:
        total = max(agenda.overdue_total, len(agenda.overdue))
        title = _("Overdue ({n})").format(n=fmt_number(total))
        rows.append(Row(None, text=title, selectable=False))
        rows.extend(Row(None, item, dated=item.day != today) for item in agenda.overdue)
    day = agenda.first
    while day <= agenda.last:
        items = agenda.on(day)
        if view == "week" or agenda.overdue:
            title = short_day(day) if view == "week" else long_day(day)
            if day == today:
                title += " " + _("(today)")
            rows.append(
                Row(
                    day,
                    text=title,
                    note="" if items else _("nothing planned"),
                    selectable=not items,
                )
            )
        rows.extend(Row(day, item) for item in items)
        day += timedelta(days=1)
    return rows


class AgendaTable(VirtualTable[Row]):
    """The agenda's lines: headings across the width, items in columns; overdue
    items in red, done ones dimmed, coming occurrences of a series in italics."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *VirtualTable.COMPONENT_CLASSES,
        "agenda--heading",
        "agenda--overdue-heading",
        "agenda--note",
        "agenda--overdue",
        "agenda--done",
        "agenda--occurrence",
        "agenda--date",
    }
    DEFAULT_CSS = """
    AgendaTable > .agenda--heading { text-style: bold; color: $accent; }
    AgendaTable > .agenda--overdue-heading { text-style: bold; color: $error; }
    AgendaTable > .agenda--note { color: $text-muted; text-style: italic; }
    AgendaTable > .agenda--overdue { color: $error; }
    AgendaTable > .agenda--done { color: $text-muted; }
    AgendaTable > .agenda--occurrence { text-style: italic; }
    AgendaTable > .agenda--date { color: $success; }
    """

    def _row_at(self, index: int) -> Row | None:
        if self.source is None or not 0 <= index < self.source.total:
            return None
        return self.source.get(index)

    def render_line(self, y: int) -> Strip:
        if y == 0:
            return super().render_line(y)
        index = int(self.scroll_offset.y) + y - 1
        row = self._row_at(index)
        if row is None:
            return super().render_line(y)
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row.item is None:
            return self._heading(row, index, width, base)
        strip = super().render_line(y)
        if index == self.cursor:
            return strip
        item = row.item
        extra: Style | None = None
        if item.occasion is not None:
            extra = self.get_component_rich_style("agenda--date")
        elif item.task is not None and item.task.status == "done":
            extra = self.get_component_rich_style("agenda--done")
        elif item.overdue:
            extra = self.get_component_rich_style("agenda--overdue")
        elif item.occurrence:
            extra = self.get_component_rich_style("agenda--occurrence")
        if extra is None:
            return strip
        return Strip(
            [Segment(text, (style or Style()) + extra, control) for text, style, control in strip],
            strip.cell_length,
        )

    def _heading(self, row: Row, index: int, width: int, base: Style) -> Strip:
        kind = "agenda--overdue-heading" if row.section is None else "agenda--heading"
        style = base + self.get_component_rich_style(kind)
        note_style = base + self.get_component_rich_style("agenda--note")
        if index == self.cursor and row.selectable:
            cursor = self.get_component_rich_style("virtual-table--cursor")
            style, note_style = style + cursor, note_style + cursor
        segments = [Segment(" " + row.text, style)]
        if row.note:
            segments.append(Segment("  " + row.note, note_style))
        return Strip(segments).adjust_cell_length(width, base).crop(0, width)

    # -- the cursor rests on items (and on the heading of an empty day) -------------------

    def _selectable(self, index: int, direction: int) -> int:
        total = self.source.total if self.source else 0
        for step in (direction, -direction):
            i = index
            while 0 <= i < total:
                row = self._row_at(i)
                if row is not None and row.selectable:
                    return i
                i += step
        return index

    def _move_to(self, index: int) -> None:
        total = self.source.total if self.source else 0
        if not total:
            return
        index = max(0, min(total - 1, index))
        direction = 1 if index >= self.cursor else -1
        target = self._selectable(index, direction)
        super()._move_to(target)
        if target == self._selectable(0, 1):
            self.scroll_to(y=0, animate=False, immediate=True)  # the headings above it too

    def select(self, index: int) -> None:
        """Put the cursor on row ``index`` (or the nearest item after it)."""
        self.cursor = min(self.cursor, max(0, (self.source.total if self.source else 1) - 1))
        self._move_to(index)

    def action_cursor(self, delta: int) -> None:
        total = self.source.total if self.source else 0
        target = self.cursor + delta
        step = 1 if delta > 0 else -1
        while 0 <= target < total:
            row = self._row_at(target)
            if row is not None and row.selectable:
                self._move_to(target)
                return
            target += step
        if delta < 0:  # nothing selectable above: show the headings at the top
            self.scroll_to(y=0, animate=False, immediate=True)


# -- the month calendar ------------------------------------------------------------------------


class MonthGrid(Widget, can_focus=True):
    """A month as a calendar: each day's number and, under it, how many items it holds."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "month-grid--weekday",
        "month-grid--other",
        "month-grid--today",
        "month-grid--selected",
        "month-grid--overdue",
        "month-grid--count",
    }
    DEFAULT_CSS = """
    MonthGrid { height: auto; padding: 0 1; }
    MonthGrid > .month-grid--weekday { color: $text-muted; text-style: bold; }
    MonthGrid > .month-grid--other { color: $text-disabled; }
    MonthGrid > .month-grid--today { color: $accent; text-style: bold underline; }
    MonthGrid > .month-grid--selected { background: $block-cursor-blurred-background; }
    MonthGrid:focus > .month-grid--selected {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    MonthGrid > .month-grid--overdue { color: $error; text-style: bold; }
    MonthGrid > .month-grid--count { color: $text; }
    """

    selected: reactive[date] = reactive(date(2000, 1, 1), layout=True)
    today: reactive[date] = reactive(date(2000, 1, 1))
    counts: reactive[dict[date, DayCount]] = reactive(dict, always_update=True)

    class DayClicked(Message):
        def __init__(self, day: date, twice: bool) -> None:
            super().__init__()
            self.day = day
            self.twice = twice

    def weeks(self) -> list[list[date]]:
        first = self.selected.replace(day=1)
        start = week_start(first)
        last = add_months(first, 1) - timedelta(days=1)
        weeks: list[list[date]] = []
        day = start
        while day <= last:
            weeks.append([day + timedelta(days=i) for i in range(7)])
            day += timedelta(days=7)
        return weeks

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return 1 + 2 * len(self.weeks())

    def _cell_width(self) -> int:
        return max(4, self.content_region.width // 7 or self.size.width // 7)

    def render(self) -> Text:
        cell = self._cell_width()
        month = self.selected.month
        weekday = self.get_component_rich_style("month-grid--weekday")
        other = self.get_component_rich_style("month-grid--other")
        today = self.get_component_rich_style("month-grid--today")
        selected = self.get_component_rich_style("month-grid--selected")
        overdue = self.get_component_rich_style("month-grid--overdue")
        count_style = self.get_component_rich_style("month-grid--count")
        text = Text(no_wrap=True, overflow="crop")
        for name in weekday_names():
            text.append(_cell(name, cell), weekday)
        for week in self.weeks():
            numbers = Text()
            counts = Text()
            for day in week:
                number_style = Style()
                count = self.counts.get(day) if day.month == month else None
                if day.month != month:
                    number_style = other
                if day == self.today:
                    number_style += today
                numbers.append(_cell(str(day.day), cell), number_style)
                line, late = _count_text(count)
                counts.append(_cell(line, cell), overdue if late else count_style)
                if day == self.selected:
                    start = len(numbers) - cell
                    numbers.stylize(selected, start, len(numbers))
                    counts.stylize(selected, start, len(counts))
            text.append("\n")
            text.append_text(numbers)
            text.append("\n")
            text.append_text(counts)
        return text

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        week = (offset.y - 1) // 2
        column = offset.x // self._cell_width()
        weeks = self.weeks()
        if week < len(weeks) and column < 7:
            self.post_message(self.DayClicked(weeks[week][column], event.chain >= 2))


def _cell(text: str, width: int) -> str:
    """``text`` in a calendar cell: a space before it, padded (or cut) to ``width``."""
    text = " " + text
    if cell_len(text) > width:
        while text and cell_len(text) > width:
            text = text[:-1]
        return text
    return text + " " * (width - cell_len(text))


def _count_text(count: DayCount | None) -> tuple[str, bool]:
    """``3 ★ !`` for a day: its items, ★ with a significant date, ! with an overdue task."""
    if count is None or count.total == 0:
        return "", False
    text = fmt_number(count.total)
    if count.dates:
        text += " ★"
    if count.overdue:
        text += " !"
    return text, bool(count.overdue)


# -- the screen ----------------------------------------------------------------------------


class PlannerScreen(CrmScreen[None]):
    SECTION = "planner"
    DEFAULT_CSS = """
    PlannerScreen #planner-head { height: 1; padding: 0 1; background: $boost; }
    PlannerScreen #agenda { height: 1fr; }
    PlannerScreen #month-area { height: 1fr; display: none; }
    PlannerScreen.-month #month-area { display: block; }
    PlannerScreen.-month #agenda { display: none; }
    PlannerScreen #month-day { height: 1fr; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "plan", N_("Plan"), id="planner.plan"),
        Binding("space,D", "complete", N_("Done"), key_display="␣", id="planner.complete"),
        Binding("e", "edit", N_("Edit"), id="planner.edit"),
        Binding("x", "cancel_task", N_("Cancel"), show=False, id="planner.cancel"),
        Binding("o", "open_client", N_("Client"), id="planner.client"),
        Binding("a", "reassign", N_("Reassign"), show=False, id="planner.reassign"),
        Binding("t", "today", N_("Today"), id="planner.today"),
        Binding("d", "view('day')", N_("Day"), show=False, id="planner.day"),
        Binding("w", "view('week')", N_("Week"), show=False, id="planner.week"),
        Binding("m", "view('month')", N_("Month"), show=False, id="planner.month"),
        Binding("u", "who", N_("Whose"), id="planner.who"),
        Binding("P", "team_plan", N_("Team"), id="planner.team_plan"),
        Binding("left", "move(-1)", N_("Previous day"), show=False, id="planner.previous_day"),
        Binding("right", "move(1)", N_("Next day"), show=False, id="planner.next_day"),
        Binding("up", "move(-7)", N_("Week before"), show=False, id="planner.up"),
        Binding("down", "move(7)", N_("Week after"), show=False, id="planner.down"),
        Binding(
            "left_square_bracket,pageup",
            "page(-1)",
            N_("Previous week/month"),
            show=False,
            priority=True,
            id="planner.previous",
        ),
        Binding(
            "right_square_bracket,pagedown",
            "page(1)",
            N_("Next week/month"),
            show=False,
            priority=True,
            id="planner.next",
        ),
        Binding("enter", "open_day", N_("Open the day"), show=False, id="planner.open_day"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="planner.reload"),
        Binding("escape", "back", N_("Back"), show=False, id="planner.back"),
    ]

    def __init__(self, who: Who | None = None, *, view: str = "day", day: date | None = None):
        """``who``: whose planner (the user's own by default); ``day``: the day shown
        first (today by default)."""
        super().__init__()
        self.who = who or Who.mine()
        self.view = view if view in VIEWS else "day"
        self._day = day
        self.who_name = ""  # the chosen user's name (Who.user)
        self.users: list[UserOut] | None = None  # whom the user may look at, once read
        self.agenda: Agenda | None = None
        self.counts: dict[date, DayCount] = {}
        self.month_agenda: Agenda | None = None
        self._keep_task: int | None = None  # the task the cursor goes back to after a read
        self._goto_task: int | None = None  # a task just written: the next read shows it
        self._keep_index = 0
        # (whose, view, first day, last day): of the read asked for last, and of what is shown
        self._reading: tuple[Any, ...] | None = None
        self._shown: tuple[Any, ...] | None = None

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        yield Static("", id="planner-head")
        yield AgendaTable(
            agenda_columns(self.who.scope == "team"),
            empty_text=_("Nothing planned. n plans a task."),
            id="agenda",
        )
        with Vertical(id="month-area"):
            yield MonthGrid(id="month")
            yield Static("", id="month-day")
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def table(self) -> AgendaTable:
        return self.query_one("#agenda", AgendaTable)

    @property
    def grid(self) -> MonthGrid:
        return self.query_one("#month", MonthGrid)

    # -- the clock and the day -------------------------------------------------------------

    def now(self) -> datetime:
        return self.crm.now()

    def today(self) -> date:
        return self.now().astimezone(i18n.zone()).date()

    @property
    def day(self) -> date:
        if self._day is None:
            self._day = self.today()
        return self._day

    @day.setter
    def day(self, value: date) -> None:
        self._day = value

    @property
    def actor_role(self) -> str:
        connection = self.crm.connection
        return connection.actor.role if connection is not None else REP

    @property
    def current_row(self) -> Row | None:
        if self.view == "month":
            return None
        return self.table.current

    @property
    def current_item(self) -> AgendaItem | None:
        row = self.current_row
        return row.item if row is not None else None

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        item = self.current_item
        if item is None:
            return None
        if item.task is not None:
            return item.task.client_id
        return item.occasion.client_id if item.occasion is not None else None

    @property
    def current_contact_id(self) -> int | None:
        """The contact person of the highlighted task, for the quick log's default."""
        task = self.current_item.task if self.current_item is not None else None
        return task.contact_id if task is not None else None

    # -- start and reading -----------------------------------------------------------------

    def carry(self) -> dict[str, Any]:
        return {"view": self.view, "day": self.day, "who": self.who, "who_name": self.who_name}

    def on_mount(self) -> None:
        state = self.crm.carried.pop(self.SECTION or "", None)
        if state:
            self.view = state["view"]
            self._day = state["day"]
            self.who = state["who"]
            self.who_name = state["who_name"]
            self._set_columns()
        self._show_view()
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top():
            self.load(keep=True)

    def action_reload(self) -> None:
        self.load(keep=True)

    def load(self, *, keep: bool = False) -> None:
        """Read what the view shows; ``keep``: the cursor stays on its task (when what
        is read is what is shown: the same plan, view and days)."""
        first, last = (
            (self.day, self.day)
            if self.view == "day"
            else (week_start(self.day), week_start(self.day) + timedelta(days=6))
        )
        self._reading = (self.who, self.view, first, last)
        keep = keep and self._reading == self._shown
        if self._goto_task is not None:  # just written: the cursor goes to it
            self._keep_task, self._goto_task = self._goto_task, None
            self._keep_index = self.table.cursor
        elif keep and self.view != "month":
            task = self.table.current.task if self.table.current else None
            self._keep_task = task.id if task else None
            self._keep_index = self.table.cursor
        else:
            self._keep_task = None
            self._keep_index = -1
        who, tz, now, day, view = self.who, i18n.zone(), self.now(), self.day, self.view
        self._show_head()
        if self.who.scope == "user" and not self.who_name:
            self._read_users()
        if view == "month":

            def read_month(s: Any, a: Any) -> tuple[dict[date, DayCount], Agenda]:
                counts = planner.month_counts(s, a, day.year, day.month, tz, who=who, now=now)
                agenda = planner.agenda(s, a, day, day, tz, who=who, now=now, with_overdue=False)
                return counts, agenda

            self.call(read_month, self._month_read, group=f"planner-{id(self)}")
            return
        self.call(
            lambda s, a: planner.agenda(s, a, first, last, tz, who=who, now=now),
            self._agenda_read,
            group=f"planner-{id(self)}",
        )

    def _agenda_read(self, agenda: Agenda) -> None:
        from termcrm.widgets.row_sources import ListSource

        if self.view == "month":
            return
        self.agenda = agenda
        self._shown = self._reading
        rows = agenda_rows(agenda, self.view, self.today())
        table = self.table
        table.set_source(ListSource(rows))
        target = self._target_index(rows)
        table.select(target)
        self._show_status()

    def _target_index(self, rows: list[Row]) -> int:
        """Where the cursor goes: on the task it was on, else near where it was, else
        on the chosen day (the week) or the first item."""
        if self._keep_task is not None:
            for i, row in enumerate(rows):
                if (
                    row.task is not None
                    and row.task.id == self._keep_task
                    and not (row.item is not None and row.item.occurrence)
                ):
                    return i
        if self._keep_index >= 0:
            return min(self._keep_index, max(0, len(rows) - 1))
        if self.view == "week":
            for i, row in enumerate(rows):
                if row.section == self.day:
                    return i
        return 0

    def _month_read(self, result: tuple[dict[date, DayCount], Agenda]) -> None:
        if self.view != "month":
            return
        self.counts, self.month_agenda = result
        self._shown = self._reading
        grid = self.grid
        grid.today = self.today()
        grid.selected = self.day
        grid.counts = self.counts
        self._show_month_day()
        self._show_status()

    def _read_users(self) -> None:
        def read(s: Any, a: Any) -> list[UserOut]:
            return org.users_in_reach(s, a)

        def got(users: list[UserOut]) -> None:
            self.users = users
            if self.who.scope == "user":
                for user in users:
                    if user.id == self.who.user_id:
                        self.who_name = user.full_name or user.login
                self._show_head()

        self.call(read, got)

    # -- what is on screen -----------------------------------------------------------------------

    def _show_view(self) -> None:
        self.set_class(self.view == "month", "-month")
        if self.view == "month":
            self.grid.focus()
        else:
            self.table.focus()
        self._show_head()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._show_head)
        if self.view == "month" and self.month_agenda is not None:
            self.call_after_refresh(self._show_month_day)

    def _set_columns(self) -> None:
        table = self.table
        table.columns = agenda_columns(self.who.scope == "team")
        table._widths = []
        table.refresh()

    def who_label(self) -> str:
        if self.who.scope == "team":
            return _("team plan")
        if self.who.scope == "user":
            return _("plan of {name}").format(name=self.who_name or f"#{self.who.user_id}")
        return _("my plan")

    def period_label(self) -> str:
        if self.view == "week":
            return week_span(week_start(self.day))
        if self.view == "month":
            return month_name(self.day)
        return medium_day(self.day)

    def _key_of(self, action: str) -> str:
        """The key of one of this screen's actions (as remapped by the user's [keys])."""
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return self.app.get_key_display(binding)
        return ""

    def _show_head(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        for view in VIEWS:
            current = view == self.view
            line.append(
                f" {self._key_of(f'view({view!r})')}", style="bold reverse" if current else "bold"
            )
            line.append(f" {_(VIEW_NAMES[view])} ", style="bold reverse" if current else "dim")
        line.append("  ‹ ", style="dim")
        line.append(self.period_label(), style="bold")
        line.append(" ›", style="dim")
        if self.view == "day" and self.day == self.today():
            line.append(" " + _("(today)"), style="bold")
        head = self.query_one("#planner-head", Static)
        width = head.content_region.width or 78
        who = Text(self.who_label(), style="italic", no_wrap=True, overflow="ellipsis")
        room = width - line.cell_len - 2
        if room >= 6:  # whose plan on the right, cut when the line is full
            who.truncate(room, overflow="ellipsis")
            line.append(" " * (width - line.cell_len - who.cell_len))
            line.append_text(who)
        head.update(line)

    def _show_status(self) -> None:
        if self.view == "month":
            line = Text(
                " · ".join(
                    [
                        _("★ a significant date"),
                        _("! something overdue"),
                        _("Enter: the day's agenda"),
                    ]
                ),
                no_wrap=True,
                overflow="ellipsis",
            )
        else:
            agenda = self.agenda
            parts: list[str] = []
            if agenda is not None:
                tasks = sum(1 for i in agenda.items if i.task is not None)
                dates = sum(1 for i in agenda.items if i.occasion is not None)
                parts.append(ngettext("{n} task", "{n} tasks", tasks).format(n=fmt_number(tasks)))
                if dates:
                    parts.append(
                        ngettext("{n} significant date", "{n} significant dates", dates).format(
                            n=fmt_number(dates)
                        )
                    )
                if agenda.overdue_total:
                    parts.append(
                        ngettext("{n} overdue", "{n} overdue", agenda.overdue_total).format(
                            n=fmt_number(agenda.overdue_total)
                        )
                    )
            line = Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")
        self.query_one("#status", Static).update(line)

    def _show_month_day(self) -> None:
        agenda = self.month_agenda
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(long_day(self.day), style="bold")
        if self.day == self.today():
            out.append(" " + _("(today)"), style="bold")
        items = agenda.on(self.day) if agenda is not None else []
        if not items:
            out.append("\n" + _("Nothing planned."), style="dim italic")
        room = max(1, self.query_one("#month-day").size.height - 1)
        shown = items if len(items) <= room else items[: room - 1]
        for item in shown:
            out.append("\n")
            when = _("all day") if item.at is None else fmt_time(item.at)
            style = (
                "red" if item.overdue else "dim" if item.task and item.task.status == "done" else ""
            )
            out.append(f"{when:>8}  ", style=style or "dim")
            out.append(item_title(item), style=style)
            client = item_client(item)
            if client:
                out.append(" — " + client, style="dim")
        if len(shown) < len(items):
            out.append("\n" + _("… and {n} more").format(n=len(items) - len(shown)), style="dim")
        self.query_one("#month-day", Static).update(out)

    # -- moving in time ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        month = self.view == "month"
        if action == "move" and parameters and abs(int(str(parameters[0]))) == 7:
            return month
        if action == "open_day":
            return month
        if action == "back":
            return self.app.screen_stack[0] is not self and self.is_current
        if action == "reassign":
            return self.actor_role != REP
        if action in ("who", "team_plan"):
            # a rep's own plan stays on the app's P, out of the footer
            return self.actor_role != REP
        if action in ("complete", "edit", "cancel_task", "open_client", "reassign"):
            return None if month else True
        return True

    async def action_team_plan(self) -> None:
        await self.app.run_action("team_plan")

    def go_to(self, day: date) -> None:
        """Show ``day`` (in the view shown); read again when it is out of what is read."""
        old = self.day
        self.day = day
        if self.view == "month":
            if (day.year, day.month) != (old.year, old.month):
                self.grid.selected = day
                self.load()
            else:
                self.grid.selected = day
                self._show_head()
                self._show_month_day_for_new_day()
            return
        if self.view == "week" and week_start(day) == week_start(old):
            self._show_head()
            self._select_day(day)
            return
        self.load()

    def _show_month_day_for_new_day(self) -> None:
        who, tz, now, day = self.who, i18n.zone(), self.now(), self.day

        def read(s: Any, a: Any) -> Agenda:
            return planner.agenda(s, a, day, day, tz, who=who, now=now, with_overdue=False)

        def got(agenda: Agenda) -> None:
            if self.view == "month" and self.day == day:
                self.month_agenda = agenda
                self._show_month_day()

        self.call(read, got, group=f"planner-day-{id(self)}")

    def _select_day(self, day: date) -> None:
        source = self.table.source
        if source is None:
            return
        for i in range(source.total):
            row = source.get(i)
            if row is not None and row.section == day:
                self.table.select(i)
                return

    def action_move(self, days: int) -> None:
        self.go_to(self.day + timedelta(days=days))

    def action_page(self, direction: int) -> None:
        if self.view == "month":
            self.go_to(add_months(self.day, direction))
        else:
            self.go_to(self.day + timedelta(days=7 * direction))

    def action_today(self) -> None:
        self.go_to(self.today())

    def action_view(self, view: str) -> None:
        if view == self.view:
            return
        self.view = view
        self._show_view()
        self.load()

    def action_open_day(self) -> None:
        if self.view == "month":
            self.action_view("day")

    def on_month_grid_day_clicked(self, event: MonthGrid.DayClicked) -> None:
        event.stop()
        self.go_to(event.day)
        if event.twice:
            self.action_view("day")

    def on_virtual_table_cursor_moved(self, event: VirtualTable.CursorMoved) -> None:
        """In the week, the chosen day follows the cursor (a new task goes there)."""
        row = event.item
        in_week = self.view == "week" and isinstance(row, Row)
        if in_week and row.section is not None and row.section != self.day:
            self.day = row.section
            self._show_head()

    def action_back(self) -> None:
        self.dismiss(None)

    # -- whose planner -------------------------------------------------------------------------

    def action_who(self) -> None:
        """Mine -> the team -> a user chosen from a list -> mine."""
        if self.who.scope == "mine":
            self._set_who(Who.team())
        elif self.who.scope == "team":
            self._choose_user()
        else:
            self._set_who(Who.mine())

    def _set_who(self, who: Who, name: str = "") -> None:
        team_before = self.who.scope == "team"
        self.who = who
        self.who_name = name
        if team_before != (who.scope == "team"):
            self._set_columns()
        self.load()

    def _choose_user(self) -> None:
        from termcrm.screens.task_dialogs import UserChooser

        def chosen(user: UserOut | None) -> None:
            if user is None:
                self._set_who(Who.mine())
            else:
                self._set_who(Who.user(user.id), user.full_name or user.login)

        self.app.push_screen(UserChooser(_("Whose plan to show?"), exclude_self=True), chosen)

    # -- acting on an item ---------------------------------------------------------------------

    def _task_or_say(self, *, current_only: bool = True) -> tuple[AgendaItem, TaskOut] | None:
        """The highlighted task; None with a word to the user when there is none (or
        when it is a coming occurrence of a series and ``current_only``)."""
        item = self.current_item
        if item is None or item.task is None:
            if item is not None and item.occasion is not None:
                self.notify(
                    _("A significant date is not a task; o opens its client."), markup=False
                )
            else:
                self.notify(_("Choose a task first."), markup=False)
            return None
        task = item.task
        if task.status != "open":
            self.notify(
                _("“{title}” is already done.").format(title=task.title)
                if task.status == "done"
                else _("“{title}” is cancelled.").format(title=task.title),
                markup=False,
            )
            return None
        if current_only and item.occurrence:
            self.notify(
                _(
                    "This is a coming occurrence of the repeating task “{title}”; "
                    "its next one is due {due}: complete or cancel that one first."
                ).format(title=task.title, due=i18n.fmt_datetime(task.due_at)),
                markup=False,
                timeout=8,
            )
            return None
        return item, task

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        row = event.item
        if not isinstance(row, Row):
            return
        if row.item is None:
            if row.section is not None:  # an empty day's heading in the week: that day
                self.day = row.section
                self.action_view("day")
            return
        from termcrm.screens.task_dialogs import ItemDetails

        def then(action: str | None) -> None:
            if action:
                self.call_later(self.run_action, action)

        self.app.push_screen(ItemDetails(row.item, can_assign=self.actor_role != REP), then)

    def action_open_client(self) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        client_id = self.current_client_id
        if client_id is None:
            self.notify(
                _("This task is about no client.")
                if self.current_item is not None
                else _("Choose a task first."),
                markup=False,
            )
            return
        self.app.push_screen(ClientCardScreen(client_id))

    def action_plan(self) -> None:
        from termcrm.screens.task_form import TaskForm

        item = self.current_item
        client_id = self.current_client_id
        client = item_client(item) if item is not None else ""
        assignee = self.who.user_id if self.who.scope == "user" else None
        contact_id = self.current_contact_id
        if item is not None and item.occasion is not None:
            contact_id = item.occasion.contact_id  # a birthday: a call to that person
        self.app.push_screen(
            TaskForm(
                due=default_due(self.day, self.now()),
                client_id=client_id,
                client_name=client,
                contact_id=contact_id,
                assignee_id=assignee,
                now=self.now(),
            ),
            self._planned,
        )

    def _planned(self, task: TaskOut | None) -> None:
        if task is None:
            return
        self.notify(
            _("Planned: “{title}”, {due}").format(
                title=task.title, due=i18n.fmt_datetime(task.due_at)
            ),
            title=_("Planner"),
            markup=False,
        )
        self._keep_after(task)

    def _keep_after(self, task: TaskOut) -> None:
        """After a write: the cursor on ``task`` when the next read shows it."""
        self._goto_task = task.id

    def action_edit(self) -> None:
        from termcrm.screens.task_form import TaskForm

        found = self._task_or_say(current_only=False)
        if found is None:
            return
        item, task = found
        self.app.push_screen(
            TaskForm(task=task, series_only=item.occurrence, now=self.now()), self._edited
        )

    def _edited(self, task: TaskOut | None) -> None:
        if task is not None:
            self.notify(
                _("Saved: “{title}”, {due}").format(
                    title=task.title, due=i18n.fmt_datetime(task.due_at)
                ),
                title=_("Planner"),
                markup=False,
            )

    def action_complete(self) -> None:
        from termcrm.screens.task_done import TaskDone

        found = self._task_or_say()
        if found is None:
            return
        _item, task = found
        self.app.push_screen(TaskDone(task, now=self.now()), self._completed)

    def _completed(self, result: Any) -> None:
        if result is None:
            return
        message = _("Done: “{title}”").format(title=result.task.title)
        if result.interaction is not None:
            message += "\n" + _("Written to the journal.")
        if result.next_task is not None:
            message += "\n" + _("Next step “{title}” planned for {due}").format(
                title=result.next_task.title, due=i18n.fmt_datetime(result.next_task.due_at)
            )
        self.notify(message, title=_("Planner"), markup=False)

    def action_cancel_task(self) -> None:
        from termcrm.screens.task_dialogs import CancelTask

        found = self._task_or_say()
        if found is None:
            return
        _item, task = found
        self.app.push_screen(CancelTask(task), self._cancelled)

    def _cancelled(self, task: TaskOut | None) -> None:
        if task is not None:
            self.notify(
                _("Cancelled: “{title}”").format(title=task.title),
                title=_("Planner"),
                markup=False,
            )

    def action_reassign(self) -> None:
        from termcrm.screens.task_dialogs import Reassign

        found = self._task_or_say(current_only=False)
        if found is None:
            return
        _item, task = found
        self.app.push_screen(Reassign(task), self._reassigned)

    def _reassigned(self, task: TaskOut | None) -> None:
        if task is not None:
            self.notify(
                _("“{title}” is now {user}'s.").format(title=task.title, user=task.assignee),
                title=_("Planner"),
                markup=False,
            )
