"""A client chosen by typing part of its name: an input with a list of matches.

``ClientPicker`` searches as the user types (``client_lists.search_clients``, the
same search as the card file: name, tax id, phone, city, contact…) and shows the
first matches under the input. Up/Down move in the list, Enter (or a click)
chooses, Escape closes the list (pressed again, it goes to the screen). The
choice is posted as ``ClientPicker.Chosen(client_id, name)``; editing the text
away from the chosen client posts ``ClientPicker.Cleared``.

    picker = ClientPicker(placeholder=_("Client…"), id="client")
    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None: ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from termcrm.i18n import _
from termcrm.services import client_lists
from termcrm.services.dto import ClientRow, SearchResult
from termcrm.widgets.translated import translate_bindings

if TYPE_CHECKING:
    from termcrm.app import TermCrmApp

DEBOUNCE = 0.15  # seconds after the last keystroke
MIN_CHARS = 2  # one letter would match half the database
CLOSE_DELAY = 0.3  # after focus leaves: long enough for a click on a match to land


class ClientMatches(OptionList, can_focus=False):
    """The drop-down; the input keeps the focus while it is open."""


class ClientPicker(Widget):
    DEFAULT_CSS = """
    ClientPicker { height: auto; width: 1fr; }
    ClientPicker > Input { width: 1fr; }
    ClientPicker > ClientMatches {
        display: none;
        overlay: screen;
        constrain: none inside;
        width: 1fr;
        height: auto;
        max-height: 10;
        border: round $border;
        background: $surface;
        padding: 0;
    }
    ClientPicker.-open > ClientMatches { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "close", show=False),
    ]

    class Chosen(Message):
        """A client was chosen from the matches."""

        def __init__(self, picker: ClientPicker, client_id: int, name: str) -> None:
            super().__init__()
            self.picker = picker
            self.client_id = client_id
            self.name = name

        @property
        def control(self) -> ClientPicker:
            return self.picker

    class Cleared(Message):
        """The text no longer names the chosen client (or was emptied)."""

        def __init__(self, picker: ClientPicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> ClientPicker:
            return self.picker

    def __init__(
        self,
        client_id: int | None = None,
        name: str = "",
        *,
        placeholder: str | None = None,
        limit: int = 8,
        compact: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
        self.client_id = client_id
        self.client_name = name if client_id is not None else ""
        self.limit = limit
        self._placeholder = placeholder if placeholder is not None else _("Type a client's name…")
        self._compact = compact
        self._text = name  # what the matches on show were searched for
        self._rows: list[ClientRow] = []
        self._debounce: Timer | None = None
        self._close_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(self.client_name, placeholder=self._placeholder, compact=self._compact)
        yield ClientMatches()

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def matches(self) -> OptionList:
        return self.query_one(ClientMatches)

    @property
    def value(self) -> str:
        """The text typed (the client's name once one is chosen)."""
        return self.input.value

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def focus(self, scroll_visible: bool = True) -> ClientPicker:
        self.input.focus(scroll_visible)
        return self

    # -- setting from outside ------------------------------------------------------------

    def set_client(self, client_id: int | None, name: str = "") -> None:
        """Show a client as chosen (no message is posted); None empties the picker."""
        self.client_id = client_id
        self.client_name = name if client_id is not None else ""
        self._text = self.client_name
        self.input.value = self.client_name
        self.input.cursor_position = len(self.client_name)
        self._close()

    def clear(self) -> None:
        self.set_client(None)

    # -- typing ------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self.input:
            return
        value = event.value
        if self.client_id is not None and value != self.client_name:
            self.client_id = None
            self.client_name = ""
            self.post_message(self.Cleared(self))
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if self.client_id is not None:
            return
        if len(value.strip()) < MIN_CHARS:
            self._rows = []
            self._text = value
            self._close()
            return
        self._debounce = self.set_timer(DEBOUNCE, self._search)

    def _search(self) -> None:
        text = self.input.value
        limit = self.limit

        def found(result: SearchResult[ClientRow]) -> None:
            if text != self.input.value or self.client_id is not None:
                return
            self._text = text
            self._rows = list(result.items)
            self._show()

        app = cast("TermCrmApp", self.app)
        app.call(
            self,
            lambda s, a: client_lists.search_clients(s, a, text, limit=limit),
            found,
            group=f"client-picker-{id(self)}",
        )

    def _show(self) -> None:
        matches = self.matches
        matches.clear_options()
        if self._rows:
            matches.add_options(Option(_option_text(row), id=str(row.id)) for row in self._rows)
            matches.highlighted = 0
        else:
            matches.add_option(
                Option(
                    Text(_("No client matches “{text}”").format(text=self._text), "dim"),
                    disabled=True,
                )
            )
        if self.input.has_focus:
            self.add_class("-open")

    def _close(self) -> None:
        self.remove_class("-open")

    # -- choosing ------------------------------------------------------------------------

    def choose(self, index: int) -> None:
        if not 0 <= index < len(self._rows):
            return
        row = self._rows[index]
        self.set_client(row.id, row.name)
        self.post_message(self.Chosen(self, row.id, row.name))

    def action_move(self, delta: int) -> None:
        if not self.is_open:
            if self._rows and self._text == self.input.value and self.client_id is None:
                self.add_class("-open")  # the matches again, as they were
                return
            raise SkipAction()  # let the screen move focus
        matches = self.matches
        if matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -delta
            matches.highlighted = max(0, min(matches.option_count - 1, current + delta))

    def action_close(self) -> None:
        if not self.is_open:
            raise SkipAction()  # Escape goes on to the screen (cancel, back)
        self._close()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.input:
            return
        index: int | None = None
        if self.is_open and self.matches.highlighted is not None:
            index = self.matches.highlighted
        elif len(self._rows) == 1 and self._text == event.value and self.client_id is None:
            index = 0
        if index is not None and index < len(self._rows):
            event.stop()
            self.choose(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(event.option_index)
        self.input.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()

    # -- focus -------------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self._close_timer is not None:
            self._close_timer.stop()
            self._close_timer = None

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self._close_timer is not None:
            self._close_timer.stop()
        self._close_timer = self.set_timer(CLOSE_DELAY, self._close_unless_focused)

    def _close_unless_focused(self) -> None:
        self._close_timer = None
        if not self.input.has_focus:
            self._close()


def _option_text(row: ClientRow) -> Text:
    text = Text(row.name)
    if row.city:
        text.append("  " + row.city, style="dim")
    return text
