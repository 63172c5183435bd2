"""`termcrm export ENTITY` writes a list to xlsx, csv, json, vCard or iCalendar;
`termcrm segment ...` saves client list filters under a name.

Exit codes: 0 written; 1 refused (an unknown filter value, a format that makes no
sense for the list, a segment that does not exist, a file that cannot be written,
the database); 2 a usage error (an unknown option). Nothing but the data goes to
standard output: the progress bar and the summary are written to standard error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from termcrm.cli.output import Format, FormatOpt, emit, say
from termcrm.cli.parse import parse_pairs, parse_when
from termcrm.cli.runtime import err_console, fail, guarded, runtime, stdout_is_tty

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.services.actor import Actor
    from termcrm.services.filters import ClientFilter

ENTITIES = ("clients", "contacts", "journal", "tasks", "deals")
FORMATS = ("xlsx", "csv", "json", "vcf", "ics")
SUFFIXES = {
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".json": "json",
    ".vcf": "vcf",
    ".vcard": "vcf",
    ".ics": "ics",
    ".ical": "ics",
}
# what the summary calls the rows: one, several
NOUNS = {
    "clients": ("client", "clients"),
    "contacts": ("contact", "contacts"),
    "journal": ("journal entry", "journal entries"),
    "tasks": ("task", "tasks"),
    "deals": ("deal", "deals"),
}
# the options that filter each list (an option given for another list is refused,
# never silently ignored: the export would hold more rows than asked for)
CLIENT_OPTIONS = {
    "--owner",
    "--group",
    "--status",
    "--territory",
    "--city",
    "--tag",
    "--field",
    "--search",
    "--segment",
}
APPLIES = {
    "clients": CLIENT_OPTIONS,
    "contacts": CLIENT_OPTIONS | {"--client"},
    "journal": {"--client", "--kind", "--from", "--to", "--user"},
    "tasks": {"--client", "--kind", "--from", "--to", "--assignee", "--status"},
    "deals": {"--client", "--owner", "--stage", "--status", "--open"},
}

Opt = typer.Option  # short alias: the signature below is long


def _fmt(fmt: str | None, out: str) -> str:
    """The format asked for, or the one the --out suffix names."""
    suffix = Path(out).suffix.lower() if out != "-" else ""
    by_suffix = SUFFIXES.get(suffix)
    if fmt is None:
        if out == "-":
            fail("give --format (xlsx, csv, json, vcf or ics) when writing to standard output")
        if by_suffix is None:
            fail(
                f"cannot tell the format from '{out}'; end the file name in .xlsx, .csv, "
                ".json, .vcf or .ics, or give --format"
            )
        return by_suffix
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        fail(f"'{fmt}' is not an export format; use xlsx, csv, json, vcf or ics")
    if by_suffix is not None and by_suffix != fmt:
        fail(f"--out {out} ends in {suffix} but --format is {fmt}; make them agree")
    return fmt


def _entity(entity: str) -> str:
    name = {"interactions": "journal", "client": "clients", "contact": "contacts"}.get(
        entity.lower(), entity.lower()
    )
    if name not in ENTITIES:
        fail(f"cannot export '{entity}': choose one of {', '.join(ENTITIES)}")
    return name


def _scope(scope: str | None, mine: bool, department: bool) -> str | None:
    if mine and department:
        fail("give --mine or --department, not both")
    if (mine or department) and scope is not None:
        fail("give --scope or --mine/--department, not both")
    if mine:
        return "mine"
    if department:
        return "department"
    return scope


def _period(since: str | None, until: str | None, tz: Any) -> tuple[Any, Any]:
    """--from and --to as UTC times; a bare date in --to includes that whole day."""
    from datetime import time as clock
    from datetime import timedelta

    start = parse_when(since, tz, option="--from", day_start=clock(0, 0)) if since else None
    end = None
    if until:
        end = parse_when(until, tz, option="--to", day_start=clock(0, 0))
        if len(until.strip()) == 10 and until.strip()[4] == "-":  # a date: to its end
            end += timedelta(days=1)
    if start is not None and end is not None and end <= start:
        fail("--to comes before --from; nothing would be exported")
    return start, end


@dataclass(frozen=True)
class ClientOptions:
    """The client list options as typed (for `export` and `segment save`)."""

    scope: str | None = None
    owner: str | None = None
    group: str | None = None
    status: str | None = None
    territory: str | None = None
    city: str | None = None
    tag: str | None = None
    field: tuple[str, ...] = ()
    search: str | None = None

    def apply(
        self, s: Session, base: ClientFilter | None, base_search: str = ""
    ) -> tuple[ClientFilter, str]:
        """The filter: ``base`` (a segment's) with every option given replacing its value."""
        from termcrm.services import org
        from termcrm.services.filters import ClientFilter

        flt = base or ClientFilter()
        changes: dict[str, Any] = {}
        if self.scope is not None:
            changes["scope"] = self.scope
        if self.owner is not None:
            changes["owner_id"] = org.get_user(s, self.owner).id
        for name in ("group", "status", "territory", "city", "tag"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        if self.field:
            pairs = dict(flt.custom)
            pairs.update(parse_pairs(list(self.field), option="--field"))
            changes["custom"] = tuple(pairs.items())
        search = base_search if self.search is None else self.search
        return replace(flt, **changes), search


@guarded
def export(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="clients, contacts, journal, tasks or deals")],
    out: Annotated[
        str,
        Opt("--out", "-o", help="the file to write, or - for standard output", show_default=False),
    ],
    fmt: Annotated[
        str | None,
        Opt(
            "--format",
            "-f",
            help="xlsx, csv, json, vcf (clients, contacts) or ics (journal, tasks); "
            "default: from the --out file name",
            show_default=False,
        ),
    ] = None,
    scope: Annotated[
        str | None, Opt(help="all (everything you may see), mine or department")
    ] = None,
    mine: Annotated[bool, Opt("--mine", help="only yours (scope mine)")] = False,
    department: Annotated[
        bool, Opt("--department", help="your department's and below (scope department)")
    ] = False,
    owner: Annotated[
        str | None, Opt(help="clients, contacts, deals: the owner's login", show_default=False)
    ] = None,
    group: Annotated[str | None, Opt(help="clients, contacts: client group")] = None,
    status: Annotated[
        str | None,
        Opt(
            help="clients, contacts: lead, prospect, new, active, loyal, lapsed, lost; "
            "tasks: open, done, cancelled (default: all); deals: open, closed, won, lost"
        ),
    ] = None,
    territory: Annotated[str | None, Opt(help="clients, contacts: territory")] = None,
    city: Annotated[str | None, Opt(help="clients, contacts: city")] = None,
    tag: Annotated[str | None, Opt(help="clients, contacts: a tag")] = None,
    field: Annotated[
        list[str] | None, Opt("--field", help="clients, contacts: custom field key=value")
    ] = None,
    search: Annotated[
        str | None,
        Opt(
            help="clients: the card file's search (names, tax id, city, emails, phones, "
            "contacts); contacts: words of the person's name"
        ),
    ] = None,
    segment: Annotated[
        str | None, Opt(help="clients, contacts: a saved segment (`termcrm segment list`)")
    ] = None,
    client: Annotated[
        int | None, Opt(help="contacts, journal, tasks, deals: of this client id")
    ] = None,
    kind: Annotated[
        str | None, Opt(help="journal: call, meeting, email, ...; tasks: call, visit, ...")
    ] = None,
    since: Annotated[
        str | None, Opt("--from", help="journal: when; tasks: due; from this date or time")
    ] = None,
    until: Annotated[
        str | None,
        Opt("--to", help="journal, tasks: up to this time, or through this date (YYYY-MM-DD)"),
    ] = None,
    user: Annotated[str | None, Opt(help="journal: entries of this login")] = None,
    assignee: Annotated[str | None, Opt(help="tasks: assigned to this login")] = None,
    stage: Annotated[str | None, Opt(help="deals: stage name")] = None,
    open_only: Annotated[bool, Opt("--open", help="deals: only open ones (--status open)")] = False,
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="no progress bar and no summary (for cron)")
    ] = False,
) -> None:
    """Export a list to a file: every row you may see, with the same filters as the lists.

    [dim]termcrm export clients --out clients.xlsx --mine --status active
    termcrm export contacts --segment "Moscow VIP" --out contacts.vcf
    termcrm export journal --from 2026-01-01 --to 2026-03-31 --out q1.csv
    termcrm export tasks --status open --out tasks.ics
    termcrm export deals --status open --format json --out -[/]
    """
    name = _entity(entity)
    fmt_name = _fmt(fmt, out)
    given = {
        "--owner": owner,
        "--group": group,
        "--status": status,
        "--territory": territory,
        "--city": city,
        "--tag": tag,
        "--field": field or None,
        "--search": search,
        "--segment": segment,
        "--client": client,
        "--kind": kind,
        "--from": since,
        "--to": until,
        "--user": user,
        "--assignee": assignee,
        "--stage": stage,
        "--open": open_only or None,
    }
    wrong = [opt for opt, value in given.items() if value is not None and opt not in APPLIES[name]]
    if wrong:
        fail(
            f"{', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not filter {name}; "
            f"for {name} use {', '.join(sorted(APPLIES[name])) or 'no filter option'}"
        )
    target = None if out == "-" else Path(out).expanduser()
    if target is None and fmt_name == "xlsx" and stdout_is_tty():
        fail(
            "an xlsx workbook is binary: give --out FILE.xlsx, or redirect standard "
            "output to a file (> clients.xlsx)"
        )
    scope_name = _scope(scope, mine, department)
    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    kwargs: dict[str, Any] = {}
    total: int | None = None
    with rt.read() as s:
        if name in ("clients", "contacts"):
            options = ClientOptions(
                scope=scope_name,
                owner=owner,
                group=group,
                status=status,
                territory=territory,
                city=city,
                tag=tag,
                field=tuple(field or ()),
                search=search,
            )
            flt, text = _client_filter(s, actor, options, segment)
            kwargs = {"client_filter": flt, "search": text}
            if name == "contacts" and client is not None:
                kwargs["client_id"] = client
            if name == "clients" and not text.strip():
                from termcrm.services import client_lists

                total = client_lists.count_clients(s, actor, flt)
        else:
            kwargs = _other_filter(
                s,
                name,
                scope=scope_name,
                owner=owner,
                status="open" if open_only and status is None else status,
                open_only=open_only,
                client=client,
                kind=kind,
                period=_period(since, until, tz),
                user=user,
                assignee=assignee,
                stage=stage,
            )
    started = time.perf_counter()
    with _progress(quiet, name, total) as progress:
        rows = _run(rt, actor, name, fmt_name, target, kwargs, tz, progress)
    if not quiet:
        one, many = NOUNS[name]
        where = "standard output" if target is None else str(out)
        seconds = time.perf_counter() - started
        err_console.print(
            Text(f"Exported {rows:,} {one if rows == 1 else many} to {where} ({seconds:.1f} s)"),
            soft_wrap=True,
        )


