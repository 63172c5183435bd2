"""`termcrm client ...`: the client card file from the shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from termcrm.cli.output import (
    AfterOpt,
    Day,
    Format,
    FormatOpt,
    LimitOpt,
    emit,
    emit_record,
    more_hint,
    say,
)
from termcrm.cli.parse import parse_address, parse_pairs
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(
    help="Clients: list, find, show, add, edit, delete, restore.", no_args_is_help=True
)

ROW_COLUMNS = [
    ("ID", lambda r: r.id),
    ("Name", lambda r: r.name),
    ("Group", lambda r: r.group),
    ("Status", lambda r: r.status),
    ("City", lambda r: r.city),
    ("Owner", lambda r: r.owner),
    ("Last contact", lambda r: Day(r.last_interaction_at)),
]


def _fields(
    *,
    name: str | None = None,
    kind: str | None = None,
    legal_name: str | None = None,
    tax_id: str | None = None,
    group: str | None = None,
    status: str | None = None,
    industry: str | None = None,
    territory: str | None = None,
    city: str | None = None,
    source: str | None = None,
    website: str | None = None,
    bank_details: str | None = None,
    info: str | None = None,
    parent: int | None = None,
    phones: list[str] | None = None,
    emails: list[str] | None = None,
    tags: list[str] | None = None,
    addresses: list[str] | None = None,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in (
        ("name", name),
        ("kind", kind),
        ("legal_name", legal_name),
        ("tax_id", tax_id),
        ("group", group),
        ("status", status),
        ("industry", industry),
        ("territory", territory),
        ("city", city),
        ("source", source),
        ("website", website),
        ("bank_details", bank_details),
        ("business_info", info),
        ("parent_id", parent),
    ):
        if value is not None:
            data[key] = value
    if phones:
        data["phones"] = [p for p in phones if p]
    if emails:
        data["emails"] = [e for e in emails if e]
    if tags:
        data["tags"] = [t for t in tags if t]
    if addresses:
        data["addresses"] = [parse_address(a) for a in addresses if a]
    if fields:
        data["custom"] = parse_pairs(fields, option="--field")
    return data


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option(help="all (all you may see), mine or department")] = "all",
    mine: Annotated[bool, typer.Option("--mine", help="only clients you own")] = False,
    owner: Annotated[str | None, typer.Option(help="owner's login")] = None,
    group: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option()] = None,
    territory: Annotated[str | None, typer.Option()] = None,
    city: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[str | None, typer.Option()] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="custom field key=value")
    ] = None,
    trash: Annotated[bool, typer.Option("--trash", help="list deleted clients")] = False,
    sort: Annotated[
        str,
        typer.Option(help="name, created, updated, status, city, group, id; prefix - to reverse"),
    ] = "name",
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    all_pages: Annotated[bool, typer.Option("--all-pages", help="print every page")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List clients you may see, a page at a time."""
    from termcrm.services import client_lists, org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        flt = client_lists.ClientFilter(
            scope="mine" if mine else scope,
            owner_id=org.get_user(s, owner).id if owner else None,
            group=group,
            status=status,
            territory=territory,
            city=city,
            tag=tag,
            custom=tuple(parse_pairs(field, option="--field").items()),
            deleted=trash,
        )
        items = []
        cursor = after
        while True:
            page = client_lists.list_clients(s, actor, flt, sort=sort, after=cursor, limit=limit)
            items.extend(page.items)
            cursor = page.next_cursor
            if not all_pages or cursor is None:
                break
    emit(
        items,
        ROW_COLUMNS,
        fmt,
        tz=rt.settings.tz,
        title="Trash" if trash else "",
        empty="No clients match.",
    )
    if cursor and not all_pages:
        more_hint(cursor, "or --all-pages")


