"""The client card: the key facts of one client in a header, the rest in tabs.

Overview (every field), Branches (the parent and the child clients; Enter opens
one), Contacts (Enter opens the person, ``a`` adds one), Journal (newest first),
Tasks (open ones, earliest first), Dates (the company's significant dates and
its contacts' birthdays, the next one first: ``n`` adds a company date, ``e`` or
Enter edits one, ``x`` or Delete deletes it) and Deals (Enter opens the deal's
card). The card is read in one service call, then each tab's list page by page;
it is read again whenever the screen comes back to the top (after an edit, a new
contact, a logged call).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static, TabbedContent, TabPane

from termcrm import i18n
from termcrm.i18n import N_, _, fmt_date, fmt_datetime, fmt_money, fmt_number, ngettext
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal
from termcrm.screens.clients import move_to_trash
from termcrm.screens.paged_list import PagedList, Read
from termcrm.screens.tabbed_card import TabbedCard
from termcrm.services import (
    clients,
    contacts,
    custom_fields,
    deals,
    journal,
    significant_dates,
    tasks,
)
from termcrm.services.client_lists import ClientFilter, list_clients
from termcrm.services.deals import DealFilter
from termcrm.services.dto import (
    ClientOut,
    ClientRow,
    ContactOut,
    DealOut,
    InteractionOut,
    TaskOut,
)
from termcrm.services.errors import CrmError, Forbidden, NotFound
from termcrm.services.journal import JournalFilter
from termcrm.services.significant_dates import KIND_LABELS, DateOut
from termcrm.services.tasks import TaskFilter
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable, datetime_width

PAGE = 50
# the tabs, in order: (pane id, title)
TABS = (
    ("overview", N_("Overview")),
    ("branches", N_("Branches")),
    ("contacts", N_("Contacts")),
    ("journal", N_("Journal")),
    ("tasks", N_("Tasks")),
    ("dates", N_("Dates")),
    ("deals", N_("Deals")),
)
LISTS = ("branches", "contacts", "journal", "tasks", "deals")


@dataclass(frozen=True, slots=True)
class CardData:
    """What the header and the overview show, read in one transaction."""

    client: ClientOut
    parent: ClientRow | None  # the parent client, when there is one the user may see
    parent_refusal: str  # why the parent cannot be shown (hidden from the user, in the trash)
    next_task: TaskOut | None  # the earliest open task
    custom_labels: dict[str, str]  # custom field key -> its label


def read_card(client_id: int) -> Callable[[Any, Any], CardData]:
    def read(s: Any, a: Any) -> CardData:
        client = clients.get_client(s, a, client_id)
        parent: ClientRow | None = None
        refusal = ""
        if client.parent_id is not None:
            try:
                p = clients.get_client(s, a, client.parent_id)
            except CrmError as exc:
                refusal = str(exc)
            else:
                parent = ClientRow(
                    p.id, p.name, p.kind, p.group, p.status, p.city, p.owner,
                    p.last_interaction_at, p.version,
                )  # fmt: skip
        upcoming = tasks.list_tasks(s, a, TaskFilter(client_id=client_id), limit=1).items
        labels = {f.key: f.label for f in custom_fields.list_fields(s, "client")}
        return CardData(client, parent, refusal, upcoming[0] if upcoming else None, labels)

    return read


# -- how the tabs' rows look --------------------------------------------------------------


def _first(items: list[Any], text: Callable[[Any], str]) -> str:
    if not items:
        return ""
    more = f" +{len(items) - 1}" if len(items) > 1 else ""
    return text(items[0]) + more


def contact_columns() -> list[Column[ContactOut]]:
    return [
        Column("name", _("Full name"), lambda c: c.full_name, min_width=12, weight=3),
        Column("position", _("Position"), lambda c: c.position, min_width=8, weight=2),
        Column("phone", _("Phone"), lambda c: _first(c.phones, lambda p: p.raw), width=19),
        Column("email", _("Email"), lambda c: _first(c.emails, lambda e: e.address), weight=2),
    ]


def _arrow(direction: str) -> str:
    return "←" if direction == "in" else "→"


def journal_columns() -> list[Column[InteractionOut]]:
    return [
        Column("when", _("When"), lambda i: fmt_datetime(i.occurred_at), width=datetime_width()),
        Column(
            "kind", _("Kind"), lambda i: f"{_arrow(i.direction)} {value_label(i.kind)}", width=10
        ),
        Column("contact", _("Contact"), lambda i: i.contact, min_width=8),
        Column(
            "what",
            _("Purpose / result"),
            lambda i: " — ".join(x for x in (i.purpose, i.result) if x),
            min_width=12,
            weight=3,
        ),
        Column("user", _("Who"), lambda i: i.user, min_width=6),
    ]


def task_columns() -> list[Column[TaskOut]]:
    return [
        Column("due", _("Due"), lambda t: fmt_datetime(t.due_at), width=datetime_width()),
        Column("kind", _("Kind"), lambda t: value_label(t.kind), width=8),
        Column("title", _("Title"), lambda t: t.title, min_width=12, weight=3),
        Column("assignee", _("Assignee"), lambda t: t.assignee, min_width=8),
    ]


def deal_columns() -> list[Column[DealOut]]:
    return [
        Column("title", _("Title"), lambda d: d.title, min_width=12, weight=3),
        Column("stage", _("Stage"), lambda d: d.stage, min_width=8),
        Column(
            "amount", _("Amount"), lambda d: fmt_money(d.amount, d.currency), width=18, right=True
        ),
        Column("close", _("Closes"), lambda d: fmt_date(d.expected_close), width=10),
        Column("owner", _("Owner"), lambda d: d.owner, min_width=6),
    ]


def _plain(value: Any) -> str:
    """A custom field's value as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, int | float | Decimal):
        return fmt_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def overview(data: CardData) -> RenderableType:
    """Every field of the client as label / value lines, grouped, empty ones left out."""
    c = data.client
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(style="dim", no_wrap=True, max_width=20)
    grid.add_column(ratio=1, overflow="fold")

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        rows = [(label, value) for label, value in rows if value and value.strip()]
        if not rows:
            return
        if grid.row_count:
            grid.add_row("", "")
        grid.add_row(Text(title, style="bold"), "", style="")
        for label, value in rows:
            grid.add_row(Text(label), Text(value))

    section(
        _("Contact details"),
        [
            *[
                (
                    field_label("addresses") if i == 0 else "",
                    ", ".join(x for x in (a.postcode, a.city, a.line, a.country) if x)
                    + f" ({value_label(a.kind)})",
                )
                for i, a in enumerate(c.addresses)
            ],
            *[
                (
                    field_label("phones") if i == 0 else "",
                    p.raw
                    + (" " + _("ext. {ext}").format(ext=p.extension) if p.extension else "")
                    + (f" ({value_label(p.kind)})" if p.kind else ""),
                )
                for i, p in enumerate(c.phones)
            ],
            *[
                (
                    field_label("emails") if i == 0 else "",
                    e.address + (f" ({value_label(e.kind)})" if e.kind else ""),
                )
                for i, e in enumerate(c.emails)
            ],
            (field_label("website"), c.website),
        ],
    )
    section(
        _("Company"),
        [
            (field_label("legal_name"), c.legal_name),
            (field_label("kind"), value_label(c.kind)),
            (field_label("tax_id"), c.tax_id),
            (field_label("bank_details"), c.bank_details),
            (field_label("business_info"), c.business_info),
            (field_label("industry"), c.industry),
        ],
    )
    section(
        _("In the CRM"),
        [
            (field_label("status"), value_label(c.status)),
            (field_label("group"), c.group),
            (field_label("territory"), c.territory),
            (field_label("city"), c.city),
            (field_label("source"), c.source),
            (field_label("tags"), ", ".join(c.tags)),
            (field_label("owner"), c.owner),
            (field_label("department"), c.department),
            (field_label("parent_id"), data.parent.name if data.parent else data.parent_refusal),
        ],
    )
    section(
        field_label("custom"),
        [(data.custom_labels.get(k) or k, _plain(v)) for k, v in sorted(c.custom.items())],
    )
    section(
        _("Record"),
        [
            (field_label("created_at"), fmt_datetime(c.created_at)),
            (field_label("updated_at"), fmt_datetime(c.updated_at)),
            (field_label("version"), str(c.version)),
        ],
    )
    return grid