def _run(
    rt: Any,
    actor: Actor,
    name: str,
    fmt: str,
    target: Path | None,
    kwargs: dict[str, Any],
    tz: Any,
    progress: Any,
) -> int:
    from termcrm.exchange import export as exporter

    try:
        with rt.read() as s:
            result = exporter.export(
                s, actor, name, fmt, target, tz=tz, progress=progress, **kwargs
            )
    except OSError as exc:
        fail(f"cannot write {target or 'standard output'}: {exc.strerror or exc}")
    return result.rows


def _client_filter(
    s: Session, actor: Actor, options: ClientOptions, segment: str | None
) -> tuple[ClientFilter, str]:
    base = None
    base_search = ""
    if segment is not None:
        from termcrm.services import segments

        saved = segments.get_segment(s, actor, segment)
        base, base_search = saved.filter, saved.search
    return options.apply(s, base, base_search)


def _other_filter(
    s: Session,
    name: str,
    *,
    scope: str | None,
    owner: str | None,
    status: str | None,
    open_only: bool,
    client: int | None,
    kind: str | None,
    period: tuple[Any, Any],
    user: str | None,
    assignee: str | None,
    stage: str | None,
) -> dict[str, Any]:
    from termcrm.services import org

    def user_id(login: str | None) -> int | None:
        return org.get_user(s, login).id if login else None

    since, until = period
    if name == "journal":
        from termcrm.services.journal import JournalFilter

        return {
            "journal_filter": JournalFilter(
                scope=scope or "all",
                client_id=client,
                user_id=user_id(user),
                kind=kind,
                since=since,
                until=until,
            )
        }
    if name == "tasks":
        from termcrm.services.export_rows import TaskQuery

        return {
            "task_filter": TaskQuery(
                scope=scope or "all",
                status=None if status in (None, "any") else status,
                kind=kind,
                assignee_id=user_id(assignee),
                client_id=client,
                due_from=since,
                due_until=until,
            )
        }
    from termcrm.services import deals
    from termcrm.services.export_rows import DealQuery

    if open_only and status not in (None, "open"):
        fail("give --open or --status, not both")
    stage_id = None
    if stage is not None:
        known = deals.stages(s)
        match = [st for st in known if st.name.casefold() == stage.strip().casefold()]
        if not match:
            fail(f"no stage '{stage}' (stages: {', '.join(st.name for st in known)})")
        stage_id = match[0].id
    return {
        "deal_filter": DealQuery(
            scope=scope or "all",
            stage_id=stage_id,
            owner_id=user_id(owner),
            client_id=client,
            state=None if status == "any" else status,
        )
    }


