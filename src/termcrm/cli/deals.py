"""`termcrm deal ...`: deals in the sales pipeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from termcrm.cli.funnel import DeptOpt, PipelineOpt, parse_period
from termcrm.cli.output import (
    AfterOpt,
    Column,
    Format,
    FormatOpt,
    LimitOpt,
    cell,
    console,
    emit,
    emit_record,
    more_hint,
    say,
)
from termcrm.cli.parse import parse_date
from termcrm.cli.runtime import fail, guarded, option_label, runtime

if TYPE_CHECKING:
    from termcrm.services.dto import DealOut

app = typer.Typer(help="Deals: add, list, show, edit, move between stages.", no_args_is_help=True)
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


# the terminal widths from which the list adds the days in stage, and the type of deal
WIDE_FOR_DAYS = 90
WIDE_FOR_TYPE = 110


class DealState(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"
    closed = "closed"  # won or lost
    all = "all"


class DealSort(StrEnum):  # services.deals.SORTS
    newest = "newest"
    amount = "amount"
    close = "close"
    stage_age = "stage_age"
    title_ = "title"  # (str.title is taken)
    client = "client"


class PeriodOf(StrEnum):
    created = "created"
    close = "close"


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    mine: Annotated[bool, typer.Option("--mine", help="only deals you own")] = False,
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="only deals still open (= --state open)")
    ] = False,
    pipeline: PipelineOpt = None,
    owner: Annotated[str | None, typer.Option(help="one owner's deals (login)")] = None,
    department: DeptOpt = None,
    state: Annotated[
        DealState | None,
        typer.Option(help="open, won, lost, closed (won or lost) or all (the default)"),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="2026-Q3, 2026-11, 2026 or 2026-01-01..2026-03-31 (see --by)"),
    ] = None,
    by: Annotated[
        PeriodOf | None,
        typer.Option(
            "--by", help="what --period is of: created (the default) or close (expected close)"
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="words of the deal's title or of the client's name")
    ] = None,
    sort: Annotated[
        DealSort,
        typer.Option(
            help="newest, amount (largest first), close (soonest first), stage_age "
            "(longest in its stage first), title or client"
        ),
    ] = DealSort.newest,
    reverse: Annotated[bool, typer.Option("--reverse", help="the sort the other way")] = False,
    count: Annotated[bool, typer.Option("--count", help="print only how many deals match")] = False,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Deals you may see, newest first (or in the --sort you choose), a page at a time."""
    from termcrm.i18n import _
    from termcrm.services import deals, funnel, org

    if open_only and state not in (None, DealState.open, DealState.all):
        raise typer.BadParameter(
            _("--open and --state {state} contradict each other").format(state=state.value),
            param_hint="--state",
        )
    if mine and owner:
        raise typer.BadParameter(_("give --mine or --owner, not both"), param_hint="--owner")
    if by is not None and period is None:
        raise typer.BadParameter(
            _("--by says what --period is of: give --period too"), param_hint="--by"
        )
    span = parse_period(period) if period is not None else None
    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        found = funnel.find_pipeline(s, pipeline) if pipeline else None
        flt = deals.DealFilter(
            scope="mine" if mine else "all",
            client_id=client,
            open_only=open_only,
            pipeline_id=found[0] if found else None,
            owner_id=org.get_user(s, owner).id if owner else None,
            department_id=org.find_department(s, department) if department else None,
            state=None if state in (None, DealState.all) else str(state),
            period=span,
            period_of=str(by or PeriodOf.created),
            text=search or "",
            sort=str(sort),
            reverse=reverse,
        )
        if count:
            total = deals.count_deals(s, actor, flt)
        else:
            page = deals.list_deals(s, actor, flt, after=after, limit=limit)
    if count:
        typer.echo(str(total))
        return
    emit(page.items, _list_columns(page.items), fmt, empty=_("No deals."))
    if page.next_cursor:
        more_hint(page.next_cursor, _("with the same filters and --sort"))


def _list_columns(items: Sequence[DealOut]) -> list[Column]:
    """The list's columns, and where the terminal is wide enough for them the days each
    open deal has been in its stage and (when a deal on the page has one) the type of deal."""
    from termcrm.i18n import _

    now = datetime.now(UTC)
    columns = list(COLUMNS)
    if console.width >= WIDE_FOR_DAYS:
        days: Column = (
            _("Days"),
            lambda d: "" if d.closed_at else max(0, (now - d.stage_changed_at).days),
        )
        columns.insert(4, days)
    if console.width >= WIDE_FOR_TYPE and any(d.kind for d in items):
        columns.insert(3, (_("Type"), lambda d: d.kind))
    return columns


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


