"""The export key (x) on the lists, driven like a user at 80x24 on a SQLite file.

The files written are read back: the xlsx with openpyxl, the CSV with the csv module,
and compared with what the list on screen shows.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm.app import TermCrmApp
from termcrm.screens.clients import ClientsScreen
from termcrm.screens.export_dialog import ExportDialog
from termcrm.services import clients, contacts, journal
from termcrm.widgets.dialogs import ConfirmDialog
from tui_helpers import TuiDb, rows, run_app, settle, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")

CLIENTS = [("Alpha Trading", "Boston"), ("Beta Supplies", "Boston"), ("Gamma Foods", "Chicago")]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The home folder, where the dialog proposes to write."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def crm(tui_db: TuiDb) -> TuiDb:
    with tui_db.db.write() as s:
        ids = {
            name: clients.create_client(s, tui_db.admin, {"name": name, "city": city}).id
            for name, city in CLIENTS
        }
        contacts.create_contact(s, tui_db.admin, ids["Alpha Trading"], {"full_name": "Ann Lee"})
        contacts.create_contact(s, tui_db.admin, ids["Gamma Foods"], {"full_name": "Bob Ray"})
        now = datetime.now(UTC)
        for name, kind in (("Alpha Trading", "call"), ("Gamma Foods", "meeting")):
            journal.log_interaction(
                s,
                tui_db.admin,
                kind=kind,
                client_id=ids[name],
                occurred_at=now - timedelta(hours=1),
                purpose=f"{kind} about prices",
            )
    return tui_db


def today_file(entity: str, fmt: str = "xlsx") -> str:
    return f"~/{entity}-{date.today().isoformat()}.{fmt}"


async def export_with_keys(pilot: Pilot[Any]) -> ExportDialog:
    await pilot.press("x")
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


def test_x_exports_the_searched_card_file_to_xlsx(crm: TuiDb, home: Path, tmp_path: Path):
    app = tui_app(crm.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        await pilot.press("slash", *"boston", "enter")
        await settle(pilot, 0.3)
        shown = sorted(r.name for r in rows(screen.table))  # the search: newest first
        assert shown == ["Alpha Trading", "Beta Supplies"]

        dialog = await export_with_keys(pilot)
        assert dialog.query_one("#path", Input).value == today_file("clients")
        what = str(dialog.query_one("#export-what", Static).content)
        assert what == "Every client the card file lists now: 2 found for “boston” · all I may see"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # closed when the file is written

        book = openpyxl.load_workbook(home / today_file("clients").removeprefix("~/"))
        sheet = book.active
        assert sheet is not None
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert header[:3] == ["ID", "Name", "Legal name"] and header[-1] == "Version"
        names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == shown  # by name, as the card file sorts
        ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert ids == {r.id for r in rows(screen.table)}

    run_app(app, scenario)


def test_the_contacts_go_to_csv_and_the_file_name_follows_the_format(
    crm: TuiDb, home: Path, tmp_path: Path
):
    app = tui_app(crm.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        dialog = await export_with_keys(pilot)
        formats = dialog.query_one("#format", Select)
        assert [value for _label, value in formats._options] == ["xlsx", "csv", "json", "vcf"]
        formats.value = "csv"
        await pilot.pause()
        assert dialog.query_one("#path", Input).value == today_file("contacts", "csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

        written = home / today_file("contacts", "csv").removeprefix("~/")
        with written.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
        assert table[0][:2] == ["ID", "Full name"]
        assert [r[1] for r in table[1:]] == [c.full_name for c in rows(screen.table)]

    run_app(app, scenario)


def test_the_journal_export_asks_before_replacing_a_file(crm: TuiDb, home: Path, tmp_path: Path):
    target = home / today_file("journal").removeprefix("~/")
    target.write_text("an older export")
    app = tui_app(crm.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("k")  # calls only
        await settle(pilot)
        await export_with_keys(pilot)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
        sheet = openpyxl.load_workbook(target).active
        assert sheet is not None
        table = list(sheet.iter_rows(values_only=True))
        assert table[0][:3] == ("ID", "When", "Kind")
        assert [(r[2], r[4]) for r in table[1:]] == [("call", "Alpha Trading")]

    run_app(app, scenario)


def test_a_bad_file_name_is_said_in_the_dialog(crm: TuiDb, home: Path, tmp_path: Path):
    app = tui_app(crm.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        dialog = await export_with_keys(pilot)
        box = dialog.query_one("#path", Input)
        error = dialog.query_one("#export-error", Static)
        box.value = str(tmp_path / "no-such-folder" / "out.xlsx")
        await pilot.press("enter")
        assert str(error.content).startswith("There is no folder ")
        box.value = "~/out.csv"
        await pilot.press("enter")
        assert str(error.content) == "The file name should end in .xlsx, the format chosen."
        assert app.screen is dialog
        await pilot.press("escape")
        assert isinstance(app.screen, ClientsScreen)
        assert list(home.iterdir()) == []

    run_app(app, scenario)
