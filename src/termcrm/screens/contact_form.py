"""Create or edit a contact person of a client.

Validation comes back from the services as ``Invalid`` (field -> message): each
message is shown under its field and what was typed stays. An edit is based on
the version that was loaded; when somebody else saved in between (``Conflict``)
the form shows what they changed and lets the user reload or keep editing, so
nothing is overwritten without the user having seen it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static, TextArea

from termcrm.i18n import N_, _, fmt_date, parse_local_date
from termcrm.labels import field_label
from termcrm.screens.base import CrmScreen
from termcrm.services import clients, contacts
from termcrm.services.dto import ClientOut, ContactOut
from termcrm.services.errors import Conflict, Invalid
from termcrm.services.significant_dates import DEFAULT_REMIND_DAYS, MAX_REMIND_DAYS
from termcrm.widgets.conflict_dialog import Choice, ConflictDialog, FieldTexts
from termcrm.widgets.form_fields import errors_summary, split_items
from termcrm.widgets.top_bar import TopBar

# the form's fields in order; the multi-line ones are TextAreas
FIELDS = (
    "full_name",
    "position",
    "phones",
    "emails",
    "birthday",
    "birthday_remind_days",
    "character_notes",
    "notes",
)
MULTILINE = ("character_notes", "notes")
LIST_FIELDS = ("phones", "emails")
EXAMPLE_DAY = date(1985, 12, 31)


def parse_birthday(text: str) -> date | None:
    """A date typed as YYYY-MM-DD or in the locale's numeric form; ValueError otherwise."""
    text = text.strip()
    return parse_local_date(text) if text else None


def parse_remind_days(text: str) -> int:
    """Days before the birthday to remind (empty: the default); Invalid otherwise."""
    text = text.strip()
    if not text:
        return DEFAULT_REMIND_DAYS
    if not text.isdigit():
        raise Invalid(
            {
                "birthday_remind_days": _("type a number of days from 0 to {n}").format(
                    n=MAX_REMIND_DAYS
                )
            }
        )
    return int(text)


def contact_texts(contact: ContactOut) -> dict[str, str]:
    """A contact as the form's field texts."""
    return {
        "full_name": contact.full_name,
        "position": contact.position,
        "phones": ", ".join(p.raw for p in contact.phones),
        "emails": ", ".join(e.address for e in contact.emails),
        "birthday": fmt_date(contact.birthday),
        "birthday_remind_days": str(contact.birthday_remind_days),
        "character_notes": contact.character_notes,
        "notes": contact.notes,
    }


EMPTY = {**dict.fromkeys(FIELDS, ""), "birthday_remind_days": str(DEFAULT_REMIND_DAYS)}


