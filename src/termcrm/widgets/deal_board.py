"""The deal board: one column per open stage, the deals in it as cards.

A column's head says the stage, its probability, how many deals it holds and their
amount per currency (the currency of the most deals first). A card shows the deal's
title, its client, its amount and how many days it has been in its stage (and its
owner, when the board holds other people's deals).

Arrow keys move the cursor: up/down between the cards of a column, left/right between
columns (an empty column too, so that every stage can be reached); Home/End and
PgUp/PgDn within a column. When the columns do not fit side by side (more stages than
the terminal is wide for), the board shows as many as fit and scrolls sideways to keep
the cursor's column in view; ``◀`` and ``▶`` in the heads say that more are beyond. A
column taller than the screen scrolls to keep the cursor's card in view.

The board is drawn line by line (the Line API) from what ``show`` gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from babel import Locale
from babel import numbers as babel_numbers
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_number, ngettext
from termcrm.services.deal_board import Board, BoardCard, BoardColumn
from termcrm.widgets.translated import translate_bindings

MIN_COLUMN = 18  # the narrowest column: below it the board scrolls sideways
MAX_COLUMN = 40  # wider columns only spread the text
HEAD_AMOUNTS = 3  # currencies listed in a column's head at most
SEPARATOR = "│"


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency, in the interface language; whole amounts without
    the cents (``$150,000``, ``150 000 ₽``)."""
    return i18n.fmt_whole_money(amount, currency)


def amount_text(amount: Decimal) -> str:
    """An amount without its currency: ``120,000``, ``251,390.10`` (cents when it has any)."""
    whole = amount == amount.to_integral_value()
    locale = Locale.parse(i18n.BABEL_LOCALES[i18n.current()])
    return babel_numbers.format_decimal(
        amount, format="#,##0" if whole else "#,##0.00", locale=locale
    )


def short_money(amount: Decimal, currency: str) -> str:
    """``$150K``: for a column's head too narrow for the whole amount."""
    return i18n.fmt_compact_money(amount, currency)


def days_text(days: int) -> str:
    # TRANSLATORS: days a deal has been in its stage, on a card of the deal board: keep it short
    return _("{days}d").format(days=fmt_number(days))


Parts = list[tuple[str, Style]]


def _fit(parts: Parts, width: int, fill: Style) -> list[Segment]:
    """Styled pieces of text in exactly ``width`` cells: cut with an ellipsis, or padded."""
    out: list[Segment] = []
    used = 0
    for text, style in parts:
        room = width - used
        if room <= 0:
            break
        size = cell_len(text)
        if size > room:
            text = set_cell_size(text, room - 1) + "…"
            size = room
        out.append(Segment(text, style))
        used += size
    if used < width:
        out.append(Segment(" " * (width - used), fill))
    return out


def _clean(text: str) -> str:
    """User text on one line: runs of white space (line breaks too) as one space."""
    return " ".join(text.split())


def _padded(parts: Parts, width: int, fill: Style) -> list[Segment]:
    """As ``_fit``, with a space at the right edge however long the text."""
    return [Segment(" ", fill), *_fit(parts, width - 2, fill), Segment(" ", fill)]


def _spread(left: str, right: str, width: int) -> tuple[str, str]:
    """``left`` and ``right`` on one line of ``width`` cells: the left one cut first."""
    if cell_len(left) + 1 + cell_len(right) <= width:
        return left, " " * (width - cell_len(left) - cell_len(right)) + right
    room = width - cell_len(right) - 1
    if room >= 2:
        return set_cell_size(left, room - 1) + "…", " " + right
    return "", set_cell_size(right, width)


@dataclass(frozen=True, slots=True)
class _Geometry:
    first: int  # the first column shown
    count: int  # columns shown
    widths: tuple[int, ...]