# the option that sets each of update_deal's fields (for its refusals)
EDIT_OPTIONS = {
    "title": "--title",
    "amount": "--amount",
    "currency": "--currency",
    "contact_id": "--contact",
    "owner_id": "--owner",
    "expected_close": "--close-by",
    "source": "--source",
    "kind": "--kind",
    "competitor": "--competitor",
    "description": "--description",
    "lost_reason": "--lost-reason",
}


@app.command()
@guarded
def edit(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(metavar="ID")],
    title: Annotated[str | None, typer.Option()] = None,
    amount: Annotated[
        str | None, typer.Option(help="e.g. 150000 or 150000.50 (not while it follows the lines)")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="ISO code: RUB, USD, CNY, EUR")] = None,
    contact: Annotated[
        str | None, typer.Option(metavar="ID", help="contact person id, or none")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="login")] = None,
    close_by: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="expected close date YYYY-MM-DD, or none"),
    ] = None,
    source: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[
        str | None, typer.Option(help="the type of deal: new business, repeat sale, upsell…")
    ] = None,
    competitor: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    lost_reason: Annotated[
        str | None, typer.Option(help="why it was lost (a lost deal only)")
    ] = None,
    version: Annotated[int | None, typer.Option(help="the version you saw")] = None,
) -> None:
    """Change a deal: only the options you give change (its stage: `deal move`)."""
    from termcrm.i18n import _
    from termcrm.services import deals, org
    from termcrm.services.errors import Invalid

    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("title", title),
            ("amount", amount),
            ("currency", currency),
            ("source", source),
            ("kind", kind),
            ("competitor", competitor),
            ("description", description),
            ("lost_reason", lost_reason),
        )
        if value is not None
    }
    if contact is not None:
        changes["contact_id"] = _optional_id(contact, option="--contact")
    if close_by is not None:
        changes["expected_close"] = (
            None if _is_none(close_by) else parse_date(close_by, option="--close-by")
        )
    if owner is None and not changes:
        raise typer.BadParameter(_("give at least one field to change"))
    rt = runtime(ctx)
    actor = rt.actor
    try:
        with rt.write() as s:
            before = deals.get_deal(s, actor, deal_id)
            if owner is not None:
                changes["owner_id"] = org.get_user(s, owner).id
            after = deals.update_deal(
                s,
                actor,
                deal_id,
                version=before.version if version is None else version,
                changes=changes,
            )
    except Invalid as exc:
        fail(
            "; ".join(
                f"{EDIT_OPTIONS.get(k) or option_label(k)}: {v}" for k, v in exc.errors.items()
            )
        )
    changed = [(label, old, new) for label, old, new in _shown_changes(before, after) if old != new]
    if not changed:
        say(_("Nothing changed: deal {id} already had these values.").format(id=deal_id), "yellow")
        return
    say(_("Saved deal {id} (version {version}):").format(id=after.id, version=after.version))
    for label, old, new in changed:
        console.print(Text.assemble((f"  {label}: ", "bold"), f"{old} → {new}"))


def _is_none(text: str) -> bool:
    return text.strip().casefold() in ("", "none", "-")


def _optional_id(text: str, *, option: str) -> int | None:
    from termcrm.i18n import _

    if _is_none(text):
        return None
    if not text.strip().isdigit():
        raise typer.BadParameter(
            _("'{text}' is not an id (a number, or none)").format(text=text), param_hint=option
        )
    return int(text)


def _shown_changes(before: DealOut, after: DealOut) -> list[tuple[str, str, str]]:
    """(label, before, after) of every editable field, as a person reads them."""
    from termcrm.i18n import _

    def shown(d: DealOut, key: str) -> str:
        if key == "owner_id":
            return d.owner
        if key == "contact_id":
            return "" if d.contact_id is None else f"#{d.contact_id}"
        return cell(getattr(d, key))

    labels = {
        "title": _("Title"),
        "amount": _("Amount"),
        "currency": _("Currency"),
        "contact_id": _("Contact"),
        "owner_id": _("Owner"),
        "expected_close": _("Expected close"),
        "source": _("Source"),
        "kind": _("Type"),
        "competitor": _("Competitor"),
        "description": _("Description"),
        "lost_reason": _("Lost reason"),
    }
    return [
        (label, shown(before, key) or "—", shown(after, key) or "—")
        for key, label in labels.items()
    ]


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
