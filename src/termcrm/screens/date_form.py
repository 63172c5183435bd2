"""Add or edit a company date of a client (foundation day, professional holiday, contract
anniversary, any other): its kind, title, day and month, the year when known, and how
many days before it reminds. Ctrl+S saves, Escape cancels; what the service refuses
is shown under its field. Birthdays are not here: they belong to the contact person.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from babel import Locale
from babel import dates as babel_dates
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _
from termcrm.screens.base import CrmModal
from termcrm.services import significant_dates
from termcrm.services.errors import Conflict, Invalid, NotFound
from termcrm.services.significant_dates import DEFAULT_REMIND_DAYS, KIND_LABELS, KINDS, DateOut
from termcrm.widgets.form_fields import FieldRow, FormField, show_errors

NUMBERS = ("day", "year", "remind_days")


def month_names() -> list[tuple[str, int]]:
    """The months as the interface language names them (standalone: январь, not января)."""
    names = Locale.parse(i18n.BABEL_LOCALES[i18n.current()]).months["stand-alone"]["wide"]
    return [(str(names[m]), m) for m in range(1, 13)]


def kind_options() -> list[tuple[str, str]]:
    return [(_(KIND_LABELS[k]), k) for k in KINDS]


def day_month_text(month: int, day: int, year: int | None) -> str:
    """``May 17`` or ``May 17, 1980`` in the interface language."""
    locale = Locale.parse(i18n.BABEL_LOCALES[i18n.current()])
    if year is not None:
        return babel_dates.format_date(date(year, month, day), format="medium", locale=locale)
    return babel_dates.format_skeleton("MMMd", date(2000, month, day), locale=locale)


class DateFormScreen(CrmModal[int | None]):
    """``date_id`` None: a new date of ``client_id``; dismisses with the date's id (None:
    nothing saved)."""

    DEFAULT_CSS = """
    DateFormScreen #date-fields { height: auto; max-height: 70vh; }
    DateFormScreen Input { background: $boost; }
    DateFormScreen .field-label { color: $text-muted; }
    DateFormScreen .field-error { color: $error; height: auto; }
    DateFormScreen .field-error.-empty { display: none; }
    DateFormScreen #date-error { color: $error; height: auto; }
    DateFormScreen #date-error.-empty { display: none; }
    DateFormScreen .dialog-buttons { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True, id="date_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="date_form.cancel"),
    ]

    def __init__(self, client_id: int, date_id: int | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.date_id = date_id
        self.loaded: DateOut | None = None  # the version an edit is based on
        self.original: dict[str, Any] = {}
        self._saving = False

    def compose(self) -> ComposeResult:
        title = _("New company date") if self.date_id is None else _("Company date")
        with Vertical(classes="dialog") as box:
            box.styles.width = 64
            yield Label(title, classes="dialog-title", id="date-title")
            yield Static("", id="date-error", classes="-empty", markup=False)
            with VerticalScroll(id="date-fields"):
                yield FormField(
                    "kind",
                    Select(kind_options(), value="foundation", allow_blank=False, compact=True),
                    label=_("Kind"),
                )
                yield FormField(
                    "title", Input(compact=True, id="date-title-input"), label=_("Title")
                )
                with FieldRow():
                    yield FormField("day", Input(compact=True, type="integer"), label=_("Day"))
                    yield FormField(
                        "month",
                        Select(month_names(), value=1, allow_blank=False, compact=True),
                        label=_("Month"),
                    )
                    yield FormField(
                        "year",
                        Input(compact=True, type="integer", placeholder=_("optional")),
                        label=_("Year"),
                    )
                yield FormField(
                    "remind_days",
                    Input(str(DEFAULT_REMIND_DAYS), compact=True, type="integer"),
                    label=_("Remind this many days before (0 to {n})").format(
                        n=significant_dates.MAX_REMIND_DAYS
                    ),
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.original = self.values()
        self.control("kind").focus()
        if self.date_id is not None:
            date_id = self.date_id
            self.call(lambda s, a: significant_dates.get_date(s, a, date_id), self._loaded)

    def _loaded(self, found: DateOut) -> None:
        self.loaded = found
        self.fill(found)
        self.original = self.values()
        self.query_one("#date-title", Label).update(
            _("Company date of “{client}”").format(client=found.client)
        )

    # -- the fields ---------------------------------------------------------------------------

    def control(self, field: str) -> Any:
        return self.query_one(f"#field-{field}", FormField).control

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.control("kind").value,
            "title": self.control("title").value,
            "day": self.control("day").value,
            "month": self.control("month").value,
            "year": self.control("year").value,
            "remind_days": self.control("remind_days").value,
        }

    def fill(self, found: DateOut) -> None:
        self.control("kind").value = found.kind if found.kind in KINDS else "other"
        self.control("title").value = found.title
        self.control("day").value = str(found.day)
        self.control("month").value = found.month
        self.control("year").value = "" if found.year is None else str(found.year)
        self.control("remind_days").value = str(found.remind_days)

    def parsed(self) -> dict[str, Any]:
        """The values as the service takes them; Invalid for numbers that are not."""
        texts = self.values()
        out: dict[str, Any] = {
            "kind": texts["kind"],
            "title": texts["title"],
            "month": texts["month"],
        }
        errors: dict[str, str] = {}
        for field in NUMBERS:
            text = str(texts[field]).strip()
            if not text and field == "year":
                out[field] = None
                continue
            try:
                out[field] = int(text)
            except ValueError:
                errors[field] = _("type a whole number")
        if errors:
            raise Invalid(errors)
        return out

    def show_errors(self, errors: dict[str, str]) -> None:
        first, rest = show_errors(self, errors)
        general = self.query_one("#date-error", Static)
        general.update("\n".join(rest.values()))
        general.set_class(not rest, "-empty")
        if first is not None:
            first.focus_control()

    # -- saving ---------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self._saving or (self.date_id is not None and self.loaded is None):
            return
        try:
            values = self.parsed()
        except Invalid as exc:
            self.show_errors(exc.errors)
            return
        self.show_errors({})
        self._saving = True
        client_id, date_id = self.client_id, self.date_id
        if date_id is None:

            def save(s: Any, a: Any) -> DateOut:
                return significant_dates.add_date(s, a, client_id=client_id, **values)

        else:
            assert self.loaded is not None
            version = self.loaded.version

            def save(s: Any, a: Any) -> DateOut:
                return significant_dates.update_date(s, a, date_id, version=version, changes=values)

        self.call(save, self._saved, write=True, failed=self._save_failed)

    def _saved(self, saved: DateOut) -> None:
        self._saving = False
        self.notify(_("Saved “{title}”.").format(title=saved.title), markup=False)
        self.dismiss(saved.id)

    def _save_failed(self, error: Exception) -> bool:
        self._saving = False
        if isinstance(error, Invalid):
            self.show_errors(error.errors)
            return True
        if isinstance(error, Conflict) and self.date_id is not None:
            date_id = self.date_id

            def theirs(found: DateOut) -> None:
                self.loaded = found  # what the user typed stays; saving again puts it over
                self.notify(
                    _(
                        "Somebody else changed this date meanwhile; nothing was saved. "
                        "Save again to put yours over theirs, or Escape to leave it."
                    ),
                    severity="warning",
                    markup=False,
                )

            self.call(lambda s, a: significant_dates.get_date(s, a, date_id), theirs)
            return True
        if isinstance(error, NotFound):
            self.dismiss(None)
        return False

    def action_cancel(self) -> None:
        self.close_unless_typed(self.values() != self.original)
