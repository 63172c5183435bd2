"""The card file's filter (key ``f``): whose clients, and group, status, territory, city, tag.

Each list offers the values in use among the clients the user may see
(``client_lists.client_facets``); a blank choice means any. Apply (Enter or
ctrl+s) dismisses with the new filter, Clear with no filter, Escape with None.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Label, Select

from termcrm.i18n import N_, _
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal
from termcrm.services import client_lists
from termcrm.services.client_lists import ClientFilter

SCOPE_NAMES = {"all": N_("all I may see"), "mine": N_("mine"), "department": N_("my department")}
FACETS = ("group", "status", "territory", "city", "tag")
FACET_LABELS = {"tag": N_("Tag")}


class ClientFilterScreen(CrmModal[ClientFilter | None]):
    DEFAULT_CSS = """
    ClientFilterScreen .filter-grid {
        grid-size: 2;
        grid-columns: 1fr 1fr;
        grid-gutter: 0 2;
        height: auto;
    }
    ClientFilterScreen .filter-cell { height: auto; }
    ClientFilterScreen .filter-cell Label { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", N_("Apply"), id="filter.apply"),
        Binding(
            "enter", "apply_on_enter", N_("Apply"), show=False, priority=True, id="filter.enter"
        ),
        Binding("c", "clear", N_("Clear"), id="filter.clear"),
        Binding("escape", "cancel", N_("Cancel"), id="filter.cancel"),
    ]

    def __init__(self, current: ClientFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Filter clients"), classes="dialog-title")
            with Grid(classes="filter-grid"):
                with Vertical(classes="filter-cell"):
                    yield Label(_("Whose"))
                    yield Select(
                        self._scope_options(),
                        allow_blank=False,
                        value=self.current.scope,
                        id="scope",
                    )
                for facet in FACETS:
                    value = getattr(self.current, facet)
                    with Vertical(classes="filter-cell"):
                        yield Label(
                            _(FACET_LABELS[facet]) if facet in FACET_LABELS else field_label(facet)
                        )
                        yield Select(
                            self._facet_options(facet, [value] if value else []),
                            prompt=_("any"),
                            value=value if value else Select.NULL,
                            id=facet,
                        )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Apply"), variant="primary", id="apply")
                yield Button(_("Clear"), id="clear")
                yield Button(_("Cancel"), id="cancel")

    def _scope_options(self) -> list[tuple[str, str]]:
        actor = self.crm.connection.actor if self.crm.connection else None
        scopes = ["all", "mine", "department"]
        if actor is not None and actor.department_id is None and self.current.scope != "department":
            scopes.remove("department")
        return [(_(SCOPE_NAMES[s]), s) for s in scopes]

    @staticmethod
    def _facet_options(facet: str, values: list[str]) -> list[tuple[str, str]]:
        if facet == "status":
            return [(value_label(v), v) for v in values]
        return [(v, v) for v in values]

    def on_mount(self) -> None:
        self.query_one("#scope", Select).focus()
        self.call(client_lists.client_facets, self._facets_loaded)

    def _facets_loaded(self, facets: dict[str, list[str]]) -> None:
        for facet in FACETS:
            select: Select[str] = self.query_one(f"#{facet}", Select)
            chosen = select.selection
            values = list(facets.get(facet, []))
            if chosen and chosen not in values:
                values.insert(0, chosen)
            with select.prevent(Select.Changed):
                select.set_options(self._facet_options(facet, values))
                if chosen:
                    select.value = chosen

    def chosen_filter(self) -> ClientFilter:
        """The filter as chosen in the dialog (fields it does not show stay as they were)."""
        values: dict[str, Any] = {f: self.query_one(f"#{f}", Select).selection for f in FACETS}
        scope = self.query_one("#scope", Select).selection or "all"
        return replace(self.current, scope=scope, **values)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply_on_enter":
            # Enter chooses in an open list and presses a focused button
            open_list = any(select.expanded for select in self.query(Select))
            return not open_list and not isinstance(self.focused, Button)
        return True

    def action_apply_on_enter(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self.chosen_filter())

    def action_clear(self) -> None:
        self.dismiss(
            replace(
                self.current,
                scope="all",
                group=None,
                status=None,
                territory=None,
                city=None,
                tag=None,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"apply": self.action_apply, "clear": self.action_clear}.get(
            event.button.id or "", self.action_cancel
        )()
