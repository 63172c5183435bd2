"""The deal card: one deal's key facts in a header, the rest in tabs.

Overview (every field of the deal and its dates), Lines (the line items with their
total: ``a`` adds one, ``e`` or Enter edits one, Delete removes one, ``f`` makes the
deal's amount follow the lines or stop following them), History (the moves between
stages: when, from, to, who, and how long the deal stayed) and Journal (the
interactions logged about this deal, newest first; ``l`` logs one).

Keys of the whole card: ``e`` edits the deal, ``m`` moves it to a stage, ``w`` marks
it won, ``x`` lost (asking why), ``p`` writes the commercial proposal (.xlsx), Escape
goes back. Every change is made at the version the card read; when somebody changed
the deal meanwhile the change is refused with who and what, and the card reads the
deal again. The card is read in one service call, again whenever it comes back to
the top (after an edit, a logged call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static, TabbedContent, TabPane

from termcrm import i18n
from termcrm.i18n import N_, NP_, _, fmt_date, fmt_datetime, fmt_money, fmt_number, ngettext
from termcrm.screens.paged_list import PagedList
from termcrm.screens.tabbed_card import TabbedCard
from termcrm.services import contacts, deal_items, deals, journal
from termcrm.services.deal_items import DealItemOut, DealItems
from termcrm.services.deals import StageMove
from termcrm.services.dto import DealOut, InteractionOut, StageOut
from termcrm.services.errors import Conflict, Forbidden, NotFound
from termcrm.services.journal import JournalFilter
from termcrm.widgets.dialogs import ErrorDialog
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable, datetime_width

PAGE = 50
# the tabs, in order: (pane id, title)
TABS = (
    ("overview", N_("Overview")),
    ("lines", N_("Lines")),
    ("history", N_("History")),
    ("journal", N_("Journal")),
)


@dataclass(frozen=True, slots=True)
class DealData:
    """What the card shows but the journal, read in one transaction."""

    lines: DealItems  # the deal (lines.deal), its lines and their total
    pipeline: str
    stages: list[StageOut]  # the pipeline's, in order
    contact: str  # the contact person's name ("" without one)
    history: list[StageMove]  # oldest first; the first is the deal's creation

    @property
    def deal(self) -> DealOut:
        return self.lines.deal

    @property
    def stage(self) -> StageOut | None:
        return next((s for s in self.stages if s.id == self.deal.stage_id), None)

    @property
    def created_at(self) -> datetime | None:
        return self.history[0].changed_at if self.history else None


def read_deal(deal_id: int) -> Callable[[Any, Any], DealData]:
    def read(s: Any, a: Any) -> DealData:
        lines = deal_items.items_of(s, a, deal_id)
        deal = lines.deal
        contact = ""
        if deal.contact_id is not None:
            try:
                contact = contacts.get_contact(s, a, deal.contact_id).full_name
            except NotFound:
                contact = ""  # the person was deleted: the deal keeps no name
        history = deals.stage_history(s, a, deal_id)
        name = deals.pipeline_name(s, deal.pipeline_id)
        return DealData(lines, name, deals.stages(s, deal.pipeline_id), contact, history)

    return read


# -- how it looks ----------------------------------------------------------------------------


def amount_text(deal: DealOut) -> str:
    return fmt_money(deal.amount, deal.currency)


def days_text(days: int) -> str:
    return ngettext("{n} day", "{n} days", days).format(n=fmt_number(days))


def _days_between(start: datetime, end: datetime) -> int:
    return max(0, (i18n.local(end).date() - i18n.local(start).date()).days)


def stage_line(data: DealData) -> str:
    """``Proposal · 40% (Sales)``"""
    stage = data.stage
    name = data.deal.stage
    if stage is not None and stage.outcome == "open":
        name = _("{name} · {probability}%").format(name=name, probability=stage.probability)
    return _("{stage} ({pipeline})").format(stage=name, pipeline=data.pipeline)


def header(data: DealData, now: datetime) -> RenderableType:
    """Three lines: the deal and its client; stage, amount, owner; its dates."""
    d = data.deal
    dot = Text(" · ", style="dim")

    def line(*parts: Text | str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for part in (p for p in parts if p):
            if text:
                text.append_text(dot)
            text.append_text(part if isinstance(part, Text) else Text(part))
        return text

    def fact(label: str, value: str) -> Text:
        return Text.assemble((label + ": ", "dim"), value) if value else Text("")

    stage = data.stage
    outcome = stage.outcome if stage is not None else "open"
    style = {"won": "bold green", "lost": "bold red"}.get(outcome, "bold")
    amount = Text(amount_text(d), style="bold")
    if d.amount_from_items:
        amount.append(" " + _("(follows the lines)"), style="dim")
    first = line(Text(d.title, style="bold"), d.client)
    second = line(Text(stage_line(data), style=style), amount, fact(_("Owner"), d.owner))
    if d.closed_at is not None:
        closed = {"won": _("Won {date}"), "lost": _("Lost {date}")}.get(outcome, _("Closed {date}"))
        third = line(
            Text(closed.format(date=fmt_date(d.closed_at)), style=style),
            fact(_("Reason"), d.lost_reason) if outcome == "lost" else "",
        )
    else:
        since = _days_between(d.stage_changed_at, now)
        third = line(
            fact(_("Expected close"), fmt_date(d.expected_close) or "—"),
            fact(_("In the stage"), days_text(since)),
        )
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True, justify="right", style="dim")
    grid.add_row(first, _("v{version}").format(version=d.version))
    grid.add_row(second, "")
    grid.add_row(third, "")
    return grid


WIDE = 110  # from this width the overview shows its groups in two columns


def overview(data: DealData, *, wide: bool = False) -> RenderableType:
    """Every field of the deal as label / value lines, grouped, empty ones left out;
    ``wide``: the deal's own facts on the left, the rest on the right."""
    d = data.deal
    stage = data.stage

    def new_grid() -> Table:
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(style="dim", no_wrap=True, max_width=20)
        grid.add_column(ratio=1, overflow="fold")
        return grid

    left = new_grid()
    right = new_grid() if wide else left

    def section(grid: Table, title: str, rows: list[tuple[str, str]]) -> None:
        rows = [(label, value) for label, value in rows if value and value.strip()]
        if not rows:
            return
        if grid.row_count:
            grid.add_row("", "")
        grid.add_row(Text(title, style="bold"), "")
        for label, value in rows:
            grid.add_row(Text(label), Text(value))

    amount = amount_text(d)
    if d.amount_from_items:
        amount += " " + _("(follows the lines)")
    section(
        left,
        _("Deal"),
        [
            (_("Title"), d.title),
            (_("Client"), d.client),
            (_("Contact"), data.contact),
            (_("Owner"), d.owner),
            (_("Pipeline"), data.pipeline),
            (_("Stage"), d.stage),
            (_("Probability"), f"{fmt_number(stage.probability)}%" if stage else ""),
            (_("Amount"), amount),
            (_("Expected close"), fmt_date(d.expected_close)),
        ],
    )
    section(
        right,
        _("About"),
        [
            (_("Source"), d.source),
            (_("Type"), d.kind),
            (_("Competitor"), d.competitor),
            (_("Description"), d.description),
            (_("Lost reason"), d.lost_reason),
        ],
    )
    section(
        right,
        _("Dates"),
        [
            (_("Created"), fmt_datetime(data.created_at)),
            (_("Stage changed"), fmt_datetime(d.stage_changed_at)),
            (_("Closed"), fmt_datetime(d.closed_at)),
        ],
    )
    if not wide:
        return left
    both = Table.grid(padding=(0, 4), expand=True)
    both.add_column(ratio=1)
    both.add_column(ratio=1)
    both.add_row(left, right)
    return both


