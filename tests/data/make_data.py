"""Make the golden input files of the import tests (run from the repository root):

    .venv/bin/python tests/data/make_data.py

Every file in this folder but README.md and this script is written by it, byte for byte the
same on every run (fixed dates, no random data). clients_ru.xls needs xlwt, which termcrm
does not depend on: without it the committed file is kept.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from termcrm.services.validation import inn_with_checksum

HERE = Path(__file__).resolve().parent
FIXED = (2024, 3, 1, 12, 0, 0)  # zip entry times, so binary outputs do not change


# --- data --------------------------------------------------------------------------

# (name, INN, city, phone, email, group, status, address)
RU_CLIENTS = [
    (
        'ООО "Ромашка"',
        inn_with_checksum("770708389"),
        "Москва",
        "+7 495 123-45-67",
        "info@romashka.ru",
        "Оптовики",
        "Активный",
        "г. Москва, ул. Тверская, д. 1",
    ),
    (
        'АО "Северсталь-Трейд"',
        inn_with_checksum("352800431"),
        "Череповец",
        "+7 8202 53-09-00",
        "sales@severtrade.ru",
        "Производство",
        "Активный",
        "ул. Мира, д. 30",
    ),
    (
        "ИП Иванов Иван Петрович",
        inn_with_checksum("5001007325"),
        "Балашиха",
        "+7 916 555-01-02",
        "ivanov.ip@mail.ru",
        "Розница",
        "Потенциальный",
        "",
    ),
    (
        'ООО "Вектор; Плюс"',
        inn_with_checksum("781001234"),
        "Санкт-Петербург",
        "+7 812 600-70-80",
        "office@vektor-plus.ru",
        "Оптовики",
        "Активный",
        "Невский пр-т, д. 28,\nофис 301",
    ),
    (
        'ЗАО "Уральские самоцветы"',
        inn_with_checksum("667102938"),
        "Екатеринбург",
        "+7 343 222-33-44",
        "mail@uralgems.ru",
        "Производство",
        "Спящий",
        "ул. Ленина, д. 5",
    ),
    (
        'ООО "Тайга-Лес"',
        inn_with_checksum("540612345"),
        "Новосибирск",
        "+7 383 210-10-10",
        "",
        "Розница",
        "Активный",
        "Красный пр-т, д. 77",
    ),
    (
        'ООО "Ёлки-Палки"',
        inn_with_checksum("231000111"),
        "Краснодар",
        "+7 861 255-00-11",
        "zakaz@yolki-palki.ru",
        "Оптовики",
        "Потенциальный",
        "ул. Северная, д. 324",
    ),
]
RU_HEADERS = ["Наименование", "ИНН", "Город", "Телефон", "Эл. почта", "Группа", "Статус", "Адрес"]

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(prefix: str) -> str:
    """Complete 17 characters into a valid Chinese unified social credit code (税号)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(prefix, USCC_WEIGHTS, strict=True))
    return prefix + USCC_CHARS[(31 - total % 31) % 31]


ZH_HEADERS = [
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
ZH_CLIENTS = [
    (
        "北京华联科技有限公司",
        "北京",
        "+86 10 6552 8899",
        "contact@hualian-tech.cn",
        uscc("91110105MA01ABCD1"),
        "王伟",
        "A",
        date(2021, 3, 15),
        12500000.5,
    ),
    (
        "上海东方贸易有限公司",
        "上海",
        "+86 21 6321 7788",
        "sales@dongfang-trade.cn",
        uscc("91310101MA1FP0XY2"),
        "李娜",
        "B",
        date(2022, 7, 1),
        8300000,
    ),
    (
        "广州南方电子有限公司",
        "广州",
        "+86 20 8765 4321",
        "info@nanfang-dz.com",
        uscc("91440101MA59ABC3X"),
        "张敏",
        "A",
        date(2020, 11, 20),
        23000000,
    ),
    (
        "深圳创新软件有限公司",
        "深圳",
        "+86 755 8666 1234",
        "hr@cxsoft.cn",
        uscc("91440300MA5DXY840"),
        "刘洋",
        "C",
        date(2023, 1, 9),
        950000.75,
    ),
    (
        "成都天府食品有限公司",
        "成都",
        "+86 28 8555 6677",
        "",
        uscc("91510100MA61QW5R8"),
        "陈静",
        "B",
        date(2019, 5, 30),
        4100000,
    ),
]


# --- CSV ---------------------------------------------------------------------------

GOOGLE_HEADERS = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "E-mail 2 - Type",
    "E-mail 2 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Address 1 - Type",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Yomi Name",
    "Organization 1 - Title",
    "Organization 1 - Department",
    "Organization 1 - Symbol",
    "Organization 1 - Location",
    "Organization 1 - Job Description",
    "Website 1 - Type",
    "Website 1 - Value",
]

