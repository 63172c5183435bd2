"""The quick-log dialog (``l`` anywhere): write a call, meeting, letter… to the journal.

Kind, direction, when (now unless changed), the client (typed with completion,
or the one the screen below is about), a contact person of that client, purpose
and result; optionally the next step, a task for the user, written in the same
transaction as the entry. Ctrl+S saves, Escape cancels; what the services refuse
is shown under the field it is about, and what was typed stays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_datetime
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal
from termcrm.services import clients, contacts, journal
from termcrm.services.dto import ContactOut
from termcrm.services.errors import Invalid
from termcrm.services.journal import Logged, NextStep
from termcrm.widgets.choices import direction_select, journal_kind_select, task_kind_select
from termcrm.widgets.client_picker import ClientPicker

# the service's field names -> where their messages are shown
ERROR_SLOTS = {
    "kind": "kind",
    "direction": "kind",
    "when": "when",
    "occurred_at": "when",
    "client": "client",
    "client_id": "client",
    "contact": "contact",
    "contact_id": "contact",
    "purpose": "purpose",
    "result": "result",
    "next_title": "next-title",
    "next_due": "next-due",
    "next_kind": "next-due",
}
SLOTS = ("form", "kind", "when", "client", "contact", "purpose", "result", "next-title", "next-due")
NEXT_STEP_HOUR = 10  # a next step is due tomorrow at 10:00 unless changed


class _Form(VerticalScroll, can_focus=False):
    """The fields, scrolled when the terminal is short; Tab goes through the fields."""


class QuickLogScreen(CrmModal[Logged | None]):
    DEFAULT_CSS = """
    QuickLogScreen #quick-log-form { height: auto; max-height: 65vh; }
    QuickLogScreen .ql-row { height: auto; }
    QuickLogScreen .ql-label { width: 12; color: $text-muted; }
    QuickLogScreen .ql-label2 { width: auto; padding: 0 1 0 2; color: $text-muted; }
    QuickLogScreen .ql-field { width: 1fr; height: auto; }
    QuickLogScreen .ql-row Input { width: 1fr; background: $boost; }
    QuickLogScreen .ql-row Input:focus { background: $primary 30%; }
    QuickLogScreen .ql-row Input.-error { background: $error 30%; }
    QuickLogScreen .ql-row Select { width: 1fr; }
    QuickLogScreen .ql-section { padding: 1 0 0 0; text-style: bold; }
    QuickLogScreen .field-error { color: $error; height: auto; padding: 0 0 0 12; }
    QuickLogScreen #form-error { padding: 0; }
    QuickLogScreen .field-error.-empty { display: none; }
    QuickLogScreen .dialog-buttons { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="quick_log.save"),
        Binding("escape", "cancel", N_("Cancel"), id="quick_log.cancel"),
        # the app's own key for this dialog (same id, so remapped with it): not a second one
        Binding("l", "already_open", show=False, id="quick_log"),
    ]

    def __init__(
        self,
        client_id: int | None = None,
        contact_id: int | None = None,
        *,
        deal_id: int | None = None,
    ) -> None:
        """``deal_id``: the entry (and its next step) is about this deal of the client
        (the deal card's ``l``); choosing another client drops it."""
        super().__init__()
        self.client_id = client_id
        self.contact_id = contact_id  # preselected when it belongs to the client
        self.deal_id = deal_id
        self.opened_at = datetime.now(UTC).replace(second=0, microsecond=0)
        self.when_text = fmt_datetime(self.opened_at)
        local = self.opened_at.astimezone(i18n.zone())
        due = (local + timedelta(days=1)).replace(hour=NEXT_STEP_HOUR, minute=0)
        self.due_text = fmt_datetime(due)
        self._saving = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quick-log"):
            yield Label(_("Log an interaction"), classes="dialog-title")
            with _Form(id="quick-log-form"):
                yield _error("form")
                yield self._row(
                    _("Kind"),
                    journal_kind_select(),
                    Label(_("Direction"), classes="ql-label2"),
                    direction_select(),
                    slot="kind",
                )
                yield self._row(
                    _("When"), Input(self.when_text, compact=True, id="when"), slot="when"
                )
                yield self._row(
                    _("Client"),
                    ClientPicker(
                        self.client_id,
                        placeholder=_("Type a client's name…"),
                        id="client",
                    ),
                    slot="client",
                )
                yield self._row(
                    _("Contact"),
                    Select[int]([], prompt=_("(none)"), compact=True, id="contact"),
                    slot="contact",
                )
                yield self._row(
                    _("Purpose"),
                    Input(
                        compact=True, placeholder=_("Why you called, met or wrote"), id="purpose"
                    ),
                    slot="purpose",
                )
                yield self._row(
                    _("Result"),
                    Input(compact=True, placeholder=_("What came of it"), id="result"),
                    slot="result",
                )
                yield Label(_("Next step (optional): a task for you"), classes="ql-section")
                yield self._row(
                    _("Task"),
                    Input(compact=True, placeholder=_("Leave empty for no task"), id="next-title"),
                    slot="next-title",
                )
                yield self._row(
                    _("Due"),
                    Input(self.due_text, compact=True, id="next-due"),
                    Label(_("Kind"), classes="ql-label2"),
                    task_kind_select(widget_id="next-kind"),
                    slot="next-due",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def _row(self, label: str, *fields: Widget, slot: str) -> Widget:
        """A labelled line of fields with the line for their error under it."""
        return Vertical(
            Horizontal(Label(label, classes="ql-label"), *fields, classes="ql-row"),
            _error(slot),
            classes="ql-field",
        )

    def on_mount(self) -> None:
        if self.client_id is not None:
            self._load_client(self.client_id, name=None)
            self.query_one("#kind", Select).focus()
        else:
            self.query_one(ClientPicker).focus()

    # -- the client and its contacts -----------------------------------------------------------

    def _load_client(self, client_id: int, name: str | None) -> None:
        def fetch(s: Any, a: Any) -> tuple[str, list[ContactOut]]:
            known = name if name is not None else clients.get_client(s, a, client_id).name
            people = contacts.list_contacts(s, a, client_id=client_id, limit=100).items
            return known, people

        def loaded(result: tuple[str, list[ContactOut]]) -> None:
            known, people = result
            picker = self.query_one(ClientPicker)
            if picker.client_id != client_id:
                return  # another client was chosen meanwhile
            if name is None:
                picker.set_client(client_id, known)
            contact = self.query_one("#contact", Select)
            contact.set_options([(p.full_name, p.id) for p in people])
            if self.contact_id is not None and any(p.id == self.contact_id for p in people):
                contact.value = self.contact_id

        def failed(error: Exception) -> bool:
            picker = self.query_one(ClientPicker)
            if picker.client_id == client_id:
                picker.clear()  # a client that cannot be logged against: choose another
            return False  # and the reason in the error dialog

        self.call(fetch, loaded, failed=failed, group="quick_log.client")

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        event.stop()
        self._set_error("client", "")
        if event.client_id != self.client_id:
            self.deal_id = None  # the deal is the first client's
        self._load_client(event.client_id, name=event.name)
        self.query_one("#contact", Select).focus()

    def on_client_picker_cleared(self, event: ClientPicker.Cleared) -> None:
        event.stop()
        self.query_one("#contact", Select).set_options([])

    # -- errors ---------------------------------------------------------------------------

    def _set_error(self, slot: str, message: str) -> None:
        error = self.query_one(f"#{slot}-error", Static)
        error.update(message)
        error.set_class(not message, "-empty")
        field = self.query(f"#{slot}")
        for widget in field:
            if isinstance(widget, Input):
                widget.set_class(bool(message), "-error")
        if slot == "client":
            self.query_one(ClientPicker).input.set_class(bool(message), "-error")

    def _clear_errors(self) -> None:
        for slot in SLOTS:
            self._set_error(slot, "")

    def on_input_changed(self, event: Input.Changed) -> None:
        slot = event.input.id
        if slot in SLOTS and event.input.has_class("-error"):
            self._set_error(slot, "")

    # -- saving ---------------------------------------------------------------------------

    def _moment(self, slot: str) -> datetime | None:
        """A typed date and time, or None with the error shown under its field."""
        text = self.query_one(f"#{slot}", Input).value.strip()
        if slot == "when" and text == self.when_text:
            return self.opened_at  # untouched: the minute the dialog opened
        if not text:
            self._set_error(slot, _("Give a date and time."))
            return None
        try:
            return i18n.parse_local_datetime(text)
        except ValueError:
            self._set_error(
                slot,
                _("Cannot read “{text}” as a date and time; for example {example}").format(
                    text=text, example=self.when_text
                ),
            )
            return None

    def action_save(self) -> None:
        if self._saving:
            return
        self._clear_errors()
        picker = self.query_one(ClientPicker)
        client_id = picker.client_id
        ok = True
        if client_id is None:
            self._set_error(
                "client",
                _("Choose a client from the list.")
                if picker.value.strip()
                else _("Choose a client."),
            )
            ok = False
        when = self._moment("when")
        ok = ok and when is not None
        title = self.query_one("#next-title", Input).value.strip()
        next_step: NextStep | None = None
        if title:
            due = self._moment("next-due")
            if due is None:
                ok = False
            else:
                next_step = NextStep(
                    title=title, due_at=due, kind=str(self.query_one("#next-kind", Select).value)
                )
        if not ok or client_id is None or when is None:
            return
        contact = self.query_one("#contact", Select).selection
        kind = str(self.query_one("#kind", Select).value)
        direction = str(self.query_one("#direction", Select).value)
        contact_id = contact if isinstance(contact, int) else None
        purpose = self.query_one("#purpose", Input).value
        result = self.query_one("#result", Input).value
        deal_id = self.deal_id if client_id == self.client_id else None
        self._saving = True
        self.call(
            lambda s, a: journal.log_with_next_step(
                s,
                a,
                kind=kind,
                direction=direction,
                occurred_at=when,
                client_id=client_id,
                contact_id=contact_id,
                purpose=purpose,
                result=result,
                next_step=next_step,
                deal_id=deal_id,
            ),
            self._saved,
            write=True,
            failed=self._refused,
        )

    def _saved(self, logged: Logged) -> None:
        self._saving = False
        entry = logged.interaction
        message = _("Logged: {kind} with {client}").format(
            kind=value_label(entry.kind), client=entry.client
        )
        if logged.task is not None:
            message += "\n" + _("Task “{title}” created, due {due}").format(
                title=logged.task.title, due=fmt_datetime(logged.task.due_at)
            )
        self.app.notify(message, title=_("Journal"))
        self.dismiss(logged)

    def _refused(self, error: Exception) -> bool:
        self._saving = False
        if not isinstance(error, Invalid):
            return False
        messages: dict[str, list[str]] = {}
        for field, message in error.errors.items():
            slot = ERROR_SLOTS.get(field, "form")
            if slot == "form" or field in ("direction", "next_kind"):
                message = f"{field_label(field.removeprefix('next_'))}: {message}"
            messages.setdefault(slot, []).append(message)
        for slot, lines in messages.items():
            self._set_error(slot, "\n".join(lines))
        # the cursor to the first field in error, as the forms do
        for slot in SLOTS:
            if slot in messages and slot != "form":
                targets = self.query(f"#{slot}")
                if targets:
                    targets.first().focus()
                break
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_already_open(self) -> None:
        pass

    def action_cancel(self) -> None:
        """Close; when something was typed, only after asking."""
        typed = any(
            box.value.strip()
            for box in self.query(Input)
            if box.id in ("purpose", "result", "next-title")
        )
        self.close_unless_typed(typed)


def _error(slot: str) -> Static:
    return Static("", classes="field-error -empty", id=f"{slot}-error", markup=False)
