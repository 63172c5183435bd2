"""The funnel and the forecast on a hand-built set of deals with known answers, on SQLite
and PostgreSQL: reached, conversion, days per stage, weighted pipeline, win rate,
breakdowns, currencies, periods, the access rule; the trend line against a known
series; and `termcrm funnel` / `termcrm forecast` from the shell."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.services import clients, deals, funnel, org
from termcrm.services.actor import Actor
from termcrm.services.funnel import FunnelFilter
from termcrm.store.engine import Database
from termcrm.store.tables import Deal, DealStageChange, table

deal_t = table(Deal)
history_t = table(DealStageChange)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
STAGES = ("Lead", "Qualification", "Proposal", "Negotiation")


def walk(
    s,
    actor: Actor,
    client_id: int,
    amount: int,
    path: list[tuple[str, float]],
    *,
    owner: Actor,
    source: str = "",
    kind: str = "",
    currency: str = "RUB",
    created: datetime = T0,
    expected: date | None = None,
) -> int:
    """A deal walked through ``path`` (stage, days after T0), its history at those times."""
    d = deals.add_deal(
        s,
        actor,
        title=f"deal {amount}",
        client_id=client_id,
        amount=amount,
        currency=currency,
        stage=path[0][0],
        owner_id=owner.id,
        source=source,
        expected_close=expected,
    )
    for stage, _ in path[1:]:
        current = deals.get_deal(s, actor, d.id)
        deals.move_deal(
            s, actor, d.id, version=current.version, stage=stage, lost_reason="too dear"
        )
    ids = s.execute(
        sa.select(history_t.c.id).where(history_t.c.deal_id == d.id).order_by(history_t.c.id)
    ).scalars()
    times = [T0 + timedelta(days=days) for _, days in path]
    for i, hid in enumerate(ids):
        # each stay from its move in to the next move (the last one: still there)
        left = times[i + 1] if i + 1 < len(times) else None
        s.execute(
            sa.update(history_t)
            .where(history_t.c.id == hid)
            .values(changed_at=times[i], left_at=left)
        )
    last = T0 + timedelta(days=path[-1][1])
    closed = last if path[-1][0] in ("Won", "Lost") else None
    s.execute(
        sa.update(deal_t)
        .where(deal_t.c.id == d.id)
        .values(kind=kind, created_at=created, closed_at=closed, stage_changed_at=last)
    )
    return d.id


@dataclass
class Team:
    admin: Actor
    director: Actor
    manager: Actor  # of North (and North / Retail below it)
    rep: Actor  # North
    kid: Actor  # North / Retail
    sue: Actor  # South
    client: dict[str, int]
    north: int
    south: int


def make_team(s, admin: Actor) -> Team:
    org.add_department(s, admin, "North")
    org.add_department(s, admin, "Retail", parent="North")
    org.add_department(s, admin, "South")
    people = {
        "boss": ("director", None),
        "mgr": ("manager", "North"),
        "rep": ("rep", "North"),
        "kid": ("rep", "North / Retail"),
        "sue": ("rep", "South"),
    }
    for login, (role, dept) in people.items():
        org.add_user(s, admin, login, role=role, department=dept, full_name=login.title())
    a = {k: org.actor_by_login(s, k) for k in people}
    owned = {
        login: clients.create_client(
            s, admin, {"name": f"Client of {login}", "owner_id": actor.id}
        ).id
        for login, actor in a.items()
    }
    return Team(
        admin,
        a["boss"],
        a["mgr"],
        a["rep"],
        a["kid"],
        a["sue"],
        owned,
        org.find_department(s, "North"),
        org.find_department(s, "South"),
    )


@pytest.fixture
def team(db: Database, admin: Actor) -> Team:
    """Six RUB deals and one USD deal with known stage histories (days after T0)."""
    with db.write() as s:
        t = make_team(s, admin)
        c, ad = t.client, admin
        path_won = [("Lead", 0), ("Qualification", 2), ("Proposal", 5), ("Negotiation", 9)]
        walk(s, ad, c["rep"], 1000, [*path_won, ("Won", 10)], owner=t.rep, source="Web", kind="new")
        walk(
            s,
            ad,
            c["rep"],
            500,
            [("Lead", 0), ("Qualification", 4), ("Lost", 10)],
            owner=t.rep,
            source="Web",
            kind="repeat",
        )
        walk(
            s,
            ad,
            c["rep"],
            2000,
            [("Lead", 0), ("Qualification", 1), ("Proposal", 3)],
            owner=t.rep,
            source="Fair",
            kind="new",
        )
        walk(s, ad, c["rep"], 100, [("Lead", 0)], owner=t.rep)
        walk(
            s,
            ad,
            c["kid"],
            3000,
            [("Lead", 0), ("Qualification", 6), ("Proposal", 7), ("Negotiation", 8), ("Won", 20)],
            owner=t.kid,
            source="Fair",
            kind="new",
        )
        walk(
            s,
            ad,
            c["sue"],
            700,
            [("Lead", 0), ("Lost", 3)],
            owner=t.sue,
            source="Web",
            created=datetime(2026, 3, 5, tzinfo=UTC),
        )
        walk(s, ad, c["sue"], 1000, [("Negotiation", 0)], owner=t.sue, currency="USD")
    return t


def by_name(f: funnel.Funnel) -> dict[str, funnel.StageFigures]:
    return {st.name: st for st in f.stages}


def test_reached_conversion_and_days_per_stage(db, team):
    with db.read() as s:
        f = funnel.funnel(s, team.director, FunnelFilter())
    st = by_name(f)
    assert [x.name for x in f.stages] == [*STAGES, "Won", "Lost"]
    assert f.currency == "RUB"
    assert [(c.currency, c.deals) for c in f.currencies] == [("RUB", 6), ("USD", 1)]
    assert [st[n].reached for n in STAGES] == [6, 4, 3, 2]
    assert (st["Won"].reached, st["Lost"].reached) == (2, 2)
    assert [st[n].to_next_pct for n in STAGES] == [66.7, 75.0, 66.7, 100.0]
    assert [st[n].to_won_pct for n in STAGES] == [33.3, 50.0, 66.7, 100.0]
    assert st["Won"].to_next_pct is None and st["Lost"].to_won_pct is None
    # completed stays only: (2+4+1+6+3)/5, (3+6+2+1)/4, (4+1)/2, (1+12)/2
    assert [st[n].avg_days for n in STAGES] == [3.2, 3.0, 2.5, 6.5]
    assert [st[n].stays for n in STAGES] == [5, 4, 2, 2]
    assert st["Won"].avg_days is None
    assert [st[n].in_stage for n in [*STAGES, "Won", "Lost"]] == [1, 0, 1, 0, 2, 2]
    assert st["Proposal"].amount == Decimal("2000.00")
    assert st["Won"].amount == Decimal("4000.00")
    assert st["Lost"].amount == Decimal("1200.00")
    assert isinstance(st["Lead"].amount, Decimal)


def test_weighted_pipeline_and_win_rate(db, team):
    with db.read() as s:
        f = funnel.funnel(s, team.director)
    assert f.weighted_pipeline == Decimal("810.00")  # 100 x 10% + 2000 x 40%
    assert by_name(f)["Proposal"].weighted == Decimal("800.00")
    assert (f.deals, f.open, f.won, f.lost) == (6, 2, 2, 2)
    assert f.win_rate_pct == 50.0
    assert f.open_amount == Decimal("2100.00")
    assert f.won_amount == Decimal("4000.00")
    assert f.amount == Decimal("7300.00")


def test_breakdowns_by_source_type_and_owner(db, team):
    with db.read() as s:
        f = funnel.funnel(s, team.director)
    src = {b.key: (b.deals, b.won, b.lost, b.win_rate_pct, b.amount) for b in f.by_source}
    assert src == {
        "Web": (3, 1, 2, 33.3, Decimal("2200.00")),
        "Fair": (2, 1, 0, 100.0, Decimal("5000.00")),
        "": (1, 0, 0, None, Decimal("100.00")),
    }
    assert [b.key for b in f.by_source] == ["Web", "Fair", ""]
    kinds = {b.key: (b.deals, b.won, b.lost, b.win_rate_pct) for b in f.by_kind}
    assert kinds == {"new": (3, 2, 0, 100.0), "repeat": (1, 0, 1, 0.0), "": (2, 0, 1, 0.0)}
    owners = {b.key: (b.owner_id, b.deals, b.won, b.win_rate_pct, b.won_amount) for b in f.by_owner}
    assert owners == {
        "Rep": (team.rep.id, 4, 1, 50.0, Decimal("1000.00")),
        "Kid": (team.kid.id, 1, 1, 100.0, Decimal("3000.00")),
        "Sue": (team.sue.id, 1, 0, 0.0, Decimal("0.00")),
    }


def test_access_rule_on_the_funnel(db, team):
    with db.read() as s:
        rep = funnel.funnel(s, team.rep)
        mgr = funnel.funnel(s, team.manager)
        kid = funnel.funnel(s, team.kid)
        sue = funnel.funnel(s, team.sue)
        boss = funnel.funnel(s, team.director)
    assert [by_name(rep)[n].reached for n in STAGES] == [4, 3, 2, 1]
    assert (rep.deals, rep.won, rep.lost, rep.win_rate_pct) == (4, 1, 1, 50.0)
    assert {b.key for b in rep.by_owner} == {"Rep"}
    assert (mgr.deals, mgr.won, mgr.lost) == (5, 2, 1)
    assert {b.key for b in mgr.by_owner} == {"Rep", "Kid"}
    assert (kid.deals, kid.won) == (1, 1)
    assert by_name(kid)["Lead"].reached == 1
    # sue's deals: one RUB, one USD (a tie: the first currency by name)
    assert [(c.currency, c.deals) for c in sue.currencies] == [("RUB", 1), ("USD", 1)]
    assert sue.deals == 1 and sue.currency == "RUB"
    assert boss.deals == 6


def test_filters_owner_department_period_and_currency(db, team):
    with db.read() as s:
        kid = funnel.funnel(s, team.director, FunnelFilter(owner_id=team.kid.id))
        north = funnel.funnel(s, team.director, FunnelFilter(department_id=team.north))
        north_by_mgr = funnel.funnel(s, team.manager, FunnelFilter(department_id=team.north))
        south_by_mgr = funnel.funnel(s, team.manager, FunnelFilter(department_id=team.south))
        january = funnel.funnel(
            s, team.director, FunnelFilter(period=(date(2026, 1, 1), date(2026, 1, 31)))
        )
        usd = funnel.funnel(s, team.director, FunnelFilter(currency="usd"))
    assert (kid.deals, kid.won, kid.won_amount) == (1, 1, Decimal("3000.00"))
    assert (north.deals, north.won, north.lost) == (5, 2, 1)
    assert north_by_mgr.deals == 5
    assert south_by_mgr.deals == 0 and south_by_mgr.currency is None  # not in reach
    assert january.deals == 5 and january.lost == 1  # sue's deal was made in March
    assert usd.currency == "USD" and usd.deals == 1
    assert usd.weighted_pipeline == Decimal("700.00")
    assert by_name(usd)["Negotiation"].reached == 1
    assert by_name(usd)["Lead"].reached == 1  # made in Negotiation: it went past Lead


def test_an_empty_database_has_an_empty_funnel(db, admin):
    with db.read() as s:
        f = funnel.funnel(s, admin)
        fc = funnel.forecast(s, admin, today=date(2026, 4, 15))
    assert f.stages == () and f.deals == 0 and f.win_rate_pct is None
    assert fc.months == ()


def test_linear_trend_of_a_known_series():
    assert funnel.linear_trend([Decimal(100), Decimal(200), Decimal(300)]) == (100, 100)
    intercept, slope = funnel.linear_trend([Decimal(1), Decimal(3), Decimal(2)])
    assert (intercept, slope) == (Decimal("1.5"), Decimal("0.5"))
    assert funnel.linear_trend([Decimal(7)]) == (7, 0)


def test_forecast_trend_and_pipeline_by_expected_close(db, admin):
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client["rep"]
        for amount, month in ((100, 1), (200, 2), (300, 3)):
            d = walk(s, admin, c, amount, [("Lead", 0), ("Won", 1)], owner=t.rep)
            s.execute(
                sa.update(deal_t)
                .where(deal_t.c.id == d)
                .values(closed_at=datetime(2026, month, 10, tzinfo=UTC))
            )
        # won long before the window, and won in the current month
        old = walk(s, admin, c, 5000, [("Lead", 0), ("Won", 1)], owner=t.rep)
        now = walk(s, admin, c, 50, [("Lead", 0), ("Won", 1)], owner=t.rep)
        for d, when in (
            (old, datetime(2025, 6, 1, tzinfo=UTC)),
            (now, datetime(2026, 4, 2, tzinfo=UTC)),
        ):
            s.execute(sa.update(deal_t).where(deal_t.c.id == d).values(closed_at=when))
        for amount, stage, expected in (
            (1000, "Proposal", date(2026, 4, 30)),  # 400
            (500, "Lead", date(2026, 5, 1)),  # 50
            (300, "Negotiation", date(2026, 2, 1)),  # overdue: 210
            (200, "Qualification", None),  # undated: 40
            (900, "Proposal", date(2027, 1, 1)),  # later: 360
        ):
            walk(s, admin, c, amount, [(stage, 0)], owner=t.rep, expected=expected)
        fc = funnel.forecast(
            s, t.director, FunnelFilter(), months_back=3, months_ahead=2, today=date(2026, 4, 15)
        )
        rep_fc = funnel.forecast(
            s, t.sue, FunnelFilter(), months_back=3, months_ahead=2, today=date(2026, 4, 15)
        )
    assert [m.month for m in fc.months] == [date(2026, m, 1) for m in (1, 2, 3, 4, 5)]
    assert [m.past for m in fc.months] == [True, True, True, False, False]
    assert [m.won for m in fc.months] == [
        Decimal(100),
        Decimal(200),
        Decimal(300),
        Decimal(50),
        None,
    ]
    assert [m.trend for m in fc.months] == [Decimal(x) for x in (100, 200, 300, 400, 500)]
    assert fc.slope == Decimal("100.00")
    assert [m.weighted for m in fc.months] == [
        None,
        None,
        None,
        Decimal("400.00"),
        Decimal("50.00"),
    ]
    assert [m.expected for m in fc.months][3:] == [Decimal("1000.00"), Decimal("500.00")]
    assert (fc.overdue_weighted, fc.undated_weighted, fc.later_weighted) == (
        Decimal("210.00"),
        Decimal("40.00"),
        Decimal("360.00"),
    )
    assert fc.currency == "RUB"
    # sue sees none of the rep's deals
    assert all(m.won in (None, Decimal(0)) for m in rep_fc.months)
    assert all(m.trend == 0 for m in rep_fc.months)


def test_a_falling_trend_stops_at_zero(db, admin):
    with db.write() as s:
        t = make_team(s, admin)
        for amount, month in ((300, 1), (200, 2), (100, 3)):
            d = walk(s, admin, t.client["rep"], amount, [("Won", 0)], owner=t.rep)
            s.execute(
                sa.update(deal_t)
                .where(deal_t.c.id == d)
                .values(closed_at=datetime(2026, month, 28, 23, 59, tzinfo=UTC))
            )
        fc = funnel.forecast(s, admin, months_back=3, months_ahead=3, today=date(2026, 4, 1))
    assert [m.trend for m in fc.months] == [Decimal(x) for x in (300, 200, 100, 0, 0, 0)]
    assert fc.slope == Decimal("-100.00")


# -- the command line

runner = CliRunner()
ME = org.os_login()


@pytest.fixture
def cli_team(db: Database, admin: Actor, db_url: str, monkeypatch, tmp_path: Path):
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "UTC")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with db.write() as s:
        t = make_team(s, admin)
        org.add_user(s, admin, ME, role="manager", department="North", full_name="Me Myself")
        walk(
            s,
            admin,
            t.client["rep"],
            1000,
            [("Lead", 0), ("Proposal", 2), ("Won", 5)],
            owner=t.rep,
            source="[bold]Web[/]",
        )
        walk(s, admin, t.client["rep"], 400, [("Lead", 0), ("Qualification", 3)], owner=t.rep)
        walk(s, admin, t.client["sue"], 999, [("Lead", 0)], owner=t.sue)
    return db_url


def invoke(url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", url, *args])
    assert result.exit_code == code, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    return result.output


def test_cli_funnel_table_chart_and_summary(cli_team):
    out = invoke(cli_team, "funnel")
    for name in (*STAGES, "Won", "Lost", "Weighted pipeline", "Win rate", "[bold]Web[/]"):
        assert name in out
    assert "Me Myself" not in out  # owners with no deals are not listed
    out = invoke(
        cli_team, "funnel", "--period", "2026-Q1", "--owner", "rep", "--department", "North"
    )
    assert "Lead" in out


def test_cli_funnel_json_and_csv(cli_team):
    data = json.loads(invoke(cli_team, "funnel", "--format", "json"))
    assert [st["name"] for st in data["stages"]][:2] == ["Lead", "Qualification"]
    assert data["deals"] == 2  # sue's deal is in South: out of my reach
    assert data["stages"][0]["reached"] == 2
    assert data["weighted_pipeline"] == "80.00"  # 400 x 20%
    csv_out = invoke(cli_team, "funnel", "--format", "csv")
    assert csv_out.splitlines()[0].startswith("stage,")
    assert len(csv_out.strip().splitlines()) == 7


def test_cli_forecast(cli_team):
    out = invoke(cli_team, "forecast", "--months-back", "6", "--ahead", "3")
    assert "Trend" in out
    data = json.loads(invoke(cli_team, "forecast", "--format", "json", "--ahead", "2"))
    assert len(data["months"]) == 14


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "yesterday", "2026-03-01..2026-02-01"])
def test_cli_bad_period_is_refused_clearly(cli_team, period):
    out = invoke(cli_team, "funnel", "--period", period, code=2)
    assert "--period" in out and "2026-Q3" in " ".join(out.split())


def test_cli_unknown_owner_or_pipeline(cli_team):
    assert "nobody" in invoke(cli_team, "funnel", "--owner", "nobody", code=1)
    assert "no pipeline" in invoke(cli_team, "funnel", "--pipeline", "Nope", code=1)


def test_parse_period():
    from termcrm.cli.funnel import parse_period

    assert parse_period("2026-Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert parse_period("2026-11") == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert parse_period("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("2026-01-01..2026-03-31") == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("2026-q1") == (date(2026, 1, 1), date(2026, 3, 31))


def test_a_move_closes_the_stay_it_ends(db, admin) -> None:
    """``left_at`` of each history row is the next row's ``changed_at`` (the days per
    stage come from it), written by ``move_deal`` itself."""
    with db.write() as s:
        cid = clients.create_client(s, admin, {"name": "Stays"}).id
        d = deals.add_deal(s, admin, title="walk", client_id=cid)
        for stage in ("Qualification", "Proposal"):
            current = deals.get_deal(s, admin, d.id)
            deals.move_deal(s, admin, d.id, version=current.version, stage=stage)
        rows = s.execute(
            sa.select(history_t.c.changed_at, history_t.c.left_at)
            .where(history_t.c.deal_id == d.id)
            .order_by(history_t.c.id)
        ).all()
    assert [r.left_at for r in rows] == [rows[1].changed_at, rows[2].changed_at, None]
