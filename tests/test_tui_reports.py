"""The Reports section (key 8) driven like a user at 80x24 on real SQLite: the sales
dynamics of a hand-built set of shipments (the facts of tests/test_report_dynamics.py),
the period, unit, currency and scope changed, a rep's only scope, a refusal shown in
place of the report, the client report's client, the export to xlsx read back with
openpyxl; and snapshots at 80x24 and 120x40.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from termcrm.app import TermCrmApp
from termcrm.config import load_settings
from termcrm.reports.charts import chart_data
from termcrm.reports.model import Scope
from termcrm.screens.funnel_parts import Chart
from termcrm.screens.report_parts import (
    ExportReportDialog,
    ReportChoice,
    ReportParamsDialog,
    export_target,
)
from termcrm.screens.reports import MENU, VIEW, ReportMenu, ReportsScreen
from termcrm.services import clients, sales_facts
from termcrm.services.errors import Invalid
from termcrm.store import migrate
from termcrm.store.engine import Database
from termcrm.widgets.client_picker import ClientPicker
from test_funnel import Team, make_team
from tui_helpers import TuiDb, run_app, settle, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # the app's clock: this month is 2026-02
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
D = Decimal


@dataclass
class Facts:
    url: str
    state: Path
    team: Team
    big: int  # Wholesale, owned by rep (North)
    shop: int  # Retail, owned by sue (South)


def build(db: Database, admin: Any) -> tuple[Team, int, int]:
    """Shipments with known sums per group and year (RUB), and one in USD:

    Wholesale (big): 2024: 100; 2025: 150 + 50 = 200; 2026: 300 (January)
    Retail (shop):   2024: 100; 2025: 50;             2026: 100 (February)
    USD: big, 2026-01-01, 999.
    """
    with db.write() as s:
        t = make_team(s, admin)
        big = clients.create_client(
            s, admin, {"name": "Big", "group": "Wholesale", "owner_id": t.rep.id}
        ).id
        shop = clients.create_client(
            s, admin, {"name": "Shop", "group": "Retail", "owner_id": t.sue.id}
        ).id
        facts = [
            (big, date(2024, 6, 1), 100),
            (shop, date(2024, 6, 1), 100),
            (big, date(2025, 3, 1), 150),
            (big, date(2025, 9, 1), 50),
            (shop, date(2025, 5, 1), 50),
            (big, date(2026, 1, 10), 300),
            (shop, date(2026, 2, 10), 100),
        ]
        for n, (client, day, amount) in enumerate(facts):
            sales_facts.save_shipment(
                s, admin, shipped_on=day, client_id=client, amount=amount, external_id=f"s{n}"
            )
        sales_facts.save_shipment(
            s, admin, shipped_on=date(2026, 1, 1), client_id=big, amount=999, currency="USD"
        )
    return t, big, shop


@pytest.fixture
def sales(tui_db: TuiDb) -> Facts:
    team, big, shop = build(tui_db.db, tui_db.admin)
    return Facts(tui_db.url, tui_db.state, team, big, shop)


def app_as(sales: Facts, login: str) -> TermCrmApp:
    app = tui_app(sales.url, sales.state, login=login)
    app.pinned_now = NOW
    return app


def text_of(static: Static, width: int = 78) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


def view_text(screen: ReportsScreen) -> str:
    return "\n".join(text_of(w) for w in screen.query_one(f"#{VIEW}").query(Static))


def lines_of(screen: ReportsScreen) -> dict[str, list[str]]:
    """The lines of the report's tables by their first cell: the cells after it."""
    out: dict[str, list[str]] = {}
    for line in view_text(screen).splitlines():
        cells = line.split()
        if cells:
            out.setdefault(cells[0], cells[1:])
    return out


def status(screen: ReportsScreen) -> str:
    return str(screen.query_one("#reports-status", Static).content)


async def open_reports(pilot: Pilot[Any]) -> ReportsScreen:
    await pilot.press("8")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


async def run_report(pilot: Pilot[Any], screen: ReportsScreen, name: str) -> None:
    """The report ``name`` chosen on the list with the arrow keys and Enter."""
    menu = screen.query_one(ReportMenu)
    ids = [menu.get_option_at_index(i).id for i in range(menu.option_count)]
    target = ids.index(name)
    await pilot.press("home", *["down"] * target, "enter")
    await settle(pilot)


