"""The termcrm TUI: the App, its sections, and how screens reach the services.

Screens never touch the database themselves. They call ``app.call(self, fn,
done)``: ``fn(session, actor)`` runs in a thread worker with a session of its
own, and its result comes back to the main thread as a message (``Done``) whose
handler calls ``done(result)``. A failure comes back as ``Failed``; the caller's
``failed`` callback may handle it (inline validation, an edit conflict), and
otherwise the one error handler here shows it in a dialog.

The database is opened in a worker too, so the first paint never waits for it.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.message_pump import MessagePump
from textual.reactive import var
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from termcrm import i18n
from termcrm.config import Settings, load_settings
from termcrm.i18n import N_, _
from termcrm.ui_state import UiState
from termcrm.widgets.translated import translate_bindings

if TYPE_CHECKING:
    from termcrm.services.backend import Backend, Connection

T = TypeVar("T")
log = logging.getLogger(__name__)

SECTIONS = (
    "clients",
    "contacts",
    "journal",
    "planner",
    "deals",
    "funnel",
    "trash",
    "reports",
)
# Textual's own label of the ctrl+p key in the footer, translated with the app's keys
PALETTE = N_("palette")
PLANNER_CHECK_SECONDS = 60  # how often the overdue count and the reminders are read
REMINDER_SECONDS = 60  # how long a reminder stays on screen


@dataclass
class _Request:
    requester: MessagePump
    done: Callable[[Any], None] | None
    failed: Callable[[Exception], bool] | None
    group: str | None


class Done(Message):
    """A service call finished; its result, for the requester's ``done``."""

    def __init__(self, token: int, result: Any, *, write: bool = False) -> None:
        super().__init__()
        self.token = token
        self.result = result
        self.write = write  # the call wrote: what the top bar counts may have changed


class Failed(Message):
    """A service call raised; shown in the error dialog unless the requester handles it."""

    def __init__(self, token: int, error: Exception) -> None:
        super().__init__()
        self.token = token
        self.error = error


class Connected(Message):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection


def _screen(module: str, name: str) -> Screen[Any]:
    """A section's screen, imported when first shown (a fast start)."""
    import importlib

    screen: Screen[Any] = getattr(importlib.import_module(f"termcrm.screens.{module}"), name)()
    return screen


