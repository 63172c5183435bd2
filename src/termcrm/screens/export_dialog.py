"""The export dialog (``x`` on a list): the list as it is filtered now, to a file.

The list screen says what it shows (an ``ExportRequest``: its filter, its search
text, a line describing them, the row count when known). The dialog offers the
formats that make sense for the list (xlsx, csv, json, and vcf or ics), a file
name in the home folder with today's date, and writes the file in a worker with
a progress bar; then it says how many rows went where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_number, ngettext
from termcrm.screens.base import CrmModal
from termcrm.services.filters import ClientFilter
from termcrm.services.journal import JournalFilter

FORMAT_NAMES = {
    "xlsx": N_("Excel workbook (.xlsx)"),
    "csv": N_("CSV, for any spreadsheet (.csv)"),
    "json": N_("JSON, for programs (.json)"),
    "vcf": N_("vCard, for address books (.vcf)"),
    "ics": N_("iCalendar, for calendars (.ics)"),
}
# what the list is called in a file name and in the dialog's title
LIST_NAMES = {
    "clients": N_("Export clients"),
    "contacts": N_("Export contact persons"),
    "journal": N_("Export the journal"),
}


def exported(entity: str, count: int) -> str:
    """'300 clients', '1 contact person', '12 interactions'."""
    if entity == "clients":
        text = ngettext("{count} client", "{count} clients", count)
    elif entity == "contacts":
        text = ngettext("{count} contact person", "{count} contact persons", count)
    else:
        text = ngettext("{count} interaction", "{count} interactions", count)
    return text.format(count=fmt_number(count))


def shown_path(path: Path) -> str:
    """A path as the user reads it: the home folder as ~."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def default_path(entity: str, fmt: str, today: date | None = None) -> Path:
    """~/clients-2026-11-25.xlsx"""
    day = (today or date.today()).isoformat()
    return Path.home() / f"{entity}-{day}.{fmt}"


