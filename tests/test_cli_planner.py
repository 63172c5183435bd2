"""The planner from the shell, end to end on SQLite and PostgreSQL: `termcrm today`
(table, --short, --json, exit codes), `termcrm task add/done/move/cancel/assign/list`
and `termcrm dates add/list/edit/rm`.

The commands act as the OS user running the tests (``org.os_login()``), who is made a
rep (or a manager) of a small team here, so access rules apply as in real use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.services import clients, contacts, org
from termcrm.services.actor import Actor
from termcrm.store.engine import Database

runner = CliRunner()
ME = org.os_login()
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2030, 3, 4)  # a Monday, in the future: nothing about it depends on the clock


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", self.url, *args])
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        if code == 0 and ("--json" in args or "json" in args):
            return result.stdout
        return result.output

    def json(self, *args: str) -> object:
        return json.loads(self(*args))

    def said(self, *args: str, code: int = 0) -> str:
        """The output as one line (messages wrap at the terminal's width)."""
        return " ".join(self(*args, code=code).split())


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Times are typed and shown in Berlin; no config file of the machine."""
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


@dataclass
class Team:
    cli: Cli
    db: Database
    admin: Actor
    me: Actor
    acme: int  # my client (its name is markup-like on purpose)
    south: int  # a client of sue, a rep of another department
    contact: int  # a contact of acme


def make_team(db: Database, admin: Actor, url: str, my_role: str = "rep") -> Team:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        org.add_user(s, admin, ME, role=my_role, department="North", full_name="Me Myself")
        org.add_user(s, admin, "rita", role="rep", department="North", full_name="Rita Rep")
        org.add_user(s, admin, "sue", role="rep", department="South", full_name="Sue South")
        me = org.actor_by_login(s, ME)
        sue = org.actor_by_login(s, "sue")
        rita = org.actor_by_login(s, "rita")
        acme = clients.create_client(s, admin, {"name": "[bold]Acme[/]", "owner_id": me.id}).id
        south = clients.create_client(s, admin, {"name": "South Ltd", "owner_id": sue.id}).id
        clients.create_client(s, admin, {"name": "Rita's", "owner_id": rita.id})
        contact = contacts.create_contact(
            s,
            admin,
            acme,
            {"full_name": "Jane Roe", "birthday": date(1980, DAY.month, DAY.day)},
        ).id
    return Team(Cli(url), db, admin, me, acme, south, contact)


@pytest.fixture
def team(db: Database, admin: Actor, db_url: str, berlin: None) -> Team:
    return make_team(db, admin, db_url)


@pytest.fixture
def managed(db: Database, admin: Actor, db_url: str, berlin: None) -> Team:
    """The same team with the OS user as the manager of North."""
    return make_team(db, admin, db_url, my_role="manager")


def _today() -> date:
    return datetime.now(UTC).astimezone(BERLIN).date()


# -- today


def test_today_with_nothing_due_exits_0_in_every_form(db_url: str, berlin: None) -> None:
    cli = Cli(db_url)  # an empty database: the OS user becomes its admin
    assert "nothing due today" in cli("today")
    assert cli("today", "--short").strip() == "nothing due today"
    data = cli.json("today", "--json")
    assert isinstance(data, dict)
    assert data["schema"] == "termcrm.today/1"
    assert data["date"] == _today().isoformat() and data["timezone"] == "Europe/Berlin"
    assert data["counts"] == {
        "due": 0,
        "overdue": 0,
        "open": 0,
        "done": 0,
        "dates": 0,
        "coming_up": 0,
    }
    assert data["next"] is None and data["items"] == [] and data["overdue"] == []
    cli("today", "--short", "--json", code=2)
    cli("today", "--date", "someday", code=2)


def test_today_is_overdue_first_then_by_time_with_dates_and_ages(team: Team) -> None:
    cli = team.cli
    d = DAY.isoformat()
    cli("task", "add", "Call Acme", "--due", f"{d} 15:00", "--client", str(team.acme))
    cli("task", "add", "Morning review", "--due", f"{d} 09:30", "--kind", "meeting")
    cli("task", "add", "Next day", "--due", f"{(DAY + timedelta(days=1)).isoformat()} 09:00")
    in_two = DAY + timedelta(days=2)
    cli(
        "dates", "add", "--client", str(team.acme), "--kind", "foundation",
        "--title", "Founded", "--date", f"{in_two.day:02d}.{in_two.month:02d}.2000",
    )  # fmt: skip

    table = cli("today", "--date", d)
    assert "[bold]Acme[/]" in table  # user text is never markup
    lines = table.splitlines()
    at = {key: next(i for i, line in enumerate(lines) if key in line) for key in
          ("Jane Roe", "09:30", "15:00", "Coming up", "Founded")}  # fmt: skip
    assert at["Jane Roe"] < at["09:30"] < at["15:00"] < at["Coming up"] < at["Founded"]
    assert "Jane Roe (50)" in table and "Founded (30 years)" in table
    assert "Next day" not in table

    short = cli("today", "--date", d, "--short").strip()
    assert short == f"2 due on {d}, 1 date, next 09:30 Morning review"

    data = cli.json("today", "--date", d, "--json")
    assert isinstance(data, dict)
    kinds = [(i["type"], i.get("title")) for i in data["items"]]
    assert kinds == [("date", "Jane Roe"), ("task", "Morning review"), ("task", "Call Acme")]
    call = data["items"][2]
    assert call["at"] == f"{d}T15:00:00+01:00" and call["at_utc"] == f"{d}T14:00:00Z"
    assert call["client_id"] == team.acme and call["client"] == "[bold]Acme[/]"
    assert data["items"][0]["years"] == 50 and data["items"][0]["kind"] == "birthday"
    assert data["next"]["title"] == "Morning review"
    assert data["counts"]["due"] == 2 and data["counts"]["dates"] == 1
    assert [c["title"] for c in data["coming_up"]] == ["Founded"]
    assert data["coming_up"][0]["in_days"] == 2 and data["coming_up"][0]["years"] == 30
    assert data["user"]["login"] == ME


def test_today_counts_overdue_tasks_of_earlier_days(team: Team) -> None:
    cli = team.cli
    cli("task", "add", "Forgotten", "--due", "-3d")
    cli("task", "add", "Later", "--due", "+2d")
    short = cli("today", "--short").strip()
    assert short.startswith("1 overdue") and "Later" not in short
    table = cli("today")
    assert "Overdue (1)" in table and "Forgotten" in table
    data = cli.json("today", "--json")
    assert isinstance(data, dict)
    assert [t["title"] for t in data["overdue"]] == ["Forgotten"]
    assert data["overdue"][0]["overdue"] is True
    assert data["counts"]["overdue"] == 1


def test_a_rep_sees_only_their_own_agenda(team: Team) -> None:
    out = team.cli("today", "--user", "rita", code=1)
    assert "reps see only their own planner" in out
    team.cli("today", "--user", "nobody", code=1)
    assert "Me Myself" in team.cli("today", "--user", ME)


def test_a_manager_sees_a_reps_agenda_of_their_department(managed: Team) -> None:
    cli = managed.cli
    d = DAY.isoformat()
    cli("task", "add", "Rita's call", "--due", f"{d} 11:00", "--assignee", "rita")
    out = cli("today", "--user", "rita", "--date", d)
    assert "Rita Rep" in out and "Rita's call" in out
    assert "Rita's call" not in cli("today", "--date", d)  # not the manager's own
    data = cli.json("today", "--user", "rita", "--date", d, "--json")
    assert isinstance(data, dict) and data["user"]["login"] == "rita"
    assert "managers see the planners" in cli("today", "--user", "sue", code=1)


def test_a_manager_exports_a_reps_planner(managed: Team, tmp_path: Path) -> None:
    import icalendar

    cli = managed.cli
    d = DAY.isoformat()
    cli("task", "add", "Rita's call", "--due", f"{d} 11:00", "--assignee", "rita")
    cli("task", "add", "My own call", "--due", f"{d} 12:00")
    out = tmp_path / "rita.ics"
    said = cli("planner", "export", "--ics", str(out), "--user", "rita")
    assert "Exported 1 tasks" in said
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    titles = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert titles == ["Rita's call"] and "Rita Rep" in str(calendar["x-wr-calname"])
    refused = cli("planner", "export", "--ics", str(tmp_path / "sue.ics"), "--user", "sue", code=1)
    assert "managers see the planners" in refused
    assert not (tmp_path / "sue.ics").exists()


def test_a_birthday_reminder_is_set_from_the_shell(team: Team) -> None:
    cli = team.cli
    cli("contact", "edit", str(team.contact), "--remind-days", "7")
    shown = cli.json("contact", "show", str(team.contact), "-f", "json")
    assert isinstance(shown, dict) and shown["contact"]["birthday_remind_days"] == 7
    assert "7 days before" in cli("contact", "show", str(team.contact))
    refused = cli.said("contact", "edit", str(team.contact), "--remind-days", "45", code=1)
    assert "--remind-days: remind from 0 to 30 days before" in refused


# -- tasks


def _task(cli: Cli, task_id: int) -> dict:
    rows = cli.json("task", "show", str(task_id), "-f", "json")
    assert isinstance(rows, list)
    return rows[0]


def test_task_add_with_duration_reminder_and_repeat(team: Team) -> None:
    cli = team.cli
    out = cli.said(
        "task", "add", "Monthly call", "--due", f"{DAY.isoformat()} 10:00",
        "--client", str(team.acme), "--contact", str(team.contact),
        "--duration", "1h30m", "--remind", "15m", "--repeat", "FREQ=MONTHLY;BYDAY=1MO",
    )  # fmt: skip
    assert "Planned task 1: Monthly call" in out
    assert "1h30m long" in out and "reminder 15m before" in out
    assert "repeats every month on the first Monday" in out
    task = _task(cli, 1)
    assert task["duration_min"] == 90 and task["remind_before_min"] == 15
    assert task["repeat"] == "FREQ=MONTHLY;BYDAY=1MO" and task["series_tz"] == "Europe/Berlin"
    assert task["contact_id"] == team.contact
    shown = cli("task", "show", "1")
    assert "2030-04-01 10:00" in shown  # the next first Monday, on Berlin's clock

    cli("task", "add", "Standup", "--due", f"{DAY.isoformat()} 09:00", "--repeat", "weekdays",
        "--duration", "15")  # fmt: skip
    cli("task", "add", "Invoice", "--due", f"{DAY.isoformat()} 12:00", "--repeat", "monthly",
        "--remind", "1d")  # fmt: skip
    assert _task(cli, 2)["repeat"] == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert _task(cli, 2)["duration_min"] == 15
    assert _task(cli, 3)["repeat"] == "FREQ=MONTHLY;BYMONTHDAY=4"
    assert _task(cli, 3)["remind_before_min"] == 24 * 60

    bad = cli("task", "add", "X", "--due", "tomorrow", "--repeat", "FREQ=HOURLY", code=1)
    assert "--repeat" in bad and "FREQ" in bad
    cli("task", "add", "X", "--due", "tomorrow", "--duration", "5x", code=2)
    cli("task", "add", "X", "--due", "tomorrow", "--remind", "soon", code=2)
    assert "--duration" in cli("task", "add", "X", "--due", "tomorrow", "--duration", "8d", code=1)


def test_task_done_writes_the_journal_and_plans_the_next_step(team: Team) -> None:
    cli = team.cli
    d = DAY.isoformat()
    cli("task", "add", "Call Acme", "--due", f"{d} 10:00", "--client", str(team.acme))
    out = cli.said(
        "task", "done", "1", "--result", "Agreed on volumes", "--next", "Send the contract",
        "--next-due", f"{d} 16:00", "--next-kind", "email",
    )  # fmt: skip
    assert "Done task 1: Call Acme" in out
    assert "Journal entry 1: call with [bold]Acme[/]" in out
    assert "Next: task 2: Send the contract, due 2030-03-04 16:00" in out
    journal = cli.json("journal", "--client", str(team.acme), "-f", "json")
    assert [(j["kind"], j["purpose"], j["result"]) for j in journal] == [  # type: ignore[union-attr]
        ("call", "Call Acme", "Agreed on volumes")
    ]
    assert _task(cli, 1)["status"] == "done" and _task(cli, 2)["kind"] == "email"
    assert "already done" in cli("task", "done", "1", "--result", "again", code=1)
    cli("task", "done", "2", "--result", "x", "--next", "Y", code=2)  # --next needs --next-due

    # a repeating task: this occurrence is done, the series goes on
    cli("task", "add", "Weekly", "--due", f"{d} 09:00", "--repeat", "weekly",
        "--client", str(team.acme))  # fmt: skip
    out = cli.said(
        "task", "done", "3", "--result", "fine", "--kind", "meeting", "--direction", "in"
    )
    assert "occurrence of task 3 (recorded as task 4)" in out
    assert "Task 3 repeats: next 2030-03-11 09:00" in out
    assert _task(cli, 4)["series_id"] == 3 and _task(cli, 4)["status"] == "done"
    entries = cli.json("journal", "--client", str(team.acme), "-f", "json")
    assert len(entries) == 2 and entries[0]["kind"] == "meeting"  # type: ignore[arg-type,index]
    assert entries[0]["direction"] == "in"  # type: ignore[index]


def test_task_move_cancel_and_versions(team: Team) -> None:
    cli = team.cli
    d = DAY.isoformat()
    cli("task", "add", "Plain", "--due", f"{d} 10:00")
    assert "Moved task 1 to 2030-03-05 11:00." in cli.said(
        "task", "move", "1", "--due", "2030-03-05 11:00"
    )
    stale = cli("task", "move", "1", "--due", f"{d} 12:00", "--version", "1", code=1)
    assert "version 1" in stale
    assert _task(cli, 1)["due_at"] == "2030-03-05T10:00:00+00:00"

    cli("task", "add", "Series", "--due", f"{d} 09:00", "--repeat", "weekly")
    out = cli.said("task", "move", "2", "--due", f"{d} 13:00", "--only-this")
    assert "Moved the 2030-03-04 09:00 occurrence of task 2 to 2030-03-04 13:00 (now task 3)" in out
    assert "the series goes on 2030-03-11 09:00" in out
    out = cli.said("task", "cancel", "2", "--reason", "holiday")
    assert "Cancelled the 2030-03-11 09:00 occurrence of task 2 (recorded as task 4)" in out
    assert _task(cli, 4)["cancel_reason"] == "holiday"
    out = cli.said("task", "cancel", "2", "--reason", "done with it", "--series")
    assert "Cancelled task 2: Series." in out
    assert _task(cli, 2)["status"] == "cancelled"
    assert "say why" in cli("task", "cancel", "1", "--reason", " ", code=1)
    assert "Cancelled task 1" in cli("task", "cancel", "1", "--reason", "not needed")


def test_task_assign_follows_the_access_rules(team: Team, db: Database) -> None:
    cli = team.cli
    cli("task", "add", "Mine", "--due", f"{DAY.isoformat()} 10:00")
    assert "reps can assign only themselves" in cli("task", "assign", "1", "--to", "rita", code=1)
    cli("task", "assign", "1", "--to", "nobody", code=1)


def test_a_manager_assigns_within_the_department(managed: Team) -> None:
    cli = managed.cli
    cli("task", "add", "Visit", "--due", f"{DAY.isoformat()} 10:00", "--kind", "visit")
    assert "now assigned to Rita Rep" in cli.said("task", "assign", "1", "--to", "rita")
    assert _task(cli, 1)["assignee"] == "Rita Rep" and _task(cli, 1)["version"] == 2
    assert "department" in cli("task", "assign", "1", "--to", "sue", code=1)


def test_task_list_by_period_user_and_status(managed: Team) -> None:
    cli = managed.cli
    d = DAY
    cli("task", "add", "Early", "--due", f"{d.isoformat()} 08:00")
    cli("task", "add", "Next week", "--due", f"{(d + timedelta(days=7)).isoformat()} 08:00",
        "--repeat", "FREQ=MONTHLY;BYDAY=1MO")  # fmt: skip
    cli("task", "add", "Rita's", "--due", f"{d.isoformat()} 10:00", "--assignee", "rita")
    cli("task", "done", "1", "--result", "ok")

    def titles(*args: str) -> list[str]:
        rows = cli.json("task", "list", *args, "-f", "json")
        return [r["title"] for r in rows]  # type: ignore[union-attr,index]

    assert titles() == ["Rita's", "Next week"]
    assert titles("--mine") == ["Next week"]
    assert titles("--user", "rita") == ["Rita's"]
    assert titles("--status", "done") == ["Early"]
    assert titles("--status", "any", "--from", d.isoformat(), "--to", d.isoformat()) == [
        "Early",
        "Rita's",
    ]
    assert titles("--from", (d + timedelta(days=1)).isoformat()) == ["Next week"]
    table = cli("task", "list", "--mine")
    assert "↻ every month" in table
    cli("task", "list", "--from", "whenever", code=2)


# -- significant dates


def test_dates_add_list_edit_and_remove(team: Team) -> None:
    cli = team.cli
    soon = _today() + timedelta(days=2)
    out = cli.said("dates", "add", "--client", str(team.acme), "--kind", "holiday",
              "--title", "Trade day", "--date", f"{soon.month:02d}-{soon.day:02d}")  # fmt: skip
    assert "Added date 1: professional holiday 'Trade day' of [bold]Acme[/]" in out
    cli("dates", "add", "--client", str(team.acme), "--kind", "foundation",
        "--title", "Founded", "--date", "29.02.2000", "--remind", "7")  # fmt: skip
    cli("dates", "add", "--client", str(team.acme), "--kind", "contract",
        "--title", "Contract", "--date", "2019-12-01")  # fmt: skip

    rows = cli.json("dates", "list", "--client", str(team.acme), "-f", "json")
    assert isinstance(rows, list)
    assert {(r["kind"], r["title"]) for r in rows} == {
        ("holiday", "Trade day"),
        ("foundation", "Founded"),
        ("contract", "Contract"),
        ("birthday", "Jane Roe"),
    }
    assert rows == sorted(rows, key=lambda r: r["on"])
    founded = next(r for r in rows if r["title"] == "Founded")
    assert founded["remind_days"] == 7 and founded["on"][5:] in ("02-28", "02-29")
    upcoming = cli.json("dates", "list", "--upcoming", "3", "-f", "json")
    assert isinstance(upcoming, list)
    # (Jane Roe's birthday, 4 March, and Founded, 29 February, join them on some days)
    trade = next(r for r in upcoming if r["title"] == "Trade day")
    assert trade["in_days"] == 2 and all(r["in_days"] <= 3 for r in upcoming)
    # within its reminder window (3 days): "coming up" in today's agenda
    assert "Trade day" in cli("today")
    coming = cli.json("today", "--json")["coming_up"]  # type: ignore[index]
    assert "Trade day" in [c["title"] for c in coming]

    assert "Jane Roe" in cli("dates", "list")
    assert cli.json("dates", "list", "--all", "-f", "json")  # every client I may see
    cli("dates", "list", "--client", str(team.south), code=1)  # not my client

    assert "reminder 1 days before" in cli.said("dates", "edit", "1", "--remind", "1")
    stale = cli("dates", "edit", "1", "--title", "Other", "--version", "1", code=1)
    assert "version 1" in stale
    assert "Deleted date 3" in cli("dates", "rm", "3")
    titles = [r["title"] for r in cli.json("dates", "list", "--client", str(team.acme), "-f",
                                             "json")]  # type: ignore[union-attr,index] # fmt: skip
    assert "Contract" not in titles

    assert "kind" in cli("dates", "add", "--client", str(team.acme), "--kind", "party",
                         "--title", "x", "--date", "01.05", code=1)  # fmt: skip
    assert "no such day" in cli("dates", "add", "--client", str(team.acme), "--kind", "other",
                                "--title", "x", "--date", "31.02", code=1)  # fmt: skip
    cli("dates", "add", "--client", str(team.acme), "--kind", "other", "--title", "x",
        "--date", "tomorrow", code=2)  # fmt: skip
    cli("dates", "add", "--client", str(team.south), "--kind", "other", "--title", "x",
        "--date", "01.05", code=1)  # fmt: skip
