"""The interaction journal and the quick-log dialog, driven like a user at 80x24.

Each test runs the app on a SQLite file of its own with three clients, a contact
and three journal entries (two by the admin, one by a rep).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm import i18n
from termcrm.app import TermCrmApp
from termcrm.screens.journal import JournalScreen, period_start
from termcrm.screens.quick_log import QuickLogScreen
from termcrm.services import clients, contacts, journal, org, tasks
from termcrm.services.errors import Invalid
from termcrm.services.journal import JournalFilter, NextStep
from termcrm.services.tasks import TaskFilter
from termcrm.store.engine import Database
from termcrm.widgets.client_picker import ClientPicker
from tui_helpers import Scenario, TuiDb, run_app, settle, stand_in, tui_app
from tui_helpers import rows as table_rows

ROMASHKA, ACME, ROGA = "ООО «Ромашка»", "Acme Trading", "Рога и копыта"
pytestmark = pytest.mark.usefixtures("plain_settings")


@pytest.fixture
def crm(tui_db: TuiDb) -> tuple[str, dict[str, int]]:
    """A database with clients, a contact and a journal; the URL and the ids by name."""
    now = datetime.now(UTC)
    with tui_db.db.write() as s:
        admin = tui_db.admin
        org.add_department(s, admin, "Sales")
        rep = org.add_user(s, admin, "petrov", role="rep", department="Sales", full_name="Petrov")
        ids = {
            name: clients.create_client(s, admin, {"name": name, "city": city}).id
            for name, city in ((ROMASHKA, "Москва"), (ACME, "Boston"), (ROGA, "Одесса"))
        }
        ids["sidorov"] = contacts.create_contact(
            s, admin, ids[ROMASHKA], {"full_name": "Пётр Сидоров"}
        ).id
        ids["rep"] = rep.id
        for client, kind, days, user in (
            (ACME, "call", 3, None),
            (ROGA, "meeting", 2, rep.id),
            (ROMASHKA, "email", 1, None),
        ):
            journal.log_interaction(
                s,
                admin,
                kind=kind,
                client_id=ids[client],
                occurred_at=now - timedelta(days=days),
                purpose=f"{kind} about prices",
                user_id=user,
            )
    return tui_db.url, ids


def run(db_url: str, tmp_path: Path, scenario: Scenario) -> None:
    run_app(tui_app(db_url, tmp_path / "ui.json"), scenario)


def rows(screen: Any) -> list[Any]:
    return table_rows(screen.table)


async def open_journal(app: TermCrmApp, pilot: Pilot[None]) -> JournalScreen:
    """The journal section (key 3), its list read."""
    await pilot.press("3")
    await settle(pilot)
    assert isinstance(app.screen, JournalScreen)
    return app.screen


async def open_quick_log(app: TermCrmApp, pilot: Pilot[None]) -> QuickLogScreen:
    """The quick-log dialog (key l) over the current screen, its lists read."""
    await pilot.press("l")
    await settle(pilot)
    assert isinstance(app.screen, QuickLogScreen)
    return app.screen


def with_db(db_url: str, fn: Callable[..., Any]) -> Any:
    db = Database(db_url)
    try:
        with db.read() as s:
            return fn(s, org.actor_by_login(s, "admin"))
    finally:
        db.dispose()


async def type_into(pilot: Pilot[None], widget: Input, text: str) -> None:
    """Replace a field's text; the last character typed (each key press costs ~0.1 s)."""
    widget.focus()
    await pilot.pause()  # focused (which selects the old text)
    widget.value = text[:-1]
    widget.action_end()
    await pilot.press(text[-1])


# -- logging ------------------------------------------------------------------------------


