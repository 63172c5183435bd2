"""Sections that are one list, and those with a search box over their list.

A ``ListScreen`` reads its list when it is first shown, and again, the cursor
kept where it was, when it comes back to the top (from a dialog, another
section, an edit) and on its reload key (``action_reload``).

A ``SearchableScreen`` has a search box (``Input#search``) over the list: what
is typed applies 150 ms after the last keystroke; Enter applies it at once and
goes back to the list; ``action_clear_search`` empties the box. Applying sets
``query_text`` and calls ``load()``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import events
from textual.timer import Timer
from textual.widgets import Input

from termcrm.screens.base import CrmScreen
from termcrm.widgets.virtual_table import VirtualTable

SEARCH_DEBOUNCE = 0.15


class ListScreen(CrmScreen[None]):
    @property
    def table(self) -> VirtualTable[Any]:
        raise NotImplementedError

    def load(self) -> None:
        """(Re)read the list from its top."""
        raise NotImplementedError

    def reload_keep_position(self) -> None:
        """After a change elsewhere: the same list, re-read, the cursor where it was."""
        raise NotImplementedError

    def carry(self) -> dict[str, Any]:
        """What this section holds that a rebuild (a language switch) must keep."""
        return {}

    def take(self, state: dict[str, Any]) -> None:
        """Hold again what ``carry`` gave, before the list is first read."""

    def on_mount(self) -> None:
        state = self.crm.carried.pop(self.SECTION or "", None)
        if state:
            self.take(state)
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top() and self.table.source is not None:
            self.reload_keep_position()

    def action_reload(self) -> None:
        self.reload_keep_position()


class SearchableScreen(ListScreen):
    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self._debounce: Timer | None = None

    def carry(self) -> dict[str, Any]:
        return {**super().carry(), "query": self.query_text}

    def take(self, state: dict[str, Any]) -> None:
        super().take(state)
        self.query_text = state.get("query", "")
        if self.query_text:
            self.query_one("#search", Input).value = self.query_text

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, partial(self._apply_search, event.value))

    def _apply_search(self, value: str) -> None:
        value = value.strip()
        if value == self.query_text:
            return
        self.query_text = value
        self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self._apply_search(event.value)
            self.table.focus()

    def on_key(self, event: events.Key) -> None:
        """Down in the search box goes to the list, as Enter does."""
        focused = self.focused
        if event.key == "down" and isinstance(focused, Input) and focused.id == "search":
            event.stop()
            self._apply_search(focused.value)
            self.table.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
            self._apply_search("")
        self.table.focus()
