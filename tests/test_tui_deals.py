"""The Deals section (key 5): the board and the list, driven like a user on real SQLite.

A small organisation: Sales (manager Ivanova, rep Li) with North below it (rep
Petrov), and Support (rep Kim). Each rep owns a client; the deals are hand-built on
the default pipeline (Lead, Qualification, Proposal, Negotiation, Won, Lost), with
known amounts, creation dates and days in their stage. The app's clock stands at
20 November 2026, noon UTC.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from termcrm.app import TermCrmApp, make_app
from termcrm.config import load_settings
from termcrm.screens.deal_filter import DealFilterScreen, preset_period
from termcrm.screens.deal_moves import LostReason, StagePicker
from termcrm.screens.deals import DealsScreen
from termcrm.services import clients, deals, org, pipelines
from termcrm.services.dto import DealOut
from termcrm.store import migrate
from termcrm.store.engine import Database
from termcrm.store.tables import Deal, DealStageChange, table
from termcrm.widgets.deal_board import DealBoard, amount_text, money
from termcrm.widgets.dialogs import ErrorDialog
from tui_helpers import TuiDb, rows, run_app, settle, stand_in, tui_app, until

pytestmark = pytest.mark.usefixtures("plain_settings")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OPEN_STAGES = ["Lead", "Qualification", "Proposal", "Negotiation"]
deal_t = table(Deal)
history_t = table(DealStageChange)


@dataclass
class Org:
    url: str
    state: Path
    ids: dict[str, int]


# title, client's owner, stage, amount, currency, created (days before NOW), days in stage,
# expected close
DEALS: tuple[tuple[str, str, str, str, str, int, int, date | None], ...] = (
    ("Acme boxes", "li", "Lead", "250000", "RUB", 46, 10, None),
    ("Acme paper", "li", "Lead", "1000", "USD", 19, 3, date(2026, 12, 20)),
    ("Globex desks", "petrov", "Proposal", "120000", "RUB", 80, 20, date(2026, 11, 30)),
    ("Globex pens", "petrov", "Qualification", "5000", "USD", 10, 7, date(2026, 12, 15)),
    ("Umbrella chairs", "kim", "Negotiation", "9000", "EUR", 5, 2, None),
    ("Acme big win", "li", "Won", "70000", "USD", 120, 30, date(2026, 10, 21)),
)


def build(db: Database, admin: Any) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.write() as s:
        ids["dept.sales"] = org.add_department(s, admin, "Sales").id
        ids["dept.north"] = org.add_department(s, admin, "North", parent="Sales").id
        ids["dept.support"] = org.add_department(s, admin, "Support").id
        for login, role, dept, name in (
            ("ivanova", "manager", "Sales", "Maria Ivanova"),
            ("li", "rep", "Sales", "Li Wei"),
            ("petrov", "rep", "North", "Ivan Petrov"),
            ("kim", "rep", "Support", "Kim Lee"),
        ):
            ids[login] = org.add_user(
                s, admin, login, role=role, department=dept, full_name=name
            ).id
        for login, name in (("li", "Acme"), ("petrov", "Globex"), ("kim", "Umbrella")):
            ids[f"client.{login}"] = clients.create_client(
                s, admin, {"name": name, "owner_id": ids[login]}
            ).id
        for title, login, stage, amount, currency, created, in_stage, close in DEALS:
            deal = deals.add_deal(
                s,
                admin,
                title=title,
                client_id=ids[f"client.{login}"],
                owner_id=ids[login],
                amount=amount,
                currency=currency,
                stage=stage,
                expected_close=close,
            )
            ids[title] = deal.id
            s.execute(
                sa.update(deal_t)
                .where(deal_t.c.id == deal.id)
                .values(
                    created_at=NOW - timedelta(days=created),
                    stage_changed_at=NOW - timedelta(days=in_stage),
                )
            )
    return ids


@pytest.fixture
def company(tui_db: TuiDb) -> Org:
    return Org(tui_db.url, tui_db.state, build(tui_db.db, tui_db.admin))


def run(company: Org, scenario: Any, login: str = "admin") -> None:
    app = tui_app(company.url, company.state, login=login)
    app.pinned_now = NOW
    run_app(app, scenario)


def read(company: Org, fn: Any) -> Any:
    db = Database(company.url)
    try:
        with db.write() as s:
            return fn(s, org.actor_by_login(s, "admin"))
    finally:
        db.dispose()


def deal_now(company: Org, title: str) -> DealOut:
    return read(company, lambda s, a: deals.get_deal(s, a, company.ids[title]))  # type: ignore[no-any-return]


async def open_deals(app: TermCrmApp, pilot: Pilot[None]) -> DealsScreen:
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(app.screen, DealsScreen)
    await until(pilot, lambda: app.screen.board_data is not None)  # type: ignore[attr-defined]
    return app.screen


def board_text(board: DealBoard) -> str:
    return "\n".join(
        "".join(segment.text for segment in board.render_line(y)) for y in range(board.size.height)
    )


def cards(screen: DealsScreen) -> dict[str, list[str]]:
    """Stage -> the titles of its cards, as the board holds them."""
    assert screen.board_data is not None
    return {c.stage.name: [card.title for card in c.cards] for c in screen.board_data.columns}


def status_of(screen: DealsScreen) -> str:
    return str(screen.query_one("#status", Static).render())


async def select_deal(pilot: Pilot[None], screen: DealsScreen, title: str) -> None:
    card_ids = {card.title: card.id for column in screen.board.columns for card in column.cards}
    assert screen.board.select(card_ids[title])
    await pilot.pause()


# -- the board -------------------------------------------------------------------------------


def test_the_board_shows_the_open_stages_with_their_deals(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        assert screen.view == "board"
        assert screen.board.has_focus
        assert cards(screen) == {
            "Lead": ["Acme paper", "Acme boxes"],  # the newest first
            "Qualification": ["Globex pens"],
            "Proposal": ["Globex desks"],
            "Negotiation": ["Umbrella chairs"],
        }
        lead = screen.board.columns[0]
        assert lead.count == 2
        assert dict(lead.amounts) == {"RUB": Decimal("250000.00"), "USD": Decimal("1000.00")}
        text = board_text(screen.board)
        for expected in (
            "Lead",
            "10%",
            "Negotiation",
            "70%",
            "2 deals",
            "Acme paper",
            "Acme",
            "$1,000",
            "3d",  # days in stage
            "Li Wei",  # the admin sees others' deals: their owners
            "Umbrella chairs",
        ):
            assert expected in text, expected
        assert "Acme big win" not in text  # won: not on the board
        assert "Won" not in text
        assert screen.board.current is not None
        assert screen.board.current.title == "Acme paper"
        status = status_of(screen)
        assert "Sales · 5 open deals" in status
        assert "sorted by newest" in status

    run(company, scenario)


def test_a_column_head_lists_three_currencies_at_most(company: Org) -> None:
    for currency in ("EUR", "CNY", "GBP", "RUB"):
        read(
            company,
            lambda s, a, c=currency: deals.add_deal(
                s, a, title=f"In {c}", client_id=company.ids["client.li"], amount=10, currency=c
            ),
        )

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        lead = screen.board.columns[0]
        assert len(lead.amounts) == 5
        assert screen.board.head_height == 5  # the stage, three lines of amounts, the rule
        head = board_text(screen.board).splitlines()[:5]
        assert "6 deals" in head[1]
        assert "RUB\u00a0250" in head[1]  # the currency of the most deals first…
        assert "CN¥10" in head[2]  # (one deal each: by their codes)
        assert "+3 currencies" in head[3]  # …then how many more
        assert set(head[4].split("│")[0]) == {"─"}

    run(company, scenario)


def test_arrow_keys_move_the_cursor_between_cards_and_columns(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        board = screen.board

        def at() -> str | None:
            return board.current.title if board.current else None

        await pilot.press("down")
        assert at() == "Acme boxes"
        await pilot.press("down")  # the last card of the column: stays
        assert at() == "Acme boxes"
        await pilot.press("right")
        assert at() == "Globex pens"
        await pilot.press("right", "right")
        assert at() == "Umbrella chairs"
        await pilot.press("right")  # the last column: stays
        assert at() == "Umbrella chairs"
        await pilot.press("left", "left", "left", "up")
        assert at() == "Acme paper"

    run(company, scenario)


def test_a_click_puts_the_cursor_on_a_card_and_a_double_click_opens_it(
    company: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = stand_in(monkeypatch, "deal_card", "DealCard")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        assert screen.board.head_height == 4  # the stage, two currencies, the rule
        # the second column starts at x=21 (80 columns: 20 + │ + 19 + │ ...)
        await pilot.click("#board", offset=(25, 5))
        assert screen.board.current is not None
        assert screen.board.current.title == "Globex pens"
        await pilot.click("#board", offset=(3, 10))  # the second card of Lead
        assert screen.board.current is not None
        assert screen.board.current.title == "Acme boxes"
        await pilot.click("#board", offset=(3, 10), times=2)
        await settle(pilot)
        assert isinstance(app.screen, card)
        assert app.screen.args == (company.ids["Acme boxes"],)

    run(company, scenario)


def test_moving_a_deal_right_and_left(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Acme boxes")
        await pilot.press("shift+right")
        await settle(pilot)
        assert deal_now(company, "Acme boxes").stage == "Qualification"
        assert cards(screen)["Qualification"] == ["Globex pens", "Acme boxes"]
        # the cursor followed the deal to its new column
        assert screen.board.current is not None
        assert screen.board.current.title == "Acme boxes"
        assert screen.board.column == 1
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert deal_now(company, "Acme boxes").stage == "Proposal"
        await pilot.press("shift+left")
        await settle(pilot)
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert deal_now(company, "Acme boxes").stage == "Lead"
        assert screen.board.current is not None
        assert screen.board.current.title == "Acme boxes"
        history = read(company, lambda s, a: deals.stage_history(s, a, company.ids["Acme boxes"]))
        assert [(m.from_stage, m.to_stage) for m in history][1:] == [
            ("Lead", "Qualification"),
            ("Qualification", "Proposal"),
            ("Proposal", "Qualification"),
            ("Qualification", "Lead"),
        ]
        await pilot.press("shift+left")  # the first stage: nothing moves
        await settle(pilot)
        assert deal_now(company, "Acme boxes").stage == "Lead"

    run(company, scenario)


def test_lost_asks_why_and_refuses_an_empty_reason(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex desks")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, LostReason)
        dialog = app.screen
        await pilot.press("enter")  # no reason
        await settle(pilot)
        assert app.screen is dialog
        error = dialog.query_one("#lost-reason-error", Static)
        assert "Say why the deal was lost" in str(error.render())
        assert not error.has_class("-empty")
        await pilot.press(*"   ")
        await pilot.press("ctrl+s")  # spaces are no reason either
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press(*"price too high")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        lost = deal_now(company, "Globex desks")
        assert (lost.stage, lost.lost_reason) == ("Lost", "price too high")
        assert lost.closed_at is not None
        assert "Globex desks" not in cards(screen)["Proposal"]
        assert "Globex desks" not in board_text(screen.board)
        history = read(company, lambda s, a: deals.stage_history(s, a, company.ids["Globex desks"]))
        assert (history[-1].from_stage, history[-1].to_stage) == ("Proposal", "Lost")
        # the cursor stays in the column the deal left
        assert screen.board.column == 2

    run(company, scenario)


def test_cancelling_the_lost_reason_moves_nothing(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex pens")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"later")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert deal_now(company, "Globex pens").stage == "Qualification"

    run(company, scenario)


def test_w_marks_the_deal_won(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Umbrella chairs")
        await pilot.press("w")
        await settle(pilot)
        won = deal_now(company, "Umbrella chairs")
        assert won.stage == "Won"
        assert won.closed_at is not None
        assert cards(screen)["Negotiation"] == []
        assert "no deals" in board_text(screen.board)
        assert "4 open deals" in status_of(screen)

    run(company, scenario)


def test_m_picks_any_stage(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex pens")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, StagePicker)
        options = app.screen.query_one(OptionList)
        highlighted = options.highlighted_option
        assert highlighted is not None
        assert highlighted.id == str(deal_now(company, "Globex pens").stage_id)
        names = [stage.name for stage in app.screen.stages]
        assert names == [*OPEN_STAGES, "Won", "Lost"]
        await pilot.press("down", "down", "enter")  # Negotiation
        await settle(pilot)
        assert deal_now(company, "Globex pens").stage == "Negotiation"
        assert screen.board.current is not None
        assert screen.board.current.title == "Globex pens"
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("escape")  # nothing picked
        await settle(pilot)
        assert deal_now(company, "Globex pens").stage == "Negotiation"

    run(company, scenario)


def test_a_deal_changed_behind_the_screen_is_not_moved(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex pens")
        # meanwhile, somebody else edits the deal
        version = deal_now(company, "Globex pens").version
        read(
            company,
            lambda s, a: deals.update_deal(
                s,
                org.actor_by_login(s, "ivanova"),
                company.ids["Globex pens"],
                version=version,
                changes={"amount": "5500"},
            ),
        )
        await pilot.press("shift+right")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "changed" in app.screen.title_text
        assert "Maria Ivanova" in app.screen.message
        assert "Nothing was moved" in app.screen.message
        assert deal_now(company, "Globex pens").stage == "Qualification"
        await pilot.press("escape")
        await settle(pilot)
        # the board was read again: the next move works
        await pilot.press("shift+right")
        await settle(pilot)
        assert deal_now(company, "Globex pens").stage == "Proposal"

    run(company, scenario)


def test_a_move_without_the_right_is_refused_with_the_reason(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Acme paper")
        # the client goes to another rep: Li may no longer touch its deals
        read(
            company,
            lambda s, a: clients.update_client(
                s,
                a,
                company.ids["client.li"],
                version=clients.get_client(s, a, company.ids["client.li"]).version,
                changes={"owner_id": company.ids["kim"]},
            ),
        )
        await pilot.press("shift+right")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message
        assert deal_now(company, "Acme paper").stage == "Lead"
        await pilot.press("escape")
        await settle(pilot)
        assert cards(screen)["Lead"] == []  # read again: the deals are out of reach

    run(company, scenario, login="li")


# -- who sees what, and filters --------------------------------------------------------------


def test_a_rep_sees_only_their_deals(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        assert cards(screen) == {
            "Lead": ["Acme paper", "Acme boxes"],
            "Qualification": [],
            "Proposal": [],
            "Negotiation": [],
        }
        assert not screen.board.show_owner  # their own deals: no owner on the cards
        assert "Li Wei" not in board_text(screen.board)
        assert "2 open deals" in status_of(screen)

    run(company, scenario, login="li")


def test_a_manager_sees_the_department_and_below(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Acme boxes", "Acme paper", "Globex desks", "Globex pens"]

    run(company, scenario, login="ivanova")


async def apply_filter(pilot: Pilot[None], **values: Any) -> None:
    """Open the filter (f), set its fields, apply it (ctrl+s)."""
    await pilot.press("f")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, DealFilterScreen)
    for key, value in values.items():
        widget = dialog.query_one(f"#{key}")
        if isinstance(widget, Input):
            widget.value = value
        else:
            assert isinstance(widget, Select)
            widget.value = value
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)


def test_filters_narrow_the_board_and_show_on_the_status_line(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await apply_filter(pilot, owner=company.ids["petrov"])
        assert cards(screen) == {
            "Lead": [],
            "Qualification": ["Globex pens"],
            "Proposal": ["Globex desks"],
            "Negotiation": [],
        }
        assert "owner: Ivan Petrov" in status_of(screen)
        # a department: Sales holds North, so Li's and Petrov's deals, not Kim's
        await apply_filter(pilot, owner=Select.NULL, department=company.ids["dept.sales"])
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Acme boxes", "Acme paper", "Globex desks", "Globex pens"]
        assert "department: Sales" in status_of(screen)
        assert "owner:" not in status_of(screen)
        # created within the last three weeks (Acme paper 19 days ago, Globex pens 10)
        first, last = (NOW - timedelta(days=21)).date(), NOW.date()
        await apply_filter(pilot, first=first.isoformat(), last=last.isoformat())
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Acme paper", "Globex pens"]
        assert "created: 10/30/2026 – 11/20/2026" in status_of(screen)
        # expected to close in December
        await apply_filter(pilot, department=Select.NULL, period_of="close", preset="next_month")
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Acme paper", "Globex pens"]
        # the filter is kept while the user is in another section
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert app.screen is screen
        assert screen.filter.period_of == "close"
        assert "expected close: 12/1/2026 – 12/31/2026" in status_of(screen)
        # and over a rebuild (a language switch carries it)
        rebuilt = DealsScreen()
        app.carried["deals"] = screen.carry()
        await app.push_screen(rebuilt)
        await settle(pilot)
        assert rebuilt.filter == screen.filter
        assert rebuilt.names == screen.names

    run(company, scenario)


def test_a_wrong_date_in_the_filter_is_refused_inline(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DealFilterScreen)
        dialog.query_one("#first", Input).value = "soon"
        dialog.query_one("#last", Input).value = "2026-12-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "“soon” is not a date" in str(dialog.query_one("#filter-error", Static).render())
        dialog.query_one("#first", Input).value = "2026-12-05"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "ends before it starts" in str(dialog.query_one("#filter-error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.filter.period is None

    run(company, scenario)


def test_search_narrows_the_board(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await pilot.press("slash")
        assert screen.query_one("#search-bar").has_class("-shown")
        await pilot.press(*"globex", "enter")
        await settle(pilot)
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Globex desks", "Globex pens"]
        assert "“globex”" in status_of(screen)
        assert screen.board.has_focus
        await pilot.press("escape")  # clears the search
        await settle(pilot)
        assert len([t for titles in cards(screen).values() for t in titles]) == 5
        assert not screen.query_one("#search-bar").has_class("-shown")

    run(company, scenario)


# -- the list --------------------------------------------------------------------------------


def titles(screen: DealsScreen) -> list[str]:
    return [d.title for d in rows(screen.table)]


def test_the_list_sorts_and_searches_and_shows_won_and_lost(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex desks")
        await pilot.press("v")
        await settle(pilot)
        assert screen.view == "list"
        assert screen.table.has_focus
        # the open deals, newest first; the cursor on the deal it was on in the board
        assert titles(screen) == [
            "Umbrella chairs",
            "Globex pens",
            "Globex desks",
            "Acme paper",
            "Acme boxes",
        ]
        assert screen.table.current is not None
        assert screen.table.current.title == "Globex desks"
        assert status_of(screen).startswith("5 deals · open · sorted by newest")
        await pilot.press("s")  # amount, the highest first (whatever the currency)
        await settle(pilot)
        assert titles(screen)[0] == "Acme boxes"
        assert "sorted by amount ▼" in status_of(screen)
        await pilot.press("r")  # reversed
        await settle(pilot)
        assert titles(screen)[0] == "Acme paper"
        await pilot.press("s", "r")  # expected close, the soonest first
        await settle(pilot)
        assert titles(screen)[:3] == ["Globex desks", "Globex pens", "Acme paper"]
        await pilot.press("s")  # days in stage, the longest first
        await settle(pilot)
        assert titles(screen)[0] == "Globex desks"
        await pilot.press("s", "s")  # client
        await settle(pilot)
        assert titles(screen)[-1] == "Umbrella chairs"
        await pilot.press("t")  # won
        await settle(pilot)
        assert titles(screen) == ["Acme big win"]
        assert status_of(screen).startswith("1 deal · won")
        await pilot.press("t", "t", "t")  # lost, closed, all
        await settle(pilot)
        assert len(titles(screen)) == 6
        await pilot.press("slash", *"acme", "enter")
        await settle(pilot)
        assert sorted(titles(screen)) == ["Acme big win", "Acme boxes", "Acme paper"]
        await pilot.press("v")  # back to the board: the search stays, only open deals
        await settle(pilot)
        shown = [t for titles in cards(screen).values() for t in titles]
        assert sorted(shown) == ["Acme boxes", "Acme paper"]

    run(company, scenario)


def test_the_list_moves_a_deal_too(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await pilot.press("v")
        await settle(pilot)
        screen.table.cursor = titles(screen).index("Globex pens")
        await pilot.press("shift+right")
        await settle(pilot)
        assert deal_now(company, "Globex pens").stage == "Proposal"
        current = screen.table.current
        assert current is not None
        assert (current.title, current.stage) == ("Globex pens", "Proposal")

    run(company, scenario)


def test_the_list_is_read_a_page_at_a_time(company: Org) -> None:
    db = Database(company.url)
    with db.write() as s:
        admin = org.actor_by_login(s, "admin")
        for n in range(130):
            deals.add_deal(
                s,
                admin,
                title=f"Bulk deal {n:03d}",
                client_id=company.ids["client.kim"],
                amount=n,
                currency="USD",
            )
    db.dispose()

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        assert screen.board.columns[0].count == 132
        await pilot.press("v")
        await settle(pilot)
        assert screen.total == 135
        assert "135 deals" in status_of(screen)
        source = screen.pages.source
        assert source is not None
        assert source.get(99) is not None
        assert source.get(100) is None  # the second page is not read yet
        await pilot.press("end")
        await settle(pilot)
        assert source.get(134) is not None
        assert screen.table.current is not None
        assert screen.table.current.title == "Acme boxes"  # the oldest
        await pilot.press("slash", *"bulk deal 12", "enter")
        await settle(pilot)
        # every word anywhere in the title: 012, 112 and 120 to 129
        assert titles(screen) == [f"Bulk deal {n:03d}" for n in (*range(129, 119, -1), 112, 12)]

    run(company, scenario)


# -- the other screens it opens ----------------------------------------------------------------


def test_enter_opens_the_card_and_n_a_new_deal(
    company: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = stand_in(monkeypatch, "deal_card", "DealCard")
    form = stand_in(monkeypatch, "deal_form", "DealForm")
    settings = stand_in(monkeypatch, "pipelines", "PipelineSettings")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await select_deal(pilot, screen, "Globex pens")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, card)
        assert app.screen.args == (company.ids["Globex pens"],)
        # the card moved the deal meanwhile: the board shows it where it is now
        version = deal_now(company, "Globex pens").version
        read(
            company,
            lambda s, a: deals.move_deal(
                s, a, company.ids["Globex pens"], version=version, stage="Negotiation"
            ),
        )
        app.screen.done(None)
        await settle(pilot)
        assert app.screen is screen
        assert cards(screen)["Negotiation"] == ["Umbrella chairs", "Globex pens"]
        assert screen.board.current is not None
        assert screen.board.current.title == "Globex pens"
        # a new deal: the cursor goes to it
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, form)
        new = read(
            company,
            lambda s, a: deals.add_deal(
                s, a, title="Fresh deal", client_id=company.ids["client.kim"], stage="Proposal"
            ),
        )
        app.screen.done(new)
        await settle(pilot)
        assert screen.board.current is not None
        assert screen.board.current.title == "Fresh deal"
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, settings)

    run(company, scenario)


def test_money_is_shown_in_the_interface_language() -> None:
    assert money(Decimal("150000.00"), "USD") == "$150,000"
    assert money(Decimal("1500.50"), "USD") == "$1,500.50"
    assert amount_text(Decimal("251390.10")) == "251,390.10"
    assert amount_text(Decimal("120000.00")) == "120,000"


def test_preset_periods() -> None:
    today = date(2026, 11, 20)
    assert preset_period("this_month", today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert preset_period("last_month", today) == (date(2026, 10, 1), date(2026, 10, 31))
    assert preset_period("next_quarter", today) == (date(2027, 1, 1), date(2027, 3, 31))
    assert preset_period("this_year", today) == (date(2026, 1, 1), date(2026, 12, 31))


def test_more_stages_than_fit_scroll_sideways(company: Org) -> None:
    """Seven open stages at 80 columns: four are shown, the cursor's column kept in view."""
    read(
        company,
        lambda s, a: pipelines.add_pipeline(
            s,
            a,
            "Long",
            stages=[
                *((f"Step {n}", 10 * n, "open") for n in range(1, 8)),
                ("Won", 100, "won"),
                ("Lost", 0, "lost"),
            ],
        ),
    )
    long_id = read(company, lambda s, a: pipelines.pipeline_id(s, "Long"))
    read(
        company,
        lambda s, a: deals.add_deal(
            s,
            a,
            title="Far along",
            client_id=company.ids["client.kim"],
            pipeline=long_id,
            stage="Step 7",
        ),
    )

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_deals(app, pilot)
        await apply_filter(pilot, pipeline=long_id)
        assert [c.stage.name for c in screen.board.columns][:2] == ["Step 1", "Step 2"]
        text = board_text(screen.board)
        assert "Step 4" in text
        assert "Step 5" not in text
        assert "▶" in text  # more to the right
        assert "Long · 1 open deal" in status_of(screen)
        await pilot.press("right", "right", "right", "right", "right", "right")
        text = board_text(screen.board)
        assert "Step 7" in text
        assert "Far along" in text
        assert "◀" in text
        assert "Step 1" not in text
        assert screen.board.current is not None
        assert screen.board.current.title == "Far along"
        await pilot.press("shift+right")  # the last open stage: nothing moves
        await settle(pilot)
        await pilot.press("shift+left")
        await settle(pilot)
        moved = read(company, lambda s, a: deals.list_deals(s, a, deals.DealFilter(text="far")))
        assert moved.items[0].stage == "Step 6"

    run(company, scenario)


# -- snapshots ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deal_snapshots") / "deals.db"
    db = Database(str(path))
    migrate.upgrade(db)
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    build(db, admin)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def snapshot_app(source: Path, tmp_path: Path) -> TermCrmApp:
    db_path = tmp_path / "deals.db"
    shutil.copy(source, db_path)
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = load_settings(
        str(db_path),
        env={"TERMCRM_CONFIG": str(config), "TERMCRM_LOCALE": "en", "TERMCRM_TIMEZONE": "UTC"},
    )
    app = make_app(settings=settings, login="admin", state_path=tmp_path / "ui.json")
    app.animation_level = "none"
    app.pinned_now = NOW
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("view", ["board", "list"])
def test_snapshot(
    snap_compare: Any, snapshot_db: Path, tmp_path: Path, view: str, size: tuple[int, int]
) -> None:
    keys = ["5", "right"] if view == "board" else ["5", "v", "down"]

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause(0.1)

    app = snapshot_app(snapshot_db, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
