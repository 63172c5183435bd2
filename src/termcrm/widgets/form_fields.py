"""Reusable pieces of the forms: a labelled field with its error line, and value helpers.

How a form uses them::

    with VerticalScroll(classes="form"):          # .form: the shared form styles
        yield FormField("name", Input(id="f-name"))
        with FieldRow():                          # two fields side by side
            yield FormField("tax_id", Input())
            yield FormField("group", Input())
        yield FormField("parent_id", ClientPicker(compact=False))
    ...
    bad, rest = show_errors(self, error.errors)   # Invalid.errors: field -> message
    if bad is not None:
        bad.focus_control()                        # the first bad field, scrolled into view

- ``FormField(field, control, label=None, hint=None)``: the label (``field_label(field)``
  unless given), the control, an optional hint and the error line (``label.field-error``).
  ``field`` is the service's field name ("emails", "owner_id", "custom.size"), so the
  messages of an ``Invalid`` land under the right control.
- ``show_errors(root, errors)`` shows each message under its field and clears the
  others; it returns the first bad field (in screen order) and the messages that have
  no field on screen. ``clear_errors(root)`` hides every message.
- ``field_value(control)`` / ``set_field_value(control, value)`` read and write an
  Input, a TextArea, a Select (blank = None), a ClientPicker (a client id) or a Static.
- ``split_items("a, b\\nc") == ["a", "b", "c"]`` and ``join_items`` for list fields
  typed in one box (phones, emails, tags).
- A client field uses ``termcrm.widgets.client_picker.ClientPicker``; ``field_value``
  gives its client id and ``picker_unresolved(picker)`` tells text typed but no client
  chosen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from termcrm.i18n import _
from termcrm.labels import field_label
from termcrm.widgets.client_picker import ClientPicker

_SEPARATORS = re.compile(r"[,;\n，；、]")  # full-width ones too, as typed in Chinese


def split_items(text: str) -> list[str]:
    """The items of a list typed in one box: one per line, or separated by , or ; (or ， ；)"""
    return [item.strip() for item in _SEPARATORS.split(text or "") if item.strip()]


def join_items(items: Iterable[str]) -> str:
    return ", ".join(items)


def field_id(field: str) -> str:
    """A CSS id for a field name ("custom.size" -> "field-custom-size")."""
    return "field-" + re.sub(r"[^A-Za-z0-9_-]", "-", field)


class FieldRow(Horizontal):
    """Fields side by side, sharing the width (short fields: group and status, city...)."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > FormField { width: 1fr; margin-right: 2; }
    FieldRow > FormField:last-child { margin-right: 0; }
    """


class FormField(Vertical):
    """A label, a control, an optional hint, and the line its error message shows on."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > .field-error { width: 1fr; }
    FormField.-error Input, FormField.-error TextArea, FormField.-error SelectCurrent {
        border: tall $error;
    }
    """

    def __init__(
        self,
        field: str,
        control: Widget,
        *,
        label: str | None = None,
        hint: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id or field_id(field), classes=classes)
        self.field = field
        self.control = control
        self.label_text = label if label is not None else field_label(field)
        self.hint = hint
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.label_text, classes="field-label", markup=False)
        yield self.control
        if self.hint:
            yield Static(self.hint, classes="hint", markup=False)
        yield Label("", classes="field-error -empty", markup=False)

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the control (None hides it) and mark the control."""
        self.error = message or None
        self.set_class(self.error is not None, "-error")
        for widget in (self.control, *self.control.query(Input)):
            widget.set_class(self.error is not None, "-invalid")
            if self.error is not None:
                widget.remove_class("-valid")
        if self.is_mounted:
            line = self.query_one(".field-error", Label)
            line.update(self.error or "")
            line.set_class(self.error is None, "-empty")

    def focus_control(self) -> None:
        """Focus the control (or its first focusable part) and scroll it into view."""
        target: Widget | None = self.control if self.control.focusable else None
        if target is None:
            target = next((w for w in self.control.query("*") if w.focusable), None)
        if target is not None:
            target.focus(scroll_visible=False)
        # after the error line is laid out, so that it is in view too
        self.call_after_refresh(self.scroll_visible, animate=False)


def show_errors(root: Widget, errors: Mapping[str, str]) -> tuple[FormField | None, dict[str, str]]:
    """Each message under its field, the other fields cleared.

    Returns the first field with an error (in screen order) and the messages of
    fields that have no FormField under ``root``.
    """
    first: FormField | None = None
    shown: set[str] = set()
    for form_field in root.query(FormField):
        message = errors.get(form_field.field)
        form_field.set_error(message)
        if message is not None:
            shown.add(form_field.field)
            if first is None:
                first = form_field
    return first, {f: m for f, m in errors.items() if f not in shown}


def errors_summary(errors: Mapping[str, str]) -> str:
    """One line naming every field to fix: a long form shows only some at a time."""
    names = ", ".join(dict.fromkeys(field_label(f) for f in errors))
    return _("Not saved; check: {fields}").format(fields=names)


def clear_errors(root: Widget) -> None:
    for form_field in root.query(FormField):
        form_field.set_error(None)


def field_value(control: Widget) -> Any:
    """What a control holds: text, a Select's value (None when blank), a picker's client id."""
    if isinstance(control, ClientPicker):
        return control.client_id
    if isinstance(control, Input):
        return control.value
    if isinstance(control, TextArea):
        return control.text
    if isinstance(control, Select):
        return control.selection
    if isinstance(control, Static):
        return str(control.content)
    raise TypeError(f"no value for {type(control).__name__}")


def set_field_value(control: Widget, value: Any) -> None:
    """Put ``value`` in a control (None clears it). A Select must offer the value."""
    if isinstance(control, ClientPicker):
        control.set_client(value if isinstance(value, int) else None, f"#{value}")
    elif isinstance(control, Input):
        control.value = "" if value is None else str(value)
    elif isinstance(control, TextArea):
        control.load_text("" if value is None else str(value))
    elif isinstance(control, Select):
        if value is None:
            control.clear()
        else:
            control.value = value
    elif isinstance(control, Static):
        control.update("" if value is None else str(value))
    else:
        raise TypeError(f"cannot set {type(control).__name__}")


def picker_unresolved(picker: ClientPicker) -> bool:
    """Text was typed in a client picker but no client was chosen for it."""
    return picker.client_id is None and bool(picker.value.strip())
