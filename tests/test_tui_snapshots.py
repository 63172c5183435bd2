"""Snapshots of the main screens, at 80x24 and 120x40, in English and Russian.

The data is fixed (tests/tui_data.py), so a snapshot changes only when a screen
does. After a deliberate change of a screen, look at the new pictures and accept
them with ``pytest tests/test_tui_snapshots.py --snapshot-update``; the report of
a failing run (snapshot_report.html) shows old and new side by side.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import tui_data
from termcrm.app import TermCrmApp, make_app
from termcrm.config import load_settings
from termcrm.store import migrate
from termcrm.store.engine import Database
from tui_helpers import settle

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
# the app's clock stands still here: what is overdue, this month, today, never moves
FIXED_NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LANGS = ["en", "ru"]


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("snapshots") / "fixed.db"
    db = Database(str(path))
    migrate.upgrade(db)
    ids = tui_data.build(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path, ids


def _app(db_path: Path, lang: str, tmp_path: Path) -> TermCrmApp:
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = load_settings(
        str(db_path),
        env={
            "TERMCRM_CONFIG": str(config),
            "TERMCRM_LOCALE": lang,
            "TERMCRM_TIMEZONE": "Europe/Moscow",
            "TERMCRM_PHONE_REGION": "RU",
        },
    )
    app = make_app(settings=settings, login="admin", state_path=tmp_path / "ui.json")
    app.animation_level = "none"
    app.pinned_now = FIXED_NOW
    return app


def steps(*actions: Callable[[Pilot[Any]], Awaitable[None]]) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for action in actions:
            await action(pilot)
            await settle(pilot)
        await pilot.pause(0.1)  # the last answers drawn

    return run


def press(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press(*keys)

    return run


def open_card(name: str, ids: dict[str, int]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        await pilot.app.push_screen(ClientCardScreen(ids[name]))

    return run


SCREENS: dict[str, Callable[[dict[str, int]], list[Callable[[Pilot[Any]], Awaitable[None]]]]] = {
    "card_file": lambda ids: [],
    "search": lambda ids: [press("slash", "r", "o", "m", "enter")],
    "client_card": lambda ids: [open_card("ООО «Ромашка»", ids)],
    "contacts": lambda ids: [press("2")],
    "journal": lambda ids: [press("3")],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    snap_compare: Any,
    fixed_db: tuple[Path, dict[str, int]],
    tmp_path: Path,
    screen: str,
    size: str,
    lang: str,
) -> None:
    source, ids = fixed_db
    db_path = tmp_path / "fixed.db"
    shutil.copy(source, db_path)
    app = _app(db_path, lang, tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steps(*SCREENS[screen](ids)))


@pytest.mark.parametrize("lang", LANGS)
def test_first_run(snap_compare: Any, tmp_path: Path, lang: str) -> None:
    db_path = tmp_path / "empty.db"
    app = _app(db_path, lang, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=steps())


# a client list as Russian Excel saves it: semicolons, Russian titles, one column unknown
IMPORT_CSV = (
    "Наименование;ИНН;Телефон;Эл. почта;Город;Менеджер;Заметка\n"
    "ООО «Вектор»;7707083893;+7 495 111-22-33;info@vector.ru;Москва;ivanova;важный\n"
    "Beta Supplies;;+1 617 555 0101;sales@beta.com;Boston;admin;\n"
    "北京华联科技有限公司;;+86 10 6552 8899;hualian@example.cn;北京;li;VIP\n"
)


@pytest.mark.parametrize("lang", LANGS)
def test_import_wizard_columns(
    snap_compare: Any, fixed_db: tuple[Path, dict[str, int]], tmp_path: Path, lang: str
) -> None:
    """The wizard's second step: the columns of a CSV mapped, with its first rows."""
    source, _ids = fixed_db
    db_path = tmp_path / "fixed.db"
    shutil.copy(source, db_path)
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "clients.csv").write_text(IMPORT_CSV, encoding="utf-8")
    app = _app(db_path, lang, tmp_path)

    async def open_wizard(pilot: Pilot[Any]) -> None:
        from termcrm.screens.import_wizard import ImportWizard

        await pilot.app.push_screen(ImportWizard("clients", folder=folder))

    run_before = steps(open_wizard, press("down", "enter"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_team_plan(
    snap_compare: Any, fixed_db: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """The plan per rep (the admin's default is per department), for December 2026."""
    source, _ids = fixed_db
    db_path = tmp_path / "fixed.db"
    shutil.copy(source, db_path)
    app = _app(db_path, "en", tmp_path)
    run_before = steps(press("P"), press("b"), press("right_square_bracket"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- the planner (key 4): a day's agenda and the month, on a pinned Wednesday -------------------

PLANNER_NOW = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)  # 08:30 in Moscow


@pytest.fixture(scope="module")
def planner_db(
    fixed_db: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The fixed data and, around 2 December 2026, the admin's planner: an overdue letter,
    a task done this morning, a weekly call, a meeting, a birthday and a company date."""
    from termcrm.services import contacts, org, significant_dates, tasks

    source, ids = fixed_db
    path = tmp_path_factory.mktemp("planner") / "planner.db"
    shutil.copy(source, path)
    db = Database(str(path))

    def moscow(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
        return datetime(2026, month, day, hour - 3, minute, tzinfo=UTC)

    with db.write() as s:
        admin = org.actor_by_login(s, "admin")
        acme, globex = ids["Acme Distribution Co."], ids["Globex Corporation"]
        wayne, stark = ids["Wayne Enterprises"], ids["Stark Industries"]
        tasks.add_task(
            s, admin, title="Send the contract", kind="letter", due_at=moscow(30, 12, month=11),
            client_id=acme,
        )  # fmt: skip
        done = tasks.add_task(
            s, admin, title="Confirm the delivery", due_at=moscow(2, 7), client_id=wayne
        )
        tasks.complete_task(s, admin, done.id, version=done.version, result="confirmed")
        tasks.add_task(
            s, admin, title="Weekly planning call", due_at=moscow(2, 9, 30), client_id=globex,
            repeat="FREQ=WEEKLY;BYDAY=WE", tz="Europe/Moscow", remind_before_min=15,
        )  # fmt: skip
        tasks.add_task(
            s, admin, title="Meeting on the new price list", kind="meeting",
            due_at=moscow(2, 13), duration_min=60, client_id=globex,
        )  # fmt: skip
        tasks.add_task(
            s, admin, title="Quarterly review", kind="visit", due_at=moscow(15, 11),
            client_id=wayne,
        )  # fmt: skip
        contacts.create_contact(
            s, admin, acme, {"full_name": "John Carter", "birthday": datetime(1976, 12, 2).date()}
        )
        significant_dates.add_date(
            s, admin, client_id=stark, kind="foundation", title="Stark Industries",
            month=12, day=2, year=2006,
        )  # fmt: skip
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", ["agenda", "month"])
def test_planner(snap_compare: Any, planner_db: Path, tmp_path: Path, view: str, lang: str) -> None:
    db_path = tmp_path / "planner.db"
    shutil.copy(planner_db, db_path)
    app = _app(db_path, lang, tmp_path)
    app.pinned_now = PLANNER_NOW
    keys = ["4"] if view == "agenda" else ["4", "m"]

    async def no_reminders(pilot: Pilot[Any]) -> None:
        pilot.app.clear_notifications()  # the day's reminders: what the planner shows is the point

    run_before = steps(press(*keys), no_reminders)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
