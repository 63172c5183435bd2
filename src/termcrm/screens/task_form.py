"""Plan a task, or edit and reschedule one (``n`` and ``e`` in the planner).

Title; kind and duration; the client (typed with completion) and a contact person of
that client; when (as the quick log reads times: ``2026-12-03 15:00``, the locale's
own date, ``tomorrow 15:00``, ``+2h``); the reminder (none, at the time, 15 minutes,
an hour or a day before, or other minutes); the repeat rule (none, the usual rules
for the chosen time — every week on its weekday, every month on its day… — or an
RFC 5545 rule typed in); the assignee, for managers and directors (a rep plans for
themselves); notes.

Editing a repeating task asks whether the change is for this occurrence only (it
becomes a task of its own: ``tasks.move_task(only_this=True)``) or for the whole
series (``tasks.update_task``). Choosing another client drops the contact person of the
old one; clearing the client leaves the task without one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_datetime
from termcrm.screens.task_dialogs import (
    REMINDERS,
    SeriesChoice,
    TaskDialog,
    _Fields,
    field_error,
    parse_minutes,
    reminder_text,
    user_name,
)
from termcrm.services import clients, contacts, org, recurrence, tasks
from termcrm.services.actor import REP
from termcrm.services.dto import ContactOut, TaskOut, UserOut
from termcrm.widgets.choices import task_kind_select
from termcrm.widgets.client_picker import ClientPicker

OTHER = "other"
CUSTOM = "custom"
NO_REPEAT = "none"


def reminder_choices() -> list[tuple[str, str]]:
    choices = [(reminder_text(m), "none" if m is None else str(m)) for m in REMINDERS]
    return [*choices, (_("other (minutes before)"), OTHER)]


class TaskForm(TaskDialog[TaskOut | None]):
    """A new task (``task`` None) or an open one edited; dismissed with the saved task."""

    DEFAULT_CSS = """
    TaskForm .dialog { width: 76; }
    TaskForm #duration { width: 12; }
    TaskForm #remind-min { width: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="task_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="task_form.cancel"),
    ]
    ERROR_SLOTS: ClassVar[dict[str, str]] = {
        "title": "title",
        "kind": "kind",
        "duration": "kind",
        "duration_min": "kind",
        "client": "client",
        "client_id": "client",
        "contact": "contact",
        "contact_id": "contact",
        "deal": "client",
        "due": "when",
        "due_at": "when",
        "remind": "remind",
        "remind_before_min": "remind",
        "repeat": "repeat",
        "tz": "repeat",
        "assignee": "assignee",
        "assignee_id": "assignee",
        "notes": "notes",
    }
    SLOTS: ClassVar[tuple[str, ...]] = (
        *("form", "title", "kind", "client", "contact", "when", "remind", "repeat"),
        *("rule", "assignee", "notes"),
    )

    def __init__(
        self,
        task: TaskOut | None = None,
        *,
        due: datetime | None = None,
        client_id: int | None = None,
        client_name: str = "",
        contact_id: int | None = None,
        assignee_id: int | None = None,
        series_only: bool = False,
        now: datetime | None = None,
    ) -> None:
        """``series_only``: edited from a coming occurrence, so for the whole series."""
        super().__init__(task)
        self.due = task.due_at if task is not None else due
        self.client_id = task.client_id if task is not None else client_id
        self.client_name = task.client if task is not None else client_name
        self.contact_id = task.contact_id if task is not None else contact_id
        self.assignee_id = task.assignee_id if task is not None else assignee_id
        self.series_only = series_only
        self.now = now
        self.when_text = fmt_datetime(self.due) if self.due is not None else ""
        self._repeat_key = NO_REPEAT  # the repeat choice, kept over a change of time
        self.original: dict[str, Any] = {}

    @property
    def editing(self) -> bool:
        return self.record is not None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        task = self.record
        title = _("Plan a task") if task is None else _("Edit “{title}”").format(title=task.title)
        with Vertical(classes="dialog"):
            yield Label(title, classes="dialog-title", markup=False)
            with _Fields(classes="td-fields"):
                yield field_error("form")
                if task is not None and task.repeat:
                    yield Static(
                        _("Repeats {rule}.").format(rule=recurrence.describe(task.repeat))
                        + (
                            " " + _("Changes apply to the whole series.")
                            if self.series_only
                            else ""
                        ),
                        classes="td-hint",
                        markup=False,
                    )
                yield self.row(
                    _("Title"),
                    Input(task.title if task else "", compact=True, id="title"),
                    slot="title",
                )
                yield self.row(
                    _("Kind"),
                    task_kind_select(task.kind if task else "call"),
                    Label(_("Duration"), classes="td-label2"),
                    Input(
                        str(task.duration_min) if task and task.duration_min else "",
                        placeholder=_("min"),
                        compact=True,
                        id="duration",
                    ),
                    slot="kind",
                )
                picker = ClientPicker(
                    self.client_id,
                    self.client_name,
                    placeholder=_("Type a client's name… (or none)"),
                    id="client",
                )
                yield self.row(_("Client"), picker, slot="client")
                yield self.row(
                    _("Contact"),
                    Select[int]([], prompt=_("(none)"), compact=True, id="contact"),
                    slot="contact",
                )
                yield self.row(
                    _("When"),
                    Input(
                        self.when_text,
                        placeholder=_("for example tomorrow 15:00, +2h"),
                        compact=True,
                        id="when",
                    ),
                    slot="when",
                )
                yield self.row(
                    _("Reminder"),
                    Select(
                        reminder_choices(),
                        value=self._reminder_value(),
                        allow_blank=False,
                        compact=True,
                        id="remind",
                    ),
                    Input(
                        self._reminder_minutes(),
                        placeholder=_("min"),
                        compact=True,
                        id="remind-min",
                        classes="" if self._reminder_value() == OTHER else "-hidden",
                    ),
                    slot="remind",
                )
                yield self.row(
                    _("Repeat"),
                    Select(
                        self._repeat_choices(self.due),
                        value=self._initial_repeat(),
                        allow_blank=False,
                        compact=True,
                        id="repeat",
                    ),
                    slot="repeat",
                )
                yield self.row(
                    _("Rule"),
                    Input(
                        task.repeat if task and self._initial_repeat() == CUSTOM else "",
                        placeholder="FREQ=MONTHLY;BYDAY=1MO",
                        compact=True,
                        id="rule",
                    ),
                    slot="rule",
                    id="rule-row",
                )
                yield self.row(
                    _("Assignee"),
                    Select[int]([], prompt=_("(reading…)"), compact=True, id="assignee"),
                    slot="assignee",
                    id="assignee-row",
                )
                yield self.row(
                    _("Notes"),
                    Input(task.notes if task else "", compact=True, id="notes"),
                    slot="notes",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def _reminder_value(self) -> str:
        minutes = self.record.remind_before_min if self.record else None
        if minutes is None:
            return "none"
        return str(minutes) if minutes in REMINDERS else OTHER

    def _reminder_minutes(self) -> str:
        minutes = self.record.remind_before_min if self.record else None
        return str(minutes) if minutes is not None and minutes not in REMINDERS else ""

    def _presets(self, due: datetime | None) -> list[recurrence.Preset]:
        if due is None:
            return []
        return recurrence.presets(due.astimezone(i18n.zone()))

    def _repeat_choices(self, due: datetime | None) -> list[tuple[str, str]]:
        choices = [(_("does not repeat"), NO_REPEAT)]
        choices += [(p.label, p.key) for p in self._presets(due)]
        choices.append((_("a rule of my own (RFC 5545)"), CUSTOM))
        return choices

    def _initial_repeat(self) -> str:
        task = self.record
        if task is None or not task.repeat:
            return NO_REPEAT
        for preset in self._presets(task.due_at):
            if preset.rule == task.repeat:
                return preset.key
        return CUSTOM

    def on_mount(self) -> None:
        self._repeat_key = self._initial_repeat()
        self.query_one("#rule-row").set_class(self._repeat_key != CUSTOM, "-hidden")
        self.original = self._values_now()
        if self.client_id is not None:
            self._load_contacts(self.client_id)
        role = self.crm.connection.actor.role if self.crm.connection else REP
        if role == REP:
            self.query_one("#assignee-row").add_class("-hidden")
        else:
            self.call(org.users_in_reach, self._users)
        self.query_one("#title", Input).focus()

    # -- the client, its contacts, the users ----------------------------------------------------

    def _load_contacts(self, client_id: int) -> None:
        known = self.client_name

        def fetch(s: Any, a: Any) -> tuple[str, list[ContactOut]]:
            name = known or clients.get_client(s, a, client_id).name
            return name, contacts.list_contacts(s, a, client_id=client_id, limit=100).items

        def loaded(found: tuple[str, list[ContactOut]]) -> None:
            name, people = found
            picker = self.query_one(ClientPicker)
            if picker.client_id != client_id:
                return
            self.client_name = name
            if not picker.value:
                picker.set_client(client_id, name)
            select = self.query_one("#contact", Select)
            select.set_options([(p.full_name, p.id) for p in people])
            if self.contact_id is not None and any(p.id == self.contact_id for p in people):
                select.value = self.contact_id
            self.original["contact"] = select.selection

        self.call(fetch, loaded, group=f"task-form-client-{id(self)}")

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        event.stop()
        self.set_error("client", "")
        self.client_name = event.name
        self.contact_id = None
        self._load_contacts(event.client_id)
        self.query_one("#contact", Select).focus()

    def on_client_picker_cleared(self, event: ClientPicker.Cleared) -> None:
        event.stop()
        self.query_one("#contact", Select).set_options([])

    def _users(self, users: list[UserOut]) -> None:
        select = self.query_one("#assignee", Select)
        select.set_options([(user_name(u), u.id) for u in users])
        me = self.crm.connection.actor.id if self.crm.connection else None
        wanted = self.assignee_id if self.assignee_id is not None else me
        if any(u.id == wanted for u in users):
            select.value = wanted
        self.original["assignee"] = select.selection

    # -- the time and the rule follow each other -------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "remind":
            box = self.query_one("#remind-min", Input)
            box.set_class(event.value != OTHER, "-hidden")
            if event.value == OTHER:
                box.focus()
        elif event.select.id == "repeat":
            self._repeat_key = str(event.value)
            self.query_one("#rule-row").set_class(event.value != CUSTOM, "-hidden")
            self.set_error("repeat", "")

    def on_input_changed(self, event: Input.Changed) -> None:
        super().on_input_changed(event)
        if event.input.id != "when":
            return
        try:
            due = i18n.parse_local_datetime(event.value) if event.value.strip() else None
        except ValueError:
            return
        if due is None:
            return
        # the usual rules follow the time: "every week on Thursday" for a Thursday
        select = self.query_one("#repeat", Select)
        key = self._repeat_key
        select.set_options(self._repeat_choices(due))
        select.value = key

    # -- saving ------------------------------------------------------------------------------

    def _moment(self) -> datetime | None:
        text = self.query_one("#when", Input).value.strip()
        if self.due is not None and text == self.when_text:
            return self.due  # untouched
        if not text:
            self.set_error("when", _("Give a date and time."))
            return None
        try:
            return i18n.parse_local_datetime(text)
        except ValueError:
            example = fmt_datetime(self.due or self.now or datetime.now().astimezone())
            self.set_error(
                "when",
                _("Cannot read “{text}” as a date and time; for example {example}").format(
                    text=text, example=example
                ),
            )
            return None

    def _values_now(self) -> dict[str, Any]:
        """What the fields hold, as raw as typed (to tell what changed)."""
        return {
            "title": self.query_one("#title", Input).value,
            "kind": self.query_one("#kind", Select).value,
            "duration": self.query_one("#duration", Input).value.strip(),
            "when": self.query_one("#when", Input).value.strip(),
            "remind": self.query_one("#remind", Select).value,
            "remind_min": self.query_one("#remind-min", Input).value.strip(),
            "repeat": self.query_one("#repeat", Select).value,
            "rule": self.query_one("#rule", Input).value.strip(),
            "assignee": self.query_one("#assignee", Select).selection,
            "notes": self.query_one("#notes", Input).value,
            "contact": self.query_one("#contact", Select).selection,
            "client": self.query_one(ClientPicker).client_id,
        }

    def _read(self) -> dict[str, Any] | None:
        """The task's values from the fields, or None with the errors shown."""
        ok = True
        values: dict[str, Any] = {}
        values["title"] = self.query_one("#title", Input).value
        if not values["title"].strip():
            self.set_error("title", _("A task needs a title."))
            ok = False
        values["kind"] = str(self.query_one("#kind", Select).value)
        try:
            values["duration_min"] = parse_minutes(self.query_one("#duration", Input).value)
        except ValueError:
            self.set_error("kind", _("A duration in minutes, such as 30, 1h or 1h30."))
            ok = False
        due = self._moment()
        ok = ok and due is not None
        values["due_at"] = due
        remind = str(self.query_one("#remind", Select).value)
        if remind == OTHER:
            try:
                values["remind_before_min"] = parse_minutes(
                    self.query_one("#remind-min", Input).value
                )
            except ValueError:
                values["remind_before_min"] = None
                self.set_error("remind", _("Minutes before the task, such as 30 or 2h."))
                ok = False
            else:
                if values["remind_before_min"] is None:
                    self.set_error("remind", _("Minutes before the task, such as 30 or 2h."))
                    ok = False
        else:
            values["remind_before_min"] = None if remind == "none" else int(remind)
        key = str(self.query_one("#repeat", Select).value)
        if key == CUSTOM:
            values["repeat"] = self.query_one("#rule", Input).value.strip()
            if not values["repeat"]:
                self.set_error("repeat", _("Type the rule, such as FREQ=MONTHLY;BYDAY=1MO."))
                ok = False
        elif key == NO_REPEAT or due is None:
            values["repeat"] = ""
        else:
            rules = {p.key: p.rule for p in self._presets(due)}
            values["repeat"] = rules.get(key, "")
        assignee = self.query_one("#assignee", Select).selection
        values["assignee_id"] = assignee if isinstance(assignee, int) else None
        values["notes"] = self.query_one("#notes", Input).value
        picker = self.query_one(ClientPicker)
        values["client_id"] = picker.client_id
        if picker.client_id is None and picker.value.strip():
            self.set_error("client", _("Choose a client from the list, or leave it empty."))
            ok = False
        contact = self.query_one("#contact", Select).selection
        values["contact_id"] = contact if isinstance(contact, int) else None
        return values if ok else None

    def action_save(self) -> None:
        if self._saving:
            return
        self.clear_errors()
        values = self._read()
        if values is None:
            return
        tz = i18n.zone().key
        if self.record is None:
            self._saving = True
            self.call(
                lambda s, a: tasks.add_task(
                    s,
                    a,
                    title=values["title"],
                    due_at=values["due_at"],
                    kind=values["kind"],
                    assignee_id=values["assignee_id"],
                    client_id=values["client_id"],
                    contact_id=values["contact_id"],
                    notes=values["notes"],
                    duration_min=values["duration_min"],
                    remind_before_min=values["remind_before_min"],
                    repeat=values["repeat"],
                    tz=tz,
                ),
                self._saved,
                write=True,
                failed=self.refused,
            )
            return
        changes = self._changes(values)
        if not changes:
            self.dismiss(None)
            return
        task = self.record
        # a rule chosen anew is the series' own business; a rule that only followed the
        # new time (every week on its weekday) goes with the series, not with one occurrence
        rule_chosen = self._repeat_key != self._initial_repeat() or (
            self._repeat_key == CUSTOM and values["repeat"] != task.repeat
        )
        if task.repeat and not self.series_only and not rule_chosen:
            self.app.push_screen(
                SeriesChoice(
                    _(
                        "“{title}” repeats {rule}. Change only this occurrence "
                        "({when}) or the whole series?"
                    ).format(
                        title=task.title,
                        rule=recurrence.describe(task.repeat),
                        when=fmt_datetime(task.due_at),
                    )
                ),
                lambda choice: self._save_edit(changes, choice) if choice else None,
            )
            return
        self._save_edit(changes, "series")

    def _changes(self, values: dict[str, Any]) -> dict[str, Any]:
        task = self.record
        assert task is not None
        current = {
            "title": task.title,
            "kind": task.kind,
            "due_at": task.due_at,
            "duration_min": task.duration_min,
            "remind_before_min": task.remind_before_min,
            "repeat": task.repeat,
            "notes": task.notes,
            "assignee_id": task.assignee_id,
        }
        changes = {
            k: values[k]
            for k in current
            if values[k] != current[k] and not (k == "assignee_id" and values[k] is None)
        }
        if "title" in changes and values["title"].strip() == task.title:
            del changes["title"]
        if "repeat" in changes:
            changes["tz"] = i18n.zone().key
        # the contact list loads after the form opens: the contact counts as changed
        # only when the person chose another one (or another client)
        if values["client_id"] != task.client_id:
            changes.update(client_id=values["client_id"], contact_id=values["contact_id"])
        elif self._values_now()["contact"] != self.original.get("contact"):
            changes["contact_id"] = values["contact_id"]
        return changes

    def _save_edit(self, changes: dict[str, Any], choice: str) -> None:
        task = self.record
        assert task is not None
        self._saving = True

        def save(s: Any, a: Any) -> TaskOut:
            if choice == "one":
                rest = {k: v for k, v in changes.items() if k not in ("due_at", "repeat", "tz")}
                moved = tasks.move_task(
                    s,
                    a,
                    task.id,
                    version=task.version,
                    due_at=changes.get("due_at", task.due_at),
                    only_this=True,
                )
                if not rest:
                    return moved
                return tasks.update_task(s, a, moved.id, version=moved.version, changes=rest)
            return tasks.update_task(s, a, task.id, version=task.version, changes=changes)

        self.call(save, self._saved, write=True, failed=self.refused)

    def _saved(self, task: TaskOut) -> None:
        self._saving = False
        self.dismiss(task)

    def rebase(self, task: TaskOut) -> None:
        super().rebase(task)
        self.due = self.due if self.due is not None else task.due_at

    def action_cancel(self) -> None:
        self.close_unless_typed(self._values_now() != self.original)
