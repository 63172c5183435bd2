"""A new deal, or a deal edited (``n`` on the board, ``e`` on the deal card).

New: the client (typed with completion, or the one given), the pipeline and its
stage, title, amount and currency, a contact person of the client, the owner (among
the users the actor may hand a deal to; a rep owns their own deals), the expected
close date (typed as the locale writes dates, or YYYY-MM-DD), source, type,
competitor, description. Edited: the same fields but the client, the pipeline and the
stage (``m`` on the card moves a deal), and the lost reason of a lost deal. What the
services refuse is shown under its field (the amount while it follows the line
items, a currency of a deal with lines, a contact of another client…); a deal
changed by somebody else meanwhile shows the conflict dialog. Dismissed with the
saved deal.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from termcrm.i18n import N_, _, fmt_date, parse_local_date
from termcrm.screens.deal_lines import editable_number
from termcrm.screens.task_dialogs import TaskDialog, _Fields, field_error, user_name
from termcrm.services import clients, contacts, deals, org, pipelines
from termcrm.services.actor import REP
from termcrm.services.dto import ContactOut, DealOut, PipelineOut, UserOut
from termcrm.services.errors import Conflict, Invalid
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.conflict_dialog import ConflictDialog

# the text fields the form edits as typed: (field of the deal, its input's id)
TEXTS = (
    ("title", "title"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("expected_close", "close"),
    ("source", "source"),
    ("kind", "kind"),
    ("competitor", "competitor"),
    ("description", "description"),
    ("lost_reason", "lost-reason"),
)
DEFAULT_CURRENCY = "RUB"


class DealForm(TaskDialog[DealOut | None]):
    """A new deal (``deal`` None) or a deal edited; dismissed with the saved deal."""

    DEFAULT_CSS = """
    DealForm .td-label { width: 16; }
    DealForm .field-error { padding: 0 0 0 16; }
    DealForm #currency { width: 8; }
    DealForm #follows { width: auto; padding: 0 0 0 2; color: $text-muted; }
    DealForm .td-value { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="deal_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="deal_form.cancel"),
    ]
    ERROR_SLOTS: ClassVar[dict[str, str]] = {
        "title": "title",
        "client": "client",
        "client_id": "client",
        "pipeline": "pipeline",
        "stage": "pipeline",
        "amount": "amount",
        "currency": "amount",
        "contact": "contact",
        "contact_id": "contact",
        "owner": "owner",
        "owner_id": "owner",
        "expected_close": "close",
        "source": "source",
        "kind": "kind",
        "competitor": "competitor",
        "description": "description",
        "lost_reason": "lost-reason",
    }
    SLOTS: ClassVar[tuple[str, ...]] = (
        *("form", "title", "client", "pipeline", "amount", "contact", "owner", "close"),
        *("source", "kind", "competitor", "description", "lost-reason"),
    )

    def __init__(self, deal: DealOut | None = None, *, client_id: int | None = None) -> None:
        """``client_id``: a new deal's client, chosen already (the client's card)."""
        super().__init__()
        self.deal = deal
        self.client_id = deal.client_id if deal is not None else client_id
        self.client_name = deal.client if deal is not None else ""
        self.pipelines: list[PipelineOut] = []
        self.original: dict[str, Any] = {}
        self.lost = False  # the deal edited is lost: its reason can be edited

    @property
    def editing(self) -> bool:
        return self.deal is not None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        d = self.deal
        title = _("New deal") if d is None else _("Edit “{title}”").format(title=d.title)
        with Vertical(classes="dialog") as box:
            box.styles.width = 80  # wider than a task's: the amount's line holds three fields
            yield Label(title, classes="dialog-title", markup=False)
            with _Fields(classes="td-fields"):
                yield field_error("form")
                yield self.row(
                    _("Title"), Input(d.title if d else "", compact=True, id="title"), slot="title"
                )
                if d is None:
                    picker = ClientPicker(
                        self.client_id,
                        self.client_name,
                        placeholder=_("Type a client's name…"),
                        id="client",
                    )
                    yield self.row(_("Client"), picker, slot="client")
                    yield self.row(
                        _("Pipeline"),
                        Select[int]([], prompt=_("(reading…)"), compact=True, id="pipeline"),
                        Label(_("Stage"), classes="td-label2"),
                        Select[int]([], prompt=_("(reading…)"), compact=True, id="stage"),
                        slot="pipeline",
                    )
                else:
                    yield self.row(
                        _("Client"),
                        Static(d.client, classes="td-value", markup=False),
                        slot="client",
                    )
                    yield self.row(
                        _("Stage"),
                        Static(
                            _("{stage} (m on the card moves the deal)").format(stage=d.stage),
                            classes="td-value",
                            markup=False,
                        ),
                        slot="pipeline",
                    )
                amount_row = [
                    Input(
                        editable_number(d.amount) if d else "",
                        placeholder="0",
                        compact=True,
                        id="amount",
                    ),
                    Label(_("Currency"), classes="td-label2"),
                    Input(d.currency if d else DEFAULT_CURRENCY, compact=True, id="currency"),
                ]
                if d is not None and d.amount_from_items:
                    amount_row.append(Label(_("follows the lines"), id="follows"))
                yield self.row(_("Amount"), *amount_row, slot="amount")
                yield self.row(
                    _("Contact"),
                    Select[int]([], prompt=_("(none)"), compact=True, id="contact"),
                    slot="contact",
                )
                yield self.row(
                    _("Owner"),
                    Select[int]([], prompt=_("(reading…)"), compact=True, id="owner"),
                    slot="owner",
                    id="owner-row",
                )
                yield self.row(
                    _("Expected close"),
                    Input(
                        fmt_date(d.expected_close) if d and d.expected_close else "",
                        placeholder=_("a date, such as {example}").format(
                            example=fmt_date(date(2026, 12, 31))
                        ),
                        compact=True,
                        id="close",
                    ),
                    slot="close",
                )
                yield self.row(
                    _("Source"),
                    Input(
                        d.source if d else "",
                        placeholder=_("where the deal came from"),
                        compact=True,
                        id="source",
                    ),
                    slot="source",
                )
                yield self.row(
                    _("Type"),
                    Input(
                        d.kind if d else "",
                        placeholder=_("new business, repeat sale…"),
                        compact=True,
                        id="kind",
                    ),
                    slot="kind",
                )
                yield self.row(
                    _("Competitor"),
                    Input(d.competitor if d else "", compact=True, id="competitor"),
                    slot="competitor",
                )
                yield self.row(
                    _("Description"),
                    Input(d.description if d else "", compact=True, id="description"),
                    slot="description",
                )
                yield self.row(
                    _("Lost reason"),
                    Input(d.lost_reason if d else "", compact=True, id="lost-reason"),
                    slot="lost-reason",
                    id="lost-row",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        d = self.deal
        self.lost = d is not None and bool(d.lost_reason)
        self.query_one("#lost-row").set_class(not self.lost, "-hidden")
        self.original = self._values_now()
        if self.client_id is not None:
            self._load_contacts(self.client_id)
        if d is None:
            self.call(pipelines.list_pipelines, self._pipelines_read, write=True)
        if d is not None:
            # the lost reason is for a lost deal only: ask its stage's outcome
            pipeline_id, stage_id = d.pipeline_id, d.stage_id
            self.call(
                lambda s, a: next(
                    (st.outcome for st in deals.stages(s, pipeline_id) if st.id == stage_id), ""
                ),
                self._outcome_read,
            )
        role = self.crm.connection.actor.role if self.crm.connection else REP
        if role == REP:
            self.query_one("#owner-row").add_class("-hidden")
        else:
            self.call(org.users_in_reach, self._users)
        if d is None and self.client_id is None:
            self.query_one(ClientPicker).focus()
        else:
            self.query_one("#title", Input).focus()

    def _outcome_read(self, outcome: str) -> None:
        self.lost = outcome == "lost"
        self.query_one("#lost-row").set_class(not self.lost, "-hidden")

    # -- pipelines and stages -------------------------------------------------------------------

    def _pipelines_read(self, found: list[PipelineOut]) -> None:
        self.pipelines = found
        select = self.query_one("#pipeline", Select)
        select.set_options([(p.name, p.id) for p in found])
        default = next((p for p in found if p.is_default), found[0] if found else None)
        if default is not None:
            select.value = default.id
            self._show_stages(default.id)

    def _show_stages(self, pipeline_id: int) -> None:
        pipeline = next((p for p in self.pipelines if p.id == pipeline_id), None)
        select = self.query_one("#stage", Select)
        if pipeline is None:
            select.set_options([])
            return
        select.set_options([(f"{st.name} · {st.probability}%", st.id) for st in pipeline.stages])
        if pipeline.stages:
            select.value = pipeline.stages[0].id

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "pipeline" and isinstance(event.value, int):
            self._show_stages(event.value)
            self.set_error("pipeline", "")

    # -- the client, its contacts, the users ----------------------------------------------------

    def _load_contacts(self, client_id: int) -> None:
        known = self.client_name

        def fetch(s: Any, a: Any) -> tuple[str, list[ContactOut]]:
            name = known or clients.get_client(s, a, client_id).name
            return name, contacts.list_contacts(s, a, client_id=client_id, limit=100).items

        def loaded(found: tuple[str, list[ContactOut]]) -> None:
            name, people = found
            if self.client_id != client_id:
                return  # another client was chosen meanwhile
            self.client_name = name
            pickers = self.query(ClientPicker)
            if pickers and not pickers.first().value:
                pickers.first().set_client(client_id, name)
            select = self.query_one("#contact", Select)
            select.set_options([(p.full_name, p.id) for p in people])
            wanted = self.deal.contact_id if self.deal is not None else None
            if wanted is not None and any(p.id == wanted for p in people):
                select.value = wanted
            self.original["contact"] = select.selection

        self.call(fetch, loaded, group=f"deal-form-client-{id(self)}")

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        event.stop()
        self.set_error("client", "")
        self.client_id = event.client_id
        self.client_name = event.name
        self._load_contacts(event.client_id)
        self.query_one("#pipeline", Select).focus()

    def on_client_picker_cleared(self, event: ClientPicker.Cleared) -> None:
        event.stop()
        self.client_id = None
        self.query_one("#contact", Select).set_options([])

    def _users(self, users: list[UserOut]) -> None:
        select = self.query_one("#owner", Select)
        select.set_options([(user_name(u), u.id) for u in users])
        me = self.crm.connection.actor.id if self.crm.connection else None
        wanted = self.deal.owner_id if self.deal is not None else me
        if any(u.id == wanted for u in users):
            select.value = wanted
        elif self.deal is not None:  # owned by somebody out of reach: shown, not offered
            select.set_options([*[(user_name(u), u.id) for u in users], (self.deal.owner, wanted)])
            select.value = wanted
        self.original["owner"] = select.selection

    # -- reading the fields -----------------------------------------------------------------------

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def _values_now(self) -> dict[str, Any]:
        values: dict[str, Any] = {field: self._text(wid) for field, wid in TEXTS}
        values["contact"] = self.query_one("#contact", Select).selection
        values["owner"] = self.query_one("#owner", Select).selection
        pickers = self.query(ClientPicker)
        values["client"] = pickers.first().client_id if pickers else self.client_id
        return values

    def _close_date(self) -> tuple[bool, date | None]:
        """The expected close date typed (ok, date); the error shown when not a date."""
        text = self._text("close").strip()
        if not text:
            return True, None
        try:
            return True, parse_local_date(text)
        except ValueError:
            self.set_error(
                "close",
                _("“{text}” is not a date: type {example} or {iso}").format(
                    text=text,
                    example=fmt_date(date(2026, 12, 31)),
                    iso=date(2026, 12, 31).isoformat(),
                ),
            )
            return False, None

    # -- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        self.clear_errors()
        ok, close = self._close_date()
        if self.deal is None:
            self._create(ok, close)
        elif ok:
            self._update(close)

    def _create(self, ok: bool, close: date | None) -> None:
        values = self._values_now()
        picker = self.query_one(ClientPicker)
        if picker.client_id is None:
            self.set_error(
                "client",
                _("Choose a client from the list.")
                if picker.value.strip()
                else _("Choose a client."),
            )
            ok = False
        if not values["title"].strip():
            self.set_error("title", _("A deal needs a title."))
            ok = False
        if not ok or picker.client_id is None:
            return
        client_id = picker.client_id
        pipeline = self.query_one("#pipeline", Select).selection
        stage = self.query_one("#stage", Select).selection
        contact, owner = values["contact"], values["owner"]
        self._saving = True
        self.call(
            lambda s, a: deals.add_deal(
                s,
                a,
                title=values["title"],
                client_id=client_id,
                amount=values["amount"].strip() or 0,
                currency=values["currency"],
                stage=stage if isinstance(stage, int) else None,
                pipeline=pipeline if isinstance(pipeline, int) else None,
                contact_id=contact if isinstance(contact, int) else None,
                owner_id=owner if isinstance(owner, int) else None,
                expected_close=close,
                source=values["source"],
                kind=values["kind"],
                competitor=values["competitor"],
                description=values["description"],
            ),
            self._saved,
            write=True,
            failed=self.refused,
        )

    def changes(self, close: date | None) -> dict[str, Any]:
        """What was changed, in the services' terms (a field untouched is left out)."""
        now = self._values_now()
        out: dict[str, Any] = {}
        for field, _wid in TEXTS:
            if now[field] == self.original.get(field):
                continue
            if field == "lost_reason" and not self.lost:
                continue
            out[field] = close if field == "expected_close" else now[field]
        for field in ("contact", "owner"):
            if now[field] != self.original.get(field) and (
                field == "contact" or isinstance(now[field], int)
            ):
                value = now[field]
                out[f"{field}_id"] = value if isinstance(value, int) else None
        return out

    def _update(self, close: date | None) -> None:
        deal = self.deal
        assert deal is not None
        changes = self.changes(close)
        if not changes:
            self.dismiss(None)
            return
        self._saving = True
        self.call(
            lambda s, a: deals.update_deal(s, a, deal.id, version=deal.version, changes=changes),
            self._saved,
            write=True,
            failed=self.refused,
        )

    def _saved(self, deal: DealOut) -> None:
        self._saving = False
        self.dismiss(deal)

    def refused(self, error: Exception) -> bool:
        self._saving = False
        if isinstance(error, Invalid):
            self.show_invalid(error)
            return True
        if isinstance(error, Conflict) and self.deal is not None:
            self._conflict(error)
            return True
        return False

    def _conflict(self, error: Conflict) -> None:
        deal = self.deal
        assert deal is not None
        mine = list(self.changes(None))

        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self.dismiss(None)  # the card reads the deal as it is now
            elif choice == "keep":
                self.call(lambda s, a: deals.get_deal(s, a, deal.id), self._rebase)

        self.app.push_screen(
            ConflictDialog(
                error,
                mine=mine,
                subject=deal.title,
                hint=_(
                    "Nothing was saved. Reload: close this and see the deal as it is now. "
                    "Keep editing: keep what you typed; saving again applies it to the "
                    "deal as it is now."
                ),
            ),
            chosen,
        )

    def _rebase(self, deal: DealOut) -> None:
        """Keep what was typed, based on the deal as it is now."""
        self.deal = deal

    def action_cancel(self) -> None:
        self.close_unless_typed(self._values_now() != self.original)
