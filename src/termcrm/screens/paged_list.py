"""A screen's keyset-paged list: one VirtualTable fed page by page through the services.

A screen makes one ``PagedList`` per such table and calls ``load(read)`` whenever the
list is to be read (again): ``read(session, actor, after, limit)`` returns one page of
the service's list. Every load makes a new ``PagedSource``; the pages and the answers
of ``PagedList.call`` (a count, the anchors) that belong to an older load are dropped::

    self.pages = PagedList(self, "#contacts", page_size=PAGE)
    self.pages.load(lambda s, a, after, n: contacts.list_contacts(s, a, after=after, limit=n))

By default the table shows the new list at once, from its top. With ``wait=True`` it
keeps showing the old rows until the new list's first page is in (no flicker on a
reload); ``load(..., keep_cursor=True)`` then leaves the cursor where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from termcrm.screens.base import CrmScreen
from termcrm.services.dto import Page
from termcrm.widgets.row_sources import PagedSource, WithFirst
from termcrm.widgets.virtual_table import RowSource, VirtualTable

Item = TypeVar("Item")
T = TypeVar("T")
# read(session, actor, after cursor, limit) -> one page of the list
Read = Callable[[Any, Any, str | None, int], Page[Item]]


class PagedList(Generic[Item]):
    def __init__(
        self,
        screen: CrmScreen[Any],
        table: str,
        *,
        page_size: int = 100,
        wait: bool = False,
        on_change: Callable[[], None] | None = None,
        on_page: Callable[[int, bool], None] | None = None,
        on_error: Callable[[Exception], bool] | None = None,
    ) -> None:
        """``table``: the VirtualTable's selector on ``screen`` (so the list can be made
        before the screen is composed). ``on_change()``: after the table got rows or a
        total; ``on_page(page number, is it the last)``: after a page came in;
        ``on_error(error)``: a page could not be read, True when handled (otherwise the
        app's error dialog shows it)."""
        self.screen = screen
        self.selector = table
        self.page_size = page_size
        self.wait = wait
        self.on_change = on_change
        self.on_page = on_page
        self.on_error = on_error
        self.generation = 0
        self.source: PagedSource[Item] | None = None  # the list of the latest load
        self.shown: RowSource[Item] | None = None  # what the table shows of it
        self._keep = (False, 0)  # (wait) keep the cursor when the list comes in? where it was

    @property
    def table(self) -> VirtualTable[Item]:
        return self.screen.query_one(self.selector, VirtualTable)

    def load(
        self, read: Read[Item], *, first: Item | None = None, keep_cursor: bool = False
    ) -> PagedSource[Item]:
        """Read the list anew; ``first``: one fixed row above it."""
        self.generation += 1
        generation = self.generation

        def fetch(page_no: int, after: str | None) -> None:
            def arrived(page: Page[Item]) -> None:
                if generation != self.generation:
                    return  # a newer load is on its way
                source.put(page_no, page.items, page.next_cursor)
                if self.on_page is not None:
                    self.on_page(page_no, page.next_cursor is None)

            def failed(error: Exception) -> bool:
                source.failed(page_no)
                return self.on_error(error) if self.on_error is not None else False

            size = self.page_size
            self.screen.call(lambda s, a: read(s, a, after, size), arrived, failed=failed)

        source: PagedSource[Item] = PagedSource(
            fetch, lambda: self._changed(generation), page_size=self.page_size
        )
        self.source = source
        self.shown = source if first is None else WithFirst(first, source)
        if self.wait:
            self._keep = (keep_cursor, self.table.cursor)
            source.ensure(0, 0)  # the table takes the list when its first page is in
        else:
            self.table.set_source(self.shown)
        return source

    def drop(self) -> None:
        """The table shows something else now: drop what the pending reads bring."""
        self.generation += 1

    def call(self, fn: Callable[..., T], done: Callable[[T], None]) -> None:
        """A service call about the current list (its count, its anchors): ``done`` runs
        only if no newer load has started meanwhile."""
        generation = self.generation

        def answered(result: T) -> None:
            if generation == self.generation:
                done(result)

        self.screen.call(fn, answered)

    @property
    def showing(self) -> bool:
        """Does the table show the latest list (with ``wait``: has its first page come)?"""
        return self.shown is not None and self.table.source is self.shown

    def _changed(self, generation: int) -> None:
        if generation != self.generation or self.shown is None:
            return
        table = self.table
        if self.wait and table.source is not self.shown:
            keep, cursor = self._keep
            table.set_source(self.shown, keep_cursor=keep)
            if keep:
                table.cursor = min(cursor, max(0, self.shown.total - 1))
        else:
            table.rows_changed()
        if self.on_change is not None:
            self.on_change()