def line_columns(currency: str) -> list[Column[DealItemOut]]:
    """The lines' columns; the fixed ones leave 24 cells of a 80-column screen to the
    SKU and the name."""
    return [
        Column("no", _("No."), lambda i: fmt_number(i.position), width=3, right=True),
        Column("sku", _("SKU"), lambda i: i.sku, min_width=4, weight=1),
        Column("name", _("Name"), lambda i: i.name, min_width=10, weight=3),
        Column("unit", _("Unit"), lambda i: i.unit, width=5),
        Column("qty", _("Qty"), lambda i: fmt_number(i.quantity), width=7, right=True),
        Column("price", _("Price"), lambda i: fmt_money(i.price, currency), width=12, right=True),
        Column(
            "discount",
            _("Disc.%"),
            lambda i: fmt_number(i.discount_pct) if i.discount_pct else "",
            width=6,
            right=True,
        ),
        Column(
            "amount", _("Amount"), lambda i: fmt_money(i.amount, currency), width=14, right=True
        ),
    ]


def lines_total(lines: DealItems) -> Text:
    """``Total 12 500,00 ₽ · the deal's amount follows the lines (f: stop)``"""
    d = lines.deal
    text = Text.assemble((_("Total") + " ", "dim"), (fmt_money(lines.total, d.currency), "bold"))
    if lines.amount_from_items:
        text.append("  " + _("the deal's amount follows the lines (f: stop)"), style="dim")
    else:
        text.append(
            "  "
            + _("the deal's amount is {amount}, typed (f: make it follow the lines)").format(
                amount=amount_text(d)
            ),
            style="dim",
        )
    return text


