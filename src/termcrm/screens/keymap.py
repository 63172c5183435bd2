"""The keys of the whole app by binding id, and a check of the user's [keys] table."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode

import termcrm.screens
import termcrm.widgets
from termcrm.i18n import _


@dataclass(frozen=True, slots=True)
class Bound:
    id: str
    key: str
    description: str
    owner: str  # the class that binds it


def known_bindings() -> dict[str, list[Bound]]:
    """Every binding with an id in termcrm's app, screens and widgets."""
    from termcrm.app import TermCrmApp

    classes: set[type[DOMNode]] = {TermCrmApp}
    for package in (termcrm.screens, termcrm.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, DOMNode) and obj.__module__.startswith("termcrm"):
                    classes.add(obj)
    out: dict[str, list[Bound]] = {}
    for cls in classes:
        for item in cls.__dict__.get("BINDINGS", []):
            if isinstance(item, Binding) and item.id:
                out.setdefault(item.id, []).append(
                    Bound(item.id, item.key, item.description, cls.__name__)
                )
    return out


def keymap_problems(keymap: Mapping[str, str]) -> list[str]:
    """What is wrong with a [keys] table: unknown ids, and keys taken twice on one screen."""
    known = known_bindings()
    problems = []
    for binding_id in sorted(keymap):
        if binding_id not in known:
            problems.append(_("[keys]: no key binding is called {id}").format(id=binding_id))
    for binding_id, key in sorted(keymap.items()):
        for bound in known.get(binding_id, []):
            clashes = [
                other.id
                for others in known.values()
                for other in others
                if other.owner == bound.owner
                and other.id != binding_id
                and key in keymap.get(other.id, other.key).split(",")
            ]
            if clashes:
                problems.append(
                    _("[keys]: {key} for {id} is also the key of {other}").format(
                        key=key, id=binding_id, other=", ".join(sorted(set(clashes)))
                    )
                )
    return problems