def header(data: CardData) -> RenderableType:
    """Three lines: who the client is, where and whose, when last and next."""
    c = data.client
    dot = Text(" · ", style="dim")

    def line(*parts: Text | str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for part in (p for p in parts if p):
            if text:
                text.append_text(dot)
            text.append_text(part if isinstance(part, Text) else Text(part))
        return text

    def fact(label: str, value: str) -> Text:
        return Text.assemble((label + ": ", "dim"), value) if value else Text("")

    first = line(Text(c.name, style="bold"), value_label(c.kind), value_label(c.status), c.group)
    second = line(
        c.city,
        fact(field_label("owner"), c.owner),
        fact(field_label("tax_id"), c.tax_id),
        fact(_("Branch of"), data.parent.name) if data.parent else "",
    )
    task = data.next_task
    third = line(
        fact(field_label("last_interaction_at"), fmt_date(c.last_interaction_at) or "—"),
        fact(
            field_label("next_task_at"),
            f"{fmt_date(task.due_at)} {task.title}" if task else "—",
        ),
    )
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True, justify="right", style="dim")
    grid.add_row(first, _("v{version}").format(version=c.version))
    grid.add_row(second, "")
    grid.add_row(third, "")
    return grid


# -- the Dates tab -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateRow:
    """A line of the Dates tab: a company date or a contact person's birthday."""

    next_on: date  # when it comes next (today included)
    kind: str  # birthday | foundation | holiday | contract | other
    title: str  # the person's name for a birthday
    month: int
    day: int
    year: int | None
    remind_days: int
    date: DateOut | None = None  # a company date
    contact_id: int | None = None  # a birthday

    @property
    def years(self) -> int | None:
        """The age or anniversary reached on ``next_on``."""
        if self.year is None or self.next_on.year <= self.year:
            return None
        return self.next_on.year - self.year


