"""The trash: clients moved there from the card file, and the way back.

Deleting a client only marks it; here the user sees the deleted clients, most
recently deleted first, and restores one (``r`` or Enter) to the card file. The
list is keyset-paged like the card file, so a large trash costs what a page does.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from termcrm.i18n import N_, _, fmt_datetime, fmt_number, ngettext
from termcrm.screens.list_screen import ListScreen
from termcrm.screens.paged_list import PagedList
from termcrm.services import client_lists, clients
from termcrm.services.client_lists import ClientFilter
from termcrm.services.dto import ClientOut, ClientRow
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


class TrashScreen(ListScreen):
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
        self.pages: PagedList[ClientRow] = PagedList(self, "#trash", page_size=PAGE)

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

    # -- loading -------------------------------------------------------------------------

    def load(self) -> None:
        source = self.pages.load(
            lambda s, a, after, n: client_lists.list_clients(
                s, a, TRASH, sort=SORT, after=after, limit=n
            )
        )
        self.query_one("#status", Static).update(_("Counting clients…"))

        def counted(total: int) -> None:
            source.set_total(total)
            self.query_one("#status", Static).update(
                ngettext(
                    "{count} client in the trash", "{count} clients in the trash", total
                ).format(count=fmt_number(total))
            )

        self.pages.call(lambda s, a: client_lists.count_clients(s, a, TRASH), counted)
        self.pages.call(
            lambda s, a: client_lists.client_anchors(s, a, TRASH, sort=SORT, every=PAGE),
            source.set_anchors,
        )

    def reload_keep_position(self) -> None:
        # on coming back: with the clients deleted in the card file meanwhile
        cursor = self.table.cursor
        self.load()
        self.table.cursor = cursor

    # -- restoring -------------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        # Enter restores too (r shows in the footer)
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        row = self.table.current
        if row is None:
            return
        self.confirm(
            _("Restore “{name}” to the card file?").format(name=row.name),
            lambda: self.call(
                lambda s, a: clients.restore_client(s, a, row.id),
                self._restored,
                write=True,
                failed=self._restore_failed,
            ),
            yes=_("Restore"),
            no=_("Cancel"),
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
