"""`termcrm report ...`: run a report (tables and charts in the terminal, or xlsx, CSV,
JSON, Markdown), list the reports, and the nightly batch (one workbook a day)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from termcrm.cli.funnel import parse_period
from termcrm.cli.output import console, err
from termcrm.cli.parse import MODE_HELP, parse_file_mode
from termcrm.cli.runtime import fail, guarded, runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.cli.runtime import Runtime
    from termcrm.reports.model import Params
    from termcrm.services.actor import Actor


class ReportFormat(StrEnum):
    table = "table"
    xlsx = "xlsx"
    csv = "csv"
    json = "json"
    md = "md"


class ReportGroup(TyperGroup):
    """`termcrm report NAME ...` runs the report NAME (``report run NAME ...``); `list` and
    `nightly` are commands of their own."""

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        first = args[0] if args else ""
        if first and not first.startswith("-") and first not in self.commands:
            run_command = self.commands["run"]
            return "run", run_command, args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=ReportGroup,
    help="Reports: `termcrm report NAME --period 2026-Q3 ...` (see `termcrm report list`), "
    "and the nightly batch.",
    no_args_is_help=True,
)

PERIOD_HELP = "2026-Q3, 2026-11, 2026 or 2026-01-01..2026-03-31 (default: this month)"


def today_in(rt: Runtime) -> date:
    """Today in the app's time zone."""
    return datetime.now(UTC).astimezone(rt.settings.tz).date()