GOOGLE_CONTACTS = [
    {
        "Name": "Иван Петров",
        "Given Name": "Иван",
        "Family Name": "Петров",
        "Birthday": "1980-03-15",
        "Notes": "Закупки, отвечает до 18:00",
        "Group Membership": "* myContacts ::: Клиенты",
        "E-mail 1 - Type": "* Work",
        "E-mail 1 - Value": "petrov@romashka.ru",
        "Phone 1 - Type": "Work",
        "Phone 1 - Value": "+7 495 123-45-67",
        "Phone 2 - Type": "Mobile",
        "Phone 2 - Value": "+7 916 555-01-02 ::: +7 903 111-22-33",
        "Address 1 - Type": "Work",
        "Address 1 - Formatted": "ул. Тверская, д. 1\nМосква\n125009\nРоссия",
        "Address 1 - Street": "ул. Тверская, д. 1",
        "Address 1 - City": "Москва",
        "Address 1 - Postal Code": "125009",
        "Address 1 - Country": "Россия",
        "Organization 1 - Name": 'ООО "Ромашка"',
        "Organization 1 - Title": "Менеджер по закупкам",
    },
    {
        "Name": "Anna Schmidt",
        "Given Name": "Anna",
        "Family Name": "Schmidt",
        "Group Membership": "* myContacts ::: Partners",
        "E-mail 1 - Type": "* Work",
        "E-mail 1 - Value": "anna.schmidt@example.de",
        "E-mail 2 - Type": "Home",
        "E-mail 2 - Value": "anna.s@example.com",
        "Phone 1 - Type": "Work",
        "Phone 1 - Value": "+49 30 12345678",
        "Organization 1 - Name": "Schmidt & Partner GmbH",
        "Organization 1 - Title": "CEO",
        "Website 1 - Type": "Work",
        "Website 1 - Value": "https://schmidt-partner.example.de",
    },
    {
        "Name": "王伟",
        "Given Name": "伟",
        "Family Name": "王",
        "Group Membership": "* myContacts",
        "E-mail 1 - Type": "* Work",
        "E-mail 1 - Value": "wangwei@hualian-tech.cn",
        "Phone 1 - Type": "Work",
        "Phone 1 - Value": "+86 10 6552 8899",
        "Organization 1 - Name": "北京华联科技有限公司",
        "Organization 1 - Title": "销售经理",
    },
    {
        "Name": "Ольга Смирнова",
        "Given Name": "Ольга",
        "Family Name": "Смирнова",
        "Additional Name": "Викторовна",
        "Birthday": "--07-04",
        "Group Membership": "* myContacts ::: Клиенты",
        "Phone 1 - Type": "Mobile",
        "Phone 1 - Value": "8 (812) 600-70-80",
        "Organization 1 - Name": 'ООО "Вектор; Плюс"',
        "Organization 1 - Title": "Главный бухгалтер",
    },
]

