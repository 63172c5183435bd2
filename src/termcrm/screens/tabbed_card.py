"""What the client card and the deal card share: tabs of tables under a header, moved
through with the keys, and leaving the card when its record is gone."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.widgets import TabbedContent

from termcrm.screens.base import CrmScreen
from termcrm.widgets.virtual_table import VirtualTable


class TabbedCard(CrmScreen[None]):
    """A card whose tabs (``TABS``: key, title) hold an ``#overview-body`` and tables
    called ``#KEY-table``."""

    TABS: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self._close_on_resume = False  # gone while covered: leave when back on top
        self._gone = False

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    def table(self, key: str) -> VirtualTable[Any]:
        return self.query_one(f"#{key}-table", VirtualTable)

    def _close(self) -> None:
        """Leave the card (its record is gone, or cannot be shown)."""
        self._gone = True
        if self.is_current:
            self._close_on_resume = False
            self.app.pop_screen()
        else:
            self._close_on_resume = True

    def _switch(self, step: int) -> None:
        ids = [key for key, _title in self.TABS]
        tabs = self.tabs
        tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]

    def action_next_tab(self) -> None:
        self._switch(1)

    def action_previous_tab(self) -> None:
        self._switch(-1)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        target = self.query_one("#overview-body") if pane == "overview" else self.table(str(pane))
        target.focus()
