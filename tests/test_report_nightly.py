"""The nightly batch: the day's workbook (Summary and a sheet per nightly report), a rerun
replacing it, the lock, --as for admins only, and a failure leaving nothing behind; on
SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.reports import nightly
from termcrm.reports.nightly import default_period, folder_lock, run_nightly, workbook_path
from termcrm.services import clients, org, sales_facts
from test_funnel import make_team

D = Decimal
runner = CliRunner()


def test_default_period() -> None:
    assert default_period(date(2026, 11, 26)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert default_period(date(2026, 12, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert default_period(date(2027, 1, 1)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert workbook_path(Path("/x"), date(2026, 3, 4)) == Path("/x/termcrm-2026-03-04.xlsx")


@pytest.fixture
def team(db, admin):
    """Big (the rep's, North) shipped 300 in 2026-01, Shop (sue's, South) 100 in 2026-02."""
    with db.write() as s:
        t = make_team(s, admin)
        org.add_user(s, admin, org.os_login(), role="manager", department="North")
        big = clients.create_client(
            s, admin, {"name": "Big", "group": "Wholesale", "owner_id": t.rep.id}
        ).id
        shop = clients.create_client(
            s, admin, {"name": "Shop", "group": "Retail", "owner_id": t.sue.id}
        ).id
        sales_facts.save_shipment(
            s, admin, shipped_on=date(2026, 1, 10), client_id=big, amount=300, external_id="a"
        )
        sales_facts.save_shipment(
            s, admin, shipped_on=date(2026, 2, 10), client_id=shop, amount=100, external_id="b"
        )
    return t


@pytest.fixture
def cli_db(db, team, db_url: str, monkeypatch, tmp_path: Path) -> str:
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "UTC")
    monkeypatch.setenv("TERMCRM_LOCALE", "en")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return db_url


def invoke(url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", url, *args])
    assert result.exit_code == code, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    return result.output


def flat(output: str) -> str:
    """Typer's error panel as one line of words."""
    return " ".join(output.replace("│", " ").split())


def summary_rows(path: Path) -> dict[str, tuple]:
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows.index(("Report", "Title", "Headline", "Figure", "Currency", "Error"))
    return {r[0]: r[1:] for r in rows[header + 1 :] if r[0]}