def next_on(month: int, day: int, today: date) -> date:
    """The next day (from today) a date of this month and day falls on; 29 February
    falls on 28 February in a common year."""
    for year in (today.year, today.year + 1):
        leap_day = month == 2 and day == 29
        found = date(year, month, 28 if leap_day and not calendar.isleap(year) else day)
        if found >= today:
            return found
    raise AssertionError("a date comes within a year")


def read_dates(s: Any, a: Any, client_id: int, today: date) -> list[DateRow]:
    """The client's company dates and its contacts' birthdays, the next one first."""
    found: list[DateRow] = []
    for d in significant_dates.list_dates(s, a, client_id=client_id):
        found.append(
            DateRow(
                next_on(d.month, d.day, today),
                d.kind,
                d.title,
                d.month,
                d.day,
                d.year,
                d.remind_days,
                date=d,
            )
        )
    after: str | None = None
    while True:
        page = contacts.list_contacts(s, a, client_id=client_id, after=after, limit=500)
        for c in page.items:
            if c.birthday is not None:
                b = c.birthday
                found.append(
                    DateRow(
                        next_on(b.month, b.day, today),
                        "birthday",
                        c.full_name,
                        b.month,
                        b.day,
                        b.year,
                        c.birthday_remind_days,
                        contact_id=c.id,
                    )
                )
        after = page.next_cursor
        if after is None:
            break
    found.sort(key=lambda r: (r.next_on, r.kind != "birthday", r.title))
    return found


def _date_title(row: DateRow) -> str:
    return f"{row.title} ({fmt_number(row.years)})" if row.years else row.title


def _day_month(row: DateRow) -> str:
    from termcrm.screens.date_form import day_month_text

    return day_month_text(row.month, row.day, row.year)


def _remind(row: DateRow) -> str:
    n = row.remind_days
    if n == 0:
        return _("on the day")
    return ngettext("{n} day before", "{n} days before", n).format(n=n)


def date_columns() -> list[Column[DateRow]]:
    return [
        Column("next", _("Next"), lambda r: fmt_date(r.next_on), width=10),
        Column(
            "kind", _("Kind"), lambda r: _(KIND_LABELS.get(r.kind, r.kind)), min_width=8, weight=2
        ),
        Column("title", _("Title"), _date_title, min_width=12, weight=3),
        Column("date", _("Date"), _day_month, width=12),
        Column("remind", _("Remind"), _remind, width=13),
    ]