def test_a_call_logged_from_the_card_file_creates_its_next_step(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card_file = app.screen
        names = [r.name for r in rows(card_file)]
        await pilot.press(*["down"] * names.index(ROMASHKA))
        assert card_file.current_client_id == ids[ROMASHKA]

        dialog = await open_quick_log(app, pilot)
        assert dialog.query_one(ClientPicker).value == ROMASHKA  # the highlighted client
        assert dialog.query_one(ClientPicker).client_id == ids[ROMASHKA]
        # the contact, picked from the client's contact persons with the keyboard
        dialog.query_one("#contact", Select).focus()
        await pilot.press("enter", "down", "enter")
        assert dialog.query_one("#contact", Select).value == ids["sidorov"]
        await type_into(pilot, dialog.query_one("#purpose", Input), "New prices")
        await type_into(pilot, dialog.query_one("#result", Input), "Wants a quote")
        await type_into(pilot, dialog.query_one("#next-title", Input), "Send the quote")
        await type_into(pilot, dialog.query_one("#next-due", Input), "2099-01-15 11:30")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert app.screen is card_file
        assert any(
            "Logged: call with" in n.message and "Send the quote" in n.message
            for n in app._notifications
        )
        logged = with_db(
            db_url,
            lambda s, a: (
                journal.list_interactions(
                    s, a, JournalFilter(client_id=ids[ROMASHKA], kind="call")
                ).items
            ),
        )
        assert [(i.purpose, i.result, i.contact_id, i.direction) for i in logged] == [
            ("New prices", "Wants a quote", ids["sidorov"], "out")
        ]
        planned = with_db(
            db_url,
            lambda s, a: tasks.list_tasks(s, a, TaskFilter(client_id=ids[ROMASHKA])).items,
        )
        assert [(t.title, t.kind, t.due_at, t.contact_id, t.assignee_id) for t in planned] == [
            (
                "Send the quote",
                "call",
                datetime(2099, 1, 15, 11, 30, tzinfo=UTC),
                ids["sidorov"],
                logged[0].user_id,
            )
        ]

        newest = rows(await open_journal(app, pilot))[0]
        assert (newest.client, newest.purpose, newest.contact) == (
            ROMASHKA,
            "New prices",
            "Пётр Сидоров",
        )

    run(db_url, tmp_path, scenario)


def test_the_journal_reloads_after_a_quick_log(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_journal(app, pilot)
        assert len(rows(screen)) == 3
        assert screen.current_client_id == ids[ROMASHKA]  # the newest entry's client
        dialog = await open_quick_log(app, pilot)
        await type_into(pilot, dialog.query_one("#purpose", Input), "Quick one")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert [r.purpose for r in rows(screen)][:2] == ["Quick one", "email about prices"]
        status = str(screen.query_one("#status", Static).render())
        assert status.startswith("4 interactions")

    run(db_url, tmp_path, scenario)


def test_a_bad_time_is_shown_under_the_field_and_the_text_stays(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        dialog = await open_quick_log(app, pilot)
        dialog.query_one("#kind", Select).focus()
        await pilot.press("l")  # the dialog's own key: not a second dialog
        assert app.screen is dialog and len(app.screen_stack) == 2
        when = dialog.query_one("#when", Input)
        error = dialog.query_one("#when-error", Static)
        assert not error.display

        await type_into(pilot, when, "yesterday-ish")
        await type_into(pilot, dialog.query_one("#purpose", Input), "Prices")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert error.display
        assert "yesterday-ish" in str(error.render())
        assert when.value == "yesterday-ish"
        assert dialog.query_one("#purpose", Input).value == "Prices"

        # readable but refused by the journal: in the future
        await type_into(pilot, when, "2099-01-01 10:00")
        assert not error.display  # typing clears the old message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "future" in str(error.render())
        assert when.value == "2099-01-01 10:00"

        await pilot.press("escape")
        assert app.screen is not dialog
        count = with_db(db_url, lambda s, a: len(journal.list_interactions(s, a).items))
        assert count == 3  # nothing was written

    run(db_url, tmp_path, scenario)


# -- the client picker ---------------------------------------------------------------------


def test_the_client_picker_completes_a_cyrillic_fragment(
    crm: tuple[str, dict[str, int]], tmp_path: Path
):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        dialog = await open_quick_log(app, pilot)
        picker = dialog.query_one(ClientPicker)
        picker.focus()
        picker.input.value = ""
        await pilot.press(*"опыт")
        await settle(pilot, wait=0.25)
        assert picker.is_open
        assert picker.matches.get_option_at_index(0).id == str(ids[ROGA])
        await pilot.press("enter")
        await settle(pilot)
        assert (picker.client_id, picker.value, picker.is_open) == (ids[ROGA], ROGA, False)
        assert app.focused is dialog.query_one("#contact", Select)

        # a fragment in the middle of a word, any case; Escape closes only the list
        picker.focus()
        picker.input.value = ""
        await pilot.press(*"МАШ")
        await settle(pilot, wait=0.25)
        assert picker.client_id is None and picker.is_open
        await pilot.press("escape")
        assert app.screen is dialog and not picker.is_open
        await pilot.press("down", "enter")  # Down opens the list again
        await settle(pilot)
        assert picker.client_id == ids[ROMASHKA]
        contact = dialog.query_one("#contact", Select)
        assert [value for _label, value in contact._options if value != Select.NULL] == [
            ids["sidorov"]
        ]

    run(db_url, tmp_path, scenario)


# -- the journal's filters -----------------------------------------------------------------------


def test_the_filters_change_the_rows(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, _ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_journal(app, pilot)
        status = screen.query_one("#status", Static)
        assert [r.client for r in rows(screen)] == [ROMASHKA, ROGA, ACME]  # newest first
        assert [r.user for r in rows(screen)][1] == "Petrov"

        await pilot.press("m")  # mine: not the rep's meeting
        await settle(pilot)
        assert [r.client for r in rows(screen)] == [ROMASHKA, ACME]
        assert "mine" in str(status.render())

        await pilot.press("k")  # calls only
        await settle(pilot)
        assert [(r.client, r.kind) for r in rows(screen)] == [(ACME, "call")]
        assert "call" in str(status.render())

        await pilot.press("m", "k")  # all again (admin has no department); meetings
        await settle(pilot)
        assert [r.client for r in rows(screen)] == [ROGA]

        await pilot.press("p")  # today: none of the entries
        await settle(pilot)
        assert rows(screen) == []
        assert str(status.render()) == "0 interactions · all I may see · meeting · today"

    run(db_url, tmp_path, scenario)


def test_enter_opens_the_client_of_the_entry(
    crm: tuple[str, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db_url, ids = crm
    card = stand_in(monkeypatch, "client_card", "ClientCardScreen")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await open_journal(app, pilot)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, card)
        assert app.screen.args == (ids[ROGA],)

    run(db_url, tmp_path, scenario)


def test_the_journal_of_one_client(crm: tuple[str, dict[str, int]], tmp_path: Path):
    db_url, ids = crm

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_journal(app, pilot)
        status = screen.query_one("#status", Static)
        picker = screen.query_one(ClientPicker)
        assert not screen.query_one("#client-bar").display  # hidden until asked for

        await pilot.press("c")  # picked by a fragment from the middle of its name
        assert app.focused is picker.input
        await pilot.press(*"маш")
        await settle(pilot, wait=0.25)
        await pilot.press("enter")
        await settle(pilot)
        assert [r.client for r in rows(screen)] == [ROMASHKA]
        assert str(status.render()).endswith("client: " + ROMASHKA)
        assert app.focused is screen.table
        assert screen.current_client_id == ids[ROMASHKA]

        await pilot.press("c")  # pressed again: every client
        await settle(pilot)
        assert len(rows(screen)) == 3
        await pilot.press("c", "escape")  # asked for and let go: nothing changes
        await settle(pilot)
        assert app.focused is screen.table and len(rows(screen)) == 3

    run(db_url, tmp_path, scenario)


def test_periods_start_at_local_midnight():
    i18n.use("ru", "Europe/Moscow")
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert period_start("all", wednesday) is None
    assert period_start("today", wednesday) == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    assert period_start("week", wednesday) == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # Monday
    assert period_start("month", wednesday) == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    i18n.use("en", "UTC")


# -- the service ------------------------------------------------------------------------------


def test_log_with_next_step_writes_both_or_neither(crm: tuple[str, dict[str, int]]):
    db_url, ids = crm
    db = Database(db_url)
    now = datetime.now(UTC)
    try:
        with db.read() as s:
            admin = org.actor_by_login(s, "admin")
        with pytest.raises(Invalid) as refused, db.write() as s:
            journal.log_with_next_step(
                s,
                admin,
                kind="call",
                client_id=ids[ACME],
                occurred_at=now,
                next_step=NextStep(title=" ", due_at=now - timedelta(days=1), kind="fax"),
            )
        assert set(refused.value.errors) == {"next_title", "next_due", "next_kind"}
        with db.write() as s:
            logged = journal.log_with_next_step(
                s, admin, kind="visit", client_id=ids[ACME], occurred_at=now
            )
        assert logged.task is None and logged.interaction.kind == "visit"
        with db.read() as s:
            assert len(journal.list_interactions(s, admin).items) == 4
            assert tasks.list_tasks(s, admin).items == []
    finally:
        db.dispose()