async def params(pilot: Pilot[Any]) -> ReportParamsDialog:
    await pilot.press("f")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ReportParamsDialog)
    return dialog


# -- running a report --------------------------------------------------------------------------


def test_sales_dynamics_shows_the_figures_and_follows_period_unit_and_currency(
    sales: Facts,
) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        assert screen.view == MENU and "Choose a report" in status(screen)
        await run_report(pilot, screen, "sales-dynamics")
        assert screen.view == VIEW and screen.report is not None
        # this month (2026-02), so by month: February against January (Wholesale 300 in
        # January, nothing in February; Retail 100 in February, nothing before)
        table = lines_of(screen)
        assert table["Wholesale"] == ["0.00", "-100.0%", "0.0%"]
        assert table["Retail"] == ["100.00", "100.0%"]  # no growth from nothing
        assert table["Total"] == ["100.00", "-66.7%", "100.0%"]
        line = status(screen)
        assert "Sales dynamics by client group" in line and "This month (2026-02)" in line
        assert "all clients" in line and "by month" in line and "(also USD: c)" in line
        assert "running" not in line
        assert "there are also shipments in USD" in view_text(screen)  # the report's note
        charts = list(screen.query(Chart))
        assert len(charts) == 2 and all(c.display for c in charts)

        # a typed period: 2025 against 2024
        dialog = await params(pilot)
        dialog.query_one("#rp-period", Input).value = "2025-Q5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(dialog.query_one("#rp-period-error", Static).content)
        assert "'2025-Q5' is not a period" in error and app.screen is dialog
        dialog.query_one("#rp-period", Input).value = "2025"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.choice.period == (
            date(2025, 1, 1),
            date(2025, 12, 31),
        )
        table = lines_of(screen)
        assert table["Wholesale"] == ["200.00", "100.0%", "80.0%"]
        assert table["Retail"] == ["50.00", "-50.0%", "20.0%"]
        assert table["Total"] == ["250.00", "25.0%", "100.0%"]
        assert "2025" in status(screen)

        # by quarter (u): 2025-Q1..Q4 as columns, and the periods table
        await pilot.press("u")
        await settle(pilot)
        assert screen.choice.unit == "quarter" and "by quarter" in status(screen)
        totals = screen.report.table("totals")
        assert [r[0] for r in totals.rows] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
        assert [r[1] for r in totals.rows] == [D("150.00"), D("50.00"), D("50.00"), D("0.00")]

        # the other currency (c): the USD shipment of 2026
        await pilot.press("u", "u")  # month, then year again
        await settle(pilot)
        assert screen.choice.unit == "year"
        await pilot.press("p")  # the presets go on from the typed period: this month
        await settle(pilot)
        assert screen.choice.preset == "this_month"
        await pilot.press("p")  # this quarter (January to March), by year: 2026 so far
        await settle(pilot)
        assert screen.choice.preset == "this_quarter"
        await pilot.press("c")
        await settle(pilot)
        assert screen.report.currency == "USD"
        assert lines_of(screen)["Wholesale"][0] == "999.00"
        assert "USD" in status(screen) and "(also RUB: c)" in status(screen)

        # what is chosen stays while the user is in another section, and through a
        # change of the interface language (the section is rebuilt)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert app.screen is screen and screen.choice.currency == "USD"
        app.switch_language("ru")
        await settle(pilot)
        rebuilt = app.screen
        assert isinstance(rebuilt, ReportsScreen) and rebuilt is not screen
        assert rebuilt.choice.currency == "USD" and rebuilt.report is not None
        assert rebuilt.report.currency == "USD" and rebuilt.view == VIEW

        # r: back to the list
        await pilot.press("r")
        assert rebuilt.view == MENU

    run_app(app_as(sales, "boss"), scenario)


