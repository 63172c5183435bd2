"""The pieces of the import wizard: the folder list, the field chooser, the words it shows.

- ``FolderList``: one folder's sub-folders and the files termcrm can import, with
  their size and date; Enter goes into a folder or picks a file.
- ``FieldChooser``: what one column of the file is imported as (a field, a custom
  field, or nothing).
- ``ReasonDialog``: one row's outcome in full (the reason can be long).
- the names of the fields, of how a column was mapped and of what happens to a row,
  in the interface language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from termcrm.i18n import N_, _, fmt_date, fmt_number
from termcrm.widgets.dialogs import Dialog
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.virtual_table import Column, VirtualTable

# what open_sheet reads
IMPORTABLE = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv", ".vcf")
SKIP = "-"

# the fields of the importer (exchange.fields), named as the interface names them
FIELD_NAMES = {
    "id": N_("Record ID"),
    "version": N_("Version"),
    "name": N_("Name"),
    "legal_name": N_("Legal name"),
    "tax_id": N_("Tax id"),
    "kind": N_("Kind"),
    "group": N_("Group"),
    "status": N_("Status"),
    "industry": N_("Industry"),
    "territory": N_("Territory"),
    "city": N_("City"),
    "address": N_("Address"),
    "legal_address": N_("Legal address"),
    "postcode": N_("Postcode"),
    "country": N_("Country"),
    "phones": N_("Phones"),
    "emails": N_("Emails"),
    "website": N_("Website"),
    "source": N_("Source"),
    "tags": N_("Tags"),
    "owner": N_("Owner"),
    "parent": N_("Parent client"),
    "bank_details": N_("Bank details"),
    "business_info": N_("Business information"),
    "full_name": N_("Full name"),
    "first_name": N_("First name"),
    "middle_name": N_("Middle name"),
    "last_name": N_("Last name"),
    "position": N_("Position"),
    "client": N_("Client"),
    "client_id": N_("Client ID"),
    "client_tax_id": N_("Client's tax id"),
    "birthday": N_("Birthday"),
    "notes": N_("Notes"),
    "character_notes": N_("Character"),
    "occurred_at": N_("When"),
    "time": N_("Time"),
    "direction": N_("Direction"),
    "contact": N_("Contact person"),
    "contact_position": N_("Contact's position"),
    "contact_id": N_("Contact ID"),
    "purpose": N_("Purpose"),
    "result": N_("Result"),
    "user": N_("Who"),
    "deal_id": N_("Deal ID"),
    "title": N_("Title"),
    "pipeline": N_("Pipeline"),
    "stage": N_("Stage"),
    "amount": N_("Amount"),
    "currency": N_("Currency"),
    "expected_close": N_("Expected close"),
    "competitor": N_("Competitor"),
    "lost_reason": N_("Lost reason"),
    "description": N_("Description"),
    "shipped_on": N_("Shipment date"),
    "product": N_("Product"),
    "product_sku": N_("Product SKU"),
    "product_group": N_("Product group"),
    "quantity": N_("Quantity"),
    "document": N_("Document"),
    "manager": N_("Manager"),
    "external_id": N_("External ID"),
    "paid_on": N_("Payment date"),
    "month": N_("Month"),
    "department": N_("Department"),
}
# ColumnMap.how
HOW_NAMES = {
    "auto": N_("recognised"),
    "user": N_("your choice"),
    "custom": N_("custom field"),
    "skipped": N_("skipped"),
    "unknown": N_("unknown"),
    "repeated": N_("repeated"),
}
# RowOutcome.action
ACTION_NAMES = {
    "create": N_("new"),
    "update": N_("update"),
    "unchanged": N_("unchanged"),
    "skip": N_("skipped"),
    "reject": N_("rejected"),
    "conflict": N_("conflict"),
}
ENTITY_NAMES = {
    "clients": N_("Clients"),
    "contacts": N_("Contact persons"),
    "interactions": N_("Journal entries"),
    "deals": N_("Deals"),
    "shipments": N_("Shipments"),
    "payments": N_("Payments"),
    "plans": N_("Sales plans"),
}
DUPLICATE_NAMES = {
    "skip": N_("skip them"),
    "update": N_("update the record"),
    "fill-empty": N_("fill its empty fields"),
    "create": N_("create anyway"),
}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1251": "Windows-1251"}
FORMAT_NAMES = {
    "xlsx": "Excel",
    "xls": "Excel 97-2003",
    "ods": "OpenDocument",
    "csv": "CSV",
    "vcf": "vCard",
}


def field_name(key: str | None, choices: Sequence[tuple[str, str]] = ()) -> str:
    """A field as the wizard shows it; a custom field by its label."""
    if key is None:
        return "—"
    if key in FIELD_NAMES:
        return _(FIELD_NAMES[key])
    label = dict(choices).get(key)
    if key.startswith("custom."):
        return label or key.removeprefix("custom.")
    return label or key


def size_text(size: int) -> str:
    """1,234 B, 12 KB, 3.4 MB."""
    if size < 1024:
        return _("{n} B").format(n=fmt_number(size))
    if size < 1024 * 1024:
        return _("{n} KB").format(n=fmt_number(round(size / 1024)))
    return _("{n} MB").format(n=fmt_number(round(size / 1024 / 1024, 1)))


# -- the folder list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    path: Path
    name: str  # as listed: "..", "exports/", "clients.csv"
    folder: bool
    size: int = 0
    modified: datetime | None = None


def list_folder(folder: Path) -> list[Entry]:
    """The sub-folders (hidden ones left out) and importable files of ``folder``,
    folders first, by name; ``..`` first unless it is the root. OSError if unreadable."""
    entries: list[Entry] = []
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        try:
            if path.is_dir():
                entries.append(Entry(path, path.name + "/", True))
            elif path.suffix.lower() in IMPORTABLE and path.is_file():
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                entries.append(Entry(path, path.name, False, stat.st_size, modified))
        except OSError:
            continue  # a broken link, a file we may not read: not offered
    entries.sort(key=lambda e: (not e.folder, e.name.casefold()))
    if folder.parent != folder:
        entries.insert(0, Entry(folder.parent, "..", True))
    return entries


def folder_columns() -> list[Column[Entry]]:
    return [
        Column("name", _("Name"), lambda e: e.name, min_width=20, weight=3),
        Column(
            "size", _("Size"), lambda e: "" if e.folder else size_text(e.size), width=9, right=True
        ),
        Column("modified", _("Modified"), lambda e: fmt_date(e.modified), width=10),
    ]


class FolderList(VirtualTable[Entry]):
    """One folder: Enter goes into a sub-folder (``..``: up) or picks a file."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            folder_columns(), empty_text=_("No folders or files to import here."), id=id
        )

    def show(self, entries: list[Entry], select: Path | None = None) -> None:
        self.set_source(ListSource(entries))
        if select is not None:
            for i, entry in enumerate(entries):
                if entry.path == select and entry.name != "..":
                    self.cursor = i
                    self.scroll_to(y=max(0, i - 3), animate=False, immediate=True)
                    break


