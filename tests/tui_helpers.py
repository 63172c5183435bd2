"""What the TUI's pilot tests share: their database, the app, waiting for it, stand-ins.

The fixtures built on these (``tui_db``, ``plain_settings``) are in conftest.py.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from termcrm.app import TermCrmApp, make_app
from termcrm.services.actor import Actor
from termcrm.store.engine import Database
from termcrm.widgets.virtual_table import VirtualTable

SIZE = (80, 24)
Scenario = Callable[[TermCrmApp, Pilot[Any]], Awaitable[None]]


@dataclass
class TuiDb:
    """A test's own copy of the migrated SQLite template: its URL, the database open
    for the test's own reads and writes, its admin, and where the app keeps its UI state."""

    url: str
    db: Database
    admin: Actor
    state: Path


def tui_app(url: str, state: Path, *, login: str = "admin") -> TermCrmApp:
    return make_app(url, login=login, state_path=state)


async def settle(pilot: Pilot[Any], wait: float = 0.0) -> None:
    """Until every service call, and every call its answer started, has come back
    (``wait`` first: for a timer, such as a search box's debounce, to fire)."""
    if wait:
        await pilot.pause(wait)
    quiet = 0
    for _ in range(20):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        quiet = 0 if pilot.app.workers else quiet + 1
        if quiet == 2:
            return


async def until(pilot: Pilot[Any], check: Callable[[], Any], timeout: float = 3.0) -> None:
    """Pause until ``check()`` is true (service calls run in worker threads)."""
    waited = 0.0
    while not check():
        if waited >= timeout:
            raise AssertionError("the screen did not get there in time")
        await pilot.pause(0.02)
        waited += 0.02


def run_app(app: TermCrmApp, scenario: Scenario, *, settled: bool = True) -> None:
    """Run ``scenario(app, pilot)`` at 80x24; first (``settled``) until the app's first
    screen has read what it shows."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            if settled:
                await settle(pilot)
            await scenario(app, pilot)

    asyncio.run(main())


def rows(table: VirtualTable[Any]) -> list[Any]:
    """The rows of a table's list that are read (all of a short list)."""
    source = table.source
    if source is None:
        return []
    return [r for r in (source.get(i) for i in range(source.total)) if r is not None]


def replace_screen(
    monkeypatch: pytest.MonkeyPatch, module: str, name: str, screen: type[Screen[Any]]
) -> None:
    """``termcrm.screens.<module>.<name>`` is ``screen`` for this test (the screens
    import one another when they open them, so the stand-in is what they open)."""
    fake = types.ModuleType(f"termcrm.screens.{module}")
    setattr(fake, name, screen)
    monkeypatch.setitem(sys.modules, f"termcrm.screens.{module}", fake)


class Stand(Screen[Any]):
    """Stands for a screen another module provides; remembers what it was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.args = (*args, *kwargs.values())

    def done(self, result: Any) -> None:
        """Close as the real screen does when the user saves (or cancels: None)."""
        self.dismiss(result)


def stand_in(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> type[Stand]:
    """A Stand put in place of ``termcrm.screens.<module>.<name>``."""
    cls = type(name, (Stand,), {})
    replace_screen(monkeypatch, module, name, cls)
    return cls