def test_the_scope_a_user_or_a_department(sales: Facts) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        await run_report(pilot, screen, "sales-dynamics")
        dialog = await params(pilot)
        scope = dialog.query_one("#rp-scope", Select)
        offered = {label for label, _value in scope._options}
        assert {"my clients", "everything I may see", "clients of Rep", "department South"} <= (
            offered
        )
        scope.value = f"department:{sales.team.south}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.choice.scope == Scope("department", department_id=sales.team.south)
        table = lines_of(screen)
        assert "Retail" in table and "Wholesale" not in table
        assert "department South" in status(screen)

        dialog = await params(pilot)
        dialog.query_one("#rp-scope", Select).value = f"user:{sales.team.rep.id}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = lines_of(screen)
        # February by month: Big (Wholesale) shipped in January only
        assert table["Wholesale"][:2] == ["0.00", "-100.0%"] and "Retail" not in table
        assert "clients of Rep" in status(screen)

    run_app(app_as(sales, "boss"), scenario)


def test_a_rep_only_gets_their_own_clients(sales: Facts) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        assert screen.choice.scope == Scope("me")
        await run_report(pilot, screen, "sales-dynamics")
        table = lines_of(screen)
        assert table["Wholesale"][0] == "0.00" and "Retail" not in table  # February
        assert "my clients" in status(screen)
        dialog = await params(pilot)
        scope = dialog.query_one("#rp-scope", Select)
        assert [value for _label, value in scope._options] == ["me"]
        await pilot.press("escape")
        await settle(pilot)
        # a scope out of reach (not offered, but asked for) is refused with the reason
        screen._set(replace(screen.choice, scope=Scope("user", user_id=sales.team.sue.id)))
        await settle(pilot)
        assert screen.report is None and screen.error
        assert "report" in view_text(screen).lower()
        assert list(screen.query(".report-error"))

    run_app(app_as(sales, "rep"), scenario)


def test_the_client_report_asks_for_its_client(sales: Facts) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        await run_report(pilot, screen, "client")
        dialog = app.screen
        assert isinstance(dialog, ReportParamsDialog)
        await pilot.press("ctrl+s")  # no client yet
        await pilot.pause()
        error = str(dialog.query_one("#rp-client-error", Static).content)
        assert "Choose the client" in error and app.screen is dialog
        dialog.query_one("#rp-client", ClientPicker).set_client(sales.big, "Big")
        dialog.query_one("#rp-period", Input).value = "2026-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.report is not None
        assert screen.report.name == "client" and screen.choice.client_id == sales.big
        assert "Big" in status(screen)
        assert "Big" in view_text(screen)

    run_app(app_as(sales, "boss"), scenario)


# -- the export --------------------------------------------------------------------------------


def test_x_exports_the_report_to_xlsx(
    sales: Facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        await pilot.press("x")  # nothing run yet
        await settle(pilot)
        assert app.screen is screen
        await run_report(pilot, screen, "sales-dynamics")
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportReportDialog)
        path_box = dialog.query_one("#rp-path", Input)
        assert path_box.value == "report-sales-dynamics-2026-02.xlsx"
        path_box.value = "no-such-folder/r.xlsx"
        await pilot.press("enter")
        await pilot.pause()
        assert "There is no folder" in str(dialog.query_one("#rp-path-error", Static).content)
        path_box.value = "r.csv"
        await pilot.press("enter")
        await pilot.pause()
        assert ".xlsx" in str(dialog.query_one("#rp-path-error", Static).content)
        path_box.value = "report-sales-dynamics-2026-02.xlsx"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen

    run_app(app_as(sales, "boss"), scenario)

    from openpyxl import load_workbook

    written = tmp_path / "report-sales-dynamics-2026-02.xlsx"
    assert written.is_file()
    sheet = load_workbook(written).worksheets[0]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    rows = {row[0]: row[1:4] for row in values if row and row[0] in ("Wholesale", "Retail")}
    # February by month: Wholesale nothing (300 in January), Retail 100
    assert rows["Wholesale"][0] == 0 and rows["Retail"][0] == 100
    assert rows["Wholesale"][1] == pytest.approx(-1.0)  # growth, as a fraction in %
    assert rows["Retail"][2] == pytest.approx(1.0)  # the whole of February's turnover
    total = next(row for row in values if row and row[0] == "Total")
    assert total[1] == 100


def test_export_targets_are_refused_with_reasons(tmp_path: Path) -> None:
    for text, why in (
        ("", "Give the name"),
        (str(tmp_path), "is a folder"),
        (str(tmp_path / "a.json"), ".xlsx"),
        (str(tmp_path / "none" / "a.xlsx"), "There is no folder"),
    ):
        with pytest.raises(Invalid) as refused:
            export_target(text)
        assert why in refused.value.errors["path"]
    assert export_target(str(tmp_path / "a.xlsx")) == tmp_path / "a.xlsx"