class DatesTable(VirtualTable[DateRow]):
    """The Dates tab's list, with its own keys (the card's e and Delete act on the
    client elsewhere)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "screen.add_date", N_("Add date"), id="card.dates.add"),
        Binding("e", "screen.edit_date", N_("Edit date"), id="card.dates.edit"),
        Binding("x,d,delete", "screen.delete_date", N_("Delete date"), id="card.dates.delete"),
    ]


class DetailsDialog(CrmModal[None]):
    """One journal entry, task or deal in full: label / value lines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", N_("Close"), id="card.details.close"),
    ]
    DEFAULT_CSS = """
    DetailsDialog .details-body { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in self.rows:
            if value:
                grid.add_row(Text(label), Text(value))
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="details-body"):
                yield Static(grid)

    def action_close(self) -> None:
        self.dismiss(None)


class ClientCardScreen(TabbedCard):
    TABS = TABS
    AUTO_FOCUS = "#overview-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", N_("Edit"), id="card.edit"),
        Binding("a", "add_contact", N_("Add contact"), id="card.add_contact"),
        Binding("d,delete", "delete", N_("Delete"), id="card.delete"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="card.reload"),
        Binding("escape", "back", N_("Back"), id="card.back"),
        Binding("right,tab", "next_tab", N_("Next tab"), show=False, id="card.next_tab"),
        Binding(
            "left,shift+tab", "previous_tab", N_("Previous tab"), show=False, id="card.previous_tab"
        ),
    ]
    DEFAULT_CSS = """
    ClientCardScreen #card-header { height: 3; padding: 0 1; background: $boost; }
    ClientCardScreen TabbedContent { height: 1fr; }
    ClientCardScreen TabbedContent > ContentSwitcher { height: 1fr; }
    ClientCardScreen TabPane { height: 1fr; padding: 0; }
    ClientCardScreen #overview-body { height: 1fr; padding: 0 1; }
    ClientCardScreen #branches-note { height: auto; padding: 0 1; color: $text-muted; }
    ClientCardScreen #branches-note.-empty { display: none; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.current_client_id = client_id  # the quick log's default client
        self.loaded: CardData | None = None
        self._generation = 0
        # each tab's list; the old rows stay in view until the new first page
        self.lists: dict[str, PagedList[Any]] = {
            key: PagedList(
                self,
                f"#{key}-table",
                page_size=PAGE,
                wait=True,
                on_change=partial(self._count, key),
            )
            for key in LISTS
        }
        self._empty: dict[str, str] = {}  # what each tab says once its list is read and empty
        self._skip_reload = False  # the next resume follows a question, not an edit

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Static(_("Loading…"), id="card-header")
        with TabbedContent(initial="overview"):
            with TabPane(_("Overview"), id="overview"), VerticalScroll(id="overview-body"):
                yield Static(_("Loading…"), id="overview-text")
            with TabPane(_("Branches"), id="branches"):
                yield Static("", id="branches-note", classes="-empty")
                yield VirtualTable(
                    branch_columns(self), empty_text=_("Loading…"), id="branches-table"
                )
            with TabPane(_("Contacts"), id="contacts"):
                yield VirtualTable(contact_columns(), empty_text=_("Loading…"), id="contacts-table")
            with TabPane(_("Journal"), id="journal"):
                yield VirtualTable(journal_columns(), empty_text=_("Loading…"), id="journal-table")
            with TabPane(_("Tasks"), id="tasks"):
                yield VirtualTable(task_columns(), empty_text=_("Loading…"), id="tasks-table")
            with TabPane(_("Dates"), id="dates"):
                yield DatesTable(date_columns(), empty_text=_("Loading…"), id="dates-table")
            with TabPane(_("Deals"), id="deals"):
                yield VirtualTable(deal_columns(), empty_text=_("Loading…"), id="deals-table")
        yield Footer(compact=True)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._close_on_resume:
            self._close()
        elif self._skip_reload:
            self._skip_reload = False
        else:
            self.load()

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the card, then every tab's first page (again, after a change)."""
        if self._gone:
            return
        self._generation += 1
        generation = self._generation

        def arrived(data: CardData) -> None:
            if generation == self._generation:
                self._show(data)

        def failed(error: Exception) -> bool:
            if isinstance(error, NotFound | Forbidden):
                self._close()
                self.crm.show_error(error)
                return True
            return False

        self.call(read_card(self.client_id), arrived, failed=failed)

    def _show(self, data: CardData) -> None:
        self.loaded = data
        c = data.client
        self.query_one("#card-header", Static).update(header(data))
        self.query_one("#overview-text", Static).update(overview(data))
        note = self.query_one("#branches-note", Static)
        note.update(Text(_("Parent client: {reason}").format(reason=data.parent_refusal)))
        note.set_class(not data.parent_refusal, "-empty")
        cid = c.id
        branches = ClientFilter(parent_id=cid)
        self._load_list(
            "branches",
            lambda s, a, after, n: list_clients(s, a, branches, after=after, limit=n),
            _("No parent and no branches."),
            first=data.parent,
        )
        self._load_list(
            "contacts",
            lambda s, a, after, n: contacts.list_contacts(
                s, a, client_id=cid, after=after, limit=n
            ),
            _("No contact persons yet: press a to add one."),
        )
        self._load_list(
            "journal",
            lambda s, a, after, n: journal.list_interactions(
                s, a, JournalFilter(client_id=cid), after=after, limit=n
            ),
            _("No interactions yet: press l to log one."),
        )
        self._load_list(
            "tasks",
            lambda s, a, after, n: tasks.list_tasks(
                s, a, TaskFilter(client_id=cid), after=after, limit=n
            ),
            _("No open tasks."),
        )
        self._load_list(
            "deals",
            lambda s, a, after, n: deals.list_deals(
                s, a, DealFilter(client_id=cid), after=after, limit=n
            ),
            _("No deals."),
        )
        self._load_dates()

    def _load_list(self, key: str, read: Read[Any], empty: str, *, first: Any = None) -> None:
        """A tab's list, page by page; ``empty``: what the tab says when it has no rows."""
        self._empty[key] = empty
        self.lists[key].load(read, first=first, keep_cursor=True)

    def _load_dates(self) -> None:
        """The Dates tab: the company's dates and its contacts' birthdays, next one first."""
        generation, cid = self._generation, self.client_id
        today = self.crm.now().astimezone(i18n.zone()).date()

        def arrived(rows: list[DateRow]) -> None:
            if generation != self._generation:
                return
            table = self.table("dates")
            table.empty_text = _("No significant dates: press n to add one.")
            table.set_source(ListSource(rows), keep_cursor=True)
            self.tabs.get_tab("dates").label = _("Dates") + f" ({fmt_number(len(rows))})"

        self.call(lambda s, a: read_dates(s, a, cid, today), arrived)

    def _count(self, key: str) -> None:
        """The tab's title with how many rows it has ("Journal (50+)" while not all read)."""
        pages = self.lists[key]
        source, shown = pages.source, pages.shown
        if source is None or shown is None:
            return
        self.table(key).empty_text = self._empty[key]
        title = _(dict(TABS)[key])
        if source.exact:
            count = fmt_number(shown.total)
        else:
            count = fmt_number(shown.total - source.page_size) + "+"
        self.tabs.get_tab(key).label = f"{title} ({count})"

    # -- rows ------------------------------------------------------------------------------------

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        item = event.item
        if isinstance(item, ClientRow):
            self.app.push_screen(ClientCardScreen(item.id))
        elif isinstance(item, ContactOut):
            self.open_contact(item.id)
        elif isinstance(item, InteractionOut):
            self.app.push_screen(DetailsDialog(_("Interaction"), interaction_rows(item)))
        elif isinstance(item, TaskOut):
            self.app.push_screen(DetailsDialog(item.title, task_rows(item)))
        elif isinstance(item, DealOut):
            from termcrm.screens.deal_card import DealCard

            self.app.push_screen(DealCard(item.id))
        elif isinstance(item, DateRow):
            self.action_edit_date()

    def open_contact(self, contact_id: int) -> None:
        from termcrm.screens.contact_card import ContactCardScreen

        self.app.push_screen(ContactCardScreen(contact_id))

    # -- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_edit(self) -> None:
        from termcrm.screens.client_form import ClientFormScreen

        self.app.push_screen(ClientFormScreen(self.client_id))

    def action_add_contact(self) -> None:
        from termcrm.screens.contact_form import ContactFormScreen

        def saved(contact_id: int | None) -> None:
            if contact_id is not None:
                self.tabs.active = "contacts"

        self.app.push_screen(ContactFormScreen(self.client_id), saved)

    # -- the Dates tab (its keys are the table's: they act when it has the focus) ----------

    def _current_date(self) -> DateRow | None:
        row = self.table("dates").current
        return row if isinstance(row, DateRow) else None

    def action_add_date(self) -> None:
        from termcrm.screens.date_form import DateFormScreen

        self.app.push_screen(DateFormScreen(self.client_id))

    def action_edit_date(self) -> None:
        row = self._current_date()
        if row is None:
            return
        if row.date is not None:
            from termcrm.screens.date_form import DateFormScreen

            self.app.push_screen(DateFormScreen(self.client_id, row.date.id))
        elif row.contact_id is not None:  # a birthday: the contact person's form
            from termcrm.screens.contact_form import ContactFormScreen

            self.app.push_screen(ContactFormScreen(self.client_id, row.contact_id))

    def action_delete_date(self) -> None:
        row = self._current_date()
        if row is None:
            return
        if row.date is None:
            self.notify(
                _("A birthday is the contact person's: edit the person (e) to change it."),
                markup=False,
            )
            return
        found = row.date

        def delete() -> None:
            self.call(
                lambda s, a: significant_dates.delete_date(s, a, found.id, version=found.version),
                lambda _none: self.load(),
                write=True,
                failed=self._date_not_deleted,
            )

        self._skip_reload = True  # the question changes nothing
        self.confirm(
            _("Delete the date “{title}” of {client}?").format(
                title=found.title, client=found.client
            ),
            delete,
            yes=_("Delete"),
            no=_("Keep"),
        )

    def _date_not_deleted(self, error: Exception) -> bool:
        self.load()  # the app shows why; the tab shows what is there now
        return False

    def action_delete(self) -> None:
        if self.loaded is None:
            return
        self._skip_reload = True  # a question changes nothing; a delete closes the card
        move_to_trash(self, self.loaded.client, self._close, failed=self._not_deleted)

    def _not_deleted(self, error: Exception) -> bool:
        """The app shows why; the card shows what is there now (or closes: it is gone)."""
        if isinstance(error, NotFound | Forbidden):
            self._close()
        else:
            self.load()
        return False


