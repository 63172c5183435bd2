"""`termcrm history`, `db`, `config` and `demo`."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from termcrm.cli.output import Format, FormatOpt, emit, emit_record, say, to_json
from termcrm.cli.runtime import Runtime, err_console, fail, guarded, runtime

db_app = typer.Typer(help="The database schema: upgrade, current.", no_args_is_help=True)
config_app = typer.Typer(help="Settings in force and where they come from.", no_args_is_help=True)


@guarded
def history(
    ctx: typer.Context,
    entity: Annotated[
        str,
        typer.Argument(
            help="client, contact, deal, task, user, department, pipeline, stage, product, "
            "price-list, sales-plan"
        ),
    ],
    entity_id: Annotated[int, typer.Argument(help="its id")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Who changed what and when, field by field.

    A client's history includes its contacts, journal entries, tasks and deals.
    """
    from termcrm.cli.output import cell
    from termcrm.services import history as history_service

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        entries = history_service.history(s, actor, entity, entity_id)
    if fmt is not Format.table:
        emit(entries, [], fmt)
        return
    rows = []
    for e in entries:
        what = (
            e.entity
            if e.entity == entity and e.entity_id == entity_id
            else (f"{e.entity} {e.entity_id}")
        )
        changes = e.changes or {"": [None, None]}
        for i, (field, (old, new)) in enumerate(changes.items()):
            rows.append(
                {
                    "when": e.at if i == 0 else None,
                    "who": e.user if i == 0 else "",
                    "action": f"{e.action} {what}" if i == 0 else "",
                    "field": field,
                    "old": cell(old),
                    "new": cell(new),
                }
            )
    emit(
        rows,
        [
            ("When", lambda r: r["when"]),
            ("Who", lambda r: r["who"]),
            ("Action", lambda r: r["action"]),
            ("Field", lambda r: r["field"]),
            ("Old", lambda r: r["old"]),
            ("New", lambda r: r["new"]),
        ],
        Format.table,
        title=f"History of {entity} {entity_id}",
        tz=rt.settings.tz,
        empty="No history.",
    )


@db_app.command()
@guarded
def upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to this version of termcrm."""
    from termcrm.services import schema

    rt = runtime(ctx)
    before, after = schema.upgrade(rt.database(check_schema=False))
    if before == after:
        say(f"The database is up to date (schema {after}).")
    else:
        say(f"Upgraded the database schema from {before or 'empty'} to {after}.")


@db_app.command()
@guarded
def current(ctx: typer.Context) -> None:
    """Show the database's schema version and the one this termcrm needs."""
    from termcrm.config import masked_url
    from termcrm.services import schema

    rt = runtime(ctx)
    db = rt.database(check_schema=False)
    st = schema.state(db)
    cur, head = st.current, st.head
    state = "up to date" if st.up_to_date else "needs `termcrm db upgrade`"
    url = masked_url(db.url)
    emit_record(
        [
            ("Database", url.removeprefix("sqlite:///")),
            ("Schema", cur or "empty"),
            ("This termcrm needs", head),
            ("State", state),
        ],
        title="Database",
    )


@config_app.command("show")
@guarded
def config_show(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Print the settings in force (passwords masked) and where each comes from."""
    from termcrm.config import masked_url, user_config_path

    rt = runtime(ctx)
    st = rt.settings
    values = {
        "database_url": masked_url(st.database_url),
        "locale": st.locale,
        "phone_region": st.phone_region,
        "timezone": st.timezone,
    }
    if fmt is not Format.table:
        typer.echo(
            to_json(
                {
                    "settings": values,
                    "sources": st.sources,
                    "keys": st.keys,
                    "files": [str(p) for p in st.files],
                }
            )
        )
        return
    rows = [{"key": k, "value": v, "source": st.sources[k]} for k, v in values.items()]
    rows += [
        {"key": f"keys.{binding}", "value": key, "source": "config"}
        for binding, key in sorted(st.keys.items())
    ]
    emit(
        rows,
        [
            ("Setting", lambda r: r["key"]),
            ("Value", lambda r: r["value"]),
            ("From", lambda r: r["source"]),
        ],
        Format.table,
        title="termcrm settings",
    )
    files = ", ".join(str(p) for p in st.files) or f"none (you may create {user_config_path()})"
    say(f"Config files read: {files}", style="dim")


@config_app.command("path")
def config_path() -> None:
    """Print where the user's config file lives."""
    from termcrm.config import user_config_path

    typer.echo(str(user_config_path()))


@guarded
def demo(
    ctx: typer.Context,
    clients: Annotated[int, typer.Option(help="how many clients to create")] = 2000,
    seed: Annotated[int, typer.Option(help="same seed, same data")] = 1,
    replace: Annotated[
        bool, typer.Option("--replace", help="DELETE everything in the database first")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty", help="do nothing (and succeed) if the database already has clients"
        ),
    ] = False,
) -> None:
    """Fill an empty database with a realistic demo team and two years of history."""
    from termcrm.services import demo as demo_service
    from termcrm.services import org

    if clients < 1:
        raise typer.BadParameter("give at least 1 client", param_hint="--clients")
    rt = runtime(ctx)
    db = rt.database()
    if if_empty and not replace and demo_service.has_clients(db):
        say("The database already has clients; demo data not loaded.", style="yellow")
        return

    def progress(stage: str, count: int) -> None:
        err_console.print(f"  {stage}: {count:,}", style="dim", markup=False)

    summary = demo_service.load_demo(
        db,
        admin_login=org.os_login(),
        clients=clients,
        seed=seed,
        replace=replace,
        progress=progress,
    )
    counts = {k: v for k, v in dataclasses.asdict(summary).items() if isinstance(v, int)}
    say("Demo data loaded: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    say(
        "Try: termcrm (the app) | termcrm client list | termcrm client find ромашка",
        style="dim",
    )


def has_terminal() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def open_app(rt: Runtime) -> None:
    """Start the TUI; a bad config is one line. Not @guarded: that imports the database
    stack, which the app imports in a worker after its first frame."""
    from termcrm.config import ConfigError

    if not has_terminal():
        fail(
            "the termcrm app needs a terminal (over SSH: ssh -t host termcrm); "
            "for scripts use the commands: termcrm --help"
        )
    try:
        settings = rt.settings
    except ConfigError as exc:
        fail(str(exc))
    from termcrm.app import make_app

    app = make_app(settings=settings)
    app.run()
    if app.return_code:
        raise typer.Exit(app.return_code)
