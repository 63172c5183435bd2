"""The first-run screen: shown over the card file when the database has no clients.

It says what termcrm is and offers a start: demo data to try things out, the first
client, an import from a file (the import wizard), or the empty card file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from termcrm.i18n import N_, _, fmt_number
from termcrm.screens.base import CrmScreen
from termcrm.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from termcrm.services.demo import DemoSummary


class FirstRunScreen(CrmScreen[None]):
    # how many made-up clients the demo loads (tests make it small)
    DEMO_CLIENTS: ClassVar[int] = 2000

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "demo", N_("Demo data"), id="first_run.demo"),
        Binding("n", "new_client", N_("First client"), id="first_run.new"),
        Binding("i", "import_file", N_("Import"), id="first_run.import"),
        Binding("escape,q", "close", N_("Card file"), id="first_run.close"),
    ]
    DEFAULT_CSS = """
    FirstRunScreen #welcome { height: 1fr; padding: 1 2; }
    FirstRunScreen #greeting { height: auto; padding: 0 0 1 0; }
    FirstRunScreen #choices { height: auto; max-height: 8; border: none; padding: 0; }
    FirstRunScreen #progress { height: auto; padding: 1 0 0 0; color: $warning; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.loading_demo = False

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        with Vertical(id="welcome"):
            yield Static(
                _("Welcome to termcrm")
                + "\n\n"
                + _(
                    "termcrm keeps your clients, their contact persons and the journal "
                    "of every call, meeting and letter, with tasks and deals, in a "
                    "database your whole team shares, right in the terminal."
                )
                + "\n\n"
                + _("This database has no clients yet. How would you like to start?"),
                id="greeting",
                markup=False,
            )
            yield OptionList(
                Option(
                    "d    "
                    + _(
                        "Load demo data: {count} made-up clients with history, to try things out"
                    ).format(count=fmt_number(self.DEMO_CLIENTS)),
                    id="demo",
                ),
                Option("n    " + _("Create the first client"), id="new"),
                Option("i    " + _("Import clients from a file: Excel, CSV or vCard"), id="import"),
                Option("esc  " + _("Go to the empty card file"), id="close"),
                id="choices",
            )
            yield Static("", id="progress")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.loading_demo and action in ("demo", "new_client", "import_file", "close"):
            return None
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        actions = {
            "demo": self.action_demo,
            "new": self.action_new_client,
            "import": self.action_import_file,
        }
        action = actions.get(event.option_id or "", self.action_close)
        if not self.loading_demo:
            action()

    # -- demo data -------------------------------------------------------------------

    def action_demo(self) -> None:
        if self.loading_demo:
            return
        self.loading_demo = True
        self.query_one("#choices", OptionList).disabled = True
        self.query_one("#progress", Static).update(
            _("Loading demo data… ({count} clients; this takes a moment)").format(
                count=fmt_number(self.DEMO_CLIENTS)
            )
        )
        self.refresh_bindings()
        backend, count = self.crm.backend, self.DEMO_CLIENTS

        # not self.call(): the demo loader opens a transaction of its own
        def job() -> None:
            try:
                summary = backend.load_demo(clients=count)
            except Exception as exc:
                self.app.call_from_thread(self._demo_failed, exc)
            else:
                self.app.call_from_thread(self._demo_loaded, summary)

        self.run_worker(job, thread=True, exit_on_error=False, group="first_run.demo")

    def _demo_loaded(self, summary: DemoSummary) -> None:
        self.loading_demo = False
        self.app.notify(
            _("Demo data loaded: {clients} clients, {contacts} contact persons.").format(
                clients=fmt_number(summary.clients), contacts=fmt_number(summary.contacts)
            ),
            title=_("Welcome"),
        )
        self._to_card_file()

    def _demo_failed(self, error: Exception) -> None:
        self.loading_demo = False
        if self.is_attached:
            self.query_one("#choices", OptionList).disabled = False
            self.query_one("#progress", Static).update("")
            self.refresh_bindings()
        self.crm.show_error(error)

    # -- the other ways in -----------------------------------------------------------

    def action_new_client(self) -> None:
        from termcrm.screens.client_form import ClientFormScreen

        def created(client_id: int | None) -> None:
            if client_id is not None:
                self._to_card_file(open_client=client_id)

        self.app.push_screen(ClientFormScreen(None), created)

    def action_import_file(self) -> None:
        from termcrm.screens.import_wizard import ImportWizard

        def finished(report: Any) -> None:
            if report is not None and not report.dry_run and (report.created or report.updated):
                self._to_card_file()

        self.app.push_screen(ImportWizard("clients"), finished)

    def action_close(self) -> None:
        self._to_card_file()

    def _to_card_file(self, open_client: int | None = None) -> None:
        """Leave for the card file (re-read: it was empty when it was first shown)."""
        app = self.app
        if not self.is_attached:
            # closed meanwhile (the language was switched): the card file is what is left
            self._reload_card_file(None)
            return
        if app.screen is not self:
            # a dialog is over this screen, or the user went to another section
            # meanwhile: say it is done and leave on their next key
            self.query_one("#choices", OptionList).disabled = False
            self.query_one("#progress", Static).update(_("Done. Press Esc to go to the card file."))
            self.refresh_bindings()
            return
        app.pop_screen()
        if app.current_mode != "clients":
            app.switch_mode("clients")
        self._reload_card_file(open_client)

    def _reload_card_file(self, open_client: int | None) -> None:
        try:
            card_file = self.app.get_screen_stack("clients")[0]
        except (KeyError, IndexError):
            return  # not built yet: it reads the list when it is
        reload = getattr(card_file, "reload_keep_position", None)
        if callable(reload):
            reload()
        open_card = getattr(card_file, "open_card", None)
        if open_client is not None and callable(open_card):
            open_card(open_client)
