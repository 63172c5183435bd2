"""`termcrm deal list` (filters, sorts, keyset pages, counts) and `termcrm deal edit` (its
changes and the service's refusals) from the shell, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from termcrm.cli import app, output
from termcrm.cli.deals import DealSort, DealState
from termcrm.services import clients, contacts, deal_items, deals, org, pipelines
from termcrm.services.actor import Actor
from termcrm.services.dto import DealOut
from termcrm.store.engine import Database
from termcrm.store.tables import Deal, table

deal_t = table(Deal)
runner = CliRunner()
ME = org.os_login()  # the user the command line acts as


@dataclass
class Setup:
    url: str
    db: Database
    ids: dict[str, int]  # deals by a short name
    client: dict[str, int]
    contact: dict[str, int]


def _deal(s: Session, admin: Actor, title: str, client: int, owner: Actor, **kw: Any) -> int:
    return deals.add_deal(s, admin, title=title, client_id=client, owner_id=owner.id, **kw).id


@pytest.fixture
def cli_deals(
    db: Database, admin: Actor, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Setup:
    """Five deals: I am a director (I see them all); rep is in North, sue in South."""
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "UTC")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        org.add_user(s, admin, ME, role="director", department=None, full_name="Me Myself")
        org.add_user(s, admin, "rep", role="rep", department="North", full_name="Rep North")
        org.add_user(s, admin, "sue", role="rep", department="South", full_name="Sue South")
        me, rep, sue = (org.actor_by_login(s, x) for x in (ME, "rep", "sue"))
        client = {
            "romashka": clients.create_client(s, admin, {"name": "Ромашка", "owner_id": rep.id}).id,
            "beta": clients.create_client(s, admin, {"name": "Бета", "owner_id": sue.id}).id,
            "acme": clients.create_client(s, admin, {"name": "Acme", "owner_id": me.id}).id,
        }
        contact = {
            "ivan": contacts.create_contact(
                s, admin, client["romashka"], {"full_name": "Иван Петров"}
            ).id,
            "other": contacts.create_contact(s, admin, client["beta"], {"full_name": "Li"}).id,
        }
        service = pipelines.add_pipeline(s, admin, "Service").id
        ids = {
            "tulips": _deal(
                s,
                admin,
                "Весенние тюльпаны",
                client["romashka"],
                rep,
                amount=1000,
                expected_close=date(2026, 12, 15),
                kind="upsell",
            ),
            "led": _deal(
                s,
                admin,
                "LED panels",
                client["beta"],
                sue,
                amount=5000,
                currency="USD",
                expected_close=date(2026, 8, 10),
            ),
            "tools": _deal(s, admin, "Garden tools", client["acme"], me, amount=300),
            "spades": _deal(s, admin, "Лопаты", client["romashka"], rep, amount=200),
            "support": _deal(
                s, admin, "Support contract", client["acme"], me, amount=700, pipeline=service
            ),
        }
        for name, stage, reason in (("tools", "Won", ""), ("spades", "Lost", "too dear")):
            current = deals.get_deal(s, admin, ids[name])
            deals.move_deal(
                s, admin, ids[name], version=current.version, stage=stage, lost_reason=reason
            )
        # known creation times (periods) and times in the stage (stage_age)
        for name, created, in_stage in (
            ("tulips", datetime(2026, 7, 5, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)),
            ("led", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
            ("tools", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
            ("spades", datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC)),
            ("support", datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC)),
        ):
            s.execute(
                sa.update(deal_t)
                .where(deal_t.c.id == ids[name])
                .values(created_at=created, stage_changed_at=in_stage)
            )
    return Setup(db_url, db, ids, client, contact)


def invoke(url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", url, *args])
    assert result.exit_code == code, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    return result.output


def listed(setup: Setup, *args: str) -> list[str]:
    """The titles `deal list ARGS` prints, in order (every page of them)."""
    result = runner.invoke(app, ["--db", setup.url, "deal", "list", "-f", "json", *args])
    assert result.exit_code == 0, (args, result.output)
    assert "More rows" not in result.stderr
    return [d["title"] for d in json.loads(result.stdout)]


def names(setup: Setup, *keys: str) -> set[str]:
    titles = {
        "tulips": "Весенние тюльпаны",
        "led": "LED panels",
        "tools": "Garden tools",
        "spades": "Лопаты",
        "support": "Support contract",
    }
    assert set(titles) == set(setup.ids)
    return {titles[k] for k in keys}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ("tulips", "led", "tools", "spades", "support")),
        (("--pipeline", "service"), ("support",)),
        (("--owner", "rep"), ("tulips", "spades")),
        (("--department", "South"), ("led",)),
        (("--mine",), ("tools", "support")),
        (("--state", "open"), ("tulips", "led", "support")),
        (("--open",), ("tulips", "led", "support")),
        (("--open", "--state", "open"), ("tulips", "led", "support")),
        (("--state", "won"), ("tools",)),
        (("--state", "lost"), ("spades",)),
        (("--state", "closed"), ("tools", "spades")),
        (("--state", "all"), ("tulips", "led", "tools", "spades", "support")),
        (("--period", "2026-Q3"), ("tulips", "spades")),
        (("--period", "2026-Q3", "--by", "created"), ("tulips", "spades")),
        (("--period", "2026-08", "--by", "close"), ("led",)),
        (("--period", "2026-07-01..2026-12-31", "--by", "close"), ("tulips", "led")),
        (("--search", "ТЮЛЬПАНЫ"), ("tulips",)),  # Cyrillic, in another case
        (("--search", "ромашка"), ("tulips", "spades")),  # the client's name
        (("--search", "весенние Ромашка"), ("tulips",)),  # every word must match
        (("--search", "нет такого"), ()),
        (("--owner", "rep", "--state", "open"), ("tulips",)),
        (("--pipeline", "Sales", "--state", "open", "--department", "North"), ("tulips",)),
    ],
)
def test_list_filters(cli_deals: Setup, args: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert set(listed(cli_deals, *args)) == names(cli_deals, *expected)
    count = invoke(cli_deals.url, "deal", "list", "--count", *args)
    assert count.strip() == str(len(expected))


def test_list_by_client(cli_deals: Setup) -> None:
    client = str(cli_deals.client["acme"])
    assert set(listed(cli_deals, "--client", client)) == names(cli_deals, "tools", "support")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["support", "spades", "tools", "led", "tulips"]),
        ("amount", ["led", "tulips", "support", "tools", "spades"]),
        ("close", ["led", "tulips", "tools", "spades", "support"]),  # no date: last, by id
        ("stage_age", ["support", "led", "tulips", "tools", "spades"]),
        ("title", ["tools", "led", "support", "tulips", "spades"]),
        ("client", ["tools", "support", "led", "tulips", "spades"]),
    ],
)
def test_list_sorts_and_their_pages(cli_deals: Setup, sort: str, expected: list[str]) -> None:
    titles = [next(iter(names(cli_deals, k))) for k in expected]
    assert listed(cli_deals, "--sort", sort) == titles
    assert listed(cli_deals, "--sort", sort, "--reverse") == titles[::-1]
    for reverse in ((), ("--reverse",)):
        # two deals a page, each page after the cursor the last one gave
        seen: list[str] = []
        after: tuple[str, ...] = ()
        for _ in range(5):
            result = runner.invoke(
                app,
                [
                    *("--db", cli_deals.url, "deal", "list", "-f", "json", "--limit", "2"),
                    *("--sort", sort, *reverse, *after),
                ],
            )
            assert result.exit_code == 0, result.output
            seen += [d["title"] for d in json.loads(result.stdout)]
            if "--after" not in result.stderr:
                break
            after = ("--after", result.stderr.split("--after ")[1].split()[0])
        assert seen == (titles[::-1] if reverse else titles)


def test_a_cursor_belongs_to_its_sort(cli_deals: Setup) -> None:
    result = runner.invoke(
        app, ["--db", cli_deals.url, "deal", "list", "--limit", "2", "--sort", "amount"]
    )
    cursor = result.stderr.split("--after ")[1].split()[0]
    assert "--sort" in result.stderr  # the hint says the cursor goes with its sort
    out = invoke(cli_deals.url, "deal", "list", "--after", cursor, code=1)
    assert "--after" in out and "sort" in out
    out = invoke(cli_deals.url, "deal", "list", "--after", cursor, "--sort", "amount")
    assert "Лопаты" in out and "Garden" in out and "LED" not in out
    out = invoke(
        cli_deals.url, "deal", "list", "--after", cursor, "--sort", "amount", "--reverse", code=1
    )
    assert "--after" in out
    assert "--after" in invoke(cli_deals.url, "deal", "list", "--after", "garbage", code=1)


def header_of(url: str, *args: str) -> list[str]:
    return invoke(url, "deal", "list", *args).splitlines()[0].split()


def test_list_table_adds_days_in_stage_and_type_where_they_fit(
    cli_deals: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = cli_deals.url
    monkeypatch.setattr(output.console, "width", 130)
    assert header_of(url, "--state", "open")[:6] == [
        "ID",
        "Deal",
        "Client",
        "Type",
        "Stage",
        "Days",
    ]
    out = invoke(url, "deal", "list", "--state", "open")
    assert "upsell" in out
    tulips = next(line for line in out.splitlines() if "тюльпаны" in line).split()
    days = (datetime.now(UTC) - datetime(2026, 9, 1, tzinfo=UTC)).days
    assert tulips[:6] == [
        str(cli_deals.ids["tulips"]),
        "Весенние",
        "тюльпаны",
        "Ромашка",
        "upsell",
        "Lead",
    ]
    assert tulips[6] in (str(days), str(days + 1))  # (the day may turn meanwhile)
    # no deal with a type on the page: no Type column; a closed deal: no days
    assert header_of(url, "--owner", "sue")[:5] == ["ID", "Deal", "Client", "Stage", "Days"]
    won = invoke(url, "deal", "list", "--state", "won").splitlines()[2].split()
    assert won[4:6] == ["Won", "300.00"]  # 3 Garden tools Acme Won 300.00
    monkeypatch.setattr(output.console, "width", 100)  # room for the days only
    assert header_of(url, "--state", "open")[:5] == ["ID", "Deal", "Client", "Stage", "Days"]
    monkeypatch.setattr(output.console, "width", 80)
    assert header_of(url, "--state", "open")[:5] == ["ID", "Deal", "Client", "Stage", "Amount"]
    assert "No deals." in invoke(url, "deal", "list", "--search", "zzz")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--sort", "cheapest"), 2, "--sort"),
        (("--state", "pending"), 2, "--state"),
        (("--by", "closing", "--period", "2026"), 2, "--by"),
        (("--period", "2026-Q5"), 2, "2026-Q3"),
        (("--by", "close"), 2, "--period"),
        (("--open", "--state", "won"), 2, "--open"),
        (("--mine", "--owner", "rep"), 2, "--mine"),
        (("--owner", "nobody"), 1, "no user with login 'nobody'"),
        (("--pipeline", "Nope"), 1, "no pipeline 'Nope'"),
        (("--department", "Nowhere"), 1, "no department named 'Nowhere'"),
        (("--limit", "0"), 1, "--limit"),
    ],
)
def test_list_bad_values_are_refused_clearly(
    cli_deals: Setup, args: tuple[str, ...], code: int, says: str
) -> None:
    out = invoke(cli_deals.url, "deal", "list", *args, code=code)
    assert says in " ".join(out.replace("│", " ").split())


def test_the_cli_choices_are_the_services(cli_deals: Setup) -> None:
    assert tuple(str(x) for x in DealSort) == deals.SORTS
    assert tuple(str(x) for x in DealState if x is not DealState.all) == deals.STATES


# -- deal edit


def deal_of(setup: Setup, name: str) -> DealOut:
    with setup.db.read() as s:
        return deals.get_deal(s, org.actor_by_login(s, ME), setup.ids[name])


def test_edit_prints_what_changed(cli_deals: Setup) -> None:
    url, tulips = cli_deals.url, str(cli_deals.ids["tulips"])
    out = invoke(
        url,
        "deal",
        "edit",
        tulips,
        "--title",
        "Летние тюльпаны",
        "--amount",
        "1 500,50",
        "--close-by",
        "2027-01-31",
        "--kind",
        "",
        "--contact",
        str(cli_deals.contact["ivan"]),
        "--owner",
        ME,
        "--source",
        "[bold]Web[/]",
    )
    for text in (
        "Saved deal",
        "Title: Весенние тюльпаны → Летние тюльпаны",
        "Amount: 1,000.00 → 1,500.50",
        "Expected close: 2026-12-15 → 2027-01-31",
        "Type: upsell → —",
        "Owner: Rep North → Me Myself",
        "[bold]Web[/]",  # as typed, not markup
    ):
        assert text in out
    assert "Currency" not in out and "Competitor" not in out  # unchanged fields are not listed
    assert listed(cli_deals, "--search", "летние") == ["Летние тюльпаны"]
    out = invoke(url, "deal", "edit", tulips, "--close-by", "none", "--contact", "none")
    assert "Expected close: 2027-01-31 → —" in out and "Contact: #" in out
    assert "Nothing changed" in invoke(url, "deal", "edit", tulips, "--amount", "1500.50")
    assert "Nothing changed" in invoke(url, "deal", "edit", tulips, "--close-by", "none")
    spades = str(cli_deals.ids["spades"])
    out = invoke(url, "deal", "edit", spades, "--lost-reason", "went with a rival")
    assert "Lost reason: too dear → went with a rival" in out


def test_edit_refusals_carry_the_services_reasons(cli_deals: Setup) -> None:
    url, led = cli_deals.url, str(cli_deals.ids["led"])
    with cli_deals.db.write() as s:
        admin = org.actor_by_login(s, "admin")
        deal = deals.get_deal(s, admin, cli_deals.ids["led"])
        deal_items.add_item(s, admin, deal.id, version=deal.version, name="Panel", price=10)
        deal = deals.get_deal(s, admin, deal.id)
        deal_items.follow_items(s, admin, deal.id, version=deal.version, on=True)
    out = invoke(url, "deal", "edit", led, "--amount", "99", code=1)
    assert "--amount: the amount follows the line items" in out
    out = invoke(url, "deal", "edit", led, "--currency", "EUR", code=1)
    assert "--currency" in out and "line items priced in USD" in out
    out = invoke(url, "deal", "edit", led, "--lost-reason", "x", "--title", "", code=1)
    assert "--lost-reason: only a lost deal" in out and "--title: a deal needs a title" in out
    spades = str(cli_deals.ids["spades"])
    assert "say why the deal was lost" in invoke(
        url, "deal", "edit", spades, "--lost-reason", " ", code=1
    )
    other = str(cli_deals.contact["other"])
    tulips = str(cli_deals.ids["tulips"])
    out = invoke(url, "deal", "edit", tulips, "--contact", other, code=1)
    assert "is not a contact of client" in out
    assert "--currency" in invoke(url, "deal", "edit", tulips, "--currency", "rubles", code=1)
    assert "--amount" in invoke(url, "deal", "edit", tulips, "--amount", "-5", code=1)
    assert "no user with login 'nobody'" in invoke(
        url, "deal", "edit", tulips, "--owner", "nobody", code=1
    )
    assert "deal 999 does not exist" in invoke(url, "deal", "edit", "999", "--title", "x", code=1)
    out = invoke(url, "deal", "edit", tulips, "--title", "x", "--version", "0", code=1)
    assert "nothing was saved" in out
    # usage errors: exit code 2
    assert "--close-by" in invoke(url, "deal", "edit", tulips, "--close-by", "31.12.2026", code=2)
    assert "--contact" in invoke(url, "deal", "edit", tulips, "--contact", "ivan", code=2)
    assert "at least one" in invoke(url, "deal", "edit", tulips, code=2)
    # nothing of the refused edits was saved
    assert deal_of(cli_deals, "tulips").title == "Весенние тюльпаны"