class ContactFormScreen(CrmScreen[int | None]):
    DEFAULT_CSS = """
    ContactFormScreen #title { text-style: bold; padding: 0 1; height: 1; }
    ContactFormScreen #form-error { color: $error; padding: 0 1; height: auto; }
    ContactFormScreen #form-error.-empty { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True, id="contact_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="contact_form.cancel"),
    ]

    def __init__(self, client_id: int, contact_id: int | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.contact_id = contact_id
        self.loaded: ContactOut | None = None  # the version an edit is based on
        self.original: dict[str, str] = dict(EMPTY)  # the texts as loaded
        self._saving = False

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Label(
            _("New contact person") if self.contact_id is None else _("Loading…"),
            id="title",
            markup=False,
        )
        yield Static("", id="form-error", classes="-empty", markup=False)
        with VerticalScroll(classes="form", id="form"):
            for field in FIELDS:
                yield Label(self._label(field), classes="field-label", markup=False)
                if field in MULTILINE:
                    yield TextArea("", id=f"field-{field}", soft_wrap=True)
                else:
                    yield Input(
                        EMPTY[field], id=f"field-{field}", placeholder=self._placeholder(field)
                    )
                yield Static("", id=f"error-{field}", classes="field-error -empty", markup=False)
        yield Footer(compact=True)

    @staticmethod
    def _label(field: str) -> str:
        label = field_label(field)
        if field in LIST_FIELDS:
            return _("{field} (separate several with commas)").format(field=label)
        if field == "birthday":
            return _("{field} ({example} or {iso})").format(
                field=label, example=fmt_date(EXAMPLE_DAY), iso=EXAMPLE_DAY.isoformat()
            )
        if field == "birthday_remind_days":
            return _("Remind this many days before the birthday (0 to {n})").format(
                n=MAX_REMIND_DAYS
            )
        return label

    @staticmethod
    def _placeholder(field: str) -> str:
        return {
            "phones": "+7 495 123-45-67, +7 916 000-00-00",
            "emails": "name@example.com",
            "birthday": fmt_date(EXAMPLE_DAY),
        }.get(field, "")

    @property
    def current_client_id(self) -> int | None:  # type: ignore[override]
        return self.client_id

    def on_mount(self) -> None:
        self.query_one("#field-full_name", Input).focus()
        client_id, contact_id = self.client_id, self.contact_id
        if contact_id is None:
            self.call(lambda s, a: clients.get_client(s, a, client_id), self._client_loaded)
        else:
            self.call(lambda s, a: contacts.get_contact(s, a, contact_id), self._loaded)

    def _client_loaded(self, client: ClientOut) -> None:
        self.query_one("#title", Label).update(
            _("New contact person of “{client}”").format(client=client.name)
        )

    def _loaded(self, contact: ContactOut) -> None:
        self.loaded = contact
        self.original = contact_texts(contact)
        self.fill(self.original)
        self.query_one("#title", Label).update(
            _("Contact person “{name}” of “{client}”").format(
                name=contact.full_name, client=contact.client
            )
        )

    # -- the fields ---------------------------------------------------------------------------

    def widget(self, field: str) -> Input | TextArea:
        if field in MULTILINE:
            return self.query_one(f"#field-{field}", TextArea)
        return self.query_one(f"#field-{field}", Input)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for field in FIELDS:
            w = self.widget(field)
            out[field] = w.text if isinstance(w, TextArea) else w.value
        return out

    def fill(self, texts: Mapping[str, str]) -> None:
        for field, text in texts.items():
            w = self.widget(field)
            if isinstance(w, TextArea):
                w.load_text(text)
            else:
                w.value = text
                w.cursor_position = len(text)

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each message under its field; messages about anything else above the form."""
        if len(errors) > 1:
            self.notify(errors_summary(errors), severity="error", markup=False)
        first: Widget | None = None
        shown: Widget | None = None
        general: list[str] = []
        for field in FIELDS:
            message = errors.get(field, "")
            error = self.query_one(f"#error-{field}", Static)
            error.update(message)
            error.set_class(not message, "-empty")
            self.widget(field).set_class(bool(message), "-invalid")
            if message and first is None:
                first = self.widget(field)
                shown = error
        for field, message in errors.items():
            if field not in FIELDS:
                general.append(f"{field_label(field)}: {message}")
        top = self.query_one("#form-error", Static)
        top.update("\n".join(general))
        top.set_class(not general, "-empty")
        if first is not None and shown is not None:
            first.focus(scroll_visible=False)
            # the field and its message under it in view
            self.call_after_refresh(shown.scroll_visible, animate=False)

    # -- saving ---------------------------------------------------------------------------------

    def data(self) -> dict[str, Any]:
        """What to send: everything for a new contact, only what changed for an edit."""
        texts = self.values()
        if self.contact_id is not None:
            texts = {f: t for f, t in texts.items() if t != self.original[f]}
        data: dict[str, Any] = {}
        for field, text in texts.items():
            if field in LIST_FIELDS:
                data[field] = split_items(text)
            elif field == "birthday":
                data[field] = parse_birthday(text)  # ValueError: shown under the field
            elif field == "birthday_remind_days":
                data[field] = parse_remind_days(text)  # Invalid: shown under the field
            else:
                data[field] = text
        return data

    def action_save(self) -> None:
        if self._saving or (self.contact_id is not None and self.loaded is None):
            return
        try:
            data = self.data()
        except Invalid as exc:
            self.show_errors(exc.errors)
            return
        except ValueError:
            typed = self.values()["birthday"].strip()
            self.show_errors(
                {
                    "birthday": _("“{text}” is not a date: type {example} or {iso}").format(
                        text=typed, example=fmt_date(EXAMPLE_DAY), iso=EXAMPLE_DAY.isoformat()
                    )
                }
            )
            return
        self.show_errors({})
        if self.contact_id is not None and not data:
            self.dismiss(self.contact_id)  # nothing changed
            return
        self._saving = True
        client_id, contact_id = self.client_id, self.contact_id
        if contact_id is None:

            def save(s: Any, a: Any) -> ContactOut:
                return contacts.create_contact(s, a, client_id, data)

        else:
            assert self.loaded is not None
            version = self.loaded.version

            def save(s: Any, a: Any) -> ContactOut:
                return contacts.update_contact(s, a, contact_id, version=version, changes=data)

        self.call(save, self._saved, write=True, failed=self._save_failed)

    def _saved(self, contact: ContactOut) -> None:
        self._saving = False
        self.notify(_("Saved “{name}”.").format(name=contact.full_name))
        self.dismiss(contact.id)

    def _save_failed(self, error: Exception) -> bool:
        self._saving = False
        if isinstance(error, Invalid):
            self.show_errors(error.errors)
            return True
        if isinstance(error, Conflict) and self.contact_id is not None:
            contact_id = self.contact_id
            self.call(
                lambda s, a: contacts.get_contact(s, a, contact_id),
                lambda theirs: self._resolve_conflict(error, theirs),
            )
            return True
        return False

    def _resolve_conflict(self, conflict: Conflict, theirs: ContactOut) -> None:
        mine = self.values()
        their_texts = contact_texts(theirs)

        def chosen(choice: Choice | None) -> None:
            if choice == "reload":
                self.fill(their_texts)
                self.show_errors({})
            else:
                # keep what the user typed; take their changes where the user typed nothing
                self.fill(
                    {
                        f: their_texts[f]
                        for f in FIELDS
                        if mine[f] == self.original[f] and their_texts[f] != mine[f]
                    }
                )
            self.loaded = theirs
            self.original = their_texts
            if theirs.deleted_at is not None:
                self.notify(_("This contact person was deleted meanwhile."), severity="warning")

        self.app.push_screen(
            ConflictDialog(
                conflict,
                texts=FieldTexts(self.original, mine, their_texts),
                title=_("Somebody else changed this contact person meanwhile; nothing was saved."),
                hint=_(
                    "Reload: show their version, your changes are dropped. "
                    "Keep editing: your changes stay, theirs fill the fields you did not "
                    "touch; saving then puts yours over theirs."
                ),
                escape_keeps=True,
            ),
            chosen,
        )

    # -- leaving ---------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.values() == self.original:
            self.dismiss(None)
            return
        self.confirm(
            _("Discard your changes to this contact person?"),
            lambda: self.dismiss(None),
            yes=_("Discard"),
            no=_("Keep editing"),
        )
