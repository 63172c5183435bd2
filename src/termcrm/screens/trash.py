"""The trash: clients moved there from the card file, and the way back.

Deleting a client only marks it; here the user sees the deleted clients, most
recently deleted first, and restores one (``r`` or Enter) to the card file. The
list is keyset-paged like the card file, so a large trash costs what a page does.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from termcrm.i18n import N_, _, fmt_datetime, fmt_number, ngettext
from termcrm.screens.base import CrmScreen
from termcrm.services import client_lists, clients
from termcrm.services.client_lists import ClientFilter
from termcrm.services.dto import ClientOut, ClientRow, Page
from termcrm.widgets.dialogs import ConfirmDialog
from termcrm.widgets.row_sources import PagedSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

PAGE = 100
# a deleted client is not edited, so its last update is its deletion: newest first
SORT = "-updated"
TRASH = ClientFilter(deleted=True)


def trash_columns() -> list[Column[ClientRow]]:
    return [
        Column("name", _("Name"), lambda r: r.name, min_width=14, weight=3),
        Column("city", _("City"), lambda r: r.city, min_width=6),
        Column("owner", _("Owner"), lambda r: r.owner, min_width=6),
        Column("deleted", _("Deleted"), lambda r: fmt_datetime(r.deleted_at), width=18),
    ]


class TrashScreen(CrmScreen[None]):
    SECTION = "trash"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", N_("Restore"), id="trash.restore"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="trash.reload"),
    ]
    DEFAULT_CSS = """
    TrashScreen .hint { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        yield Static(
            _("Deleted clients keep their history here; r restores one to the card file."),
            classes="hint",
            id="hint",
        )
        yield VirtualTable(trash_columns(), empty_text=_("The trash is empty."), id="trash")
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def table(self) -> VirtualTable[ClientRow]:
        return self.query_one("#trash", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()  # Enter restores here too (r shows in the footer)
        self.load()

    def on_screen_resume(self) -> None:
        # clients deleted in the card file since the last visit
        if self.table.source is not None:
            self.reload_keep_position()

    # -- loading -------------------------------------------------------------------------

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        source: PagedSource[ClientRow] = PagedSource(
            partial(self._fetch, generation), self.table.rows_changed, page_size=PAGE
        )
        self.table.set_source(source)
        self.query_one("#status", Static).update(_("Counting clients…"))

        def counted(total: int) -> None:
            if generation == self._generation:
                source.set_total(total)
                self.query_one("#status", Static).update(
                    ngettext(
                        "{count} client in the trash", "{count} clients in the trash", total
                    ).format(count=fmt_number(total))
                )

        def anchored(anchors: list[str]) -> None:
            if generation == self._generation:
                source.set_anchors(anchors)

        self.call(lambda s, a: client_lists.count_clients(s, a, TRASH), counted)
        self.call(
            lambda s, a: client_lists.client_anchors(s, a, TRASH, sort=SORT, every=PAGE),
            anchored,
        )

    def _fetch(self, generation: int, page: int, after: str | None) -> None:
        def arrived(result: Page[ClientRow]) -> None:
            if generation == self._generation and isinstance(self.table.source, PagedSource):
                self.table.source.put(page, result.items, result.next_cursor)

        def failed(error: Exception) -> bool:
            if isinstance(self.table.source, PagedSource):
                self.table.source.failed(page)
            return False

        self.call(
            lambda s, a: client_lists.list_clients(s, a, TRASH, sort=SORT, after=after, limit=PAGE),
            arrived,
            failed=failed,
        )

    def reload_keep_position(self) -> None:
        cursor = self.table.cursor
        self.load()
        self.table.cursor = cursor

    def action_reload(self) -> None:
        self.reload_keep_position()

    # -- restoring -------------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        row = self.table.current
        if row is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.call(
                    lambda s, a: clients.restore_client(s, a, row.id),
                    self._restored,
                    write=True,
                    failed=self._restore_failed,
                )

        self.app.push_screen(
            ConfirmDialog(
                _("Restore “{name}” to the card file?").format(name=row.name),
                yes=_("Restore"),
                no=_("Cancel"),
            ),
            confirmed,
        )

    def _restored(self, client: ClientOut) -> None:
        self.notify(
            _("“{name}” is back in the card file (press 1 to go there).").format(name=client.name),
            title=_("Restored"),
        )
        self.reload_keep_position()

    def _restore_failed(self, error: Exception) -> bool:
        # restored or purged by someone else meanwhile: show why, and the list as it is now
        self.reload_keep_position()
        return False
