"""Reminders, the overdue count in the top bar, and significant dates on the client card,
driven like a user at 80x24 on real SQLite.

The admin owns Acme: a contact person whose 40th birthday is in three days, the
company's foundation day today, a call today with a reminder whose time has come, and
two tasks past due. The app's clock stands at 20 November 2026, 14:30 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm import i18n
from termcrm.app import TermCrmApp
from termcrm.screens.client_card import ClientCardScreen, DateRow, next_on
from termcrm.screens.contact_form import ContactFormScreen
from termcrm.screens.date_form import DateFormScreen
from termcrm.services import clients, contacts, org, significant_dates, tasks
from termcrm.services.dto import TaskOut
from termcrm.services.planner import Reminder
from termcrm.services.significant_dates import Occasion
from termcrm.store.engine import Database
from termcrm.widgets.dialogs import ConfirmDialog
from termcrm.widgets.reminders import occasion_text, reminder_notes, task_text
from termcrm.widgets.top_bar import TopBar, right_side
from tui_helpers import TuiDb, run_app, settle, stand_in, tui_app
from tui_helpers import rows as table_rows

pytestmark = pytest.mark.usefixtures("plain_settings")
NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
TODAY = NOW.date()


@dataclass
class World:
    url: str
    state: Path
    ids: dict[str, int]


@pytest.fixture
def world(tui_db: TuiDb) -> World:
    admin = tui_db.admin
    ids: dict[str, int] = {}
    with tui_db.db.write() as s:
        acme = clients.create_client(s, admin, {"name": "Acme", "owner_id": admin.id}).id
        ids["acme"] = acme
        ids["petrov"] = contacts.create_contact(
            s,
            admin,
            acme,
            {"full_name": "Ivan Petrov", "birthday": date(1986, 11, 23)},
        ).id
        ids["founded"] = significant_dates.add_date(
            s,
            admin,
            client_id=acme,
            kind="foundation",
            title="Acme founded",
            month=11,
            day=20,
            year=2001,
            remind_days=1,
        ).id
        ids["call"] = tasks.add_task(
            s,
            admin,
            title="Call Ivanov",
            due_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
            client_id=acme,
            remind_before_min=60,
        ).id
        tasks.add_task(  # its reminder comes tomorrow: nothing now
            s,
            admin,
            title="Later",
            due_at=datetime(2026, 11, 21, 15, 0, tzinfo=UTC),
            client_id=acme,
            remind_before_min=30,
        )
        for day in (18, 19):
            ids[f"late{day}"] = tasks.add_task(
                s,
                admin,
                title=f"Late {day}",
                due_at=datetime(2026, 11, day, 10, 0, tzinfo=UTC),
                client_id=acme,
            ).id
    return World(tui_db.url, tui_db.state, ids)


def run(world: World, scenario: Any) -> None:
    app = tui_app(world.url, world.state)
    app.pinned_now = NOW
    app.animation_level = "none"
    run_app(app, scenario)


def with_db(url: str, fn: Any, *, write: bool = False) -> Any:
    db = Database(url)
    try:
        with db.write() if write else db.read() as s:
            return fn(s, org.actor_by_login(s, "admin"))
    finally:
        db.dispose()


def top_bar(app: TermCrmApp) -> str:
    return app.screen.query_one(TopBar).render().plain


def messages(app: TermCrmApp) -> list[tuple[str, str, str]]:
    return [(n.title, n.message, n.severity) for n in app._notifications]


# -- the overdue count ------------------------------------------------------------------------


def test_the_top_bar_counts_overdue_tasks_and_follows_writes(world: World) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        assert app.overdue == 2
        # 80 columns: the name "termcrm" gives way to the count and the user's name
        assert "⚠ 2 overdue" in top_bar(app) and "admin" in top_bar(app)
        assert "termcrm" not in top_bar(app) and " 8 " in top_bar(app)  # every section's key

        # done through the app's services path: the count follows at once
        def complete(s: Any, a: Any) -> Any:
            task = tasks.get_task(s, a, world.ids["late18"])
            return tasks.complete_task(s, a, task.id, version=task.version, result="done")

        app.call(app, complete, write=True)
        await settle(pilot)
        assert app.overdue == 1
        assert "⚠ 1 overdue" in top_bar(app)

        # done elsewhere (another user, the shell): the next check sees it
        with_db(world.url, complete_other(world.ids["late19"]), write=True)
        app.check_planner()
        await settle(pilot)
        assert app.overdue == 0
        assert "overdue" not in top_bar(app)
        assert "admin" in top_bar(app)  # who is working, on the right
        assert "5 Deals" in top_bar(app)  # the room the count took names a section again

    run(world, scenario)


def complete_other(task_id: int) -> Any:
    def complete(s: Any, a: Any) -> Any:
        task = tasks.get_task(s, a, task_id)
        return tasks.complete_task(s, a, task.id, version=task.version, result="done")

    return complete


def test_a_narrow_top_bar_keeps_the_count() -> None:
    assert right_side("Maria Ivanova", 12, 40).plain == "⚠ 12 overdue  Maria Ivanova"
    assert right_side("Maria Ivanova", 12, 20).plain == "⚠ 12 overdue"
    assert right_side("Maria Ivanova", 12, 6).plain == "⚠ 12"
    assert right_side("Maria Ivanova", 12, 3).plain == ""
    assert right_side("Maria Ivanova", 0, 40).plain == "Maria Ivanova"
    assert right_side("Maria Ivanova", 0, 10).plain == ""


# -- reminders ---------------------------------------------------------------------------------


def test_each_reminder_is_shown_once(world: World) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        first = messages(app)
        assert sorted(first) == sorted(
            [
                ("Reminder", "Call Ivanov at 3:00\u202fPM — Acme", "warning"),
                (
                    "Significant date",
                    "Today: foundation day “Acme founded” (25), Acme",
                    "information",
                ),
                (
                    "Significant date",
                    "In 3 days: birthday of Ivan Petrov (40), Acme",
                    "information",
                ),
            ]
        )
        assert all(n.timeout >= 30 for n in app._notifications)
        app.check_planner()
        app.check_planner()
        await settle(pilot)
        assert messages(app) == first  # nothing twice

        # a new task whose reminder time has come: reminded at the next check
        with_db(
            world.url,
            lambda s, a: tasks.add_task(
                s,
                a,
                title="Send the offer",
                due_at=NOW + timedelta(minutes=10),
                remind_before_min=15,
            ),
            write=True,
        )
        app.check_planner()
        await settle(pilot)
        assert messages(app)[len(first) :] == [
            ("Reminder", "Send the offer at 2:40\u202fPM", "warning")
        ]

    run(world, scenario)


def _task(title: str, due: datetime, client: str = "Acme") -> TaskOut:
    return TaskOut(
        id=1, title=title, kind="call", due_at=due, status="open", assignee_id=1,
        assignee="admin", author_id=1, client_id=1 if client else None, client=client,
        contact_id=None, deal_id=None, notes="", completed_at=None, version=1,
        remind_before_min=30,
    )  # fmt: skip


def _occasion(on: date, kind: str = "birthday", title: str = "Ivan Petrov", years: Any = 40) -> Any:
    return Occasion(
        on=on, kind=kind, title=title, client_id=1, client="Acme", contact_id=2,
        years=years, remind_days=3, date_id=None if kind == "birthday" else 5,
    )  # fmt: skip


def test_reminder_texts() -> None:
    today = date(2026, 11, 20)
    due = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    i18n.use("en", "Europe/Moscow")
    try:
        assert task_text(_task("Call Ivanov", due), today) == "Call Ivanov at 3:00\u202fPM — Acme"
        tomorrow = due + timedelta(days=1)
        assert task_text(_task("Visit", tomorrow, ""), today) == "Visit tomorrow at 3:00\u202fPM"
        assert task_text(_task("Visit", due + timedelta(days=3)), today) == (
            "Visit on 11/23/2026 at 3:00\u202fPM — Acme"
        )
    finally:
        i18n.use("en", "UTC")
    assert occasion_text(_occasion(date(2026, 11, 23)), today) == (
        "In 3 days: birthday of Ivan Petrov (40), Acme"
    )
    assert occasion_text(_occasion(date(2026, 11, 21), years=None), today) == (
        "Tomorrow: birthday of Ivan Petrov, Acme"
    )
    holiday = _occasion(today, "holiday", "professional holiday", None)
    assert occasion_text(holiday, today) == "Today: professional holiday, Acme"


def test_many_reminders_at_once_are_summed_up() -> None:
    today = date(2026, 11, 20)
    many = [
        Reminder(f"d{i}", occasion=_occasion(today + timedelta(days=i % 3))) for i in range(2)
    ] + [Reminder(f"t{i}", task=_task(f"Call {i}", NOW)) for i in range(3)]
    notes = reminder_notes(many, today)
    assert [n.severity for n in notes] == ["information", "information", "warning"]
    assert notes[-1].message == "…and 3 more reminders: see the planner."
    assert notes[-1].severity == "warning"  # tasks among them
    assert len(reminder_notes(many[:3], today)) == 3
    assert reminder_notes(many[:4], today, at_once=5)[-1].message == "Call 1 at 2:30\u202fPM — Acme"


# -- significant dates on the client card ----------------------------------------------------


async def dates_tab(app: TermCrmApp, pilot: Pilot[None], client_id: int) -> ClientCardScreen:
    await app.push_screen(ClientCardScreen(client_id))
    await settle(pilot)
    card = app.screen
    assert isinstance(card, ClientCardScreen)
    card.tabs.active = "dates"
    await settle(pilot)
    assert card.focused is card.table("dates")
    return card


def dates_of(card: ClientCardScreen) -> list[DateRow]:
    return table_rows(card.table("dates"))


async def fill(pilot: Pilot[None], form: DateFormScreen, **values: Any) -> None:
    for field, value in values.items():
        control = form.control(field)
        if isinstance(control, Select):
            control.value = value
        else:
            assert isinstance(control, Input)
            control.value = str(value)
    await pilot.pause()


def test_the_dates_tab_lists_company_dates_and_birthdays(world: World) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await dates_tab(app, pilot, world.ids["acme"])
        found = dates_of(card)
        assert [(r.next_on, r.kind, r.title, r.years) for r in found] == [
            (date(2026, 11, 20), "foundation", "Acme founded", 25),
            (date(2026, 11, 23), "birthday", "Ivan Petrov", 40),
        ]
        assert card.tabs.get_tab("dates").label.plain == "Dates (2)"
        line = "".join(s.text for s in card.table("dates").render_line(2))
        assert "Ivan Petrov (40)" in line and "3 days before" in line and "Nov 23, 1986" in line

    run(world, scenario)


def test_add_edit_and_delete_a_company_date(world: World) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await dates_tab(app, pilot, world.ids["acme"])

        # add: a bad day first, said under its field
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DateFormScreen)
        await fill(pilot, form, kind="contract", title="Contract signed", day=30, month=2)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = form.query_one("#field-day .field-error", Static)
        assert "no such day" in str(error.render())
        await fill(pilot, form, day=5, month=3, year=2019, remind_days=7)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        saved = with_db(
            world.url,
            lambda s, a: significant_dates.list_dates(s, a, client_id=world.ids["acme"]),
        )
        added = next(d for d in saved if d.title == "Contract signed")
        assert (added.kind, added.month, added.day, added.year, added.remind_days) == (
            "contract",
            3,
            5,
            2019,
            7,
        )
        found = dates_of(card)
        assert [r.title for r in found] == ["Acme founded", "Ivan Petrov", "Contract signed"]

        # edit it: the form comes with its values
        await pilot.press("end", "e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DateFormScreen)
        assert form.values() == {
            "kind": "contract",
            "title": "Contract signed",
            "day": "5",
            "month": 3,
            "year": "2019",
            "remind_days": "7",
        }
        await fill(pilot, form, title="Framework contract", year="")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        edited = with_db(world.url, lambda s, a: significant_dates.get_date(s, a, added.id))
        assert (edited.title, edited.year, edited.version) == ("Framework contract", None, 2)
        assert dates_of(card)[-1].title == "Framework contract"

        # delete it, after a question; "no" keeps it
        await pilot.press("end", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert len(dates_of(card)) == 3
        await pilot.press("end", "delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is card
        assert [r.title for r in dates_of(card)] == ["Acme founded", "Ivan Petrov"]
        left = with_db(
            world.url,
            lambda s, a: significant_dates.list_dates(s, a, client_id=world.ids["acme"]),
        )
        assert [d.title for d in left] == ["Acme founded"]
        assert card.is_current  # the client itself was not touched

    run(world, scenario)


def test_a_birthday_is_edited_on_its_contact(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    form = stand_in(monkeypatch, "contact_form", "ContactFormScreen")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await dates_tab(app, pilot, world.ids["acme"])
        await pilot.press("down", "x")  # not deleted here: said why
        await settle(pilot)
        assert app.screen is card
        assert any("contact person" in m for _t, m, _s in messages(app))
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, form)
        assert app.screen.args == (world.ids["acme"], world.ids["petrov"])

    run(world, scenario)


def test_the_contact_form_sets_the_birthday_reminder(world: World) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await app.push_screen(ContactFormScreen(world.ids["acme"], world.ids["petrov"]))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactFormScreen)
        field = form.query_one("#field-birthday_remind_days", Input)
        assert field.value == "3"
        field.value = "many"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = str(form.query_one("#error-birthday_remind_days", Static).render())
        assert "number of days from 0 to 30" in error
        field.value = "31"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # the service's limit
        field.value = "10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        person = with_db(world.url, lambda s, a: contacts.get_contact(s, a, world.ids["petrov"]))
        assert person.birthday_remind_days == 10

    run(world, scenario)


def test_next_on_puts_29_february_on_the_28th_in_common_years() -> None:
    assert next_on(2, 29, date(2027, 1, 10)) == date(2027, 2, 28)
    assert next_on(2, 29, date(2028, 1, 10)) == date(2028, 2, 29)
    assert next_on(11, 20, date(2026, 11, 20)) == date(2026, 11, 20)
    assert next_on(11, 19, date(2026, 11, 20)) == date(2027, 11, 19)
