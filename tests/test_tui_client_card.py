"""The client card: header, tabs, branches, and the actions that leave and come back.

Pilot tests on a real SQLite file at 80x24. The screens the card opens (the
client and contact forms, the contact card, the quick log) are stood in for by
small screens, so that these tests check the card alone: what it pushes, with
which ids, and that it reads itself again when they close.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static, TabbedContent

from termcrm.app import TermCrmApp, make_app
from termcrm.config import Settings
from termcrm.screens.client_card import ClientCardScreen
from termcrm.services import clients, contacts, custom_fields, deals, journal, tasks
from termcrm.services.errors import NotFound
from termcrm.widgets.dialogs import ConfirmDialog, ErrorDialog
from tui_helpers import Scenario, Stand, TuiDb, run_app, settle, stand_in
from tui_helpers import rows as table_rows


@dataclass
class World(TuiDb):
    parent_id: int
    branch_id: int
    contact_id: int


@pytest.fixture
def world(tui_db: TuiDb) -> World:
    """A parent client with everything on it, and one branch."""
    admin = tui_db.admin
    with tui_db.db.write() as s:
        custom_fields.define_field(s, admin, key="segment", kind="text", label="Segment")
        parent = clients.create_client(
            s,
            admin,
            {
                "name": "Ромашка Holding",
                "legal_name": "ООО «Ромашка»",
                "tax_id": "7707083893",
                "group": "wholesale",
                "status": "active",
                "industry": "Paper",
                "territory": "Center",
                "city": "Москва",
                "source": "fair",
                "website": "romashka.example",
                "bank_details": "BIC 044525225\nAccount 40702810900000000001",
                "business_info": "Ten stores in Moscow",
                "tags": ["key"],
                "custom": {"segment": "retail chains"},
                "phones": ["+7 495 123-45-67"],
                "emails": ["office@romashka.example"],
                "addresses": [{"kind": "legal", "city": "Москва", "line": "Тверская, 1"}],
            },
        )
        branch = clients.create_client(
            s, admin, {"name": "Ромашка Kazan branch", "city": "Казань", "parent_id": parent.id}
        )
        contact = contacts.create_contact(
            s, admin, parent.id, {"full_name": "Anna Lebedeva", "position": "buyer"}
        )
        journal.log_interaction(
            s,
            admin,
            kind="call",
            client_id=parent.id,
            contact_id=contact.id,
            occurred_at=datetime.now(UTC) - timedelta(days=2),
            purpose="price list",
            result="asked for a quote",
        )
        tasks.add_task(
            s,
            admin,
            title="Send the quote",
            due_at=datetime.now(UTC) + timedelta(days=3),
            client_id=parent.id,
        )
        deals.add_deal(s, admin, title="Spring order", client_id=parent.id, amount="125000")
    return World(**vars(tui_db), parent_id=parent.id, branch_id=branch.id, contact_id=contact.id)


def app_for(world: World) -> TermCrmApp:
    settings = Settings(database_url=world.url, locale="en", phone_region="RU", timezone="UTC")
    app = make_app(settings=settings, login="admin", state_path=world.state)
    app.animation_level = "none"  # tab switches without the underline sliding: faster tests
    return app


def run(world: World, body: Scenario) -> None:
    run_app(app_for(world), body)


async def open_card(app: TermCrmApp, pilot: Pilot[None], client_id: int) -> ClientCardScreen:
    await app.push_screen(ClientCardScreen(client_id))
    await settle(pilot)
    assert isinstance(app.screen, ClientCardScreen)
    return app.screen


def text_of(screen: Screen[Any], selector: str) -> str:
    """What a Static shows, all of it (also the part scrolled out of view)."""
    widget = screen.query_one(selector, Static)
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=widget.size.width or 78, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


def rows(card: ClientCardScreen, key: str) -> list[Any]:
    return table_rows(card.table(key))


def tab_label(card: ClientCardScreen, key: str) -> str:
    return card.query_one(TabbedContent).get_tab(key).label.plain


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[Stand]]:
    """Stand-ins for the forms, the contact card and the quick log."""
    return {
        name: stand_in(monkeypatch, module, name)
        for module, name in (
            ("client_form", "ClientFormScreen"),
            ("contact_form", "ContactFormScreen"),
            ("contact_card", "ContactCardScreen"),
            ("quick_log", "QuickLogScreen"),
        )
    }


def test_header_and_every_tab(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.parent_id)
        head = text_of(card, "#card-header")
        for fact in (
            "Ромашка Holding",
            "company",
            "active",
            "wholesale",
            "Москва",
            "Owner: admin",
            "7707083893",
            "Next task:",
            "Send the quote",
            "v1",
        ):
            assert fact in head, fact
        assert "Last contact: —" not in head  # the call two days ago

        text = text_of(card, "#overview-text")
        for fact in (
            "ООО «Ромашка»",
            "Тверская, 1",
            "+7 495 123-45-67",
            "office@romashka.example",
            "BIC 044525225",
            "Account 40702810900000000001",
            "Ten stores in Moscow",
            "Paper",
            "Center",
            "fair",
            "romashka.example",
            "key",
            "Segment",
            "retail chains",
        ):
            assert fact in text, fact

        assert [r.name for r in rows(card, "branches")] == ["Ромашка Kazan branch"]
        assert [c.full_name for c in rows(card, "contacts")] == ["Anna Lebedeva"]
        entries = rows(card, "journal")
        assert [(i.purpose, i.contact) for i in entries] == [("price list", "Anna Lebedeva")]
        assert [t.title for t in rows(card, "tasks")] == ["Send the quote"]
        assert [d.title for d in rows(card, "deals")] == ["Spring order"]
        assert tab_label(card, "contacts") == "Contacts (1)"
        assert tab_label(card, "journal") == "Journal (1)"

        # right / left walk the tabs, and the list of each tab gets the keys
        tabs = card.query_one(TabbedContent)
        await pilot.press("right", "right")
        assert tabs.active == "contacts"
        assert app.focused is card.table("contacts")
        await pilot.press("left", "left", "left")
        assert tabs.active == "deals"
        await pilot.press("tab")
        assert tabs.active == "overview"
        # the section keys stay the app's; `l` logs for this client
        assert card.active_bindings["2"].binding.action == "section('contacts')"
        assert card.current_client_id == world.parent_id

    run(world, body)


def test_branches_are_navigable(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        parent = await open_card(app, pilot, world.parent_id)
        await pilot.press("right")
        assert app.focused is parent.table("branches")
        await pilot.press("enter")
        await settle(pilot)
        branch = app.screen
        assert isinstance(branch, ClientCardScreen) and branch.client_id == world.branch_id
        head = text_of(branch, "#card-header")
        assert "Ромашка Kazan branch" in head and "Branch of: Ромашка Holding" in head
        parent_row = rows(branch, "branches")
        assert [r.id for r in parent_row] == [world.parent_id]
        relation = branch.table("branches").columns[0]
        assert relation.text(parent_row[0]) == "parent"
        # and back up the chain: the parent's card from the branch's
        branch.query_one(TabbedContent).active = "branches"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.parent_id
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is parent

    run(world, body)


def test_enter_in_the_card_file_opens_the_card(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await pilot.press("enter")  # the first client by name: the parent
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.parent_id
        assert "Ромашка Holding" in text_of(app.screen, "#card-header")
        await pilot.press("escape")
        assert type(app.screen).__name__ == "ClientsScreen"

    run(world, body)


def test_edit_add_contact_and_log_come_back_to_a_fresh_card(
    world: World, stand_ins: dict[str, type[Stand]]
) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.parent_id)

        await pilot.press("e")
        form = app.screen
        assert isinstance(form, stand_ins["ClientFormScreen"])
        assert form.args == (world.parent_id,)
        with world.db.write() as s:
            clients.update_client(
                s, world.admin, world.parent_id, version=1, changes={"name": "Ромашка Group"}
            )
        form.done(world.parent_id)
        await settle(pilot)
        assert app.screen is card
        head = text_of(card, "#card-header")
        assert "Ромашка Group" in head and "v2" in head

        await pilot.press("a")
        contact_form = app.screen
        assert isinstance(contact_form, stand_ins["ContactFormScreen"])
        assert contact_form.args[0] == world.parent_id
        with world.db.write() as s:
            new = contacts.create_contact(s, world.admin, world.parent_id, {"full_name": "Boris"})
        contact_form.done(new.id)
        await settle(pilot)
        assert card.query_one(TabbedContent).active == "contacts"
        assert [c.full_name for c in rows(card, "contacts")] == ["Anna Lebedeva", "Boris"]
        assert tab_label(card, "contacts") == "Contacts (2)"

        await pilot.press("enter")  # on Anna
        assert isinstance(app.screen, stand_ins["ContactCardScreen"])
        assert app.screen.args == (world.contact_id,)
        app.pop_screen()
        await settle(pilot)

        await pilot.press("l")
        quick = app.screen
        assert isinstance(quick, stand_ins["QuickLogScreen"])
        assert quick.args == (world.parent_id, None)  # the client, no contact
        with world.db.write() as s:
            journal.log_interaction(
                s, world.admin, kind="meeting", client_id=world.parent_id, purpose="visit"
            )
        quick.done(None)
        await settle(pilot)
        assert [i.purpose for i in rows(card, "journal")] == ["visit", "price list"]

    run(world, body)


def test_delete_asks_then_closes_the_card(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await open_card(app, pilot, world.parent_id)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("d", "y")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        with world.db.read() as s, pytest.raises(NotFound):
            clients.get_client(s, world.admin, world.parent_id)

    run(world, body)


def test_delete_of_a_changed_client_is_refused_and_the_card_reloads(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.parent_id)
        with world.db.write() as s:
            clients.update_client(
                s, world.admin, world.parent_id, version=1, changes={"city": "Тверь"}
            )
        await pilot.press("d", "y")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "was changed" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card
        assert "Тверь" in text_of(card, "#card-header")
        with world.db.read() as s:
            assert clients.get_client(s, world.admin, world.parent_id).deleted_at is None

    run(world, body)


def test_a_missing_client_shows_why_and_leaves(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await app.push_screen(ClientCardScreen(987654))
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "987654" in app.screen.message
        assert not any(isinstance(s, ClientCardScreen) for s in app.screen_stack)

    run(world, body)


def test_journal_pages_and_reload(world: World) -> None:
    with world.db.write() as s:
        start = datetime.now(UTC) - timedelta(days=100)
        for n in range(60):
            journal.log_interaction(
                s,
                world.admin,
                kind="email",
                client_id=world.parent_id,
                occurred_at=start + timedelta(hours=n),
                purpose=f"mail {n}",
            )

    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.parent_id)
        assert tab_label(card, "journal") == "Journal (50+)"
        card.query_one(TabbedContent).active = "journal"
        await pilot.pause()
        first = card.table("journal").current
        assert first is not None and first.purpose == "price list"  # newest first
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert tab_label(card, "journal") == "Journal (61)"
        last = card.table("journal").current
        assert last is not None and last.purpose == "mail 0"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert card.table("journal").cursor == 60  # where it was

    run(world, body)


def test_loading_shows_until_the_data_arrives(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = ClientCardScreen(world.parent_id)
        await app.push_screen(card)
        assert "Loading" in text_of(card, "#card-header")
        assert card.table("contacts").empty_text.startswith("Loading")
        await settle(pilot)
        assert "Ромашка Holding" in text_of(card, "#card-header")

    run(world, body)
