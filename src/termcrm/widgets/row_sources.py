"""Row sources for VirtualTable: a paged list held in an LRU cache, a fixed list, and
one fixed row above another source.

A ``PagedSource`` never holds the whole list: it keeps the last ``max_pages``
pages it was asked for. To fetch page ``k`` it needs the cursor that ends page
``k - 1``: it has it after reading page ``k - 1``, or from *anchors*, the cursors
of every page boundary that the card file fetches in one pass over the sort
index, so that a jump to row 500,000 of a million is one keyset page away.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from termcrm.widgets.virtual_table import RowSource

Item = TypeVar("Item")
# fetch(page number, cursor to read after) -> starts the read; the answer comes
# back through PagedSource.put / PagedSource.failed
Fetch = Callable[[int, str | None], None]


class PagedSource(Generic[Item]):
    def __init__(
        self,
        fetch: Fetch,
        on_change: Callable[[], None],
        *,
        page_size: int = 100,
        total: int | None = None,
        max_pages: int = 40,
    ) -> None:
        self.fetch = fetch
        self.on_change = on_change
        self.page_size = page_size
        self.max_pages = max_pages
        self._total = total  # None: unknown, grows while the list is read
        self._pages: OrderedDict[int, list[Item]] = OrderedDict()
        self._cursors: dict[int, str | None] = {0: None}
        self._in_flight: set[int] = set()
        self._ended_at: int | None = None  # the last page, once read

    # -- what the table asks -------------------------------------------------------------

    @property
    def total(self) -> int:
        if self._total is not None:
            return self._total
        if self._ended_at is not None:
            last = self._pages.get(self._ended_at)
            if last is not None:
                return self._ended_at * self.page_size + len(last)
        # unknown: what is known so far plus one page of placeholders to scroll into
        known = max((n for n in self._cursors), default=0)
        return (known + 1) * self.page_size

    @property
    def exact(self) -> bool:
        return self._total is not None or self._ended_at is not None

    def get(self, index: int) -> Item | None:
        page_no, offset = divmod(index, self.page_size)
        page = self._pages.get(page_no)
        if page is None:
            return None
        self._pages.move_to_end(page_no)
        return page[offset] if offset < len(page) else None

    def ensure(self, first: int, last: int) -> None:
        for page_no in range(first // self.page_size, last // self.page_size + 1):
            if page_no in self._pages or page_no in self._in_flight:
                continue
            if page_no not in self._cursors:
                continue  # reachable once its anchor or the page before it arrives
            if self._ended_at is not None and page_no > self._ended_at:
                continue
            self._in_flight.add(page_no)
            self.fetch(page_no, self._cursors[page_no])

    # -- what the fetcher answers ----------------------------------------------------------

    def put(self, page_no: int, items: Sequence[Item], next_cursor: str | None) -> None:
        self._in_flight.discard(page_no)
        self._pages[page_no] = list(items)
        self._pages.move_to_end(page_no)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        if next_cursor is None:
            self._ended_at = page_no
            if self._total is not None:
                self._total = page_no * self.page_size + len(items)
        else:
            self._cursors[page_no + 1] = next_cursor
        self.on_change()

    def failed(self, page_no: int) -> None:
        self._in_flight.discard(page_no)

    def set_total(self, total: int) -> None:
        self._total = total
        self.on_change()

    def set_anchors(self, anchors: Sequence[str]) -> None:
        """``anchors[k]`` ends page ``k``: every page becomes reachable directly."""
        for k, cursor in enumerate(anchors):
            self._cursors.setdefault(k + 1, cursor)
        self.on_change()

    def first_page_loaded(self) -> bool:
        return 0 in self._pages


class ListSource(Generic[Item]):
    """A list already in memory (search results, a client's contacts)."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)

    @property
    def total(self) -> int:
        return len(self.items)

    def get(self, index: int) -> Item | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def ensure(self, first: int, last: int) -> None:
        pass


class WithFirst(Generic[Item]):
    """A row source with one fixed row before a paged list (the parent above the branches)."""

    def __init__(self, first: Item, rest: RowSource[Item]) -> None:
        self.first = first
        self.rest = rest

    @property
    def total(self) -> int:
        return 1 + self.rest.total

    def get(self, index: int) -> Item | None:
        return self.first if index == 0 else self.rest.get(index - 1)

    def ensure(self, first: int, last: int) -> None:
        if last >= 1:
            self.rest.ensure(max(0, first - 1), last - 1)
