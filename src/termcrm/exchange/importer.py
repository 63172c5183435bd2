"""Importing a file: read, map, convert, find duplicates, write, report, keep the rejects.

One import is one transaction, so nothing is ever half-imported; with a batch
size it commits every N rows and records how far it got in its ``import_run``
row, in the same transaction as the rows, so ``--resume`` continues exactly
after the last committed batch. A dry run does all the work and rolls it back.
Every audit entry the import writes carries its id (``import undo``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termcrm.exchange import fields as F
from termcrm.exchange.ahead import Ahead
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.mapping import CUSTOM_ENTITY, ColumnMapping, auto_map
from termcrm.exchange.records import HANDLERS, Handler
from termcrm.exchange.sales_records import FACT_HANDLERS
from termcrm.i18n import _
from termcrm.services import client_bulk, custom_fields, imports
from termcrm.services.actor import Actor
from termcrm.services.audit import IMPORT_ID
from termcrm.services.errors import CrmError, Invalid
from termcrm.services.validation import known_values

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.exchange.sources import Sheet, SourceRow
    from termcrm.services.schema import Database

DUPLICATE_RULES = ("skip", "update", "fill-empty", "create")
CHUNK = 1000  # rows converted and looked up together
PREVIEW_ROWS = 20

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ImportOptions:
    entity: str
    on_duplicate: str = "skip"
    dry_run: bool = False
    batch_size: int | None = None  # commit every N rows (None: one transaction)
    resume: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    rejects: Path | None = None  # where the rejects file goes (default: beside the input)
    zone: tzinfo | None = None  # times without a zone are in this one (default: the user's)
    keep_unmapped: bool = False  # columns no field takes become custom text fields (admins)
    # check a big file's phones and emails ahead in a worker process (exchange.ahead); the
    # program must then guard its main module (`if __name__ == "__main__":`), as termcrm does
    worker: bool = False


@dataclass(frozen=True, slots=True)
class RowOutcome:
    number: int
    action: str  # create | update | unchanged | skip | reject | conflict
    record_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class ImportReport:
    import_id: int | None
    entity: str
    path: Path
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    rejected: int
    conflicts: int
    outcomes: tuple[RowOutcome, ...]  # every row not simply created, in file order
    rejects_path: Path | None
    mapping: ColumnMapping
    resumed_from: int = 0  # rows an earlier, interrupted run had already committed

    @property
    def ok(self) -> bool:
        return self.rejected == 0 and self.conflicts == 0


@dataclass(frozen=True)
class Preview:
    sheet: Sheet
    mapping: ColumnMapping
    rows: list[tuple[int, list[str]]]
    choices: list[tuple[str, str]]  # (field, label) a column may map to


def _open(path: Path, sheet: str | None) -> Sheet:
    from termcrm.exchange.sources import open_sheet

    return open_sheet(path, sheet=sheet)


def _check_entity(entity: str) -> None:
    if entity not in F.ENTITIES:
        raise Invalid(
            {
                "entity": _("'{entity}' cannot be imported (choose {choices})").format(
                    entity=entity, choices=", ".join(F.ENTITIES)
                )
            }
        )


def mapping_for(
    s: Session, entity: str, sheet: Sheet, overrides: Mapping[str, str] | None
) -> ColumnMapping:
    defs = custom_fields.list_fields(s, CUSTOM_ENTITY[entity]) if entity in CUSTOM_ENTITY else []
    return auto_map(entity, sheet.headers, defs, overrides)


def preview(
    s: Session,
    actor: Actor,
    path: Path,
    entity: str,
    *,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Preview:
    """The file as the importer sees it: the mapping and the first rows, nothing written."""
    _check_entity(entity)
    table = _open(path, sheet)
    mapping = mapping_for(s, entity, table, overrides)
    rows: list[tuple[int, list[str]]] = []
    from termcrm.exchange.values import text

    for row in table.rows():
        rows.append((row.number, [text(v) for v in row.values]))
        if len(rows) >= PREVIEW_ROWS:
            break
    choices = [(f.key, f.label) for f in F.fields(entity)]
    if entity in CUSTOM_ENTITY:
        choices += [
            (f"custom.{c.key}", c.label or c.key)
            for c in custom_fields.list_fields(s, CUSTOM_ENTITY[entity])
        ]
    return Preview(table, mapping, rows, choices)


def custom_key(title: str) -> str:
    """A custom field key made from a column title: letters, digits and underscores."""
    return re.sub(r"\W+", "_", title.casefold()).strip("_")[:64] or "column"


def define_custom_fields(s: Session, actor: Actor, entity: str, mapping: ColumnMapping) -> None:
    """Define a text custom field for each column no field takes (an admin's right)."""
    if entity not in CUSTOM_ENTITY:
        raise Invalid({"keep_unmapped": _("{entity} have no custom fields").format(entity=entity)})
    known = {c.key for c in custom_fields.list_fields(s, CUSTOM_ENTITY[entity])}
    for title in [c.title for c in mapping.columns if c.how == "unknown"]:
        key = custom_key(title)
        if key not in known:
            custom_fields.define_field(
                s, actor, key=key, kind="text", label=title, entity=CUSTOM_ENTITY[entity]
            )
            known.add(key)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    conflicts: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        self.rows += 1
        if outcome.action == "create":
            self.created += 1
            if not outcome.reason:
                return
        elif outcome.action == "update":
            self.updated += 1
        elif outcome.action == "unchanged":
            self.unchanged += 1
        elif outcome.action == "skip":
            self.skipped += 1
        elif outcome.action == "conflict":
            self.conflicts += 1
        else:
            self.rejected += 1
        self.outcomes.append(outcome)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated + self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected + self.conflicts,
        }


