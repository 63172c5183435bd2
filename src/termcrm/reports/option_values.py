"""Reading a report's options (``Params.options``): numbers and choices, typed by the
CLI as text or given as numbers by the TUI and the batch, refused with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from termcrm.i18n import _
from termcrm.reports.model import Params
from termcrm.services.errors import Invalid


def number(params: Params, key: str, default: float, low: float, high: float) -> float:
    """A number option from ``low`` to ``high``."""
    raw = params.option(key, default)
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise Invalid({key: _("'{value}' is not a number").format(value=raw)}) from None
    if not low <= value <= high:
        raise Invalid(
            {key: _("must be from {low} to {high}").format(low=f"{low:g}", high=f"{high:g}")}
        )
    return value


def whole(params: Params, key: str, default: int, low: int, high: int) -> int:
    """A whole-number option from ``low`` to ``high``."""
    raw = params.option(key, default)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise Invalid({key: _("'{value}' is not a whole number").format(value=raw)}) from None
    if not low <= value <= high:
        raise Invalid({key: _("must be from {low} to {high}").format(low=low, high=high)})
    return value


def choice(params: Params, key: str, default: str, choices: Sequence[str]) -> str:
    value = str(params.option(key, default)).strip().lower()
    if value not in choices:
        raise Invalid({key: _("must be one of {choices}").format(choices=", ".join(choices))})
    return value


def today(params: Params) -> date:
    """The report's "now": ``Params.today``, or the calendar's today."""
    return params.today or date.today()
