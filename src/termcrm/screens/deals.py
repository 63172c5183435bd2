"""The Deals section (key 5): the deal board, and the list of deals (``v`` switches).

The **board** shows one column per open stage of a pipeline (the default one unless
the filter names another) with its open deals as cards; the **list** shows the deals
a page at a time, sorted (``s`` the next sort, ``r`` reversed, or a click on a
column's title), open ones by default and won, lost or all with ``t``.

On the deal under the cursor: Enter opens its card, ``e`` edits it, shift+right and
shift+left (or ``>`` and ``<``) move it to the next or previous open stage, ``m``
picks any stage, ``w`` marks it won and ``x`` lost (which asks why). After a move
the view is read again and the cursor follows the deal while it is shown.

Both views share the search (``/``) and the filter (``f``: owner, department,
pipeline, period of creation or expected close), shown on the status line and kept
while the user goes to other sections. ``n`` adds a deal, ``S`` opens the pipeline
settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from termcrm import i18n
from termcrm.i18n import N_, NP_, _, fmt_date, fmt_number, ngettext, pgettext
from termcrm.screens.base import CrmScreen
from termcrm.screens.deal_filter import PERIOD_OF, DealFilterChoice
from termcrm.screens.list_screen import SEARCH_DEBOUNCE
from termcrm.screens.paged_list import PagedList
from termcrm.services.deal_board import Board
from termcrm.services.deals import SORTS, DealFilter
from termcrm.services.dto import DealOut, StageOut
from termcrm.widgets.deal_board import DealBoard, amount_text, money
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

PAGE = 100
PER_COLUMN = 100  # cards per column on the board; the list has the rest
VIEWS = ("board", "list")
SORT_NAMES = {
    "newest": N_("newest"),
    "amount": N_("amount"),
    "close": N_("expected close"),
    "stage_age": N_("days in stage"),
    "title": N_("title"),
    "client": N_("client"),
}
# the sorts that run from high to low unless reversed (as services.deals.sort_key)
DESCENDING = ("newest", "amount")
STATES: tuple[str | None, ...] = ("open", "won", "lost", "closed", None)
DEAL_OUTCOMES = ("open", "won", "lost")  # named in the "deal" context
STATE_NAMES = {
    "open": NP_("deal", "open"),
    "won": NP_("deal", "won"),
    "lost": NP_("deal", "lost"),
    "closed": N_("won or lost"),
    None: N_("all"),
}


def _deals() -> Any:
    from termcrm.services import deals

    return deals


def days_in_stage(deal: DealOut, now: datetime) -> int:
    """Calendar days in the user's zone, as the board and the deal card count them."""
    return max(0, (i18n.local(now).date() - i18n.local(deal.stage_changed_at).date()).days)


def deal_columns(now: Callable[[], datetime]) -> list[Column[DealOut]]:
    """The list's columns; ``now()``: the app's clock, for the days in stage."""
    return [
        Column("title", _("Title"), lambda d: d.title, min_width=10, weight=3, sort="title"),
        Column("client", _("Client"), lambda d: d.client, min_width=8, weight=2, sort="client"),
        Column("stage", _("Stage"), lambda d: d.stage, min_width=7, weight=2),
        Column(
            "amount",
            _("Amount"),
            lambda d: amount_text(d.amount),
            width=14,  # 999,999,999.99: below a billion, cents and all
            right=True,
            sort="amount",
        ),
        Column("currency", _("Cur."), lambda d: d.currency, width=4),
        Column("owner", _("Owner"), lambda d: d.owner, min_width=6, weight=1),
        Column("close", _("Close"), lambda d: fmt_date(d.expected_close), width=10, sort="close"),
        Column(
            "days",
            _("Days"),
            lambda d: fmt_number(days_in_stage(d, now())),
            width=4,
            right=True,
            sort="stage_age",
        ),
    ]


