"""One contact person: the details and the history of interactions with them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Label, Static

from termcrm.i18n import N_, _, fmt_datetime, fmt_long_date
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal, CrmScreen
from termcrm.screens.contacts import delete_contact
from termcrm.screens.paged_list import PagedList
from termcrm.services import contacts, journal
from termcrm.services.dto import ContactOut, InteractionOut
from termcrm.services.errors import NotFound
from termcrm.services.journal import JournalFilter
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable, datetime_width

PAGE = 100


def interaction_columns() -> list[Column[InteractionOut]]:
    return [
        Column("when", _("When"), lambda i: fmt_datetime(i.occurred_at), width=datetime_width()),
        Column("kind", _("Kind"), lambda i: value_label(i.kind), width=8),
        Column("direction", _("Direction"), lambda i: value_label(i.direction), width=9),
        Column("user", _("Who"), lambda i: i.user, min_width=8, weight=1),
        Column(
            "purpose",
            _("Purpose / result"),
            lambda i: " → ".join(x for x in (i.purpose, i.result) if x),
            min_width=12,
            weight=3,
        ),
    ]


def contact_details(c: ContactOut) -> Text:
    """The contact's facts, one per line, with the field names dimmed."""
    lines: list[tuple[str, str]] = [
        (field_label("position"), c.position),
        (field_label("client"), c.client),
        (field_label("phones"), ", ".join(p.raw for p in c.phones)),
        (field_label("emails"), ", ".join(e.address for e in c.emails)),
        (field_label("birthday"), fmt_long_date(c.birthday)),
        (field_label("character_notes"), c.character_notes),
        (field_label("notes"), c.notes),
    ]
    text = Text()
    width = max(len(name) for name, _value in lines) + 1
    for name, value in lines:
        if not value:
            continue
        if text:
            text.append("\n")
        text.append(f"{name}:".ljust(width + 1), style="dim")
        # continuation lines of multi-line notes line up under the value
        text.append(value.replace("\n", "\n" + " " * (width + 1)))
    return text


class ContactCardScreen(CrmScreen[None]):
    DEFAULT_CSS = """
    ContactCardScreen #title { text-style: bold; padding: 0 1; height: 1; }
    ContactCardScreen #details { height: auto; max-height: 9; padding: 0 1; }
    ContactCardScreen #history-title { padding: 0 1; height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), id="contact.back"),
        Binding("e", "edit", N_("Edit"), id="contact.edit"),
        Binding("d", "delete", N_("Delete"), id="contact.delete"),
        Binding("c", "client", N_("Client"), id="contact.client"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="contact.reload"),
    ]

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact: ContactOut | None = None
        self.history: PagedList[InteractionOut] = PagedList(
            self,
            "#history",
            page_size=PAGE,
            on_error=lambda error: isinstance(error, NotFound),  # the card itself says so
        )

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Label(_("Loading…"), id="title", markup=False)
        with VerticalScroll(id="details"):
            yield Static("", id="facts")
        yield Label(_("Interactions, newest first"), id="history-title")
        yield VirtualTable(
            interaction_columns(),
            empty_text=_("No interactions with this person yet."),
            id="history",
        )
        yield Footer(compact=True)

    @property
    def table(self) -> VirtualTable[InteractionOut]:
        return self.query_one("#history", VirtualTable)

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        return self.contact.client_id if self.contact is not None else None

    @property
    def current_contact_id(self) -> int:
        """This person (for a quick log that wants a default contact too)."""
        return self.contact_id

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        # back from an edit or the quick log: the card and its history as they are now
        if self.back_on_top() and self.contact is not None:
            self.load()

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        contact_id = self.contact_id

        def gone(error: Exception) -> bool:
            if isinstance(error, NotFound) and self.contact is not None:
                self.notify(_("This contact person was deleted."), severity="warning")
                self.app.pop_screen()
                return True
            return False

        self.call(lambda s, a: contacts.get_contact(s, a, contact_id), self._show, failed=gone)
        self._load_history()

    def _show(self, contact: ContactOut) -> None:
        self.contact = contact
        title = contact.full_name
        if contact.deleted_at is not None:
            title += " " + _("(deleted)")
        self.query_one("#title", Label).update(title)
        self.query_one("#facts", Static).update(contact_details(contact))

    def _load_history(self) -> None:
        flt = JournalFilter(contact_id=self.contact_id)
        cursor = self.table.cursor
        self.history.load(
            lambda s, a, after, n: journal.list_interactions(s, a, flt, after=after, limit=n)
        )
        self.table.cursor = min(cursor, PAGE - 1)

    # -- actions ---------------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        self.app.push_screen(InteractionDialog(event.item))

    def action_edit(self) -> None:
        from termcrm.screens.contact_form import ContactFormScreen

        if self.contact is not None:
            self.app.push_screen(ContactFormScreen(self.contact.client_id, self.contact.id))

    def action_client(self) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        if self.contact is not None:
            self.app.push_screen(ClientCardScreen(self.contact.client_id))

    def action_delete(self) -> None:
        contact = self.contact
        if contact is not None and contact.deleted_at is None:
            delete_contact(self, contact, self._deleted)

    def _deleted(self) -> None:
        self.contact = None  # nothing to re-read when the screen below resumes
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()


class InteractionDialog(CrmModal[None]):
    """One journal entry in full (the table cuts long purposes and results)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", N_("Close"), id="interaction.close"),
    ]

    def __init__(self, item: InteractionOut) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        i = self.item
        title = _("{kind}, {direction} · {when}").format(
            kind=value_label(i.kind),
            direction=value_label(i.direction),
            when=fmt_datetime(i.occurred_at),
        )
        body = Text()
        for field, value in (
            ("user", i.user),
            ("client", i.client),
            ("contact", i.contact),
            ("purpose", i.purpose),
            ("result", i.result),
        ):
            if value:
                if body:
                    body.append("\n")
                body.append(f"{field_label(field)}: ", style="dim")
                body.append(value)
        with Vertical(classes="dialog"):
            yield Label(title, classes="dialog-title", markup=False)
            yield Static(body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), variant="primary", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
