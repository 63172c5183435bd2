"""A table that draws only the rows in view, fed page by page.

Textual's DataTable keeps every row as widgets' data and slows down past tens of
thousands of rows. This table renders lines (the Line API) straight from a
``RowSource``: a million rows cost what the twenty on screen cost. When rows in
view are missing the source fetches their pages (through the screen's service
calls) and the table shows placeholders until they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from termcrm.i18n import N_, fmt_datetime
from termcrm.widgets.translated import translate_bindings

Item = TypeVar("Item")
Row_co = TypeVar("Row_co", covariant=True)


@dataclass(frozen=True)
class Column(Generic[Item]):
    key: str
    title: str
    text: Callable[[Item], str]
    width: int | None = None  # fixed width in cells; None shares what is left
    min_width: int = 6
    weight: int = 1  # share of the left-over width among flexible columns
    sort: str | None = None  # the service's sort key, when the column can sort
    right: bool = False  # right-aligned (numbers, amounts)


def datetime_width() -> int:
    """Cells a date and time takes in the current language (the widest month and hour):
    the width of a column of them."""
    return cell_len(fmt_datetime(datetime(2026, 12, 28, 22, 55, tzinfo=UTC)))


class RowSource(Protocol[Row_co]):
    """Where a VirtualTable gets its rows; the source fetches, the table draws."""

    @property
    def total(self) -> int:
        """Rows the table scrolls over (may grow while a list is read page by page)."""
        ...

    def get(self, index: int) -> Row_co | None:
        """The row at ``index``, or None while its page is on the way."""
        ...

    def ensure(self, first: int, last: int) -> None:
        """Start fetching whatever rows of first..last (inclusive) are missing."""
        ...


class VirtualTable(ScrollView, Generic[Item], can_focus=True):
    """Arrow keys, PgUp/PgDn, Home/End move; Enter (or a double click) chooses a row;
    a click on a column title sorts by it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("enter", "choose", N_("Open"), show=False, id="table.open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--placeholder",
        "virtual-table--sorted",
    }
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; scrollbar-gutter: stable; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--sorted { text-style: bold underline; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: bold;
    }
    VirtualTable > .virtual-table--placeholder { color: $text-disabled; }
    """

    cursor: reactive[int] = reactive(0)

    class RowChosen(Message):
        def __init__(self, table: VirtualTable[Any], index: int, item: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.item = item

    class CursorMoved(Message):
        def __init__(self, table: VirtualTable[Any], index: int, item: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.item = item

    class SortRequested(Message):
        def __init__(self, table: VirtualTable[Any], column: Column[Any]) -> None:
            super().__init__()
            self.table = table
            self.column = column

    def __init__(
        self,
        columns: Sequence[Column[Item]],
        *,
        empty_text: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
        self.columns = list(columns)
        self.source: RowSource[Item] | None = None
        self.empty_text = empty_text
        self.sort_key: str | None = None
        self.sort_descending = False
        self._widths: list[int] = []

    # -- data -----------------------------------------------------------------------

    def set_source(self, source: RowSource[Item], *, keep_cursor: bool = False) -> None:
        """Show another list (a new filter, sort or search): back to its top."""
        self.source = source
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        self.rows_changed()

    def rows_changed(self) -> None:
        """The source got rows or a new total: resize and redraw."""
        total = self.source.total if self.source else 0
        self.virtual_size = Size(self.size.width, total + 1)
        if total and self.cursor >= total:
            self.cursor = total - 1
        self._ensure_visible_rows()
        self.refresh()

    @property
    def current(self) -> Item | None:
        return self.source.get(self.cursor) if self.source and self.source.total else None

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        self.sort_key, self.sort_descending = key, descending
        self.refresh()

    # -- geometry ---------------------------------------------------------------------

    @property
    def _rows_in_view(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _ensure_visible_rows(self) -> None:
        if self.source is None or not self.source.total:
            return
        first = int(self.scroll_offset.y)
        last = min(self.source.total - 1, first + self._rows_in_view)
        self.source.ensure(first, last)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_visible_rows()

    def on_resize(self, event: events.Resize) -> None:
        self._widths = []
        self.rows_changed()

    def _column_widths(self, width: int) -> list[int]:
        if self._widths and sum(self._widths) + len(self._widths) - 1 <= width:
            return self._widths
        gaps = len(self.columns) - 1
        fixed = sum(c.width or 0 for c in self.columns)
        flexible = [c for c in self.columns if c.width is None]
        left = max(0, width - fixed - gaps)
        weights = sum(c.weight for c in flexible) or 1
        widths = []
        for column in self.columns:
            if column.width is not None:
                widths.append(column.width)
            else:
                widths.append(max(column.min_width, left * column.weight // weights))
        # give rounding leftovers to the first flexible column
        spare = width - gaps - sum(widths)
        if spare > 0 and flexible:
            widths[self.columns.index(flexible[0])] += spare
        self._widths = widths
        return widths

    # -- drawing ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._column_widths(width)
        base = self.rich_style
        if y == 0:
            return self._header(widths, width, base)
        index = int(self.scroll_offset.y) + y - 1
        total = self.source.total if self.source else 0
        if index >= total:
            if total == 0 and y == 1 and self.empty_text:
                style = base + self.get_component_rich_style("virtual-table--placeholder")
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        item = self.source.get(index) if self.source else None
        if item is None:
            style = base + self.get_component_rich_style("virtual-table--placeholder")
            return Strip([Segment(set_cell_size(" …", width), style)], width)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        cells = [
            _fit(column.text(item), w, column.right)
            for column, w in zip(self.columns, widths, strict=True)
        ]
        return Strip([Segment(set_cell_size(" ".join(cells), width), style)], width)

    def _header(self, widths: list[int], width: int, base: Style) -> Strip:
        header = base + self.get_component_rich_style("virtual-table--header")
        sorted_style = base + self.get_component_rich_style("virtual-table--sorted")
        segments: list[Segment] = []
        for i, (column, w) in enumerate(zip(self.columns, widths, strict=True)):
            title = column.title
            style = header
            if column.sort and column.sort == self.sort_key:
                title += " ▼" if self.sort_descending else " ▲"
                style = sorted_style
            segments.append(Segment(_fit(title, w, column.right), style))
            if i < len(self.columns) - 1:
                segments.append(Segment(" ", header))
        used = sum(cell_len(s.text) for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), header))
        return Strip(segments, width).crop(0, width)

    # -- moving -----------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        if self.source is not None and self.source.total:
            self.post_message(self.CursorMoved(self, new, self.source.get(new)))

    def _move_to(self, index: int) -> None:
        total = self.source.total if self.source else 0
        if not total:
            return
        index = max(0, min(total - 1, index))
        self.cursor = index
        top = int(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + self._rows_in_view:
            self.scroll_to(y=index - self._rows_in_view + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        step = self._rows_in_view
        self.scroll_to(y=self.scroll_offset.y + direction * step, animate=False, immediate=True)
        self._move_to(self.cursor + direction * step)

    def action_edge(self, end: int) -> None:
        total = self.source.total if self.source else 0
        self._move_to(total - 1 if end else 0)

    def action_choose(self) -> None:
        item = self.current
        if item is not None:
            self.post_message(self.RowChosen(self, self.cursor, item))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = 0
            for column, w in zip(self.columns, self._widths, strict=False):
                if x <= offset.x < x + w + 1:
                    if column.sort:
                        self.post_message(self.SortRequested(self, column))
                    return
                x += w + 1
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if self.source is not None and index < self.source.total:
            self._move_to(index)
            if event.chain >= 2:
                self.action_choose()


def _fit(text: str, width: int, right: bool = False) -> str:
    """Text cut (with an ellipsis) or padded to exactly ``width`` cells; runs of white
    space become one space, except the leading spaces that indent a tree."""
    indent = len(text) - len(text.lstrip(" "))
    text = " " * indent + " ".join(text.split())
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad
