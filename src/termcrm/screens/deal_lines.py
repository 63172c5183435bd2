"""A deal's line items on its card: the product picker, the line dialog, and where the
commercial proposal is written.

``a`` on the card's Lines tab opens ``ProductPicker``: the catalog searched as you
type (SKU or name), and first of all a line of one's own that is not in the
catalog. The choice opens ``LineDialog``: quantity, price (for a product, its price
in the default price list of the deal's currency, read when the dialog opens),
discount %, and the line's amount as typed. ``e`` or Enter on a line opens the same
dialog for that line (its product, name and unit stay as sold). Every change is a
change of the deal at the version the card read: when somebody changed the deal
meanwhile, the conflict dialog says who and what, and nothing is saved.

``p`` on the card opens ``ProposalDialog``: the file to write (by default
``proposal-<deal>-<date>.xlsx`` in the folder termcrm was started in); a folder that
does not exist or cannot be written is refused with the reason, before anything is
written, and an existing file is replaced only after asking.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from babel import numbers as babel_numbers
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from termcrm import i18n
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.proposal import ProposalWritten, write_proposal
from termcrm.i18n import N_, _, fmt_money, ngettext
from termcrm.screens.base import CrmModal
from termcrm.screens.task_dialogs import TaskDialog, _Fields, field_error
from termcrm.services import deal_items, deals, products
from termcrm.services.deal_items import DealItemOut, DealItems
from termcrm.services.dto import DealOut
from termcrm.services.errors import Conflict, Invalid
from termcrm.services.products import ProductOut
from termcrm.widgets.conflict_dialog import ConflictDialog

SEARCH_DEBOUNCE = 0.15  # seconds after the last keystroke
SHOWN_PRODUCTS = 50  # matches listed at once; typing more narrows them
FREE = "free"  # the option id of a line that is not in the catalog


def editable_number(value: Decimal, pattern: str = "0.00") -> str:
    """A number to edit in a field: the locale's decimal sign, no grouping
    (``1250,50`` in Russian, ``1250.50`` in English); the services read both."""
    locale = i18n.BABEL_LOCALES[i18n.current()]
    return str(babel_numbers.format_decimal(value, format=pattern, locale=locale))


def quantity_text(value: Decimal) -> str:
    return editable_number(value, "0.###")


def quiet_decimal(text: str) -> Decimal | None:
    """What a number field holds as typed so far, or None (for the live amount only:
    the services read and refuse the values when they are saved)."""
    raw = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".").rstrip("%")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except ArithmeticError:
        return None


# -- the product picker --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Picked:
    """What the picker chose: a product of the catalog, or (None) a line of one's own."""

    product: ProductOut | None


def _product_text(product: ProductOut) -> Text:
    text = Text(product.name)
    details = " · ".join(x for x in (product.sku, product.unit, product.category) if x)
    if details:
        text.append("  " + details, style="dim")
    return text


