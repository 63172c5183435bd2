"""Contact persons: every contact person of every client the user may see.

The list is read in keyset pages of 100 (by name), like the card file. Typing in
the search box narrows it to the people whose name contains what was typed,
150 ms after the last keystroke; the filtered list is paged the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static

from termcrm.i18n import N_, _, fmt_date, fmt_number, ngettext
from termcrm.screens.base import CrmScreen
from termcrm.screens.list_screen import SearchableScreen
from termcrm.screens.paged_list import PagedList
from termcrm.services import contacts
from termcrm.services.dto import ContactOut
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

PAGE = 100
RESTORE_PAGES = 20  # a reload reads at most this many pages to find the cursor's row again


def first_phone(contact: ContactOut) -> str:
    return contact.phones[0].raw if contact.phones else ""


def first_email(contact: ContactOut) -> str:
    return contact.emails[0].address if contact.emails else ""


def date_width() -> int:
    """The widest numeric date of the interface language (12/28/2000, 28.12.2000)."""
    return max(8, cell_len(fmt_date(date(2000, 12, 28))))


def contact_columns() -> list[Column[ContactOut]]:
    return [
        Column("name", _("Full name"), lambda c: c.full_name, min_width=14, weight=3),
        Column("position", _("Position"), lambda c: c.position, min_width=8, weight=2),
        Column("client", _("Client"), lambda c: c.client, min_width=10, weight=2),
        Column("phone", _("Phone"), first_phone, width=17),
        Column("email", _("Email"), first_email, min_width=10, weight=2),
        Column("birthday", _("Birthday"), lambda c: fmt_date(c.birthday), width=date_width()),
    ]


def delete_contact(screen: CrmScreen[Any], contact: ContactOut, then: Callable[[], None]) -> None:
    """Ask, delete the contact person and say so; ``then()`` after that."""

    def deleted(_out: None) -> None:
        screen.notify(_("“{name}” deleted.").format(name=contact.full_name))
        then()

    screen.confirm(
        _("Delete the contact person “{name}” of “{client}”?").format(
            name=contact.full_name, client=contact.client
        ),
        lambda: screen.call(
            lambda s, a: contacts.delete_contact(s, a, contact.id), deleted, write=True
        ),
        yes=_("Delete"),
        no=_("Cancel"),
    )


class ContactsScreen(SearchableScreen):
    SECTION = "contacts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", N_("Search"), id="contacts.search"),
        Binding("e", "edit", N_("Edit"), id="contacts.edit"),
        Binding("d,delete", "delete", N_("Delete"), id="contacts.delete"),
        Binding("c", "client", N_("Client"), id="contacts.client"),
        Binding("x", "export", N_("Export"), id="contacts.export"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="contacts.reload"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="contacts.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: PagedList[ContactOut] = PagedList(
            self,
            "#contacts",
            page_size=PAGE,
            on_change=self._show_status,
            on_page=self._restore_step,
        )
        self._total: int | None = None
        self._restore: int | None = None  # the row to put the cursor back on after a reload

    def compose(self) -> ComposeResult:
        yield TopBar(self.SECTION)
        with Horizontal(classes="toolbar"):
            yield Input(placeholder=_("Search contact persons by name…"), id="search")
        yield VirtualTable(
            contact_columns(), empty_text=_("No contact persons here."), id="contacts"
        )
        yield Static("", classes="status-line", id="status")
        yield Footer(compact=True)

    @property
    def table(self) -> VirtualTable[ContactOut]:
        return self.query_one("#contacts", VirtualTable)

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        row = self.table.current
        return row.client_id if row is not None else None

    @property
    def current_contact_id(self) -> int | None:
        """The highlighted person (for a quick log that wants a default contact too)."""
        row = self.table.current
        return row.id if row is not None else None

    # -- loading -------------------------------------------------------------------------

    def load(self, restore: int | None = None) -> None:
        """(Re)read the list for the current search text; the cursor back on row ``restore``."""
        text = self.query_text
        self._total = None
        self._restore = restore if restore else None
        source = self.pages.load(
            lambda s, a, after, n: contacts.list_contacts(
                s, a, text=text or None, after=after, limit=n
            )
        )
        self._show_status()
        if not text:

            def counted(total: int) -> None:
                self._total = total
                source.set_total(total)

            self.pages.call(lambda s, a: contacts.count_contacts(s, a), counted)

    def _restore_step(self, page: int, last: bool) -> None:
        """Read on, page after page, to the row the cursor was on before a reload."""
        source = self.pages.source
        if self._restore is None or source is None:
            return
        target = self._restore // PAGE
        if page < target and not last and page < RESTORE_PAGES:
            source.ensure((page + 1) * PAGE, (page + 1) * PAGE)
            return
        index = min(self._restore, source.total - 1) if page >= target or last else 0
        self._restore = None
        if index > 0:
            self.table.cursor = index
            top = max(0, index - self.table.size.height // 2)
            self.table.scroll_to(y=top, animate=False, immediate=True)

    def reload_keep_position(self) -> None:
        """After an edit elsewhere: the same list, re-read, the cursor where it was."""
        self.load(restore=self.table.cursor)

    def _show_status(self) -> None:
        source = self.pages.source
        if source is None:
            return
        loaded = source.first_page_loaded()
        if self.query_text:
            if not loaded:
                text = _("Searching…")
            else:
                shown = fmt_number(source.total) + ("" if source.exact else "+")
                text = _("{count} found for “{text}”").format(count=shown, text=self.query_text)
        elif self._total is not None:
            text = ngettext(
                "{count} contact person", "{count} contact persons", self._total
            ).format(count=fmt_number(self._total))
        else:
            text = _("Counting contact persons…")
        self.query_one("#status", Static).update(text)

    # -- contact actions ---------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        from termcrm.screens.contact_card import ContactCardScreen

        self.app.push_screen(ContactCardScreen(event.item.id))

    def action_edit(self) -> None:
        from termcrm.screens.contact_form import ContactFormScreen

        row = self.table.current
        if row is not None:
            self.app.push_screen(ContactFormScreen(row.client_id, row.id))

    def action_client(self) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        row = self.table.current
        if row is not None:
            self.app.push_screen(ClientCardScreen(row.client_id))

    def action_delete(self) -> None:
        row = self.table.current
        if row is not None:
            delete_contact(self, row, self.reload_keep_position)

    def action_export(self) -> None:
        """The contact persons as listed now (the search too), to a file."""
        from termcrm.screens.export_dialog import ExportDialog, ExportRequest

        text = self.query_text
        what = (
            _("Every contact person whose name contains “{text}”.").format(text=text)
            if text
            else _("Every contact person you may see.")
        )
        self.app.push_screen(
            ExportDialog(
                ExportRequest("contacts", what, search=text, total=None if text else self._total)
            )
        )
