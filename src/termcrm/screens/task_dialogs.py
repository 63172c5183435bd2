"""The planner's small dialogs: an item's details, cancelling, reassigning, whose plan,
and "only this occurrence or the whole series?".

``TaskDialog`` is what the task dialogs share (here, in ``task_form`` and in
``task_done``): labelled lines of fields with the line for their error under each,
the messages of an ``Invalid`` put under their fields, and an edit conflict
(somebody changed the task meanwhile) shown with the ``ConflictDialog``: reload
closes the dialog (the planner reads again), keep stays with what was typed and
takes the task's new version as the base.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, TypeVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from termcrm.i18n import N_, _, fmt_datetime, fmt_number, ngettext
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal
from termcrm.services import contacts, org, recurrence, tasks
from termcrm.services.dto import TaskOut, UserOut
from termcrm.services.errors import Conflict, Invalid
from termcrm.services.planner import AgendaItem
from termcrm.services.significant_dates import KIND_LABELS
from termcrm.widgets.conflict_dialog import ConflictDialog
from termcrm.widgets.dialogs import Dialog

R = TypeVar("R")

# reminders a task offers: minutes before its time (None: no reminder)
REMINDERS: tuple[int | None, ...] = (None, 0, 15, 60, 24 * 60)


def minutes_text(minutes: int) -> str:
    """``15 min``, ``1 h``, ``1 h 30 min``, ``1 day``."""
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("{n} day", "{n} days", days).format(n=days)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("{h} h {m} min").format(h=hours, m=rest)
    if hours:
        return _("{h} h").format(h=hours)
    return _("{m} min").format(m=rest)


def reminder_text(minutes: int | None) -> str:
    if minutes is None:
        return _("no reminder")
    if minutes == 0:
        return _("at the time")
    return _("{time} before").format(time=minutes_text(minutes))


def parse_minutes(text: str) -> int | None:
    """Minutes typed as ``90``, ``90m``, ``1h``, ``1h30``, ``1:30`` or ``2d``; empty: None.
    ValueError otherwise."""
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        return None
    for unit in ("min", "мин", "分钟", "m", "м"):
        if raw.endswith(unit) and raw[: -len(unit)].isdigit():
            return int(raw[: -len(unit)])
    if raw.isdigit():
        return int(raw)
    if ":" in raw:
        hours, _sep, minutes = raw.partition(":")
        if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
            return int(hours) * 60 + int(minutes)
    for unit, size in (("d", 24 * 60), ("д", 24 * 60), ("天", 24 * 60)):
        if raw.endswith(unit) and raw[: -len(unit)].isdigit():
            return int(raw[: -len(unit)]) * size
    for unit in ("h", "ч", "小时"):
        head, _sep, tail = raw.partition(unit)
        if _sep and head.isdigit():
            tail = tail.rstrip("mм")
            if not tail:
                return int(head) * 60
            if tail.isdigit():
                return int(head) * 60 + int(tail)
    raise ValueError(text)


class _Fields(VerticalScroll, can_focus=False):
    """The fields, scrolled when the terminal is short; Tab goes through them."""


def field_error(slot: str) -> Static:
    return Static("", classes="field-error -empty", id=f"{slot}-error", markup=False)


class TaskDialog(CrmModal[R]):
    """What the task dialogs share: rows of fields, errors under them, conflicts."""

    DEFAULT_CSS = """
    TaskDialog .td-fields { height: auto; max-height: 70vh; }
    TaskDialog .td-row { height: auto; }
    TaskDialog .td-field { width: 1fr; height: auto; }
    TaskDialog .td-label { width: 12; color: $text-muted; }
    TaskDialog .td-label2 { width: auto; padding: 0 1 0 2; color: $text-muted; }
    TaskDialog .td-row Input { width: 1fr; background: $boost; }
    TaskDialog .td-row Input:focus { background: $primary 30%; }
    TaskDialog .td-row Input.-error { background: $error 30%; }
    TaskDialog .td-row Select { width: 1fr; }
    TaskDialog .td-row .td-value { width: 1fr; }
    TaskDialog .td-section { padding: 1 0 0 0; text-style: bold; }
    TaskDialog .td-hint { color: $text-muted; height: auto; }
    TaskDialog .field-error { color: $error; height: auto; padding: 0 0 0 12; }
    TaskDialog #form-error { padding: 0; }
    TaskDialog .field-error.-empty { display: none; }
    TaskDialog .dialog-buttons { padding: 1 0 0 0; height: auto; }
    TaskDialog .-hidden { display: none; }
    """
    # the service's field names -> the slot their message is shown in
    ERROR_SLOTS: ClassVar[Mapping[str, str]] = {}
    SLOTS: ClassVar[tuple[str, ...]] = ("form",)

    def __init__(self, task: TaskOut | None = None) -> None:
        super().__init__()
        self.record = task
        self._saving = False

    def row(self, label: str, *fields: Widget, slot: str, id: str | None = None) -> Widget:
        """A labelled line of fields with the line for their error under it."""
        return Vertical(
            Horizontal(Label(label, classes="td-label"), *fields, classes="td-row"),
            field_error(slot),
            classes="td-field",
            id=id,
        )

    # -- errors ---------------------------------------------------------------------------

    def set_error(self, slot: str, message: str) -> None:
        found = self.query(f"#{slot}-error")
        if not found:
            return  # a field this dialog does not show (a series' choice, say)
        error = found.first(Static)
        error.update(message)
        error.set_class(not message, "-empty")
        for widget in self.query(f"#{slot}"):
            if isinstance(widget, Input):
                widget.set_class(bool(message), "-error")

    def clear_errors(self) -> None:
        for slot in self.SLOTS:
            self.set_error(slot, "")

    def on_input_changed(self, event: Input.Changed) -> None:
        slot = event.input.id
        if slot in self.SLOTS and event.input.has_class("-error"):
            self.set_error(slot, "")

    def show_invalid(self, error: Invalid) -> None:
        """Each message under its field (the form's line for the others); the cursor
        to the first field in error."""
        messages: dict[str, list[str]] = {}
        for field, message in error.errors.items():
            slot = self.ERROR_SLOTS.get(field, "form")
            if slot == "form":
                message = f"{field_label(field.removeprefix('next_'))}: {message}"
            messages.setdefault(slot, []).append(message)
        for slot, lines in messages.items():
            self.set_error(slot, "\n".join(lines))
        for slot in self.SLOTS:
            if slot in messages and slot != "form":
                targets = [w for w in self.query(f"#{slot}") if w.focusable]
                if targets:
                    targets[0].focus()
                break

    def refused(self, error: Exception) -> bool:
        """A service refusal: Invalid under the fields, a Conflict in its dialog."""
        self._saving = False
        if isinstance(error, Invalid):
            self.show_invalid(error)
            return True
        if isinstance(error, Conflict) and self.record is not None:
            self.conflict(error)
            return True
        return False

    def conflict(self, error: Conflict) -> None:
        task = self.record
        assert task is not None

        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self.dismiss(None)  # the planner reads the task as it is now
            elif choice == "keep":
                self.call(lambda s, a: tasks.get_task(s, a, task.id), self.rebase)

        self.app.push_screen(
            ConflictDialog(
                error,
                subject=task.title,
                hint=_(
                    "Nothing was saved. Reload: close this and see the task as it is now. "
                    "Keep editing: keep what you typed; saving again applies it to the "
                    "task as it is now."
                ),
            ),
            chosen,
        )

    def rebase(self, task: TaskOut) -> None:
        """Keep what was typed, based on the task as it is now."""
        self.record = task

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- an item's details ---------------------------------------------------------------------


def _grid(rows: list[tuple[str, str | Text]]) -> Table:
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(style="dim", no_wrap=True, max_width=14)
    grid.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        if value:
            grid.add_row(Text(label), value if isinstance(value, Text) else Text(value))
    return grid


def task_facts(task: TaskOut, contact: str, now: datetime) -> list[tuple[str, str | Text]]:
    when = fmt_datetime(task.due_at)
    if task.duration_min:
        when += " · " + minutes_text(task.duration_min)
    status = value_label(task.status)
    if task.status == "open" and task.due_at < now:
        status = Text(_("overdue"), style="bold red")  # type: ignore[assignment]
    rows: list[tuple[str, str | Text]] = [
        (field_label("due_at"), when),
        (field_label("kind"), value_label(task.kind)),
        (field_label("status"), status),
        (field_label("client"), task.client),
        (field_label("contact"), contact),
        (field_label("assignee"), task.assignee),
        (_("Repeats"), recurrence.describe(task.repeat) if task.repeat else ""),
        (_("Reminder"), reminder_text(task.remind_before_min)),
        (_("Cancelled"), task.cancel_reason),
        (field_label("notes"), task.notes),
    ]
    return rows


class ItemDetails(TaskDialog[str | None]):
    """A task (or a significant date) in full, with the keys of what can be done to it;
    dismissed with the planner action to run (``complete``, ``edit``…) or None."""

    DEFAULT_CSS = """
    ItemDetails #details-body { height: auto; max-height: 60vh; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,D", "act('complete')", N_("Done"), key_display="␣", id="details.complete"),
        Binding("e", "act('edit')", N_("Edit"), id="details.edit"),
        Binding("x", "act('cancel_task')", N_("Cancel task"), id="details.cancel"),
        Binding("a", "act('reassign')", N_("Reassign"), id="details.reassign"),
        Binding("o", "act('open_client')", N_("Client"), id="details.client"),
        Binding("escape", "act('')", N_("Close"), id="details.close"),
    ]

    def __init__(self, item: AgendaItem, *, can_assign: bool = False) -> None:
        super().__init__(item.task)
        self.item = item
        self.can_assign = can_assign
        self.contact = ""

    @property
    def actionable(self) -> bool:
        task = self.item.task
        return task is not None and task.status == "open"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "act" or not parameters or not parameters[0]:
            return True
        what = parameters[0]
        if what == "open_client":
            return self._client_id() is not None
        if not self.actionable:
            return False
        if what == "reassign":
            return self.can_assign
        if what in ("complete", "cancel_task"):
            return not self.item.occurrence
        return True

    def _client_id(self) -> int | None:
        if self.item.task is not None:
            return self.item.task.client_id
        return self.item.occasion.client_id if self.item.occasion is not None else None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title(), classes="dialog-title", markup=False)
            yield Static(self._body(), id="details-body")
            with Horizontal(classes="dialog-buttons"):
                if self.actionable and not self.item.occurrence:
                    yield Button(_("Done"), variant="primary", compact=True, id="complete")
                if self.actionable:
                    yield Button(_("Edit"), compact=True, id="edit")
                if self.actionable and not self.item.occurrence:
                    yield Button(_("Cancel task"), compact=True, id="cancel_task")
                if self.actionable and self.can_assign:
                    yield Button(_("Reassign"), compact=True, id="reassign")
                if self._client_id() is not None:
                    yield Button(_("Client"), compact=True, id="open_client")
                yield Button(_("Close"), compact=True, id="close")

    def _title(self) -> str:
        if self.item.task is not None:
            return self.item.task.title
        from termcrm.screens.planner import occasion_text

        return occasion_text(self.item)

    def _body(self) -> Table | Text:
        item = self.item
        if item.task is not None:
            rows = task_facts(item.task, self.contact, self.crm.now())
            if item.occurrence and item.at is not None:
                rows.insert(
                    0,
                    (
                        _("This one"),
                        Text(
                            _("{when} — a coming occurrence; the next one is due first").format(
                                when=fmt_datetime(item.at)
                            ),
                            style="italic",
                        ),
                    ),
                )
            return _grid(rows)
        occasion = item.occasion
        assert occasion is not None
        from termcrm.screens.planner import long_day

        rows2: list[tuple[str, str | Text]] = [
            (_("Date"), long_day(occasion.on)),
            (field_label("kind"), _(KIND_LABELS.get(occasion.kind, occasion.kind))),
            (field_label("client"), occasion.client),
            (
                _("Years"),
                fmt_number(occasion.years) if occasion.years is not None else "",
            ),
            (
                _("Reminder"),
                ngettext("{n} day before", "{n} days before", occasion.remind_days).format(
                    n=occasion.remind_days
                ),
            ),
        ]
        return _grid(rows2)

    def on_mount(self) -> None:
        task = self.item.task
        if task is not None and task.contact_id is not None:
            contact_id = task.contact_id
            self.call(
                lambda s, a: contacts.get_contact(s, a, contact_id).full_name,
                self._contact_read,
                failed=lambda _error: True,
            )
        buttons = self.query(Button)
        if buttons:
            buttons.first().focus()

    def _contact_read(self, name: str) -> None:
        self.contact = name
        self.query_one("#details-body", Static).update(self._body())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        self.action_act("" if button == "close" else button)

    def action_act(self, action: str) -> None:
        self.dismiss(action or None)


