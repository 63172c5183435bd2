"""The language picker: English, Russian or Chinese, each named in its own language."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from termcrm import i18n
from termcrm.i18n import N_, _
from termcrm.screens.base import CrmModal

# a language's own name, so that anyone finds theirs whatever is shown now
LANGUAGES = (("en", "English"), ("ru", "Русский"), ("zh", "中文"))


class LanguageScreen(CrmModal[str | None]):
    """Returns the chosen language code ("en", "ru", "zh"), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="language.cancel"),
    ]
    DEFAULT_CSS = """
    LanguageScreen #languages, LanguageScreen #languages:focus {
        height: auto; border: none; padding: 0;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="language-dialog") as dialog:
            dialog.styles.width = 40  # app.tcss sizes dialogs for forms
            yield Label(_("Language"), classes="dialog-title")
            yield OptionList(*(Option(name, id=code) for code, name in LANGUAGES), id="languages")
            yield Static(_("Enter: choose · Esc: cancel"), classes="hint")

    def on_mount(self) -> None:
        options = self.query_one("#languages", OptionList)
        codes = [code for code, _name in LANGUAGES]
        current = i18n.current()
        options.highlighted = codes.index(current) if current in codes else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