def test_a_chart_of_nothing_is_not_drawn() -> None:
    from termcrm.reports.model import Chart as ChartSpec
    from termcrm.reports.model import Column, Report, Table

    table = Table("t", "T", (Column("g", "G"), Column("v", "V", "money")), (("a", D("0")),))
    report = Report("x", "X", (date(2026, 1, 1), date(2026, 1, 31)), "", "RUB", (table,))
    assert chart_data(report, ChartSpec("bar", "C", "t", "g", ("v",))) is None
    table = replace(table, rows=(("a", D("30")), ("b", D("10"))))
    report = replace(report, tables=(table,))
    pie = chart_data(report, ChartSpec("pie", "C", "t", "g", ("v",)))
    assert pie is not None and pie.series[0][1] == [75.0, 25.0]
    day = date(2026, 11, 26)
    assert ReportChoice(name="abc").unit_on(day) is None
    assert ReportChoice(name="client-base", preset="this_year").unit_on(day) == "month"
    assert ReportChoice(name="sales-dynamics", preset="this_year").unit_on(day) == "year"
    assert ReportChoice(name="sales-dynamics", unit="quarter").unit_on(day) == "quarter"


# -- snapshots ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "reports.db"
    db = Database(str(path))
    migrate.upgrade(db)
    from termcrm.services import org

    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    build(db, admin)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def snapshot_app(source: Path, tmp_path: Path) -> TermCrmApp:
    db_path = tmp_path / "reports.db"
    shutil.copy(source, db_path)
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = load_settings(
        str(db_path),
        env={"TERMCRM_CONFIG": str(config), "TERMCRM_LOCALE": "en", "TERMCRM_TIMEZONE": "UTC"},
    )
    from termcrm.app import make_app

    app = make_app(settings=settings, login="boss", state_path=tmp_path / "ui.json")
    app.animation_level = "none"
    app.pinned_now = NOW
    return app


def keys(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause(0.1)

    return run


# the list; sales dynamics of this year by quarter (p: this month, this quarter, this year)
VIEWS = {"menu": ("8",), "dynamics": ("8", "down", "enter", "p", "p", "u")}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_snapshot(snap_compare: Any, fixed_db: Path, tmp_path: Path, view: str, size: str) -> None:
    app = snapshot_app(fixed_db, tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys(*VIEWS[view]))


# -- what the dialog offers (SQLite and PostgreSQL) -----------------------------------------


def test_scope_choices_and_currencies_by_role(db: Database, admin: Any) -> None:
    from termcrm.reports import choices
    from termcrm.reports.model import Params

    team, _big, _shop = build(db, admin)
    year = (date(2026, 1, 1), date(2026, 12, 31))
    with db.read() as s:
        rep = choices.scope_choices(s, team.rep)
        assert (rep.everyone, rep.users, rep.departments) == (False, (), ())
        mgr = choices.scope_choices(s, team.manager)
        assert {u.login for u in mgr.users} == {"rep", "kid"}
        assert {d.path for d in mgr.departments} == {"North", "North / Retail"}
        boss = choices.scope_choices(s, team.director)
        assert {"rep", "kid", "sue", "mgr"} <= {u.login for u in boss.users}
        assert "boss" not in {u.login for u in boss.users}  # "my clients" is that one
        assert {"North", "North / Retail", "South"} <= {d.path for d in boss.departments}
        # RUB: 2 shipments in 2026, USD: 1
        assert choices.currencies(s, team.director, Params(year)) == ["RUB", "USD"]
        # the rep's clients: big's RUB and USD shipments; by year, 2025 counts as well
        # (the growth of 2026 is against it): 3 RUB against 1 USD
        by_year = Params(year, Scope("me"), options=(("by", "year"),))
        assert choices.currencies(s, team.rep, by_year) == ["RUB", "USD"]
        # sue's clients: RUB only; nothing in 2027
        assert choices.currencies(s, team.sue, Params(year, Scope("me"))) == ["RUB"]
        later = (date(2027, 1, 1), date(2027, 1, 31))
        assert choices.currencies(s, team.director, Params(later)) == []