OUTLOOK_HEADERS = [
    "Title",
    "First Name",
    "Middle Name",
    "Last Name",
    "Suffix",
    "Company",
    "Department",
    "Job Title",
    "Business Street",
    "Business Street 2",
    "Business Street 3",
    "Business City",
    "Business State",
    "Business Postal Code",
    "Business Country/Region",
    "Home Street",
    "Home Street 2",
    "Home Street 3",
    "Home City",
    "Home State",
    "Home Postal Code",
    "Home Country/Region",
    "Other Street",
    "Other Street 2",
    "Other Street 3",
    "Other City",
    "Other State",
    "Other Postal Code",
    "Other Country/Region",
    "Assistant's Phone",
    "Business Fax",
    "Business Phone",
    "Business Phone 2",
    "Callback",
    "Car Phone",
    "Company Main Phone",
    "Home Fax",
    "Home Phone",
    "Home Phone 2",
    "ISDN",
    "Mobile Phone",
    "Other Fax",
    "Other Phone",
    "Pager",
    "Primary Phone",
    "Radio Phone",
    "TTY/TDD Phone",
    "Telex",
    "Account",
    "Anniversary",
    "Assistant's Name",
    "Billing Information",
    "Birthday",
    "Business Address PO Box",
    "Categories",
    "Children",
    "Directory Server",
    "E-mail Address",
    "E-mail Type",
    "E-mail Display Name",
    "E-mail 2 Address",
    "E-mail 2 Type",
    "E-mail 2 Display Name",
    "E-mail 3 Address",
    "E-mail 3 Type",
    "E-mail 3 Display Name",
    "Gender",
    "Government ID Number",
    "Hobby",
    "Home Address PO Box",
    "Initials",
    "Internet Free Busy",
    "Keywords",
    "Language",
    "Location",
    "Manager's Name",
    "Mileage",
    "Notes",
    "Office Location",
    "Organizational ID Number",
    "Other Address PO Box",
    "Priority",
    "Private",
    "Profession",
    "Referred By",
    "Sensitivity",
    "Spouse",
    "User 1",
    "User 2",
    "User 3",
    "User 4",
    "Web Page",
]
OUTLOOK_DEFAULTS = {
    "Anniversary": "0/0/00",
    "Birthday": "0/0/00",
    "Gender": "Unspecified",
    "Priority": "Normal",
    "Private": "False",
    "Sensitivity": "Normal",
}
OUTLOOK_CONTACTS = [
    {
        "First Name": "John",
        "Middle Name": "A.",
        "Last Name": "Smith",
        "Company": "Acme Corporation",
        "Job Title": "Purchasing Manager",
        "Business Street": "1 Main Street",
        "Business City": "Springfield",
        "Business State": "IL",
        "Business Postal Code": "62701",
        "Business Country/Region": "United States of America",
        "Business Phone": "+1 (217) 555-0134",
        "Mobile Phone": "+1 (217) 555-0199",
        "E-mail Address": "john.smith@acme.example.com",
        "E-mail Type": "SMTP",
        "E-mail Display Name": "John Smith (john.smith@acme.example.com)",
        "Birthday": "5/14/1979",
        "Categories": "Customers",
        "Notes": "Prefers email.\r\nCall after 10 am.",
    },
    {
        "First Name": "Мария",
        "Last Name": "Кузнецова",
        "Company": 'АО "Северсталь-Трейд"',
        "Job Title": "Директор по логистике",
        "Business City": "Череповец",
        "Business Phone": "+7 8202 53-09-00",
        "E-mail Address": "kuznetsova@severtrade.ru",
        "E-mail Type": "SMTP",
        "E-mail Display Name": "Мария Кузнецова",
        "Categories": "Клиенты;VIP",
    },
    {
        "First Name": "Li",
        "Last Name": "Na",
        "Company": "上海东方贸易有限公司",
        "Job Title": "Sales Director",
        "Business City": "上海",
        "Business Phone": "+86 21 6321 7788",
        "Mobile Phone": "+86 138 0013 8000",
        "E-mail Address": "lina@dongfang-trade.cn",
        "E-mail Type": "SMTP",
        "E-mail Display Name": "Li Na",
    },
]


def write_csv_files() -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(GOOGLE_HEADERS)
    for contact in GOOGLE_CONTACTS:
        writer.writerow([contact.get(h, "") for h in GOOGLE_HEADERS])
    (HERE / "google_contacts.csv").write_bytes(buf.getvalue().encode("utf-8"))

    # Outlook quotes every field; this one is saved as UTF-8 with a BOM
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(OUTLOOK_HEADERS)
    for contact in OUTLOOK_CONTACTS:
        row = {**OUTLOOK_DEFAULTS, **contact}
        writer.writerow([row.get(h, "") for h in OUTLOOK_HEADERS])
    (HERE / "outlook_contacts.csv").write_bytes(buf.getvalue().encode("utf-8-sig"))

    # Russian Excel: "CSV (разделители - запятые)" is Windows-1251 with ";"; a blank line and
    # an address with a line break inside quotes
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(RU_HEADERS)
    for index, client in enumerate(RU_CLIENTS):
        writer.writerow(client)
        if index == 2:
            buf.write("\r\n")
    (HERE / "clients_ru_cp1251.csv").write_bytes(buf.getvalue().encode("cp1251"))


