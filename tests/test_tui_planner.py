"""The planner (key 4) and its task dialogs, driven like a user at 80x24.

The app's clock is pinned (``app.pinned_now``) to Wednesday 2 December 2026, 06:00
UTC, and the zone is UTC: "today" and "overdue" do not depend on when the tests
run. Each test has a SQLite file of its own with two clients, a contact whose
birthday is today, and the admin's tasks: one overdue from yesterday, a call today,
a meeting tomorrow and a weekly check-in every Wednesday; a rep and a manager of the
rep's department have tasks of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm.app import TermCrmApp
from termcrm.screens.planner import MonthGrid, PlannerScreen, Row
from termcrm.screens.task_dialogs import CancelTask, ItemDetails, Reassign, SeriesChoice
from termcrm.screens.task_done import TaskDone
from termcrm.screens.task_form import TaskForm
from termcrm.services import clients, contacts, journal, org, tasks
from termcrm.services.journal import JournalFilter
from termcrm.services.planner import Who
from termcrm.services.tasks import TaskFilter
from termcrm.store.engine import Database
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.conflict_dialog import ConflictDialog
from tui_helpers import TuiDb, run_app, settle, tui_app
from tui_helpers import rows as table_rows

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
ROMASHKA, ACME = "ООО «Ромашка»", "Acme Trading"
pytestmark = pytest.mark.usefixtures("plain_settings")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def crm(tui_db: TuiDb) -> tuple[str, dict[str, int]]:
    with tui_db.db.write() as s:
        admin = tui_db.admin
        org.add_department(s, admin, "Sales")
        manager = org.add_user(
            s, admin, "ivanova", role="manager", department="Sales", full_name="Ivanova"
        )
        rep = org.add_user(s, admin, "petrov", role="rep", department="Sales", full_name="Petrov")
        other = org.add_user(s, admin, "li", role="rep", department="Sales", full_name="Li Wei")
        ids = {
            ROMASHKA: clients.create_client(s, admin, {"name": ROMASHKA, "owner_id": rep.id}).id,
            ACME: clients.create_client(s, admin, {"name": ACME}).id,
        }
        ids["sidorov"] = contacts.create_contact(
            s,
            admin,
            ids[ROMASHKA],
            {"full_name": "Пётр Сидоров", "birthday": date(1980, 12, 2)},
        ).id
        ids["smith"] = contacts.create_contact(
            s, admin, ids[ACME], {"full_name": "John Smith", "birthday": date(1980, 12, 2)}
        ).id
        ids.update(manager=manager.id, rep=rep.id, li=other.id)
        ids["overdue"] = tasks.add_task(
            s, admin, title="Send the contract", due_at=at(1, 10), client_id=ids[ACME]
        ).id
        ids["call"] = tasks.add_task(
            s,
            admin,
            title="Call back",
            due_at=at(2, 14),
            client_id=ids[ROMASHKA],
            contact_id=ids["sidorov"],
        ).id
        ids["meeting"] = tasks.add_task(
            s, admin, title="Meet the buyer", kind="meeting", due_at=at(3, 11), client_id=ids[ACME]
        ).id
        ids["weekly"] = tasks.add_task(
            s,
            admin,
            title="Weekly check-in",
            due_at=at(2, 9),
            client_id=ids[ROMASHKA],
            repeat="FREQ=WEEKLY;BYDAY=WE",
            tz="UTC",
        ).id
        ids["rep_call"] = tasks.add_task(
            s,
            admin,
            title="Rep's call",
            due_at=at(2, 12),
            client_id=ids[ROMASHKA],
            assignee_id=rep.id,
        ).id
    return tui_db.url, ids


def run(db_url: str, scenario: Callable[[TermCrmApp, Pilot[None]], Any], tmp_path: Path, *,
        login: str = "admin") -> None:  # fmt: skip
    app = tui_app(db_url, tmp_path / "ui.json", login=login)
    app.pinned_now = NOW
    run_app(app, scenario)


def with_db(db_url: str, fn: Callable[..., Any], login: str = "admin") -> Any:
    db = Database(db_url)
    try:
        with db.write() as s:
            return fn(s, org.actor_by_login(s, login))
    finally:
        db.dispose()


async def open_planner(app: TermCrmApp, pilot: Pilot[None]) -> PlannerScreen:
    await pilot.press("4")
    await settle(pilot)
    assert isinstance(app.screen, PlannerScreen)
    return app.screen


def lines(screen: PlannerScreen) -> list[str]:
    """The agenda as text: headings as ``# text``, items as ``when title``."""
    out = []
    for row in table_rows(screen.table):
        assert isinstance(row, Row)
        if row.item is None:
            out.append(f"# {row.text}" + (f" ({row.note})" if row.note else ""))
        else:
            when = screen.table.columns[0].text(row)
            out.append(f"{when} {screen.table.columns[2].text(row)}")
    return [line.replace("\u202f", " ") for line in out]