def branch_columns(card: ClientCardScreen) -> list[Column[ClientRow]]:
    def relation(row: ClientRow) -> str:
        parent = card.loaded.parent if card.loaded else None
        return _("parent") if parent is not None and row.id == parent.id else _("branch")

    return [
        Column("relation", "", relation, width=7),
        Column("name", _("Name"), lambda r: r.name, min_width=14, weight=3),
        Column("city", _("City"), lambda r: r.city, min_width=6),
        Column("status", _("Status"), lambda r: value_label(r.status), width=9),
        Column("owner", _("Owner"), lambda r: r.owner, min_width=6),
        Column("last", _("Last contact"), lambda r: fmt_date(r.last_interaction_at), width=10),
    ]


def interaction_rows(i: InteractionOut) -> list[tuple[str, str]]:
    return [
        (field_label("occurred_at"), fmt_datetime(i.occurred_at)),
        (field_label("kind"), value_label(i.kind)),
        (field_label("direction"), value_label(i.direction)),
        (field_label("contact"), i.contact),
        (field_label("purpose"), i.purpose),
        (field_label("result"), i.result),
        (field_label("user"), i.user),
    ]


def task_rows(t: TaskOut) -> list[tuple[str, str]]:
    return [
        (field_label("due_at"), fmt_datetime(t.due_at)),
        (field_label("kind"), value_label(t.kind)),
        (field_label("status"), value_label(t.status)),
        (field_label("assignee"), t.assignee),
        (field_label("notes"), t.notes),
    ]