class DealsScreen(CrmScreen[None]):
    SECTION = "deals"
    DEFAULT_CSS = """
    DealsScreen #search-bar { display: none; }
    DealsScreen #search-bar.-shown { display: block; }
    DealsScreen #deal-list { display: none; }
    DealsScreen.-list #deal-list { display: block; }
    DealsScreen.-list #board { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", N_("New"), id="deals.new"),
        Binding("m", "move", N_("Move"), id="deals.move"),
        Binding(
            "shift+right,greater_than_sign",
            "step(1)",
            N_("Next stage"),
            key_display=">",
            id="deals.next_stage",
        ),
        Binding(
            "shift+left,less_than_sign",
            "step(-1)",
            N_("Previous stage"),
            key_display="<",
            show=False,
            id="deals.previous_stage",
        ),
        Binding("w", "close('won')", N_("Won"), id="deals.won"),
        Binding("x", "close('lost')", N_("Lost"), id="deals.lost"),
        Binding("v", "switch_view", N_("List/board"), id="deals.view"),
        Binding("slash", "search", N_("Search"), id="deals.search"),
        Binding("f", "filter", N_("Filter"), id="deals.filter"),
        Binding("s", "sort", N_("Sort"), id="deals.sort"),
        Binding("r", "reverse", N_("Reverse"), show=False, id="deals.reverse"),
        Binding("t", "state", N_("Open/won/lost"), id="deals.state"),
        Binding("e", "edit", N_("Edit"), show=False, id="deals.edit"),
        Binding("S", "pipelines", N_("Pipelines"), show=False, id="deals.pipelines"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="deals.reload"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="deals.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "board"
        self.filter = DealFilter(state="open")
        self.names: dict[str, str] = {}  # the filter's owner, department, pipeline by name
        self.query_text = ""
        self.board_data: Board | None = None
        self.total: int | None = None  # the list's count, once read
        self.stages: dict[int, list[StageOut]] = {}  # pipeline id -> its stages, as read
        self._goto: int | None = None  # the deal the cursor goes to after the next read
        self._debounce: Timer | None = None
        self._board_generation = 0
        self.pages: PagedList[DealOut] = PagedList(
            self, "#deal-list", page_size=PAGE, wait=True, on_change=self._list_changed
        )

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        with Horizontal(classes="toolbar", id="search-bar"):
            yield Input(placeholder=_("Search: a deal's title or its client…"), id="search")
        yield DealBoard(empty_text=_("Reading the board…"), id="board")
        yield VirtualTable(
            deal_columns(self.crm.now), empty_text=_("No deals here."), id="deal-list"
        )
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def board(self) -> DealBoard:
        return self.query_one("#board", DealBoard)

    @property
    def table(self) -> VirtualTable[DealOut]:
        return self.query_one("#deal-list", VirtualTable)

    @property
    def view_widget(self) -> Widget:
        return self.board if self.view == "board" else self.table

    @property
    def actor_id(self) -> int | None:
        connection = self.crm.connection
        return connection.actor.id if connection is not None else None

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        target = self._target()
        return target.client_id if target is not None else None

    # -- state kept over a rebuild (a language switch) ---------------------------------------

    def carry(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "filter": self.filter,
            "names": self.names,
            "query": self.query_text,
        }

    def take(self, state: dict[str, Any]) -> None:
        self.view = state.get("view", self.view)
        self.filter = state.get("filter", self.filter)
        self.names = state.get("names", self.names)
        self.query_text = state.get("query", "")
        if self.query_text:
            self.query_one("#search", Input).value = self.query_text
            self.query_one("#search-bar").add_class("-shown")

    def on_mount(self) -> None:
        state = self.crm.carried.pop(self.SECTION or "", None)
        if state:
            self.take(state)
        self.set_class(self.view == "list", "-list")
        self.view_widget.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top():
            self.load(keep=True)

    def action_reload(self) -> None:
        self.load(keep=True)

    # -- reading -----------------------------------------------------------------------------

    @property
    def list_filter(self) -> DealFilter:
        return replace(self.filter, text=self.query_text)

    def load(self, *, keep: bool = False) -> None:
        """Read the view for the current filter, sort and search; ``keep``: the cursor stays
        on its deal (or goes to ``_goto``, a deal just moved or added)."""
        self.stages.clear()  # the pipeline settings may have changed them
        if self.view == "board":
            self._load_board(keep)
        else:
            self._load_list(keep)
        self._show_status()

    def _load_board(self, keep: bool) -> None:
        self._board_generation += 1
        generation = self._board_generation
        flt, now = self.list_filter, self.crm.now()
        current = self.board.current
        # the deal just moved, added or opened; else (keep) the one under the cursor
        goto = self._goto if self._goto is not None else (current.id if keep and current else None)

        def read(s: Any, a: Any) -> Board:
            from termcrm.services import deal_board

            return deal_board.board(s, a, flt, per_column=PER_COLUMN, now=now, zone=i18n.zone())

        def arrived(board: Board) -> None:
            if generation != self._board_generation:
                return
            self.board_data = board
            self.stages[board.pipeline_id] = [
                *(c.stage for c in board.columns),
                *board.closing,
            ]
            me = self.actor_id
            others = any(card.owner_id != me for c in board.columns for card in c.cards)
            self.board.show(board, show_owner=others, keep=goto)
            self._goto = None
            self._show_status()

        self.call(read, arrived, write=True, group="deals.board", failed=self._board_failed)

    def _board_failed(self, error: Exception) -> bool:
        from termcrm.services.errors import Invalid

        if isinstance(error, Invalid) and "pipeline" in error.errors and self.filter.pipeline_id:
            # the filter's pipeline is gone (deleted in the settings): the default one
            self.filter = replace(self.filter, pipeline_id=None)
            self.names.pop("pipeline", None)
            self.notify(str(error.errors["pipeline"]), severity="warning", markup=False)
            self.load()
            return True
        return False

    def _load_list(self, keep: bool) -> None:
        flt = self.list_filter
        self.total = None
        source = self.pages.load(
            lambda s, a, after, n: _deals().list_deals(s, a, flt, after=after, limit=n),
            keep_cursor=keep,
        )
        self.table.set_sort(self._column_of(flt.sort), (flt.sort in DESCENDING) != flt.reverse)

        def counted(total: int) -> None:
            self.total = total
            source.set_total(total)
            self._show_status()

        self.pages.call(lambda s, a: _deals().count_deals(s, a, flt), counted)

    def _list_changed(self) -> None:
        """Rows came in: the status line, and the cursor to the deal to follow (on the
        first page, when it is there)."""
        self._show_status()
        source = self.pages.source
        if self._goto is None or source is None or not self.pages.showing:
            return
        if not source.first_page_loaded():
            return
        for index in range(min(source.total, PAGE)):
            row = source.get(index)
            if row is not None and row.id == self._goto:
                self.table.cursor = index
                break
        self._goto = None

    @staticmethod
    def _column_of(sort: str) -> str | None:
        return None if sort == "newest" else sort

    # -- the status line ------------------------------------------------------------------------

    def filter_parts(self) -> list[str]:
        f = self.filter
        parts = []
        if f.owner_id is not None:
            parts.append(_("owner: {name}").format(name=self.names.get("owner", f.owner_id)))
        if f.department_id is not None:
            parts.append(
                _("department: {name}").format(name=self.names.get("department", f.department_id))
            )
        if f.period is not None:
            first, last = f.period
            parts.append(
                _("{what}: {first} – {last}").format(
                    what=_(PERIOD_OF[f.period_of]), first=fmt_date(first), last=fmt_date(last)
                )
            )
        if self.query_text:
            parts.append(f"“{self.query_text}”")
        return parts

    def _sort_text(self) -> str:
        f = self.filter
        arrow = "▼" if (f.sort in DESCENDING) != f.reverse else "▲"
        return _("sorted by {sort}").format(sort=_(SORT_NAMES[f.sort])) + " " + arrow

    def _show_status(self) -> None:
        """What is shown and how: the count, the filter, the sort; on the board, then the
        amounts per currency (what does not fit is cut, so the filter comes first)."""
        amounts: list[str] = []
        if self.view == "board":
            board = self.board_data
            if board is None:
                lead = [_("Reading the board…")]
            else:
                count = sum(c.count for c in board.columns)
                lead = [
                    board.pipeline,
                    ngettext("{count} open deal", "{count} open deals", count).format(
                        count=fmt_number(count)
                    ),
                ]
                totals: dict[str, Decimal] = {}
                for column in board.columns:
                    for currency, amount in column.amounts:
                        totals[currency] = totals.get(currency, Decimal(0)) + amount
                amounts = [
                    money(amount.quantize(Decimal(1)), currency)
                    for currency, amount in totals.items()  # the first column's main currency first
                ]
        else:
            if self.total is None:
                lead = [_("Counting deals…")]
            else:
                lead = [
                    ngettext("{count} deal", "{count} deals", self.total).format(
                        count=fmt_number(self.total)
                    )
                ]
            state = self.filter.state
            name = STATE_NAMES[state]
            lead.append(pgettext("deal", name) if state in DEAL_OUTCOMES else _(name))
            if self.filter.pipeline_id is not None:
                lead.append(self.names.get("pipeline", str(self.filter.pipeline_id)))
        parts = [*lead, *self.filter_parts(), self._sort_text(), *amounts]
        line = Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")
        self.query_one("#status", Static).update(line)

    # -- views, sort, state ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "state":
            return self.view == "list"  # the board shows the open deals
        return True

    def action_switch_view(self) -> None:
        target = self._target()
        self._goto = target.deal_id if target is not None else None
        self.view = "list" if self.view == "board" else "board"
        self.set_class(self.view == "list", "-list")
        self.view_widget.focus()
        self.refresh_bindings()
        self.load()

    def action_sort(self) -> None:
        self.filter = replace(
            self.filter, sort=SORTS[(SORTS.index(self.filter.sort) + 1) % len(SORTS)]
        )
        self.load()

    def action_reverse(self) -> None:
        self.filter = replace(self.filter, reverse=not self.filter.reverse)
        self.load()

    def on_virtual_table_sort_requested(self, event: VirtualTable.SortRequested) -> None:
        event.stop()
        sort = event.column.sort or "newest"
        if sort == self.filter.sort:
            self.filter = replace(self.filter, reverse=not self.filter.reverse)
        else:
            self.filter = replace(self.filter, sort=sort, reverse=False)
        self.load()

    def action_state(self) -> None:
        index = STATES.index(self.filter.state) if self.filter.state in STATES else 0
        self.filter = replace(self.filter, state=STATES[(index + 1) % len(STATES)])
        self.load()

    # -- search ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search-bar").add_class("-shown")
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, partial(self._apply_search, event.value))

    def _apply_search(self, value: str) -> None:
        value = " ".join(value.split())
        if value == self.query_text:
            return
        self.query_text = value
        self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            event.stop()
            self._apply_search(event.value)
            self._leave_search()

    def on_key(self, event: events.Key) -> None:
        """Down in the search box goes to the deals, as Enter does."""
        focused = self.focused
        if event.key == "down" and isinstance(focused, Input) and focused.id == "search":
            event.stop()
            self._apply_search(focused.value)
            self._leave_search()

    def _leave_search(self) -> None:
        if not self.query_text:
            self.query_one("#search-bar").remove_class("-shown")
        self.view_widget.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
            self._apply_search("")
        self.query_one("#search-bar").remove_class("-shown")
        self.view_widget.focus()

    # -- the filter ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        from termcrm.screens.deal_filter import DealFilterScreen

        def chosen(choice: DealFilterChoice | None) -> None:
            if choice is None:
                return
            self.names = dict(choice.names)
            if choice.filter != self.filter:
                self.filter = choice.filter
                self.load()
            else:
                self._show_status()

        self.app.push_screen(DealFilterScreen(self.filter, self.names), chosen)

    # -- the deal under the cursor --------------------------------------------------------------

    def _target(self) -> _Target | None:
        if self.view == "board":
            card = self.board.current
            if card is None or self.board_data is None:
                return None
            return _Target(
                card.id,
                card.version,
                card.title,
                card.client_id,
                card.stage_id,
                self.board_data.pipeline_id,
            )
        row = self.table.current
        if row is None:
            return None
        return _Target(row.id, row.version, row.title, row.client_id, row.stage_id, row.pipeline_id)

    def on_deal_board_card_chosen(self, event: DealBoard.CardChosen) -> None:
        event.stop()
        self.open_card(event.card.id)

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        self.open_card(event.item.id)

    def open_card(self, deal_id: int) -> None:
        from termcrm.screens.deal_card import DealCard

        self._goto = deal_id
        self.app.push_screen(DealCard(deal_id))

    def action_new(self) -> None:
        from termcrm.screens.deal_form import DealForm

        def saved(deal: DealOut | None) -> None:
            if deal is not None:
                self._goto = deal.id
                self.notify(_("Deal “{title}” added.").format(title=deal.title), markup=False)
                self.load(keep=True)

        self.app.push_screen(DealForm(), saved)

    def action_edit(self) -> None:
        from termcrm.screens.deal_form import DealForm

        target = self._target()
        if target is None:
            return

        def edit(deal: DealOut) -> None:
            self._goto = deal.id
            self.app.push_screen(DealForm(deal), lambda _saved: self.load(keep=True))

        self.call(lambda s, a: _deals().get_deal(s, a, target.deal_id), edit)

    def action_pipelines(self) -> None:
        from termcrm.screens.pipelines import PipelineSettings

        self.app.push_screen(PipelineSettings())

    # -- moving a deal ---------------------------------------------------------------------------

    def _with_stages(self, pipeline_id: int, then: Any) -> None:
        """``then(stages)`` with the stages of the pipeline (read once per load)."""
        known = self.stages.get(pipeline_id)
        if known is not None:
            then(known)
            return

        def read(stages: list[StageOut]) -> None:
            self.stages[pipeline_id] = stages
            then(stages)

        self.call(lambda s, a: _deals().stages(s, pipeline_id), read)

    def _move(self, target: _Target, stage: StageOut) -> None:
        from termcrm.screens.deal_moves import move_with_reason

        def moved(deal: DealOut) -> None:
            self._goto = deal.id
            self.notify(
                _("“{title}” moved to {stage}.").format(title=deal.title, stage=deal.stage),
                markup=False,
            )
            self.load(keep=True)

        move_with_reason(
            self,
            target.deal_id,
            target.version,
            stage,
            moved,
            title=target.title,
            refused=lambda _error: self.load(keep=True),
        )

    def action_step(self, delta: int) -> None:
        """To the next (``1``) or previous (``-1``) open stage."""
        target = self._target()
        if target is None:
            return

        def step(stages: list[StageOut]) -> None:
            open_stages = [s for s in stages if s.outcome == "open"]
            index = next((i for i, s in enumerate(open_stages) if s.id == target.stage_id), None)
            if index is None:
                self.notify(
                    _("“{title}” is closed: m moves it to a stage of your choice.").format(
                        title=target.title
                    ),
                    severity="warning",
                    markup=False,
                )
                return
            if not 0 <= index + delta < len(open_stages):
                message = (
                    _("“{title}” is in the last open stage: w marks it won, x lost.")
                    if delta > 0
                    else _("“{title}” is in the first stage.")
                )
                self.notify(message.format(title=target.title), markup=False)
                return
            self._move(target, open_stages[index + delta])

        self._with_stages(target.pipeline_id, step)

    def action_close(self, outcome: str) -> None:
        """Won (``won``) or lost (``lost``, which asks why)."""
        target = self._target()
        if target is None:
            return

        def close(stages: list[StageOut]) -> None:
            stage = next((s for s in stages if s.outcome == outcome), None)
            if stage is None or stage.id == target.stage_id:
                return
            self._move(target, stage)

        self._with_stages(target.pipeline_id, close)

    def action_move(self) -> None:
        """Any stage of the deal's pipeline, picked from a list."""
        from termcrm.screens.deal_moves import StagePicker

        target = self._target()
        if target is None:
            return

        def pick(stages: list[StageOut]) -> None:
            def picked(stage: StageOut | None) -> None:
                if stage is not None and stage.id != target.stage_id:
                    self._move(target, stage)

            self.app.push_screen(StagePicker(stages, target.stage_id), picked)

        self._with_stages(target.pipeline_id, pick)


@dataclass(frozen=True, slots=True)
class _Target:
    """The deal an action is about: from a card of the board or a row of the list."""

    deal_id: int
    version: int
    title: str
    client_id: int
    stage_id: int
    pipeline_id: int
