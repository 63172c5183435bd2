"""The line at the top of every section: the sections with their keys, the count of the
user's overdue tasks (``⚠ 3 overdue``, from the app's ``overdue``), and who is working."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from termcrm.i18n import N_, _, fmt_number, ngettext

SECTIONS = (
    ("1", "clients", N_("Clients")),
    ("2", "contacts", N_("Contacts")),
    ("3", "journal", N_("Journal")),
    ("4", "planner", N_("Planner")),
    ("5", "deals", N_("Deals")),
    ("6", "funnel", N_("Funnel")),
    ("7", "trash", N_("Trash")),
    ("8", "reports", N_("Reports")),
)


class TopBar(Widget):
    """``termcrm  1 Clients  2 Contacts  3 Journal  …  7 Trash  8 Reports  Ivan Petrov``"""

    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; color: $foreground; }
    TopBar > .top-bar--overdue { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"top-bar--overdue"}
    who: reactive[str] = reactive("")
    overdue: reactive[int] = reactive(0)

    def __init__(self, section: str | None) -> None:
        super().__init__()
        self.section = section

    def on_mount(self) -> None:
        self.watch(self.app, "sub_title", self._update_who)
        if hasattr(self.app, "overdue"):  # the termcrm app (check_planner keeps it)
            self.watch(self.app, "overdue", self._update_overdue)

    def _update_overdue(self, count: int) -> None:
        self.overdue = count

    def _update_who(self, sub_title: str) -> None:
        self.who = sub_title.split(" · ")[0] if sub_title else _("connecting…")

    def render(self) -> Text:
        """The sections, then on the right the overdue count and who is working. When
        that does not fit (80 columns, long section names), the name "termcrm" goes
        first, then the names of the sections not shown, from the last (their keys
        stay)."""
        style = self.get_component_rich_style("top-bar--overdue", partial=True)
        who = self.who or _("connecting…")
        whole = right_side(who, self.overdue, self.size.width, style).cell_len
        # the layouts tried: with the name "termcrm", without it, then with fewer and
        # fewer names of the sections not shown (from the last one)
        others = [section for _key, section, _name in SECTIONS if section != self.section]
        layouts = [(True, set(others)), (False, set(others))]
        layouts += [(False, set(others[:n])) for n in range(len(others) - 1, -1, -1)]
        for brand, named in layouts:
            line = self._sections(brand, named)
            room = self.size.width - line.cell_len - 1  # at least one space between
            if whole <= room:
                break
        right = right_side(who, self.overdue, room, style)
        if right:
            edge = 1 if right.cell_len < room else 0  # a space at the edge, if it fits
            line.append(" " * (self.size.width - line.cell_len - right.cell_len - edge))
            line.append_text(right)
        line.truncate(self.size.width)
        return line

    def _sections(self, brand: bool, named: set[str]) -> Text:
        line = Text(" termcrm ", style="bold reverse") if brand else Text("")
        for key, section, name in SECTIONS:
            style = "bold reverse" if section == self.section else ""
            line.append(" ")
            line.append(f" {key} ", style=style or "bold")
            if section in named or section == self.section:
                line.append(f"{_(name)} ", style=style)
        return line


def right_side(who: str, overdue: int, room: int, alarm: Style | str = "") -> Text:
    """What fits in ``room`` cells on the right of the bar: the overdue count (styled
    ``alarm``) and who is working; when both do not fit, the count (shortened if need
    be) goes first."""
    name = Text(who, style="italic")
    choices = [name]
    if overdue:
        count = fmt_number(overdue)
        long = Text(ngettext("⚠ {n} overdue", "⚠ {n} overdue", overdue).format(n=count), alarm)
        choices = [Text.assemble(long, "  ", name), long, Text(f"⚠ {count}", alarm)]
    return next((c for c in choices if 0 < c.cell_len <= room), Text())
