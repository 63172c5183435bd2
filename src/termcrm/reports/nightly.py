"""The nightly batch: every nightly report (``Spec.nightly``) in one workbook,
``DIR/termcrm-YYYY-MM-DD.xlsx``, for cron or a systemd timer.

- A Summary sheet first: when it ran, for whom, the period, and one line per report with
  its headline figure or the reason it failed; then a sheet per report with its charts.
- The period, unless given: the current month; on the first day of a month the month
  before (a 02:00 run on the 1st reports the month that has just ended).
- Written under a temporary name in DIR and renamed over the target: a reader never
  sees half a file, a rerun the same day replaces the file, and a failure leaves
  nothing (not even the temporary file) behind.
- One run at a time per folder: a lock file (``DIR/.termcrm-nightly.lock``, ``flock``,
  non-blocking) stops a second run at once.
- A report that fails is a line in the Summary (each report runs in a session of its
  own, so one failure does not spoil the others); the run itself succeeds.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termcrm.i18n import N_, _
from termcrm.reports.model import Params, Report, Scope
from termcrm.reports.registry import REPORTS, Spec
from termcrm.services.errors import CrmError, Forbidden, Invalid
from termcrm.services.funnel_charts import month_end, period_text

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from termcrm.services.actor import Actor
    from termcrm.store.engine import Database

LOCK_NAME = ".termcrm-nightly.lock"
SUMMARY = N_("Summary")


class NightlyBusy(CrmError):
    """Another run holds the folder's lock."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one report of the batch went."""

    name: str
    title: str  # translated
    headline: str  # "Turnover: 1,234.00" (translated) or "" when it failed
    value: Any  # the headline figure, typed (None when there is none)
    kind: str  # its column's kind
    error: str | None = None
    currency: str | None = None  # a money figure's currency (the report's)


@dataclass(frozen=True, slots=True)
class NightlyRun:
    path: Path
    period: tuple[date, date]
    actor: Actor
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]


def default_period(today: date) -> tuple[date, date]:
    """The current month; on the 1st the month before."""
    if today.day == 1:
        last = today - timedelta(days=1)
        return date(last.year, last.month, 1), last
    return date(today.year, today.month, 1), month_end(today.year, today.month)


def workbook_path(folder: Path, today: date) -> Path:
    return Path(folder) / f"termcrm-{today.isoformat()}.xlsx"


def nightly_specs() -> list[Spec]:
    return [spec for spec in REPORTS.values() if spec.nightly]


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the block, or NightlyBusy at once."""
    path = Path(folder) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NightlyBusy(
                _("another nightly run is writing to {folder} (it holds {lock})").format(
                    folder=folder, lock=path
                )
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def check_folder(folder: Path) -> None:
    if not Path(folder).is_dir():
        raise Invalid({"out": _("{folder} is not a folder").format(folder=folder)})
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Invalid({"out": _("{folder} is not writable").format(folder=folder)})


def error_line(exc: BaseException) -> str:
    """An error as one line: a user error's own words, else its type and message."""
    text = str(exc) if isinstance(exc, CrmError) else f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def headline(report: Report) -> tuple[str, Any, str]:
    """(label, figure, kind): the first money (else number) figure of the first table's
    totals row; without one, of its last row (the latest period of a table over time,
    labelled with it); else the number of rows of the first table."""
    if not report.tables:
        return "", None, "text"
    table = report.tables[0]
    over_time = table.columns[0].kind in ("text", "month")  # a period per row, not a list
    last = table.rows[-1] if table.rows and over_time else None
    for line, latest in ((table.total, False), (last, True)):
        if line is None:
            continue
        for wanted in ("money", "int", "number", "pct"):
            for column, value in zip(table.columns, line, strict=True):
                if column.kind == wanted and value is not None:
                    label = column.heading()
                    if latest:
                        label = f"{label} ({line[0]})"
                    return label, value, column.kind
    return _("Rows"), len(table.rows), "int"


