"""The import wizard, driven like a user at 80x24 on a SQLite file of its own.

The file is a CSV written here, as Russian Excel writes it (semicolons): the wizard
lists it, maps its columns, takes a change of one column's field, runs a dry run
(nothing written), imports, and shows the summary and the rejects file.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from termcrm.app import TermCrmApp
from termcrm.exchange import importer
from termcrm.screens.clients import ClientsScreen
from termcrm.screens.first_run import FirstRunScreen
from termcrm.screens.import_parts import FieldChooser, ReasonDialog
from termcrm.screens.import_wizard import ImportWizard
from termcrm.services import client_lists, clients
from termcrm.services.filters import ClientFilter
from termcrm.widgets.dialogs import ConfirmDialog
from termcrm.widgets.virtual_table import VirtualTable
from tui_helpers import TuiDb, rows, run_app, settle, tui_app, until

pytestmark = pytest.mark.usefixtures("plain_settings")

EXISTING = ("ООО «Вектор»", "7707083893")
CSV = (
    "Company;ИНН;Телефон;E-mail;Город;Заметка\n"
    "ООО «Вектор»;7707083893;+7 495 111-22-33;info@vector.ru;Москва;важный\n"  # a duplicate
    "Beta Supplies;;+1 617 555 0101;sales@beta.com;Boston;\n"
    ";;;;;no name here\n"  # rejected: no name
    "Gamma Foods;;;gamma@example;Chicago;\n"  # rejected: a bad email
    "Delta LLC;;;delta@example.com;Austin;pays late\n"
)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the CSV, a file the wizard does not offer and a sub-folder; the app
    is started in it (the wizard opens in the folder termcrm was started in)."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "clients.csv").write_text(CSV, encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4")
    (folder / "old").mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def one_client(tui_db: TuiDb) -> TuiDb:
    with tui_db.db.write() as s:
        clients.create_client(
            s, tui_db.admin, {"name": EXISTING[0], "tax_id": EXISTING[1], "city": "Москва"}
        )
    return tui_db


def client_names(tui_db: TuiDb) -> list[str]:
    with tui_db.db.read() as s:
        page = client_lists.list_clients(s, tui_db.admin, ClientFilter(), limit=100)
    return sorted(r.name for r in page.items)


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def pick_file(app: TermCrmApp, pilot: Pilot[Any], name: str) -> ImportWizard:
    """In the wizard's folder list: the cursor to ``name``, Enter, the columns read."""
    wizard = app.screen
    assert isinstance(wizard, ImportWizard)
    listed = [e.name for e in rows(wizard.query_one("#files", VirtualTable))]
    for _step in range(listed.index(name)):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    return wizard


