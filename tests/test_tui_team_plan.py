"""The plan of the department (key P), driven like a user at 80x24 on real SQLite.

A small organisation: Sales (manager Ivanova, rep Li) with North below it (rep
Petrov), and Support (rep Kim); a director. Tasks in November 2026, some done on
their day, some late, some still open past due, one cancelled, one repeating. The
app's clock stands at 20 November 2026, noon UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import Input, Static

from termcrm.app import TermCrmApp
from termcrm.screens.team_plan import (
    PeriodDialog,
    TeamPlanScreen,
    period_of,
    period_title,
    preset,
    shifted,
    short_names,
    tree_names,
)
from termcrm.services import clients, org, planner, tasks
from termcrm.services.planner import PlanRow, Who
from termcrm.store.engine import Database
from termcrm.store.tables import Task, table
from tui_helpers import TuiDb, rows, run_app, settle, stand_in, tui_app

pytestmark = pytest.mark.usefixtures("plain_settings")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
UTC_ZONE = ZoneInfo("UTC")


@dataclass
class Org:
    url: str
    state: Path
    ids: dict[str, int]


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def company(tui_db: TuiDb) -> Org:
    admin = tui_db.admin
    ids: dict[str, int] = {}
    with tui_db.db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_department(s, admin, "North", parent="Sales")
        org.add_department(s, admin, "Support")
        for login, role, dept, name in (
            ("ivanova", "manager", "Sales", "Maria Ivanova"),
            ("li", "rep", "Sales", "Li Wei"),
            ("petrov", "rep", "North", "Ivan Petrov"),
            ("kim", "rep", "Support", "Kim Lee"),
            ("boss", "director", None, "The Director"),
        ):
            user = org.add_user(s, admin, login, role=role, department=dept, full_name=name)
            ids[login] = user.id
        for login in ("li", "petrov", "kim"):
            ids[f"client.{login}"] = clients.create_client(
                s, admin, {"name": f"Client of {login}", "owner_id": ids[login]}
            ).id

        def task(login: str, day: int, title: str, **kw: Any) -> int:
            return tasks.add_task(
                s,
                admin,
                title=title,
                due_at=at(day),
                assignee_id=ids[login],
                client_id=ids[f"client.{login}"],
                **kw,
            ).id

        done_on_time = task("li", 10, "Done on its day")
        done_late = task("li", 15, "Done two days late")
        task("li", 12, "Still open, past due")
        task("li", 25, "Planned later")
        cancelled = task("li", 14, "Cancelled")
        task("li", 23, "Weekly call", repeat="FREQ=WEEKLY", tz="UTC")  # 23 and 30 Nov
        task("petrov", 5, "Open since the 5th")
        task("petrov", 28, "Planned on the 28th")
        kim_done = task("kim", 3, "Kim's done")
        for task_id, completed in (
            (done_on_time, at(10, 16)),
            (done_late, at(17, 9)),
            (kim_done, at(3, 11)),
        ):
            version = tasks.get_task(s, admin, task_id).version
            tasks.complete_task(s, admin, task_id, version=version, result="ok")
            s.execute(
                sa.update(table(Task))
                .where(table(Task).c.id == task_id)
                .values(completed_at=completed)
            )
        version = tasks.get_task(s, admin, cancelled).version
        tasks.cancel_task(s, admin, cancelled, version=version, reason="not needed")
    return Org(tui_db.url, tui_db.state, ids)


def expected(url: str, login: str, by: str, first: date, last: date) -> list[PlanRow]:
    db = Database(url)
    try:
        with db.read() as s:
            actor = org.actor_by_login(s, login)
            return planner.team_plan(s, actor, first, last, UTC_ZONE, by=by, now=NOW)
    finally:
        db.dispose()


def run(company: Org, login: str, scenario: Any) -> None:
    app = tui_app(company.url, company.state, login=login)
    app.pinned_now = NOW
    run_app(app, scenario)


async def open_plan(app: TermCrmApp, pilot: Pilot[None]) -> TeamPlanScreen:
    await pilot.press("P")
    await settle(pilot)
    assert isinstance(app.screen, TeamPlanScreen)
    return app.screen


def shown(screen: TeamPlanScreen) -> tuple[list[PlanRow], PlanRow]:
    """The lines of the table, and its last one (the total)."""
    lines = rows(screen.table)
    return lines[:-1], lines[-1]


def title_of(screen: TeamPlanScreen) -> str:
    return str(screen.query_one("#plan-title", Static).render())


def status_of(screen: TeamPlanScreen) -> str:
    return str(screen.query_one("#status", Static).render())


def test_a_manager_sees_the_reps_of_the_department_and_below(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        lines, total = shown(screen)
        want = expected(company.url, "ivanova", "user", *NOVEMBER)
        assert lines == want
        # the figures themselves: Li's month
        li = next(r for r in lines if r.name == "Li Wei")
        assert (li.planned, li.done, li.done_late, li.overdue, li.cancelled) == (6, 2, 1, 1, 1)
        assert {r.name for r in lines} == {"Maria Ivanova", "Li Wei", "Ivan Petrov"}
        assert "Kim Lee" not in {r.name for r in lines}  # Support is not hers
        assert total.name == "Total"
        assert total.planned == sum(r.planned for r in want)
        assert total.overdue == sum(r.overdue for r in want)
        assert title_of(screen).startswith("Team plan · This month (November 2026) · per rep")
        # what the table draws: the numbers in their columns, the total in bold
        table = screen.table
        line = "".join(seg.text for seg in table.render_line(1 + lines.index(li)))
        assert "Li Wei" in line and "33%" in line  # 2 of 6
        last = table.render_line(len(lines) + 1)
        assert any(seg.style and seg.style.bold for seg in last)

    run(company, "ivanova", scenario)


def test_a_director_sees_departments_and_switches_to_reps(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        lines, total = shown(screen)
        assert lines == expected(company.url, "boss", "department", *NOVEMBER)
        assert [r.name for r in lines] == ["Sales", "Sales / North", "Support"]
        assert "per department" in title_of(screen)
        # Sales holds Sales / North: the total adds up the top lines only
        assert lines[0].planned >= lines[1].planned
        assert total.planned == sum(r.planned for r in lines if r.within is None)

        await pilot.press("b")
        await settle(pilot)
        lines, _total = shown(screen)
        assert lines == expected(company.url, "boss", "user", *NOVEMBER)
        assert "per rep" in title_of(screen)

        # back per department; Enter on North shows its reps, the cursor on them
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.by == "user"
        current = screen.table.current
        assert current is not None and current.department == "Sales / North"
        await pilot.press("escape")  # back to the departments, not out
        await settle(pilot)
        assert app.screen is screen and screen.by == "department"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen

    run(company, "boss", scenario)


def test_enter_on_a_rep_opens_their_planner(company: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    planner_screen = stand_in(monkeypatch, "planner", "PlannerScreen")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        names = [r.name for r in shown(screen)[0]]
        await pilot.press(*["down"] * names.index("Ivan Petrov"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, planner_screen)
        assert app.screen.args == (Who.user(company.ids["petrov"]),)
        # Enter on the total line opens nothing
        app.pop_screen()
        await settle(pilot)
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen is screen

    run(company, "ivanova", scenario)


def test_a_rep_sees_their_own_line_only(company: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    planner_screen = stand_in(monkeypatch, "planner", "PlannerScreen")

    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        lines, _total = shown(screen)
        assert [r.name for r in lines] == ["Ivan Petrov"]
        assert lines == expected(company.url, "petrov", "user", *NOVEMBER)
        assert (lines[0].planned, lines[0].overdue) == (2, 1)
        assert title_of(screen).startswith("My plan")
        assert "a manager sees the plan of the department" in status_of(screen)
        await pilot.press("b")  # not for a rep
        await settle(pilot)
        assert screen.by == "user"
        await pilot.press("enter")  # their own planner
        await settle(pilot)
        assert isinstance(app.screen, planner_screen)
        assert app.screen.args == (Who.mine(),)

    run(company, "petrov", scenario)


def test_periods_move_and_cycle(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        assert screen.period is not None
        assert (screen.period.first, screen.period.last) == NOVEMBER
        await pilot.press("p")  # last month
        await settle(pilot)
        assert (screen.period.first, screen.period.last) == (date(2026, 10, 1), date(2026, 10, 31))
        assert "Last month (October 2026)" in title_of(screen)
        assert sum(r.planned for r in shown(screen)[0]) == 0
        await pilot.press("right_square_bracket")  # a month later: November again
        await settle(pilot)
        assert (screen.period.first, screen.period.last) == NOVEMBER
        assert shown(screen)[0] == expected(company.url, "ivanova", "user", *NOVEMBER)
        await pilot.press("p")  # this quarter
        await settle(pilot)
        assert (screen.period.first, screen.period.last) == (date(2026, 10, 1), date(2026, 12, 31))
        assert "This quarter (Q4 2026)" in title_of(screen)
        await pilot.press("p")  # this week (from Monday, as the interface's locale has it)
        await settle(pilot)
        assert (screen.period.first, screen.period.last) == (date(2026, 11, 16), date(2026, 11, 22))
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "Last week" in title_of(screen)
        assert shown(screen)[0] == expected(
            company.url, "ivanova", "user", date(2026, 11, 9), date(2026, 11, 15)
        )

        # any range of days: 10 to 17 November
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PeriodDialog)
        dialog.query_one("#pd-first", Input).value = "11/10/2026"
        dialog.query_one("#pd-last", Input).value = "2026-11-09"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # ends before it starts: said, not applied
        assert "ends before it starts" in str(dialog.query_one("#pd-error", Static).render())
        dialog.query_one("#pd-last", Input).value = "2026-11-17"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert (screen.period.first, screen.period.last) == (date(2026, 11, 10), date(2026, 11, 17))
        assert shown(screen)[0] == expected(
            company.url, "ivanova", "user", date(2026, 11, 10), date(2026, 11, 17)
        )
        assert "Nov 10\u2009–\u200917, 2026" in title_of(screen)  # thin spaces

    run(company, "ivanova", scenario)


def test_the_plan_is_read_again_when_coming_back(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        screen = await open_plan(app, pilot)
        before = next(r for r in shown(screen)[0] if r.name == "Ivan Petrov")
        db = Database(company.url)
        try:
            with db.write() as s:
                admin = org.actor_by_login(s, "admin")
                tasks.add_task(
                    s,
                    admin,
                    title="One more",
                    due_at=at(27),
                    assignee_id=company.ids["petrov"],
                )
        finally:
            db.dispose()
        await pilot.press("ctrl+r")
        await settle(pilot)
        after = next(r for r in shown(screen)[0] if r.name == "Ivan Petrov")
        assert after.planned == before.planned + 1

    run(company, "ivanova", scenario)


def test_the_planner_footer_offers_the_team_plan_to_a_manager(company: Org) -> None:
    async def scenario(app: TermCrmApp, pilot: Pilot[None]) -> None:
        await pilot.press("4")
        await settle(pilot)
        shown = app.screen.active_bindings.items()
        keys = {k for k, b in shown if b.binding.show and b.enabled}
        assert "P" in keys
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, TeamPlanScreen)

    run(company, "ivanova", scenario)


# -- the periods, without the screen ----------------------------------------------------------


def test_period_arithmetic() -> None:
    today = date(2026, 1, 31)
    month = period_of("month", today)
    assert (month.first, month.last) == (date(2026, 1, 1), date(2026, 1, 31))
    assert shifted(month, 1).last == date(2026, 2, 28)
    assert shifted(month, -1).first == date(2025, 12, 1)
    quarter = period_of("quarter", date(2026, 5, 5))
    assert (quarter.first, quarter.last) == (date(2026, 4, 1), date(2026, 6, 30))
    assert shifted(quarter, 1).last == date(2026, 9, 30)
    assert preset(2, today) == shifted(month, -1)
    assert period_title(month, today) == "This month (January 2026)"
    assert period_title(shifted(month, -2), today) == "November 2025"
    week = period_of("week", date(2026, 11, 25))
    assert week.last - week.first == timedelta(days=6)


def test_departments_are_shown_as_a_tree_per_department() -> None:
    paths = ["Head office / Sales", "Head office / Sales / Retail", "Head office / Support"]
    assert tree_names(paths) == {
        "Head office / Sales": "Sales",
        "Head office / Sales / Retail": "  Retail",
        "Head office / Support": "Support",
    }


def test_departments_are_shown_without_the_part_they_share() -> None:
    paths = ["Head office", "Head office / Sales", "Head office / Sales / Retail", ""]
    assert short_names(paths) == {
        "Head office": "Head office",
        "Head office / Sales": "Sales",
        "Head office / Sales / Retail": "Sales / Retail",
    }
    assert short_names(["Sales / North", "Sales / South"]) == {
        "Sales / North": "North",
        "Sales / South": "South",
    }
    assert short_names(["Sales"]) == {"Sales": "Sales"}