@app.command()
@guarded
def find(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="part of a name, tax id, city, email, phone or contact name")
    ],
    limit: Annotated[int, typer.Option(help="how many to show")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find clients by any part of their names, tax id, city, emails, phones or contacts."""
    from termcrm.services import client_lists

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        result = client_lists.search_clients(s, actor, text, limit=limit)
    emit(result.items, ROW_COLUMNS, fmt, tz=rt.settings.tz, empty=f"No client matches '{text}'.")
    if fmt is Format.table and result.items:
        total = f"{result.total:,}+" if result.more else f"{result.total:,}"
        say(f"{total} match(es)", style="dim")


@app.command()
@guarded
def show(
    ctx: typer.Context,
    client_id: Annotated[int, typer.Argument(help="client id")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Show a client card: details, contacts, latest journal entries, open tasks, deals."""
    from termcrm.cli.output import to_json
    from termcrm.services import clients, contacts, deals, journal, tasks

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        card = clients.get_client(s, actor, client_id, include_deleted=True)
        people, recent, todo, client_deals = [], [], [], []
        if card.deleted_at is None:  # a card in the trash shows its own fields only
            people = contacts.list_contacts(s, actor, client_id=client_id, limit=50).items
            recent = journal.list_interactions(
                s, actor, journal.JournalFilter(client_id=client_id), limit=5
            ).items
            todo = tasks.list_tasks(s, actor, tasks.TaskFilter(client_id=client_id), limit=10).items
            client_deals = deals.list_deals(
                s, actor, deals.DealFilter(client_id=client_id), limit=20
            ).items
    if fmt is not Format.table:
        typer.echo(
            to_json(
                {
                    "client": card,
                    "contacts": people,
                    "journal": recent,
                    "tasks": todo,
                    "deals": client_deals,
                }
            )
        )
        return
    tz = rt.settings.tz
    title = f"{card.name}  #{card.id} v{card.version}"
    if card.deleted_at:
        say(
            f"This client is in the trash; `termcrm client restore {card.id}` brings it back.",
            style="yellow",
        )
    emit_record(
        [
            ("Kind", card.kind),
            ("Legal name", card.legal_name),
            ("Tax id", card.tax_id),
            ("Group", card.group),
            ("Status", card.status),
            ("Industry", card.industry),
            ("Territory", card.territory),
            ("City", card.city),
            ("Source", card.source),
            ("Owner", card.owner),
            ("Department", card.department),
            ("Branch of", card.parent_id),
            (
                "Phones",
                [p.raw for p in card.phones],
            ),
            ("Emails", [e.address for e in card.emails]),
            ("Addresses", [f"{a.kind}: {a.line}" for a in card.addresses]),
            ("Website", card.website),
            ("Bank details", card.bank_details),
            ("Business info", card.business_info),
            ("Tags", card.tags),
            ("Custom fields", card.custom),
            ("Last contact", card.last_interaction_at),
            ("Created", card.created_at),
            ("Updated", card.updated_at),
            ("Deleted", card.deleted_at),
        ],
        title=title,
        tz=tz,
    )
    if people:
        emit(
            people,
            [
                ("ID", lambda c: c.id),
                ("Contact", lambda c: c.full_name),
                ("Position", lambda c: c.position),
                ("Phones", lambda c: [p.raw for p in c.phones]),
                ("Emails", lambda c: [e.address for e in c.emails]),
                ("Birthday", lambda c: c.birthday),
            ],
            Format.table,
            title="Contacts",
        )
    if recent:
        emit(
            recent,
            [
                ("When", lambda i: i.occurred_at),
                ("Kind", lambda i: i.kind),
                ("Who", lambda i: i.user),
                ("Contact", lambda i: i.contact),
                ("Purpose", lambda i: i.purpose),
                ("Result", lambda i: i.result),
            ],
            Format.table,
            title="Latest in the journal",
            tz=tz,
        )
    if todo:
        emit(
            todo,
            [
                ("Due", lambda t: t.due_at),
                ("Task", lambda t: t.title),
                ("Assignee", lambda t: t.assignee),
            ],
            Format.table,
            title="Open tasks",
            tz=tz,
        )
    if client_deals:
        emit(
            client_deals,
            [
                ("ID", lambda d: d.id),
                ("Deal", lambda d: d.title),
                ("Stage", lambda d: d.stage),
                ("Amount", lambda d: f"{d.amount:,.2f} {d.currency}"),
            ],
            Format.table,
            title="Deals",
        )


PhoneOpt = Annotated[list[str] | None, typer.Option("--phone", help="repeat for several")]
EmailOpt = Annotated[list[str] | None, typer.Option("--email", help="repeat for several")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="repeat for several")]
AddressOpt = Annotated[
    list[str] | None, typer.Option("--address", help="'City, street 1' or 'legal: City, street 1'")
]
FieldOpt = Annotated[list[str] | None, typer.Option("--field", help="custom field key=value")]


