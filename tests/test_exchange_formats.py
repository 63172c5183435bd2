"""The file formats of import and export: reading (sources, vcards, calendars), writing
(sinks, vcards, calendars), the formula guard (cells) and the refusal of hostile files
(safety). Golden input files are in tests/data (made by tests/data/make_data.py)."""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from termcrm.exchange import safety
from termcrm.exchange.calendars import CalendarItem, read_calendar, write_calendar
from termcrm.exchange.cells import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    cell_problem,
    column_letter,
    guard_csv,
    needs_text_guard,
    unguard_csv,
)
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.sinks import Column, open_writer, write_rejects
from termcrm.exchange.sources import Sheet, SourceRow, open_sheet
from termcrm.exchange.vcards import ContactCard, fold_line, read_vcards, write_vcards
from termcrm.services.validation import inn_is_valid

DATA = Path(__file__).parent / "data"
MSK = timezone(timedelta(hours=3))


def present(row: SourceRow) -> list[Any]:
    return [v for v in row.values if v is not None]


def by_header(sheet: Sheet, row: SourceRow) -> dict[str, Any]:
    return {h: v for h, v in zip(sheet.headers, row.values, strict=True) if v is not None}


def make_xlsx(path: Path, rows: Sequence[Sequence[Any]], title: str = "Sheet") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def patch_zip(src: Path, dst: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = change(data)
            zout.writestr(info, data)
    return dst


def refused(path: Path, **kwargs: Any) -> str:
    with pytest.raises(FileRefused) as caught:
        open_sheet(path, **kwargs)
    return str(caught.value)


# --- cells -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "+7 495", "-5", "@SUM(A1)", "\tx", "\rx", "\0x"])
def test_formula_like_text_is_guarded_in_csv_and_comes_back(text: str):
    assert needs_text_guard(text)
    assert guard_csv(text) == "'" + text
    assert unguard_csv(guard_csv(text)) == text


@pytest.mark.parametrize("text", ["plain", "", "'quoted'", "''", "a=b", "7 495"])
def test_other_text_round_trips_through_the_guard(text: str):
    assert unguard_csv(guard_csv(text)) == text
    assert guard_csv(text).startswith("'") == text.startswith("'")


def test_cell_problems_name_the_cell_and_the_reason():
    assert cell_problem("tab\tCR\rLF\n ok") is None
    assert cell_problem(5) is None
    assert cell_problem(None) is None
    assert cell_problem("bell\x07") == "cell holds the control character U+0007"
    assert cell_problem("nul\x00", "cell C5") == "cell C5 holds the control character U+0000"
    big = "x" * (MAX_CELL_CHARS + 1)
    assert cell_problem(big) == "cell is larger than 10 MB"
    assert cell_problem(big, 'column "Notes"') == 'column "Notes" is larger than 10 MB'
    assert [column_letter(i) for i in (0, 25, 26, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "ZZ",
        "AAA",
        "XFD",
    ]


# --- golden files ------------------------------------------------------------------


def test_google_contacts_csv():
    sheet = open_sheet(DATA / "google_contacts.csv")
    assert (sheet.format, sheet.encoding, sheet.delimiter) == ("csv", "utf-8", ",")
    assert sheet.headers[:4] == ["Name", "Given Name", "Additional Name", "Family Name"]
    assert "Phone 1 - Value" in sheet.headers and "Organization 1 - Title" in sheet.headers
    rows = list(sheet.rows())
    # the first contact's formatted address spans 4 lines: the next record starts on line 6
    assert [r.number for r in rows] == [2, 6, 7, 8]
    first = by_header(sheet, rows[0])
    assert first["Name"] == "Иван Петров"
    assert first["Phone 2 - Value"] == "+7 916 555-01-02 ::: +7 903 111-22-33"
    assert first["Address 1 - Formatted"] == "ул. Тверская, д. 1\nМосква\n125009\nРоссия"
    assert first["Organization 1 - Name"] == 'ООО "Ромашка"'
    assert by_header(sheet, rows[2])["Organization 1 - Name"] == "北京华联科技有限公司"
    assert all(not r.problems for r in rows)


def test_outlook_csv():
    sheet = open_sheet(DATA / "outlook_contacts.csv")
    assert (sheet.encoding, sheet.delimiter) == ("utf-8-sig", ",")
    assert sheet.headers[:8] == [
        "Title",
        "First Name",
        "Middle Name",
        "Last Name",
        "Suffix",
        "Company",
        "Department",
        "Job Title",
    ]
    rows = list(sheet.rows())
    assert [r.number for r in rows] == [2, 4, 5]  # the notes of the first hold a CRLF
    john = by_header(sheet, rows[0])
    assert john["E-mail Address"] == "john.smith@acme.example.com"
    assert john["Business Phone"] == "+1 (217) 555-0134"
    assert john["Mobile Phone"] == "+1 (217) 555-0199"
    assert john["Notes"] == "Prefers email.\r\nCall after 10 am."
    assert by_header(sheet, rows[1])["Company"] == 'АО "Северсталь-Трейд"'


def test_windows_1251_semicolon_csv_with_russian_headers():
    sheet = open_sheet(DATA / "clients_ru_cp1251.csv")
    assert (sheet.encoding, sheet.delimiter) == ("cp1251", ";")
    assert sheet.headers == [
        "Наименование",
        "ИНН",
        "Город",
        "Телефон",
        "Эл. почта",
        "Группа",
        "Статус",
        "Адрес",
    ]
    rows = list(sheet.rows())
    # a blank line after the third client; the fourth's address holds a line break
    assert [r.number for r in rows] == [2, 3, 4, 6, 8, 9, 10]
    assert rows[0].values[:4] == ('ООО "Ромашка"', "7707083893", "Москва", "+7 495 123-45-67")
    assert rows[3].values[0] == 'ООО "Вектор; Плюс"'
    assert rows[3].values[7] == "Невский пр-т, д. 28,\nофис 301"
    assert rows[6].values[0] == 'ООО "Ёлки-Палки"'
    assert rows[5].values[4] is None  # an empty e-mail
    assert all(inn_is_valid(str(r.values[1])) for r in rows)


def test_chinese_xlsx():
    sheet = open_sheet(DATA / "clients_zh.xlsx")
    assert (sheet.format, sheet.sheet_name, sheet.total) == ("xlsx", "客户", 5)
    assert sheet.headers == [
        "公司名称",
        "城市",
        "电话",
        "电子邮件",
        "税号",
        "联系人",
        "客户等级",
        "创建日期",
        "年营业额",
    ]
    rows = list(sheet.rows())
    assert [r.number for r in rows] == [2, 3, 4, 5, 6]
    assert rows[0].values == (
        "北京华联科技有限公司",
        "北京",
        "+86 10 6552 8899",
        "contact@hualian-tech.cn",
        "91110105MA01ABCD13",
        "王伟",
        "A",
        date(2021, 3, 15),
        12500000.5,
    )
    assert rows[1].values[8] == 8300000 and type(rows[1].values[8]) is int
    assert rows[4].values[3] is None
    other = open_sheet(DATA / "clients_zh.xlsx", sheet="说明")
    assert other.headers == ["本表由销售部维护"] and list(other.rows()) == []
    assert open_sheet(DATA / "clients_zh.xlsx", sheet=1).sheet_name == "说明"


def test_xls_and_ods_workbooks():
    xls = open_sheet(DATA / "clients_ru.xls")
    assert (xls.format, xls.sheet_name) == ("xls", "Клиенты")
    rows = list(xls.rows())
    assert [r.number for r in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert rows[0].values[0] == 'ООО "Ромашка"'
    assert rows[0].values[8:] == (date(2023, 1, 10), 1250000.5)

    ods = open_sheet(DATA / "clients_ru.ods")
    assert ods.format == "ods"
    assert ods.headers[-3:] == ["Дата договора", "Сотрудников", "Удвоено"]
    rows = list(ods.rows())
    # three empty rows (one repeated row element) before the last client
    assert [r.number for r in rows] == [2, 3, 4, 5, 9]
    assert rows[0].values[8:] == (date(2023, 2, 10), 20, 40)  # 40: a formula's saved value
    assert rows[3].values[7] == "Невский пр-т, д. 28,\nофис 301"


def test_vcard_21_quoted_printable_and_charsets():
    sheet = open_sheet(DATA / "contacts_v21.vcf")
    assert sheet.format == "vcf" and sheet.total == 3
    assert sheet.headers[:9] == [
        "Full name",
        "Given name",
        "Family name",
        "Middle name",
        "Organization",
        "Title",
        "Phone 1",
        "Phone 2",
        "Phone 3",
    ]
    assert sheet.headers[9:] == [
        "Email 1",
        "Address",
        "City",
        "Region",
        "Postcode",
        "Country",
        "Birthday",
        "Note",
        "URL",
    ]
    petrov, kuznetsova, smith = sheet.rows()
    assert [petrov.number, kuznetsova.number, smith.number] == [1, 2, 3]
    p = by_header(sheet, petrov)
    assert p["Full name"] == "Иван Сергеевич Петров"  # UTF-8 QP with a soft line break
    assert (p["Family name"], p["Given name"], p["Middle name"]) == ("Петров", "Иван", "Сергеевич")
    assert p["Organization"] == 'ООО "Ромашка"'  # windows-1251 QP
    assert p["Title"] == "Менеджер по закупкам"
    assert p["Phone 1"] == "+7 495 123-45-67" and p["Phone 2"] == "+79165550102"
    assert p["Birthday"] == "1980-03-15"
    assert p["Note"].startswith("Постоянный клиент с 2015 года.")
    assert p["Note"].endswith("звонить секретарю.")
    k = by_header(sheet, kuznetsova)  # 8-bit windows-1251 without QP
    assert k["Full name"] == "Мария Кузнецова"
    assert k["Organization"] == 'АО "Северсталь-Трейд"'
    assert (k["Address"], k["City"], k["Region"], k["Postcode"], k["Country"]) == (
        "ул. Мира, д. 30",
        "Череповец",
        "Вологодская обл.",
        "162600",
        "Россия",
    )
    s = by_header(sheet, smith)
    assert [s["Phone 1"], s["Phone 2"], s["Phone 3"]] == [
        "+1 (217) 555-0134",
        "+1 (217) 555-0100",
        "+1 (217) 555-0199",
    ]
    assert s["Address"] == "1 Main Street\r\nBuilding 4, Floor 2"
    assert "PHOTO" in (smith.raw or "") and "BEGIN:VCARD" in (kuznetsova.raw or "")
    assert "Мария Кузнецова" in (kuznetsova.raw or "")


def test_vcard_30_and_40():
    v30 = open_sheet(DATA / "contacts_v30.vcf")
    olga, wang, anna = (by_header(v30, r) for r in v30.rows())
    assert olga["Organization"] == 'ООО "Вектор; Плюс"'  # an escaped ";" in ORG
    assert olga["Email 1"] == "smirnova@vektor-plus.ru"  # a grouped (item1.) property
    assert olga["Address"] == "Невский пр-т, д. 28, офис 301"
    assert olga["Note"].startswith("Сдаёт отчётность до 20-го числа, звонить с утра.\nБух")
    assert "по пятницам после обеда." in olga["Note"]  # a folded line
    assert olga["URL"] == "https://vektor-plus.example.ru"
    assert (wang["Full name"], wang["City"], wang["Phone 2"]) == (
        "王伟",
        "北京",
        "+86 138 0013 8000",
    )
    assert (anna["Email 1"], anna["Email 2"]) == ("anna.schmidt@example.de", "anna.s@example.com")

    v40 = open_sheet(DATA / "contacts_v40.vcf")
    zhang, orlov, rossi = (by_header(v40, r) for r in v40.rows())
    assert zhang["Phone 1"] == "+86-20-8765-4321"  # tel: URIs lose their scheme
    assert zhang["Birthday"] == "--0415"
    assert orlov["Birthday"] == "1990-01-01"
    assert (rossi["Email 1"], rossi["Email 2"]) == ("m.rossi@example.it", "maria.rossi@example.com")


def test_ics_golden_file():
    items = {i.uid: i for i in read_calendar(DATA / "calendar.ics")}
    assert set(items) == {
        "meeting-1@example.com",
        "call-2@example.com",
        "trade-fair-3@example.com",
        "task-4@example.com",
        "task-5@example.com",
    }  # task-6 has no time at all
    meeting = items["meeting-1@example.com"]
    assert meeting.kind == "event"
    assert meeting.start == datetime(2024, 3, 15, 7, 0, tzinfo=UTC)  # 10:00 Moscow
    assert meeting.end == datetime(2024, 3, 15, 8, 30, tzinfo=UTC)
    assert meeting.description == "Обсудить договор поставки, сроки и скидки.\nВзять образцы."
    assert meeting.categories == ["Встреча", "Клиент"]
    assert items["call-2@example.com"].end == datetime(2024, 3, 18, 7, 30, tzinfo=UTC)
    assert items["trade-fair-3@example.com"].start == datetime(2024, 4, 1, tzinfo=UTC)
    done = items["task-5@example.com"]
    assert (done.kind, done.status) == ("todo", "COMPLETED")
    assert done.start == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    assert done.completed == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


# --- CSV reading -------------------------------------------------------------------


def test_csv_encodings_and_delimiters(tmp_path: Path):
    text = "Имя\tТелефон\nИван\t+7 495 123-45-67\n"
    for encoding, expected in (
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1251", "cp1251"),
    ):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        sheet = open_sheet(path)
        assert (sheet.encoding, sheet.delimiter) == (expected, "\t")
        assert sheet.headers == ["Имя", "Телефон"]
        assert [r.values for r in sheet.rows()] == [("Иван", "+7 495 123-45-67")]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    assert open_sheet(utf16).headers == ["Имя", "Телефон"]


def test_csv_delimiter_from_the_header_when_data_confuses_the_sniffer(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text('Name;City\n"Smith, John";"Berlin, Germany"\n"Doe, Jane";Paris\n')
    sheet = open_sheet(path)
    assert sheet.delimiter == ";"
    assert [r.values for r in sheet.rows()] == [
        ("Smith, John", "Berlin, Germany"),
        ("Doe, Jane", "Paris"),
    ]
    single = tmp_path / "single.csv"
    single.write_text("Name\nAcme\n")
    assert [r.values for r in open_sheet(single).rows()] == [("Acme",)]


def test_csv_given_encoding_and_delimiter(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_bytes("a|b\nх|у\n".encode("cp1251"))
    sheet = open_sheet(path, encoding="cp1251", delimiter="|")
    assert [r.values for r in sheet.rows()] == [("х", "у")]
    assert "not valid utf-8 text (byte 4" in refused(path, encoding="utf-8")
    assert "Unknown encoding" in refused(path, encoding="klingon")


def test_csv_rows_keep_their_line_numbers_and_padding(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text(
        "\n\nName,Note,Phone\n"  # the header is the first non-empty line (3)
        'Acme,"two\nlines",1\n'  # 4-5
        ",,\n"  # 6: empty, skipped
        "Beta\n"  # 7: short, padded
        "Gamma,x,2,,\n"  # 8: empty extra cells are fine
        "Delta,x,3,surplus\n"  # 9: a value beyond the header is a problem
    )
    sheet = open_sheet(path)
    rows = list(sheet.rows())
    assert [r.number for r in rows] == [4, 7, 8, 9]
    assert rows[0].values == ("Acme", "two\nlines", "1")
    assert rows[1].values == ("Beta", None, None)
    assert rows[2].values == ("Gamma", "x", "2") and rows[2].problems == ()
    assert rows[3].problems == ("the row has 4 values but the header row has 3 columns",)
    assert rows[3].problem_columns == (None,)
    assert sheet.total is not None and sheet.total >= 4
    assert [r.values for r in sheet.rows()] == [r.values for r in rows]  # re-iterable


def test_csv_formula_guard_is_taken_off(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("Name,Phone\n'=HYPERLINK(\"x\"),'+7 495 123-45-67\n''quoted,plain\n")
    assert [r.values for r in open_sheet(path).rows()] == [
        ('=HYPERLINK("x")', "+7 495 123-45-67"),
        ("'quoted", "plain"),
    ]


def test_csv_huge_cell_and_control_characters_reject_the_row_not_the_file(tmp_path: Path):
    path = tmp_path / "c.csv"
    huge = "x" * (MAX_CELL_CHARS + 10)
    path.write_text(
        f"Name,Note\nfirst,ok\nsecond,{huge}\nthird,bell\x07\nfourth,nul\x00\nfifth,ok\n"
    )
    rows = list(open_sheet(path).rows())
    assert [r.number for r in rows] == [2, 3, 4, 5, 6]
    assert rows[0].problems == () and rows[4].problems == ()
    assert rows[1].problems == ("column “Note” is larger than 10 MB",)
    assert rows[1].problem_columns == (1,)
    assert rows[2].problems == ("column “Note” holds the control character U+0007",)
    assert rows[3].problems == ("column “Note” holds the control character U+0000",)


def test_csv_too_many_columns_rejects_the_row(tmp_path: Path):
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n1,2\n" + ",".join(["v"] * (MAX_COLUMNS + 1)) + "\n3,4\n")
    rows = list(open_sheet(path).rows())
    assert [r.problems for r in rows] == [
        (),
        (f"the row has {MAX_COLUMNS + 1} columns, more than {MAX_COLUMNS} can be read",),
        (),
    ]


def test_csv_refusals(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert refused(empty) == "empty.csv is empty."
    blank = tmp_path / "blank.csv"
    blank.write_text("\n \n;;\n")
    assert "has no header row" in refused(blank)
    workbook = make_xlsx(tmp_path / "wb.xlsx", [["a"]])
    renamed = tmp_path / "clients.csv"
    renamed.write_bytes(workbook.read_bytes())
    assert "is an Excel or OpenDocument workbook, not CSV text" in refused(renamed)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x98\x98,1\n")  # 0x98 is not Windows-1251 either
    assert "neither UTF-8 nor Windows-1251" in refused(bad)
    assert "cannot be imported" in refused(tmp_path / "notes.docx")
    assert "does not exist" in refused(tmp_path / "missing.csv")


# --- workbooks ---------------------------------------------------------------------


def test_xlsx_values_positions_and_headers(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws["C3"], ws["D3"], ws["F3"], ws["G3"] = "Name", "When", "Name", "Time"
    ws["C4"], ws["D4"], ws["E4"], ws["G4"] = "Acme", datetime(2024, 1, 2, 10, 30), 3.0, time(9, 15)
    ws["C6"], ws["D6"], ws["E6"], ws["F6"] = "Beta", date(2024, 5, 6), 2.5, True
    ws["G6"] = timedelta(hours=30, minutes=5)
    ws["C7"] = "   "  # only blanks: an empty row
    wb.save(tmp_path / "pos.xlsx")
    sheet = open_sheet(tmp_path / "pos.xlsx")
    assert sheet.headers == ["Name", "When", "Column 5", "Name (2)", "Time"]
    rows = list(sheet.rows())
    assert [r.number for r in rows] == [4, 6]
    assert rows[0].values == ("Acme", datetime(2024, 1, 2, 10, 30), 3, None, time(9, 15))
    assert type(rows[0].values[2]) is int
    assert rows[1].values == ("Beta", date(2024, 5, 6), 2.5, True, "30:05:00")


def test_xlsx_with_a_stale_dimension_is_read_whole(tmp_path: Path):
    base = make_xlsx(tmp_path / "base.xlsx", [["n", "v"], *[[f"n{i}", i] for i in range(2, 101)]])

    def stale(data: bytes) -> bytes:
        head, rest = data.split(b"<dimension ref=", 1)
        return head + b'<dimension ref="A1:B2"' + rest.split(b'"', 2)[2]

    path = patch_zip(base, tmp_path / "stale.xlsx", "xl/worksheets/sheet1.xml", stale)
    assert b'<dimension ref="A1:B2"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rows = list(open_sheet(path).rows())
    assert len(rows) == 99 and rows[-1].number == 100 and rows[-1].values == ("n100", 100)


def _with_cells(tmp_path: Path, cells: dict[str, bytes]) -> Path:
    """An xlsx whose cells are replaced by hand-written XML (openpyxl cannot write them)."""
    base = make_xlsx(
        tmp_path / "base.xlsx",
        [["Name", "Value", "Note"], *[[f"r{i}", i, "x"] for i in range(2, 9)]],
    )

    def change(data: bytes) -> bytes:
        for ref, xml in cells.items():
            start = data.index(f'<c r="{ref}"'.encode())
            end = data.index(b"</c>", start) + 4
            data = data[:start] + xml + data[end:]
        return data

    return patch_zip(base, tmp_path / "cells.xlsx", "xl/worksheets/sheet1.xml", change)


def test_xlsx_formulas_use_the_saved_value_or_reject_the_row(tmp_path: Path):
    path = _with_cells(
        tmp_path,
        {
            "B2": b'<c r="B2"><f>1+1</f><v>2</v></c>',
            "B3": b'<c r="B3"><f>1+1</f></c>',
            "B4": b'<c r="B4" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            "C5": b'<c r="C5" t="e"><v>#N/A</v></c>',
            "B6": b'<c r="B6" t="str"><f>IF(1,"","x")</f><v></v></c>',
            "B7": b'<c r="B7" t="str"><f>A7&amp;"!"</f><v>r7!</v></c>',
            "B8": b'<x:c r="B8" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<x:f>2+3</x:f></x:c>",
        },
    )
    rows = {r.number: r for r in open_sheet(path).rows()}
    assert rows[2].values == ("r2", 2, "x") and rows[2].problems == ()
    assert rows[3].values[1] is None
    assert rows[3].problems == (
        "cell B3 holds a formula with no saved value; open and save the file in Excel,"
        " or paste values",
    )
    assert rows[3].problem_columns == (1,)
    assert rows[4].problems == ("cell B4 holds the error #DIV/0!",)
    assert rows[5].problems == ("cell C5 holds the error #N/A",)
    assert rows[5].problem_columns == (2,)
    assert rows[6].problems == ()  # a formula whose saved value is the empty text
    assert rows[7].values[1] == "r7!" and rows[7].problems == ()
    assert rows[8].problems[0].startswith("cell B8 holds a formula with no saved value")


def test_xlsx_cells_without_references_are_found_by_parsing(tmp_path: Path):
    base = make_xlsx(tmp_path / "base.xlsx", [["Name", "Value"], ["a", 1], ["b", 2], ["c", 3]])

    def change(data: bytes) -> bytes:
        data = data.replace(b'<c r="B3" t="n"><v>2</v></c>', b"<c><f>1+1</f></c>")
        return data.replace(b'<c r="A3" ', b"<c ")

    path = patch_zip(base, tmp_path / "noref.xlsx", "xl/worksheets/sheet1.xml", change)
    assert b"<c><f>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rows = {r.number: r for r in open_sheet(path).rows()}
    assert rows[3].problems[0].startswith("cell B3 holds a formula with no saved value")
    assert rows[2].problems == () and rows[4].problems == ()


def test_xlsx_formula_scan_is_the_same_in_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from termcrm.exchange import sources

    rows = [["Name", "Value", "Double"]]
    rows += [[f"r{i}", i, f"=B{i}*2" if i % 7 == 0 else i * 2] for i in range(2, 300)]
    path = make_xlsx(tmp_path / "many.xlsx", rows)
    whole = {r.number: r.problems for r in open_sheet(path).rows() if r.problems}
    assert sorted(whole) == [i for i in range(2, 300) if i % 7 == 0]
    monkeypatch.setattr(sources, "_CHUNK", 97)
    assert {r.number: r.problems for r in open_sheet(path).rows() if r.problems} == whole


def test_xlsx_validation_and_conditional_formulas_are_not_cell_formulas(tmp_path: Path):
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.append(["Status", "Amount"])
    ws.append(["open", 5])
    ws.append(["done", 7])
    validation = DataValidation(type="list", formula1='"open,done"')
    ws.add_data_validation(validation)
    validation.add("A2:A100")
    ws.conditional_formatting.add("B2:B100", FormulaRule(formula=["B2>6"]))
    wb.save(tmp_path / "rules.xlsx")
    xml = zipfile.ZipFile(tmp_path / "rules.xlsx").read("xl/worksheets/sheet1.xml")
    assert b"<formula1>" in xml and b"<formula>" in xml
    assert [(r.values, r.problems) for r in open_sheet(tmp_path / "rules.xlsx").rows()] == [
        (("open", 5), ()),
        (("done", 7), ()),
    ]


def test_xlsx_formulas_written_by_openpyxl_have_no_value(tmp_path: Path):
    path = make_xlsx(tmp_path / "f.xlsx", [["a", "b"], [1, "=A2*2"], [2, 4]])
    rows = list(open_sheet(path).rows())
    assert rows[0].problems[0].startswith("cell B2 holds a formula with no saved value")
    assert rows[1].problems == ()


def test_xlsx_row_of_only_errors_is_not_skipped(tmp_path: Path):
    path = _with_cells(
        tmp_path,
        {
            "A3": b'<c r="A3" t="e"><v>#REF!</v></c>',
            "B3": b'<c r="B3" t="e"><v>#REF!</v></c>',
            "C3": b'<c r="C3" t="e"><v>#REF!</v></c>',
        },
    )
    rows = {r.number: r for r in open_sheet(path).rows()}
    assert rows[3].values == (None, None, None) and len(rows[3].problems) == 3


def test_xlsx_control_characters_huge_cells_and_bad_dates(tmp_path: Path):
    path = _with_cells(
        tmp_path,
        {
            "C3": b'<c r="C3" t="inlineStr"><is><t>bell_x0007_</t></is></c>',
            "C4": b'<c r="C4" s="0"><v>2958466</v></c>',  # a serial past 9999-12-31
        },
    )
    rows = {r.number: r for r in open_sheet(path).rows()}
    assert rows[3].problems == ("cell C3 holds the control character U+0007",)
    assert rows[4].values[2] == 2958466 and rows[4].problems == ()

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Note"])
    ws.append(["big", "y" * 32767])
    ws.append(["fine", "z"])
    wb.save(tmp_path / "big.xlsx")
    assert [r.problems for r in open_sheet(tmp_path / "big.xlsx").rows()] == [(), ()]


def test_xlsx_too_many_columns(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Name", "Phone"
    ws["A2"], ws["B2"] = "Acme", "1"
    ws["A3"] = "Wide"
    ws.cell(row=3, column=16384, value="far away")
    wb.save(tmp_path / "wide.xlsx")
    sheet = open_sheet(tmp_path / "wide.xlsx")
    assert len(sheet.headers) == MAX_COLUMNS
    rows = list(sheet.rows())
    assert rows[0].problems == ()
    assert rows[1].problems == ("the row has values beyond column XFC, more than can be read",)
    assert len(rows[1].values) == MAX_COLUMNS


def test_workbook_sheet_choice(tmp_path: Path):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "Hidden"
    hidden.append(["secret"])
    hidden.sheet_state = "hidden"
    data = wb.create_sheet("Clients")
    data.append(["Name"])
    data.append(["Acme"])
    wb.save(tmp_path / "s.xlsx")
    assert open_sheet(tmp_path / "s.xlsx").sheet_name == "Clients"  # the first visible one
    assert open_sheet(tmp_path / "s.xlsx", sheet="clients ").sheet_name == "Clients"
    assert open_sheet(tmp_path / "s.xlsx", sheet=0).sheet_name == "Hidden"
    assert refused(tmp_path / "s.xlsx", sheet="Deals") == (
        "s.xlsx has no sheet “Deals”; its sheets are: “Hidden”, “Clients”."
    )
    assert "no sheet #3" in refused(tmp_path / "s.xlsx", sheet=2)


def test_workbook_refusals(tmp_path: Path):
    empty = tmp_path / "e.xlsx"
    Workbook().save(empty)
    assert "has no header row: the sheet “Sheet” is empty" in refused(empty)
    text = tmp_path / "t.xlsx"
    text.write_text("Name,Phone\nAcme,1\n")
    assert "it looks like text: if it is CSV, rename it to .csv" in refused(text)
    html = tmp_path / "export.xls"
    html.write_text("<html><table><tr><td>Name</td></tr></table></html>")
    assert "looks like a web page or XML" in refused(html)
    damaged = tmp_path / "d.xlsx"
    damaged.write_bytes(make_xlsx(tmp_path / "ok.xlsx", [["a"]]).read_bytes()[:300])
    assert "d.xlsx" in refused(damaged)
    archive = tmp_path / "a.ods"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "is a ZIP archive but not a spreadsheet" in refused(archive)


def test_a_workbook_with_the_wrong_extension_is_read_for_what_it_is(tmp_path: Path):
    xlsx = make_xlsx(tmp_path / "real.xlsx", [["Name"], ["Acme"]])
    renamed = tmp_path / "clients.xls"
    renamed.write_bytes(xlsx.read_bytes())
    sheet = open_sheet(renamed)
    assert sheet.format == "xlsx" and [r.values for r in sheet.rows()] == [("Acme",)]
    as_ods = tmp_path / "clients.ods"
    as_ods.write_bytes((DATA / "clients_ru.xls").read_bytes())
    assert open_sheet(as_ods).format == "xls"


# --- safety ------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_billion_laughs_is_refused(tmp_path: Path, member: str):
    base = make_xlsx(tmp_path / "base.xlsx", [["lol"], ["x"]])

    def bomb(data: bytes) -> bytes:
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return BILLION_LAUGHS + body.replace(b">lol<", b">&lol9;<")

    path = patch_zip(base, tmp_path / "lol.xlsx", member, bomb)
    message = refused(path)
    assert message == (
        f"lol.xlsx is refused: its part {member} declares XML entities or external"
        " references (a possible XML bomb), which no spreadsheet program writes."
    )
    if member == "xl/worksheets/sheet1.xml":
        # without the check, calamine itself does not expand the entities: it fails
        with pytest.raises(Exception, match="entity"):
            CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        # and openpyxl (with defusedxml installed) refuses too
        with pytest.raises(Exception):  # noqa: B017 - openpyxl wraps the defusedxml error
            openpyxl.load_workbook(path)


def test_external_entity_is_refused(tmp_path: Path):
    base = make_xlsx(tmp_path / "base.xlsx", [["a"], ["x"]])
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'

    def change(data: bytes) -> bytes:
        return xxe + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)

    path = patch_zip(base, tmp_path / "xxe.xlsx", "xl/worksheets/sheet1.xml", change)
    assert "a possible XML bomb" in refused(path)


def test_zip_bomb_by_ratio_is_refused(tmp_path: Path):
    base = make_xlsx(tmp_path / "base.xlsx", [["a"], ["x"]])
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(base.read_bytes())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (11 * 1024 * 1024))
    message = refused(path)
    assert message.startswith(
        "bomb.xlsx is refused as a possible zip bomb: its part xl/media/padding.bin would"
        " unpack to 11.0 MB,"
    )
    assert message.endswith("times its packed size.")


class _FakeArchive:
    def __init__(self, sizes: list[tuple[int, int]]) -> None:
        self.members = []
        for index, (size, packed) in enumerate(sizes):
            info = zipfile.ZipInfo(f"part{index}.xml")
            info.file_size, info.compress_size = size, packed
            self.members.append(info)

    def infolist(self) -> list[zipfile.ZipInfo]:
        return self.members


def test_zip_bomb_by_total_size_is_refused():
    # ratio 100 each (allowed), 1.5 GiB in all (refused)
    parts = [(300 * 1024**2, 3 * 1024**2)] * 5
    with pytest.raises(FileRefused) as caught:
        safety.check_zip(Path("big.ods"), _FakeArchive(parts))  # type: ignore[arg-type]
    assert str(caught.value) == (
        "big.ods is refused as a possible zip bomb: it would unpack to 1.5 GiB, more than 1 GiB."
    )
    safety.check_zip(Path("fine.ods"), _FakeArchive([(50 * 1024**2, 5 * 1024**2)]))  # type: ignore[arg-type]


# --- writing: xlsx, csv, json ------------------------------------------------------

COLUMNS = [
    Column("Name"),
    Column("Amount", "money"),
    Column("Met", "datetime"),
    Column("Birthday", "date"),
    Column("Deals", "int"),
    Column("VIP", "bool"),
    Column("Score", "number"),
]
ROWS: list[list[Any]] = [
    [
        '=HYPERLINK("http://evil")',
        Decimal("1234.50"),
        datetime(2024, 1, 2, 7, 30, tzinfo=UTC),
        date(1980, 3, 15),
        3,
        True,
        0.25,
    ],
    ["#N/A", 12.5, datetime(2024, 6, 30, 21, 0, tzinfo=UTC), None, None, False, None],
    ["+7 495 123-45-67", None, None, datetime(2024, 2, 1, 23, 0, tzinfo=UTC), 0, None, 1e20],
    ["Смирнова\r\nОльга_x000D_", 7, None, None, None, None, None],
    ["@SUM(A1)", None, None, None, None, None, None],
    ["'already quoted", None, None, None, None, None, None],
]


def _write(fmt: str, path: Path | None, rows: list[list[Any]] = ROWS, **kwargs: Any) -> None:
    writer = open_writer(fmt, path, COLUMNS, tz=MSK, **kwargs)
    for row in rows:
        writer.write(row)
    writer.close()


def test_xlsx_export_reads_back_with_openpyxl(tmp_path: Path):
    path = tmp_path / "out.xlsx"
    _write("xlsx", path, title="Клиенты: все")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.title == "Клиенты  все"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G7"
    assert ws.column_dimensions["A"].width == 20 and ws.column_dimensions["C"].width == 17
    header = ws[1]
    assert [c.value for c in header] == [c.title for c in COLUMNS]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("DDEBF7") for c in header)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    name = ws["A2"]
    assert (name.value, name.data_type, name.quotePrefix) == (
        '=HYPERLINK("http://evil")',
        "s",
        True,
    )
    assert (ws["A3"].value, ws["A3"].data_type) == ("#N/A", "s")
    assert ws["A4"].quotePrefix and ws["A6"].quotePrefix and not ws["A7"].quotePrefix
    assert (ws["B2"].value, ws["B2"].number_format) == (1234.5, "#,##0.00")
    assert ws["B3"].number_format == "#,##0.00"
    met = ws["C2"]
    assert (met.value, met.number_format) == (datetime(2024, 1, 2, 10, 30), "yyyy-mm-dd hh:mm")
    assert ws["C3"].value == datetime(2024, 7, 1, 0, 0)  # the next day in Moscow
    assert (ws["D2"].value, ws["D2"].number_format) == (datetime(1980, 3, 15), "yyyy-mm-dd")
    assert ws["D4"].value == datetime(2024, 2, 2)  # a datetime in a date column: its day
    assert (ws["E2"].value, ws["F2"].value, ws["G2"].value) == (3, True, 0.25)
    assert ws["E4"].value == 0


def test_xlsx_export_reads_back_with_calamine_as_written(tmp_path: Path):
    path = tmp_path / "out.xlsx"
    _write("xlsx", path)
    sheet = open_sheet(path)
    assert sheet.headers == [c.title for c in COLUMNS]
    rows = list(sheet.rows())
    assert [r.values[0] for r in rows] == [r[0] for r in ROWS]  # CR and _x000D_ exact
    assert rows[0].values[1:] == (
        1234.5,
        datetime(2024, 1, 2, 10, 30),
        date(1980, 3, 15),
        3,
        True,
        0.25,
    )
    assert rows[2].values[6] == 1e20


def test_csv_export(tmp_path: Path):
    path = tmp_path / "out.csv"
    _write("csv", path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == [c.title for c in COLUMNS]
    assert lines[1] == [
        '\'=HYPERLINK("http://evil")',
        "1234.50",
        "2024-01-02 10:30:00",
        "1980-03-15",
        "3",
        "true",
        "0.25",
    ]
    assert lines[3][0] == "'+7 495 123-45-67" and lines[3][3] == "2024-02-02"
    assert lines[3][6] == "1e+20"
    assert lines[5][0] == "'@SUM(A1)" and lines[6][0] == "''already quoted"
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
    sheet = open_sheet(path)
    assert [r.values[0] for r in sheet.rows()] == [r[0] for r in ROWS]


def test_json_export(tmp_path: Path):
    path = tmp_path / "out.json"
    _write("json", path)
    records = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    assert len(records) == len(ROWS)
    assert records[0] == {
        "Name": '=HYPERLINK("http://evil")',
        "Amount": Decimal("1234.50"),
        "Met": "2024-01-02T10:30:00+03:00",
        "Birthday": "1980-03-15",
        "Deals": 3,
        "VIP": True,
        "Score": Decimal("0.25"),
    }
    assert records[3]["Name"] == "Смирнова\r\nОльга_x000D_"
    empty = tmp_path / "empty.json"
    _write("json", empty, rows=[])
    assert json.loads(empty.read_text()) == []


def test_writers_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]):
    _write("csv", None, rows=ROWS[:1])
    out = capsysbinary.readouterr().out
    assert out.startswith(b"Name,Amount")  # no BOM in a pipe
    _write("json", None, rows=ROWS[:1])
    assert json.loads(capsysbinary.readouterr().out)[0]["Deals"] == 3
    _write("xlsx", None, rows=ROWS[:1])
    assert capsysbinary.readouterr().out.startswith(b"PK\x03\x04")


def test_xlsx_is_not_written_to_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    with pytest.raises(FileRefused, match="binary and cannot be shown in a terminal"):
        open_writer("xlsx", None, COLUMNS)


def test_unknown_format_is_refused(tmp_path: Path):
    with pytest.raises(FileRefused, match="Unknown table format pdf; use one of: xlsx, csv, json"):
        open_writer("pdf", tmp_path / "x.pdf", COLUMNS)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_a_file_appears_only_when_closed_and_abort_leaves_nothing(tmp_path: Path, fmt: str):
    path = tmp_path / f"out.{fmt}"
    writer = open_writer(fmt, path, COLUMNS)
    writer.write(ROWS[0])
    assert not path.exists()
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    path.write_text("old")
    writer = open_writer(fmt, path, COLUMNS)
    writer.write(ROWS[0])
    assert path.read_text() == "old"  # the old file stays whole until the new one is done
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert path.stat().st_mode & 0o077 == 0  # personal data: the owner's only


def test_an_unwritable_place_is_refused(tmp_path: Path):
    with pytest.raises(FileRefused, match="cannot be written: No such file or directory"):
        open_writer("csv", tmp_path / "no" / "such" / "out.csv", COLUMNS)


def test_writer_as_a_context_manager_aborts_on_error(tmp_path: Path):
    path = tmp_path / "out.csv"
    with (
        pytest.raises(RuntimeError),
        open_writer("csv", path, COLUMNS) as writer,  # type: ignore[attr-defined]
    ):
        writer.write(ROWS[0])
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


# --- rejects -----------------------------------------------------------------------


def test_rejects_of_a_windows_1251_csv_keep_its_encoding_and_delimiter(tmp_path: Path):
    sheet = open_sheet(DATA / "clients_ru_cp1251.csv")
    rows = list(sheet.rows())
    rejects = [(rows[1], "ИНН не прошёл проверку"), (rows[3], "нет телефона; 电话")]
    out = write_rejects(sheet, rejects, tmp_path / "rejects.csv")
    assert out == tmp_path / "rejects.csv"
    again = open_sheet(out)
    assert (again.encoding, again.delimiter) == ("cp1251", ";")
    assert again.headers == [*sheet.headers, "Source row", "Reject reason"]
    back = list(again.rows())
    assert [r.values[:-2] for r in back] == [rows[1].values, rows[3].values]
    assert [r.values[-2:] for r in back] == [
        ("3", "ИНН не прошёл проверку"),
        ("6", "нет телефона; ??"),  # what Windows-1251 cannot hold
    ]
    # the rejects of a rejects file do not grow two more columns
    twice = write_rejects(again, [(back[0], "still wrong")], tmp_path / "twice.csv")
    again2 = open_sheet(twice)
    assert again2.headers == again.headers
    assert [r.values[-2:] for r in again2.rows()] == [("2", "still wrong")]


def test_rejects_of_workbooks_are_xlsx(tmp_path: Path):
    for name in ("clients_ru.xls", "clients_ru.ods", "clients_zh.xlsx"):
        sheet = open_sheet(DATA / name)
        first = next(iter(sheet.rows()))
        out = write_rejects(sheet, [(first, "bad =reason")], tmp_path / f"{name}.rejects.csv")
        assert out.suffix == ".xlsx"
        back = list(open_sheet(out).rows())
        assert back[0].values == (*first.values, first.number, "bad =reason")
        ws = openpyxl.load_workbook(out).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_rejects_of_vcards_are_cards_with_the_reason(tmp_path: Path):
    sheet = open_sheet(DATA / "contacts_v21.vcf")
    _petrov, kuznetsova, smith = sheet.rows()
    out = write_rejects(
        sheet, [(kuznetsova, "no phone, really;\nsee notes"), (smith, "bad")], tmp_path / "r"
    )
    assert out == tmp_path / "r.vcf"
    text = out.read_bytes().decode("utf-8")
    assert text.count("BEGIN:VCARD") == 2
    assert "X-TERMCRM-REJECTED:no phone\\, really\\;\\nsee notes\r\n" in text
    again = open_sheet(out)
    back = list(again.rows())
    assert [r.values for r in back] == [kuznetsova.values, smith.values]
    # rejected again: the old reason is replaced, not repeated
    out2 = write_rejects(again, [(back[0], "second")], tmp_path / "r2.vcf")
    text2 = out2.read_bytes().decode("utf-8")
    assert text2.count("X-TERMCRM-REJECTED") == 1 and "X-TERMCRM-REJECTED:second" in text2


# --- vCard writing and odd cards ---------------------------------------------------


def test_write_vcards_reads_back(tmp_path: Path):
    import vobject

    note = "Длинная заметка, с запятыми; точкой с запятой и\nпереводом строки. " * 3
    cards = [
        ContactCard(
            full_name="Иванов Иван Петрович",
            organization='ООО "Ромашка"; филиал',
            title="Директор",
            phones=["+7 495 123-45-67", "+7 916 555-01-02"],
            emails=["ivanov@romashka.ru"],
            birthday=date(1980, 3, 15),
            note=note,
            uid="termcrm-contact-12",
        ),
        ContactCard(full_name="王伟", emails=["wangwei@hualian-tech.cn"], uid="termcrm-contact-13"),
    ]
    path = tmp_path / "out.vcf"
    write_vcards(cards, path)
    data = path.read_bytes()
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = list(vobject.readComponents(data.decode("utf-8")))
    assert [c.fn.value for c in parsed] == ["Иванов Иван Петрович", "王伟"]
    assert parsed[0].uid.value == "termcrm-contact-12"
    assert parsed[0].note.value == note
    sheet = open_sheet(path)
    first = by_header(sheet, next(iter(sheet.rows())))
    assert first["Organization"] == 'ООО "Ромашка"; филиал'
    assert (first["Phone 1"], first["Phone 2"]) == ("+7 495 123-45-67", "+7 916 555-01-02")
    assert (first["Birthday"], first["Note"]) == ("1980-03-15", note.strip())


def test_fold_line_never_splits_a_character():
    line = "NOTE:" + "ж" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    assert all(len(p.encode()) <= 75 for p in parts)


def test_odd_vcards(tmp_path: Path):
    path = tmp_path / "odd.vcf"
    path.write_bytes(
        b"junk before\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=x-unknown;ENCODING=QUOTED-PRINTABLE:=E9t=E9\r\n"
        b"END:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bell\x07\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Short\r\n"
    )
    sheet = open_sheet(path)
    rows = list(sheet.rows())
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].values[0] == "Good One" and rows[0].problems == ()
    assert rows[1].values[0] == "йtй"  # an unknown charset: not UTF-8, so Windows-1251
    assert rows[2].problems == ("the card holds no name, phone or email",)
    assert rows[3].problems == ("field “Full name” holds the control character U+0007",)
    assert rows[4].problems == ("the card has no END:VCARD line",)
    assert rows[4].raw is not None and "Cut Short" in rows[4].raw
    nothing = tmp_path / "none.vcf"
    nothing.write_text("hello\n")
    assert "holds no vCard" in refused(nothing)


def test_utf16_vcard(tmp_path: Path):
    path = tmp_path / "outlook.vcf"
    path.write_bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ольга\r\nEND:VCARD\r\n".encode("utf-16"))
    assert [e.fields["Full name"] for e in read_vcards(path)] == [["Ольга"]]


# --- iCalendar writing -------------------------------------------------------------


def test_write_calendar_reads_back(tmp_path: Path):
    from icalendar import Calendar

    items = [
        CalendarItem(
            uid="termcrm-task-1",
            summary="Позвонить, уточнить; заказ",
            start=datetime(2024, 3, 20, 15, 0, tzinfo=MSK),
            description="Строка 1\nСтрока 2",
            categories=["call", "Клиент"],
            status="open",
        ),
        CalendarItem(
            uid="termcrm-task-2",
            summary="Done",
            start=datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
            status="done",
            completed=datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        ),
        CalendarItem(
            uid="termcrm-interaction-7",
            summary="Встреча",
            start=datetime(2024, 3, 15, 10, 0, tzinfo=MSK),
            end=datetime(2024, 3, 15, 11, 30, tzinfo=MSK),
            kind="event",
        ),
    ]
    path = tmp_path / "tasks.ics"
    write_calendar(items, path, name="Задачи")
    data = path.read_bytes()
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Задачи"
    assert b"DUE:20240320T120000Z" in data and b"STATUS:NEEDS-ACTION" in data
    back = list(read_calendar(path))
    assert [i.uid for i in back] == [i.uid for i in items]
    assert back[0].start == datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
    assert back[0].summary == items[0].summary and back[0].description == items[0].description
    assert back[0].categories == ["call", "Клиент"]
    assert (back[1].status, back[1].completed) == ("COMPLETED", items[1].completed)
    assert back[2].kind == "event" and back[2].end == datetime(2024, 3, 15, 8, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        write_calendar([CalendarItem("x", "x", datetime(2024, 1, 1))], tmp_path / "x.ics", name="x")
    assert not (tmp_path / "x.ics").exists()


def test_bad_ics_is_refused(tmp_path: Path):
    path = tmp_path / "bad.ics"
    path.write_text("this is not a calendar")
    with pytest.raises(FileRefused, match="is not a valid iCalendar file"):
        list(read_calendar(path))
