"""Contact persons in the TUI: the section, the card with its history, the form.

Pilot tests on a SQLite copy of the migrated template, at 80x24.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from termcrm.app import TermCrmApp
from termcrm.screens.contact_card import ContactCardScreen
from termcrm.screens.contact_form import ContactFormScreen, parse_birthday
from termcrm.screens.contacts import ContactsScreen
from termcrm.services import clients, contacts, journal, org
from termcrm.services.actor import Actor
from termcrm.services.dto import ContactOut
from termcrm.store.engine import Database
from termcrm.widgets.conflict_dialog import ConflictDialog
from termcrm.widgets.dialogs import ConfirmDialog
from tui_helpers import Scenario, TuiDb, run_app, settle, tui_app

LOGIN = "admin"


@pytest.fixture
def db(tui_db: TuiDb) -> Database:
    """The test's own SQLite database (not the parametrised one of conftest)."""
    return tui_db.db


@pytest.fixture
def admin(tui_db: TuiDb) -> Actor:
    return tui_db.admin


@pytest.fixture
def client_id(db: Database, admin: Actor) -> int:
    with db.write() as s:
        return clients.create_client(s, admin, {"name": "ООО «Ромашка»"}).id


def run(tui_db: TuiDb, scenario: Scenario) -> None:
    run_app(tui_app(tui_db.url, tui_db.state, login=LOGIN), scenario)


def texts(screen: Any) -> dict[str, str]:
    values: dict[str, str] = screen.values()
    return values


def error_of(screen: Any, field: str) -> str:
    widget = screen.query_one(f"#error-{field}", Static)
    return "" if widget.has_class("-empty") else str(widget.render())


# -- the form ---------------------------------------------------------------------------------


def test_add_contact_through_form(
    db: Database, tui_db: TuiDb, admin: Actor, client_id: int
) -> None:
    results: list[int | None] = []

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await app.push_screen(ContactFormScreen(client_id), results.append)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactFormScreen)
        assert "Ромашка" in str(form.query_one("#title", Label).render())
        form.query_one("#field-full_name", Input).value = "Петров Пётр"
        form.query_one("#field-position", Input).value = "Закупщик"
        form.query_one("#field-phones", Input).value = "+7 495 123-45-67"
        form.query_one("#field-emails", Input).value = "petrov@@romashka"
        form.query_one("#field-birthday", Input).value = "not a day"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # the unparseable birthday is caught in the form, before any service call
        assert "not a date" in error_of(form, "birthday")
        assert app.focused is form.query_one("#field-birthday", Input)
        form.query_one("#field-birthday", Input).value = "1980-03-07"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # the service refused the email: the message under the field, the text kept
        assert app.screen is form and not results
        assert "petrov@@romashka" in error_of(form, "emails")
        assert error_of(form, "birthday") == ""
        assert texts(form)["emails"] == "petrov@@romashka"
        assert texts(form)["full_name"] == "Петров Пётр"
        assert app.focused is form.query_one("#field-emails", Input)
        form.query_one("#field-emails", Input).value = "petrov@romashka.ru"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results and results[0] is not None
        assert not isinstance(app.screen, ContactFormScreen)

    run(tui_db, scenario)
    with db.read() as s:
        made = contacts.get_contact(s, admin, results[0] or 0)
    assert made.full_name == "Петров Пётр" and made.client_id == client_id
    assert [e.address for e in made.emails] == ["petrov@romashka.ru"]
    assert made.birthday == date(1980, 3, 7)
    assert made.phones[0].e164 == "+74951234567"


async def conflict(
    app: TermCrmApp,
    pilot: Pilot[Any],
    db: Database,
    contact: ContactOut,
    by: Actor,
    theirs: dict[str, str],
    position: str,
) -> tuple[ContactFormScreen, ConflictDialog]:
    """The form of ``contact`` open, ``by`` saves ``theirs`` meanwhile, the form saves
    ``position``: the form and the conflict dialog over it."""
    await app.push_screen(ContactFormScreen(contact.client_id, contact.id))
    await settle(pilot)
    form = app.screen
    assert isinstance(form, ContactFormScreen)
    with db.write() as s:  # somebody else saves first
        contacts.update_contact(s, by, contact.id, version=contact.version, changes=theirs)
    form.query_one("#field-position", Input).value = position
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, ConflictDialog)
    return form, app.screen


def test_edit_conflict_shows_their_change_and_reloads(
    db: Database, tui_db: TuiDb, admin: Actor, client_id: int
) -> None:
    with db.write() as s:
        contact = contacts.create_contact(
            s, admin, client_id, {"full_name": "Иванова Анна", "position": "Бухгалтер"}
        )
        org.add_user(s, admin, "boris", role="admin", department=None, full_name="Борис")
        other = org.actor_by_login(s, "boris")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, dialog = await conflict(
            app, pilot, db, contact, other, {"notes": "VIP"}, "Главный бухгалтер"
        )
        assert form.original["position"] == "Бухгалтер"
        assert dialog.texts is not None and "VIP" in str(dialog.texts.describe())
        await pilot.press("k")  # keep editing: my position stays, their notes come in
        await settle(pilot)
        assert app.screen is form
        assert texts(form)["position"] == "Главный бухгалтер"
        assert texts(form)["notes"] == "VIP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form

    run(tui_db, scenario)
    with db.read() as s:
        saved = contacts.get_contact(s, admin, contact.id)
    assert (saved.position, saved.notes) == ("Главный бухгалтер", "VIP")


