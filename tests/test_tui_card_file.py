"""The card file as a user types: search by Cyrillic and Chinese fragments, sort, scope;
and keys remapped in the config file."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import tui_data
from termcrm.app import TermCrmApp, make_app
from termcrm.config import load_settings
from termcrm.services import client_lists, clients
from termcrm.services.backend import Backend, Connection
from termcrm.store.engine import Database
from termcrm.ui_state import UiState
from tui_helpers import TuiDb, rows, run_app, settle, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")


@pytest.fixture
def world(tui_db: TuiDb) -> TuiDb:
    # tui_data makes its own admin: start from a database without one
    tui_data.build(tui_db.db)
    return tui_db


def world_ids(app: TermCrmApp) -> dict[str, int]:
    page = app.backend.call(lambda s, a: client_lists.list_clients(s, a))
    return {r.name: r.id for r in page.items}


def names(app: TermCrmApp) -> list[str]:
    return [r.name for r in rows(app.screen.query_one("#clients"))]


async def search(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("slash")
    search_box = pilot.app.screen.query_one("#search")
    search_box.value = text  # type: ignore[attr-defined]
    await settle(pilot, wait=0.3)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("ромаш", {"ООО «Ромашка»", "Ромашка Тверь"}),
        ("РОМАШ", {"ООО «Ромашка»", "Ромашка Тверь"}),  # any case
        ("科技", {"北京科技有限公司"}),  # two Chinese characters
        ("上海贸易", {"上海贸易公司"}),
        ("сидоров", {"ООО «Ромашка»"}),  # a contact person's name finds the client
        ("495 123", {"ООО «Ромашка»"}),  # phone digits
    ],
)
def test_typing_finds_clients_by_any_fragment(world: TuiDb, fragment: str, expected: set[str]):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        assert len(names(app)) == len(tui_data.CLIENTS) + 1  # the branch too
        await search(pilot, fragment)
        assert set(names(app)) == expected
        status = str(app.screen.query_one("#status", Static).render())
        assert fragment in status
        await pilot.press("escape")  # back to the whole card file
        await settle(pilot, wait=0.3)
        assert len(names(app)) == len(tui_data.CLIENTS) + 1

    run_app(tui_app(world.url, world.state), scenario)


def test_enter_on_a_found_client_opens_its_card(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await search(pilot, "globex")
        await pilot.press("enter")  # the search box: apply, go to the list
        await pilot.press("enter")  # the list: open
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        assert app.screen.client_id == world_ids(app)["Globex Corporation"]

    run_app(tui_app(world.url, world.state), scenario)


def test_sort_and_scope_keys(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        by_name = names(app)
        assert by_name == sorted(by_name, key=str.casefold)
        await pilot.press("o")  # by group
        await settle(pilot)
        groups = [r.group for r in rows(app.screen.query_one("#clients"))]
        assert groups == sorted(groups)
        await pilot.press("m")  # mine: the admin owns four
        await settle(pilot)
        owned = {name for name, *_rest, owner, _inn in tui_data.CLIENTS if owner == "admin"}
        assert set(names(app)) == owned

    run_app(tui_app(world.url, world.state), scenario)


def test_keys_are_remapped_from_the_config_file(world: TuiDb, tmp_path, monkeypatch):
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\nquick_log = "ctrl+l"\n"clients.filter" = "F"\nnonsense = "x"\n')
    monkeypatch.setenv("TERMCRM_CONFIG", str(config))
    settings = load_settings(world.url)
    assert settings.keys["quick_log"] == "ctrl+l"
    app = make_app(settings=settings, login="admin", state_path=world.state)

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        warnings = [n.message for n in app._notifications]
        assert any("nonsense" in w for w in warnings)
        await pilot.press("l")  # no longer the quick log
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert type(app.screen).__name__ == "QuickLogScreen"
        await pilot.press("escape")
        await pilot.press("F")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientFilterScreen"

    run_app(app, scenario)


def test_the_card_file_opens_on_the_page_last_seen_then_shows_the_live_one(world: TuiDb):
    async def first_session(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        assert "Globex Corporation" in names(app)

    run_app(tui_app(world.url, world.state), first_session)
    assert world.state.stat().st_mode & 0o077 == 0  # it holds client names: private
    # meanwhile a colleague moves a client to the trash
    with world.db.write() as s:
        globex = next(
            r for r in client_lists.list_clients(s, world.admin).items if r.name.startswith("Glo")
        )
        clients.delete_client(s, world.admin, globex.id)

    async def second_session(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        # before the database is even open: what the user saw last time
        assert "Globex Corporation" in names(app)
        assert "Connecting" in str(app.screen.query_one("#status", Static).render())
        await settle(pilot)
        assert "Globex Corporation" not in names(app)  # the live list took over
        assert "Connecting" not in str(app.screen.query_one("#status", Static).render())

    class SlowBackend(Backend):  # a database far away: the app must not wait for it
        def connect(self) -> Connection:
            time.sleep(0.5)
            return super().connect()

    settings = load_settings(world.url)
    slow = TermCrmApp(
        settings, SlowBackend(settings, login="admin"), login="admin", ui_state=UiState(world.state)
    )
    run_app(slow, second_session, settled=False)


def test_the_card_file_on_both_databases(db_url: str, backend: str, tmp_path):
    """The same flow on SQLite and on the team's PostgreSQL: list, search, open a card."""
    db = Database(db_url)
    try:
        tui_data.build(db)
    finally:
        db.dispose()

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        assert len(names(app)) == len(tui_data.CLIENTS) + 1
        await search(pilot, "科技")
        assert names(app) == ["北京科技有限公司"]
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"

    run_app(tui_app(db_url, tmp_path / "ui.json"), scenario)