# -- cancelling -----------------------------------------------------------------------------


class CancelTask(TaskDialog[TaskOut | None]):
    """Cancel a task with a reason; for a series, this occurrence or the whole series."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Cancel the task"), id="cancel_task.save"),
        Binding("escape", "cancel", N_("Back"), id="cancel_task.back"),
    ]
    ERROR_SLOTS: ClassVar[Mapping[str, str]] = {"reason": "reason"}
    SLOTS = ("form", "reason", "scope")

    def compose(self) -> ComposeResult:
        task = self.record
        assert task is not None
        with Vertical(classes="dialog"):
            yield Label(
                _("Cancel “{title}”").format(title=task.title), classes="dialog-title", markup=False
            )
            with _Fields(classes="td-fields"):
                yield field_error("form")
                yield Static(
                    _("{when} · {client}").format(
                        when=fmt_datetime(task.due_at), client=task.client or "—"
                    ),
                    classes="td-hint",
                    markup=False,
                )
                yield self.row(
                    _("Reason"),
                    Input(compact=True, placeholder=_("Why it will not happen"), id="reason"),
                    slot="reason",
                )
                if task.repeat:
                    yield self.row(
                        _("Cancel"),
                        Select(
                            [
                                (_("only this occurrence"), "one"),
                                (_("the whole series"), "series"),
                            ],
                            value="one",
                            allow_blank=False,
                            compact=True,
                            id="scope",
                        ),
                        slot="scope",
                    )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Cancel the task"), variant="error", compact=True, id="save")
                yield Button(_("Back"), compact=True, id="back")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self._saving or self.record is None:
            return
        self.clear_errors()
        reason = self.query_one("#reason", Input).value
        if not reason.strip():
            self.set_error("reason", _("Say why the task is cancelled."))
            return
        scopes = self.query("#scope")
        series = bool(scopes) and scopes.first(Select).value == "series"
        task = self.record
        self._saving = True
        self.call(
            lambda s, a: tasks.cancel_task(
                s, a, task.id, version=task.version, reason=reason, series=series
            ),
            self._done,
            write=True,
            failed=self.refused,
        )

    def _done(self, task: TaskOut) -> None:
        self._saving = False
        self.dismiss(task)

    def action_cancel(self) -> None:
        self.close_unless_typed(bool(self.query_one("#reason", Input).value.strip()))


# -- reassigning ----------------------------------------------------------------------------


def user_name(user: UserOut) -> str:
    name = user.full_name or user.login
    return f"{name} ({user.department})" if user.department else name


class Reassign(TaskDialog[TaskOut | None]):
    """Hand a task (a series with its coming occurrences) to a user of the team."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Reassign"), id="reassign.save"),
        Binding("escape", "cancel", N_("Back"), id="reassign.back"),
    ]
    ERROR_SLOTS: ClassVar[Mapping[str, str]] = {"assignee": "assignee", "assignee_id": "assignee"}
    SLOTS = ("form", "assignee")

    def compose(self) -> ComposeResult:
        task = self.record
        assert task is not None
        with Vertical(classes="dialog"):
            yield Label(
                _("Reassign “{title}”").format(title=task.title),
                classes="dialog-title",
                markup=False,
            )
            with _Fields(classes="td-fields"):
                yield field_error("form")
                yield Static(
                    _("Assigned to {user}; due {when}").format(
                        user=task.assignee, when=fmt_datetime(task.due_at)
                    )
                    + (" · " + _("the whole series") if task.repeat else ""),
                    classes="td-hint",
                    markup=False,
                )
                yield self.row(
                    field_label("assignee"),
                    Select[int]([], prompt=_("(reading…)"), compact=True, id="assignee"),
                    slot="assignee",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Reassign"), variant="primary", compact=True, id="save")
                yield Button(_("Back"), compact=True, id="back")

    def on_mount(self) -> None:
        self.call(org.users_in_reach, self._users)
        self.query_one("#assignee", Select).focus()

    def _users(self, users: list[UserOut]) -> None:
        select = self.query_one("#assignee", Select)
        select.set_options([(user_name(u), u.id) for u in users])
        if self.record is not None and any(u.id == self.record.assignee_id for u in users):
            select.value = self.record.assignee_id

    def action_save(self) -> None:
        if self._saving or self.record is None:
            return
        self.clear_errors()
        chosen = self.query_one("#assignee", Select).selection
        if not isinstance(chosen, int):
            self.set_error("assignee", _("Choose who does it."))
            return
        task = self.record
        if chosen == task.assignee_id:
            self.dismiss(None)
            return
        self._saving = True
        self.call(
            lambda s, a: tasks.assign_task(s, a, task.id, version=task.version, assignee_id=chosen),
            self._done,
            write=True,
            failed=self.refused,
        )

    def _done(self, task: TaskOut) -> None:
        self._saving = False
        self.dismiss(task)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- whose plan ---------------------------------------------------------------------------


class UserChooser(CrmModal[UserOut | None]):
    """A user of those the actor may see (their department, or everyone)."""

    DEFAULT_CSS = """
    UserChooser OptionList { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Back"), id="user_chooser.close"),
    ]

    def __init__(self, title: str, *, exclude_self: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.exclude_self = exclude_self
        self.users: list[UserOut] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield OptionList(Option(Text(_("Reading…"), style="dim"), disabled=True), id="users")

    def on_mount(self) -> None:
        self.call(org.users_in_reach, self._users)
        self.query_one(OptionList).focus()

    def _users(self, users: list[UserOut]) -> None:
        me = self.crm.connection.actor.id if self.crm.connection else None
        self.users = [u for u in users if not (self.exclude_self and u.id == me)]
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.users:
            options.add_option(
                Option(Text(_("Nobody else in your reach."), style="dim"), disabled=True)
            )
            return
        options.add_options(Option(Text(user_name(u)), id=str(u.id)) for u in self.users)
        options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.users[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)


# -- a series: only this one, or all? --------------------------------------------------------


class SeriesChoice(Dialog[str | None]):
    """``"one"`` (only this occurrence), ``"series"`` (the whole series), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "choose('one')", N_("Only this one"), id="series.one"),
        Binding("s", "choose('series')", N_("Whole series"), id="series.all"),
        Binding("escape", "choose('')", N_("Back"), id="series.back"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Only this one"), variant="primary", id="one")
                yield Button(_("The whole series"), id="series")
                yield Button(_("Back"), id="back")

    def on_mount(self) -> None:
        self.query_one("#one", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose("" if event.button.id == "back" else event.button.id or "")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)