class _DryRunDone(Exception):
    """Raised at the end of a dry run so the transaction rolls back."""


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_import(
    db: Database,
    actor: Actor,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` as ``options.entity`` records; see the module's docstring."""
    _check_entity(options.entity)
    if options.on_duplicate not in DUPLICATE_RULES:
        raise Invalid(
            {
                "on_duplicate": _("must be one of {choices}").format(
                    choices=", ".join(DUPLICATE_RULES)
                )
            }
        )
    if options.batch_size is not None and options.batch_size < 1:
        raise Invalid({"batch_size": _("must be a positive number of rows")})
    if options.dry_run and options.resume:
        raise Invalid({"resume": _("a dry run writes nothing, so there is nothing to resume")})
    digest = file_hash(path)
    if options.resume:  # go on exactly as the interrupted run went: its options win
        with db.read() as s:
            open_run = imports.unfinished_run(s, actor, digest, options.entity)
        if open_run is None:
            raise CrmError(
                _("there is no interrupted import of this file to resume; run it without --resume")
            )
        saved_options = open_run.options or {}
        options = replace(
            options,
            batch_size=saved_options.get("batch_size") or options.batch_size,
            on_duplicate=saved_options.get("on_duplicate", options.on_duplicate),
            overrides=saved_options.get("map", options.overrides),
            sheet=saved_options.get("sheet", options.sheet),
        )
    sheet = _open(path, options.sheet)
    handler_type = {**HANDLERS, **FACT_HANDLERS}[options.entity]
    handler_type.check_actor(actor)
    from termcrm.i18n import zone as user_zone

    zone = options.zone or user_zone()
    with db.read() as s:
        mapping = mapping_for(s, options.entity, sheet, options.overrides)
    if (
        options.keep_unmapped
        and not options.dry_run
        and any(c.how == "unknown" for c in mapping.columns)
    ):
        with db.write() as s:
            define_custom_fields(s, actor, options.entity, mapping)
            mapping = mapping_for(s, options.entity, sheet, options.overrides)
    missing = mapping.missing()
    if missing:
        hint = _(' (use --map "Column=field")')
        from termcrm.exchange.sources import sheet_names

        others = [n for n in sheet_names(path) if n != sheet.sheet_name]
        if others:
            # TRANSLATORS: {others} lists sheet names in quotes; --sheet is an option name.
            hint = _(
                " (this is the sheet “{sheet}”; the workbook also has {others}: --sheet)"
            ).format(sheet=sheet.sheet_name, others=", ".join(f"“{n}”" for n in others))
        raise Invalid({"map": "; ".join(missing) + hint})
    saved = {
        "map": dict(options.overrides),
        "on_duplicate": options.on_duplicate,
        "batch_size": options.batch_size,
        "sheet": options.sheet,
    }
    tally = _Tally()
    batched = options.batch_size is not None and not options.dry_run
    size = min(CHUNK, options.batch_size or CHUNK)
    run_id: int | None = None
    skip_rows = 0
    earlier_rejects: list[tuple[int, str]] = []

    if batched:
        with db.write() as s:
            open_run = imports.unfinished_run(s, actor, digest, options.entity)
            if options.resume:
                if open_run is None:
                    raise CrmError(
                        _(
                            "there is no interrupted import of this file to resume; "
                            "run it without --resume"
                        )
                    )
                run_id, skip_rows = open_run.id, open_run.rows_done
                tally = _Tally(
                    rows=open_run.rows_done,
                    created=open_run.created,
                    updated=open_run.updated,
                    skipped=open_run.skipped,
                    rejected=open_run.rejected,
                )
                earlier_rejects = imports.run_rejects(s, open_run.id)
            else:
                if open_run is not None:
                    raise CrmError(
                        _(
                            "import {id} of this file stopped after row {rows}: run the "
                            "same command with --resume to continue it"
                        ).format(id=open_run.id, rows=f"{open_run.rows_done:,}")
                    )
                run_id = imports.start_run(
                    s, actor, options.entity, path.name, digest, saved, sheet.total
                )
        rows_iter = islice(sheet.rows(), skip_rows, None)
        handler: Handler | None = None
        assert options.batch_size is not None
        ahead = Ahead(mapping, actor.phone_region, sheet.total if options.worker else 0)
        with ahead:
            batches = ahead.chunks(_chunks(rows_iter, options.batch_size))
            for batch, known in batches:
                with db.write() as s, known_values(known):
                    s.info[IMPORT_ID] = run_id
                    if handler is None:
                        handler = handler_type(s, actor, mapping, options.on_duplicate, zone)
                    else:
                        handler.bind(s)
                    before = len(tally.outcomes)
                    for chunk in _chunks(iter(batch), size):
                        for outcome in handler.process(chunk):
                            tally.add(outcome)
                    new_rejects = [
                        (o.number, o.reason)
                        for o in tally.outcomes[before:]
                        if o.action in ("reject", "conflict")
                    ]
                    assert run_id is not None
                    imports.record_progress(s, run_id, tally.rows, tally.counts(), new_rejects)
                if progress:
                    progress(tally.rows, sheet.total)
        with db.write() as s:
            assert run_id is not None
            imports.finish_run(s, run_id)
    else:
        try:
            with db.write() as s:
                if not options.dry_run:
                    run_id = imports.start_run(
                        s, actor, options.entity, path.name, digest, saved, sheet.total
                    )
                    s.info[IMPORT_ID] = run_id
                handler = handler_type(s, actor, mapping, options.on_duplicate, zone)
                ahead = Ahead(mapping, actor.phone_region, sheet.total if options.worker else 0)
                with client_bulk.loading(s), ahead:
                    for chunk, known in ahead.chunks(_chunks(sheet.rows(), size)):
                        with known_values(known):
                            for outcome in handler.process(chunk):
                                tally.add(outcome)
                        if progress:
                            progress(tally.rows, sheet.total)
                if run_id is not None:
                    rejects = [
                        (o.number, o.reason)
                        for o in tally.outcomes
                        if o.action in ("reject", "conflict")
                    ]
                    imports.record_progress(s, run_id, tally.rows, tally.counts(), rejects)
                    imports.finish_run(s, run_id)
                if options.dry_run:
                    raise _DryRunDone
        except _DryRunDone:
            pass
    reasons = dict(earlier_rejects)
    reasons.update(
        (o.number, o.reason) for o in tally.outcomes if o.action in ("reject", "conflict")
    )
    rejects_path = _write_rejects(sheet, reasons, options, path) if reasons else None
    return ImportReport(
        import_id=run_id,
        entity=options.entity,
        path=path,
        dry_run=options.dry_run,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        skipped=tally.skipped,
        rejected=tally.rejected,
        conflicts=tally.conflicts,
        outcomes=tuple(tally.outcomes),
        rejects_path=rejects_path,
        mapping=mapping,
        resumed_from=skip_rows,
    )


def rejects_name(path: Path) -> Path:
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".xlsm"):
        suffix = ".xlsx"
    stem = path.stem.removesuffix(".rejects")
    return path.with_name(f"{stem}.rejects{suffix}")


def _write_rejects(
    sheet: Sheet, reasons: dict[int, str], options: ImportOptions, path: Path
) -> Path | None:
    if options.dry_run:
        return None
    from termcrm.exchange.sinks import write_rejects

    target = options.rejects or rejects_name(path)
    if target.resolve() == path.resolve():
        raise FileRefused(_("the rejects file would overwrite the file being imported"))
    picked = ((row, reasons[row.number]) for row in sheet.rows() if row.number in reasons)
    return write_rejects(sheet, picked, target)


def describe_field(entity: str, key: str | None) -> str:
    if key is None:
        return "-"
    if key.startswith("custom."):
        return key
    return F.LABELS.get(key, key)


def field_choices(entity: str) -> list[Any]:
    return [(f.key, f.label) for f in F.fields(entity)]
