"""What a reminder says: one line per task or significant date, in the user's language
and time zone.

The app asks the planner service for the reminders due now (``planner.reminders``)
and shows each one once per run as a notification; this module only builds the text::

    Call Ivanov at 15:00 — Acme
    In 3 days: birthday of Ivan Petrov (40), Acme
    Today: foundation day “Acme founded” (25), Acme
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from termcrm.i18n import _, fmt_date, fmt_number, fmt_time, local, ngettext
from termcrm.services.dto import TaskOut
from termcrm.services.planner import Reminder
from termcrm.services.significant_dates import KIND_LABELS, Occasion

MAX_AT_ONCE = 3  # notifications shown at once (they are big at 80x24); the rest summed up


@dataclass(frozen=True, slots=True)
class ReminderNote:
    """One notification: its title, its line, and how it is shown."""

    title: str
    message: str
    severity: str  # "warning" for a task, "information" for a date


def task_text(task: TaskOut, today: date) -> str:
    """``Call Ivanov at 15:00 — Acme`` (the time in the user's zone; another day named)."""
    day = local(task.due_at).date()
    time = fmt_time(task.due_at)
    if day == today:
        text = _("{title} at {time}").format(title=task.title, time=time)
    elif day == today + timedelta(days=1):
        text = _("{title} tomorrow at {time}").format(title=task.title, time=time)
    else:
        text = _("{title} on {date} at {time}").format(
            title=task.title, date=fmt_date(day), time=time
        )
    if task.client:
        text = f"{text} — {task.client}"
    return text


def when_text(on: date, today: date) -> str:
    """Today, Tomorrow, In 3 days."""
    days = (on - today).days
    if days <= 0:
        return _("Today")
    if days == 1:
        return _("Tomorrow")
    return ngettext("In {n} day", "In {n} days", days).format(n=days)


def occasion_what(occasion: Occasion) -> str:
    """``birthday of Ivan Petrov (40)``, ``foundation day “Acme founded” (25)``."""
    if occasion.kind == "birthday":
        what = _("birthday of {name}").format(name=occasion.title)
    else:
        label = _(KIND_LABELS.get(occasion.kind, KIND_LABELS["other"]))
        if occasion.title.casefold() == label.casefold():
            what = label
        else:
            what = _("{kind} “{title}”").format(kind=label, title=occasion.title)
    if occasion.years:
        what = f"{what} ({fmt_number(occasion.years)})"
    return what


def occasion_text(occasion: Occasion, today: date) -> str:
    """``In 3 days: birthday of Ivan Petrov (40), Acme``."""
    return _("{when}: {what}, {client}").format(
        when=when_text(occasion.on, today), what=occasion_what(occasion), client=occasion.client
    )


def reminder_note(reminder: Reminder, today: date) -> ReminderNote:
    if reminder.task is not None:
        return ReminderNote(_("Reminder"), task_text(reminder.task, today), "warning")
    assert reminder.occasion is not None
    return ReminderNote(
        _("Significant date"), occasion_text(reminder.occasion, today), "information"
    )


def reminder_notes(
    reminders: Sequence[Reminder], today: date, *, at_once: int = MAX_AT_ONCE
) -> list[ReminderNote]:
    """The notifications for new reminders: one each, or, when there are more than
    ``at_once``, the first ones and a last one saying how many more there are."""
    if len(reminders) <= at_once:
        return [reminder_note(r, today) for r in reminders]
    shown = [reminder_note(r, today) for r in reminders[: at_once - 1]]
    more = len(reminders) - len(shown)
    tasks = any(r.task is not None for r in reminders[len(shown) :])
    shown.append(
        ReminderNote(
            _("Reminder"),
            ngettext(
                "…and {n} more reminder: see the planner.",
                "…and {n} more reminders: see the planner.",
                more,
            ).format(n=more),
            "warning" if tasks else "information",
        )
    )
    return shown
