"""The import wizard: a file into clients, contacts, the journal or deals, step by step.

1. **File**: a folder's importable files (xlsx, xls, ods, csv, vcf); type a path or
   walk the folders, Enter picks a file.
2. **Columns**: what the importer read (format, encoding, delimiter, rows), what
   each column of the file will be imported as, with the values of the first rows
   beside it; Enter on a column changes its field. The kind of record and what to do
   with duplicates are chosen here too. ``d`` is a dry run, ``r`` the import.
3. **Dry run**: the plan (rows to create, to update, duplicates, rejects with their
   reasons); nothing is written. ``r`` imports.
4. **Import**: a progress bar while the rows go in (Esc stops it, and nothing is
   imported: an import is one transaction), then the summary, the rejects file
   and the command that undoes the import.

The file is read by ``exchange.importer`` in worker threads: ``preview`` in a read
transaction, ``run_import`` with transactions of its own (``Backend.run``); its
progress calls come from the worker and are handed to the screen with
``call_from_thread``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Footer, Input, Label, ProgressBar, Select, Static

from termcrm.i18n import N_, _, fmt_number, ngettext
from termcrm.screens.base import CrmScreen
from termcrm.screens.export_dialog import shown_path, typed_path
from termcrm.screens.import_parts import (
    ACTION_NAMES,
    DUPLICATE_NAMES,
    ENCODING_NAMES,
    ENTITY_NAMES,
    FORMAT_NAMES,
    HOW_NAMES,
    IMPORTABLE,
    SKIP,
    Entry,
    FieldChooser,
    FolderList,
    ReasonDialog,
    field_name,
    list_folder,
)
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

if TYPE_CHECKING:
    from termcrm.exchange.importer import ImportReport, Preview, RowOutcome
    from termcrm.exchange.mapping import ColumnMap

STEPS = (
    ("file", N_("File")),
    ("columns", N_("Columns")),
    ("check", N_("Dry run")),
    ("done", N_("Import")),
)
FOLDER_KEY = "import.folder"  # the folder the last file was picked in (ui state)
SAMPLE_MIN, SAMPLE_WIDTH = 10, 11  # a sample column's width, and what one takes in all
MAX_SAMPLES = 4  # wider terminals get wider sample columns, not more of them


class ImportStopped(Exception):
    """Raised from the progress callback when the user stops an import."""


class _MapRow:
    """One column of the file: how it maps, and its values in the first rows."""

    __slots__ = ("column", "samples")

    def __init__(self, column: ColumnMap, samples: list[str]) -> None:
        self.column = column
        self.samples = samples


def _sample(i: int) -> Callable[[_MapRow], str]:
    """The text of a column in the i-th of the first rows."""

    def text(row: _MapRow) -> str:
        return row.samples[i] if i < len(row.samples) else ""

    return text


class ImportWizard(CrmScreen["ImportReport | None"]):
    """Dismissed with the last report (a dry run's or the import's), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace", "up_folder", N_("Up a folder"), id="import.up"),
        Binding("d", "dry_run", N_("Dry run"), id="import.dry_run"),
        Binding("r", "run", N_("Import"), id="import.run"),
        Binding("n", "another", N_("Another file"), id="import.another"),
        Binding("escape", "back", N_("Back"), id="import.back"),
        Binding("escape", "stop", N_("Stop"), id="import.stop"),
        Binding("escape", "close", N_("Close"), id="import.close"),
    ]

    def __init__(self, entity: str = "clients", folder: Path | None = None) -> None:
        super().__init__()
        self.entity = entity
        self.start_folder = folder
        self.folder = Path.cwd()
        self.path: Path | None = None
        self.preview: Preview | None = None
        self.overrides: dict[str, str] = {}
        self.on_duplicate = "skip"
        self.stage = "file"  # file | reading | columns | running | checked | done
        self.report: ImportReport | None = None
        self._stop: threading.Event | None = None
        self._started = 0.0
        self._dry = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Static("", id="import-steps")
        with ContentSwitcher(initial="step-file", id="import-body"):
            with Vertical(id="step-file"):
                yield Static(
                    _(
                        "Choose a file: Excel (.xlsx, .xls), OpenDocument (.ods), CSV or "
                        "vCard (.vcf)."
                    ),
                    classes="import-hint",
                )
                with Horizontal(classes="toolbar"):
                    yield Label(_("Folder"), classes="import-label")
                    yield Input(id="folder")
                yield FolderList(id="files")
            with Vertical(id="step-columns"):
                yield Static("", id="file-info", markup=False)
                with Horizontal(classes="toolbar import-options"):
                    yield Label(_("Import as"), classes="import-label")
                    yield Select(
                        [(_(name), key) for key, name in ENTITY_NAMES.items()],
                        value=self.entity,
                        allow_blank=False,
                        compact=True,
                        id="entity",
                    )
                    yield Label(_("Duplicates"), classes="import-label2")
                    yield Select(
                        [(_(name), key) for key, name in DUPLICATE_NAMES.items()],
                        value=self.on_duplicate,
                        allow_blank=False,
                        compact=True,
                        id="duplicates",
                    )
                yield VirtualTable(self._mapping_columns(0), id="mapping")
                yield Static("", id="mapping-problems", markup=False)
            with Vertical(id="step-report"):
                yield Static("", id="report-title", markup=False)
                yield Static("", id="report-counts", markup=False)
                with Vertical(id="report-progress"):
                    yield ProgressBar(show_eta=False, id="import-bar")
                    yield Static("", id="import-rate", markup=False)
                yield VirtualTable(self._outcome_columns(), id="outcomes")
                yield Static("", id="report-notes", markup=False)
        yield Static("", classes="status-line", id="status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        remembered = self.crm.ui_state.get(FOLDER_KEY)
        start = self.start_folder or (Path(remembered) if isinstance(remembered, str) else None)
        if start is None or not start.is_dir():
            start = Path.cwd()
        self._show_steps()
        self._open_folder(start)
        self.query_one("#files", FolderList).focus()

    def _show_steps(self) -> None:
        """``Import · 1 File › 2 Columns › 3 Dry run › 4 Import``, the current one lit."""
        current = {
            "file": "file",
            "reading": "file",
            "columns": "columns",
            "checked": "check",
            "running": "check" if self._dry else "done",
            "done": "done",
        }[self.stage]
        line = Text(" " + _("Import") + " ", style="bold")
        for i, (step, name) in enumerate(STEPS, 1):
            if i > 1:
                line.append(" › ", style="dim")
            line.append(f" {i} {_(name)} ", style="bold reverse" if step == current else "")
        self.query_one("#import-steps", Static).update(line)

    def _go(self, stage: str) -> None:
        self.stage = stage
        body = {
            "file": "step-file",
            "reading": "step-file",
            "columns": "step-columns",
            "running": "step-report",
            "checked": "step-report",
            "done": "step-report",
        }[stage]
        self.query_one("#import-body", ContentSwitcher).current = body
        self.query_one("#report-progress").display = stage == "running"
        self.query_one("#outcomes").display = stage != "running"
        # the list of the step has the keys (a hidden one would leave none focused)
        target = {
            "file": "#files",
            "columns": "#mapping",
            "checked": "#outcomes",
            "done": "#outcomes",
        }.get(stage)
        typing = isinstance(self.focused, Input) and self.focused.id == "folder"
        if target is not None and not (stage == "file" and typing):
            self.set_focus(self.query_one(target))  # now: keys typed ahead go to it
        elif stage == "running":
            self.set_focus(None)
        self._show_steps()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        stage = self.stage
        allowed = {
            "up_folder": stage == "file",
            "dry_run": stage == "columns",
            "run": stage in ("columns", "checked"),
            "another": stage == "done",
            "back": stage in ("columns", "checked"),
            "stop": stage == "running",
            "close": stage in ("file", "reading", "done"),
        }
        if action not in allowed:
            return True
        if not allowed[action]:
            return False
        if action in ("dry_run", "run") and stage == "columns" and self._missing():
            return None  # shown, greyed: a required field has no column yet
        return True

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # -- 1. the file -------------------------------------------------------------------------

    def _open_folder(self, folder: Path, select: Path | None = None) -> None:
        """List ``folder`` (in a worker: a network folder may be slow)."""
        app = self.app

        def job() -> None:
            try:
                entries = list_folder(folder)
            except OSError as exc:
                app.call_from_thread(self._folder_failed, folder, exc)
            else:
                app.call_from_thread(self._folder_listed, folder, entries, select)

        self.run_worker(job, thread=True, exit_on_error=False, group="import.folder")

    def _folder_listed(self, folder: Path, entries: list[Entry], select: Path | None) -> None:
        self.folder = folder
        box = self.query_one("#folder", Input)
        if self.focused is not box:  # not over a path being typed
            box.value = shown_path(folder)
        self.query_one("#files", FolderList).show(entries, select)
        if self.stage != "file":
            return  # a file was chosen meanwhile: its step has the status line
        files = sum(1 for e in entries if not e.folder)
        self._status(
            ngettext(
                "{count} file to import in {folder}", "{count} files to import in {folder}", files
            ).format(count=fmt_number(files), folder=shown_path(folder))
        )

    def _folder_failed(self, folder: Path, error: OSError) -> None:
        self._status(
            _("Cannot read the folder {folder}: {reason}").format(
                folder=shown_path(folder), reason=error.strerror or error
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "folder":
            return
        event.stop()
        text = event.value.strip()
        if not text:
            return
        path = typed_path(text)
        if path.is_dir():
            self._open_folder(path)
            self.query_one("#files", FolderList).focus()
        elif path.is_file():
            self._choose_file(path)
        else:
            self._status(_("There is no file or folder {path}.").format(path=text))

    def action_up_folder(self) -> None:
        if self.folder.parent != self.folder:
            self._open_folder(self.folder.parent, select=self.folder)

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        table = event.table.id
        if table == "files":
            entry: Entry = event.item
            if entry.folder:
                select = self.folder if entry.name == ".." else None
                self._open_folder(entry.path, select=select)
            else:
                self._choose_file(entry.path)
        elif table == "mapping":
            self._choose_field(event.item)
        elif table == "outcomes":
            self._show_outcome(event.item)

    def _choose_file(self, path: Path) -> None:
        if path.suffix.lower() not in IMPORTABLE:
            self._status(
                _(
                    "termcrm cannot import {name}: choose an .xlsx, .xls, .ods, .csv or .vcf file."
                ).format(name=path.name)
            )
            return
        self.path = path
        self.crm.ui_state.set(FOLDER_KEY, str(path.parent))
        self.overrides = {}
        if path.suffix.lower() == ".vcf" and self.entity == "clients":
            self.entity = "contacts"  # address-book cards are people
            self.query_one("#entity", Select).value = "contacts"
        self._read_preview()

    def _read_preview(self) -> None:
        """Read the head of the file and map its columns (again, after a change)."""
        from termcrm.exchange import importer

        path, entity, overrides = self.path, self.entity, dict(self.overrides)
        assert path is not None
        if self.stage in ("file", "reading"):
            self._go("reading")
        self._status(_("Reading {name}…").format(name=path.name))
        self.call(
            lambda s, a: importer.preview(s, a, path, entity, overrides=overrides),
            self._previewed,
            failed=self._preview_failed,
            group="import.preview",
        )

    def _previewed(self, preview: Preview) -> None:
        self.preview = preview
        self._show_mapping()
        if self.stage != "columns":
            self._go("columns")
        self._status(_("Enter on a column chooses what it is imported as."))
        self.refresh_bindings()

    def _preview_failed(self, error: Exception) -> bool:
        if not type(error).__module__.startswith("termcrm") and not isinstance(error, OSError):
            self._go("file" if self.stage == "reading" else self.stage)
            return False
        from termcrm.widgets.dialogs import describe_error

        reason = error.strerror if isinstance(error, OSError) else describe_error(error)
        name = self.path.name if self.path else ""
        if self.stage == "reading":
            self._go("file")
        self._status(_("Cannot import {name}: {reason}").format(name=name, reason=reason))
        return True

    # -- 2. the columns ----------------------------------------------------------------------

    def _samples(self) -> int:
        """How many of the first rows the mapping shows beside the columns."""
        rows = len(self.preview.rows) if self.preview else 0
        fits = max(1, (self.size.width - 44) // SAMPLE_WIDTH)
        return min(rows, fits, MAX_SAMPLES)

    def _mapping_columns(self, samples: int) -> list[Column[_MapRow]]:
        choices = self.preview.choices if self.preview else []
        numbers = [n for n, _cells in self.preview.rows[:samples]] if self.preview else []
        columns: list[Column[_MapRow]] = [
            Column("title", _("Column in file"), lambda r: r.column.title, min_width=12, weight=3),
            Column(
                "field",
                _("Imported as"),
                lambda r: field_name(r.column.field, choices),
                min_width=12,
                weight=3,
            ),
            Column("how", _("How"), lambda r: _(HOW_NAMES.get(r.column.how, "")), width=12),
        ]
        cards = self.preview is not None and self.preview.sheet.format == "vcf"
        for i, number in enumerate(numbers):
            columns.append(
                Column(
                    f"row{i}",
                    (_("Card {number}") if cards else _("Row {number}")).format(number=number),
                    _sample(i),
                    min_width=SAMPLE_MIN,
                    weight=2,
                )
            )
        return columns

    def _show_mapping(self) -> None:
        preview = self.preview
        if preview is None:
            return
        sheet = preview.sheet
        samples = self._samples()
        table = self.query_one("#mapping", VirtualTable)
        cursor = table.cursor
        table.columns = self._mapping_columns(samples)
        table._widths = []
        head = preview.rows[:samples]
        rows = [
            _MapRow(c, [cells[c.index] if c.index < len(cells) else "" for _n, cells in head])
            for c in preview.mapping.columns
        ]
        table.set_source(ListSource(rows))
        table.cursor = min(cursor, max(0, len(rows) - 1))
        # what was read: clients.csv · CSV, UTF-8, “;” · 120 rows
        parts = [sheet.path.name, FORMAT_NAMES.get(sheet.format, sheet.format)]
        if sheet.encoding:
            parts[-1] += ", " + ENCODING_NAMES.get(sheet.encoding, sheet.encoding.upper())
        if sheet.delimiter:
            shown = _("tab") if sheet.delimiter == "\t" else sheet.delimiter
            parts[-1] += ", “" + shown + "”"
        if sheet.sheet_name:
            parts.append(_("sheet “{name}”").format(name=sheet.sheet_name))
        total = self._total()
        if total is not None:
            parts.append(
                ngettext("{count} row", "{count} rows", total).format(count=fmt_number(total))
            )
        self.query_one("#file-info", Static).update(" · ".join(parts))
        problems = self.query_one("#mapping-problems", Static)
        missing = preview.mapping.missing()
        unmapped = preview.mapping.unmapped()
        if missing:
            text = Text(
                _("Cannot import yet: {problems}. Choose the column for it (Enter).").format(
                    problems="; ".join(missing)
                ),
                style="bold",
            )
            problems.set_class(True, "-error")
        elif unmapped:
            text = Text(
                _("Not imported: {columns}.").format(columns=", ".join(unmapped)),
                no_wrap=True,
                overflow="ellipsis",
            )
            problems.set_class(False, "-error")
        else:
            text = Text(_("Every column has a field."))
            problems.set_class(False, "-error")
        problems.update(text)

    def _total(self) -> int | None:
        """The rows of the file: exact when the preview read them all (a short file),
        else what the reader estimates (at most that many; None: unknown)."""
        from termcrm.exchange.importer import PREVIEW_ROWS

        if self.preview is None:
            return None
        if len(self.preview.rows) < PREVIEW_ROWS:
            return len(self.preview.rows)
        return self.preview.sheet.total

    def on_resize(self, event: events.Resize) -> None:
        if self.preview is not None:
            self._show_mapping()

    def _missing(self) -> list[str]:
        return self.preview.mapping.missing() if self.preview else [_("no file read")]

    def _choose_field(self, row: _MapRow) -> None:
        if self.preview is None:
            return
        column = row.column
        taken = {
            c.field: c.title
            for c in self.preview.mapping.columns
            if c.field and c.index != column.index
        }

        def chosen(field: str | None) -> None:
            if field is None or field == (column.field or SKIP):
                return
            self.overrides[column.title] = field
            self._read_preview()

        self.app.push_screen(
            FieldChooser(column.title, column.field, self.preview.choices, taken), chosen
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str):
            return
        if event.select.id == "entity" and event.value != self.entity:
            self.entity = event.value
            self.overrides = {}  # another kind of record has other fields
            if self.path is not None and self.stage == "columns":
                self._read_preview()
        elif event.select.id == "duplicates":
            self.on_duplicate = event.value

    # -- 3 and 4. dry run and import ---------------------------------------------------------

    def action_dry_run(self) -> None:
        if self.stage == "columns" and not self._missing():
            self._start(dry_run=True)

    def action_run(self) -> None:
        if self.stage == "columns" and self._missing():
            return
        if self.stage in ("columns", "checked"):
            self._start(dry_run=False)

    def _start(self, *, dry_run: bool) -> None:
        from termcrm.exchange.importer import ImportOptions, run_import

        assert self.path is not None
        path = self.path
        options = ImportOptions(
            entity=self.entity,
            on_duplicate=self.on_duplicate,
            dry_run=dry_run,
            overrides=dict(self.overrides),
            worker=True,  # termcrm's main module is guarded
        )
        self._dry = dry_run
        self.report = None
        stop = self._stop = threading.Event()
        backend, app = self.crm.backend, self.app
        total = self._total()
        self._go("running")
        title = _("Dry run of {name}…") if dry_run else _("Importing {name}…")
        self.query_one("#report-title", Static).update(Text(title.format(name=path.name), "bold"))
        self.query_one("#report-counts", Static).update("")
        self.query_one("#report-notes", Static).update("")
        self.query_one("#outcomes", VirtualTable).set_source(ListSource([]))
        bar = self.query_one("#import-bar", ProgressBar)
        bar.update(total=total, progress=0)
        self._started = time.monotonic()
        self._progress(0, total)
        self._status(_("Esc stops it; nothing is imported then."))

        def progress(done: int, of: int | None) -> None:  # in the worker thread
            if stop.is_set():
                raise ImportStopped
            app.call_from_thread(self._progress, done, of)

        def job() -> None:
            try:
                report = backend.run(lambda db, a: run_import(db, a, path, options, progress))
            except ImportStopped:
                app.call_from_thread(self._stopped)
            except Exception as exc:
                app.call_from_thread(self._failed, exc)
            else:
                app.call_from_thread(self._finished, report)

        self.run_worker(job, thread=True, exit_on_error=False, group="import.run")

    def _progress(self, done: int, total: int | None) -> None:
        if not self.is_attached:
            return
        bar = self.query_one("#import-bar", ProgressBar)
        bar.update(total=total, progress=done)
        elapsed = time.monotonic() - self._started
        if total:
            text = _("{done} of {total} rows").format(
                done=fmt_number(done), total=fmt_number(total)
            )
        else:
            text = ngettext("{count} row", "{count} rows", done).format(count=fmt_number(done))
        if done and elapsed > 0.5:
            text += " · " + _("{rate} rows a second").format(rate=fmt_number(int(done / elapsed)))
        self.query_one("#import-rate", Static).update(text)

    def action_stop(self) -> None:
        if self.stage != "running" or self._stop is None:
            return
        stop = self._stop

        def really() -> None:
            if self.stage == "running":
                stop.set()
                self._status(_("Stopping…"))

        if self._dry:
            really()
            return
        self.confirm(
            _("Stop the import? Nothing of this file will be imported."),
            really,
            yes=_("Stop"),
            no=_("Go on"),
        )

    def _stopped(self) -> None:
        self._go("columns")
        self._status(
            _("Stopped: nothing was written.")
            if self._dry
            else _("Stopped: nothing of {name} was imported.").format(
                name=self.path.name if self.path else ""
            )
        )

    def _failed(self, error: Exception) -> None:
        self._go("columns")
        self._status(_("Nothing was imported."))
        self.crm.show_error(error)

    def _finished(self, report: ImportReport) -> None:
        self.report = report
        self._go("checked" if report.dry_run else "done")
        self._show_report(report)

    def _show_report(self, report: ImportReport) -> None:
        from termcrm.exchange.sales_records import NO_UNDO

        name = report.path.name
        entity = _(ENTITY_NAMES.get(report.entity, report.entity)).lower()
        if report.dry_run:
            title = _("Dry run of {name} as {entity}: nothing was written.").format(
                name=name, entity=entity
            )
        elif report.import_id is not None:
            title = _("Imported {name} as {entity}: import {id}.").format(
                name=name, entity=entity, id=report.import_id
            )
        else:
            title = _("Imported {name} as {entity}.").format(name=name, entity=entity)
        self.query_one("#report-title", Static).update(Text(title, "bold"))
        counts = [
            (_("new: {n}"), report.created),
            (_("updated: {n}"), report.updated),
            (_("unchanged: {n}"), report.unchanged),
            (_("duplicates skipped: {n}"), report.skipped),
            (_("rejected: {n}"), report.rejected),
            (_("conflicts: {n}"), report.conflicts),
        ]
        rows = ngettext("{count} row", "{count} rows", report.rows).format(
            count=fmt_number(report.rows)
        )
        shown = [text.format(n=fmt_number(n)) for text, n in counts if n or text is counts[0][0]]
        self.query_one("#report-counts", Static).update(rows + ": " + " · ".join(shown))
        table = self.query_one("#outcomes", VirtualTable)
        table.empty_text = (
            _("Every row would be a new record.")
            if report.dry_run
            else _("Every row is a new record.")
        )
        table.set_source(ListSource(list(report.outcomes)))
        notes: list[str] = []
        bad = report.rejected + report.conflicts
        if report.dry_run:
            if bad:
                notes.append(_("The import would put the rejected rows in a rejects file."))
            notes.append(_("r imports the file; Esc goes back to the columns."))
        else:
            if report.rejects_path is not None:
                notes.append(
                    ngettext(
                        "The rejected row is in {path}, with its reason: correct it there "
                        "and import that file.",
                        "The {count} rejected rows are in {path}, each with its reason: "
                        "correct them there and import that file.",
                        bad,
                    ).format(count=fmt_number(bad), path=shown_path(report.rejects_path))
                )
            if report.import_id is not None and report.entity not in NO_UNDO:
                notes.append(
                    _("To take it back: termcrm import undo {id}").format(id=report.import_id)
                )
        self.query_one("#report-notes", Static).update("\n".join(notes))
        self._status(_("Enter on a row shows it in full.") if report.outcomes else _("Done."))

    def _show_outcome(self, outcome: RowOutcome) -> None:
        what = _(ACTION_NAMES.get(outcome.action, outcome.action))
        lines = []
        if outcome.record_id is not None:
            lines.append(_("Record: #{id}").format(id=outcome.record_id))
        if outcome.reason:
            lines.append(outcome.reason)
        title = _("Row {number}").format(number=outcome.number) + ": " + what
        self.app.push_screen(ReasonDialog(title, "\n".join(lines)))

    def _outcome_columns(self) -> list[Column[RowOutcome]]:
        return [
            Column("row", _("Row"), lambda o: fmt_number(o.number), width=7, right=True),
            Column("what", _("What"), lambda o: _(ACTION_NAMES.get(o.action, o.action)), width=10),
            Column(
                "record",
                _("ID"),
                lambda o: "" if o.record_id is None else f"#{o.record_id}",
                width=8,
            ),
            Column("reason", _("Reason"), lambda o: o.reason, min_width=20, weight=1),
        ]

    # -- leaving -----------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.stage == "columns":
            self._go("file")
            self._status("")
        elif self.stage == "checked":
            self._go("columns")
            self._status(_("Enter on a column chooses what it is imported as."))

    def action_another(self) -> None:
        self.path = None
        self.preview = None
        self._go("file")
        self._open_folder(self.folder)

    def on_unmount(self) -> None:
        """Leaving the app mid-import stops it: the import rolls back, nothing half-done."""
        if self._stop is not None and self.stage == "running":
            self._stop.set()

    def action_close(self) -> None:
        if self.stage in ("file", "reading", "done"):
            self.dismiss(self.report)