def test_the_wizard_maps_checks_and_imports_a_csv(one_client: TuiDb, files: Path, tmp_path: Path):
    app = tui_app(one_client.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("i")  # from the card file
        await settle(pilot)
        wizard = app.screen
        assert isinstance(wizard, ImportWizard)
        # only folders and the files termcrm can import, folders first
        assert [e.name for e in rows(wizard.query_one("#files", VirtualTable))] == [
            "..",
            "old/",
            "clients.csv",
        ]

        await pick_file(app, pilot, "clients.csv")
        assert wizard.stage == "columns"
        assert wizard.preview is not None
        assert {c.title: c.field for c in wizard.preview.mapping.columns} == {
            "Company": "name",
            "ИНН": "tax_id",
            "Телефон": "phones",
            "E-mail": "emails",
            "Город": "city",
            "Заметка": None,
        }
        assert text_of(wizard, "#file-info").startswith("clients.csv · CSV, UTF-8, “;”")
        assert text_of(wizard, "#mapping-problems") == "Not imported: Заметка."
        mapping = rows(wizard.query_one("#mapping", VirtualTable))
        assert mapping[0].samples == ["ООО «Вектор»", "Beta Supplies", ""]  # rows 2, 3, 4

        # Заметка (a note) goes into the business information
        for _step in range(5):
            await pilot.press("down")
        await pilot.press("enter")
        chooser = app.screen
        assert isinstance(chooser, FieldChooser)
        options = chooser.query_one(OptionList)
        assert options.highlighted == 0  # "Do not import this column": what it is now
        options.highlighted = options.get_option_index("business_info")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is wizard
        column = wizard.preview.mapping.columns[5]
        assert (column.field, column.how) == ("business_info", "user")
        assert text_of(wizard, "#mapping-problems") == "Every column has a field."

        # the dry run: the plan, nothing written
        await pilot.press("d")
        await settle(pilot)
        assert wizard.stage == "checked"
        assert "nothing was written" in text_of(wizard, "#report-title")
        assert text_of(wizard, "#report-counts") == (
            "5 rows: new: 2 · duplicates skipped: 1 · rejected: 2"
        )
        outcomes = rows(wizard.query_one("#outcomes", VirtualTable))
        assert [(o.number, o.action) for o in outcomes] == [
            (2, "skip"),
            (4, "reject"),
            (5, "reject"),
        ]
        assert client_names(one_client) == [EXISTING[0]]
        assert not (files / "clients.rejects.csv").exists()

        # Enter on a row shows it in full
        await pilot.press("down", "down", "enter")
        dialog = app.screen
        assert isinstance(dialog, ReasonDialog)
        assert dialog.title_text == "Row 5: rejected"
        assert "gamma@example" in dialog.text
        await pilot.press("escape")

        # the import itself
        await pilot.press("r")
        await settle(pilot)
        assert wizard.stage == "done"
        assert wizard.report is not None and wizard.report.import_id is not None
        assert text_of(wizard, "#report-title") == (
            f"Imported clients.csv as clients: import {wizard.report.import_id}."
        )
        notes = text_of(wizard, "#report-notes")
        assert "The 2 rejected rows are in" in notes and "clients.rejects.csv" in notes
        assert f"termcrm import undo {wizard.report.import_id}" in notes
        assert client_names(one_client) == ["Beta Supplies", "Delta LLC", EXISTING[0]]
        with one_client.db.read() as s:
            delta = client_lists.search_clients(s, one_client.admin, "Delta").items[0]
            assert clients.get_client(s, one_client.admin, delta.id).business_info == ("pays late")
        with (files / "clients.rejects.csv").open(encoding="utf-8", newline="") as fh:
            rejected = list(csv.reader(fh, delimiter=";"))
        assert rejected[0][-2:] == ["Source row", "Reject reason"]
        assert [r[-2] for r in rejected[1:]] == ["4", "5"]

        # Esc: back to the card file, which shows the new clients
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert sorted(r.name for r in rows(app.screen.table)) == client_names(one_client)

    run_app(app, scenario)


def test_the_first_run_screen_imports_into_an_empty_database(
    tui_db: TuiDb, files: Path, tmp_path: Path
):
    app = tui_app(tui_db.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("i")
        await settle(pilot)
        wizard = await pick_file(app, pilot, "clients.csv")
        await pilot.press("r")  # straight away, without a dry run
        await settle(pilot)
        assert wizard.stage == "done"
        assert text_of(wizard, "#report-counts") == "5 rows: new: 3 · rejected: 2"
        await pilot.press("escape")
        await settle(pilot)
        # the first-run screen is done: the card file, with the imported clients
        assert isinstance(app.screen, ClientsScreen)
        assert sorted(r.name for r in rows(app.screen.table)) == [
            "Beta Supplies",
            "Delta LLC",
            EXISTING[0],
        ]

    run_app(app, scenario)


def test_a_typed_path_and_a_file_the_importer_refuses(
    one_client: TuiDb, files: Path, tmp_path: Path
):
    (files / "empty.csv").write_text("", encoding="utf-8")
    app = tui_app(one_client.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("i")
        await settle(pilot)
        wizard = app.screen
        assert isinstance(wizard, ImportWizard)
        box = wizard.query_one("#folder", Input)
        box.focus()
        box.value = str(files / "empty.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.stage == "file"
        assert text_of(wizard, "#status").startswith("Cannot import empty.csv: ")

        box.value = str(files / "nothing-here.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(wizard, "#status") == f"There is no file or folder {files}/nothing-here.csv."

        box.value = str(files / "clients.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.stage == "columns"

        await pilot.press("escape")  # back to the file
        assert wizard.stage == "file"
        await pilot.press("escape")  # and out
        assert isinstance(app.screen, ClientsScreen)

    run_app(app, scenario)


def test_a_missing_name_column_holds_the_import_back(
    one_client: TuiDb, files: Path, tmp_path: Path
):
    app = tui_app(one_client.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("i")
        await settle(pilot)
        wizard = await pick_file(app, pilot, "clients.csv")
        await pilot.press("enter")  # Company: not imported
        options = app.screen.query_one(OptionList)
        options.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        problems = text_of(wizard, "#mapping-problems")
        assert problems.startswith("Cannot import yet: no column holds the name")
        await pilot.press("d", "r")  # greyed out: nothing happens
        await settle(pilot)
        assert wizard.stage == "columns"
        assert client_names(one_client) == [EXISTING[0]]

    run_app(app, scenario)


def test_stopping_an_import_imports_nothing(
    one_client: TuiDb, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    lines = ["Name;City"] + [f"Client {i:04};Boston" for i in range(2500)]
    (files / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the import waits at its start until the test has pressed Esc and confirmed
    gate = threading.Event()
    real = importer.run_import

    def gated(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "run_import", gated)
    app = tui_app(one_client.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("i")
        await settle(pilot)
        wizard = await pick_file(app, pilot, "big.csv")
        await pilot.press("r")
        assert wizard.stage == "running"
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        gate.set()
        await until(pilot, lambda: wizard.stage == "columns", timeout=60)
        assert text_of(wizard, "#status") == "Stopped: nothing of big.csv was imported."
        assert client_names(one_client) == [EXISTING[0]]

    run_app(app, scenario)


def test_the_palette_opens_the_wizard_for_the_section(one_client: TuiDb, tmp_path: Path):
    app = tui_app(one_client.url, tmp_path / "ui.json")

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        app.action_import_file()  # the palette's Import
        await settle(pilot)
        assert isinstance(app.screen, ImportWizard)
        assert app.screen.entity == "interactions"
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Import" not in commands  # not a second wizard over this one

    run_app(app, scenario)


def test_every_field_the_importer_offers_has_a_name_in_the_wizard():
    from termcrm.exchange import fields
    from termcrm.screens.import_parts import FIELD_NAMES

    offered = {f.key for entity in fields.ENTITIES for f in fields.fields(entity)}
    assert offered - set(FIELD_NAMES) == set()
