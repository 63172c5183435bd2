"""The interaction journal: calls, meetings, letters… the user may see, newest first.

Filters: whose (``m``: all I may see / mine / my department), kind (``k``), period
(``p``: today, this week, this month) and one client (``c`` picks it with the
client picker; ``c`` again or Escape drops it). The list is read in keyset pages
as it scrolls. Enter opens the client of the highlighted entry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from babel import Locale
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_datetime, fmt_number, ngettext
from termcrm.labels import value_label
from termcrm.screens.list_screen import ListScreen
from termcrm.screens.paged_list import PagedList
from termcrm.services import journal
from termcrm.services.dto import InteractionOut
from termcrm.services.journal import JournalFilter
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

PAGE = 100
SCOPES = ("all", "mine", "department")
SCOPE_NAMES = {"all": N_("all I may see"), "mine": N_("mine"), "department": N_("my department")}
PERIODS = ("all", "today", "week", "month")
PERIOD_NAMES = {
    "all": N_("any time"),
    "today": N_("today"),
    "week": N_("this week"),
    "month": N_("this month"),
}
DIRECTION_SHORT = {"in": N_("in"), "out": N_("out")}


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """Where a period begins (UTC): local midnight today, the week's first day, the 1st."""
    if period == "all":
        return None
    local = (now or datetime.now(UTC)).astimezone(i18n.zone())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        first_day = Locale.parse(i18n.BABEL_LOCALES[i18n.current()]).first_week_day
        start -= timedelta(days=(start.weekday() - first_day) % 7)
    elif period == "month":
        start = start.replace(day=1)
    return start.astimezone(UTC)


def _what(row: InteractionOut) -> str:
    if row.purpose and row.result:
        return f"{row.purpose} → {row.result}"
    return row.purpose or row.result


def journal_columns() -> list[Column[InteractionOut]]:
    sample = datetime(2026, 12, 28, 22, 58, tzinfo=UTC)
    when_width = max(len(fmt_datetime(sample)), len(fmt_datetime(sample.replace(hour=10))))
    return [
        Column("when", _("When"), lambda r: fmt_datetime(r.occurred_at), width=when_width),
        Column("kind", _("Kind"), lambda r: value_label(r.kind), width=7),
        Column("direction", _("Dir"), lambda r: _(DIRECTION_SHORT.get(r.direction, "")), width=4),
        Column("client", _("Client"), lambda r: r.client, min_width=10, weight=3),
        Column("contact", _("Contact"), lambda r: r.contact, min_width=6, weight=2),
        Column("who", _("Who"), lambda r: r.user, min_width=6, weight=1),
        Column("what", _("Purpose / result"), _what, min_width=10, weight=4),
    ]


