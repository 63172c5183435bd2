"""`termcrm import ...`: bring clients, contacts, journal entries and deals in from files.

Exit codes: 0 every row went in (or was a known duplicate); 3 some rows were
rejected or conflicted (they are in the rejects file); 1 the import could not run
(a bad file, a bad option, the database); 2 a usage error.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from termcrm.cli.runtime import err_console, fail, guarded, runtime

if TYPE_CHECKING:
    from termcrm.exchange.importer import ImportOptions, ImportReport

app = typer.Typer(
    help="Import clients, contacts, interactions, deals, shipments, payments or sales plans "
    "from xlsx, xls, ods, csv or vcf; list imports and undo one.",
    no_args_is_help=True,
)

REJECTED_EXIT = 3
SHOWN = 20  # rows of each kind listed in the plan before "... and N more"


class OnDuplicate(StrEnum):
    skip = "skip"
    update = "update"
    fill_empty = "fill-empty"
    create = "create"


MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help='"Column=field" (repeatable): map a column yourself; "Column=-" skips it; '
        '"Column=custom.KEY" fills a custom field',
        show_default=False,
    ),
]
MappingFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="a mapping file: one 'Column = field' per line", show_default=False
    ),
]
SaveMappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--save-mapping",
        help="write the mapping used to this file (edit it and pass it back with --mapping)",
        show_default=False,
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="show what would happen; write nothing")]
DupOpt = Annotated[
    OnDuplicate,
    typer.Option(
        "--on-duplicate",
        help="a row that matches a record (tax id, email, phone, or name in the same city): "
        "skip it, update the record, fill only its empty fields, or create anyway",
    ),
]
BatchOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        help="commit every N rows (default: the whole file is one transaction)",
        show_default=False,
        min=1,
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="continue an import of this file that was interrupted"),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="the workbook sheet to read (default: the first)"),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="where the rejected rows go (default: NAME.rejects.EXT beside the file)",
        show_default=False,
    ),
]
KeepOpt = Annotated[
    bool,
    typer.Option(
        "--keep-unmapped",
        help="put the columns no field takes into custom text fields named after them "
        "(defines the fields: admins only)",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print nothing but errors (cron)")]
FileArg = Annotated[
    Path,
    typer.Argument(
        help="an .xlsx, .xls, .ods, .csv or .vcf file", exists=True, dir_okay=False, readable=True
    ),
]


def _overrides(items: list[str] | None, mapping_file: Path | None) -> dict[str, str]:
    from termcrm.exchange.mapping import parse_overrides, read_mapping_file

    out: dict[str, str] = {}
    if mapping_file is not None:
        out.update(read_mapping_file(mapping_file))
    out.update(parse_overrides(items or []))
    return out


def _run(
    ctx: typer.Context,
    entity: str,
    path: Path,
    *,
    mapping: list[str] | None,
    mapping_file: Path | None,
    save_mapping: Path | None,
    dry_run: bool,
    on_duplicate: OnDuplicate,
    batch_size: int | None,
    resume: bool,
    sheet: str | None,
    rejects: Path | None,
    keep_unmapped: bool,
    quiet: bool,
) -> None:
    from termcrm.exchange.importer import ImportOptions, run_import

    rt = runtime(ctx)
    options = ImportOptions(
        entity=entity,
        on_duplicate=on_duplicate.value,
        dry_run=dry_run,
        batch_size=batch_size,
        resume=resume,
        overrides=_overrides(mapping, mapping_file),
        sheet=sheet,
        rejects=rejects,
        zone=rt.settings.tz,
        keep_unmapped=keep_unmapped,
        worker=True,  # termcrm's main module is guarded
    )
    actor = rt.actor
    db = rt.database()
    if save_mapping is not None:
        _save_mapping(rt, path, options, save_mapping)
    show_progress = not quiet and err_console.is_terminal
    if show_progress:
        report = _with_progress(lambda p: run_import(db, actor, path, options, p), path)
    else:
        report = run_import(db, actor, path, options)
    if not quiet:
        _print_report(report, options)
    if not report.ok:
        if quiet:
            err_console.print(
                f"{path.name}: {report.rejected + report.conflicts} rows rejected"
                + (f", see {report.rejects_path}" if report.rejects_path else ""),
                markup=False,
            )
        raise typer.Exit(REJECTED_EXIT)


def _save_mapping(rt: object, path: Path, options: ImportOptions, target: Path) -> None:
    from termcrm.exchange.importer import mapping_for
    from termcrm.exchange.mapping import write_mapping_file
    from termcrm.exchange.sources import open_sheet

    sheet = open_sheet(path, sheet=options.sheet)
    with rt.read() as s:  # type: ignore[attr-defined]
        mapping = mapping_for(s, options.entity, sheet, options.overrides)
    write_mapping_file(target, mapping)
    err_console.print(f"Saved the mapping to {target}", style="dim", markup=False)


def _with_progress(job: object, path: Path) -> ImportReport:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(f"Importing {path.name}", total=None, rate="-")

        def progress(done: int, total: int | None) -> None:
            elapsed = bar.tasks[0].elapsed or 0
            rate = f"{done / elapsed:,.0f}" if elapsed > 0 else "-"
            bar.update(task, completed=done, total=total, rate=rate)

        return job(progress)  # type: ignore[operator]


def _print_report(report: ImportReport, options: ImportOptions) -> None:
    from termcrm.exchange.importer import describe_field

    out = typer.echo
    what = f"{report.path.name} as {report.entity}"
    if report.dry_run:
        out(f"Dry run of {what}: nothing was written.")
        out("Columns:")
        for c in report.mapping.columns:
            target = describe_field(report.entity, c.field)
            note = {
                "user": " (your mapping)",
                "skipped": " (skipped)",
                "unknown": " (would become a custom field)"
                if options.keep_unmapped
                else " (not imported: no field has this name; use --map or --keep-unmapped)",
                "repeated": " (not imported: another column already fills this field)",
            }.get(c.how, "")
            out(f"  {c.title} -> {target}{note}")
    elif report.import_id is not None:
        resumed = f", resumed after row {report.resumed_from:,}" if report.resumed_from else ""
        out(f"Import {report.import_id} of {what}{resumed}.")
    if report.dry_run:
        counts = (
            f"to create {report.created:,}, to update {report.updated:,}, unchanged "
            f"{report.unchanged:,}, duplicates to skip {report.skipped:,}"
        )
    else:
        counts = (
            f"created {report.created:,}, updated {report.updated:,}, unchanged "
            f"{report.unchanged:,}, duplicates skipped {report.skipped:,}"
        )
    out(
        f"Rows: {report.rows:,}; {counts}, rejected {report.rejected:,}, "
        f"conflicts {report.conflicts:,}."
    )
    groups = (
        ("Updates", ("update", "unchanged")),
        ("Duplicates", ("skip",)),
        ("Conflicts (changed by somebody else since the export)", ("conflict",)),
        ("Rejected", ("reject",)),
        ("Notes", ("create",)),
    )
    for title, actions in groups:
        rows = [o for o in report.outcomes if o.action in actions and o.reason]
        if not rows:
            continue
        out(f"{title}:")
        for o in rows[:SHOWN]:
            out(f"  row {o.number}: {o.reason}")
        if len(rows) > SHOWN:
            out(f"  ... and {len(rows) - SHOWN:,} more")
    if report.rejects_path is not None:
        out(f"Rejected rows are in {report.rejects_path}: fix them there and import that file.")
    from termcrm.exchange.sales_records import NO_UNDO

    if report.import_id is not None and not report.dry_run and report.entity not in NO_UNDO:
        out(f"Undo with: termcrm import undo {report.import_id}")


def _command(entity: str, summary: str) -> None:
    @guarded
    def command(
        ctx: typer.Context,
        path: FileArg,
        mapping: MapOpt = None,
        mapping_file: MappingFileOpt = None,
        save_mapping: SaveMappingOpt = None,
        dry_run: DryRunOpt = False,
        on_duplicate: DupOpt = OnDuplicate.skip,
        batch_size: BatchOpt = None,
        resume: ResumeOpt = False,
        sheet: SheetOpt = None,
        rejects: RejectsOpt = None,
        keep_unmapped: KeepOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        _run(
            ctx,
            entity,
            path,
            mapping=mapping,
            mapping_file=mapping_file,
            save_mapping=save_mapping,
            dry_run=dry_run,
            on_duplicate=on_duplicate,
            batch_size=batch_size,
            resume=resume,
            sheet=sheet,
            rejects=rejects,
            keep_unmapped=keep_unmapped,
            quiet=quiet,
        )

    command.__doc__ = summary
    app.command(entity)(command)


_command("clients", "Import clients (companies and private persons).")
_command(
    "contacts",
    "Import contact persons; each goes to the client named in its company column "
    "(created if new), or to a private-person client of its own.",
)
_command("interactions", "Import journal entries (calls, meetings, letters...) of clients.")
_command("deals", "Import deals of clients.")
_command(
    "shipments",
    "Import shipments from the accounting system (an admin or a director); rows are "
    "matched by their external id, so loading a file again updates instead of adding.",
)
_command(
    "payments",
    "Import clients' payments from the accounting system (an admin or a director); "
    "rows are matched by their external id.",
)
_command(
    "plans",
    "Import monthly sales plans per user or department (a month, a user or a department, "
    "an amount); a plan that exists gets the new amount.",
)


@app.command("list")
@guarded
def list_imports(ctx: typer.Context) -> None:
    """The latest imports (an admin sees everybody's)."""
    from termcrm.cli.output import Format, emit
    from termcrm.services import imports

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        runs = imports.list_imports(s, actor)
    if not runs:
        typer.echo("No imports yet.")
        return
    emit(
        runs,
        [
            ("ID", lambda r: r.id),
            ("Started", lambda r: r.started_at),
            ("By", lambda r: r.user),
            ("What", lambda r: f"{r.entity} from {r.file_name}"),
            ("Status", lambda r: r.status),
            ("New", lambda r: r.created),
            ("Upd", lambda r: r.updated),
            ("Dup", lambda r: r.skipped),
            ("Rej", lambda r: r.rejected),
        ],
        Format.table,
        tz=rt.settings.tz,
    )


@app.command("undo")
@guarded
def undo(
    ctx: typer.Context,
    import_id: Annotated[int, typer.Argument(help="the import's id (termcrm import list)")],
) -> None:
    """Remove the records an import created and give the records it updated their old values."""
    from termcrm.services import imports

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        result = imports.undo_import(s, actor, import_id)
    typer.echo(
        f"Undid import {import_id}: removed {result.removed:,} records, restored "
        f"{result.restored:,}."
    )
    if result.kept:
        typer.echo(f"Left in place ({len(result.kept):,}):")
        for line in result.kept[:SHOWN]:
            typer.echo(f"  {line}")
        if len(result.kept) > SHOWN:
            typer.echo(f"  ... and {len(result.kept) - SHOWN:,} more")


__all__ = ["app", "fail"]
