"""Key bindings shown in the interface language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from termcrm.i18n import _, pgettext

KEY = "key"  # the context of a key's own, shorter label: NP_(KEY, "Proposal")


def key_label(description: str) -> str:
    """A key's label in the current language: its translation in the context "key"
    when it has one (a footer has no room for "Коммерческое предложение": "КП"),
    else the word's own."""
    short = pgettext(KEY, description)
    return short if short != description else _(description)


def translate_bindings(node: Any) -> None:
    """Show a node's key bindings in the current language.

    Binding descriptions are written as ``N_("English")`` (or ``NP_("key", ...)`` for
    a label shorter than the word's translation elsewhere); each screen and widget
    instance gets its own copy of the bindings, translated when it is created.
    """
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(
                b,
                description=key_label(b.description),
                tooltip=_(b.tooltip) if b.tooltip else "",
            )
            if b.description
            else b
            for b in items
        ]