def test_the_palette_lists_every_action_once_with_its_key(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+p")
        await settle(pilot)
        below = app.screen_stack[-2]
        commands = list(app.get_system_commands(below))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles))
        for wanted in ("Log", "Clients", "Journal", "Search", "Filter", "Theme", "Quit"):
            assert wanted in titles
        assert "Copy selected text" not in titles  # Textual's own, not termcrm's
        log = next(c for c in commands if c.title == "Log")
        assert log.help == "Key: l"

    run_app(tui_app(world.url, world.state), scenario)


def test_escape_in_the_quick_log_asks_before_throwing_typed_text_away(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#purpose").value = "Price list"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")  # keep editing
        await settle(pilot)
        assert app.screen.query_one("#purpose").value == "Price list"  # type: ignore[attr-defined]

    run_app(tui_app(world.url, world.state), scenario)


def test_down_in_the_search_box_goes_to_the_results(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await search(pilot, "科技")
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.focused is app.screen.query_one("#clients")
        await pilot.press("d")  # the list's key now, not a letter typed into the box
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"

    run_app(tui_app(world.url, world.state), scenario)


def test_the_mouse_sorts_by_a_title_and_opens_a_row(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        table = app.screen.query_one("#clients")
        group_x = next(  # where the Group title starts
            sum(w + 1 for w in table._widths[:i])
            for i, c in enumerate(table.columns)
            if c.key == "group"
        )
        await pilot.click("#clients", offset=(group_x + 1, 0))
        await settle(pilot)
        groups = [r.group for r in rows(table)]
        assert groups == sorted(groups) and app.screen.sort == "group"
        await pilot.click("#clients", offset=(2, 3))  # the third row
        await settle(pilot)
        assert table.cursor == 2
        third = table.current
        await pilot.click("#clients", offset=(2, 3), times=2)
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        assert app.screen.client_id == third.id

    run_app(tui_app(world.url, world.state), scenario)


def test_a_language_switch_keeps_the_search_filter_and_sort(world: TuiDb):
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("o")  # by group
        await settle(pilot)
        await search(pilot, "ром")
        found = set(names(app))
        app.switch_language("ru")
        await settle(pilot, wait=0.3)
        screen = app.screen
        assert type(screen).__name__ == "ClientsScreen"
        assert screen.query_one("#search").value == "ром"  # type: ignore[attr-defined]
        assert set(names(app)) == found
        assert screen.sort == "group"  # type: ignore[attr-defined]
        assert "найдено" in str(screen.query_one("#status", Static).render()).lower()

    run_app(tui_app(world.url, world.state), scenario)