class DealBoard(Widget, can_focus=True):
    """The board; ``show(board)`` gives it the deals, ``current`` is the card under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("left", "column(-1)", show=False),
        Binding("right", "column(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("enter", "choose", N_("Open"), show=False, id="board.open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "deal-board--head",
        "deal-board--rule",
        "deal-board--card",
        "deal-board--muted",
        "deal-board--cursor",
        "deal-board--empty",
    }
    DEFAULT_CSS = """
    DealBoard { height: 1fr; }
    DealBoard > .deal-board--head { background: $panel; text-style: bold; }
    DealBoard > .deal-board--rule { color: $primary-muted; }
    DealBoard > .deal-board--card { background: $boost; }
    DealBoard > .deal-board--muted { color: $text-muted; }
    DealBoard > .deal-board--empty { color: $text-disabled; text-style: italic; }
    DealBoard > .deal-board--cursor { background: $block-cursor-blurred-background; }
    DealBoard:focus > .deal-board--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    """

    class CardChosen(Message):
        """Enter (or a double click) on a card."""

        def __init__(self, board: DealBoard, card: BoardCard) -> None:
            super().__init__()
            self.board = board
            self.card = card

    class CursorMoved(Message):
        def __init__(self, board: DealBoard, card: BoardCard | None) -> None:
            super().__init__()
            self.board = board
            self.card = card

    def __init__(
        self, *, empty_text: str = "", id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
        self.board: Board | None = None
        self.show_owner = False
        self.empty_text = empty_text
        self.column = 0  # the cursor's column
        self.row = 0  # the cursor's card in it (0 in an empty column)
        self._wanted_row = 0  # the row left/right try to keep
        self._tops: dict[int, int] = {}  # stage id -> the first card shown
        self._first = 0  # the first column shown when they do not all fit
        self._lines: list[Strip] | None = None

    # -- data ------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[BoardColumn, ...]:
        return self.board.columns if self.board is not None else ()

    @property
    def current_column(self) -> BoardColumn | None:
        columns = self.columns
        return columns[self.column] if 0 <= self.column < len(columns) else None

    @property
    def current(self) -> BoardCard | None:
        column = self.current_column
        if column is None or not column.cards:
            return None
        return column.cards[min(self.row, len(column.cards) - 1)]

    def show(self, board: Board, *, show_owner: bool = False, keep: int | None = None) -> None:
        """Show ``board``; the cursor on deal ``keep`` when it is there, else where it was
        (the same column, the nearest card)."""
        same_pipeline = self.board is not None and self.board.pipeline_id == board.pipeline_id
        self.board = board
        self.show_owner = show_owner
        if not same_pipeline:
            self.column, self.row, self._wanted_row, self._first = 0, 0, 0, 0
            self._tops.clear()
        if keep is None or not self.select(keep):
            self.column = max(0, min(self.column, len(board.columns) - 1))
            self._clamp_row()
            self._changed()

    def select(self, deal_id: int) -> bool:
        """The cursor to deal ``deal_id``; False when the board does not hold it."""
        for c, column in enumerate(self.columns):
            for r, card in enumerate(column.cards):
                if card.id == deal_id:
                    self.column, self.row, self._wanted_row = c, r, r
                    self._changed()
                    return True
        return False

    def _clamp_row(self) -> None:
        column = self.current_column
        cards = len(column.cards) if column is not None else 0
        self.row = max(0, min(self._wanted_row, cards - 1)) if cards else 0

    def _changed(self, moved: bool = True) -> None:
        self._lines = None
        self.refresh()
        if moved:
            self.post_message(self.CursorMoved(self, self.current))

    # -- keys ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        column = self.current_column
        if column is None or not column.cards:
            return
        self.row = max(0, min(len(column.cards) - 1, self.row + delta))
        self._wanted_row = self.row
        self._changed()

    def action_column(self, delta: int) -> None:
        if not self.columns:
            return
        self.column = max(0, min(len(self.columns) - 1, self.column + delta))
        self._clamp_row()
        self._changed()

    def action_edge(self, end: int) -> None:
        column = self.current_column
        if column is not None and column.cards:
            self.row = self._wanted_row = len(column.cards) - 1 if end else 0
            self._changed()

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self._cards_in_view(self.current_column)))

    def action_choose(self) -> None:
        card = self.current
        if card is not None:
            self.post_message(self.CardChosen(self, card))

    # -- geometry --------------------------------------------------------------------------

    @property
    def card_height(self) -> int:
        return 4 if self.show_owner else 3

    @property
    def head_height(self) -> int:
        """The heads' lines: the stage, the count with the first amount, more currencies,
        and a rule under them."""
        currencies = max((len(c.amounts) for c in self.columns), default=1)
        return 2 + min(HEAD_AMOUNTS, max(1, currencies))

    def _geometry(self, width: int) -> _Geometry:
        total = len(self.columns)
        if not total:
            return _Geometry(0, 0, ())
        fits = max(1, (width + 1) // (MIN_COLUMN + 1))
        count = min(total, fits)
        if self.column < self._first:
            self._first = self.column
        elif self.column >= self._first + count:
            self._first = self.column - count + 1
        self._first = max(0, min(self._first, total - count))
        room = width - (count - 1)
        base = min(MAX_COLUMN, room // count)
        widths = [base] * count
        if base < MAX_COLUMN:  # what is left over goes to the first columns
            for i in range(min(count, room - base * count)):
                widths[i] += 1
        return _Geometry(self._first, count, tuple(widths))

    def _cards_in_view(self, column: BoardColumn | None) -> int:
        if column is None:
            return 0
        room = self.size.height - self.head_height
        step = self.card_height + 1
        if len(column.cards) * step - 1 <= room:
            return len(column.cards)
        return max(1, room // step)  # the cards, and a line for "↑ 2  ↓ 5"

    def _top(self, c: int, column: BoardColumn) -> int:
        """The first card shown in column ``c``, moved to keep the cursor's card in view."""
        shown = self._cards_in_view(column)
        top = self._tops.get(column.stage.id, 0)
        if c == self.column and column.cards:
            if self.row < top:
                top = self.row
            elif self.row >= top + shown:
                top = self.row - shown + 1
        top = max(0, min(top, len(column.cards) - shown))
        self._tops[column.stage.id] = top
        return top

    # -- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = None  # another theme: drawn again in its colours

    def on_resize(self, event: events.Resize) -> None:
        self._changed(moved=False)

    def on_focus(self, event: events.Focus) -> None:
        self._changed(moved=False)

    def on_blur(self, event: events.Blur) -> None:
        self._changed(moved=False)

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if self._lines is None or len(self._lines) != height:
            self._lines = self._draw(width, height)
        return self._lines[y] if y < len(self._lines) else Strip.blank(width, self.rich_style)

    def _style(self, name: str) -> Style:
        return self.rich_style + self.get_component_rich_style(name)

    def _color(self, name: str) -> Style:
        """Only the colour of a component (blended over the widget's background)."""
        return Style(color=self.get_component_rich_style(name).color)

    def _draw(self, width: int, height: int) -> list[Strip]:
        base = self.rich_style
        if not self.columns:
            text = " " + (self.empty_text if self.board is None else _("No open stages."))
            muted = self._style("deal-board--empty")
            lines = [Strip([Segment(set_cell_size(text, width), muted)], width)]
            return lines + [Strip.blank(width, base) for _y in range(height - 1)]
        geometry = self._geometry(width)
        cells: list[list[list[Segment]]] = []
        for i in range(geometry.count):
            c = geometry.first + i
            cells.append(self._column_lines(c, geometry.widths[i], height, geometry))
        rule = self._style("deal-board--rule")
        head = self._style("deal-board--head")
        lines = []
        for y in range(height):
            segments: list[Segment] = []
            for i, column_cells in enumerate(cells):
                if i:
                    segments.append(Segment(SEPARATOR, head if y < self.head_height - 1 else rule))
                segments.extend(column_cells[y])
            used = sum(geometry.widths) + geometry.count - 1
            if used < width:
                segments.append(Segment(" " * (width - used), base))
            lines.append(Strip(segments, width))
        return lines

    def _column_lines(
        self, c: int, width: int, height: int, geometry: _Geometry
    ) -> list[list[Segment]]:
        column = self.columns[c]
        base = self.rich_style
        lines = self._head(column, width, c, geometry)
        if not column.cards:
            empty = self._style("deal-board--empty")
            style = (
                self._style("deal-board--cursor") if c == self.column and self.has_focus else empty
            )
            lines.append(_fit([(" " + _("no deals"), style)], width, style))
        else:
            top = self._top(c, column)
            shown = self._cards_in_view(column)
            for r in range(top, min(len(column.cards), top + shown)):
                if r > top:
                    lines.append(_fit([], width, base))
                lines.extend(self._card(column.cards[r], width, c == self.column and r == self.row))
            above = top
            below = len(column.cards) - top - shown
            beyond = column.count - len(column.cards)  # not on the board: the list has them
            if above or below > 0 or beyond > 0:
                parts = []
                if above:
                    parts.append(f"↑ {fmt_number(above)}")
                if below > 0:
                    parts.append(f"↓ {fmt_number(below)}")
                if beyond > 0:
                    parts.append(_("+{n} in the list").format(n=fmt_number(beyond)))
                while len(lines) < height - 1:
                    lines.append(_fit([], width, base))
                lines = lines[: height - 1]
                lines.append(
                    _fit([(" " + "  ".join(parts), self._style("deal-board--muted"))], width, base)
                )
        while len(lines) < height:
            lines.append(_fit([], width, base))
        return lines[:height]

    def _head(
        self, column: BoardColumn, width: int, c: int, geometry: _Geometry
    ) -> list[list[Segment]]:
        head = self._style("deal-board--head")
        muted = head + self._color("deal-board--muted")
        rule = self._style("deal-board--rule")
        more_left = c == geometry.first and geometry.first > 0
        more_right = c == geometry.first + geometry.count - 1 and c < len(self.columns) - 1
        name = ("◀ " if more_left else "") + _clean(column.stage.name)
        probability = f"{column.stage.probability}%" + (" ▶" if more_right else "")
        left, right = _spread(name, probability, width - 2)
        lines = [_padded([(left, head), (right, muted)], width, head)]
        count = ngettext("{count} deal", "{count} deals", column.count).format(
            count=fmt_number(column.count)
        )
        sums = []
        for currency, amount in column.amounts:
            amount = amount.quantize(Decimal(1))  # a column's sum: whole units
            text = money(amount, currency)
            if cell_len(text) + cell_len(count) + 3 > width:
                text = short_money(amount, currency)
            sums.append(text)
        if len(sums) > HEAD_AMOUNTS:  # the last line says how many more
            sums[HEAD_AMOUNTS - 1 :] = [currencies_more(len(sums) - HEAD_AMOUNTS + 1)]
        for i in range(self.head_height - 2):
            left, right = _spread(
                count if i == 0 else "", sums[i] if i < len(sums) else "", width - 2
            )
            lines.append(_padded([(left, head), (right, muted)], width, head))
        lines.append([Segment("─" * width, rule)])
        return lines

    def _card(self, card: BoardCard, width: int, under_cursor: bool) -> list[list[Segment]]:
        fill = self._style("deal-board--cursor" if under_cursor else "deal-board--card")
        title = fill + Style(bold=True)
        muted = fill if under_cursor else fill + self._color("deal-board--muted")
        inner = width - 2
        amount, days = _spread(
            money(card.amount, card.currency), days_text(card.days_in_stage), inner
        )
        lines = [
            _padded([(_clean(card.title), title)], width, fill),
            _padded([(_clean(card.client), muted)], width, fill),
            _padded([(amount, fill), (days, muted)], width, fill),
        ]
        if self.show_owner:
            lines.append(_padded([(_clean(card.owner), muted)], width, fill))
        return lines

    # -- the mouse -------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self.columns:
            return
        geometry = self._geometry(self.size.width)
        x = 0
        for i, w in enumerate(geometry.widths):
            if x <= offset.x < x + w:
                c = geometry.first + i
                column = self.columns[c]
                y = offset.y - self.head_height
                step = self.card_height + 1
                r = self._tops.get(column.stage.id, 0) + y // step if y >= 0 else -1
                self.column = c
                if 0 <= r < len(column.cards) and y % step < self.card_height:
                    self.row = self._wanted_row = r
                    self._changed()
                    if event.chain >= 2:
                        self.action_choose()
                else:
                    self._clamp_row()
                    self._changed()
                return
            x += w + 1


def currencies_more(n: int) -> str:
    """``+2 currencies``: what a column's head does not list."""
    return ngettext("+{n} currency", "+{n} currencies", n).format(n=fmt_number(n))