def typed_path(text: str) -> Path:
    """What the user typed: ~ expanded, a relative path from where termcrm was started."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


@dataclass(frozen=True)
class ExportRequest:
    """What a list shows now, for the dialog to export."""

    entity: str  # clients | contacts | journal
    what: str  # one line: the list and its filters as the user sees them
    client_filter: ClientFilter | None = None
    search: str = ""
    journal_filter: JournalFilter | None = None
    total: int | None = None  # rows, when the list has counted them (the progress bar's end)


@dataclass(frozen=True)
class Exported:
    rows: int
    path: Path


class ExportDialog(CrmModal[Exported | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", N_("Export"), id="export.run"),
        Binding("escape", "cancel", N_("Cancel"), id="export.cancel"),
    ]

    def __init__(self, request: ExportRequest) -> None:
        super().__init__()
        self.request = request
        self.running = False
        self._formats: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        from termcrm.exchange.export import formats_for

        self._formats = formats_for(self.request.entity)
        fmt = self._formats[0]
        with Vertical(classes="dialog", id="export"):
            yield Label(_(LIST_NAMES[self.request.entity]), classes="dialog-title")
            yield Static(self.request.what, classes="dialog-body", id="export-what", markup=False)
            with Horizontal(classes="xd-row"):
                yield Label(_("Format"), classes="xd-label")
                yield Select(
                    [(_(FORMAT_NAMES[f]), f) for f in self._formats],
                    value=fmt,
                    allow_blank=False,
                    compact=True,
                    id="format",
                )
            with Horizontal(classes="xd-row"):
                yield Label(_("File"), classes="xd-label")
                yield Input(
                    shown_path(default_path(self.request.entity, fmt)), compact=True, id="path"
                )
            yield Static("", classes="field-error -empty", id="export-error", markup=False)
            with Vertical(id="export-progress", classes="-hidden"):
                yield ProgressBar(total=self.request.total, show_eta=False, id="export-bar")
                yield Static("", id="export-count", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), variant="primary", id="run")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    # -- the form ------------------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another format: the file name's ending follows, when it is one of ours."""
        if event.select.id != "format" or not isinstance(event.value, str):
            return
        box = self.query_one("#path", Input)
        text = box.value.strip()
        suffix = Path(text).suffix.lower().lstrip(".")
        if text and suffix in FORMAT_NAMES and suffix != event.value:
            box.value = text[: -len(suffix)] + event.value
        self._show_error(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "run":
            self.action_export()
        else:
            self.action_cancel()

    def _show_error(self, message: str | None) -> None:
        line = self.query_one("#export-error", Static)
        line.update(message or "")
        line.set_class(not message, "-empty")

    def _target(self) -> tuple[str, Path] | None:
        """The format and the file to write, or None with the reason shown."""
        fmt = str(self.query_one("#format", Select).value)
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self._show_error(_("Give the name of the file to write."))
            return None
        path = typed_path(text)
        suffix = path.suffix.lower().lstrip(".")
        if suffix != fmt and (suffix in FORMAT_NAMES or not suffix):
            self._show_error(
                _("The file name should end in .{format}, the format chosen.").format(format=fmt)
            )
            return None
        if path.is_dir():
            self._show_error(_("{path} is a folder; give a file name.").format(path=text))
            return None
        if not path.parent.is_dir():
            self._show_error(
                _("There is no folder {folder}.").format(folder=shown_path(path.parent))
            )
            return None
        return fmt, path

    # -- exporting ---------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.running:
            return
        target = self._target()
        if target is None:
            return
        fmt, path = target
        self._show_error(None)
        if path.exists():
            self.confirm(
                _("{path} exists. Replace it?").format(path=shown_path(path)),
                lambda: self._start(fmt, path),
                yes=_("Replace"),
                no=_("Cancel"),
            )
        else:
            self._start(fmt, path)

    def _start(self, fmt: str, path: Path) -> None:
        from termcrm.exchange import export

        self.running = True
        for widget in (
            self.query_one("#format", Select),
            self.query_one("#path", Input),
            self.query_one("#run", Button),
        ):
            widget.disabled = True
        self.query_one("#export-progress").remove_class("-hidden")
        self._progress(0)
        req, zone, app = self.request, i18n.zone(), self.app

        def progress(done: int) -> None:  # in the worker thread
            app.call_from_thread(self._progress, done)

        def job(s: Any, a: Any) -> export.ExportResult:
            return export.export(
                s,
                a,
                req.entity,
                fmt,
                path,
                client_filter=req.client_filter,
                search=req.search,
                journal_filter=req.journal_filter,
                tz=zone,
                progress=progress,
            )

        self.call(job, lambda result: self._done(result, path), failed=self._failed)

    def _progress(self, done: int) -> None:
        if not self.is_attached:
            return
        bar = self.query_one("#export-bar", ProgressBar)
        bar.update(progress=done)
        text = _("Exporting… {rows} written").format(rows=exported(self.request.entity, done))
        self.query_one("#export-count", Static).update(text)

    def _done(self, result: Any, path: Path) -> None:
        self.running = False
        rows = int(result.rows)
        self.app.notify(
            _("Exported {rows} to {path}").format(
                rows=exported(self.request.entity, rows), path=shown_path(path)
            ),
            title=_("Export"),
            markup=False,
        )
        self.dismiss(Exported(rows, path))

    def _failed(self, error: Exception) -> bool:
        self.running = False
        for widget in (
            self.query_one("#format", Select),
            self.query_one("#path", Input),
            self.query_one("#run", Button),
        ):
            widget.disabled = False
        self.query_one("#export-progress").add_class("-hidden")
        if type(error).__module__.startswith("termcrm") or isinstance(error, OSError):
            from termcrm.widgets.dialogs import describe_error

            reason = (
                _("Cannot write the file: {reason}").format(reason=error.strerror or error)
                if isinstance(error, OSError)
                else describe_error(error)
            )
            self._show_error(reason)
            return True
        return False

    def action_cancel(self) -> None:
        if self.running:
            self.notify(_("The export is running; it closes when the file is written."))
            return
        self.dismiss(None)