# --- workbooks ---------------------------------------------------------------------


def _fix_zip_times(path: Path) -> None:
    """Rewrite a ZIP with fixed entry times, so a regenerated file is byte-identical."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-03-01T12:00:00Z", data
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def write_zh_xlsx() -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(ZH_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for client in ZH_CLIENTS:
        ws.append(list(client))
    for row in ws.iter_rows(min_row=2):
        row[7].number_format = "yyyy/m/d"
        row[8].number_format = "#,##0.00"
    notes = wb.create_sheet("说明")
    notes.append(["本表由销售部维护"])
    wb.properties.creator = "termcrm tests"
    wb.properties.created = wb.properties.modified = datetime(*FIXED)
    path = HERE / "clients_zh.xlsx"
    wb.save(path)
    _fix_zip_times(path)


def write_ru_xls() -> None:
    try:
        import xlwt  # type: ignore[import-not-found]
    except ImportError:
        print("xlwt is not installed: clients_ru.xls kept as it is")
        return
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Клиенты")
    date_style = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    headers = [*RU_HEADERS, "Дата договора", "Оборот"]
    for col, header in enumerate(headers):
        sheet.write(0, col, header)
    for row, client in enumerate(RU_CLIENTS, start=1):
        for col, value in enumerate(client):
            sheet.write(row, col, value)
        sheet.write(row, len(client), date(2023, row, 10), date_style)
        sheet.write(row, len(client) + 1, 1000000 + row * 250000.5)
    book.save(str(HERE / "clients_ru.xls"))


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Клиенты">
{rows}
</table:table>
</office:spreadsheet></office:body></office:document-content>
"""
ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def _ods_cell(value: object, formula: str | None = None) -> str:
    from xml.sax.saxutils import escape, quoteattr

    extra = f" table:formula={quoteattr(formula)}" if formula else ""
    if isinstance(value, date):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}"{extra}>'
            f"<text:p>{value:%d.%m.%Y}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}"{extra}>'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def write_ru_ods() -> None:
    """LibreOffice's layout: header, data, a run of empty rows, formula cells with values."""
    headers = [*RU_HEADERS, "Дата договора", "Сотрудников", "Удвоено"]
    rows = ["<table:table-row>" + "".join(_ods_cell(h) for h in headers) + "</table:table-row>"]
    for number, client in enumerate(RU_CLIENTS[:4], start=2):
        staff = 10 * number
        cells = [_ods_cell(v) if v else "<table:table-cell/>" for v in client]
        cells.append(_ods_cell(date(2023, number, 10)))
        cells.append(_ods_cell(staff))
        cells.append(_ods_cell(staff * 2, f"of:=[.J{number}]*2"))
        rows.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    rows.append(
        '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>'
    )
    last = RU_CLIENTS[4]
    rows.append("<table:table-row>" + "".join(_ods_cell(v) for v in last) + "</table:table-row>")
    path = HERE / "clients_ru.ods"
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("mimetype", date_time=FIXED)
        z.writestr(info, "application/vnd.oasis.opendocument.spreadsheet")
        for name, text in (
            ("content.xml", ODS_CONTENT.format(rows="\n".join(rows))),
            ("META-INF/manifest.xml", ODS_MANIFEST),
        ):
            info = zipfile.ZipInfo(name, date_time=FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)


# --- vCard -------------------------------------------------------------------------


def qp(text: str, charset: str) -> str:
    """Quoted-printable of text in charset, with 2.1 soft line breaks ("=" CRLF) under 76."""
    tokens = [
        chr(b) if (33 <= b <= 126 and b != 61) or b == 32 else f"={b:02X}"
        for b in text.encode(charset)
    ]
    lines, line = [], ""
    for token in tokens:
        if len(line) + len(token) > 74:
            lines.append(line + "=")
            line = ""
        line += token
    lines.append(line)
    return "\r\n".join(lines)


