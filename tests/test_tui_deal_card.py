"""The deal card, its line items, the deal form and the proposal key, driven at 80x24.

Each test has a SQLite file of its own: a client with a contact person, a product
catalog with a default RUB price list, and a deal with two lines that moved from
Lead to Proposal and has a call in its journal. The app's clock is pinned and the
deal's dates are fixed, so what the card shows does not depend on the day the tests
run; the snapshots (80x24 and 120x40) use the same data.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select, Static, TabbedContent

from termcrm.app import TermCrmApp, make_app
from termcrm.config import Settings
from termcrm.i18n import fmt_date, fmt_datetime, fmt_money
from termcrm.screens.deal_card import DealCard
from termcrm.screens.deal_form import DealForm
from termcrm.screens.deal_lines import LineDialog, ProductPicker, ProposalDialog
from termcrm.services import clients, contacts, deal_items, deals, journal, org, products
from termcrm.services.dto import DealOut
from termcrm.store.tables import Deal, DealStageChange, Interaction, table
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.conflict_dialog import ConflictDialog
from termcrm.widgets.dialogs import ConfirmDialog, ErrorDialog
from tui_helpers import TuiDb, run_app, settle, until
from tui_helpers import rows as table_rows

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
MOVED = datetime(2026, 11, 16, 14, 30, tzinfo=UTC)
CALLED = datetime(2026, 11, 20, 11, 15, tzinfo=UTC)
CLIENT = "ООО «Ромашка»"


@dataclass
class World(TuiDb):
    client_id: int
    contact_id: int
    deal_id: int
    paper_id: int
    stapler_id: int
    other_client_id: int


@pytest.fixture
def world(tui_db: TuiDb) -> World:
    admin = tui_db.admin
    with tui_db.db.write() as s:
        org.update_user(s, admin, "admin", full_name="Ivan Petrov")
    with tui_db.db.write() as s:
        admin = org.actor_by_login(s, "admin")
        client = clients.create_client(s, admin, {"name": CLIENT, "city": "Москва"})
        other = clients.create_client(s, admin, {"name": "Acme Trading"})
        person = contacts.create_contact(
            s, admin, client.id, {"full_name": "Анна Лебедева", "position": "buyer"}
        )
        paper = products.add_product(
            s, admin, {"sku": "P-A4", "name": "Paper A4", "unit": "pack", "category": "paper"}
        )
        stapler = products.add_product(
            s, admin, {"sku": "ST-1", "name": "Stapler", "unit": "pcs", "category": "office"}
        )
        products.add_product(s, admin, {"sku": "PEN", "name": "Pen", "unit": "pcs"})
        base = products.add_price_list(s, admin, "Base RUB", currency="RUB", is_default=True)
        products.set_price(s, admin, base.id, paper.id, "350")
        products.set_price(s, admin, base.id, stapler.id, "1250.50")
        deal = deals.add_deal(
            s,
            admin,
            title="Spring paper order",
            client_id=client.id,
            contact_id=person.id,
            amount="125000",
            expected_close=date(2026, 12, 20),
            source="trade fair",
            kind="new business",
            competitor="Paper Co",
            description="Ten stores in Moscow",
        )
        lines = deal_items.add_item(
            s, admin, deal.id, version=deal.version, product=paper.id, quantity=100
        )
        lines = deal_items.add_item(
            s,
            admin,
            deal.id,
            version=lines.deal.version,
            product=stapler.id,
            quantity=2,
            discount_pct=10,
        )
        deals.move_deal(s, admin, deal.id, version=lines.deal.version, stage="Proposal")
        journal.log_interaction(
            s,
            admin,
            kind="call",
            client_id=client.id,
            contact_id=person.id,
            deal_id=deal.id,
            occurred_at=CALLED,
            purpose="the quote",
            result="asked for a discount",
        )
        # the dates fixed: what the card shows does not move from day to day
        s.execute(
            sa.update(table(Deal)).values(
                created_at=CREATED, updated_at=MOVED, stage_changed_at=MOVED
            )
        )
        history = table(DealStageChange)
        s.execute(
            sa.update(history)
            .where(history.c.from_stage_id.is_(None))
            .values(changed_at=CREATED, left_at=MOVED)
        )
        s.execute(
            sa.update(history).where(history.c.from_stage_id.is_not(None)).values(changed_at=MOVED)
        )
        s.execute(sa.update(table(Interaction)).values(created_at=CALLED, updated_at=CALLED))
    return World(
        **vars(tui_db),
        client_id=client.id,
        contact_id=person.id,
        deal_id=deal.id,
        paper_id=paper.id,
        stapler_id=stapler.id,
        other_client_id=other.id,
    )


def app_for(world: World) -> TermCrmApp:
    settings = Settings(database_url=world.url, locale="en", phone_region="RU", timezone="UTC")
    app = make_app(settings=settings, login="admin", state_path=world.state)
    app.animation_level = "none"
    app.pinned_now = NOW
    return app


def run(world: World, body: Any) -> None:
    run_app(app_for(world), body)


async def open_card(app: TermCrmApp, pilot: Pilot[None], deal_id: int) -> DealCard:
    await app.push_screen(DealCard(deal_id))
    await settle(pilot)
    assert isinstance(app.screen, DealCard)
    return app.screen


def text_of(screen: Screen[Any], selector: str) -> str:
    """What a Static shows, all of it (also the part scrolled out of view)."""
    widget = screen.query_one(selector, Static)
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


def tab_label(card: DealCard, key: str) -> str:
    return card.query_one(TabbedContent).get_tab(key).label.plain


def read_deal(world: World) -> DealOut:
    with world.db.read() as s:
        return deals.get_deal(s, world.admin, world.deal_id)


async def type_into(pilot: Pilot[None], box: Input, text: str) -> None:
    """Put ``text`` in a field as if typed (the field has the focus, its Changed is sent)."""
    box.focus()
    box.value = text
    box.cursor_position = len(text)
    await pilot.pause()


# -- the card ---------------------------------------------------------------------------------


def test_card_shows_fields_lines_history_and_journal(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.deal_id)
        head = text_of(card, "#deal-header")
        assert "Spring paper order" in head and CLIENT in head
        assert "Proposal · 40% (Sales)" in head
        assert fmt_money(Decimal("125000.00"), "RUB") in head and "Ivan Petrov" in head
        assert fmt_date(date(2026, 12, 20)) in head and "9 days" in head  # since Nov 16
        facts = text_of(card, "#overview-text")
        for fact in (
            "Анна Лебедева",
            "Sales",
            "40%",
            "trade fair",
            "new business",
            "Paper Co",
            "Ten stores in Moscow",
            fmt_datetime(CREATED),
            fmt_datetime(MOVED),  # the stage changed
        ):
            assert fact in facts, fact

        lines = table_rows(card.table("lines"))
        assert [(i.sku, i.name, i.quantity, i.price, i.discount_pct, i.amount) for i in lines] == [
            ("P-A4", "Paper A4", Decimal("100.000"), Decimal("350.00"), Decimal("0.00"),
             Decimal("35000.00")),
            ("ST-1", "Stapler", Decimal("2.000"), Decimal("1250.50"), Decimal("10.00"),
             Decimal("2250.90")),
        ]  # fmt: skip
        assert fmt_money(Decimal("37250.90"), "RUB") in text_of(card, "#lines-total")
        assert tab_label(card, "lines") == "Lines (2)"

        history = table_rows(card.table("history"))
        assert [(r.move.from_stage, r.move.to_stage, r.move.user, r.days) for r in history] == [
            ("Lead", "Proposal", "Ivan Petrov", 9),
            ("", "Lead", "Ivan Petrov", 14),
        ]
        entries = table_rows(card.table("journal"))
        assert [(i.purpose, i.contact) for i in entries] == [("the quote", "Анна Лебедева")]
        assert tab_label(card, "journal") == "Journal (1)"

        # right walks the tabs; each tab's list gets the keys
        tabs = card.query_one(TabbedContent)
        await pilot.press("right")
        assert tabs.active == "lines"
        assert app.focused is card.table("lines")
        await pilot.press("right", "right", "right")
        assert tabs.active == "overview"
        await pilot.press("escape")
        assert not isinstance(app.screen, DealCard)

    run(world, body)


def test_a_missing_deal_says_so_and_closes(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await app.push_screen(DealCard(999_999))
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "deal 999999 does not exist" in app.screen.message
        await pilot.press("escape")
        assert not isinstance(app.screen, DealCard)

    run(world, body)


# -- lines ------------------------------------------------------------------------------------


def test_add_edit_and_remove_lines_and_the_amount_follows(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.deal_id)
        await pilot.press("right")  # the Lines tab
        # f: the amount follows the lines (37 250,90)
        await pilot.press("f")
        await settle(pilot)
        assert read_deal(world).amount == Decimal("37250.90")
        assert "follows the lines" in text_of(card, "#deal-header")

        # a: the product picker; typing narrows the catalog; Enter takes the product
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ProductPicker)
        await pilot.press(*"pen")
        await settle(pilot, wait=0.3)
        options = picker.query_one(OptionList)
        assert options.option_count == 2  # a line of its own, and the Pen
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LineDialog)
        # the Pen has no price in the default list: said, and refused by the service
        assert "no price in a default RUB price list" in text_of(dialog, "#price-hint")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LineDialog)
        assert "give the price" in text_of(dialog, "#price-error")
        await type_into(pilot, dialog.query_one("#price", Input), "40")
        await type_into(pilot, dialog.query_one("#quantity", Input), "10")
        assert fmt_money(Decimal("400.00"), "RUB") in text_of(dialog, "#line-amount")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)
        lines = table_rows(card.table("lines"))
        assert [(i.name, i.amount) for i in lines][-1] == ("Pen", Decimal("400.00"))
        assert read_deal(world).amount == Decimal("37650.90")
        assert fmt_money(Decimal("37650.90"), "RUB") in text_of(card, "#lines-total")

        # a line of its own: a name and a price; the default price of a product fills in
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("up", "enter")  # the first option: a line of its own
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LineDialog) and dialog.free
        await pilot.press(*"Delivery")
        await type_into(pilot, dialog.query_one("#price", Input), "1500")
        await pilot.press("ctrl+s")
        await settle(pilot)
        lines = table_rows(card.table("lines"))
        assert [(i.name, i.unit, i.amount) for i in lines][-1] == (
            "Delivery",
            "pcs",
            Decimal("1500.00"),
        )
        assert read_deal(world).amount == Decimal("39150.90")

        # e on the first line: a quantity of 200 doubles it
        table = card.table("lines")
        table.cursor = 0
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LineDialog) and dialog.item is not None
        assert dialog.query_one("#price", Input).value == "350.00"
        await type_into(pilot, dialog.query_one("#quantity", Input), "200")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert table_rows(card.table("lines"))[0].amount == Decimal("70000.00")
        assert read_deal(world).amount == Decimal("74150.90")

        # Enter edits too; a quantity of zero is refused under its field
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LineDialog)
        await type_into(pilot, dialog.query_one("#quantity", Input), "0")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "more than zero" in text_of(dialog, "#quantity-error")
        await pilot.press("escape")  # something was typed: asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)

        # Delete removes the line, after asking
        table.cursor = 0
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        names = [i.name for i in table_rows(card.table("lines"))]
        assert names == ["Stapler", "Pen", "Delivery"]
        assert read_deal(world).amount == Decimal("4150.90")
        assert tab_label(card, "lines") == "Lines (3)"

        # f again: the amount stops following and stays as it was
        await pilot.press("f")
        await settle(pilot)
        deal = read_deal(world)
        assert not deal.amount_from_items and deal.amount == Decimal("4150.90")

    run(world, body)


def test_a_line_changed_meanwhile_is_a_conflict(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.deal_id)
        # somebody else changes the deal after the card read it
        with world.db.write() as s:
            deal = deals.get_deal(s, world.admin, world.deal_id)
            deals.update_deal(
                s, world.admin, deal.id, version=deal.version, changes={"title": "Renamed"}
            )
        await pilot.press("right", "delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "Title" in app.screen.message or "title" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        # nothing removed, and the card shows the deal as it is now
        assert len(table_rows(card.table("lines"))) == 2
        assert "Renamed" in text_of(card, "#deal-header")

    run(world, body)


# -- moves --------------------------------------------------------------------------------------


def test_lost_asks_the_reason_and_move_picks_a_stage(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        from termcrm.screens.deal_moves import LostReason, StagePicker

        card = await open_card(app, pilot, world.deal_id)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, LostReason)
        await pilot.press("escape")  # cancelled: nothing moves
        await settle(pilot)
        assert read_deal(world).stage == "Proposal"
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # an empty reason is refused
        assert isinstance(app.screen, LostReason)
        await pilot.press(*"price too high", "enter")
        await settle(pilot)
        deal = read_deal(world)
        assert (deal.stage, deal.lost_reason) == ("Lost", "price too high")
        head = text_of(card, "#deal-header")
        assert "Lost " in head
        assert "price too high" in head

        # m: the stage picker, the cursor on the deal's stage; back to Negotiation
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, StagePicker)
        await pilot.press("up", "up", "enter")
        await settle(pilot)
        assert read_deal(world).stage == "Negotiation"
        history = table_rows(card.table("history"))
        assert [r.move.to_stage for r in history][:2] == ["Negotiation", "Lost"]
        # w: won
        await pilot.press("w")
        await settle(pilot)
        assert read_deal(world).stage == "Won"

    run(world, body)


# -- the form -----------------------------------------------------------------------------------


def test_create_a_deal_with_the_form(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        saved: list[DealOut | None] = []
        await app.push_screen(DealForm(), saved.append)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DealForm)
        # nothing typed: the client and the title are asked for
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Choose a client" in text_of(form, "#client-error")
        assert "title" in text_of(form, "#title-error")
        await pilot.press(*"Acme")
        await settle(pilot, wait=0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert form.query_one(ClientPicker).client_id == world.other_client_id
        stage = form.query_one("#stage", Select)
        stage.value = next(v for _label, v in stage._options if "Qualification" in str(_label))
        await type_into(pilot, form.query_one("#title", Input), "Office chairs")
        await type_into(pilot, form.query_one("#amount", Input), "48 000,50")
        await type_into(pilot, form.query_one("#currency", Input), "usd")
        await type_into(pilot, form.query_one("#close", Input), "2027-01-31x")
        await type_into(pilot, form.query_one("#source", Input), "website")
        await type_into(pilot, form.query_one("#kind", Input), "repeat sale")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "is not a date" in text_of(form, "#close-error")
        await type_into(pilot, form.query_one("#close", Input), "2027-01-31")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, DealForm)
        deal = saved[-1]
        assert deal is not None
        assert (deal.title, deal.client, deal.stage, deal.amount, deal.currency) == (
            "Office chairs",
            "Acme Trading",
            "Qualification",
            Decimal("48000.50"),
            "USD",
        )
        assert (deal.expected_close, deal.source, deal.kind) == (
            date(2027, 1, 31),
            "website",
            "repeat sale",
        )

    run(world, body)


def test_edit_a_deal_from_the_card_with_an_inline_refusal(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        card = await open_card(app, pilot, world.deal_id)
        await pilot.press("right", "f", "left")  # the amount follows the lines
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DealForm)
        assert form.query_one("#title", Input).value == "Spring paper order"
        assert form.query_one("#contact", Select).value == world.contact_id
        # the amount follows the lines: the service refuses it under the field
        await type_into(pilot, form.query_one("#amount", Input), "99000")
        await type_into(pilot, form.query_one("#competitor", Input), "Office Direct")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealForm)
        assert "follows the line items" in text_of(form, "#amount-error")
        assert app.focused is form.query_one("#amount", Input)
        await type_into(pilot, form.query_one("#amount", Input), "37250.90")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)
        deal = read_deal(world)
        assert deal.competitor == "Office Direct" and deal.amount == Decimal("37250.90")
        assert "Office Direct" in text_of(card, "#overview-text")

    run(world, body)


def test_an_edit_over_a_change_made_meanwhile_shows_the_conflict(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await open_card(app, pilot, world.deal_id)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DealForm)
        with world.db.write() as s:  # somebody else renames the deal meanwhile
            deal = deals.get_deal(s, world.admin, world.deal_id)
            deals.update_deal(
                s, world.admin, deal.id, version=deal.version, changes={"title": "Renamed"}
            )
        await type_into(pilot, form.query_one("#competitor", Input), "Office Direct")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert read_deal(world).competitor == "Paper Co"  # nothing saved
        await pilot.press("k")  # keep editing: saving again applies mine over theirs
        await settle(pilot)
        assert app.screen is form
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)
        deal = read_deal(world)
        assert (deal.title, deal.competitor) == ("Renamed", "Office Direct")

    run(world, body)


# -- the proposal and the journal ----------------------------------------------------------------


def test_the_proposal_key_writes_a_workbook(world: World, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "offer.xlsx"

    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await open_card(app, pilot, world.deal_id)
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ProposalDialog)
        assert dialog.query_one(Input).value.endswith(f"proposal-{world.deal_id}-2026-11-25.xlsx")
        # a folder that does not exist, then one that cannot be written, are refused
        await type_into(pilot, dialog.query_one(Input), str(tmp_path / "nowhere" / "x.xlsx"))
        await pilot.press("enter")
        assert "There is no folder" in text_of(dialog, "#proposal-error")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            if not os.access(locked, os.W_OK):  # root writes anywhere
                await type_into(pilot, dialog.query_one(Input), str(locked / "x.xlsx"))
                await pilot.press("enter")
                assert "cannot write in the folder" in text_of(dialog, "#proposal-error")
        finally:
            locked.chmod(0o700)
        # a folder nobody can create files in (not even root): refused when written
        await type_into(pilot, dialog.query_one(Input), "/proc/offer.xlsx")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProposalDialog)
        assert "/proc/offer.xlsx cannot be written" in text_of(dialog, "#proposal-error")
        await type_into(pilot, dialog.query_one(Input), str(out))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)

    run(world, body)
    ws = load_workbook(out).active
    assert ws is not None
    cells = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    flat = [str(c) for row in cells for c in row]
    assert CLIENT in flat and "Анна Лебедева" in flat and "Spring paper order" in flat
    assert [row[2] for row in cells if len(row) >= 8][1:] == ["Paper A4", "Stapler"]
    assert Decimal(str(cells[-1][-1])) == Decimal("37250.90")


def test_l_logs_an_interaction_about_the_deal(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        from termcrm.screens.quick_log import QuickLogScreen

        card = await open_card(app, pilot, world.deal_id)
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuickLogScreen)
        assert dialog.query_one(ClientPicker).client_id == world.client_id
        await type_into(pilot, dialog.query_one("#purpose", Input), "sent the proposal")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealCard)
        await until(pilot, lambda: len(table_rows(card.table("journal"))) == 2)
        assert table_rows(card.table("journal"))[0].purpose == "sent the proposal"
        assert tab_label(card, "journal") == "Journal (2)"

    run(world, body)


def test_the_client_card_opens_a_deal(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[None]) -> None:
        from termcrm.screens.client_card import ClientCardScreen

        await app.push_screen(ClientCardScreen(world.client_id))
        await settle(pilot)
        client_card = app.screen
        assert isinstance(client_card, ClientCardScreen)
        client_card.query_one(TabbedContent).active = "deals"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DealCard) and app.screen.deal_id == world.deal_id

    run(world, body)


# -- snapshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("tab", ["overview", "lines"])
def test_snapshot(snap_compare: Any, world: World, size: tuple[int, int], tab: str) -> None:
    app = app_for(world)

    async def show(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await app.push_screen(DealCard(world.deal_id))
        await settle(pilot)
        if tab != "overview":
            app.screen.query_one(TabbedContent).active = tab
            await settle(pilot)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=show)
