"""`termcrm deal ...`: deals in the sales pipeline."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from termcrm.cli.output import (
    AfterOpt,
    Format,
    FormatOpt,
    LimitOpt,
    emit,
    emit_page,
    emit_record,
    say,
)
from termcrm.cli.parse import parse_date
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(help="Deals: add, list, show, move between stages.", no_args_is_help=True)
COLUMNS = [
    ("ID", lambda d: d.id),
    ("Deal", lambda d: d.title),
    ("Client", lambda d: d.client),
    ("Stage", lambda d: d.stage),
    ("Amount", lambda d: d.amount),
    ("Cur", lambda d: d.currency),
    ("Close by", lambda d: d.expected_close),
    ("Owner", lambda d: d.owner),
]


@app.command()
@guarded
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what is being sold")],
    client: Annotated[int, typer.Option(help="client id")],
    amount: Annotated[str, typer.Option(help="e.g. 150000 or 150000.50")] = "0",
    currency: Annotated[str, typer.Option(help="ISO code: RUB, USD, CNY, EUR")] = "RUB",
    stage: Annotated[str | None, typer.Option(help="stage name (default: the first)")] = None,
    contact: Annotated[int | None, typer.Option(help="contact person id")] = None,
    owner: Annotated[str | None, typer.Option(help="login (default: you)")] = None,
    close_by: Annotated[str | None, typer.Option(help="expected close date YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option()] = "",
    kind: Annotated[
        str, typer.Option(help="the type of deal: new business, repeat sale, upsell…")
    ] = "",
    competitor: Annotated[str, typer.Option()] = "",
    description: Annotated[str, typer.Option()] = "",
    pipeline: Annotated[
        str | None, typer.Option(help="pipeline id or name (default: the default pipeline)")
    ] = None,
) -> None:
    """Open a deal with a client."""
    from termcrm.services import deals, org

    rt = runtime(ctx)
    actor = rt.actor
    expected = parse_date(close_by, option="--close-by")
    with rt.write() as s:
        owner_id = org.get_user(s, owner).id if owner else None
        deal = deals.add_deal(
            s,
            actor,
            title=title,
            client_id=client,
            amount=amount,
            currency=currency,
            stage=stage,
            contact_id=contact,
            owner_id=owner_id,
            expected_close=expected,
            source=source,
            competitor=competitor,
            description=description,
            pipeline=pipeline,
            kind=kind,
        )
    say(
        f"Opened deal {deal.id}: {deal.title} with {deal.client}, {deal.amount:,.2f} "
        f"{deal.currency}, stage {deal.stage}"
    )


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    mine: Annotated[bool, typer.Option("--mine", help="only deals you own")] = False,
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only deals still open")] = False,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Deals you may see, newest first."""
    from termcrm.services import deals

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        page = deals.list_deals(
            s,
            actor,
            deals.DealFilter(
                scope="mine" if mine else "all", client_id=client, open_only=open_only
            ),
            after=after,
            limit=limit,
        )
    emit_page(page, COLUMNS, fmt, empty="No deals.")


@app.command()
@guarded
def show(
    ctx: typer.Context, deal_id: Annotated[int, typer.Argument()], fmt: FormatOpt = Format.table
) -> None:
    """Show a deal."""
    from termcrm.cli.output import to_json
    from termcrm.services import deal_items, deals

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        d = deals.get_deal(s, actor, deal_id)
        lines = deal_items.items_of(s, actor, deal_id)
        moves = deals.stage_history(s, actor, deal_id)
    if fmt is not Format.table:
        # the deal's fields as before, with its lines and its stage history beside them
        typer.echo(
            to_json(
                {
                    **dataclasses.asdict(d),
                    "items": [dataclasses.asdict(i) for i in lines.items],
                    "stage_history": [dataclasses.asdict(m) for m in moves],
                }
            )
        )
        return
    follows = " (the lines' total)" if d.amount_from_items else ""
    emit_record(
        [
            ("Client", f"{d.client} (#{d.client_id})"),
            ("Stage", d.stage),
            ("Amount", f"{d.amount:,.2f} {d.currency}{follows}"),
            ("Owner", d.owner),
            ("Expected close", d.expected_close),
            ("Type", d.kind),
            ("Source", d.source),
            ("Competitor", d.competitor),
            ("Lost reason", d.lost_reason),
            ("Description", d.description),
            ("In stage since", d.stage_changed_at),
            ("Closed", d.closed_at),
        ],
        title=f"{d.title}  #{d.id} v{d.version}",
        tz=rt.settings.tz,
    )
    if lines.items:
        from termcrm.cli.deal_lines import LINE_COLUMNS

        emit(
            lines.items, LINE_COLUMNS, Format.table, title=f"Lines: {lines.total:,.2f} {d.currency}"
        )
    emit(
        moves,
        [
            ("When", lambda m: m.changed_at),
            ("From", lambda m: m.from_stage),
            ("To", lambda m: m.to_stage),
            ("By", lambda m: m.user),
        ],
        Format.table,
        title="Stage history",
        tz=rt.settings.tz,
    )


@app.command()
@guarded
def move(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument()],
    stage: Annotated[str, typer.Argument(help="stage name, e.g. Proposal, Won, Lost")],
    reason: Annotated[str, typer.Option(help="why it was lost (required for Lost)")] = "",
    version: Annotated[int | None, typer.Option(help="the version you saw")] = None,
) -> None:
    """Move a deal to another stage (kept in its stage history)."""
    from termcrm.services import deals

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        current = deals.get_deal(s, actor, deal_id)
        d = deals.move_deal(
            s,
            actor,
            deal_id,
            stage=stage,
            lost_reason=reason,
            version=current.version if version is None else version,
        )
    say(f"Deal {d.id} is now in stage {d.stage}.")


@app.command()
@guarded
def stages(
    ctx: typer.Context,
    pipeline: Annotated[
        str | None, typer.Option(help="pipeline id or name (default: the default pipeline)")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The stages of a pipeline (default: the default pipeline), in order."""
    from termcrm.services import deals, pipelines

    rt = runtime(ctx)
    rt.actor  # noqa: B018 - identify the user before touching data
    with rt.write() as s:  # a fresh database gets its default pipeline here
        pid = None if pipeline is None else pipelines.pipeline_id(s, pipeline)
        items = deals.stages(s, pid)
    emit(
        items,
        [
            ("ID", lambda x: x.id),
            ("Stage", lambda x: x.name),
            ("Probability %", lambda x: x.probability),
            ("Outcome", lambda x: x.outcome),
        ],
        fmt,
    )