def test_nightly_writes_the_days_workbook(cli_db, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = invoke(cli_db, "report", "nightly", "--out", str(out_dir), "--period", "2026")
    today = datetime.now(UTC).date()
    path = out_dir / f"termcrm-{today.isoformat()}.xlsx"
    assert str(path) in output.replace("\n", "")
    assert sorted(p.name for p in out_dir.iterdir()) == [".termcrm-nightly.lock", path.name]
    wb = openpyxl.load_workbook(path)
    specs = nightly.nightly_specs()
    assert "client" not in [s.name for s in specs]  # not a nightly report
    assert wb.sheetnames[0] == "Summary"
    summary = summary_rows(path)
    assert list(summary) == [s.name for s in specs]
    # a North manager: Big's 300 only
    title, label, figure, currency, error = summary["sales-dynamics"]
    assert (title, label, currency, error) == (
        "Sales dynamics by client group",
        "2026 turnover",
        "RUB",
        None,
    )
    assert D(str(figure)) == D("300.00")
    ws = wb["Summary"]
    facts = {r[0]: r[1] for r in ws.iter_rows(min_row=3, max_row=7, values_only=True)}
    assert facts["Period"] == "2026" and facts["From"].date() == date(2026, 1, 1)
    assert facts["Run as"].endswith(f"({org.os_login()}, manager)")
    assert isinstance(facts["Run at"], datetime)
    for name, (_t, _l, _f, _c, err) in summary.items():
        if err is None:  # every report that ran has its sheet (with its charts)
            assert name in wb.sheetnames
    links = {c.value: c.hyperlink.target for c in ws["A"] if c.hyperlink is not None}
    assert links == {name: f"#'{name}'!A1" for name, row in summary.items() if row[4] is None}
    assert ws.freeze_panes == "A10" and ws["A9"].font.b  # the header row, frozen
    assert len(wb["sales-dynamics"]._charts) == 2


def test_a_rerun_replaces_the_file(cli_db, db, team, tmp_path: Path) -> None:
    args = ("report", "nightly", "--out", str(tmp_path), "--period", "2026")
    invoke(cli_db, *args)
    (path,) = tmp_path.glob("termcrm-*.xlsx")
    assert D(str(summary_rows(path)["sales-dynamics"][2])) == D("300.00")
    with db.write() as s:
        more = clients.create_client(
            s, team.admin, {"name": "More", "group": "Wholesale", "owner_id": team.rep.id}
        ).id
        sales_facts.save_shipment(
            s, team.admin, shipped_on=date(2026, 3, 1), client_id=more, amount=50, external_id="c"
        )
    invoke(cli_db, *args)
    assert [p.name for p in tmp_path.glob("termcrm-*.xlsx")] == [path.name]
    assert D(str(summary_rows(path)["sales-dynamics"][2])) == D("350.00")
    assert not list(tmp_path.glob("*.part"))


def test_a_second_run_is_stopped_by_the_lock(cli_db, tmp_path: Path) -> None:
    with folder_lock(tmp_path):
        out = invoke(cli_db, "report", "nightly", "--out", str(tmp_path), code=1)
    assert "another nightly run" in out and len(out.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.part"))


def test_as_another_user_is_for_admins(cli_db, db, team, tmp_path: Path) -> None:
    out = invoke(cli_db, "report", "nightly", "--out", str(tmp_path), "--as", "rep", code=1)
    assert "only an admin" in out and "manager" in out
    assert not list(tmp_path.glob("*.xlsx"))
    # an admin may: the workbook then shows what sue sees (Shop's 100)
    result = run_nightly(
        db,
        team.admin,
        tmp_path,
        today=date(2026, 11, 26),
        now=datetime(2026, 11, 26, 2, 0),
        period=(date(2026, 1, 1), date(2026, 12, 31)),
        as_login="sue",
    )
    assert result.actor.login == "sue" and result.path.name == "termcrm-2026-11-26.xlsx"
    assert D(str(summary_rows(result.path)["sales-dynamics"][2])) == D("100.00")
    with pytest.raises(Exception, match="nobody"):
        run_nightly(db, team.admin, tmp_path, today=date(2026, 11, 26),
                    now=datetime(2026, 11, 26), as_login="nobody")  # fmt: skip


def test_a_failure_leaves_no_file_and_no_temp_file(cli_db, tmp_path: Path, monkeypatch) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    path = out_dir / f"termcrm-{datetime.now(UTC).date().isoformat()}.xlsx"
    args = ("report", "nightly", "--out", str(out_dir), "--period", "2026")
    invoke(cli_db, *args)
    before = path.read_bytes()

    def broken_save(self, stream) -> None:
        stream.write(b"PK half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    out = invoke(cli_db, *args, code=1)
    assert "No space left on device" in out and len(out.strip().splitlines()) == 1
    assert path.read_bytes() == before  # the earlier run's file is left as it was
    assert sorted(p.name for p in out_dir.iterdir()) == [".termcrm-nightly.lock", path.name]
    path.unlink()
    invoke(cli_db, *args, code=1)
    assert sorted(p.name for p in out_dir.iterdir()) == [".termcrm-nightly.lock"]


def test_a_missing_folder_is_refused(cli_db, tmp_path: Path) -> None:
    out = invoke(cli_db, "report", "nightly", "--out", str(tmp_path / "nope"), code=1)
    assert "is not a folder" in out


def test_the_summary_headline_of_a_table_over_time_is_its_latest_period():
    from termcrm.reports.model import Column, Report, Table

    def report(first: Column, rows: tuple[tuple[object, ...], ...]) -> Report:
        table = Table("t", "T", (first, Column("n", "New", "int")), rows)
        return Report("x", "X", (date(2026, 1, 1), date(2026, 2, 28)), "all", None, (table,))

    by_month = report(Column("period", "Period"), (("2026-01", 3), ("2026-02", 5)))
    assert nightly.headline(by_month) == ("New (2026-02)", 5, "int")
    a_list = report(Column("day", "Day", "date"), ((date(2026, 1, 5), 3),))
    assert nightly.headline(a_list) == ("Rows", 1, "int")


def test_the_files_are_private_unless_a_mode_is_given(cli_db, tmp_path: Path) -> None:
    args = ("report", "nightly", "--out", str(tmp_path), "--period", "2026")
    invoke(cli_db, *args)
    (path,) = tmp_path.glob("termcrm-*.xlsx")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    invoke(cli_db, *args, "--mode", "640")  # a rerun with a mode: the group may read it
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    openpyxl.load_workbook(path)  # a whole workbook
    report = tmp_path / "dyn.json"
    invoke(cli_db, "report", "sales-dynamics", "--period", "2026", "--out", str(report),
           "--mode", "0o644")  # fmt: skip
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    for bad, reason in (
        ("rw", "is not a file mode"),
        ("1777", "only the permission bits"),
        ("044", "would not let you read"),
    ):
        out = invoke(cli_db, *args, "--mode", bad, code=2)
        assert reason in flat(out)
    out = invoke(cli_db, "report", "sales-dynamics", "--mode", "640", code=2)
    assert "--mode is for a file written with --out" in flat(out)
    assert not list(tmp_path.glob("*.part"))
