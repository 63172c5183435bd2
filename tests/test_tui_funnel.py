"""The Funnel section (key 6) driven like a user at 80x24 on real SQLite: the stage
table's figures for a hand-built set of deals (the deals of tests/test_funnel.py), the
period, owner and currency filters, a rep's own funnel, the forecast's months; the
headless chart helpers it shares with ``termcrm funnel``; and snapshots of the funnel
and the forecast at 80x24 and 120x40.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from termcrm.screens.funnel import FORECAST, FUNNEL, FunnelScreen
from termcrm.screens.funnel_parts import FunnelFilterDialog, bar_labels
from termcrm.services.errors import Invalid
from termcrm.services.funnel_charts import (
    ForecastSeries,
    draw_bars,
    draw_forecast,
    nice_ticks,
    parse_period,
    period_text,
    preset_period,
)
from termcrm.store import migrate
from termcrm.store.engine import Database
from test_funnel import Team, make_team, walk
from tui_helpers import TuiDb, run_app, settle, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # the app's clock in these tests
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def build(db: Database, admin: Any) -> Team:
    """Six RUB deals and one USD deal with known stage histories (as in test_funnel)."""
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client
        won = [("Lead", 0), ("Qualification", 2), ("Proposal", 5), ("Negotiation", 9), ("Won", 10)]
        walk(s, admin, c["rep"], 1000, won, owner=t.rep, source="Web", kind="new")
        lost = [("Lead", 0), ("Qualification", 4), ("Lost", 10)]
        walk(s, admin, c["rep"], 500, lost, owner=t.rep, source="Web", kind="repeat")
        proposal = [("Lead", 0), ("Qualification", 1), ("Proposal", 3)]
        walk(
            s,
            admin,
            c["rep"],
            2000,
            proposal,
            owner=t.rep,
            source="Fair",
            kind="new",
            expected=date(2026, 3, 20),
        )
        walk(s, admin, c["rep"], 100, [("Lead", 0)], owner=t.rep)
        kid = [("Lead", 0), ("Qualification", 6), ("Proposal", 7), ("Negotiation", 8), ("Won", 20)]
        walk(s, admin, c["kid"], 3000, kid, owner=t.kid, source="Fair", kind="new")
        walk(
            s,
            admin,
            c["sue"],
            700,
            [("Lead", 0), ("Lost", 3)],
            owner=t.sue,
            source="Web",
            created=datetime(2026, 3, 5, tzinfo=UTC),
        )
        walk(s, admin, c["sue"], 1000, [("Negotiation", 0)], owner=t.sue, currency="USD")
    return t


@dataclass
class Sales:
    url: str
    state: Path
    team: Team


@pytest.fixture
def sales(tui_db: TuiDb) -> Sales:
    return Sales(tui_db.url, tui_db.state, build(tui_db.db, tui_db.admin))


def app_as(sales: Sales, login: str) -> TermCrmApp:
    app = tui_app(sales.url, sales.state, login=login)
    app.pinned_now = NOW
    return app


def text_of(static: Static, width: int = 78) -> str:
    """What a Static holding a Rich table (or text) reads as, in plain text."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


def lines_of(static: Static) -> dict[str, list[str]]:
    """A table's lines by their first cell: the cells after it."""
    out: dict[str, list[str]] = {}
    for line in text_of(static).splitlines():
        cells = line.split()
        if cells:
            out.setdefault(cells[0], cells[1:])
    return out


