"""`termcrm planner export|import`: the planner as an iCalendar (.ics) file.

Exit codes of `planner import` (as `termcrm import`): 0 every event went in, or was
skipped as expected (imported before, a task of this database, a significant date,
cancelled or done); 3 some events were skipped for a reason to look at (no start
time, a client not found or not visible, a rule the planner cannot keep, a refused
value); 1 the import could not run (an unreadable file, the database); 2 a usage error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from termcrm.cli.runtime import err_console, guarded, runtime

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from termcrm.exchange.planner_calendar import PlannerImport

app = typer.Typer(
    help="The planner as iCalendar: export your tasks and dates to a calendar app, "
    "import a calendar's events as tasks.",
    no_args_is_help=True,
)

SKIPPED_EXIT = 3


def _local(moment: object, tz: ZoneInfo) -> str:
    from datetime import datetime

    if not isinstance(moment, datetime):
        return "-"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@app.command("export")
@guarded
def export(
    ctx: typer.Context,
    ics: Annotated[
        Path,
        typer.Option("--ics", help="the .ics file to write ('-': standard output)"),
    ],
    everything: Annotated[
        bool, typer.Option("--all", help="done and cancelled tasks too (default: open ones)")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--from", help="tasks due on or after this day")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="tasks due on or before this day")
    ] = None,
    no_dates: Annotated[
        bool, typer.Option("--no-dates", help="leave out birthdays and company dates")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option("--user", help="a rep's planner by login (managers: their department's)"),
    ] = None,
) -> None:
    """Write your tasks (events with their length, reminder and repeat rule) and the
    significant dates of your clients (yearly all-day events) to an .ics file; with
    --user, a rep's."""
    from termcrm.cli.parse import day_bound
    from termcrm.exchange.planner_calendar import export_planner
    from termcrm.services import org

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    started = time.monotonic()
    out = None if str(ics) == "-" else ics
    with rt.read() as s:
        person = org.get_user(s, user) if user and user != actor.login else None
        done = export_planner(
            s,
            actor,
            out,
            tz=tz,
            since=day_bound(since, tz, "--from", end=False),
            until=day_bound(until, tz, "--to", end=True),
            include_closed=everything,
            with_dates=not no_dates,
            user=person,
        )
    err_console.print(
        f"Exported {done.tasks:,} tasks and {done.dates:,} significant dates"
        + (f" to {ics}" if out else "")
        + f" ({time.monotonic() - started:.1f} s)",
        markup=False,
        highlight=False,
    )


@app.command("import")
@guarded
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.ics",
            help="an iCalendar file",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would happen; write nothing")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="print nothing but problems (cron)")
    ] = False,
) -> None:
    """Import a calendar's events and to-dos as your tasks; say what was skipped and why.
    Exit code 3 when something was skipped for a reason to look at."""
    from termcrm.exchange.planner_calendar import import_planner

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    report = import_planner(rt.database(), actor, path, tz=tz, dry_run=dry_run)
    if quiet:
        if report.problems:
            err_console.print(
                f"{path.name}: {len(report.problems)} events skipped: "
                + "; ".join(f"{p.title or p.uid}: {p.reason}" for p in report.problems[:5]),
                markup=False,
                highlight=False,
            )
    else:
        print_report(report, tz)
    if not report.ok:
        raise typer.Exit(SKIPPED_EXIT)


def print_report(report: PlannerImport, tz: ZoneInfo) -> None:
    from termcrm.services import recurrence

    out = typer.echo
    verb = "Would import" if report.dry_run else "Imported"
    out(
        f"{verb} {len(report.imported)} of {len(report.imported) + len(report.skipped)} "
        f"events from {report.path.name} as your tasks"
        + (" (dry run: nothing was written)." if report.dry_run else ".")
    )
    for item in report.imported:
        ref = f"task {item.task_id}" if item.task_id is not None else "new task"
        extra = []
        if item.repeat:
            extra.append(f"repeats {recurrence.describe(item.repeat)}")
        if item.client:
            extra.append(item.client)
        line = f"  {ref}: {_local(item.due_at, tz)}  {item.title}"
        out(line + (f" ({'; '.join(extra)})" if extra else ""))
        for warning in item.warnings:
            out(f"      note: {warning}")
    if report.skipped:
        out(f"Skipped {len(report.skipped)}:")
        for skipped in report.skipped:
            name = skipped.title or (f"UID {skipped.uid}" if skipped.uid else "(no title)")
            when = skipped.day.isoformat() if skipped.day else _local(skipped.due_at, tz)
            out(f"  {when}  {name}: {skipped.reason}")
