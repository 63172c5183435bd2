"""The pipeline settings screen driven like a user at 80x24 on real SQLite: add a stage,
rename it (its deal stays in it, with its history), move it, delete it; a stage with
deals is not deleted (the service's reason is shown); add, rename, make default and
delete a pipeline; a rep (or a manager) gets a read-only screen that says why; and
snapshots at 80x24 and 120x40.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm.app import TermCrmApp, make_app
from termcrm.config import load_settings
from termcrm.screens.pipelines import PipelineDialog, PipelineSettings, StageDialog
from termcrm.services import clients, deals, org, pipelines
from termcrm.services.dto import PipelineOut
from termcrm.store import migrate
from termcrm.store.engine import Database
from termcrm.widgets.dialogs import ConfirmDialog, ErrorDialog
from tui_helpers import TuiDb, rows, run_app, settle, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def seed(db: Database, admin: Any) -> dict[str, int]:
    """A rep and a manager, a client of the rep's with two deals (in Lead and Proposal)."""
    with db.write() as s:
        org.add_department(s, admin, "North")
        rep = org.add_user(s, admin, "rep", role="rep", department="North", full_name="Rep")
        org.add_user(s, admin, "mgr", role="manager", department="North", full_name="Mgr")
        client = clients.create_client(s, admin, {"name": "Acme", "owner_id": rep.id}).id
        lead = deals.add_deal(s, admin, title="In lead", client_id=client, amount=100).id
        proposal = deals.add_deal(
            s, admin, title="In proposal", client_id=client, amount=900, stage="Proposal"
        ).id
    return {"rep": rep.id, "client": client, "lead": lead, "proposal": proposal}


@pytest.fixture
def setup(tui_db: TuiDb) -> tuple[TuiDb, dict[str, int]]:
    return tui_db, seed(tui_db.db, tui_db.admin)


def listed(db: Database) -> list[PipelineOut]:
    with db.write() as s:
        return pipelines.list_pipelines(s, org.actor_by_login(s, "admin"))


def stage_names(db: Database, index: int = 0) -> list[str]:
    return [st.name for st in listed(db)[index].stages]


async def open_settings(pilot: Pilot[Any]) -> PipelineSettings:
    screen = PipelineSettings()
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def put_cursor(pilot: Pilot[Any], screen: PipelineSettings, stage: str) -> None:
    table = screen.stages_table
    table.focus()
    await pilot.pause()
    table.cursor = [st.name for st in rows(table)].index(stage)
    await pilot.pause()


def test_a_stage_is_added_renamed_moved_and_deleted(setup: tuple[TuiDb, dict[str, int]]) -> None:
    tui_db, ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_settings(pilot)
        assert [p.name for p in rows(screen.pipelines_table)] == ["Sales"]
        assert [st.name for st in rows(screen.stages_table)][:2] == ["Lead", "Qualification"]
        assert "Read-only" not in str(screen.query_one("#ps-status", Static).content)

        # add: n on the stages opens the stage dialog
        await pilot.press("tab")
        assert app.focused is screen.stages_table
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StageDialog)
        dialog.query_one("#pd-name", Input).value = "Demo"
        dialog.query_one("#pd-probability", Input).value = "abc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(dialog.query_one("#pd-error", Static).content)
        assert "whole number of percent from 0 to 100" in error and app.screen is dialog
        dialog.query_one("#pd-probability", Input).value = "55"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        names = stage_names(tui_db.db)
        assert names == ["Lead", "Qualification", "Proposal", "Negotiation", "Demo", "Won", "Lost"]
        assert screen.stage is not None and screen.stage.name == "Demo"  # the cursor on it

        # rename it, with a deal in it: the deal stays, its history too
        with tui_db.db.write() as s:
            d = deals.get_deal(s, tui_db.admin, ids["lead"])
            deals.move_deal(s, tui_db.admin, d.id, version=d.version, stage="Demo")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StageDialog)
        assert dialog.query_one("#pd-probability", Input).value == "55"
        dialog.query_one("#pd-name", Input).value = "Demo done"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Demo done" in stage_names(tui_db.db)
        with tui_db.db.read() as s:
            deal = deals.get_deal(s, tui_db.admin, ids["lead"])
            history = deals.stage_history(s, tui_db.admin, ids["lead"])
        assert deal.stage == "Demo done"
        assert [h.to_stage for h in history][-1] == "Demo done"
        assert screen.stage is not None and screen.stage.deals == 1

        # move it up twice (shift+up), then down once (j)
        await pilot.press("shift+up")
        await settle(pilot)
        await pilot.press("shift+up")
        await settle(pilot)
        assert stage_names(tui_db.db)[:4] == ["Lead", "Qualification", "Demo done", "Proposal"]
        await pilot.press("j")
        await settle(pilot)
        assert stage_names(tui_db.db)[:4] == ["Lead", "Qualification", "Proposal", "Demo done"]
        assert screen.stage is not None and screen.stage.name == "Demo done"
        # an open stage cannot go below the won one: the service's reason
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "open stages come before won and lost ones" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)

        # delete it while the deal is in it: refused with the reason
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "still has 1 deal" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert "Demo done" in stage_names(tui_db.db)
        # moved out, it goes
        with tui_db.db.write() as s:
            d = deals.get_deal(s, tui_db.admin, ids["lead"])
            deals.move_deal(s, tui_db.admin, d.id, version=d.version, stage="Lead")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await put_cursor(pilot, screen, "Demo done")
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Demo done" not in stage_names(tui_db.db)

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


