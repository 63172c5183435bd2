"""The `termcrm` command. Command modules import services lazily, so --help is fast."""

from __future__ import annotations

from typing import Annotated

import typer

from termcrm import __version__
from termcrm.cli import (
    admin,
    clients,
    contacts,
    dates,
    deal_lines,
    deals,
    export,
    funnel,
    imports,
    journal,
    pipelines,
    planner,
    plans,
    products,
    reports,
    system,
    tasks,
    today,
)
from termcrm.cli.runtime import Runtime

app = typer.Typer(
    name="termcrm",
    help="termcrm: a keyboard-first CRM for sales teams that work in a terminal.",
    invoke_without_command=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"termcrm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="database: an SQLite file path or postgresql://user@host/dbname "
            "(else TERMCRM_DATABASE_URL, the config file, or the default file)",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """With no command, opens the termcrm app (the TUI) on the database."""
    ctx.obj = Runtime(db_flag=db)
    if ctx.invoked_subcommand is None:
        from termcrm.cli.system import open_app

        open_app(ctx.obj)


app.add_typer(clients.app, name="client")
app.add_typer(contacts.app, name="contact")
app.command("log")(journal.log)
app.command("journal")(journal.journal_list)
app.add_typer(tasks.app, name="task")
app.command("today")(today.today)
app.add_typer(dates.app, name="dates")
app.add_typer(planner.app, name="planner")
app.add_typer(pipelines.app, name="pipeline")
app.add_typer(deals.app, name="deal")  # with its lines and proposal (deal_lines)
app.add_typer(products.app, name="product")
app.add_typer(products.price_lists, name="price-list")
app.add_typer(plans.app, name="plan")
app.command("funnel")(funnel.funnel)
app.command("forecast")(funnel.forecast)
app.command("history")(system.history)
app.add_typer(reports.app, name="report")
app.add_typer(imports.app, name="import")
app.command("export")(export.export)
app.add_typer(export.segments, name="segment")
app.add_typer(admin.users, name="user")
app.add_typer(admin.depts, name="dept")
app.add_typer(admin.fields, name="field")
app.command("demo")(system.demo)
app.add_typer(system.db_app, name="db")
app.add_typer(system.config_app, name="config")


assert deal_lines.app is deals.app  # deal_lines adds its commands to `termcrm deal`


def main() -> None:
    app()
