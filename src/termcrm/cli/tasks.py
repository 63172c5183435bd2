"""`termcrm task ...`: planned work."""

from __future__ import annotations

from typing import Annotated

import typer

from termcrm.cli.output import (
    AfterOpt,
    Format,
    FormatOpt,
    LimitOpt,
    emit_page,
    say,
)
from termcrm.cli.parse import parse_when
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(help="Tasks: add and list.", no_args_is_help=True)
COLUMNS = [
    ("ID", lambda t: t.id),
    ("Due", lambda t: t.due_at),
    ("Kind", lambda t: t.kind),
    ("Task", lambda t: t.title),
    ("Client", lambda t: t.client),
    ("Assignee", lambda t: t.assignee),
    ("Status", lambda t: t.status),
]


@app.command()
@guarded
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what to do")],
    due: Annotated[str, typer.Option(help="'tomorrow 10:00', '2026-12-01 15:30', '+2d'")],
    kind: Annotated[str, typer.Option(help="call, meeting, visit, letter, email, other")] = "call",
    assignee: Annotated[str | None, typer.Option(help="login (default: you)")] = None,
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    contact: Annotated[int | None, typer.Option(help="contact person id")] = None,
    deal: Annotated[int | None, typer.Option(help="deal id")] = None,
    notes: Annotated[str, typer.Option()] = "",
) -> None:
    """Plan a task."""
    from termcrm.services import org, tasks

    rt = runtime(ctx)
    actor = rt.actor
    due_at = parse_when(due, rt.settings.tz, option="--due")
    with rt.write() as s:
        assignee_id = org.get_user(s, assignee).id if assignee else None
        task = tasks.add_task(
            s,
            actor,
            title=title,
            due_at=due_at,
            kind=kind,
            assignee_id=assignee_id,
            client_id=client,
            contact_id=contact,
            deal_id=deal,
            notes=notes,
        )
    due_local = task.due_at.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")
    say(f"Planned task {task.id}: {task.title}, due {due_local} for {task.assignee}")


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    assignee: Annotated[str | None, typer.Option(help="login")] = None,
    status: Annotated[str, typer.Option(help="open, done, cancelled or any")] = "open",
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Tasks you may see, earliest due first."""
    from termcrm.services import org, tasks

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        flt = tasks.TaskFilter(
            assignee_id=org.get_user(s, assignee).id if assignee else None,
            status=None if status == "any" else status,
            client_id=client,
        )
        page = tasks.list_tasks(s, actor, flt, after=after, limit=limit)
    emit_page(page, COLUMNS, fmt, tz=rt.settings.tz, empty="No tasks.")