class ProductPicker(CrmModal[Picked | None]):
    """Type part of a SKU or a name; Up/Down choose, Enter takes, Escape cancels."""

    DEFAULT_CSS = """
    ProductPicker #product-search { width: 1fr; background: $boost; margin: 0 0 1 0; }
    ProductPicker #product-search:focus { background: $primary 30%; }
    ProductPicker #products, ProductPicker #products:focus {
        height: auto; max-height: 14; border: none; padding: 0;
    }
    ProductPicker .hint { color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False, id="product_picker.down"),
        Binding("up", "move(-1)", show=False, id="product_picker.up"),
        Binding("escape", "cancel", N_("Cancel"), id="product_picker.cancel"),
    ]

    def __init__(self, currency: str = "") -> None:
        """``currency``: the deal's, named in the hint about prices."""
        super().__init__()
        self.currency = currency
        self.found: list[ProductOut] = []
        self._debounce: Timer | None = None
        self._searched: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog product-picker") as box:
            box.styles.width = 76
            yield Label(_("Add a line"), classes="dialog-title")
            yield Input(
                placeholder=_("Type a SKU or part of a product's name…"),
                compact=True,
                id="product-search",
            )
            yield OptionList(id="products")
            yield Static(
                _(
                    "Enter: take the product (its price comes from the default {currency} "
                    "price list) · Esc: cancel"
                ).format(currency=self.currency or "—"),
                classes="hint",
                markup=False,
            )

    @property
    def options(self) -> OptionList:
        return self.query_one("#products", OptionList)

    def on_mount(self) -> None:
        self.options.can_focus = False  # the search box keeps the keys
        self.query_one("#product-search", Input).focus()
        self._search()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, self._search)

    def _search(self) -> None:
        self._debounce = None
        text = self.query_one("#product-search", Input).value

        def found(items: list[ProductOut]) -> None:
            if text == self.query_one("#product-search", Input).value:
                self._searched = text
                self._show(items)

        self.call(
            lambda s, a: products.list_products(s, text=text, limit=SHOWN_PRODUCTS),
            found,
            group=f"product-picker-{id(self)}",
        )

    def _show(self, items: list[ProductOut]) -> None:
        self.found = items
        options = self.options
        options.clear_options()
        free = Text("✎ " + _("A line of its own (not in the catalog)"), style="italic")
        options.add_option(Option(free, id=FREE))
        if items:
            options.add_options(Option(_product_text(p), id=str(p.id)) for p in items)
        else:
            text = self._searched or ""
            options.add_option(
                Option(
                    Text(
                        _("No product matches “{text}”").format(text=text)
                        if text.strip()
                        else _("The catalog has no products yet."),
                        style="dim",
                    ),
                    disabled=True,
                )
            )
        options.highlighted = 1 if items else 0

    def action_move(self, delta: int) -> None:
        options = self.options
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else 0
        target = max(0, min(options.option_count - 1, current + delta))
        if not options.get_option_at_index(target).disabled:
            options.highlighted = target

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.options.highlighted
        if index is not None:
            self._take(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._take(event.option_index)

    def _take(self, index: int) -> None:
        if not 0 <= index < self.options.option_count:
            return
        option = self.options.get_option_at_index(index)
        if option.disabled:
            return
        if option.id == FREE:
            self.dismiss(Picked(None))
            return
        product = next((p for p in self.found if str(p.id) == option.id), None)
        if product is not None:
            self.dismiss(Picked(product))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the line dialog -----------------------------------------------------------------------


class LineDialog(TaskDialog[DealItems | None]):
    """A new line (a product, or a line of one's own) or a line edited; dismissed with
    the deal's lines as they are after the save (None: nothing saved)."""

    DEFAULT_CSS = """
    LineDialog .td-label { width: 14; }
    LineDialog .field-error { padding: 0 0 0 14; }
    LineDialog #unit { width: 12; }
    LineDialog #line-amount { padding: 1 0 0 14; height: auto; }
    LineDialog #price-hint { padding: 0 0 0 14; color: $text-muted; height: auto; }
    LineDialog #price-hint.-empty { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="deal_line.save"),
        Binding("escape", "cancel", N_("Cancel"), id="deal_line.cancel"),
    ]
    ERROR_SLOTS: ClassVar[dict[str, str]] = {
        "product": "name",
        "name": "name",
        "unit": "name",
        "quantity": "quantity",
        "price": "price",
        "price_list": "price",
        "discount": "discount",
        "discount_pct": "discount",
    }
    SLOTS: ClassVar[tuple[str, ...]] = ("form", "name", "quantity", "price", "discount")

    def __init__(
        self,
        deal: DealOut,
        *,
        product: ProductOut | None = None,
        item: DealItemOut | None = None,
    ) -> None:
        """A new line of ``product`` (None: a line of its own), or ``item`` edited."""
        super().__init__()
        self.deal = deal
        self.product = product
        self.item = item
        self.original: dict[str, str] = {}

    @property
    def free(self) -> bool:
        return self.item is None and self.product is None

    def compose(self) -> ComposeResult:
        item, product = self.item, self.product
        if item is not None:
            title = _("Line {position}: {name}").format(position=item.position, name=item.name)
        elif product is not None:
            title = _("Add {product}").format(product=product.name)
        else:
            title = _("Add a line of its own")
        with Vertical(classes="dialog") as box:
            box.styles.width = 72
            yield Label(title, classes="dialog-title", markup=False)
            with _Fields(classes="td-fields"):
                yield field_error("form")
                if self.free:
                    yield self.row(
                        _("Name"),
                        Input(
                            compact=True,
                            placeholder=_("What the line sells"),
                            id="name",
                        ),
                        Label(_("Unit"), classes="td-label2"),
                        Input("pcs", compact=True, id="unit"),
                        slot="name",
                    )
                else:
                    yield self.row(
                        _("Product"), Static(self._product_text(), classes="td-value"), slot="name"
                    )
                yield self.row(
                    _("Quantity"),
                    Input(
                        quantity_text(item.quantity) if item else "1", compact=True, id="quantity"
                    ),
                    slot="quantity",
                )
                yield self.row(
                    _("Price, {currency}").format(currency=self.deal.currency),
                    Input(
                        editable_number(item.price) if item else "",
                        placeholder=_("reading the price list…")
                        if product is not None
                        else _("the price of one unit"),
                        compact=True,
                        id="price",
                    ),
                    slot="price",
                )
                yield Static("", id="price-hint", classes="-empty", markup=False)
                yield self.row(
                    _("Discount, %"),
                    Input(
                        editable_number(item.discount_pct, "0.##") if item else "0",
                        compact=True,
                        id="discount",
                    ),
                    slot="discount",
                )
                yield Static("", id="line-amount")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def _product_text(self) -> Text:
        if self.item is not None:
            text = Text(self.item.name)
            details = " · ".join(x for x in (self.item.sku, self.item.unit) if x)
        else:
            assert self.product is not None
            text = Text(self.product.name)
            details = " · ".join(x for x in (self.product.sku, self.product.unit) if x)
        if details:
            text.append("  " + details, style="dim")
        return text

    def on_mount(self) -> None:
        self.original = self._texts()
        self._show_amount()
        if self.free:
            self.query_one("#name", Input).focus()
        else:
            self.query_one("#quantity", Input).focus()
        if self.product is not None:
            self._read_price(self.product)

    def _read_price(self, product: ProductOut) -> None:
        currency = self.deal.currency

        def arrived(price: Decimal | None) -> None:
            box = self.query_one("#price", Input)
            box.placeholder = _("the price of one unit")
            hint = self.query_one("#price-hint", Static)
            hint.remove_class("-empty")
            if price is None:
                hint.update(
                    _("{product} has no price in a default {currency} price list: type it.").format(
                        product=product.name, currency=currency
                    )
                )
                return
            hint.update(_("From the default {currency} price list.").format(currency=currency))
            if not box.value.strip():
                box.value = editable_number(price)
                self.original["price"] = box.value

        self.call(lambda s, a: products.default_price(s, product.id, currency), arrived)

    def _texts(self) -> dict[str, str]:
        return {box.id: box.value for box in self.query(Input) if box.id is not None}

    def on_input_changed(self, event: Input.Changed) -> None:
        super().on_input_changed(event)
        self._show_amount()

    def _show_amount(self) -> None:
        quantity = quiet_decimal(self.query_one("#quantity", Input).value)
        price = quiet_decimal(self.query_one("#price", Input).value)
        discount = quiet_decimal(self.query_one("#discount", Input).value) or Decimal(0)
        shown = self.query_one("#line-amount", Static)
        if quantity is None or price is None or not 0 <= discount <= 100:
            shown.update("")
            return
        try:
            amount = deal_items.line_amount(quantity, price, discount)
        except ArithmeticError:
            shown.update("")
            return
        shown.update(
            Text.assemble(
                (_("Line amount") + ": ", "dim"), (fmt_money(amount, self.deal.currency), "bold")
            )
        )

    # -- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        self.clear_errors()
        texts = self._texts()
        deal, item, product = self.deal, self.item, self.product
        if self.free and not texts.get("name", "").strip():
            self.set_error("name", _("Give the line a name."))
            self.query_one("#name", Input).focus()
            return
        self._saving = True
        if item is not None:
            changed = {k: v for k, v in texts.items() if v != self.original.get(k)}
            if not changed:
                self.dismiss(None)
                return
            self.call(
                lambda s, a: deal_items.update_item(
                    s,
                    a,
                    item.id,
                    version=deal.version,
                    quantity=changed.get("quantity"),
                    price=changed.get("price"),
                    discount_pct=changed.get("discount"),
                ),
                self._saved,
                write=True,
                failed=self.refused,
            )
            return
        self.call(
            lambda s, a: deal_items.add_item(
                s,
                a,
                deal.id,
                version=deal.version,
                product=product.id if product is not None else None,
                name=texts.get("name", ""),
                unit=texts.get("unit", ""),
                quantity=texts["quantity"],
                price=texts["price"].strip() or None,
                discount_pct=texts["discount"].strip() or 0,
            ),
            self._saved,
            write=True,
            failed=self.refused,
        )

    def _saved(self, lines: DealItems) -> None:
        self._saving = False
        self.dismiss(lines)

    def refused(self, error: Exception) -> bool:
        self._saving = False
        if isinstance(error, Invalid):
            self.show_invalid(error)
            return True
        if isinstance(error, Conflict):
            self._conflict(error)
            return True
        return False

    def _conflict(self, error: Conflict) -> None:
        deal_id = self.deal.id

        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self.dismiss(None)  # the card reads the deal as it is now
            elif choice == "keep":
                self.call(lambda s, a: deals.get_deal(s, a, deal_id), self._rebase)

        self.app.push_screen(
            ConflictDialog(
                error,
                subject=self.deal.title,
                hint=_(
                    "Nothing was saved. Reload: close this and see the deal as it is now. "
                    "Keep editing: keep what you typed; saving again applies it to the "
                    "deal as it is now."
                ),
            ),
            chosen,
        )

    def _rebase(self, deal: DealOut) -> None:
        self.deal = deal

    def action_cancel(self) -> None:
        self.close_unless_typed(self._texts() != self.original)


# -- the commercial proposal -------------------------------------------------------------------


def proposal_path(deal: DealOut, today: date) -> Path:
    """Where a proposal goes unless the user says otherwise: the folder termcrm was
    started in, ``proposal-12-2026-11-25.xlsx``."""
    return Path.cwd() / f"proposal-{deal.id}-{today.isoformat()}.xlsx"


class ProposalDialog(CrmModal[ProposalWritten | None]):
    """Where to write the deal's proposal (.xlsx); Enter or ctrl+s writes it."""

    DEFAULT_CSS = """
    ProposalDialog .pd-row { height: auto; }
    ProposalDialog .pd-label { width: 6; color: $text-muted; }
    ProposalDialog #proposal-path { width: 1fr; background: $boost; }
    ProposalDialog #proposal-path:focus { background: $primary 30%; }
    ProposalDialog #proposal-path.-error { background: $error 30%; }
    ProposalDialog #proposal-error { color: $error; height: auto; }
    ProposalDialog #proposal-error.-empty { display: none; }
    ProposalDialog .hint { color: $text-muted; height: auto; padding: 0 0 1 0; }
    ProposalDialog .dialog-buttons { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "write", N_("Write"), id="proposal.write"),
        Binding("escape", "cancel", N_("Cancel"), id="proposal.cancel"),
    ]

    def __init__(self, deal: DealOut, lines: int, today: date) -> None:
        """``lines``: how many lines the deal has (a proposal without any is allowed,
        but said); ``today``: the proposal's date (the user's today)."""
        super().__init__()
        self.deal = deal
        self.lines = lines
        self.today = today
        self.running = False

    def compose(self) -> ComposeResult:
        from termcrm.screens.export_dialog import shown_path

        with Vertical(classes="dialog") as box:
            box.styles.width = 76
            yield Label(
                _("Commercial proposal: {title}").format(title=self.deal.title),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                _(
                    "An Excel workbook with the client, the contact person, the lines and "
                    "the total in {currency}."
                ).format(currency=self.deal.currency)
                + (
                    " " + _("The deal has no lines yet: the table will be empty.")
                    if not self.lines
                    else ""
                ),
                classes="hint",
                markup=False,
            )
            with Horizontal(classes="pd-row"):
                yield Label(_("File"), classes="pd-label")
                yield Input(
                    shown_path(proposal_path(self.deal, self.today)),
                    compact=True,
                    id="proposal-path",
                )
            yield Static("", id="proposal-error", classes="-empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Write"), variant="primary", compact=True, id="write")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#proposal-path", Input).focus()

    def _error(self, message: str) -> None:
        line = self.query_one("#proposal-error", Static)
        line.update(message)
        line.set_class(not message, "-empty")
        self.query_one("#proposal-path", Input).set_class(bool(message), "-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._error("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_write()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "write":
            self.action_write()
        else:
            self.action_cancel()

    def target(self) -> Path | None:
        """The file to write, or None with the reason shown."""
        from termcrm.screens.export_dialog import shown_path, typed_path

        text = self.query_one("#proposal-path", Input).value.strip()
        if not text:
            self._error(_("Give the name of the file to write."))
            return None
        path = typed_path(text)
        if not path.suffix:
            path = path.with_suffix(".xlsx")
        if path.suffix.lower() != ".xlsx":
            self._error(_("A proposal is an Excel workbook: the file name ends in .xlsx."))
            return None
        if path.is_dir():
            self._error(_("{path} is a folder; give a file name.").format(path=text))
            return None
        folder = path.parent
        if not folder.is_dir():
            self._error(_("There is no folder {folder}.").format(folder=shown_path(folder)))
            return None
        if not os.access(folder, os.W_OK | os.X_OK):
            self._error(
                _("You cannot write in the folder {folder}: choose another one.").format(
                    folder=shown_path(folder)
                )
            )
            return None
        if path.exists() and not os.access(path, os.W_OK):
            self._error(
                _("{path} cannot be replaced (it is read-only).").format(path=shown_path(path))
            )
            return None
        return path

    def action_write(self) -> None:
        if self.running:
            return
        path = self.target()
        if path is None:
            return
        from termcrm.screens.export_dialog import shown_path

        if path.exists():
            self.confirm(
                _("{path} exists. Replace it?").format(path=shown_path(path)),
                lambda: self._write(path),
                yes=_("Replace"),
                no=_("Cancel"),
            )
        else:
            self._write(path)

    def _write(self, path: Path) -> None:
        self.running = True
        deal_id, today = self.deal.id, self.today
        self.call(
            lambda s, a: write_proposal(s, a, deal_id, path, today=today),
            self._written,
            failed=self._failed,
        )

    def _written(self, done: ProposalWritten) -> None:
        from termcrm.screens.export_dialog import shown_path

        self.running = False
        self.app.notify(
            _("Proposal written to {path}: {lines}, total {total}").format(
                path=shown_path(done.path),
                lines=ngettext("{n} line", "{n} lines", done.lines).format(n=done.lines),
                total=fmt_money(done.total, done.currency),
            ),
            title=_("Proposal"),
            markup=False,
        )
        self.dismiss(done)

    def _failed(self, error: Exception) -> bool:
        self.running = False
        if isinstance(error, OSError):
            self._error(_("Cannot write the file: {reason}").format(reason=error.strerror or error))
            return True
        if isinstance(error, FileRefused):
            self._error(str(error))
            return True
        return False

    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)