@dataclass(frozen=True, slots=True)
class HistoryRow:
    move: StageMove
    days: int  # how long the deal stayed in the stage it moved to (until now, the last)


def history_rows(history: list[StageMove], now: datetime) -> list[HistoryRow]:
    """The moves, newest first, with the days the deal stayed in each stage."""
    out: list[HistoryRow] = []
    for i, move in enumerate(history):
        end = history[i + 1].changed_at if i + 1 < len(history) else now
        out.append(HistoryRow(move, _days_between(move.changed_at, end)))
    return out[::-1]


def history_columns() -> list[Column[HistoryRow]]:
    return [
        Column(
            "when", _("When"), lambda r: fmt_datetime(r.move.changed_at), width=datetime_width()
        ),
        Column(
            "from", _("From"), lambda r: r.move.from_stage or _("(created)"), min_width=8, weight=2
        ),
        Column("to", _("To"), lambda r: r.move.to_stage, min_width=8, weight=2),
        Column("days", _("Days"), lambda r: fmt_number(r.days), width=5, right=True),
        Column("who", _("Who"), lambda r: r.move.user, min_width=6, weight=2),
    ]


class LinesTable(VirtualTable[DealItemOut]):
    """The Lines tab's list, with its own keys (the card's ``e`` edits the deal elsewhere)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_line", N_("Add line"), id="deal_card.lines.add"),
        Binding("e", "screen.edit_line", NP_("key", "Edit line"), id="deal_card.lines.edit"),
        Binding(
            "delete", "screen.remove_line", NP_("key", "Remove line"), id="deal_card.lines.remove"
        ),
        Binding("f", "screen.follow", N_("Amount follows"), id="deal_card.lines.follow"),
    ]


# -- the card ----------------------------------------------------------------------------------


class DealCard(TabbedCard):
    TABS = TABS
    AUTO_FOCUS = "#overview-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", N_("Edit"), id="deal_card.edit"),
        Binding("m", "move", N_("Move"), id="deal_card.move"),
        Binding("w", "close_as('won')", N_("Won"), id="deal_card.won"),
        Binding("x", "close_as('lost')", N_("Lost"), id="deal_card.lost"),
        Binding(
            "p",
            "proposal",
            NP_("key", "Proposal"),
            tooltip=N_("Write the commercial proposal as an Excel workbook"),
            id="deal_card.proposal",
        ),
        # the app's key of the quick log (same id, so remapped with it): for this deal
        Binding("l", "log", N_("Log"), id="quick_log"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="deal_card.reload"),
        Binding("escape", "back", N_("Back"), id="deal_card.back"),
        Binding("right,tab", "next_tab", N_("Next tab"), show=False, id="deal_card.next_tab"),
        Binding(
            "left,shift+tab",
            "previous_tab",
            N_("Previous tab"),
            show=False,
            id="deal_card.previous_tab",
        ),
    ]
    DEFAULT_CSS = """
    DealCard #deal-header { height: 3; padding: 0 1; background: $boost; }
    DealCard TabbedContent { height: 1fr; }
    DealCard TabbedContent > ContentSwitcher { height: 1fr; }
    DealCard TabPane { height: 1fr; padding: 0; }
    DealCard #overview-body { height: 1fr; padding: 0 1; }
    DealCard #lines-total { height: auto; padding: 0 1; }
    """

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.loaded: DealData | None = None
        self._generation = 0
        self._skip_reload = False  # the next resume follows a question, not an edit
        self.journal = PagedList[InteractionOut](
            self, "#journal-table", page_size=PAGE, wait=True, on_change=self._count_journal
        )

    @property
    def deal(self) -> DealOut | None:
        return self.loaded.deal if self.loaded is not None else None

    def compose(self) -> ComposeResult:
        from termcrm.screens.client_card import journal_columns

        yield TopBar(None)
        yield Static(_("Loading…"), id="deal-header")
        with TabbedContent(initial="overview"):
            with TabPane(_("Overview"), id="overview"), VerticalScroll(id="overview-body"):
                yield Static(_("Loading…"), id="overview-text")
            with TabPane(_("Lines"), id="lines"):
                yield LinesTable(line_columns("RUB"), empty_text=_("Loading…"), id="lines-table")
                yield Static("", id="lines-total")
            with TabPane(_("History"), id="history"):
                yield VirtualTable(history_columns(), empty_text=_("Loading…"), id="history-table")
            with TabPane(_("Journal"), id="journal"):
                yield VirtualTable(journal_columns(), empty_text=_("Loading…"), id="journal-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._close_on_resume:
            self._close()
        elif self._skip_reload:
            self._skip_reload = False
        elif self.back_on_top():
            self.load()

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the deal, its lines and history, then the journal's first page."""
        if self._gone:
            return
        self._generation += 1
        generation = self._generation

        def arrived(data: DealData) -> None:
            if generation == self._generation:
                self._show(data)

        def failed(error: Exception) -> bool:
            if isinstance(error, NotFound | Forbidden):
                self._close()
                self.crm.show_error(error)
                return True
            return False

        self.call(read_deal(self.deal_id), arrived, failed=failed, group=f"deal-card-{id(self)}")
        deal_id = self.deal_id
        self.journal.load(
            lambda s, a, after, n: journal.list_interactions(
                s, a, JournalFilter(deal_id=deal_id), after=after, limit=n
            ),
            keep_cursor=True,
        )

    def _show(self, data: DealData) -> None:
        self.loaded = data
        d = data.deal
        self.current_client_id = d.client_id  # the quick log's default client
        now = self.crm.now()
        self.query_one("#deal-header", Static).update(header(data, now))
        self._show_overview()
        self._show_lines(data.lines)
        history = self.table("history")
        history.empty_text = _("No moves yet.")
        history.set_source(ListSource(history_rows(data.history, now)), keep_cursor=True)
        self.tabs.get_tab("history").label = _("History") + f" ({fmt_number(len(data.history))})"

    def _show_overview(self) -> None:
        if self.loaded is not None:
            wide = self.size.width >= WIDE
            self.query_one("#overview-text", Static).update(overview(self.loaded, wide=wide))

    def on_resize(self, event: events.Resize) -> None:
        self._show_overview()

    def _show_lines(self, lines: DealItems) -> None:
        table = self.query_one("#lines-table", LinesTable)
        table.columns = line_columns(lines.deal.currency)
        table.empty_text = _("No lines yet: press a to add a product or a line of its own.")
        table.set_source(ListSource(lines.items), keep_cursor=True)
        self.query_one("#lines-total", Static).update(lines_total(lines))
        self.tabs.get_tab("lines").label = _("Lines") + f" ({fmt_number(len(lines.items))})"

    def _count_journal(self) -> None:
        source, shown = self.journal.source, self.journal.shown
        if source is None or shown is None:
            return
        self.table("journal").empty_text = _("No interactions about this deal: press l to log one.")
        if source.exact:
            count = fmt_number(shown.total)
        else:
            count = fmt_number(shown.total - source.page_size) + "+"
        self.tabs.get_tab("journal").label = _("Journal") + f" ({count})"

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        item = event.item
        if isinstance(item, DealItemOut):
            self.action_edit_line()
        elif isinstance(item, InteractionOut):
            from termcrm.screens.client_card import DetailsDialog, interaction_rows

            self._skip_reload = True
            self.app.push_screen(DetailsDialog(_("Interaction"), interaction_rows(item)))

    # -- after a change ---------------------------------------------------------------------------

    def _refused(self, error: Exception) -> bool:
        """A change refused: a conflict says who changed the deal; the card reads it again."""
        if isinstance(error, Conflict):
            from termcrm.screens.deal_moves import conflict_text

            title = self.deal.title if self.deal else ""
            self.app.push_screen(
                ErrorDialog(
                    conflict_text(error),
                    title=_("“{title}” was changed meanwhile").format(title=title),
                )
            )
            self.load()
            return True
        if isinstance(error, NotFound | Forbidden):
            self._close()
            return False
        self.load()
        return False

    def _lines_changed(self, lines: DealItems | None) -> None:
        if lines is None:
            self.load()  # a conflict's reload, or nothing saved: read what is there now
            return
        if self.loaded is not None:
            history = self.loaded.history
            self.loaded = DealData(
                lines, self.loaded.pipeline, self.loaded.stages, self.loaded.contact, history
            )
            self._show(self.loaded)

    # -- the deal's actions ----------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_edit(self) -> None:
        deal = self.deal
        if deal is None:
            return
        from termcrm.screens.deal_form import DealForm

        self.app.push_screen(DealForm(deal))

    def action_move(self) -> None:
        data = self.loaded
        if data is None:
            return
        from termcrm.screens.deal_moves import StagePicker

        self._skip_reload = True

        def chosen(stage: StageOut | None) -> None:
            if stage is not None and stage.id != data.deal.stage_id:
                self._move(data.deal, stage)

        self.app.push_screen(StagePicker(data.stages, data.deal.stage_id), chosen)

    def action_close_as(self, outcome: str) -> None:
        data = self.loaded
        if data is None:
            return
        stage = next((s for s in data.stages if s.outcome == outcome), None)
        if stage is None:
            self.notify(
                _("Pipeline {pipeline} has no {outcome} stage.").format(
                    pipeline=data.pipeline, outcome=_(outcome)
                ),
                severity="warning",
                markup=False,
            )
            return
        current = data.stage
        if current is not None and current.outcome == outcome:
            message = (
                _("The deal is won already.")
                if outcome == "won"
                else _("The deal is lost already.")
            )
            self.notify(message, markup=False)
            return
        self._move(data.deal, stage)

    def _move(self, deal: DealOut, stage: StageOut) -> None:
        from termcrm.screens.deal_moves import move_with_reason

        def moved(after: DealOut) -> None:
            self.notify(
                _("“{title}” moved to {stage}").format(title=after.title, stage=after.stage),
                markup=False,
            )
            self.load()

        if stage.outcome == "lost":
            self._skip_reload = True  # the reason's dialog changes nothing by itself
        move_with_reason(
            self,
            deal.id,
            deal.version,
            stage,
            moved,
            title=deal.title,
            refused=lambda _error: self.load(),
        )

    def action_log(self) -> None:
        deal = self.deal
        if deal is None:
            return
        from termcrm.screens.quick_log import QuickLogScreen

        self.app.push_screen(
            QuickLogScreen(client_id=deal.client_id, contact_id=deal.contact_id, deal_id=deal.id)
        )

    def action_proposal(self) -> None:
        data = self.loaded
        if data is None:
            return
        from termcrm.screens.deal_lines import ProposalDialog

        self._skip_reload = True
        today = self.crm.now().astimezone(i18n.zone()).date()
        self.app.push_screen(ProposalDialog(data.deal, len(data.lines.items), today))

    # -- the lines (the Lines table's keys) -------------------------------------------------

    def _current_line(self) -> DealItemOut | None:
        row = self.query_one("#lines-table", LinesTable).current
        return row if isinstance(row, DealItemOut) else None

    def action_add_line(self) -> None:
        deal = self.deal
        if deal is None:
            return
        from termcrm.screens.deal_lines import LineDialog, Picked, ProductPicker

        self._skip_reload = True

        def picked(choice: Picked | None) -> None:
            if choice is None:
                return
            current = self.deal or deal
            self._skip_reload = True
            self.app.push_screen(LineDialog(current, product=choice.product), self._lines_changed)

        self.app.push_screen(ProductPicker(deal.currency), picked)

    def action_edit_line(self) -> None:
        deal, line = self.deal, self._current_line()
        if deal is None or line is None:
            return
        from termcrm.screens.deal_lines import LineDialog

        self._skip_reload = True
        self.app.push_screen(LineDialog(deal, item=line), self._lines_changed)

    def action_remove_line(self) -> None:
        deal, line = self.deal, self._current_line()
        if deal is None or line is None:
            return

        def remove() -> None:
            self.call(
                lambda s, a: deal_items.remove_item(s, a, line.id, version=deal.version),
                self._lines_changed,
                write=True,
                failed=self._refused,
            )

        self._skip_reload = True
        amount = fmt_money(line.amount, deal.currency)
        self.confirm(
            _("Remove line {position}, {name} ({amount}), from the deal?").format(
                position=line.position, name=line.name, amount=amount
            ),
            remove,
            yes=_("Remove"),
            no=_("Keep"),
        )

    def action_follow(self) -> None:
        data = self.loaded
        if data is None:
            return
        deal, on = data.deal, not data.lines.amount_from_items

        def done(lines: DealItems) -> None:
            self._lines_changed(lines)
            if on:
                message = _("The deal's amount follows the lines: {total}.").format(
                    total=fmt_money(lines.total, deal.currency)
                )
            else:
                message = _("The deal's amount no longer follows the lines; edit it with e.")
            self.notify(message, markup=False)

        self.call(
            lambda s, a: deal_items.follow_items(s, a, deal.id, version=deal.version, on=on),
            done,
            write=True,
            failed=self._refused,
        )