@app.command()
@guarded
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="the name people use")],
    kind: Annotated[str, typer.Option(help="company or person")] = "company",
    legal_name: Annotated[str | None, typer.Option()] = None,
    tax_id: Annotated[
        str | None, typer.Option(help="INN: 10 digits (company), 12 (person)")
    ] = None,
    group: Annotated[str | None, typer.Option()] = None,
    status: Annotated[
        str | None, typer.Option(help="lead, prospect, new, active, loyal, lapsed, lost")
    ] = None,
    industry: Annotated[str | None, typer.Option()] = None,
    territory: Annotated[str | None, typer.Option()] = None,
    city: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option()] = None,
    website: Annotated[str | None, typer.Option()] = None,
    bank_details: Annotated[str | None, typer.Option()] = None,
    info: Annotated[str | None, typer.Option(help="business information")] = None,
    owner: Annotated[str | None, typer.Option(help="owner's login (default: you)")] = None,
    parent: Annotated[int | None, typer.Option(help="id of the head client of this branch")] = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    tag: TagOpt = None,
    address: AddressOpt = None,
    field: FieldOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a client."""
    from termcrm.cli.output import to_json
    from termcrm.services import clients, org

    rt = runtime(ctx)
    actor = rt.actor
    data = _fields(
        name=name,
        kind=kind,
        legal_name=legal_name,
        tax_id=tax_id,
        group=group,
        status=status,
        industry=industry,
        territory=territory,
        city=city,
        source=source,
        website=website,
        bank_details=bank_details,
        info=info,
        parent=parent,
        phones=phone,
        emails=email,
        tags=tag,
        addresses=address,
        fields=field,
    )
    with rt.write() as s:
        if owner:
            data["owner_id"] = org.get_user(s, owner).id
        card = clients.create_client(s, actor, data)
    if fmt is Format.table:
        say(f"Added client {card.id}: {card.name} (owner {card.owner})")
    else:
        typer.echo(to_json(card))


@app.command()
@guarded
def edit(
    ctx: typer.Context,
    client_id: Annotated[int, typer.Argument(help="client id")],
    version: Annotated[
        int | None,
        typer.Option(
            help="the version you saw (from `client show`); refused if somebody saved since"
        ),
    ] = None,
    name: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    legal_name: Annotated[str | None, typer.Option()] = None,
    tax_id: Annotated[str | None, typer.Option()] = None,
    group: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option()] = None,
    industry: Annotated[str | None, typer.Option()] = None,
    territory: Annotated[str | None, typer.Option()] = None,
    city: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option()] = None,
    website: Annotated[str | None, typer.Option()] = None,
    bank_details: Annotated[str | None, typer.Option()] = None,
    info: Annotated[str | None, typer.Option(help="business information")] = None,
    owner: Annotated[str | None, typer.Option(help="hand over to this login")] = None,
    parent: Annotated[int | None, typer.Option(help="head client id (0 = none)")] = None,
    phone: Annotated[
        list[str] | None, typer.Option("--phone", help="replaces all phones; repeat for several")
    ] = None,
    email: Annotated[
        list[str] | None, typer.Option("--email", help="replaces all emails; repeat for several")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="replaces all tags; repeat for several")
    ] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag")] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag")] = None,
    address: AddressOpt = None,
    field: FieldOpt = None,
) -> None:
    """Change a client. Only the options you give change; the change is recorded in history."""
    from termcrm.services import clients, org

    rt = runtime(ctx)
    actor = rt.actor
    data = _fields(
        name=name,
        kind=kind,
        legal_name=legal_name,
        tax_id=tax_id,
        group=group,
        status=status,
        industry=industry,
        territory=territory,
        city=city,
        source=source,
        website=website,
        bank_details=bank_details,
        info=info,
        phones=phone,
        emails=email,
        tags=tag,
        addresses=address,
        fields=field,
    )
    if parent is not None:
        data["parent_id"] = parent or None
    with rt.write() as s:
        current = clients.get_client(s, actor, client_id)
        if owner:
            data["owner_id"] = org.get_user(s, owner).id
        if add_tag or remove_tag:
            tags = set(data.get("tags", current.tags)) | set(add_tag or [])
            data["tags"] = sorted(tags - set(remove_tag or []))
        if not data:
            raise typer.BadParameter("give at least one field to change")
        card = clients.update_client(
            s,
            actor,
            client_id,
            version=current.version if version is None else version,
            changes=data,
        )
    if card.version == current.version:
        say(f"Client {card.id} already had these values; nothing changed.", style="yellow")
    else:
        say(f"Saved client {card.id} (version {card.version}).")


@app.command()
@guarded
def delete(
    ctx: typer.Context,
    client_id: Annotated[int, typer.Argument(help="client id")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Move a client to the trash; `client restore` brings it back."""
    from termcrm.services import clients

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        card = clients.get_client(s, actor, client_id)
    if not yes and not typer.confirm(
        f"Move '{card.name}' (#{card.id}) to the trash?", default=False
    ):
        raise typer.Exit(1)
    with rt.write() as s:
        clients.delete_client(s, actor, client_id, version=card.version)
    say(
        f"Client {client_id} moved to the trash; `termcrm client restore {client_id}` "
        "brings it back."
    )


@app.command()
@guarded
def restore(
    ctx: typer.Context, client_id: Annotated[int, typer.Argument(help="client id")]
) -> None:
    """Bring a client back from the trash."""
    from termcrm.services import clients

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        card = clients.restore_client(s, actor, client_id)
    say(f"Client {card.id} ({card.name}) restored.")


@app.command()
@guarded
def reassign(
    ctx: typer.Context,
    client_ids: Annotated[list[int], typer.Argument(help="client ids")],
    to: Annotated[str, typer.Option("--to", help="the new owner's login")],
) -> None:
    """Hand clients to another owner, all or nothing (managers and above)."""
    from termcrm.services import clients, org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        owner = org.get_user(s, to)
        edits = [
            clients.ClientEdit(c, clients.get_client(s, actor, c).version, {"owner_id": owner.id})
            for c in client_ids
        ]
        clients.update_clients(s, actor, edits)
    say(f"{len(client_ids)} client(s) now belong to {owner.full_name or owner.login}.")