async def open_funnel(pilot: Pilot[Any]) -> FunnelScreen:
    await pilot.press("6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FunnelScreen)
    return screen


def status(screen: FunnelScreen) -> str:
    return str(screen.query_one("#funnel-status", Static).content)


# -- the funnel --------------------------------------------------------------------------------


def test_the_stage_table_shows_the_figures(sales: Sales) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_funnel(pilot)
        table = lines_of(screen.query_one("#stage-table", Static))
        # reached, now, amount, to next, to won, days (narrow: no weighted column)
        assert table["Lead"] == ["6", "1", "100", "66.7%", "33.3%", "3.2"]
        assert table["Qualification"] == ["4", "0", "0", "75.0%", "50.0%", "3.0"]
        assert table["Proposal"] == ["3", "1", "2,000", "66.7%", "66.7%", "2.5"]
        assert table["Negotiation"] == ["2", "0", "0", "100.0%", "100.0%", "6.5"]
        assert table["Won"] == ["2", "2", "4,000"]
        assert table["Lost"] == ["2", "2", "1,200"]
        totals = text_of(screen.query_one("#funnel-totals", Static))
        assert "Deals: 6 (2 open, 2 won, 2 lost)" in totals
        assert "Win rate: 50.0%" in totals and "Weighted pipeline: 810" in totals
        breakdowns = text_of(screen.query_one("#breakdowns", Static))
        for heading in ("By source", "By type", "Win rate by owner", "Web", "Fair", "Kid"):
            assert heading in breakdowns
        line = status(screen)
        assert "Sales" in line and "All time" in line and "RUB" in line and "USD 1" in line
        assert screen.query_one("#funnel-charts").display

    run_app(app_as(sales, "boss"), scenario)


def test_the_period_owner_and_currency_change_the_figures(sales: Sales) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_funnel(pilot)
        await pilot.press("p")  # this month: February 2026, nothing made in it
        await settle(pilot)
        assert screen.choice.period == (date(2026, 2, 1), date(2026, 2, 28))
        assert screen.funnel is not None and screen.funnel.deals == 0
        assert "No deals here yet" in text_of(screen.query_one("#funnel-totals", Static))
        assert not screen.query_one("#funnel-charts").display
        await pilot.press("p")  # this quarter: sue's March deal is in it
        await settle(pilot)
        assert screen.funnel.deals == 6
        assert "This quarter (2026-Q1)" in status(screen)

        # the filter dialog: a typed period and an owner
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FunnelFilterDialog)
        period = dialog.query_one("#ff-period", Input)
        period.value = "2026-Q5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(dialog.query_one("#ff-period-error", Static).content)
        assert "'2026-Q5' is not a period" in error and app.screen is dialog
        period.value = "2026-01"
        dialog.query_one("#ff-owner", Select).value = sales.team.rep.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        f = screen.funnel
        assert (f.deals, f.won, f.lost) == (4, 1, 1)
        table = lines_of(screen.query_one("#stage-table", Static))
        assert [table[n][0] for n in ("Lead", "Qualification", "Proposal", "Negotiation")] == [
            "4",
            "3",
            "2",
            "1",
        ]
        line = status(screen)
        assert "2026-01" in line and "owner: Rep" in line

        # another currency: the USD deal of sue (the owner filter let go first)
        await pilot.press("f")
        await settle(pilot)
        app.screen.query_one("#ff-owner", Select).clear()
        app.screen.query_one("#ff-period", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert screen.funnel.currency == "USD" and screen.funnel.deals == 1
        assert lines_of(screen.query_one("#stage-table", Static))["Negotiation"][:2] == ["1", "1"]

        # the filter stays while the user is in another section; the figures are read
        # again when they come back (a deal was made meanwhile)
        await pilot.press("1")
        await settle(pilot)
        db = Database(sales.url)
        with db.write() as s:
            walk(
                s,
                sales.team.admin,
                sales.team.client["sue"],
                50,
                [("Lead", 0)],
                owner=sales.team.sue,
                currency="USD",
            )
        db.dispose()
        await pilot.press("6")
        await settle(pilot)
        assert app.screen is screen and screen.choice.currency == "USD"
        assert screen.funnel.deals == 2

        # and through a change of the interface language (the section is rebuilt)
        app.switch_language("ru")
        await settle(pilot)
        rebuilt = app.screen
        assert isinstance(rebuilt, FunnelScreen) and rebuilt is not screen
        assert rebuilt.choice.currency == "USD" and rebuilt.funnel.deals == 2

    run_app(app_as(sales, "boss"), scenario)


def test_a_rep_sees_only_their_own_deals(sales: Sales) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_funnel(pilot)
        f = screen.funnel
        assert f is not None and (f.deals, f.won, f.lost) == (4, 1, 1)
        assert {b.key for b in f.by_owner} == {"Rep"}
        assert lines_of(screen.query_one("#stage-table", Static))["Lead"][0] == "4"
        assert "your deals" in status(screen)

    run_app(app_as(sales, "rep"), scenario)


def test_the_forecast_shows_the_months(sales: Sales) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_funnel(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert screen.view == FORECAST
        fc = screen.forecast
        assert fc is not None and len(fc.months) == 18  # 12 back, this one and 5 ahead
        january = next(m for m in fc.months if m.month == date(2026, 1, 1))
        assert january.won == Decimal("4000.00")  # rep's 1,000 and kid's 3,000
        march = next(m for m in fc.months if m.month == date(2026, 3, 1))
        assert march.weighted == Decimal("800.00")  # 2,000 x 40%, expected in March
        months = {
            " ".join(line.split()[:2]): line.split()[2:]
            for line in text_of(screen.query_one("#month-table", Static)).splitlines()
            if line.strip()
        }
        assert months["Jan 2026"][0] == "4,000"
        assert "800" in months["Mar 2026"] and "2,000" in months["Mar 2026"]
        assert "Feb 2025" in months and "Jul 2026" in months
        notes = text_of(screen.query_one("#forecast-notes", Static))
        assert "Weighted pipeline overdue" in notes
        assert screen.query_one("#chart-forecast").display
        await pilot.press("t")
        assert screen.view == FUNNEL
        await pilot.click("#funnel-status", offset=(12, 0))  # the "Forecast" tab
        assert screen.view == FORECAST
        await pilot.click("#funnel-status", offset=(3, 0))  # the "Funnel" tab
        assert screen.view == FUNNEL

    run_app(app_as(sales, "boss"), scenario)


def test_pipeline_settings_open_from_the_funnel(sales: Sales) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        from termcrm.screens.pipelines import PipelineSettings

        await open_funnel(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, PipelineSettings)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FunnelScreen)

    run_app(app_as(sales, "boss"), scenario)


def test_an_empty_database_shows_an_empty_funnel(tui_db: TuiDb) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        screen = await open_funnel(pilot)
        assert "No deals here yet" in text_of(screen.query_one("#funnel-totals", Static))
        await pilot.press("t")
        await settle(pilot)
        assert "nothing to forecast" in text_of(screen.query_one("#forecast-notes", Static))

    run_app(tui_app(tui_db.url, tui_db.state), scenario)


# -- the headless helpers ----------------------------------------------------------------------


def test_periods_typed_and_preset() -> None:
    assert parse_period(" 2026-q3 ") == (date(2026, 7, 1), date(2026, 9, 30))
    assert parse_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    for bad in ("2026-Q5", "2026-13", "soon", "2026-03-01..2026-02-01"):
        with pytest.raises(Invalid) as refused:
            parse_period(bad)
        assert "2026-Q3" in refused.value.errors["period"]
    for text in ("2026-Q3", "2026-11", "2026", "2026-01-05..2026-02-10", "2026-02-01..2026-04-30"):
        assert period_text(*parse_period(text)) == text
    today = date(2026, 2, 10)
    assert preset_period("all", today) is None
    assert preset_period("this_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_period("last_month", today) == (date(2026, 1, 1), date(2026, 1, 31))
    assert preset_period("this_quarter", today) == (date(2026, 1, 1), date(2026, 3, 31))
    assert preset_period("last_quarter", today) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset_period("last_year", today) == (date(2025, 1, 1), date(2025, 12, 31))


def test_chart_helpers() -> None:
    assert nice_ticks(111) == [0, 50, 100, 150]
    assert nice_ticks(0) == [0, 1]
    assert bar_labels(["Qualification", "Qualification B", "Won"], 40) == [
        "Qualifica…",
        "Qualifica… ",
        "Won",
    ]
    from textual_plotext.plot import Plot

    plt = Plot()
    draw_bars(plt, ["Lead", "Won"], [10.0, 4.0], title="Reached", ticks=lambda v: f"{v:g}")
    plt.plotsize(40, 8)
    chart = plt.uncolorize(plt.build())
    assert "Reached" in chart and chart.index("Lead") < chart.index("Won")  # the mouth on top
    series = ForecastSeries(["2026-01", "2026-02"], [(0, 5.0)], [5.0, 6.0], [(1, 3.0)])
    draw_forecast(plt, series, title="Forecast", bars=True)
    plt.plotsize(60, 12)
    assert "2026-01" in plt.uncolorize(plt.build())


# -- snapshots ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("funnel") / "funnel.db"
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
    db_path = tmp_path / "funnel.db"
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


VIEWS = {"funnel": ("6",), "forecast": ("6", "t")}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_snapshot(snap_compare: Any, fixed_db: Path, tmp_path: Path, view: str, size: str) -> None:
    app = snapshot_app(fixed_db, tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys(*VIEWS[view]))