class _progress:
    """A rich progress bar with rows per second on stderr, when stderr is a terminal."""

    def __init__(self, quiet: bool, name: str, total: int | None) -> None:
        self.enabled = not quiet and err_console.is_terminal
        self.name = name
        self.total = total
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} rows/s" if speed else "", style="dim")

        self.bar = Progress(
            SpinnerColumn(),
            TextColumn(f"Exporting {self.name}"),
            BarColumn(),
            TextColumn(
                "{task.completed:,.0f}" + (f" of {self.total:,}" if self.total else "") + " rows"
            ),
            Rate(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task(self.name, total=self.total)

        def update(done: int) -> None:
            self.bar.update(self.task, completed=done)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


# ------------------------------------------------------------------ segments

segments = typer.Typer(
    help="Saved segments: client list filters under a name, for `export --segment`.",
    no_args_is_help=True,
)


@segments.command("save")
@guarded
def segment_save(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the segment's name")],
    scope: Annotated[str | None, Opt(help="all, mine or department")] = None,
    mine: Annotated[bool, Opt("--mine", help="only the user's own clients")] = False,
    department: Annotated[bool, Opt("--department", help="the user's department's")] = False,
    owner: Annotated[str | None, Opt(help="the owner's login")] = None,
    group: Annotated[str | None, Opt()] = None,
    status: Annotated[str | None, Opt()] = None,
    territory: Annotated[str | None, Opt()] = None,
    city: Annotated[str | None, Opt()] = None,
    tag: Annotated[str | None, Opt()] = None,
    field: Annotated[list[str] | None, Opt("--field", help="custom field key=value")] = None,
    search: Annotated[str | None, Opt(help="the card file's search text")] = None,
    shared: Annotated[
        bool, Opt("--shared/--private", help="let every user see and use it")
    ] = False,
) -> None:
    """Save a client filter under a name (replacing your segment of that name)."""
    from termcrm.services import segments as service

    rt = runtime(ctx)
    actor = rt.actor
    options = ClientOptions(
        scope=_scope(scope, mine, department),
        owner=owner,
        group=group,
        status=status,
        territory=territory,
        city=city,
        tag=tag,
        field=tuple(field or ()),
        search=search,
    )
    with rt.write() as s:
        flt, text = options.apply(s, None)
        saved = service.save_segment(s, actor, name, flt, search=text, shared=shared)
        described = _describe(s, saved.filter, saved.search)
    say(
        f"Saved segment '{saved.name}' (version {saved.version}"
        f"{', shared' if saved.shared else ''}): {described}"
    )


@segments.command("list")
@guarded
def segment_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Your segments and those others share."""
    from termcrm.services import segments as service

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        items = service.list_segments(s, actor)
        rows = [
            {
                "name": x.name,
                "owner": x.owner,
                "shared": x.shared,
                "filter": _describe(s, x.filter, ""),
                "filters": service.filter_to_json(x.filter),
                "search": x.search,
                "version": x.version,
            }
            for x in items
        ]
    emit(
        rows,
        [
            ("Name", lambda r: r["name"]),
            ("Owner", lambda r: r["owner"]),
            ("Shared", lambda r: "yes" if r["shared"] else ""),
            ("Filter", lambda r: r["filter"]),
            ("Search", lambda r: r["search"]),
        ],
        fmt,
        empty="No segments yet: `termcrm segment save NAME --city ...` saves one.",
    )


@segments.command("delete")
@guarded
def segment_delete(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="the segment's name")]
) -> None:
    """Delete one of your segments."""
    from termcrm.services import segments as service

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        service.delete_segment(s, actor, name)
    say(f"Deleted segment '{name}'.")


def _describe(s: Session, flt: ClientFilter, search: str) -> str:
    """A filter as options, for people: "scope mine, city Москва, search 'abc'"."""
    parts = []
    if flt.scope != "all":
        parts.append(f"scope {flt.scope}")
    if flt.owner_id is not None:
        from termcrm.services import org

        logins = {u.id: u.login for u in org.list_users(s, include_inactive=True)}
        parts.append(f"owner {logins.get(flt.owner_id, f'#{flt.owner_id}')}")
    for name in ("group", "status", "territory", "city", "tag"):
        value = getattr(flt, name)
        if value is not None:
            parts.append(f"{name} {value}")
    parts.extend(f"{key}={value}" for key, value in flt.custom)
    if search:
        parts.append(f"search '{search}'")
    return ", ".join(parts) or "all clients you may see"
