"""Key bindings shown in the interface language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from termcrm.i18n import _


def translate_bindings(node: Any) -> None:
    """Show a node's key bindings in the current language.

    Binding descriptions are written as ``N_("English")``; each screen and widget
    instance gets its own copy of the bindings, translated when it is created.
    """
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(b, description=_(b.description), tooltip=_(b.tooltip) if b.tooltip else "")
            if b.description
            else b
            for b in items
        ]