def test_conflict_reload_takes_their_version(
    db: Database, tui_db: TuiDb, admin: Actor, client_id: int
) -> None:
    with db.write() as s:
        contact = contacts.create_contact(s, admin, client_id, {"full_name": "Сидоров Олег"})

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, _dialog = await conflict(app, pilot, db, contact, admin, {"position": "CEO"}, "CFO")
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is form and texts(form)["position"] == "CEO"

    run(tui_db, scenario)
    with db.read() as s:
        assert contacts.get_contact(s, admin, contact.id).position == "CEO"


def test_conflict_escape_keeps_editing(
    db: Database, tui_db: TuiDb, admin: Actor, client_id: int
) -> None:
    """In the contact form, Escape in the conflict dialog keeps what was typed (like k)."""
    with db.write() as s:
        contact = contacts.create_contact(s, admin, client_id, {"full_name": "Сидоров Олег"})

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, _dialog = await conflict(app, pilot, db, contact, admin, {"notes": "VIP"}, "CFO")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form
        assert (texts(form)["position"], texts(form)["notes"]) == ("CFO", "VIP")

    run(tui_db, scenario)


# -- the section, the card -----------------------------------------------------------------------


@pytest.fixture
def petrov(db: Database, admin: Actor, client_id: int) -> int:
    """Two contact persons of the client; one call logged with Petrov, one email with nobody."""
    with db.write() as s:
        person = contacts.create_contact(
            s,
            admin,
            client_id,
            {"full_name": "Петров Пётр", "position": "Закупщик", "birthday": date(1980, 3, 7)},
        )
        contacts.create_contact(s, admin, client_id, {"full_name": "Андреев Андрей"})
        journal.log_interaction(
            s,
            admin,
            kind="call",
            client_id=client_id,
            contact_id=person.id,
            occurred_at=datetime.now(UTC) - timedelta(days=1),
            purpose="Обсудили поставку",
        )
        journal.log_interaction(s, admin, kind="email", client_id=client_id, purpose="Без контакта")
    return person.id


def test_section_search_and_card_history(tui_db: TuiDb, client_id: int, petrov: int) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        section = app.screen
        assert isinstance(section, ContactsScreen)
        table = section.table
        assert table.source is not None and table.source.total == 2
        assert [table.source.get(i).full_name for i in range(2)] == [  # type: ignore[union-attr]
            "Андреев Андрей",
            "Петров Пётр",
        ]
        assert section.current_client_id == client_id
        # the search box narrows by name, case-insensitively
        await pilot.press("slash")
        assert app.focused is section.query_one("#search", Input)
        section.query_one("#search", Input).value = "ПЁТР"
        await pilot.press("enter")
        await settle(pilot)
        assert table.source.total == 1
        assert table.current is not None and table.current.id == petrov
        assert app.focused is table
        # the card: details and the history of interactions with this person only
        await pilot.press("enter")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ContactCardScreen)
        assert str(card.query_one("#title", Label).render()) == "Петров Пётр"
        facts = str(card.query_one("#facts", Static).render())
        assert "Закупщик" in facts and "Ромашка" in facts
        assert card.current_client_id == client_id
        history = card.table
        assert history.source is not None and history.source.total == 1
        assert history.current is not None and history.current.purpose == "Обсудили поставку"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is section

    run(tui_db, scenario)


def test_card_edit_and_delete(db: Database, tui_db: TuiDb, admin: Actor, petrov: int) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        below = app.screen
        await app.push_screen(ContactCardScreen(petrov))
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ContactCardScreen)
        # edit from the card; back on the card with the change
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactFormScreen)
        assert texts(form)["birthday"]  # shown in the locale's form, parsed back unchanged
        form.query_one("#field-position", Input).value = "Директор по закупкам"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        assert "Директор по закупкам" in str(card.query_one("#facts", Static).render())
        # delete, confirmed: the card closes
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is below

    run(tui_db, scenario)
    with db.read() as s:
        gone = contacts.get_contact(s, admin, petrov)
    assert gone.deleted_at is not None
    assert gone.position == "Директор по закупкам" and gone.birthday == date(1980, 3, 7)


# -- the service's text filter -------------------------------------------------------------------


def test_list_contacts_text_is_casefolded_and_paged(db_url: str) -> None:
    """On both databases: case folds the same way (Cyrillic too), pages continue."""
    db = Database(db_url)
    with db.write() as s:
        admin = org.resolve_actor(s, LOGIN)
        client_id = clients.create_client(s, admin, {"name": "Alpha"}).id
        other = clients.create_client(s, admin, {"name": "Beta"}).id
        for i in range(7):
            contacts.create_contact(s, admin, client_id, {"full_name": f"ИВАНОВ Иван {i}"})
        contacts.create_contact(s, admin, other, {"full_name": "Ivan Petrov"})
        contacts.create_contact(s, admin, other, {"full_name": "张伟"})
    with db.read() as s:
        seen: list[str] = []
        after = None
        while True:
            page = contacts.list_contacts(s, admin, text="иванов", after=after, limit=3)
            seen += [c.full_name for c in page.items]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == [f"ИВАНОВ Иван {i}" for i in range(7)]
        assert [c.full_name for c in contacts.list_contacts(s, admin, text="IVAN").items] == [
            "Ivan Petrov"
        ]
        assert [c.full_name for c in contacts.list_contacts(s, admin, text="伟").items] == ["张伟"]
        assert contacts.list_contacts(s, admin, text="иван 3").items[0].full_name.endswith("3")
        assert not contacts.list_contacts(s, admin, client_id=other, text="иванов").items
        assert contacts.count_contacts(s, admin) == 9
        assert contacts.count_contacts(s, admin, client_id=other) == 2
    db.dispose()


def test_parse_birthday() -> None:
    assert parse_birthday("") is None
    assert parse_birthday(" 1980-03-07 ") == date(1980, 3, 7)
    with pytest.raises(ValueError):
        parse_birthday("12:30")
    with pytest.raises(ValueError):
        parse_birthday("yesterday")
