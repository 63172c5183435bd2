"""`termcrm contact ...`: contact persons of clients."""

from __future__ import annotations

from typing import Annotated, Any

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
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(help="Contact persons: add, edit, list, show, delete.", no_args_is_help=True)
COLUMNS = [
    ("ID", lambda c: c.id),
    ("Name", lambda c: c.full_name),
    ("Position", lambda c: c.position),
    ("Client", lambda c: c.client),
    ("Phones", lambda c: [p.raw for p in c.phones]),
    ("Emails", lambda c: [e.address for e in c.emails]),
    ("Birthday", lambda c: c.birthday),
]


def _data(
    name: str | None,
    position: str | None,
    birthday: str | None,
    character: str | None,
    notes: str | None,
    phones: list[str] | None,
    emails: list[str] | None,
    remind_days: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if remind_days is not None:
        data["birthday_remind_days"] = remind_days
    for key, value in (
        ("full_name", name),
        ("position", position),
        ("birthday", birthday),
        ("character_notes", character),
        ("notes", notes),
    ):
        if value is not None:
            data[key] = value
    if phones:
        data["phones"] = phones
    if emails:
        data["emails"] = emails
    return data


NameOpt = Annotated[str | None, typer.Option("--name", help="full name")]
PositionOpt = Annotated[str | None, typer.Option(help="job title")]
BirthdayOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD")]
RemindOpt = Annotated[
    int | None,
    typer.Option("--remind-days", help="remind of the birthday this many days before (0-30)"),
]
CharacterOpt = Annotated[str | None, typer.Option(help="character notes: how to deal with them")]
NotesOpt = Annotated[str | None, typer.Option()]
PhoneOpt = Annotated[list[str] | None, typer.Option("--phone", help="repeat for several")]
EmailOpt = Annotated[list[str] | None, typer.Option("--email", help="repeat for several")]


@app.command()
@guarded
def add(
    ctx: typer.Context,
    client: Annotated[int, typer.Option(help="client id")],
    name: NameOpt = None,
    position: PositionOpt = None,
    birthday: BirthdayOpt = None,
    remind_days: RemindOpt = None,
    character: CharacterOpt = None,
    notes: NotesOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
) -> None:
    """Add a contact person to a client."""
    from termcrm.services import contacts

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        c = contacts.create_contact(
            s,
            actor,
            client,
            _data(name, position, birthday, character, notes, phone, email, remind_days),
        )
    say(f"Added contact {c.id}: {c.full_name} at {c.client}")


@app.command()
@guarded
def edit(
    ctx: typer.Context,
    contact_id: Annotated[int, typer.Argument(help="contact id")],
    version: Annotated[int | None, typer.Option(help="the version you saw")] = None,
    name: NameOpt = None,
    position: PositionOpt = None,
    birthday: BirthdayOpt = None,
    remind_days: RemindOpt = None,
    character: CharacterOpt = None,
    notes: NotesOpt = None,
    phone: Annotated[list[str] | None, typer.Option("--phone", help="replaces all phones")] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="replaces all emails")] = None,
) -> None:
    """Change a contact person; only the options you give change."""
    from termcrm.services import contacts

    rt = runtime(ctx)
    actor = rt.actor
    data = _data(name, position, birthday, character, notes, phone, email, remind_days)
    if not data:
        raise typer.BadParameter("give at least one field to change")
    with rt.write() as s:
        current = contacts.get_contact(s, actor, contact_id)
        c = contacts.update_contact(
            s,
            actor,
            contact_id,
            version=current.version if version is None else version,
            changes=data,
        )
    say(f"Saved contact {c.id} (version {c.version}).")


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    client: Annotated[int | None, typer.Option(help="only this client's contacts")] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Contact persons you may see, by name."""
    from termcrm.services import contacts

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        page = contacts.list_contacts(s, actor, client_id=client, after=after, limit=limit)
    emit_page(page, COLUMNS, fmt, empty="No contact persons.")


@app.command()
@guarded
def show(
    ctx: typer.Context, contact_id: Annotated[int, typer.Argument()], fmt: FormatOpt = Format.table
) -> None:
    """Show a contact person and the latest interactions with them."""
    from termcrm.cli.output import to_json
    from termcrm.services import contacts, journal

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        c = contacts.get_contact(s, actor, contact_id)
        recent = journal.list_interactions(
            s, actor, journal.JournalFilter(contact_id=contact_id), limit=10
        ).items
    if fmt is not Format.table:
        typer.echo(to_json({"contact": c, "journal": recent}))
        return
    if c.deleted_at:
        say("This contact person was deleted.", style="yellow")
    emit_record(
        [
            ("Client", f"{c.client} (#{c.client_id})"),
            ("Position", c.position),
            ("Phones", [p.raw for p in c.phones]),
            ("Emails", [e.address for e in c.emails]),
            ("Birthday", c.birthday),
            (
                "Reminder",
                f"{c.birthday_remind_days} days before"
                if c.birthday and c.birthday_remind_days
                else "",
            ),
            ("Character", c.character_notes),
            ("Notes", c.notes),
        ],
        title=f"{c.full_name}  #{c.id} v{c.version}",
    )
    emit(
        recent,
        [
            ("When", lambda i: i.occurred_at),
            ("Kind", lambda i: i.kind),
            ("Who", lambda i: i.user),
            ("Purpose", lambda i: i.purpose),
            ("Result", lambda i: i.result),
        ],
        Format.table,
        title="Journal",
        tz=rt.settings.tz,
        empty="No interactions with this person yet.",
    )


@app.command()
@guarded
def delete(
    ctx: typer.Context,
    contact_id: Annotated[int, typer.Argument()],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Delete a contact person (the record and its history are kept)."""
    from termcrm.services import contacts

    rt = runtime(ctx)
    actor = rt.actor
    with rt.read() as s:
        c = contacts.get_contact(s, actor, contact_id)
    if not yes and not typer.confirm(
        f"Delete contact '{c.full_name}' of {c.client}?", default=False
    ):
        raise typer.Exit(1)
    with rt.write() as s:
        contacts.delete_contact(s, actor, contact_id)
    say(f"Contact {contact_id} ({c.full_name}) deleted.")
