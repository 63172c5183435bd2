"""A long-running front end's hold on the database: connect once, then call services.

The TUI connects in a worker thread (the first paint never waits for the
database) and then runs every service call in a worker of its own, each with
its own session: ``backend.call(fn)`` is ``fn(session, actor)`` in a read
transaction, ``backend.call(fn, write=True)`` in a write transaction that
commits when ``fn`` returns and rolls back when it raises.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from termcrm.config import Settings, masked_url
from termcrm.services import client_lists, org, schema
from termcrm.services.actor import Actor
from termcrm.services.errors import CrmError

if TYPE_CHECKING:
    from termcrm.services.demo import DemoSummary
    from termcrm.services.schema import Database

T = TypeVar("T")
Call = Callable[[Session, Actor], T]


class NotConnected(CrmError):
    pass


@dataclass(frozen=True, slots=True)
class Connection:
    where: str  # the database, password masked
    created: bool  # a new database was created just now
    empty: bool  # no clients yet: the first-run screen
    actor: Actor


class Backend:
    def __init__(self, settings: Settings, login: str | None = None) -> None:
        self.settings = settings
        self.login = login or org.os_login()
        self._db: schema.Database | None = None
        self._actor: Actor | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None

    def connect(self) -> Connection:
        """Open the database (creating a new one), resolve the acting user. Blocking."""
        try:
            where = _where(self.settings.database_url)
            db = schema.open_database(self.settings.database_url, interactive=True)
            created = schema.prepare(db, where)
            region = self.settings.phone_region
            with db.read() as s:
                actor = org.known_actor(s, self.login, phone_region=region)
            if actor is None:
                with db.write() as s:
                    actor = org.resolve_actor(s, self.login, phone_region=region)
            self._db, self._actor = db, actor
            with db.read() as s:
                empty = not client_lists.any_clients(s)
            return Connection(where, created, empty, actor)
        except BaseException as exc:
            self._failed = exc
            raise
        finally:
            self._ready.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until connect() has finished; NotConnected if it failed."""
        self._ready.wait(timeout)
        if self._db is None:
            raise NotConnected(
                f"not connected to the database: {self._failed}"
                if self._failed
                else "not connected to the database yet"
            )

    @property
    def actor(self) -> Actor:
        self.wait()
        assert self._actor is not None
        return self._actor

    def call(self, fn: Call[T], *, write: bool = False) -> T:
        """Run ``fn(session, actor)`` in a transaction of its own (waits for connect)."""
        self.wait()
        assert self._db is not None and self._actor is not None
        with self._db.write() if write else self._db.read() as s:
            return fn(s, self._actor)

    def run(self, fn: Callable[[Database, Actor], T]) -> T:
        """Run ``fn(database, actor)``, for work that makes its own transactions (imports)."""
        self.wait()
        assert self._db is not None and self._actor is not None
        return fn(self._db, self._actor)

    def load_demo(self, clients: int = 300) -> DemoSummary:
        from termcrm.services.demo import load_demo  # Faker and friends: only when asked

        self.wait()
        assert self._db is not None and self._actor is not None
        return load_demo(self._db, admin_login=self._actor.login, clients=clients)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def _where(url: str) -> str:
    masked = masked_url(url)
    return masked.removeprefix("sqlite:///")