def current_title(screen: PlannerScreen) -> str:
    item = screen.current_item
    assert item is not None
    return item.task.title if item.task else item.occasion.title  # type: ignore[union-attr]


async def to_task(pilot: Pilot[None], screen: PlannerScreen, title: str) -> None:
    """Move the cursor down to the task with ``title``."""
    for _ in range(30):
        if screen.current_item is not None and current_title(screen) == title:
            return
        await pilot.press("down")
    raise AssertionError(f"no {title} in {lines(screen)}")


async def type_into(pilot: Pilot[None], widget: Input, text: str) -> None:
    """Replace a field's text; the last character typed."""
    widget.focus()
    await pilot.pause()
    widget.value = text[:-1]
    widget.action_end()
    await pilot.press(text[-1])


def error_of(dialog: Any, slot: str) -> str:
    return str(dialog.query_one(f"#{slot}-error", Static).content)


# -- the views ----------------------------------------------------------------------------


def test_today_shows_the_overdue_first_then_the_day_by_time(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        assert planner.day == TODAY and planner.view == "day"
        assert lines(planner) == [
            "# Overdue (1)",
            "Dec 1 Send the contract",
            "# Wednesday, December 2, 2026 (today)",
            "all day Birthday: John Smith, 46 years",
            "9:00 AM ↻ Weekly check-in",
            "2:00 PM Call back",
        ]
        assert current_title(planner) == "Send the contract"  # the headings are skipped
        head = str(planner.query_one("#planner-head", Static).content)
        assert "‹ Wed, Dec 2, 2026 › (today)" in head and "my plan" in head
        status = str(planner.query_one("#status", Static).content)
        assert status == "2 tasks · 1 significant date · 1 overdue"
        # the rep's task is not in the admin's own plan
        assert "Rep's call" not in " ".join(lines(planner))

    run(db_url, scenario, tmp_path)


def test_moving_between_days_weeks_and_months(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await pilot.press("right")
        await settle(pilot)
        assert planner.day == TODAY + timedelta(days=1)
        assert lines(planner) == ["11:00 AM Meet the buyer"]  # no overdue on another day
        await pilot.press("left", "left")
        await settle(pilot)
        assert planner.day == date(2026, 12, 1)
        assert lines(planner) == ["10:00 AM Send the contract"]
        await pilot.press("right_square_bracket")  # a week on
        await settle(pilot)
        assert planner.day == date(2026, 12, 8)
        assert lines(planner) == []
        await pilot.press("t")
        await settle(pilot)
        assert planner.day == TODAY

        await pilot.press("w")
        await settle(pilot)
        assert planner.view == "week"
        # the overdue task of Tuesday is on its day: nothing is overdue from before the week
        assert [line for line in lines(planner) if line.startswith("# ")] == [
            "# Mon, Nov 30 (nothing planned)",
            "# Tue, Dec 1",
            "# Wed, Dec 2 (today)",
            "# Thu, Dec 3",
            "# Fri, Dec 4 (nothing planned)",
            "# Sat, Dec 5 (nothing planned)",
            "# Sun, Dec 6 (nothing planned)",
        ]
        assert current_title(planner) == "John Smith"  # the cursor on the chosen day
        assert planner.current_row is not None and planner.current_row.section == TODAY
        await pilot.press("pagedown")
        await settle(pilot)
        assert planner.day == TODAY + timedelta(days=7)
        # the weekly check-in shows on next Wednesday too: a coming occurrence
        week = lines(planner)
        assert week[week.index("# Wed, Dec 9") + 1] == "9:00 AM ↻ Weekly check-in"

        await pilot.press("m")
        await settle(pilot)
        assert planner.view == "month"
        grid = planner.query_one(MonthGrid)
        assert grid.display and not planner.table.display
        assert grid.selected == date(2026, 12, 9)
        counts = grid.counts
        assert counts[TODAY].total == 3 and counts[TODAY].dates == 1  # 2 tasks + birthday
        assert counts[date(2026, 12, 1)].overdue == 1
        assert [counts[date(2026, 12, d)].total for d in (16, 23, 30)] == [1, 1, 1]
        await pilot.press("up", "up")
        await settle(pilot)
        assert grid.selected == date(2026, 11, 25)  # into November: its month is read
        assert planner.day.month == 11 and date(2026, 11, 25) in grid.counts
        await pilot.press("pagedown")
        await settle(pilot)
        assert grid.selected == date(2026, 12, 25)
        await pilot.press("t", "left")
        await settle(pilot)
        assert planner.day == date(2026, 12, 1)
        await pilot.press("enter")  # the day's agenda
        await settle(pilot)
        assert planner.view == "day" and planner.day == date(2026, 12, 1)
        assert lines(planner) == ["10:00 AM Send the contract"]

    run(db_url, scenario, tmp_path)


# -- planning, rescheduling ------------------------------------------------------------------


def test_a_task_is_planned_from_the_planner(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await pilot.press("right")  # tomorrow
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        # from the highlighted item: its client; on tomorrow: 10:00
        assert form.query_one(ClientPicker).client_id == ids[ACME]
        assert form.query_one("#when", Input).value.replace("\u202f", " ") == "12/3/2026 10:00 AM"

        await pilot.press("ctrl+s")  # no title: refused under the field
        await settle(pilot)
        assert app.screen is form and error_of(form, "title") == "A task needs a title."

        await type_into(pilot, form.query_one("#title", Input), "Present the offer")
        # another client, typed with completion, and its contact person
        picker = form.query_one(ClientPicker)
        picker.focus()
        picker.input.value = ""
        await pilot.press(*"Рома")
        await settle(pilot, wait=0.25)
        await pilot.press("enter")
        await settle(pilot)
        assert picker.client_id == ids[ROMASHKA]
        assert app.focused is form.query_one("#contact", Select)
        await pilot.press("enter", "down", "enter")
        assert form.query_one("#contact", Select).value == ids["sidorov"]
        form.query_one("#kind", Select).value = "meeting"
        await type_into(pilot, form.query_one("#duration", Input), "1h30")
        await type_into(pilot, form.query_one("#when", Input), "garbage")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Cannot read “garbage”" in error_of(form, "when")
        await type_into(pilot, form.query_one("#when", Input), "2026-12-04 15:30")
        form.query_one("#remind", Select).value = "15"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner
        assert any("Planned: “Present the offer”" in n.message for n in app._notifications)

        planned = with_db(
            db_url,
            lambda s, a: tasks.list_tasks(s, a, TaskFilter(client_id=ids[ROMASHKA])).items,
        )
        task = next(t for t in planned if t.title == "Present the offer")
        assert (task.kind, task.due_at, task.duration_min, task.remind_before_min) == (
            "meeting",
            at(4, 15, 30),
            90,
            15,
        )
        assert (task.contact_id, task.assignee_id, task.repeat) == (ids["sidorov"], 1, "")

        await pilot.press("right")
        await settle(pilot)
        assert lines(planner) == ["3:30 PM Present the offer"]

    run(db_url, scenario, tmp_path)


def test_a_repeating_task_is_planned_with_a_preset_or_a_rule(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        await type_into(pilot, form.query_one("#title", Input), "Monthly report")
        await type_into(pilot, form.query_one("#when", Input), "2026-12-07 10:00")
        await settle(pilot)
        repeat = form.query_one("#repeat", Select)
        # the usual rules follow the time typed: 7 December 2026 is the first Monday
        labels = [str(label) for label, _value in repeat._options]
        assert "every week on Monday" in labels
        assert "every month on the first Monday" in labels
        form.query_one("#remind", Select).value = "other"  # minutes of my own
        await settle(pilot)
        assert form.query_one("#remind-min", Input).display
        await type_into(pilot, form.query_one("#remind-min", Input), "2h")
        repeat.value = "custom"
        await settle(pilot)
        assert form.query_one("#rule-row").display
        await type_into(pilot, form.query_one("#rule", Input), "FREQ=HOURLY")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "FREQ must be one of" in error_of(form, "repeat")
        await type_into(pilot, form.query_one("#rule", Input), "FREQ=MONTHLY;BYDAY=1MO")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner

        await pilot.press("m")
        await settle(pilot)
        await pilot.press("pagedown")  # January 2027: its first Monday is the 4th
        await settle(pilot)
        grid = planner.query_one(MonthGrid)
        assert grid.counts[date(2027, 1, 4)].total == 1
        assert grid.counts[date(2027, 1, 11)].total == 0
        planner.go_to(date(2027, 1, 4))
        await pilot.press("enter")
        await settle(pilot)
        assert lines(planner) == ["10:00 AM ↻ Monthly report"]

    run(db_url, scenario, tmp_path)
    series = with_db(
        db_url,
        lambda s, a: [t for t in tasks.list_tasks(s, a).items if t.title == "Monthly report"],
    )
    assert [(t.repeat, t.remind_before_min) for t in series] == [("FREQ=MONTHLY;BYDAY=1MO", 120)]
    assert ids  # the fixture's data stayed as it was


def test_a_task_is_rescheduled(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Call back")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        assert form.query_one(ClientPicker).client_id == ids[ROMASHKA]
        assert form.query_one("#contact", Select).value == ids["sidorov"]
        await type_into(pilot, form.query_one("#when", Input), "2026-12-03 16:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner
        assert "2:00 PM Call back" not in lines(planner)  # the planner read again
        await pilot.press("right")
        await settle(pilot)
        assert lines(planner) == ["11:00 AM Meet the buyer", "4:00 PM Call back"]

    run(db_url, scenario, tmp_path)
    task = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["call"]))
    assert (task.due_at, task.version) == (at(3, 16), 2)
    assert (task.client_id, task.contact_id) == (ids[ROMASHKA], ids["sidorov"])


def test_a_task_moves_to_another_client(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Call back")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        picker = form.query_one(ClientPicker)
        picker.focus()
        picker.input.value = ""
        await pilot.press(*"Acme")
        await settle(pilot, wait=0.25)
        await pilot.press("enter")
        await settle(pilot)
        assert picker.client_id == ids[ACME]
        # the old client's contact person is gone from the list; Acme's is offered
        select = form.query_one("#contact", Select)
        assert select.selection is None
        await pilot.press("enter", "down", "enter")
        assert select.value == ids["smith"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner

    run(db_url, scenario, tmp_path)
    task = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["call"]))
    assert (task.client_id, task.contact_id, task.version) == (ids[ACME], ids["smith"], 2)


def test_one_occurrence_of_a_series_is_moved(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Weekly check-in")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        await type_into(pilot, form.query_one("#when", Input), "2026-12-02 17:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SeriesChoice)
        await pilot.press("o")  # only this one
        await settle(pilot)
        assert app.screen is planner
        assert lines(planner)[-2:] == ["2:00 PM Call back", "5:00 PM Weekly check-in"]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "9:00 AM ↻ Weekly check-in" in lines(planner)  # next week as before

    run(db_url, scenario, tmp_path)
    series = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["weekly"]))
    assert series.due_at == at(9, 9) and series.repeat == "FREQ=WEEKLY;BYDAY=WE"


def test_a_whole_series_is_moved(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Weekly check-in")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        await type_into(pilot, form.query_one("#when", Input), "2026-12-02 11:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SeriesChoice)
        await pilot.press("s")
        await settle(pilot)
        assert "11:00 AM ↻ Weekly check-in" in lines(planner)

    run(db_url, scenario, tmp_path)
    series = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["weekly"]))
    assert series.due_at == at(2, 11)


# -- completing, cancelling -----------------------------------------------------------------


def test_a_task_is_completed_with_its_next_step(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    def journal_of(s: Any, a: Any) -> list[Any]:
        return journal.list_interactions(s, a, JournalFilter(client_id=ids[ROMASHKA])).items

    assert with_db(db_url, journal_of) == []

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Call back")
        await pilot.press("space")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TaskDone)
        assert dialog.query_one("#kind", Select).value == "call"
        await pilot.press("ctrl+s")  # no result: refused
        await settle(pilot)
        assert "result goes to the journal" in error_of(dialog, "result")
        await type_into(pilot, dialog.query_one("#result", Input), "Agreed on a visit")
        dialog.query_one("#direction", Select).value = "in"
        await type_into(pilot, dialog.query_one("#next-title", Input), "Visit the warehouse")
        # the next step: tomorrow at 10:00 unless changed (the journal entry is written
        # at the real time, so the next step must come after it: typed far ahead here)
        assert dialog.query_one("#next-due", Input).value.replace("\u202f", " ") == (
            "12/3/2026 10:00 AM"
        )
        await type_into(pilot, dialog.query_one("#next-due", Input), "2099-01-15 11:30")
        dialog.query_one("#next-kind", Select).value = "visit"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner, [error_of(dialog, x) for x in dialog.SLOTS]
        assert "2:00 PM ✓ Call back" in lines(planner)
        assert any("Visit the warehouse" in n.message for n in app._notifications)

    run(db_url, scenario, tmp_path)
    entries = with_db(db_url, journal_of)
    assert len(entries) == 1  # exactly one journal entry
    entry = entries[0]
    assert (entry.kind, entry.direction, entry.result, entry.purpose) == (
        "call",
        "in",
        "Agreed on a visit",
        "Call back",
    )
    assert entry.contact_id == ids["sidorov"]
    done = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["call"]))
    assert done.status == "done" and done.interaction_id == entry.id
    follow = with_db(
        db_url,
        lambda s, a: [t for t in tasks.list_tasks(s, a).items if t.title == "Visit the warehouse"],
    )
    assert [(t.kind, t.due_at, t.client_id) for t in follow] == [
        ("visit", datetime(2099, 1, 15, 11, 30, tzinfo=UTC), ids[ROMASHKA])
    ]


