"""Complete a task (space in the planner): its result, the journal entry, the next step.

The result is written to the journal as one interaction of the chosen kind and
direction about the task's client, contact and deal (a task about no client writes
no entry: the result stays in its notes). Optionally the next step is planned in
the same transaction: a title, when, and a kind. ``tasks.complete_task`` does it all;
for a repeating task it completes the current occurrence and the series goes on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_datetime
from termcrm.screens.task_dialogs import TaskDialog, _Fields, field_error
from termcrm.services import recurrence, tasks
from termcrm.services.dto import TaskOut
from termcrm.services.journal import NextStep
from termcrm.services.tasks import Completed
from termcrm.widgets.choices import direction_select, journal_kind_select, task_kind_select

NEXT_STEP_HOUR = 10  # the next step is due the next day at 10:00 unless changed


class TaskDone(TaskDialog[Completed | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Done"), id="task_done.save"),
        Binding("escape", "cancel", N_("Back"), id="task_done.cancel"),
    ]
    ERROR_SLOTS: ClassVar[dict[str, str]] = {
        "result": "result",
        "kind": "kind",
        "direction": "kind",
        "next_title": "next-title",
        "next_due": "next-due",
        "next_due_at": "next-due",
        "next_kind": "next-due",
    }
    SLOTS = ("form", "result", "kind", "next-title", "next-due")

    def __init__(self, task: TaskOut, *, now: datetime | None = None) -> None:
        super().__init__(task)
        self.opened_at = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        local = self.opened_at.astimezone(i18n.zone())
        due = (local + timedelta(days=1)).replace(hour=NEXT_STEP_HOUR, minute=0)
        self.next_due = due.astimezone(UTC)
        self.due_text = fmt_datetime(self.next_due)

    def compose(self) -> ComposeResult:
        task = self.record
        assert task is not None
        with Vertical(classes="dialog"):
            yield Label(
                _("Done: “{title}”").format(title=task.title), classes="dialog-title", markup=False
            )
            with _Fields(classes="td-fields"):
                yield field_error("form")
                facts = [fmt_datetime(task.due_at), task.client or _("no client")]
                if task.repeat:
                    facts.append(recurrence.describe(task.repeat))
                yield Static(" · ".join(facts), classes="td-hint", markup=False)
                yield self.row(
                    _("Result"),
                    Input(compact=True, placeholder=_("What came of it"), id="result"),
                    slot="result",
                )
                if task.client_id is not None:
                    yield self.row(
                        _("Journal"),
                        journal_kind_select(tasks.JOURNAL_KIND.get(task.kind, "call")),
                        Label(_("Direction"), classes="td-label2"),
                        direction_select(),
                        slot="kind",
                    )
                else:
                    yield field_error("kind")
                    yield Static(
                        _(
                            "No client: nothing goes to the journal; the result is kept "
                            "in the task's notes."
                        ),
                        classes="td-hint",
                        markup=False,
                    )
                yield Label(_("Next step (optional)"), classes="td-section")
                yield self.row(
                    _("Task"),
                    Input(compact=True, placeholder=_("Leave empty for no task"), id="next-title"),
                    slot="next-title",
                )
                yield self.row(
                    _("Due"),
                    Input(self.due_text, compact=True, id="next-due"),
                    Label(_("Kind"), classes="td-label2"),
                    task_kind_select(task.kind, widget_id="next-kind"),
                    slot="next-due",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Done"), variant="primary", compact=True, id="save")
                yield Button(_("Back"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#result", Input).focus()

    def _next_due(self) -> datetime | None:
        text = self.query_one("#next-due", Input).value.strip()
        if text == self.due_text:
            return self.next_due
        if not text:
            self.set_error("next-due", _("Give a date and time."))
            return None
        try:
            return i18n.parse_local_datetime(text)
        except ValueError:
            self.set_error(
                "next-due",
                _("Cannot read “{text}” as a date and time; for example {example}").format(
                    text=text, example=self.due_text
                ),
            )
            return None

    def action_save(self) -> None:
        if self._saving or self.record is None:
            return
        self.clear_errors()
        result = self.query_one("#result", Input).value
        ok = True
        if not result.strip():
            self.set_error("result", _("Say how it went: the result goes to the journal."))
            ok = False
        title = self.query_one("#next-title", Input).value.strip()
        next_step: NextStep | None = None
        if title:
            due = self._next_due()
            if due is None:
                ok = False
            else:
                kind = str(self.query_one("#next-kind", Select).value)
                next_step = NextStep(title=title, due_at=due, kind=kind)
        if not ok:
            return
        kinds = self.query("#kind").filter("Select")
        journal_kind = str(kinds.first(Select).value) if kinds else None
        directions = self.query("#direction")
        direction = str(directions.first(Select).value) if directions else "out"
        task = self.record
        self._saving = True
        self.call(
            lambda s, a: tasks.complete_task(
                s,
                a,
                task.id,
                version=task.version,
                result=result,
                kind=journal_kind,
                direction=direction,
                next_step=next_step,
            ),
            self._done,
            write=True,
            failed=self.refused,
        )

    def _done(self, completed: Completed) -> None:
        self._saving = False
        self.dismiss(completed)

    def action_cancel(self) -> None:
        typed = any(
            self.query_one(f"#{slot}", Input).value.strip() for slot in ("result", "next-title")
        )
        self.close_unless_typed(typed)
