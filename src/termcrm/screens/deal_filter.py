"""The deals' filter (key ``f`` in the Deals section): whose deals, which pipeline, when.

Owner: the users in the actor's reach (a rep: only themselves); department: for those
who see more than their own; pipeline; the period of the deals' creation or of their
expected close, typed as two dates or chosen from presets (this month, last month,
this quarter, next quarter, this year). Apply (ctrl+s, or Enter outside an open
list) dismisses with a ``DealFilterChoice``; Clear with no filter; Escape with None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_date, parse_local_date
from termcrm.screens.base import CrmModal
from termcrm.services.deals import DealFilter
from termcrm.services.dto import DepartmentOut, PipelineOut, UserOut

PERIOD_OF = {"created": N_("created"), "close": N_("expected close")}
PRESETS = (
    ("this_month", N_("this month")),
    ("last_month", N_("last month")),
    ("next_month", N_("next month")),
    ("this_quarter", N_("this quarter")),
    ("next_quarter", N_("next quarter")),
    ("this_year", N_("this year")),
)


@dataclass(frozen=True, slots=True)
class DealFilterChoice:
    """The filter chosen, and the names to show it by (owner, department, pipeline)."""

    filter: DealFilter
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FilterChoices:
    users: list[UserOut]
    departments: list[DepartmentOut]
    pipelines: list[PipelineOut]


def read_choices(s: Any, actor: Any) -> FilterChoices:
    from termcrm.services import org, pipelines

    departments = org.list_departments(s) if actor.role != "rep" else []
    if actor.role == "manager" and actor.department_id is not None:
        parents = org.department_parents(s)

        def within(dept_id: int | None) -> bool:
            while dept_id is not None:
                if dept_id == actor.department_id:
                    return True
                dept_id = parents.get(dept_id)
            return False

        departments = [d for d in departments if within(d.id)]
    return FilterChoices(
        org.users_in_reach(s, actor), departments, pipelines.list_pipelines(s, actor)
    )


def preset_period(name: str, today: date) -> tuple[date, date]:
    """The first and last day of a preset period around ``today``."""
    from termcrm.screens.team_plan import period_of, shifted

    if name == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    kind, step = {
        "this_month": ("month", 0),
        "last_month": ("month", -1),
        "next_month": ("month", 1),
        "this_quarter": ("quarter", 0),
        "next_quarter": ("quarter", 1),
    }[name]
    period = shifted(period_of(kind, today), step)
    return period.first, period.last


def user_name(user: UserOut) -> str:
    return user.full_name or user.login


class DealFilterScreen(CrmModal[DealFilterChoice | None]):
    DEFAULT_CSS = """
    DealFilterScreen .filter-grid {
        grid-size: 2;
        grid-columns: 1fr 1fr;
        grid-gutter: 0 2;
        height: auto;
    }
    DealFilterScreen .filter-cell { height: auto; padding: 0 0 1 0; }
    DealFilterScreen .filter-cell Label { color: $text-muted; }
    DealFilterScreen .filter-cell Input { background: $boost; }
    DealFilterScreen .filter-hint { color: $text-muted; }
    DealFilterScreen .filter-cell Input.-error { background: $error 30%; }
    DealFilterScreen .filter-cell.-hidden { display: none; }
    DealFilterScreen #filter-error { color: $error; height: auto; }
    DealFilterScreen #filter-error.-empty { display: none; }
    DealFilterScreen .dialog-buttons { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", N_("Apply"), id="deal_filter.apply"),
        Binding(
            "enter",
            "apply_on_enter",
            N_("Apply"),
            show=False,
            priority=True,
            id="deal_filter.enter",
        ),
        Binding("escape", "cancel", N_("Cancel"), id="deal_filter.cancel"),
    ]

    def __init__(self, current: DealFilter, names: dict[str, str] | None = None) -> None:
        super().__init__()
        self.current = current
        self.names = dict(names or {})
        self.choices: FilterChoices | None = None
        self.labels: dict[str, dict[int, str]] = {}  # select -> value -> what it shows

    def compose(self) -> ComposeResult:
        f = self.current
        first, last = f.period if f.period is not None else (None, None)
        with Vertical(classes="dialog"):
            yield Label(_("Filter deals"), classes="dialog-title")
            with Grid(classes="filter-grid"):
                with Vertical(classes="filter-cell"):
                    yield Label(_("Owner"))
                    yield Select(
                        self._known("owner", f.owner_id),
                        prompt=_("anyone"),
                        compact=True,
                        id="owner",
                    )
                with Vertical(classes="filter-cell", id="department-cell"):
                    yield Label(_("Department"))
                    yield Select(
                        self._known("department", f.department_id),
                        prompt=_("any"),
                        compact=True,
                        id="department",
                    )
                with Vertical(classes="filter-cell"):
                    yield Label(_("Pipeline"))
                    yield Select(
                        self._known("pipeline", f.pipeline_id),
                        prompt=_("the default"),
                        compact=True,
                        id="pipeline",
                    )
                with Vertical(classes="filter-cell"):
                    yield Label(_("Period of"))
                    yield Select(
                        [(_(name), key) for key, name in PERIOD_OF.items()],
                        allow_blank=False,
                        value=f.period_of,
                        compact=True,
                        id="period_of",
                    )
                with Vertical(classes="filter-cell"):
                    yield Label(_("Period"))
                    yield Select(
                        [(_(name), key) for key, name in PRESETS],
                        prompt=_("the dates below"),
                        compact=True,
                        id="preset",
                    )
                with Vertical(classes="filter-cell"):
                    yield Label("")
                    yield Static(
                        _("e.g. {example}").format(example=fmt_date(date(2026, 11, 25))),
                        classes="filter-hint",
                    )
                with Vertical(classes="filter-cell"):
                    yield Label(_("From"))
                    yield Input(fmt_date(first) if first else "", compact=True, id="first")
                with Vertical(classes="filter-cell"):
                    yield Label(_("To"))
                    yield Input(fmt_date(last) if last else "", compact=True, id="last")
            yield Static("", id="filter-error", classes="-empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Apply"), variant="primary", compact=True, id="apply")
                yield Button(_("Clear"), compact=True, id="clear")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def _known(self, key: str, value: int | None) -> list[tuple[str, int]]:
        """Until the choices are read: the chosen one, by the name the section knows."""
        return [(self.names.get(key, str(value)), value)] if value is not None else []

    def on_mount(self) -> None:
        self.query_one("#owner", Select).focus()
        self.call(read_choices, self._read, write=True)  # the default pipeline, on first use

    def _read(self, choices: FilterChoices) -> None:
        self.choices = choices
        f = self.current
        self._options("owner", [(user_name(u), u.id) for u in choices.users], f.owner_id)
        self._options("department", [(d.path, d.id) for d in choices.departments], f.department_id)
        self._options(
            "pipeline",
            [
                (p.name + (" " + _("(default)") if p.is_default else ""), p.id)
                for p in choices.pipelines
            ],
            f.pipeline_id,
        )
        self.query_one("#department-cell").set_class(not choices.departments, "-hidden")

    def _options(self, key: str, options: list[tuple[str, int]], value: int | None) -> None:
        select: Select[int] = self.query_one(f"#{key}", Select)
        chosen = select.selection if select.selection is not None else value
        self.labels[key] = {v: label for label, v in options}
        with select.prevent(Select.Changed):
            select.set_options(options)
            if chosen is not None and any(v == chosen for _n, v in options):
                select.value = chosen

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "preset" or event.value is Select.NULL:
            return
        today = self.crm.now().astimezone(i18n.zone()).date()
        first, last = preset_period(str(event.value), today)
        self.query_one("#first", Input).value = fmt_date(first)
        self.query_one("#last", Input).value = fmt_date(last)

    def _error(self, message: str, where: str | None = None) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(message)
        error.set_class(not message, "-empty")
        for which in ("first", "last"):
            self.query_one(f"#{which}", Input).set_class(which == where, "-error")
        if where:
            self.query_one(f"#{where}", Input).focus()

    def _period(self) -> tuple[date, date] | bool | None:
        """The period typed (None: none); False when it is wrong (the error is shown)."""
        texts = [self.query_one(f"#{w}", Input).value.strip() for w in ("first", "last")]
        if not any(texts):
            return None
        days: list[date] = []
        for which, text in zip(("first", "last"), texts, strict=True):
            if not text:
                self._error(_("Type both dates, or neither."), which)
                return False
            try:
                days.append(parse_local_date(text))
            except ValueError:
                example = date(2026, 11, 25)
                self._error(
                    _("“{text}” is not a date: type {example} or {iso}").format(
                        text=text, example=fmt_date(example), iso=example.isoformat()
                    ),
                    which,
                )
                return False
        if days[1] < days[0]:
            self._error(_("The period ends before it starts."), "last")
            return False
        return days[0], days[1]

    def chosen(self) -> DealFilterChoice | None:
        period = self._period()
        if period is False:
            return None
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        for key, attr in (
            ("owner", "owner_id"),
            ("department", "department_id"),
            ("pipeline", "pipeline_id"),
        ):
            select: Select[int] = self.query_one(f"#{key}", Select)
            value = select.selection
            values[attr] = value
            if value is not None:
                names[key] = self.labels.get(key, {}).get(value) or self.names.get(key, str(value))
        period_of = self.query_one("#period_of", Select).selection or "created"
        flt = replace(
            self.current,
            period=period if isinstance(period, tuple) else None,
            period_of=str(period_of),
            **values,
        )
        return DealFilterChoice(flt, names)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply_on_enter":
            # Enter chooses in an open list and presses a focused button
            open_list = any(select.expanded for select in self.query(Select))
            return not open_list and not isinstance(self.focused, Button)
        return True

    def action_apply_on_enter(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        choice = self.chosen()
        if choice is not None:
            self.dismiss(choice)

    def action_clear(self) -> None:
        self.dismiss(
            DealFilterChoice(
                replace(
                    self.current,
                    owner_id=None,
                    department_id=None,
                    pipeline_id=None,
                    period=None,
                    period_of="created",
                )
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"apply": self.action_apply, "clear": self.action_clear}.get(
            event.button.id or "", self.action_cancel
        )()