def test_a_coming_occurrence_is_not_completed(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await pilot.press("right_square_bracket")  # next Wednesday
        await settle(pilot)
        await to_task(pilot, planner, "Weekly check-in")
        assert planner.current_item is not None and planner.current_item.occurrence
        await pilot.press("space")
        await settle(pilot)
        assert app.screen is planner
        assert any("coming occurrence" in n.message for n in app._notifications)

    run(db_url, scenario, tmp_path)


def test_a_task_is_cancelled_with_a_reason(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Send the contract")
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CancelTask)
        assert not dialog.query("#scope")  # not a series
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_of(dialog, "reason") == "Say why the task is cancelled."
        await type_into(pilot, dialog.query_one("#reason", Input), "The client went bankrupt")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is planner
        assert "Send the contract" not in " ".join(lines(planner))

        # a series: this occurrence only, then the series goes on next week
        await to_task(pilot, planner, "Weekly check-in")
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CancelTask)
        assert dialog.query_one("#scope", Select).value == "one"
        await type_into(pilot, dialog.query_one("#reason", Input), "Holiday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "↻ Weekly check-in" not in " ".join(lines(planner))

    run(db_url, scenario, tmp_path)
    cancelled = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["overdue"]))
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "The client went bankrupt")
    series = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["weekly"]))
    assert (series.status, series.due_at) == ("open", at(9, 9))


