"""The choice boxes the journal and task dialogs share: a journal entry's kind and
direction, and a task's kind, each labelled in the interface language."""

from __future__ import annotations

from textual.widgets import Select

from termcrm.labels import value_label
from termcrm.services import journal, tasks

DIRECTIONS = ("out", "in")


def _select(values: tuple[str, ...], value: str, widget_id: str) -> Select[str]:
    return Select(
        [(value_label(v), v) for v in values],
        value=value if value in values else values[0],
        allow_blank=False,
        compact=True,
        id=widget_id,
    )


def journal_kind_select(value: str = "call", *, widget_id: str = "kind") -> Select[str]:
    """Call, meeting, email, letter, visit, message."""
    return _select(tuple(journal.KINDS), value, widget_id)


def direction_select(value: str = "out", *, widget_id: str = "direction") -> Select[str]:
    """Outgoing or incoming."""
    return _select(DIRECTIONS, value, widget_id)


def task_kind_select(value: str = "call", *, widget_id: str = "kind") -> Select[str]:
    """Call, meeting, visit, letter, email, other."""
    return _select(tuple(tasks.KINDS), value, widget_id)
