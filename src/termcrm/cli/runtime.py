"""What every command needs: settings, the database, the acting user, and one error policy.

User errors (a CrmError, a bad config, an unreachable database) print one line
to stderr and exit with code 1; usage errors are Typer's and exit with code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.config import Settings
    from termcrm.services.actor import Actor
    from termcrm.services.schema import Database

T = TypeVar("T")
err_console = Console(stderr=True, highlight=False)


@dataclass
class Runtime:
    db_flag: str | None = None
    _settings: Settings | None = None
    _db: Database | None = None
    _actor: Actor | None = field(default=None)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from termcrm.config import load_settings

            self._settings = load_settings(self.db_flag)
        return self._settings

    def database(self, *, check_schema: bool = True) -> Database:
        if self._db is None:
            from termcrm.services import schema

            self._db = schema.open_database(self.settings.database_url)
            if check_schema:
                ensure_schema(self._db)
        return self._db

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            from termcrm.services import org

            login, region = org.os_login(), self.settings.phone_region
            with self.database().read() as s:
                self._actor = org.known_actor(s, login, phone_region=region)
            if self._actor is None:  # first user of the database, or an explanation why not
                with self.database().write() as s:
                    self._actor = org.resolve_actor(s, login, phone_region=region)
        return self._actor

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.database().read() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.database().write() as s:
            yield s


def ensure_schema(db: Database) -> None:
    """A brand-new database is created by the migrations; an old one must be upgraded first."""
    from termcrm.services import schema

    try:
        created = schema.prepare(db, _where(db))
    except schema.SchemaError as exc:
        fail(str(exc))
    if created:
        err_console.print(f"Created a new termcrm database at {_where(db)}", style="dim")


def _where(db: Database) -> str:
    from termcrm.config import masked_url

    url = masked_url(db.url)
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"error: {message}", style="red", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def runtime(ctx: typer.Context) -> Runtime:
    obj = ctx.find_root().obj
    if not isinstance(obj, Runtime):
        obj = Runtime()
        ctx.find_root().obj = obj
    return obj


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn user errors raised by a command into one-line messages and exit code 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

        from termcrm.config import ConfigError
        from termcrm.services.errors import CrmError, Invalid

        try:
            return fn(*args, **kwargs)
        except Invalid as exc:
            fail("; ".join(f"{option_label(k)}: {v}" for k, v in exc.errors.items()))
        except (CrmError, ConfigError) as exc:
            fail(str(exc))
        except DatabaseError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            fail(f"cannot use the database: {reason}")
        except (ArgumentError, NoSuchModuleError):
            fail(
                "termcrm works with SQLite (a file path) or PostgreSQL "
                "(postgresql://user@host/dbname); check --db, TERMCRM_DATABASE_URL or the "
                "config file (`termcrm config show`)"
            )

    return wrapper


# service field names that the command line spells differently
OPTION_NAMES = {
    "phones": "--phone",
    "emails": "--email",
    "tags": "--tag",
    "addresses": "--address",
    "full_name": "--name",
    "parent_id": "--parent",
    "owner_id": "--owner",
    "lost_reason": "--reason",
    "business_info": "--info",
    "character_notes": "--character",
    "due_at": "--due",
    "occurred_at": "--when",
    "birthday_remind_days": "--remind-days",
}


# fields that are arguments (or no option at all) in some commands: named without "--"
PLAIN_NAMES = ("role", "kind", "entity", "database", "stage", "login", "id")


def option_label(field: str) -> str:
    """How a field named by a service error is called on the command line."""
    if field.startswith("custom."):
        return f"--field {field.removeprefix('custom.')}"
    if field in PLAIN_NAMES:
        return field
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()