class TermCrmApp(App[None]):
    TITLE = "termcrm"
    CSS_PATH = "styles/app.tcss"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "clients": lambda: _screen("clients", "ClientsScreen"),
        "contacts": lambda: _screen("contacts", "ContactsScreen"),
        "journal": lambda: _screen("journal", "JournalScreen"),
        "planner": lambda: _screen("planner", "PlannerScreen"),
        "deals": lambda: _screen("deals", "DealsScreen"),
        "funnel": lambda: _screen("funnel", "FunnelScreen"),
        "trash": lambda: _screen("trash", "TrashScreen"),
        "reports": lambda: _screen("reports", "ReportsScreen"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "section('clients')", N_("Clients"), show=False, id="section.clients"),
        Binding("2", "section('contacts')", N_("Contacts"), show=False, id="section.contacts"),
        Binding("3", "section('journal')", N_("Journal"), show=False, id="section.journal"),
        Binding("4", "section('planner')", N_("Planner"), show=False, id="section.planner"),
        Binding("5", "section('deals')", N_("Deals"), show=False, id="section.deals"),
        Binding("6", "section('funnel')", N_("Funnel"), show=False, id="section.funnel"),
        Binding("7", "section('trash')", N_("Trash"), show=False, id="section.trash"),
        Binding("8", "section('reports')", N_("Reports"), show=False, id="section.reports"),
        Binding("l", "quick_log", N_("Log"), id="quick_log"),
        Binding("P", "team_plan", N_("Team plan"), show=False, id="team_plan"),
        Binding("f2", "language", N_("Language"), show=False, id="language"),
        Binding("f3", "change_theme", N_("Theme"), show=False, id="theme"),
        Binding("question_mark", "help", N_("Keys"), show=False, id="help"),
        Binding("ctrl+q", "quit", N_("Quit"), show=False, priority=True, id="quit"),
    ]
    # the acting user's open tasks past due, shown in every top bar (check_planner)
    overdue: var[int] = var(0)

    def __init__(
        self,
        settings: Settings,
        backend: Backend | None = None,
        *,
        login: str | None = None,
        ui_state: UiState | None = None,
    ) -> None:
        """``backend``: made in the connecting worker when not given, so that importing
        the database stack (a third of a second) never delays the first frame."""
        self.settings = settings
        self._backend = backend
        self._backend_made = threading.Event()
        if backend is not None:
            self._backend_made.set()
        self._login = login
        self.ui_state = ui_state or UiState()
        self.connection: Connection | None = None
        self._requests: dict[int, _Request] = {}
        self._latest: dict[str, int] = {}
        self._tokens = itertools.count(1)
        self._connect_failed = False
        # section -> its state over a language switch (see ListScreen.carry)
        self.carried: dict[str, dict[str, Any]] = {}
        self.reminded: set[str] = set()  # the keys of the reminders shown in this run
        # the app's clock stands still at this moment when set (snapshots, tests)
        self.pinned_now: datetime | None = None
        i18n.use(settings.locale, settings.timezone)
        super().__init__()
        # as written (English), with the palette key App.__init__ adds: re-translated per language
        self._untranslated_bindings = self._bindings.copy()
        translate_bindings(self)
        theme = self.ui_state.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        if settings.keys:
            self.set_keymap(settings.keys)

    def now(self) -> datetime:
        """The current moment (UTC) for what the screens show as "today" and "overdue"."""
        return self.pinned_now or datetime.now(UTC)

    # -- services --------------------------------------------------------------

    def call(
        self,
        requester: MessagePump,
        fn: Callable[..., T],
        done: Callable[[T], None] | None = None,
        *,
        write: bool = False,
        failed: Callable[[Exception], bool] | None = None,
        group: str | None = None,
    ) -> Worker[None]:
        """Run ``fn(session, actor)`` in a thread worker; ``done(result)`` on this thread.

        With a ``group``, only the latest call of the group reports back: a search
        typed ahead drops the answers to what was typed before. ``failed(error)``
        returns True when it dealt with the error; otherwise it is shown in a dialog.
        """
        token = next(self._tokens)
        self._requests[token] = _Request(requester, done, failed, group)
        if group is not None:
            self._latest[group] = token

        def job() -> None:
            try:
                result = self.backend.call(fn, write=write)
            except Exception as exc:
                self.post_message(Failed(token, exc))
            else:
                self.post_message(Done(token, result, write=write))

        return self.run_worker(job, thread=True, exit_on_error=False, group=group or "db")

    def _take(self, token: int) -> _Request | None:
        request = self._requests.pop(token, None)
        if request is None:
            return None
        if request.group is not None and self._latest.get(request.group) != token:
            return None  # superseded by a later call of the same group
        if not request.requester.is_attached:
            return None  # the screen that asked is gone
        return request

    def on_done(self, message: Done) -> None:
        if message.write:
            self.check_planner()
        request = self._take(message.token)
        if request is not None and request.done is not None:
            request.done(message.result)

    def on_failed(self, message: Failed) -> None:
        request = self._take(message.token)
        if request is None:
            return
        if request.failed is not None and request.failed(message.error):
            return
        self.show_error(message.error)

    def show_error(self, error: Exception) -> None:
        """The one place errors are shown: a dialog with the reason."""
        from termcrm.services.backend import NotConnected
        from termcrm.widgets.dialogs import ErrorDialog, describe_error

        if isinstance(error, NotConnected) and self._connect_failed:
            return  # the connection error itself is already on screen
        if not type(error).__module__.startswith("termcrm"):
            log.error("service call failed", exc_info=error)
        self.push_screen(ErrorDialog(describe_error(error)))

    # -- start-up ---------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.switch_mode("clients")
        self.run_worker(self._connect, thread=True, exit_on_error=False, group="connect")

    @property
    def user_key(self) -> str:
        """Who runs the app, for what it remembers per user (without the database)."""
        return self._login or f"uid:{os.getuid()}"

    @property
    def backend(self) -> Backend:
        """The hold on the database; in a worker, waits until the app has made it."""
        self._backend_made.wait()
        if self._backend is None:  # making it failed: that error is on the screen
            raise RuntimeError("termcrm could not open its database")
        return self._backend

    def _connect(self) -> None:
        try:
            if self._backend is None:
                from termcrm.services.backend import Backend

                self._backend = Backend(self.settings, login=self._login)
            self._backend_made.set()
            connection = self._backend.connect()
        except Exception as exc:
            self._backend_made.set()
            self.call_from_thread(self._connection_failed, exc)
            return
        self.post_message(Connected(connection))

    def _connection_failed(self, error: Exception) -> None:
        """Nothing works without the database: say why, then leave with the reason."""
        from termcrm.widgets.dialogs import ErrorDialog, describe_error

        self._connect_failed = True
        reason = describe_error(error)
        self.push_screen(
            ErrorDialog(reason, title=_("termcrm cannot start")),
            lambda _closed: self.exit(return_code=1, message=reason),
        )

    def on_connected(self, message: Connected) -> None:
        # what start-up allocated lives as long as the app: keep it out of the
        # collector's full passes, which otherwise pause typing (bench/bench_tui.py)
        if self.settings.keys:  # it imports every screen: not before the first frame
            from termcrm.screens.keymap import keymap_problems

            for problem in keymap_problems(self.settings.keys):
                self.notify(problem, severity="warning", timeout=10, markup=False)
        gc.freeze()
        self.connection = message.connection
        self.sub_title = f"{message.connection.actor.display} · {message.connection.where}"
        if message.connection.empty:
            from termcrm.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen())
        self._start_planner_watch()

    # -- the planner's watch: the overdue count and reminders -------------------

    def _start_planner_watch(self) -> None:
        """Once connected: check now, then every minute while the app runs."""
        self.check_planner()
        self.set_interval(PLANNER_CHECK_SECONDS, self.check_planner, name="planner-watch")

    def check_planner(self) -> None:
        """Read the overdue count and the reminders due now (one service call), then show
        the count in the top bar and each reminder not shown yet in this run."""
        if self.connection is None:
            return
        from termcrm.services import planner, tasks

        now, tz = self.now(), i18n.zone()

        def read(s: Any, actor: Any) -> tuple[int, list[planner.Reminder]]:
            return tasks.overdue_count(s, actor, now=now), planner.reminders(s, actor, tz, now=now)

        def failed(error: Exception) -> bool:
            log.warning("checking the planner failed: %s", error)
            return True  # a background check: the next one tries again

        self.call(self, read, self._planner_checked, failed=failed, group="planner-watch")

    def _planner_checked(self, found: tuple[int, list[Any]]) -> None:
        from termcrm.widgets.reminders import reminder_notes

        count, reminders = found
        self.overdue = count
        fresh = [r for r in reminders if r.key not in self.reminded]
        self.reminded.update(r.key for r in fresh)
        today = self.now().astimezone(i18n.zone()).date()
        for note in reminder_notes(fresh, today):
            self.notify(
                note.message,
                title=note.title,
                severity=note.severity,  # type: ignore[arg-type]
                timeout=REMINDER_SECONDS,
                markup=False,
            )

    def action_team_plan(self) -> None:
        """The plan of the department (key P): per rep or per department."""
        from termcrm.screens.team_plan import TeamPlanScreen

        if not isinstance(self.screen, TeamPlanScreen):
            self.push_screen(TeamPlanScreen())

    def action_pipelines(self) -> None:
        """The pipelines and their stages (the palette; ``S`` in Deals and Funnel)."""
        from termcrm.screens.pipelines import PipelineSettings

        if not isinstance(self.screen, PipelineSettings):
            self.push_screen(PipelineSettings())

    # -- actions ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Sections and the quick log are not reachable from behind a dialog."""
        from textual.command import CommandPalette

        # the palette is a dialog too, but what it runs runs after it has closed
        modal = isinstance(self.screen, ModalScreen) and not isinstance(self.screen, CommandPalette)
        return not (
            modal and action in ("section", "quick_log", "language", "import_file", "team_plan")
        )

    def action_section(self, name: str) -> None:
        if name in SECTIONS and self.current_mode != name:
            self.switch_mode(name)

    def action_quick_log(self, client_id: int | None = None) -> None:
        from termcrm.screens.quick_log import QuickLogScreen

        contact_id = None
        if client_id is None:
            client_id = getattr(self.screen, "current_client_id", None)
            contact_id = getattr(self.screen, "current_contact_id", None)
        self.push_screen(QuickLogScreen(client_id=client_id, contact_id=contact_id))

    def action_import_file(self, entity: str | None = None) -> None:
        """The import wizard, for the records of the section the user is in (or ``entity``)."""
        from termcrm.screens.import_wizard import ImportWizard

        if entity is None:
            entity = {"contacts": "contacts", "journal": "interactions"}.get(
                self.current_mode, "clients"
            )
        self.push_screen(ImportWizard(entity))

    def action_language(self) -> None:
        from termcrm.screens.language import LanguageScreen

        if len(self.screen_stack) > 1:  # a card or a form is open: it would be rebuilt
            self.notify(
                _("Close the open card or form first (Esc), then switch the language."),
                severity="warning",
            )
            return
        self.push_screen(LanguageScreen(), self.switch_language)

    def switch_language(self, lang: str | None) -> None:
        """Show the whole interface in another language, now."""
        if not lang or lang == i18n.current():
            return
        i18n.use(lang)
        self._bindings = self._untranslated_bindings.copy()
        translate_bindings(self)
        current = self.current_mode
        # what each section holds (its search, filter, sort) goes on in the new language
        self.carried = {
            mode: stack[0].carry()
            for mode, stack in self._screen_stacks.items()
            if stack and hasattr(stack[0], "carry")
        }
        # sections are rebuilt in the new language; dialogs above them are closed
        while len(self.screen_stack) > 1:
            self.pop_screen()
        for mode in SECTIONS:
            if mode != current:
                self._remove_mode_screens(mode)
        self.call_later(self._rebuild_section, current)

    def _remove_mode_screens(self, mode: str) -> None:
        if mode in self._screen_stacks:
            for screen in self._screen_stacks.pop(mode):
                screen.remove()

    async def _rebuild_section(self, mode: str) -> None:
        other = next(m for m in SECTIONS if m != mode)
        await self.switch_mode(other)
        self._remove_mode_screens(mode)
        await self.switch_mode(mode)
        self._remove_mode_screens(other)
        self.refresh_bindings()

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                CommandPalette(placeholder=_("Search for commands…"), id="--command-palette")
            )

    def search_themes(self) -> None:
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(
            CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…"))
        )

    def action_help_quit(self) -> None:
        """ctrl+c copies in Textual; a user pressing it probably wants to leave."""
        keys = [k for k, a in self.active_bindings.items() if a.binding.action == "quit"]
        if keys:
            self.notify(
                _("Press {key} to quit termcrm.").format(key=keys[0]),
                title=_("Do you want to quit?"),
                markup=False,
            )

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def _remember_theme(self, theme: Any) -> None:
        self.ui_state.set("theme", self.theme)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: every action that has a key, in the current language."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.id is None:  # Textual's own (tab, copy): not termcrm's actions
                continue
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                binding.description,
                _("Key: {key}").format(key=self.get_key_display(binding)),
                partial(self.call_later, self.run_action, binding.action, active.node),
            )
        fixed = [
            ("change_theme", _("Theme"), _("Change the colour theme"), self.action_change_theme),
            ("language", _("Language"), _("English, Русский, 中文"), self.action_language),
            (
                "import_file",
                _("Import"),
                _("Clients, contacts, the journal or deals from a file"),
                self.action_import_file,
            ),
            (
                "pipelines",
                _("Pipeline settings"),
                _("The pipelines of deals and their stages"),
                self.action_pipelines,
            ),
            ("help", _("Keys"), _("Show the keys of this screen"), self.action_help),
            ("quit", _("Quit"), _("Leave termcrm"), self.action_quit),
        ]
        if screen.__module__ == "termcrm.screens.import_wizard":
            seen.add("import_file")  # the wizard is open: not a second one
        if screen.__module__ == "termcrm.screens.pipelines":
            seen.add("pipelines")  # the settings are open
        for action, title, help_text, callback in fixed:
            if action not in seen:  # not already listed with its key
                yield SystemCommand(title, help_text, callback)


def make_app(
    db: str | None = None,
    *,
    settings: Settings | None = None,
    login: str | None = None,
    state_path: Path | str | None = None,
) -> TermCrmApp:
    """The app on the configured database (or ``db``); used by the CLI and the tests."""
    settings = settings or load_settings(db)
    return TermCrmApp(settings, login=login, ui_state=UiState(state_path) if state_path else None)
