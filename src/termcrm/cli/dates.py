"""`termcrm dates ...`: clients' company dates (foundation day, professional holiday,
contract anniversary), and with them the birthdays of contact persons, every year."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from termcrm.cli.output import Format, FormatOpt, emit, say
from termcrm.cli.parse import parse_month_day
from termcrm.cli.runtime import guarded, runtime

if TYPE_CHECKING:
    from termcrm.services.significant_dates import DateOut, Occasion

app = typer.Typer(
    help="Significant dates of clients (foundation day, professional holiday, contract "
    "anniversary) and contacts' birthdays: add, list, edit, rm.",
    no_args_is_help=True,
)

KindOpt = Annotated[str, typer.Option(help="foundation, holiday, contract or other")]
DateOpt = Annotated[
    str,
    typer.Option(
        "--date", help="DD.MM or DD.MM.YYYY (day first), MM-DD, or YYYY-MM-DD; the year is optional"
    ),
]
RemindOpt = Annotated[int, typer.Option(help="remind this many days before (0-30)")]


# the service's field names and the options that set them
FIELD_OPTIONS = {"day": "date", "month": "date", "year": "date", "remind_days": "remind"}


@contextmanager
def _options_named() -> Iterator[None]:
    """A refusal names --date and --remind, the options typed, not the stored fields."""
    from termcrm.services.errors import Invalid

    try:
        yield
    except Invalid as exc:
        raise Invalid({FIELD_OPTIONS.get(k, k): v for k, v in exc.errors.items()}) from exc


@dataclass(frozen=True, slots=True)
class DateRow:
    """A line of `dates list`: the next time a date comes, from today."""

    on: date
    in_days: int
    kind: str
    kind_label: str
    what: str  # the title with the age or anniversary: "Jane Roe (50)", "Founded (25 years)"
    title: str
    years: int | None
    client_id: int
    client: str
    date_id: int | None
    contact_id: int | None
    remind_days: int


def _kind_label(kind: str) -> str:
    from termcrm.cli.today import kind_label

    return kind_label(kind)


def _what(o: Occasion) -> str:
    from termcrm.cli.today import occasion_text

    return occasion_text(o)


COLUMNS = [
    ("When", lambda r: r.on),
    ("In", lambda r: "today" if r.in_days == 0 else f"{r.in_days}d"),
    ("Kind", lambda r: r.kind),
    ("What", lambda r: r.what),
    ("Client", lambda r: r.client),
    ("ID", lambda r: f"date {r.date_id}" if r.date_id is not None else f"contact {r.contact_id}"),
    ("Remind", lambda r: f"{r.remind_days}d"),
]


def _said(d: DateOut) -> str:
    day = f"{d.day:02d}.{d.month:02d}" + (f".{d.year}" if d.year else "")
    return (
        f"{_kind_label(d.kind)} '{d.title}' of {d.client} on {day}, "
        f"reminder {d.remind_days} days before"
    )


@app.command()
@guarded
def add(
    ctx: typer.Context,
    client: Annotated[int, typer.Option(help="client id")],
    kind: KindOpt,
    title: Annotated[str, typer.Option(help="what the date is, e.g. 'Founded'")],
    on: DateOpt,
    remind: RemindOpt = 3,
    contact: Annotated[
        int | None, typer.Option(help="a contact person it concerns (optional)")
    ] = None,
) -> None:
    """Add a company date to a client; it comes back every year."""
    from termcrm.services import significant_dates

    month, day, year = parse_month_day(on, option="--date")
    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _options_named():
        d = significant_dates.add_date(
            s,
            actor,
            client_id=client,
            kind=kind,
            title=title,
            month=month,
            day=day,
            year=year,
            remind_days=remind,
            contact_id=contact,
        )
    say(f"Added date {d.id}: {_said(d)}.")


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    client: Annotated[int | None, typer.Option(help="one client's dates")] = None,
    upcoming: Annotated[
        int | None,
        typer.Option(help="only the dates in the next N days (default: the coming year)"),
    ] = None,
    everyone: Annotated[
        bool,
        typer.Option(
            "--all", help="the dates of every client you may see (default: your own clients)"
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Company dates and birthdays, the next one first, with the age or anniversary."""
    from termcrm.services import significant_dates
    from termcrm.services.clients import require_visible_client

    rt = runtime(ctx)
    actor = rt.actor
    today = datetime.now(UTC).astimezone(rt.settings.tz).date()
    if upcoming is not None and not 0 <= upcoming <= 366:
        raise typer.BadParameter("from 0 to 366 days", param_hint="--upcoming")
    last = today + timedelta(days=364 if upcoming is None else upcoming)
    with rt.read() as s:
        owner: int | None = actor.id
        if client is not None:
            owner = require_visible_client(s, actor, client).owner_id
        elif everyone:
            owner = None
        found = significant_dates.occasions(s, actor, today, last, owner_id=owner)
    if client is not None:
        found = [o for o in found if o.client_id == client]
    rows = [
        DateRow(
            on=o.on,
            in_days=(o.on - today).days,
            kind=o.kind,
            kind_label=_kind_label(o.kind),
            what=_what(o),
            title=o.title,
            years=o.years,
            client_id=o.client_id,
            client=o.client,
            date_id=o.date_id,
            contact_id=o.contact_id,
            remind_days=o.remind_days,
        )
        for o in found
    ]
    emit(rows, COLUMNS, fmt, empty="No significant dates.")


@app.command()
@guarded
def edit(
    ctx: typer.Context,
    date_id: Annotated[int, typer.Argument(metavar="ID", help="the date's id (`dates list`)")],
    kind: Annotated[str | None, typer.Option(help="foundation, holiday, contract or other")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    on: Annotated[
        str | None,
        typer.Option("--date", help="DD.MM[.YYYY], MM-DD or YYYY-MM-DD (no year: none kept)"),
    ] = None,
    remind: Annotated[int | None, typer.Option(help="days before (0-30)")] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", help="the version you saw; refused if somebody saved since"),
    ] = None,
) -> None:
    """Change a company date. (Birthdays are edited on the contact: `contact edit`.)"""
    from termcrm.services import significant_dates

    changes: dict[str, Any] = {}
    if kind is not None:
        changes["kind"] = kind
    if title is not None:
        changes["title"] = title
    if on is not None:
        changes["month"], changes["day"], changes["year"] = parse_month_day(on, option="--date")
    if remind is not None:
        changes["remind_days"] = remind
    if not changes:
        raise typer.BadParameter("nothing to change", param_hint="--kind/--title/--date/--remind")
    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _options_named():
        current = significant_dates.get_date(s, actor, date_id)
        d = significant_dates.update_date(
            s,
            actor,
            date_id,
            version=current.version if version is None else version,
            changes=changes,
        )
    say(f"Saved date {d.id} (version {d.version}): {_said(d)}.")


@app.command()
@guarded
def rm(
    ctx: typer.Context,
    date_id: Annotated[int, typer.Argument(metavar="ID", help="the date's id (`dates list`)")],
    version: Annotated[
        int | None,
        typer.Option("--version", help="the version you saw; refused if somebody saved since"),
    ] = None,
) -> None:
    """Delete a company date (kept in the history)."""
    from termcrm.services import significant_dates

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        current = significant_dates.get_date(s, actor, date_id)
        significant_dates.delete_date(
            s, actor, date_id, version=current.version if version is None else version
        )
    say(f"Deleted date {date_id}: {_said(current)}.")
