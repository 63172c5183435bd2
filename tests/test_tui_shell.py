"""The TUI shell: the first-run screen, the trash, the language and the theme.

Pilot tests at 80x24 on a SQLite file of their own; each runs in a couple of seconds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from termcrm import i18n
from termcrm.app import TermCrmApp
from termcrm.screens.base import CrmModal
from termcrm.screens.first_run import FirstRunScreen
from termcrm.screens.language import LanguageScreen
from termcrm.screens.trash import TrashScreen
from termcrm.services import clients
from termcrm.widgets.dialogs import ConfirmDialog
from tui_helpers import TuiDb, replace_screen, rows, run_app, settle, tui_app

NAMES = ["Alpha Trading", "Beta Supplies", "Gamma Foods"]
pytestmark = pytest.mark.usefixtures("plain_settings")


@pytest.fixture
def empty_db(tui_db: TuiDb) -> str:
    return tui_db.url


@pytest.fixture
def db_with_clients(tui_db: TuiDb) -> str:
    with tui_db.db.write() as s:
        for name in NAMES:
            clients.create_client(s, tui_db.admin, {"name": name, "city": "Boston"})
    return tui_db.url


def app_on(db_url: str, tmp_path: Path) -> TermCrmApp:
    return tui_app(db_url, tmp_path / "ui.json")


def run(app: TermCrmApp, scenario: Callable[[Pilot[Any]], Awaitable[None]]) -> None:
    run_app(app, lambda _app, pilot: scenario(pilot))


def names_on(screen: Any) -> list[str]:
    return [r.name for r in rows(screen.table)]


# -- the first run -------------------------------------------------------------------------


def test_an_empty_database_greets_and_loads_demo_data(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(FirstRunScreen, "DEMO_CLIENTS", 12)
    app = app_on(empty_db, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, FirstRunScreen)
        choices = app.screen.query_one("#choices", OptionList)
        assert not choices.get_option("import").disabled
        await pilot.press("i")  # the import wizard (tests/test_tui_import.py); Esc leaves it
        await settle(pilot)
        assert type(app.screen).__name__ == "ImportWizard"
        await pilot.press("escape")
        assert isinstance(app.screen, FirstRunScreen)

        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        assert app.current_mode == "clients"
        assert app.screen.table.source.total == 12
        assert len(names_on(app.screen)) == 12

    run(app, scenario)


def test_the_language_switched_while_the_demo_loads(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The first-run screen closes with the switch; the demo still lands in the card file."""
    monkeypatch.setattr(FirstRunScreen, "DEMO_CLIENTS", 12)
    app = app_on(empty_db, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("d")
        app.switch_language("ru")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        assert app.screen.table.source.total == 12

    run(app, scenario)


def test_escape_leaves_the_first_run_screen_for_the_empty_card_file(empty_db: str, tmp_path: Path):
    app = app_on(empty_db, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        assert app.screen.table.source.total == 0

    run(app, scenario)


def test_a_database_with_clients_opens_on_the_card_file(db_with_clients: str, tmp_path: Path):
    app = app_on(db_with_clients, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        assert type(app.screen).__name__ == "ClientsScreen"
        assert names_on(app.screen) == NAMES

    run(app, scenario)


def test_the_first_client_is_created_from_the_first_run_screen(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """``n`` opens the client form; the new client is in the card file, its card open."""
    opened: list[int] = []

    class FakeForm(CrmModal[int | None]):
        def __init__(self, client_id: int | None) -> None:
            super().__init__()
            assert client_id is None  # a new client

        def on_mount(self) -> None:
            self.call(
                lambda s, a: clients.create_client(s, a, {"name": "First Client"}).id,
                self.dismiss,
                write=True,
            )

    replace_screen(monkeypatch, "client_form", "ClientFormScreen", FakeForm)
    app = app_on(empty_db, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, FirstRunScreen)
        card_file = app.get_screen_stack("clients")[0]
        monkeypatch.setattr(card_file, "open_card", opened.append)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is card_file
        assert names_on(card_file) == ["First Client"]
        assert opened == [card_file.table.current.id]

    run(app, scenario)


# -- the trash -----------------------------------------------------------------------------


def test_a_deleted_client_is_restored_from_the_trash(db_with_clients: str, tmp_path: Path):
    app = app_on(db_with_clients, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        card_file = app.screen
        assert card_file.table.current.name == "Alpha Trading"
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert names_on(card_file) == ["Beta Supplies", "Gamma Foods"]

        await pilot.press("7")
        await settle(pilot)
        trash = app.screen
        assert isinstance(trash, TrashScreen)
        assert names_on(trash) == ["Alpha Trading"]
        assert trash.table.current.deleted_at is not None

        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # changed their mind: still in the trash
        await settle(pilot)
        assert names_on(trash) == ["Alpha Trading"]

        await pilot.press("r", "y")
        await settle(pilot)
        assert names_on(trash) == []
        assert any("back in the card file" in n.message for n in app._notifications)

        await pilot.press("1")
        await settle(pilot)
        assert app.screen is card_file
        assert names_on(card_file) == NAMES

    run(app, scenario)


def test_the_trash_shows_clients_deleted_since_it_was_last_shown(
    db_with_clients: str, tmp_path: Path
):
    app = app_on(db_with_clients, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("7")
        await settle(pilot)
        assert names_on(app.screen) == []
        await pilot.press("1", "down", "d", "y")
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        assert names_on(app.screen) == ["Beta Supplies"]

    run(app, scenario)


# -- language and theme ------------------------------------------------------------------------


def test_switching_the_language_rebuilds_the_screens(db_with_clients: str, tmp_path: Path):
    app = app_on(db_with_clients, tmp_path)

    async def scenario(pilot: Pilot[None]) -> None:
        before = app.screen
        await pilot.press("f2")
        assert isinstance(app.screen, LanguageScreen)
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert app.screen is before and i18n.current() == "en"

        await pilot.press("f2", "down", "enter")
        await settle(pilot)
        assert i18n.current() == "ru"
        assert app.current_mode == "clients"
        assert type(app.screen).__name__ == "ClientsScreen"
        assert app.screen is not before  # built again, in Russian
        assert names_on(app.screen) == NAMES
        # the app's own keys survive the rebuild, the command palette's included
        assert {b.action for _key, b in app._bindings} >= {"command_palette", "language"}

        await pilot.press("7")  # and the other sections are built in Russian too
        await settle(pilot)
        assert isinstance(app.screen, TrashScreen)

    run(app, scenario)


def test_the_chosen_theme_is_remembered(db_with_clients: str, tmp_path: Path):
    app = app_on(db_with_clients, tmp_path)

    async def choose(pilot: Pilot[None]) -> None:
        app.theme = "nord"
        await pilot.pause()

    run(app, choose)
    assert json.loads((tmp_path / "ui.json").read_text(encoding="utf-8"))["theme"] == "nord"

    again = app_on(db_with_clients, tmp_path)

    async def check(pilot: Pilot[None]) -> None:
        assert again.theme == "nord"

    run(again, check)
