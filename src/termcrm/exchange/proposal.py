"""A commercial proposal for a deal, as an Excel workbook.

One sheet, ready to print or to send: the seller's manager and the date, the client
and the contact person, the deal, then a table of the lines (No, SKU, product, unit,
quantity, price, discount, amount) and the total, in the deal's currency. Numbers are
real numbers with formats (the client's accountant can add them up), the amounts are
the services' own figures (not formulas, so a file viewer without a calculation
engine shows them too). The file is written to a temporary name and renamed: a
reader never sees half of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import contacts, deal_items
from termcrm.services.actor import Actor

FIRST_LINE_ROW = 9  # the table's header is on row 8 (see write_proposal)
COLUMNS = 8


@dataclass(frozen=True, slots=True)
class ProposalWritten:
    path: Path
    lines: int
    total: Decimal
    currency: str


def money_format(currency: str) -> str:
    return f'#,##0.00 "{currency}"'


def write_proposal(
    s: Session, actor: Actor, deal_id: int, out: Path, *, today: date | None = None
) -> ProposalWritten:
    """Write the proposal of ``deal_id`` to ``out`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from termcrm.exchange.output_file import OutputFile

    found = deal_items.items_of(s, actor, deal_id)
    deal = found.deal
    contact = contacts.get_contact(s, actor, deal.contact_id) if deal.contact_id else None
    when = today or date.today()
    money = money_format(deal.currency)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Proposal")[:31]
    bold = Font(bold=True)
    ws["A1"] = _("Commercial proposal No. {number}").format(number=deal.id)
    ws["A1"].font = Font(bold=True, size=14)
    heading: list[tuple[str, Any]] = [
        (_("Date"), when),
        (_("Client"), deal.client),
        (_("Contact person"), contact.full_name if contact else ""),
        (_("Deal"), deal.title),
        (_("Manager"), deal.owner),
    ]
    for row, (label, value) in enumerate(heading, start=2):
        ws.cell(row=row, column=1, value=label).font = bold
        cell = ws.cell(row=row, column=3, value=value)
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(horizontal="left")
    header = [
        _("No."),
        _("SKU"),
        _("Product"),
        _("Unit"),
        _("Quantity"),
        _("Price"),
        _("Discount, %"),
        _("Amount"),
    ]
    line = Side(style="thin")
    box = Border(top=line, bottom=line, left=line, right=line)
    for col, title in enumerate(header, start=1):
        cell = ws.cell(row=FIRST_LINE_ROW - 1, column=col, value=title)
        cell.font = bold
        cell.border = box
    row = FIRST_LINE_ROW
    for n, item in enumerate(found.items, start=1):
        values: list[Any] = [
            n,
            item.sku,
            item.name,
            item.unit,
            item.quantity,
            item.price,
            item.discount_pct,
            item.amount,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.border = box
            if col == 5:
                cell.number_format = "#,##0.###"
            elif col in (6, 8):
                cell.number_format = money
            elif col == 7:
                cell.number_format = "0.00"
        row += 1
    ws.cell(row=row, column=7, value=_("Total")).font = bold
    total = ws.cell(row=row, column=8, value=found.total)
    total.font = bold
    total.number_format = money
    for letter, width in zip("ABCDEFGH", (6, 14, 40, 8, 10, 16, 12, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.print_title_rows = f"{FIRST_LINE_ROW - 1}:{FIRST_LINE_ROW - 1}"

    output = OutputFile(out)
    try:
        wb.save(output.stream)
    except BaseException:
        output.discard()
        raise
    output.commit()
    return ProposalWritten(out, len(found.items), found.total, deal.currency)
