"""Users, departments and custom fields: `termcrm user|dept|field ...`."""

from __future__ import annotations

from typing import Annotated

import typer

from termcrm.cli.output import Format, FormatOpt, emit, say
from termcrm.cli.runtime import guarded, runtime

users = typer.Typer(
    help="Users (admins add them; the login is the OS account name).", no_args_is_help=True
)
depts = typer.Typer(help="Departments (a tree).", no_args_is_help=True)
fields = typer.Typer(help="Custom fields of clients, contacts and deals.", no_args_is_help=True)
USER_COLUMNS = [
    ("Login", lambda u: u.login),
    ("Name", lambda u: u.full_name),
    ("Role", lambda u: u.role),
    ("Department", lambda u: u.department),
    ("Active", lambda u: "yes" if u.active else "no"),
]


@users.command("add")
@guarded
def user_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="the user's OS login on this machine")],
    role: Annotated[str, typer.Option(help="rep, manager, director or admin")],
    department: Annotated[str | None, typer.Option(help="name, path or id")] = None,
    name: Annotated[str, typer.Option(help="full name")] = "",
) -> None:
    """Add a user (admins only)."""
    from termcrm.services import org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        u = org.add_user(s, actor, login, role=role, department=department, full_name=name)
    say(
        f"Added {u.role} {u.login} ({u.full_name})"
        + (f" in {u.department}" if u.department else "")
    )


@users.command("list")
@guarded
def user_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="include deactivated")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List users."""
    from termcrm.services import org

    rt = runtime(ctx)
    rt.actor  # noqa: B018 - only termcrm users may list users
    with rt.read() as s:
        items = org.list_users(s, include_inactive=all_)
    emit(items, USER_COLUMNS, fmt)


@users.command("set-role")
@guarded
def user_set_role(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="rep, manager, director or admin")],
    department: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change a user's role (and department)."""
    from termcrm.services import org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        u = org.update_user(s, actor, login, role=role, department=department)
    say(f"{u.login} is now {u.role}" + (f" in {u.department}" if u.department else ""))


@users.command("deactivate")
@guarded
def user_deactivate(ctx: typer.Context, login: Annotated[str, typer.Argument()]) -> None:
    """Stop a user from using termcrm (their records stay)."""
    from termcrm.services import org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        org.update_user(s, actor, login, active=False)
    say(f"{login} is deactivated.")


@users.command("whoami")
@guarded
def user_whoami(ctx: typer.Context) -> None:
    """Who termcrm thinks you are."""
    rt = runtime(ctx)
    a = rt.actor
    say(f"{a.login} ({a.display}), {a.role}", style="")


@depts.command("add")
@guarded
def dept_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    parent: Annotated[str | None, typer.Option(help="parent's name, path or id")] = None,
) -> None:
    """Add a department (admins only)."""
    from termcrm.services import org

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        d = org.add_department(s, actor, name, parent)
    say(f"Added department {d.id}: {d.path}")


@depts.command("list")
@guarded
def dept_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List departments as paths."""
    from termcrm.services import org

    rt = runtime(ctx)
    rt.actor  # noqa: B018
    with rt.read() as s:
        items = org.list_departments(s)
    emit(
        items,
        [("ID", lambda d: d.id), ("Department", lambda d: d.path)],
        fmt,
        empty="No departments yet: `termcrm dept add NAME`.",
    )


@fields.command("add")
@guarded
def field_add(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="letters, digits, underscores")],
    kind: Annotated[str, typer.Option(help="number, text, date or choice")],
    label: Annotated[str, typer.Option()] = "",
    choice: Annotated[list[str] | None, typer.Option("--choice", help="repeat for each")] = None,
    entity: Annotated[str, typer.Option(help="client, contact or deal")] = "client",
    required: Annotated[bool, typer.Option("--required")] = False,
) -> None:
    """Define a custom field (admins only)."""
    from termcrm.services import custom_fields

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        f = custom_fields.define_field(
            s,
            actor,
            key=key,
            kind=kind,
            label=label,
            entity=entity,
            choices=choice,
            required=required,
        )
    say(f"Added {f.entity} field {f.key} ({f.kind})")


@fields.command("list")
@guarded
def field_list(
    ctx: typer.Context,
    entity: Annotated[str, typer.Option(help="client, contact or deal")] = "client",
    fmt: FormatOpt = Format.table,
) -> None:
    """List custom fields."""
    from termcrm.services import custom_fields

    rt = runtime(ctx)
    rt.actor  # noqa: B018
    with rt.read() as s:
        items = custom_fields.list_fields(s, entity)
    emit(
        items,
        [
            ("Key", lambda f: f.key),
            ("Label", lambda f: f.label),
            ("Kind", lambda f: f.kind),
            ("Choices", lambda f: f.choices),
            ("Required", lambda f: "yes" if f.required else ""),
        ],
        fmt,
        empty="No custom fields.",
    )
