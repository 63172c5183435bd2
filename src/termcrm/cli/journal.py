"""`termcrm log KIND ...` writes to the interaction journal; `termcrm journal` reads it."""

from __future__ import annotations

from datetime import time
from typing import Annotated

import typer

from termcrm.cli.output import (
    AfterOpt,
    Format,
    FormatOpt,
    LimitOpt,
    emit,
    emit_page,
    say,
)
from termcrm.cli.parse import parse_when
from termcrm.cli.runtime import guarded, runtime

COLUMNS = [
    ("ID", lambda i: i.id),
    ("When", lambda i: i.occurred_at),
    ("Kind", lambda i: i.kind),
    ("Dir", lambda i: i.direction),
    ("Client", lambda i: i.client),
    ("Contact", lambda i: i.contact),
    ("Who", lambda i: i.user),
    ("Purpose", lambda i: i.purpose),
    ("Result", lambda i: i.result),
]


@guarded
def log(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="call, meeting, email, letter, visit or message")],
    client: Annotated[int, typer.Option(help="client id")],
    contact: Annotated[int | None, typer.Option(help="contact person id")] = None,
    deal: Annotated[int | None, typer.Option(help="deal id")] = None,
    direction: Annotated[str, typer.Option(help="out (you reached them) or in")] = "out",
    when: Annotated[str, typer.Option(help="'now', 'today 10:30', '2026-11-25 14:00'")] = "now",
    purpose: Annotated[str, typer.Option()] = "",
    result: Annotated[str, typer.Option()] = "",
    fmt: FormatOpt = Format.table,
) -> None:
    """Log an interaction with a client: a call, meeting, email, letter, visit or message."""
    from termcrm.services import journal

    rt = runtime(ctx)
    actor = rt.actor
    moment = parse_when(when, rt.settings.tz)
    with rt.write() as s:
        entry = journal.log_interaction(
            s,
            actor,
            kind=kind,
            client_id=client,
            contact_id=contact,
            deal_id=deal,
            direction=direction,
            occurred_at=moment,
            purpose=purpose,
            result=result,
        )
    if fmt is Format.table:
        say(
            f"Logged {entry.kind} #{entry.id} with {entry.client}"
            + (f" ({entry.contact})" if entry.contact else "")
        )
    else:
        emit([entry], COLUMNS, fmt)


@guarded
def journal_list(
    ctx: typer.Context,
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    contact: Annotated[int | None, typer.Option(help="contact person id")] = None,
    scope: Annotated[str, typer.Option(help="all, mine or department")] = "all",
    mine: Annotated[bool, typer.Option("--mine", help="only your interactions")] = False,
    kind: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="from this time")] = None,
    until: Annotated[str | None, typer.Option(help="up to this time")] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The interaction journal, newest first."""
    from termcrm.services import journal

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    flt = journal.JournalFilter(
        scope="mine" if mine else scope,
        client_id=client,
        contact_id=contact,
        kind=kind,
        since=parse_when(since, tz, option="--since", day_start=time(0, 0)) if since else None,
        until=parse_when(until, tz, option="--until", day_start=time(0, 0)) if until else None,
    )
    with rt.read() as s:
        page = journal.list_interactions(s, actor, flt, after=after, limit=limit)
    emit_page(page, COLUMNS, fmt, tz=tz, empty="The journal has no entries for this.")
