"""The client card file: every client the user may see, searched, filtered and sorted.

The list is virtual: the first page is read at once, then the count and the page
anchors (one pass over the sort index) in the background, and after that every
page the user scrolls to is one keyset read of 100 rows. Typing in the search box
replaces the list with the matches, 150 ms after the last keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static

from termcrm.i18n import N_, _, fmt_date, fmt_number, ngettext
from termcrm.labels import value_label
from termcrm.screens.base import CrmScreen
from termcrm.screens.list_screen import SearchableScreen
from termcrm.screens.paged_list import PagedList
from termcrm.services.dto import ClientOut, ClientRow, SearchResult
from termcrm.services.filters import ClientFilter
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

if TYPE_CHECKING:
    from types import ModuleType

PAGE = 100
SEARCH_LIMIT = 200
SCOPES = ("all", "mine", "department")
SCOPE_NAMES = {"all": N_("all I may see"), "mine": N_("mine"), "department": N_("my department")}
SORTABLE = ("name", "group", "status", "city")


# The services import the database stack (SQLAlchemy: a third of a second). The card
# file is the first screen: it reaches them only in its service calls, which run in
# worker threads, so the first frame never waits for that import.
def _lists() -> ModuleType:
    from termcrm.services import client_lists

    return client_lists


def _clients() -> ModuleType:
    from termcrm.services import clients

    return clients


REMEMBERED_ROWS = 60  # more than a tall terminal shows


def _page_key(app: Any) -> str:
    return f"first_page:{app.settings.database_url}:{app.user_key}"


def remembered_page(app: Any) -> list[ClientRow]:
    """The first page of the card file as this user last saw it on this database."""
    rows = app.ui_state.get(_page_key(app))
    if not isinstance(rows, list):
        return []
    try:
        return [ClientRow.from_json(r) for r in rows]
    except (TypeError, ValueError, KeyError):
        return []  # an older or damaged state file: no head start, no harm


def remember_page(app: Any, rows: list[ClientRow]) -> None:
    app.ui_state.set(_page_key(app), [r.to_json() for r in rows])


def client_columns() -> list[Column[ClientRow]]:
    return [
        Column("name", _("Name"), lambda r: r.name, min_width=14, weight=3, sort="name"),
        Column("group", _("Group"), lambda r: r.group, min_width=6, sort="group"),
        Column("status", _("Status"), lambda r: value_label(r.status), min_width=8, sort="status"),
        Column("city", _("City"), lambda r: r.city, min_width=6, sort="city"),
        Column("owner", _("Owner"), lambda r: r.owner, min_width=6),
        Column("last", _("Last contact"), lambda r: fmt_date(r.last_interaction_at), width=10),
        Column("next", _("Next task"), lambda r: fmt_date(r.next_task_at), width=10),
    ]


def move_to_trash(
    screen: CrmScreen[Any],
    client: ClientRow | ClientOut,
    then: Callable[[], None],
    *,
    failed: Callable[[Exception], bool] | None = None,
) -> None:
    """Ask, move the client to the trash and say so; ``then()`` after that."""

    def deleted(_out: ClientOut) -> None:
        screen.notify(_("“{name}” moved to the trash.").format(name=client.name))
        then()

    screen.confirm(
        _("Move “{name}” to the trash? It can be restored from the trash (5).").format(
            name=client.name
        ),
        lambda: screen.call(
            lambda s, a: _clients().delete_client(s, a, client.id, version=client.version),
            deleted,
            write=True,
            failed=failed,
        ),
        yes=_("Move to trash"),
        no=_("Cancel"),
    )


class ClientsScreen(SearchableScreen):
    SECTION = "clients"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", N_("Search"), id="clients.search"),
        Binding("f", "filter", N_("Filter"), id="clients.filter"),
        Binding("m", "scope", N_("Mine"), id="clients.scope"),
        Binding("o", "sort", N_("Sort"), id="clients.sort"),
        Binding("n", "new", N_("New"), id="clients.new"),
        Binding("e", "edit", N_("Edit"), id="clients.edit"),
        Binding("d,delete", "delete", N_("Delete"), id="clients.delete"),
        Binding("x", "export", N_("Export"), show=False, id="clients.export"),
        Binding("i", "import_file", N_("Import"), show=False, id="clients.import"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="clients.reload"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="clients.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = ClientFilter()
        self.sort = "name"
        self.pages: PagedList[ClientRow] = PagedList(
            self, "#clients", page_size=PAGE, on_page=self._page_in
        )
        self._live = False  # has a live page of the list come in yet?
        self._seeded = False  # is the table showing the remembered first page?

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        with Horizontal(classes="toolbar"):
            yield Input(
                placeholder=_("Search: name, tax id, phone, email, city, contact…"),
                id="search",
            )
        yield VirtualTable(client_columns(), empty_text=_("No clients here."), id="clients")
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def table(self) -> VirtualTable[ClientRow]:
        return self.query_one("#clients", VirtualTable)

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        row = self.table.current
        return row.id if row is not None else None

    # -- loading -------------------------------------------------------------------------

    def carry(self) -> dict[str, Any]:
        return {**super().carry(), "filter": self.filter, "sort": self.sort}

    def take(self, state: dict[str, Any]) -> None:
        super().take(state)
        self.filter = state.get("filter", self.filter)
        self.sort = state.get("sort", self.sort)

    def on_mount(self) -> None:
        """The card file as it was last seen, at once; the live list replaces it when its
        first page is in (the database stack takes a third of a second to import)."""
        # (ListScreen.on_mount, which Textual calls after this one, loads the list)
        seen = remembered_page(self.crm)
        if seen:
            self.table.set_source(ListSource(seen))
            self._seeded = True

    def _page_in(self, page_no: int, last: bool) -> None:
        self._live = True
        is_default = not self.query_text and self.filter == ClientFilter() and self.sort == "name"
        if page_no == 0 and is_default and self.pages.source is not None:
            rows = [self.pages.source.get(i) for i in range(REMEMBERED_ROWS)]
            remember_page(self.crm, [r for r in rows if r is not None])

    def load(self) -> None:
        """(Re)read the list for the current filter, sort and search text."""
        if self.query_text:
            self.pages.drop()
            self._search()
            return
        flt, sort = self.filter, self.sort
        # the remembered page stays on screen until the live one is in
        self.pages.wait = self._seeded and not self._live
        source = self.pages.load(
            lambda s, a, after, n: _lists().list_clients(s, a, flt, sort=sort, after=after, limit=n)
        )
        self.table.set_sort(sort.lstrip("-"), sort.startswith("-"))
        self._show_status(None)
        if self.pages.wait:
            self.query_one("#status", Static).update(_("Connecting…"))

        def counted(total: int) -> None:
            source.set_total(total)
            self._show_status(total)

        self.pages.call(lambda s, a: _lists().count_clients(s, a, flt), counted)
        self.pages.call(
            lambda s, a: _lists().client_anchors(s, a, flt, sort=sort, every=PAGE),
            source.set_anchors,
        )

    def reload_keep_position(self) -> None:
        """After an edit elsewhere: the same list, re-read, the cursor where it was."""
        if self.query_text:
            self._search()
            return
        cursor = self.table.cursor
        self.load()
        self.table.cursor = cursor

    def _search(self) -> None:
        text, flt = self.query_text, self.filter

        def found(result: SearchResult[ClientRow]) -> None:
            if text != self.query_text:
                return
            self.table.set_source(ListSource(result.items))
            self.table.set_sort(None)
            shown = fmt_number(result.total) + ("+" if result.more else "")
            self.query_one("#status", Static).update(
                _("{count} found for “{text}”").format(count=shown, text=text) + self._filter_note()
            )

        self.call(
            lambda s, a: _lists().search_clients(s, a, text, limit=SEARCH_LIMIT, flt=flt),
            found,
            group="clients.search",
        )

    def _show_status(self, total: int | None) -> None:
        if total is None:
            text = _("Counting clients…")
        else:
            text = ngettext("{count} client", "{count} clients", total).format(
                count=fmt_number(total)
            )
        self.query_one("#status", Static).update(text + self._filter_note())

    def _filter_note(self) -> str:
        f = self.filter
        parts = [_(SCOPE_NAMES[f.scope])]
        for label, value in (
            (_("group"), f.group),
            (_("status"), value_label(f.status) if f.status else None),
            (_("territory"), f.territory),
            (_("city"), f.city),
            (_("tag"), f.tag),
        ):
            if value:
                parts.append(f"{label}: {value}")
        return " · " + " · ".join(parts)

    # -- filter, scope, sort ---------------------------------------------------------------------

    def action_scope(self) -> None:
        actor = self.crm.connection.actor if self.crm.connection else None
        order = list(SCOPES)
        if actor is not None and actor.department_id is None:
            order.remove("department")
        nxt = (
            order[(order.index(self.filter.scope) + 1) % len(order)]
            if self.filter.scope in order
            else "all"
        )
        self.filter = replace(self.filter, scope=nxt)
        self.load()

    def action_filter(self) -> None:
        from termcrm.screens.client_filter import ClientFilterScreen

        def chosen(flt: ClientFilter | None) -> None:
            if flt is not None and flt != self.filter:
                self.filter = flt
                self.load()

        self.app.push_screen(ClientFilterScreen(self.filter), chosen)

    def action_sort(self) -> None:
        """Next sortable column; pressed on the last one, the same order reversed."""
        key = self.sort.lstrip("-")
        descending = self.sort.startswith("-")
        i = SORTABLE.index(key) if key in SORTABLE else 0
        if i == len(SORTABLE) - 1:
            self.sort = SORTABLE[0] if descending else "-" + SORTABLE[0]
        else:
            self.sort = ("-" if descending else "") + SORTABLE[i + 1]
        self.load()

    def on_virtual_table_sort_requested(self, event: VirtualTable.SortRequested) -> None:
        key = event.column.sort or "name"
        self.sort = (
            ("" if self.sort.startswith("-") else "-") + key
            if self.sort.lstrip("-") == key
            else key
        )
        if not self.query_text:
            self.load()

    # -- client actions ----------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        self.open_card(event.item.id)

    def open_card(self, client_id: int) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        self.app.push_screen(ClientCardScreen(client_id))

    def action_new(self) -> None:
        from termcrm.screens.client_form import ClientFormScreen

        def created(client_id: int | None) -> None:
            if client_id is not None:
                self.reload_keep_position()
                self.open_card(client_id)

        self.app.push_screen(ClientFormScreen(None), created)

    def action_edit(self) -> None:
        from termcrm.screens.client_form import ClientFormScreen

        client_id = self.current_client_id
        if client_id is not None:
            self.app.push_screen(
                ClientFormScreen(client_id), lambda _saved: self.reload_keep_position()
            )

    def action_delete(self) -> None:
        row = self.table.current
        if row is not None:
            move_to_trash(self, row, self.reload_keep_position)

    # -- export and import -------------------------------------------------------------------

    def action_export(self) -> None:
        """The card file as it is filtered and searched now, to a file."""
        from termcrm.screens.export_dialog import ExportDialog, ExportRequest

        listed = str(self.query_one("#status", Static).content)
        source = self.pages.source
        total = source.total if source is not None and source.exact else None
        self.app.push_screen(
            ExportDialog(
                ExportRequest(
                    "clients",
                    _("Every client the card file lists now: {listed}").format(listed=listed),
                    client_filter=self.filter,
                    search=self.query_text,
                    total=None if self.query_text else total,
                )
            )
        )

    def action_import_file(self) -> None:
        self.crm.action_import_file("clients")
