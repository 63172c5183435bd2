"""A dialog of labelled rows (a label, then a control), with a hint or an error line
under a row: the funnel's filter and the reports' parameters. It holds the rows both
have: a typed period (2026-Q3, 2026-11, 2026, two days) and a currency."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from termcrm.i18n import _
from termcrm.services.errors import Invalid
from termcrm.services.funnel_charts import parse_period, period_text
from termcrm.widgets.dialogs import Dialog

R = TypeVar("R")


class FilterDialog(Dialog[R | None]):
    """Subclasses compose their rows and define ``action_apply``; Cancel and escape
    dismiss with None."""

    DEFAULT_CSS = """
    FilterDialog .fd-row { height: auto; }
    FilterDialog .fd-label { width: 12; color: $text-muted; }
    FilterDialog .fd-row Input { width: 1fr; background: $boost; }
    FilterDialog .fd-row Select { width: 1fr; }
    FilterDialog .fd-hint { color: $text-muted; height: auto; padding: 0 0 0 12; }
    FilterDialog .fd-error { color: $error; height: auto; padding: 0 0 0 12; }
    FilterDialog .fd-error.-empty { display: none; }
    FilterDialog .dialog-buttons { padding: 1 0 0 0; }
    """

    def row(self, label: str, widget: Widget) -> Horizontal:
        return Horizontal(Label(label, classes="fd-label"), widget, classes="fd-row")

    def error_line(self, widget_id: str) -> Static:
        """An error line, hidden while empty."""
        return Static("", id=widget_id, classes="fd-error -empty", markup=False)

    def show_error(self, widget_id: str, message: str | None) -> None:
        line = self.query_one(f"#{widget_id}", Static)
        line.update(message or "")
        line.set_class(not message, "-empty")

    def period_rows(
        self, label: str, span: tuple[date, date] | None, *, hint: str, widget_id: str
    ) -> Iterator[Widget]:
        """The period's input (empty for no period), its hint and its error line
        (``{widget_id}-error``)."""
        text = period_text(*span) if span else ""
        yield self.row(label, Input(text, placeholder="2026-Q3", compact=True, id=widget_id))
        yield Static(hint, classes="fd-hint", markup=False)
        yield self.error_line(f"{widget_id}-error")

    def read_period(
        self, widget_id: str, *, empty_ok: bool = False
    ) -> tuple[bool, tuple[date, date] | None]:
        """(read, the period typed): a period that does not parse is shown under its
        input, which gets the focus, and gives (False, None); an empty one is None
        when ``empty_ok``."""
        field = self.query_one(f"#{widget_id}", Input)
        text = field.value.strip()
        period: tuple[date, date] | None = None
        if text or not empty_ok:
            try:
                period = parse_period(text)
            except Invalid as refused:
                self.show_error(f"{widget_id}-error", refused.errors["period"])
                field.focus()
                return False, None
        self.show_error(f"{widget_id}-error", None)
        return True, period

    def currency_row(
        self, currencies: Sequence[str], current: str | None, *, widget_id: str
    ) -> Horizontal:
        """The currencies the facts are in; blank for the most common one."""
        return self.row(
            _("Currency"),
            Select(
                [(code, code) for code in currencies],
                value=current if current in currencies else Select.NULL,
                prompt=_("the most common one"),
                compact=True,
                id=widget_id,
            ),
        )

    def selected(self, widget_id: str) -> Any:
        return self.query_one(f"#{widget_id}", Select).selection

    def buttons(self, apply: str) -> Horizontal:
        return Horizontal(
            Button(apply, variant="primary", compact=True, id="apply"),
            Button(_("Cancel"), compact=True, id="cancel"),
            classes="dialog-buttons",
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


def with_current(currencies: Sequence[str], current: str | None) -> list[str]:
    """The currencies offered: those of the facts, and the one chosen before."""
    found = list(currencies)
    if current and current not in found:
        found.append(current)
    return found