def resolve_actor(db: Database, runner: Actor, as_login: str | None) -> Actor:
    """The user the batch runs as: the runner, or (for an admin) ``as_login``."""
    from termcrm.services import org

    if not as_login or as_login == runner.login:
        return runner
    if not runner.is_admin:
        raise Forbidden(
            _(
                "only an admin may run the nightly batch as another user; {login} is a {role}"
            ).format(login=runner.login, role=runner.role)
        )
    with db.read() as s:
        return org.actor_by_login(s, as_login)


def run_nightly(
    db: Database,
    runner: Actor,
    folder: Path,
    *,
    today: date,
    now: datetime,
    period: tuple[date, date] | None = None,
    as_login: str | None = None,
    mode: int | None = None,
) -> NightlyRun:
    """Write ``folder/termcrm-TODAY.xlsx``; ``now`` (local, for the Summary) is when it ran;
    ``mode``: the file's permissions (default: its owner's only)."""
    from termcrm.reports.workbook import add_report_sheet, discard, new_workbook, save_workbook

    folder = Path(folder)
    check_folder(folder)
    actor = resolve_actor(db, runner, as_login)
    span = period or default_period(today)
    params = Params(span, Scope("all"), today=today)
    with folder_lock(folder):
        wb = new_workbook(_("termcrm reports {day}").format(day=today.isoformat()))
        try:
            summary = wb.create_sheet(_(SUMMARY)[:31])  # first; its rows written last
            outcomes = []
            for spec in nightly_specs():
                try:
                    with db.read() as s:
                        report = spec.load()(s, actor, params)
                    add_report_sheet(wb, report, spec.name)
                except Exception as exc:  # one report's failure is a line of the Summary
                    outcomes.append(
                        Outcome(spec.name, _(spec.title), "", None, "text", error_line(exc))
                    )
                    continue
                label, value, kind = headline(report)
                outcomes.append(
                    Outcome(spec.name, _(report.title), label, value, kind, None, report.currency)
                )
            write_summary(summary, actor, span, now, outcomes)
        except BaseException:
            discard(wb)  # the sheets' temporary files
            raise
        target = workbook_path(folder, today)
        save_workbook(wb, target, mode=mode)
    return NightlyRun(target, span, actor, tuple(outcomes))


def write_summary(
    ws: WriteOnlyWorksheet,
    actor: Actor,
    period: tuple[date, date],
    now: datetime,
    outcomes: list[Outcome],
) -> None:
    """The Summary's rows (a write-only sheet: widths and the frozen header first)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    from termcrm.exchange.sinks import HEADER_FILL
    from termcrm.reports.workbook import styled_cell

    bold = Font(bold=True)
    left = Alignment(horizontal="left")
    facts: list[tuple[str, Any, str]] = [
        (_("Run at"), now.replace(tzinfo=None, microsecond=0), "datetime"),
        (_("Run as"), f"{actor.display} ({actor.login}, {actor.role})", "text"),
        (_("Period"), period_text(*period), "text"),
        (_("From"), period[0], "date"),
        (_("To"), period[1], "date"),
    ]
    header = 3 + len(facts) + 1
    for letter, width in zip("ABCDEF", (20, 40, 24, 18, 10, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{header + 1}"
    ws.append([styled_cell(ws, _("termcrm nightly reports"), font=Font(bold=True, size=14))])
    ws.append([])
    for label, value, kind in facts:
        shown = styled_cell(ws, value, kind, alignment=left)
        if kind == "datetime":
            shown.number_format = "yyyy-mm-dd hh:mm"
        ws.append([styled_cell(ws, label, font=bold), shown])
    ws.append([])
    titles = [_("Report"), _("Title"), _("Headline"), _("Figure"), _("Currency"), _("Error")]
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    ws.append([styled_cell(ws, title, font=bold, fill=fill) for title in titles])
    for o in outcomes:
        name = styled_cell(ws, o.name)
        if o.error is None:
            name.hyperlink = f"#'{o.name}'!A1"
        ws.append(
            [
                name,
                styled_cell(ws, o.title),
                styled_cell(ws, o.headline) if o.headline else None,
                styled_cell(ws, o.value, o.kind),
                styled_cell(ws, o.currency) if o.currency and o.kind == "money" else None,
                styled_cell(ws, o.error, font=Font(color="C00000")) if o.error else None,
            ]
        )