def write_vcards() -> None:
    photo = base64.b64encode(bytes(range(64)) * 2).decode("ascii")
    long_note = (
        "Постоянный клиент с 2015 года. Скидка 5% на опт, отгрузка по вторникам и четвергам. "
        "Перед визитом звонить секретарю."
    )
    v21 = [
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + qp("Петров;Иван;Сергеевич;;", "utf-8"),
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + qp("Иван Сергеевич Петров", "utf-8"),
        "ORG;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:" + qp('ООО "Ромашка"', "cp1251"),
        "TITLE;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:"
        + qp("Менеджер по закупкам", "cp1251"),
        "TEL;WORK;VOICE:+7 495 123-45-67",
        "TEL;CELL;PREF:+79165550102",
        "EMAIL;PREF;INTERNET:petrov@romashka.ru",
        "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + qp(long_note, "utf-8"),
        "BDAY:19800315",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;CHARSET=windows-1251:Кузнецова;Мария;;;",  # 8-bit Windows-1251, no QP
        "FN;CHARSET=windows-1251:Мария Кузнецова",
        'ORG;CHARSET=windows-1251:АО "Северсталь-Трейд";Логистика',
        "TEL;WORK:+7 8202 53-09-00",
        "EMAIL;INTERNET:kuznetsova@severtrade.ru",
        "ADR;WORK;CHARSET=windows-1251:;;ул. Мира, д. 30;Череповец;Вологодская обл.;162600;Россия",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:Smith;John;A.;Mr.;",
        "FN:John A. Smith",
        "ORG:Acme Corporation",
        "TEL;WORK;VOICE:+1 (217) 555-0134",
        "TEL;HOME:+1 (217) 555-0100",
        "TEL;CELL:+1 (217) 555-0199",
        "EMAIL;INTERNET:john.smith@acme.example.com",
        "ADR;WORK;ENCODING=QUOTED-PRINTABLE:"
        + qp(";;1 Main Street\r\nBuilding 4, Floor 2;Springfield;IL;62701;USA", "ascii"),
        "PHOTO;ENCODING=BASE64;TYPE=JPEG:",
        *(" " + photo[i : i + 64] for i in range(0, len(photo), 64)),
        "",
        "END:VCARD",
    ]
    # the 8-bit card is Windows-1251 on disk: encode line by line
    data = b""
    for line in v21:
        data += line.encode("cp1251" if "CHARSET=windows-1251:" in line else "ascii") + b"\r\n"
    (HERE / "contacts_v21.vcf").write_bytes(data)

    v30 = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//macOS 14.4//EN",
            "N:Смирнова;Ольга;Викторовна;;",
            "FN:Ольга Викторовна Смирнова",
            'ORG:ООО "Вектор\\; Плюс";Бухгалтерия',
            "TITLE:Главный бухгалтер",
            "item1.EMAIL;type=INTERNET;type=pref:smirnova@vektor-plus.ru",
            "item1.X-ABLabel:_$!<Work>!$_",
            "TEL;type=CELL;type=VOICE;type=pref:+7 (911) 700-80-90",
            "TEL;type=WORK;type=VOICE:+7 812 600-70-80",
            "ADR;type=WORK;type=pref:;;Невский пр-т\\, д. 28\\, офис 301;Санкт-Петербург;;191186;"
            "Россия",
            "NOTE:Сдаёт отчётность до 20-го числа\\, звонить с утра.\\nБухгалтерия: доб. 2"
            "15\\, 216. Предпочитает переписку по электронной почте и не любит звонки по пят",
            " ницам после обеда.",
            "BDAY:1985-07-20",
            "URL;type=WORK:https://vektor-plus.example.ru",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:王;伟;;;",
            "FN:王伟",
            "ORG:北京华联科技有限公司",
            "TITLE:销售经理",
            "TEL;TYPE=WORK,VOICE:+86 10 6552 8899",
            "TEL;TYPE=CELL:+86 138 0013 8000",
            "EMAIL;TYPE=INTERNET,WORK:wangwei@hualian-tech.cn",
            "ADR;TYPE=WORK:;;朝阳区建国路88号;北京;北京市;100022;中国",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Schmidt;Anna;;;",
            "FN:Anna Schmidt",
            "ORG:Schmidt & Partner GmbH",
            "EMAIL;TYPE=INTERNET:anna.schmidt@example.de",
            "EMAIL;TYPE=INTERNET,HOME:anna.s@example.com",
            "TEL;TYPE=WORK:+49 30 12345678",
            "END:VCARD",
            "",
        ]
    )
    (HERE / "contacts_v30.vcf").write_bytes(v30.encode("utf-8"))

    v40 = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:4.0",
            "KIND:individual",
            "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
            "FN:张敏",
            "N:张;敏;;;",
            "ORG:广州南方电子有限公司",
            "TITLE:采购主管",
            'TEL;VALUE=uri;TYPE="voice,work";PREF=1:tel:+86-20-8765-4321',
            "TEL;VALUE=uri;TYPE=cell:tel:+86-139-2222-3333",
            "EMAIL;TYPE=work;PREF=1:zhangmin@nanfang-dz.com",
            "ADR;TYPE=work;PREF=1:;;天河区天河路385号;广州;广东省;510620;中国",
            "BDAY:--0415",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:4.0",
            "FN:Алексей Орлов",
            "N:Орлов;Алексей;;;",
            'ORG:ЗАО "Уральские самоцветы"',
            "TEL;VALUE=uri;TYPE=work:tel:+7-343-222-33-44",
            "EMAIL:orlov@uralgems.ru",
            "BDAY:19900101",
            "NOTE:Встреча раз в квартал",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:4.0",
            "FN:Maria Rossi",
            "N:Rossi;Maria;;;",
            "EMAIL;PREF=1:m.rossi@example.it",
            "EMAIL:maria.rossi@example.com",
            "TEL;VALUE=uri:tel:+39-02-1234-5678",
            "END:VCARD",
            "",
        ]
    )
    (HERE / "contacts_v40.vcf").write_bytes(v40.encode("utf-8"))


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Client//EN
CALSCALE:GREGORIAN
BEGIN:VTIMEZONE
TZID:Europe/Moscow
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0300
TZOFFSETTO:+0300
TZNAME:MSK
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:meeting-1@example.com
DTSTAMP:20240301T090000Z
DTSTART;TZID=Europe/Moscow:20240315T100000
DTEND;TZID=Europe/Moscow:20240315T113000
SUMMARY:Встреча с ООО "Ромашка"
DESCRIPTION:Обсудить договор поставки\\, сроки и скидки.\\nВзять образцы.
CATEGORIES:Встреча,Клиент
STATUS:CONFIRMED
LOCATION:Москва\\, ул. Тверская\\, д. 1
END:VEVENT
BEGIN:VEVENT
UID:call-2@example.com
DTSTAMP:20240301T090000Z
DTSTART:20240318T070000Z
DURATION:PT30M
SUMMARY:Call John Smith (Acme)
CATEGORIES:Call
END:VEVENT
BEGIN:VEVENT
UID:trade-fair-3@example.com
DTSTAMP:20240301T090000Z
DTSTART;VALUE=DATE:20240401
DTEND;VALUE=DATE:20240404
SUMMARY:广州交易会
END:VEVENT
BEGIN:VTODO
UID:task-4@example.com
DTSTAMP:20240301T090000Z
DUE:20240320T120000Z
SUMMARY:Отправить коммерческое предложение
STATUS:NEEDS-ACTION
CATEGORIES:Письмо
END:VTODO
BEGIN:VTODO
UID:task-5@example.com
DTSTAMP:20240301T090000Z
DUE;TZID=Europe/Moscow:20240305T180000
SUMMARY:Позвонить Кузнецовой
STATUS:COMPLETED
COMPLETED:20240305T143000Z
END:VTODO
BEGIN:VTODO
UID:task-6@example.com
DTSTAMP:20240301T090000Z
SUMMARY:Someday: tidy the client list
END:VTODO
END:VCALENDAR
"""


def write_ics() -> None:
    (HERE / "calendar.ics").write_bytes(ICS.replace("\n", "\r\n").encode("utf-8"))


def main() -> None:
    write_csv_files()
    write_zh_xlsx()
    write_ru_xls()
    write_ru_ods()
    write_vcards()
    write_ics()


if __name__ == "__main__":
    main()