def test_the_details_of_an_item_lead_to_its_actions(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Call back")
        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, ItemDetails)
        assert details.contact == "Пётр Сидоров"  # read when the dialog opened
        buttons = [b.id for b in details.query("Button")]
        assert buttons == ["complete", "edit", "cancel_task", "reassign", "open_client", "close"]
        await pilot.press("o")  # its client's card
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        assert app.screen.client_id == ids[ROMASHKA]  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is planner

        await pilot.press("enter", "e")  # the details, then edit from there
        await settle(pilot)
        assert isinstance(app.screen, TaskForm)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("up", "up", "enter")  # the birthday: only its client
        await settle(pilot)
        details = app.screen
        assert isinstance(details, ItemDetails) and details.item.occasion is not None
        assert [b.id for b in details.query("Button")] == ["open_client", "close"]
        await pilot.press("space")  # nothing to complete
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is planner

    run(db_url, scenario, tmp_path)


# -- whose planner --------------------------------------------------------------------------


def test_a_manager_sees_the_team_and_reassigns(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        assert lines(planner) == []  # the manager has nothing of her own
        await pilot.press("u")  # the team
        await settle(pilot)
        assert planner.who == Who.team()
        assert [c.key for c in planner.table.columns][-1] == "who"
        assert "12:00 PM Rep's call" in lines(planner)
        assert "Call back" not in " ".join(lines(planner))  # the admin is not in her team
        await to_task(pilot, planner, "Rep's call")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, Reassign)
        select = dialog.query_one("#assignee", Select)
        assert select.value == ids["rep"]
        names = {str(label) for label, _value in select._options}
        assert {"Ivanova (Sales)", "Petrov (Sales)", "Li Wei (Sales)"} <= names
        select.value = ids["li"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner
        assert planner.current_item is not None
        assert planner.current_item.task.assignee == "Li Wei"  # type: ignore[union-attr]

        await pilot.press("u")  # one user, chosen from a list
        await settle(pilot)
        chooser = app.screen
        assert type(chooser).__name__ == "UserChooser"
        options = chooser.query_one("OptionList")
        texts = [
            str(options.get_option_at_index(i).prompt)  # type: ignore[attr-defined]
            for i in range(options.option_count)  # type: ignore[attr-defined]
        ]
        assert texts == ["Li Wei (Sales)", "Petrov (Sales)"]  # not herself: that is "mine"
        await pilot.press(*["down"] * texts.index("Li Wei (Sales)"), "enter")
        await settle(pilot)
        assert planner.who == Who.user(ids["li"])
        assert "plan of Li Wei" in str(planner.query_one("#planner-head", Static).content)
        assert lines(planner) == ["12:00 PM Rep's call"]
        await pilot.press("u")
        await settle(pilot)
        assert planner.who == Who.mine()

    run(db_url, scenario, tmp_path, login="ivanova")
    moved = with_db(db_url, lambda s, a: tasks.get_task(s, a, ids["rep_call"]))
    assert moved.assignee_id == ids["li"]


def test_a_rep_has_only_their_own_planner(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        assert lines(planner) == [
            "all day Birthday: Пётр Сидоров, 46 years",  # the rep owns the client
            "12:00 PM Rep's call",
        ]
        await pilot.press("u", "a")
        await settle(pilot)
        assert app.screen is planner and planner.who == Who.mine()
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        assert not form.query_one("#assignee-row").display  # a rep plans for themselves
        # planned from a birthday: a call to that person
        assert form.query_one(ClientPicker).client_id == ids[ROMASHKA]
        assert form.query_one("#contact", Select).value == ids["sidorov"]

    run(db_url, scenario, tmp_path, login="petrov")


def test_another_screen_opens_a_reps_planner(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await pilot.press("2")
        await settle(pilot)
        below = app.screen
        await app.push_screen(PlannerScreen(who=Who.user(ids["rep"])))
        await settle(pilot)
        planner = app.screen
        assert isinstance(planner, PlannerScreen)
        assert "plan of Petrov" in str(planner.query_one("#planner-head", Static).content)
        assert lines(planner) == [
            "all day Birthday: Пётр Сидоров, 46 years",
            "12:00 PM Rep's call",
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is below

    run(db_url, scenario, tmp_path, login="ivanova")


# -- a change made meanwhile ------------------------------------------------------------------


def test_a_task_changed_meanwhile_shows_the_conflict(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        planner = await open_planner(app, pilot)
        await to_task(pilot, planner, "Call back")
        await pilot.press("space")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TaskDone)
        # meanwhile, somebody moves it
        with_db(
            db_url,
            lambda s, a: tasks.move_task(s, a, ids["call"], version=1, due_at=at(2, 15)),
        )
        await type_into(pilot, dialog.query_one("#result", Input), "Talked")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("k")  # keep what I typed, on the task as it is now
        await settle(pilot)
        assert app.screen is dialog and dialog.record is not None
        assert dialog.record.version == 2
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is planner
        assert "3:00 PM ✓ Call back" in lines(planner)

    run(db_url, scenario, tmp_path)


def test_the_planner_keeps_its_view_over_a_language_switch(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        before = await open_planner(app, pilot)
        await pilot.press("w", "right_square_bracket", "u")  # next week, the team's
        await settle(pilot)
        await pilot.press("f2", "down", "enter")
        await settle(pilot)
        planner = app.screen
        assert isinstance(planner, PlannerScreen) and planner is not before
        assert (planner.view, planner.day, planner.who) == ("week", date(2026, 12, 9), Who.team())
        assert "# ср, 9 дек." in lines(planner)

    run(db_url, scenario, tmp_path)