def test_a_pipeline_is_added_renamed_made_default_and_deleted(
    setup: tuple[TuiDb, dict[str, int]],
) -> None:
    tui_db, _ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_settings(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PipelineDialog)
        app.screen.query_one("#pd-name", Input).value = "sales"  # taken (any case)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already taken" in str(app.screen.query_one("#pd-error", Static).content)
        app.screen.query_one("#pd-name", Input).value = "Tenders"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [p.name for p in listed(tui_db.db)] == ["Sales", "Tenders"]
        assert screen.pipeline is not None and screen.pipeline.name == "Tenders"
        assert rows(screen.stages_table)[0].name == "Lead"

        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#pd-name", Input).value = "Tenders 2027"
        await pilot.press("enter")
        await settle(pilot)
        assert [p.name for p in listed(tui_db.db)] == ["Sales", "Tenders 2027"]

        await pilot.press("d")  # make it the default
        await settle(pilot)
        assert [p.is_default for p in listed(tui_db.db)] == [False, True]
        await pilot.press("delete")  # the default one: refused
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "is the default pipeline" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)

        screen.pipelines_table.cursor = 0  # Sales: the default again, then Tenders goes
        await pilot.press("d")
        await settle(pilot)
        screen.pipelines_table.cursor = 1
        await pilot.pause()
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [p.name for p in listed(tui_db.db)] == ["Sales"]
        assert [p.name for p in rows(screen.pipelines_table)] == ["Sales"]

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


@pytest.mark.parametrize("login", ["rep", "mgr"])
def test_a_rep_or_a_manager_gets_a_read_only_screen(
    setup: tuple[TuiDb, dict[str, int]], login: str
) -> None:
    tui_db, _ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_settings(pilot)
        status = str(screen.query_one("#ps-status", Static).content)
        role = "rep" if login == "rep" else "manager"
        assert "only an admin or a director can change pipelines" in status
        assert f"(you are {role})" in status
        # they see the stages, and the deals they may see in them
        stages = {st.name: st.deals for st in rows(screen.stages_table)}
        assert (stages["Lead"], stages["Proposal"]) == (1, 1)
        for key in ("n", "e", "delete", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen  # no dialog opens
        await pilot.press("tab", "n", "shift+up")
        await settle(pilot)
        assert app.screen is screen
        assert stage_names(tui_db.db)[:2] == ["Lead", "Qualification"]
        assert screen.check_action("new", ()) is None  # shown, dimmed

    run_app(tui_app(tui_db.url, tui_db.state, login=login), scenario)


def test_an_edit_conflict_is_told_and_the_lists_read_again(
    setup: tuple[TuiDb, dict[str, int]],
) -> None:
    tui_db, _ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_settings(pilot)
        await put_cursor(pilot, screen, "Proposal")
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StageDialog)
        stage = next(st for st in listed(tui_db.db)[0].stages if st.name == "Proposal")
        with tui_db.db.write() as s:  # somebody else, meanwhile
            pipelines.update_stage(s, tui_db.admin, stage.id, version=stage.version, probability=45)
        dialog.query_one("#pd-name", Input).value = "Offer"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "was changed since you opened version 1" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "Offer" not in stage_names(tui_db.db)
        assert screen.stage is not None and screen.stage.probability == 45  # read again

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


def test_the_outcome_select_offers_open_won_lost(setup: tuple[TuiDb, dict[str, int]]) -> None:
    tui_db, _ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_settings(pilot)
        await put_cursor(pilot, screen, "Lost")
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StageDialog)
        dialog.query_one("#pd-name", Input).value = "No budget"
        dialog.query_one("#pd-probability", Input).value = "0"
        dialog.query_one("#pd-outcome", Select).value = "lost"
        await pilot.press("ctrl+s")
        await settle(pilot)
        st = listed(tui_db.db)[0].stages[-1]
        assert (st.name, st.outcome, st.probability) == ("No budget", "lost", 0)

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


def test_the_palette_opens_the_settings_from_any_section(
    setup: tuple[TuiDb, dict[str, int]],
) -> None:
    tui_db, _ids = setup

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Pipeline settings" in commands
        commands["Pipeline settings"].callback()
        await settle(pilot)
        assert isinstance(app.screen, PipelineSettings)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Pipeline settings" not in titles and len(titles) == len(set(titles))

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


# -- snapshots ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipelines") / "pipelines.db"
    db = Database(str(path))
    migrate.upgrade(db)
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    seed(db, admin)
    with db.write() as s:
        pipelines.add_pipeline(s, admin, "Tenders")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.mark.parametrize("size", list(SIZES))
def test_snapshot(snap_compare: Any, fixed_db: Path, tmp_path: Path, size: str) -> None:
    db_path = tmp_path / "pipelines.db"
    shutil.copy(fixed_db, db_path)
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = load_settings(
        str(db_path),
        env={"TERMCRM_CONFIG": str(config), "TERMCRM_LOCALE": "en", "TERMCRM_TIMEZONE": "UTC"},
    )
    app = make_app(settings=settings, login="admin", state_path=tmp_path / "ui.json")
    app.animation_level = "none"
    app.pinned_now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_settings(pilot)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