@app.command("list")
def list_reports() -> None:
    """The reports and what each one shows."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from termcrm.i18n import _
    from termcrm.reports.registry import REPORTS

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
    table.add_column(_("Report"), no_wrap=True)
    table.add_column(_("What it shows"), overflow="fold")
    table.add_column(_("Nightly"), no_wrap=True)
    for spec in REPORTS.values():
        table.add_row(
            Text(spec.name),
            Text(_(spec.title) + (_(" (needs --client)") if spec.needs_client else "")),
            Text(_("yes") if spec.nightly else _("no")),
        )
    console.print(table)


def parse_options(values: list[str]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"'{text}' is not key=value (e.g. --option lapsed_days=90)", param_hint="--option"
            )
        pairs.append((key.strip(), value.strip()))
    return pairs


@app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="the report: see `termcrm report list`")
    ],
    period: Annotated[str | None, typer.Option("--period", help=PERIOD_HELP)] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="the clients of one user (login)")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="the clients of a department and those below it"),
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="only the clients I own")] = False,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="amounts in this currency (default: the most common)"),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="year, quarter or month (reports over time)")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="a report's option, key=value (repeatable)"),
    ] = None,
    client: Annotated[
        int | None, typer.Option("--client", help="the client (id) of the client report")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="table, xlsx, csv, json or md")
    ] = ReportFormat.table,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="write to this file (xlsx needs it); for csv a folder: a file per table",
        ),
    ] = None,
    mode: Annotated[str | None, typer.Option("--mode", help=MODE_HELP)] = None,
) -> None:
    """Run the report NAME (also: `termcrm report NAME ...`) on the data you may see."""
    span = parse_period(period) if period else None
    if sum((user is not None, department is not None, mine)) > 1:
        raise typer.BadParameter("give one of --user, --department and --mine", param_hint="--user")
    if fmt is ReportFormat.xlsx and out is None:
        raise typer.BadParameter("an xlsx report needs --out FILE", param_hint="--out")
    options = parse_options(option or [])
    if by is not None:
        options.append(("by", by))
    if client is not None:
        options.append(("client_id", client))
    bits = parse_file_mode(mode)
    if bits is not None and out is None:
        raise typer.BadParameter("--mode is for a file written with --out", param_hint="--mode")
    _run(ctx, name, span, user, department, mine, currency, options, fmt, out, bits)


@guarded
def _run(
    ctx: typer.Context,
    name: str,
    span: tuple[date, date] | None,
    user: str | None,
    department: str | None,
    mine: bool,
    currency: str | None,
    options: list[tuple[str, Any]],
    fmt: ReportFormat,
    out: Path | None,
    mode: int | None,
) -> None:
    from termcrm.i18n import _
    from termcrm.reports import registry
    from termcrm.services.errors import Invalid

    spec = registry.spec(name)
    if spec.needs_client and not any(k == "client_id" for k, _v in options):
        raise Invalid({"client": _("the {name} report needs --client ID").format(name=name)})
    rt = runtime(ctx)
    actor: Actor = rt.actor
    with rt.read() as s:
        params = _params(s, rt, span, user, department, mine, currency, options)
        try:
            fn = spec.load()
        except ImportError as exc:
            fail(_("the report {name} cannot be loaded: {error}").format(name=name, error=exc))
        report = fn(s, actor, params)
    _emit(report, fmt, out, mode)


def _params(
    s: Session,
    rt: Runtime,
    span: tuple[date, date] | None,
    user: str | None,
    department: str | None,
    mine: bool,
    currency: str | None,
    options: list[tuple[str, Any]],
) -> Params:
    from termcrm.reports.model import Params, Scope
    from termcrm.services import org
    from termcrm.services.funnel_charts import preset_period

    today = today_in(rt)
    if user is not None:
        scope = Scope("user", user_id=org.get_user(s, user).id)
    elif department is not None:
        scope = Scope("department", department_id=org.find_department(s, department))
    elif mine:
        scope = Scope("me")
    else:
        scope = Scope("all")
    period = span or preset_period("this_month", today)
    assert period is not None
    return Params(period, scope, currency=currency, today=today, options=tuple(options))


def _emit(report: Any, fmt: ReportFormat, out: Path | None, mode: int | None) -> None:
    from termcrm.i18n import _
    from termcrm.reports import render_files
    from termcrm.reports.render_text import print_report

    if out is not None:
        if fmt is ReportFormat.table:  # the format from the file's extension
            known = {f".{f.value}": f for f in ReportFormat if f is not ReportFormat.table}
            found = ReportFormat.csv if out.is_dir() else known.get(out.suffix.lower())
            if found is None:
                fail(_("give --format xlsx, csv, json or md for {path}").format(path=out))
            fmt = found
        written = render_files.write_report(report, fmt.value, out, mode=mode)
        for path in written:
            err.print(_("Written: {path}").format(path=path), markup=False, style="green")
        return
    if fmt is ReportFormat.table:
        print_report(report, console)
        return
    sys.stdout.write(render_files.render(report, fmt.value))


@app.command("nightly")
def nightly(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="the folder the day's workbook is written to")],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="2026-Q3, 2026-11, ... (default: this month; on the 1st the month before)",
        ),
    ] = None,
    as_login: Annotated[
        str | None, typer.Option("--as", help="run with this user's access (admins only)")
    ] = None,
    mode: Annotated[str | None, typer.Option("--mode", help=MODE_HELP)] = None,
) -> None:
    """Every nightly report in one workbook, OUT/termcrm-YYYY-MM-DD.xlsx (for cron)."""
    span = parse_period(period) if period else None
    _nightly(ctx, out, span, as_login, parse_file_mode(mode))


@guarded
def _nightly(
    ctx: typer.Context,
    out: Path,
    span: tuple[date, date] | None,
    as_login: str | None,
    mode: int | None,
) -> None:
    from termcrm.i18n import _
    from termcrm.reports.nightly import error_line, run_nightly
    from termcrm.services.errors import CrmError

    rt = runtime(ctx)
    runner: Actor = rt.actor
    now = datetime.now(UTC).astimezone(rt.settings.tz)
    try:
        result = run_nightly(
            rt.database(),
            runner,
            out,
            today=now.date(),
            now=now,
            period=span,
            as_login=as_login,
            mode=mode,
        )
    except (CrmError, typer.Exit):
        raise
    except Exception as exc:  # for cron: one line, a non-zero exit code
        fail(_("the nightly run failed: {error}").format(error=error_line(exc)))
    for o in result.failed:
        err.print(
            _("warning: the report {name} failed: {error}").format(name=o.name, error=o.error),
            markup=False,
            style="yellow",
            soft_wrap=True,
        )
    console.print(
        _("Written: {path} ({count} reports, {failed} failed)").format(
            path=result.path, count=len(result.outcomes), failed=len(result.failed)
        ),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
