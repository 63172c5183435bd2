"""The report renderers (terminal, CSV, JSON, Markdown, xlsx with native charts) on a
hand-made report and on the real sales dynamics report, and `termcrm report` from the
shell on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.reports import render_files
from termcrm.reports.model import Chart, Column, Params, Report, Table
from termcrm.reports.render_text import cell_text, print_report
from termcrm.reports.sales_dynamics import sales_dynamics
from termcrm.reports.workbook import (
    add_report_sheet,
    new_workbook,
    report_workbook,
    save_workbook,
)
from termcrm.services import clients, org, sales_facts
from test_funnel import make_team

D = Decimal
COLUMNS = (
    Column("name", "Client"),
    Column("y2025", "{year} turnover", "money", (("year", "2025"),)),
    Column("share", "Share %", "pct"),
    Column("y2026", "{year} turnover", "money", (("year", "2026"),)),
    Column("deals", "Deals", "int"),
    Column("avg", "Average days", "number"),
    Column("last", "Last shipment", "date"),
    Column("month", "Best month", "month"),
)
ROWS = (
    ("[bold]Acme | Co", D("1234.50"), 61.73, D("2000.00"), 3, 2.5, date(2026, 3, 4),
     date(2026, 2, 1)),
    ("=SUM(A1)", D("765.50"), 38.27, D("-100.00"), 1000, None, None, None),
)  # fmt: skip
TOTAL = ("Total", D("2000.00"), 100.0, D("1900.00"), 1003, None, None, None)


def hand_made() -> Report:
    clients_t = Table("clients", "Turnover by client", COLUMNS, ROWS, TOTAL)
    months = Table(
        "months",
        "Turnover by month",
        (Column("month", "Month", "month"), Column("turnover", "Turnover", "money")),
        ((date(2026, 1, 1), D("10.00")), (date(2026, 2, 1), D("20.00")), (date(2026, 3, 1), None)),
    )
    empty = Table("empty", "Nothing here", (Column("name", "Name"), Column("n", "N", "int")), ())
    return Report(
        "hand-made",
        "A hand-made report",
        (date(2026, 1, 1), date(2026, 3, 31)),
        "all clients",
        "RUB",
        (clients_t, months, empty),
        (
            Chart("bar", "Turnover by client", "clients", "name", ("y2025", "y2026")),
            Chart("pie", "Share", "clients", "name", ("share",)),
            Chart("line", "By month", "months", "month", ("turnover",)),
            Chart("bar", "Nothing", "empty", "name", ("n",)),
        ),
        ("Amounts in RUB only.",),
    )


# -- xlsx ------------------------------------------------------------------------------------


def test_xlsx_typed_cells_formats_and_native_charts(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    render_files.write_report(hand_made(), "xlsx", path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["hand-made"]
    ws = wb["hand-made"]
    assert ws["A1"].value == "A hand-made report" and ws["A1"].font.b
    assert ws["A2"].value == "period 2026-Q1; all clients; amounts in RUB"
    assert ws["A3"].value == "Amounts in RUB only."
    # the first table: its title on row 5, the header on 6, rows 7-8, the total on 9
    assert ws["A5"].value == "Turnover by client"
    assert [c.value for c in ws[6]][:8] == [
        "Client",
        "2025 turnover",
        "Share %",
        "2026 turnover",
        "Deals",
        "Average days",
        "Last shipment",
        "Best month",
    ]
    assert all(c.font.b for c in ws[6][:8])
    assert ws.freeze_panes == "A7"
    a, b = ws[7], ws[8]
    assert a[0].value == "[bold]Acme | Co"
    assert b[0].value == "=SUM(A1)" and b[0].data_type == "s"  # text, never a formula
    assert D(str(a[1].value)) == D("1234.50") and a[1].number_format == "#,##0.00"
    assert a[2].value == pytest.approx(0.6173) and a[2].number_format == "0.0%"
    assert D(str(b[3].value)) == D("-100.00")
    assert a[4].value == 3 and b[4].value == 1000
    assert a[5].value == 2.5 and b[5].value is None
    assert a[6].value.date() == date(2026, 3, 4) and a[6].number_format == "yyyy-mm-dd"
    assert a[7].value.date() == date(2026, 2, 1) and a[7].number_format == "yyyy-mm"
    total = ws[9]
    assert total[0].value == "Total" and total[0].font.b
    assert D(str(total[1].value)) == D("2000.00") and total[2].value == 1
    # widths fitted to the values
    assert ws.column_dimensions["A"].width >= len("[bold]Acme | Co")
    charts = ws._charts
    assert [type(c).__name__ for c in charts] == ["BarChart", "PieChart", "LineChart"]
    bar, pie, line = charts
    sheet = "'hand-made'"
    assert [s.val.numRef.f for s in bar.series] == [f"{sheet}!$B$7:$B$8", f"{sheet}!$D$7:$D$8"]
    assert [s.tx.strRef.f for s in bar.series] == [f"{sheet}!B6", f"{sheet}!D6"]
    assert {s.cat.strRef.f for s in bar.series} == {f"{sheet}!$A$7:$A$8"}  # no totals row
    assert [s.val.numRef.f for s in pie.series] == [f"{sheet}!$C$7:$C$8"]
    # next to the table (its 8 columns A-H, a blank one, then J), the pie under the bars
    assert bar.anchor._from.col == 9 and bar.anchor._from.row == 4
    assert pie.anchor._from.col == 9 and pie.anchor._from.row > bar.anchor._from.row
    # the months table starts below both charts; its categories are dates (numbers)
    title_row = next(r for r in range(10, 60) if ws.cell(r, 1).value == "Turnover by month")
    assert title_row > pie.anchor._from.row + 15
    assert line.series[0].val.numRef.f == f"{sheet}!$B${title_row + 2}:$B${title_row + 4}"
    assert line.series[0].cat.numRef.f == f"{sheet}!$A${title_row + 2}:$A${title_row + 4}"
    # an empty table has no chart, only its header
    assert any(ws.cell(r, 1).value == "Nothing here" for r in range(title_row, title_row + 30))


def test_save_workbook_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_text("old", encoding="utf-8")
    save_workbook(report_workbook(hand_made()), path)
    assert openpyxl.load_workbook(path).sheetnames == ["hand-made"]
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_a_sheet_failing_half_written_is_taken_out_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    before = set(ALL_TEMP_FILES)
    wb = new_workbook("two")
    add_report_sheet(wb, hand_made(), "good")
    odd = Table("odd", "Odd", (Column("name", "Name"), Column("n", "N", "int")),
                (("a", 1), ("b", object())))  # fmt: skip
    bad = Report("bad", "Bad", (date(2026, 1, 1), date(2026, 1, 31)), "all", "RUB", (odd,))
    with pytest.raises(ValueError):
        add_report_sheet(wb, bad, "bad")  # its first rows were written already
    assert wb.sheetnames == ["good"]
    path = tmp_path / "two.xlsx"
    save_workbook(wb, path)
    assert openpyxl.load_workbook(path).sheetnames == ["good"]
    assert set(ALL_TEMP_FILES) == before  # the rows' temporary files are gone


def test_a_failed_save_leaves_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    before = set(ALL_TEMP_FILES)
    wb = report_workbook(hand_made())
    assert set(ALL_TEMP_FILES) > before  # a write-only sheet's rows wait in a file

    def broken_save(self, stream) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(Exception, match="No space left"):
        save_workbook(wb, tmp_path / "r.xlsx")
    assert set(ALL_TEMP_FILES) == before and list(tmp_path.iterdir()) == []


# -- CSV, JSON, Markdown ---------------------------------------------------------------------


def test_csv_stacks_tables_under_their_titles_and_guards_formulas() -> None:
    text = render_files.to_csv(hand_made())
    parts = text.split("\n\n")
    assert len(parts) == 3
    first = list(csv.reader(io.StringIO(parts[0])))
    assert first[0] == ["Turnover by client"]
    assert first[1][:3] == ["Client", "2025 turnover", "Share %"]
    assert first[2] == [
        "[bold]Acme | Co",
        "1234.50",
        "61.73",
        "2000.00",
        "3",
        "2.5",
        "2026-03-04",
        "2026-02-01",
    ]
    assert first[3][:2] == ["'=SUM(A1)", "765.50"] and first[3][5:] == ["", "", ""]
    assert first[4][:3] == ["Total", "2000.00", "100.0"]
    assert list(csv.reader(io.StringIO(parts[2]))) == [["Nothing here"], ["Name", "N"]]


def test_csv_a_file_per_table_in_a_folder(tmp_path: Path) -> None:
    written = render_files.write_report(hand_made(), "csv", tmp_path)
    assert [p.name for p in written] == [
        "hand-made-clients.csv",
        "hand-made-months.csv",
        "hand-made-empty.csv",
    ]
    rows = list(csv.reader(io.StringIO(written[1].read_text(encoding="utf-8-sig"))))
    assert rows == [["Month", "Turnover"], ["2026-01-01", "10.00"], ["2026-02-01", "20.00"],
                    ["2026-03-01", ""]]  # fmt: skip


def test_json_round_trip() -> None:
    report = hand_made()
    data = json.loads(render_files.to_json(report))
    assert data["report"] == "hand-made" and data["title"] == "A hand-made report"
    assert data["period"] == {"first": "2026-01-01", "last": "2026-03-31", "text": "2026-Q1"}
    assert data["scope"] == "all clients" and data["currency"] == "RUB"
    assert data["notes"] == ["Amounts in RUB only."]
    t = data["tables"]["clients"]
    assert t["columns"][1] == {"key": "y2025", "title": "2025 turnover", "kind": "money"}
    back = [
        tuple(row[c["key"]] for c in t["columns"]) for row in t["rows"]
    ]  # money as exact strings, dates ISO, percentages numbers
    assert back[0] == ("[bold]Acme | Co", "1234.50", 61.73, "2000.00", 3, 2.5, "2026-03-04",
                       "2026-02-01")  # fmt: skip
    assert [D(v) for v in (back[0][1], back[1][1])] == [r[1] for r in ROWS]
    assert t["total"]["y2025"] == "2000.00" and t["total"]["avg"] is None
    assert data["tables"]["empty"]["rows"] == [] and data["tables"]["empty"]["total"] is None
    assert data["charts"][0]["series"] == ["y2025", "y2026"]


def test_markdown_tables_and_charts() -> None:
    md = render_files.to_markdown(hand_made())
    assert md.startswith("# A hand-made report\n")
    assert "## Turnover by client" in md
    assert "| Client | 2025 turnover | Share % |" in md
    assert "| --- | ---: | ---: |" in md
    assert (
        "| [bold]Acme \\| Co | 1,234.50 | 61.7% | 2,000.00 | 3 | 2.5 | 3/4/2026 | 2026-02 |" in md
    )
    assert "| **Total** | **2,000.00** | **100.0%** |" in md
    assert "```text" in md and "Turnover by client" in md


# -- the terminal ----------------------------------------------------------------------------


def test_cell_text_by_kind() -> None:
    assert cell_text(D("1234.5"), "money") == "1,234.50"
    assert cell_text(D("1234.5"), "money", "USD") == "$1,234.50"
    assert cell_text(12.345, "pct") == "12.3%"
    assert cell_text(-25.0, "pct") == "-25.0%"
    assert cell_text(1000, "int") == "1,000"
    assert cell_text(None, "money") == ""
    assert cell_text(date(2026, 11, 25), "date") == "11/25/2026"
    assert cell_text(date(2026, 11, 1), "month") == "2026-11"


def test_terminal_tables_charts_and_notes() -> None:
    console = Console(record=True, width=120, color_system=None)
    print_report(hand_made(), console)
    out = console.export_text()
    for text in (
        "A hand-made report",
        "period 2026-Q1; all clients; amounts in RUB",
        "[bold]Acme | Co",  # user text as typed, not markup
        "=SUM(A1)",
        "1,234.50",
        "61.7%",
        "-100.00",
        "Turnover by client",
        "Share (Share %, %)",  # the pie as bars of shares
        "By month",
        "Amounts in RUB only.",
        "(nothing)",
    ):
        assert text in out, text
    assert "2025 turnover" in out and "█" in out


def test_terminal_a_wide_table_in_pieces() -> None:
    console = Console(record=True, width=60, color_system=None)
    print_report(hand_made(), console, charts=False)
    out = console.export_text()
    assert "Turnover by client (continued)" in out
    assert out.count("[bold]Acme | Co") >= 2  # the first column in every piece
    assert "2026-02" in out and "3/4/2026" in out


# -- the real sales dynamics report ----------------------------------------------------------


@pytest.fixture
def shipped(db, admin):
    """Big (Wholesale, rep's, North) and Shop (Retail, sue's, South): 2025 and 2026."""
    with db.write() as s:
        t = make_team(s, admin)
        org.add_user(s, admin, org.os_login(), role="manager", department="North")
        big = clients.create_client(
            s, admin, {"name": "Big", "group": "Wholesale", "owner_id": t.rep.id}
        ).id
        shop = clients.create_client(
            s, admin, {"name": "Shop", "group": "=Retail", "owner_id": t.sue.id}
        ).id
        for n, (client, day, amount) in enumerate(
            [
                (big, date(2025, 3, 1), 200),
                (shop, date(2025, 5, 1), 50),
                (big, date(2026, 1, 10), 300),
                (shop, date(2026, 2, 10), D("100.25")),
            ]
        ):
            sales_facts.save_shipment(
                s, admin, shipped_on=day, client_id=client, amount=amount, external_id=f"s{n}"
            )
    return t


def test_sales_dynamics_to_xlsx_reads_back_its_values(db, shipped, tmp_path: Path) -> None:
    with db.read() as s:
        report = sales_dynamics(s, shipped.admin, Params((date(2025, 1, 1), date(2026, 12, 31))))
    # 2025: Wholesale 200, Retail 50 (total 250); 2026: 300 and 100.25 (total 400.25)
    path = tmp_path / "sd.xlsx"
    render_files.write_report(report, "xlsx", path)
    ws = openpyxl.load_workbook(path)["sales-dynamics"]
    table = report.table("by_group")
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Client group")
    assert [ws.cell(header, j + 1).value for j in range(len(table.columns))] == [
        c.heading() for c in table.columns
    ]
    for i, row in enumerate([*table.rows, table.total]):
        for j, (value, column) in enumerate(zip(row, table.columns, strict=True)):
            got = ws.cell(header + 1 + i, j + 1).value
            if value is None:
                assert got is None
            elif column.kind == "money":
                assert D(str(got)).quantize(D("0.01")) == value
            elif column.kind == "pct":
                assert got == pytest.approx(value / 100)
            else:
                assert got == value
    assert ws.cell(header + 1, 1).value == "Wholesale"
    assert ws.cell(header + 2, 1).value == "=Retail" and ws.cell(header + 2, 1).data_type == "s"
    assert D(str(ws.cell(header + 3, 5).value)) == D("400.25")  # 2026 total
    bar, line = ws._charts
    # the turnover columns B (2025) and E (2026), the two groups' rows
    first, last = header + 1, header + 2
    assert [s.val.numRef.f for s in bar.series] == [
        f"'sales-dynamics'!$B${first}:$B${last}",
        f"'sales-dynamics'!$E${first}:$E${last}",
    ]
    assert bar.series[0].cat.strRef.f == f"'sales-dynamics'!$A${first}:$A${last}"
    totals_header = next(r for r in range(last + 1, 60) if ws.cell(r, 1).value == "Period")
    assert line.series[0].val.numRef.f == (
        f"'sales-dynamics'!$B${totals_header + 1}:$B${totals_header + 2}"
    )


# -- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_db(db, shipped, db_url: str, monkeypatch, tmp_path: Path) -> str:
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


PERIOD = ("--period", "2025-01-01..2026-12-31")


def test_cli_report_json_as_a_manager_of_north(cli_db) -> None:
    # I am a manager of North: the rep's Big only, not sue's Shop (South)
    data = json.loads(invoke(cli_db, "report", "sales-dynamics", *PERIOD, "-f", "json"))
    t = data["tables"]["by_group"]
    assert [r["group"] for r in t["rows"]] == ["Wholesale"]
    assert t["total"]["turnover_2025"] == "200.00" and t["total"]["turnover_2026"] == "300.00"
    assert data["scope"] == "the clients of my department"


def test_cli_report_formats(cli_db, tmp_path: Path) -> None:
    out = invoke(cli_db, "report", "sales-dynamics", *PERIOD)
    assert "Wholesale" in out and "300.00" in out and "Turnover by period" in out
    out = invoke(cli_db, "report", "run", "sales-dynamics", *PERIOD, "--by", "quarter", "-f", "md")
    assert "| 2025-Q1 turnover |" in out.replace("\n", " ") or "2025-Q1 turnover" in out
    lines = invoke(cli_db, "report", "sales-dynamics", *PERIOD, "-f", "csv").splitlines()
    assert lines[0] == "Sales dynamics by client group"
    path = tmp_path / "r.xlsx"
    invoke(cli_db, "report", "sales-dynamics", *PERIOD, "-f", "xlsx", "--out", str(path))
    assert openpyxl.load_workbook(path).sheetnames == ["sales-dynamics"]
    invoke(cli_db, "report", "sales-dynamics", *PERIOD, "--out", str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text())["report"] == "sales-dynamics"
    invoke(cli_db, "report", "sales-dynamics", *PERIOD, "-f", "csv", "--out", str(tmp_path))
    assert (tmp_path / "sales-dynamics-by_group.csv").exists()


def test_cli_report_scope_options_and_list(cli_db) -> None:
    data = json.loads(
        invoke(cli_db, "report", "sales-dynamics", *PERIOD, "--user", "rep", "-f", "json")
    )
    assert data["scope"] == "clients of Rep"
    assert [r["group"] for r in data["tables"]["by_group"]["rows"]] == ["Wholesale"]
    data = json.loads(invoke(cli_db, "report", "sales-dynamics", *PERIOD, "--mine", "-f", "json"))
    assert data["tables"]["by_group"]["rows"] == []
    out = invoke(cli_db, "report", "list")
    assert "sales-dynamics" in out and "Sales dynamics by client group" in out


def test_cli_report_errors_are_one_line(cli_db) -> None:
    out = invoke(cli_db, "report", "nope", code=1)
    assert "no report 'nope'" in out and "sales-dynamics" in out
    out = invoke(cli_db, "report", "sales-dynamics", "--user", "sue", code=1)
    assert "error:" in out  # sue (South) is out of a North manager's reach
    assert "--out" in invoke(cli_db, "report", "sales-dynamics", "-f", "xlsx", code=2)
    assert "--mine" in invoke(cli_db, "report", "sales-dynamics", "--user", "rep", "--mine", code=2)
    assert "key=value" in invoke(cli_db, "report", "sales-dynamics", "-o", "by", code=2)
    assert "--by" in invoke(cli_db, "report", "sales-dynamics", "--by", "week", code=1)
    assert "--period" in invoke(cli_db, "report", "sales-dynamics", "--period", "2026-Q5", code=2)
    assert "--client" in invoke(cli_db, "report", "client", code=1)