class JournalScreen(ListScreen):
    SECTION = "journal"
    DEFAULT_CSS = """
    JournalScreen #client-bar { display: none; }
    JournalScreen #client-bar.-shown { display: block; }
    JournalScreen #client-bar .hint { width: auto; padding: 0 1 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "scope", N_("Mine/all"), id="journal.scope"),
        Binding("k", "kind", N_("Kind"), id="journal.kind"),
        Binding("p", "period", N_("Period"), id="journal.period"),
        Binding("c", "client", N_("Client"), id="journal.client"),
        Binding("x", "export", N_("Export"), id="journal.export"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="journal.reload"),
        Binding("escape", "clear_client", N_("All clients"), show=False, id="journal.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = JournalFilter()
        self.period = "all"
        self.client_name = ""
        # the table keeps showing what it shows until the new first page arrives
        self.pages: PagedList[InteractionOut] = PagedList(
            self, "#journal", page_size=PAGE, wait=True, on_change=self._show_status
        )

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        with Horizontal(classes="toolbar", id="client-bar"):
            yield Static(_("Client:"), classes="hint")
            yield ClientPicker(placeholder=_("Type a client's name, Enter to choose…"), id="client")
        yield VirtualTable(journal_columns(), empty_text=_("No interactions here."), id="journal")
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def table(self) -> VirtualTable[InteractionOut]:
        return self.query_one("#journal", VirtualTable)

    @property
    def picker(self) -> ClientPicker:
        return self.query_one("#client", ClientPicker)

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        row = self.table.current
        return row.client_id if row is not None else None

    # -- loading -------------------------------------------------------------------------

    def load(self, *, keep_position: bool = False) -> None:
        """(Re)read the journal for the current filters.

        The table keeps showing what it shows until the new first page arrives,
        so a reload does not flicker; a new filter starts at the top.
        """
        flt = replace(self.filter, since=period_start(self.period))
        self.pages.load(
            lambda s, a, after, n: journal.list_interactions(s, a, flt, after=after, limit=n),
            keep_cursor=keep_position,
        )
        self._show_status()

    def _filter_parts(self) -> list[str]:
        parts = [_(SCOPE_NAMES[self.filter.scope])]
        if self.filter.kind:
            parts.append(value_label(self.filter.kind))
        if self.period != "all":
            parts.append(_(PERIOD_NAMES[self.period]))
        if self.filter.client_id is not None:
            parts.append(_("client: {name}").format(name=self.client_name))
        return parts

    def _show_status(self) -> None:
        parts = self._filter_parts()
        pending = self.pages.source
        if pending is None or not self.pages.showing:
            lead = _("Reading the journal…")
        elif pending.exact:
            lead = ngettext("{count} interaction", "{count} interactions", pending.total).format(
                count=fmt_number(pending.total)
            )
        else:  # more pages to come: what is known so far
            known = pending.total - pending.page_size
            lead = ngettext("{count}+ interaction", "{count}+ interactions", known).format(
                count=fmt_number(known)
            )
        line = Text(" · ".join([lead, *parts]), no_wrap=True, overflow="ellipsis")
        self.query_one("#status", Static).update(line)

    # -- filters ---------------------------------------------------------------------------

    def action_scope(self) -> None:
        actor = self.crm.connection.actor if self.crm.connection else None
        order = list(SCOPES)
        if actor is not None and actor.department_id is None:
            order.remove("department")
        scope = self.filter.scope
        nxt = order[(order.index(scope) + 1) % len(order)] if scope in order else "all"
        self.filter = replace(self.filter, scope=nxt)
        self.load()

    def action_kind(self) -> None:
        kinds: list[str | None] = [None, *journal.KINDS]
        i = kinds.index(self.filter.kind) if self.filter.kind in kinds else 0
        self.filter = replace(self.filter, kind=kinds[(i + 1) % len(kinds)])
        self.load()

    def action_period(self) -> None:
        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.load()

    def action_client(self) -> None:
        """Pick a client to see only its journal; pressed with one picked, all again."""
        bar = self.query_one("#client-bar")
        if self.filter.client_id is not None:
            self._set_client(None, "")
            return
        if bar.has_class("-shown"):
            self._hide_picker()
            return
        bar.add_class("-shown")
        self.picker.clear()
        self.picker.focus()

    def _hide_picker(self) -> None:
        self.query_one("#client-bar").remove_class("-shown")
        self.table.focus()

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        event.stop()
        self._hide_picker()
        self._set_client(event.client_id, event.name)

    def _set_client(self, client_id: int | None, name: str) -> None:
        self.client_name = name
        self.filter = replace(self.filter, client_id=client_id)
        self.load()

    def action_clear_client(self) -> None:
        if self.query_one("#client-bar").has_class("-shown"):
            self._hide_picker()
        elif self.filter.client_id is not None:
            self._set_client(None, "")

    def reload_keep_position(self) -> None:
        # back from a dialog (a quick log) or another section: the list as it is now
        self.load(keep_position=True)

    # -- rows ----------------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        self.app.push_screen(ClientCardScreen(event.item.client_id))

    def action_export(self) -> None:
        """The journal as it is filtered now, to a file."""
        from termcrm.screens.export_dialog import ExportDialog, ExportRequest

        source = self.pages.source
        self.app.push_screen(
            ExportDialog(
                ExportRequest(
                    "journal",
                    _("Every entry of the journal as it is filtered now: {filters}").format(
                        filters=" · ".join(self._filter_parts())
                    ),
                    journal_filter=replace(self.filter, since=period_start(self.period)),
                    total=source.total if source is not None and source.exact else None,
                )
            )
        )
