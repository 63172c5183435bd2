"""The line at the top of every section: the sections with their keys, and who is working."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from termcrm.i18n import N_, _

SECTIONS = (
    ("1", "clients", N_("Clients")),
    ("2", "contacts", N_("Contacts")),
    ("3", "journal", N_("Journal")),
    ("4", "trash", N_("Trash")),
)


class TopBar(Widget):
    """``termcrm  1 Clients  2 Contacts  3 Journal  4 Trash      Ivan Petrov``"""

    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; color: $foreground; }
    """
    who: reactive[str] = reactive("")

    def __init__(self, section: str | None) -> None:
        super().__init__()
        self.section = section

    def on_mount(self) -> None:
        self.watch(self.app, "sub_title", self._update_who)

    def _update_who(self, sub_title: str) -> None:
        self.who = sub_title.split(" · ")[0] if sub_title else _("connecting…")

    def render(self) -> Text:
        line = Text(" termcrm ", style="bold reverse")
        for key, section, name in SECTIONS:
            style = "bold reverse" if section == self.section else ""
            line.append(" ")
            line.append(f" {key} ", style=style or "bold")
            line.append(f"{_(name)} ", style=style)
        who = self.who or _("connecting…")
        pad = self.size.width - line.cell_len - cell_len(who) - 1
        if pad > 0:
            line.append(" " * pad)
            line.append(who, style="italic")
        line.truncate(self.size.width)
        return line