# -- dialogs -----------------------------------------------------------------------------------


class FieldChooser(Dialog[str | None]):
    """What one column is imported as: a field, or ``-`` (not imported); None: unchanged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="import.field.cancel"),
    ]
    DEFAULT_CSS = """
    FieldChooser #fields { height: auto; max-height: 16; border: none; padding: 0; }
    """

    def __init__(
        self,
        title: str,
        current: str | None,
        choices: Sequence[tuple[str, str]],
        taken: dict[str, str],
    ) -> None:
        """``taken``: field -> the title of the other column it now comes from."""
        super().__init__()
        self.column_title = title
        self.current = current
        self.choices = list(choices)
        self.taken = taken

    def compose(self) -> ComposeResult:
        options = [Option(Text(_("Do not import this column")), id=SKIP)]
        for key, _label in self.choices:
            name = field_name(key, self.choices)
            if key.startswith("custom."):
                name = _("{label} (custom field)").format(label=name)
            prompt = Text(name)
            if key in self.taken:
                prompt.append("  ← " + self.taken[key], style="dim")
            options.append(Option(prompt, id=key))
        with Vertical(classes="dialog", id="field-chooser"):
            yield Label(
                _("Import the column “{column}” as").format(column=self.column_title),
                classes="dialog-title",
                markup=False,
            )
            yield OptionList(*options, id="fields", markup=False)

    def on_mount(self) -> None:
        options = self.query_one("#fields", OptionList)
        options.focus()
        try:
            options.highlighted = options.get_option_index(self.current or SKIP)
        except OptionDoesNotExist:  # an unknown current field: the first option
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(Dialog[None]):
    """A row of the import in full: what happens to it, and why."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", N_("Close"), id="import.row.close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.text, classes="dialog-body", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
