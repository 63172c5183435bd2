"""The pipeline settings (``S`` in the Deals and Funnel sections, or the palette): the
pipelines (name, default, deals) on the left, the stages of the selected one (place,
name, probability, outcome, deals) on the right.

An admin or a director adds, renames, deletes and makes default a pipeline, and adds,
edits (name, probability, outcome), moves and deletes a stage; every change goes
through ``services.pipelines``, which keeps the deals' history through a rename or a
move and refuses, with its reason, what would break the pipeline (deleting a stage
with deals, the last won stage, ...). For anyone else the screen is read-only and
says why. The keys act on the table that has the focus (Tab goes between them).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from termcrm.i18n import N_, _, fmt_number
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmModal, CrmScreen
from termcrm.services import pipelines
from termcrm.services.actor import ADMIN, DIRECTOR
from termcrm.services.dto import PipelineOut, StageDetailOut
from termcrm.services.errors import Conflict, Forbidden, Invalid
from termcrm.widgets.dialogs import ErrorDialog, describe_error
from termcrm.widgets.row_sources import ListSource
from termcrm.widgets.top_bar import TopBar
from termcrm.widgets.virtual_table import Column, VirtualTable

EDITS = ("new", "edit", "delete", "make_default", "move")


def pipeline_columns() -> list[Column[PipelineOut]]:
    return [
        Column("name", _("Pipeline"), lambda p: p.name, min_width=8, weight=1),
        Column(
            "default", _("Default"), lambda p: "✓" if p.is_default else "", width=len(_("Default"))
        ),
        Column("deals", _("Deals"), lambda p: fmt_number(p.deals), width=6, right=True),
    ]


def stage_columns(places: dict[int, int]) -> list[Column[StageDetailOut]]:
    """``places``: stage id -> its place from 1, as the services count places."""
    probability = _("Prob. %")
    return [
        Column("place", "#", lambda st: fmt_number(places.get(st.id, 0)), width=3, right=True),
        Column("name", _("Stage"), lambda st: st.name, min_width=8, weight=1),
        Column(
            "probability",
            probability,
            lambda st: fmt_number(st.probability),
            width=len(probability),
            right=True,
        ),
        Column("outcome", _("Outcome"), lambda st: value_label(st.outcome), width=8),
        Column("deals", _("Deals"), lambda st: fmt_number(st.deals), width=6, right=True),
    ]


class _NamedDialog(CrmModal[Any]):
    """A small form: labelled rows, a line for errors, Save / Cancel (ctrl+s, Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True, id="pipelines.dialog.save"),
        Binding("escape", "cancel", N_("Cancel"), id="pipelines.dialog.cancel"),
    ]
    DEFAULT_CSS = """
    _NamedDialog .pd-row { height: auto; }
    _NamedDialog .pd-label { width: 14; color: $text-muted; }
    _NamedDialog .pd-row Input { width: 1fr; background: $boost; }
    _NamedDialog .pd-row Input.-error { background: $error 30%; }
    _NamedDialog .pd-row Select { width: 1fr; }
    _NamedDialog #pd-error { color: $error; height: auto; }
    _NamedDialog #pd-error.-empty { display: none; }
    _NamedDialog .dialog-buttons { padding: 1 0 0 0; }
    """
    TITLE_TEXT = ""

    def __init__(self) -> None:
        super().__init__()
        self._saving = False

    def rows(self) -> ComposeResult:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text(), classes="dialog-title", markup=False)
            yield from self.rows()
            yield Static("", id="pd-error", classes="-empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def title_text(self) -> str:
        raise NotImplementedError

    def row(self, label: str, widget: Widget) -> Horizontal:
        return Horizontal(Label(label, classes="pd-label"), widget, classes="pd-row")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        error = self.query_one("#pd-error", Static)
        error.update(message)
        error.set_class(not message, "-empty")

    def refused(self, error: Exception) -> bool:
        """A service's refusal under the fields, with the field it is about."""
        self._saving = False
        if isinstance(error, Invalid):
            self.show_error(
                "\n".join(f"{field_label(f)}: {message}" for f, message in error.errors.items())
            )
            return True
        if isinstance(error, Conflict):  # changed meanwhile: say who, show it as it is now
            self.dismiss(None)
            self.crm.show_error(error)
            return True
        return False  # a lost connection: the app's error dialog

    def save(self, fn: Any) -> None:
        if self._saving:
            return
        self._saving = True
        self.call(fn, self._saved, write=True, failed=self.refused)

    def _saved(self, result: Any) -> None:
        self.dismiss(result)


class PipelineDialog(_NamedDialog):
    """A new pipeline's name (it starts with the standard stages), or a new name."""

    def __init__(self, pipeline: PipelineOut | None = None) -> None:
        super().__init__()
        self.pipeline = pipeline

    def title_text(self) -> str:
        if self.pipeline is None:
            return _("New pipeline (with the standard stages; change them afterwards)")
        return _("Rename pipeline “{name}”").format(name=self.pipeline.name)

    def rows(self) -> ComposeResult:
        name = self.pipeline.name if self.pipeline else ""
        yield self.row(_("Name"), Input(name, compact=True, id="pd-name"))

    def action_save(self) -> None:
        name = self.query_one("#pd-name", Input).value
        p = self.pipeline
        if p is None:
            self.save(lambda s, a: pipelines.add_pipeline(s, a, name))
        else:
            pid, version = p.id, p.version
            self.save(lambda s, a: pipelines.rename_pipeline(s, a, pid, name, version=version))


class StageDialog(_NamedDialog):
    """A stage's name, probability (0-100 %) and outcome (open, won, lost)."""

    def __init__(self, pipeline: PipelineOut, stage: StageDetailOut | None = None) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.stage = stage

    def title_text(self) -> str:
        if self.stage is None:
            return _("New stage of pipeline “{name}”").format(name=self.pipeline.name)
        return _("Stage “{name}”").format(name=self.stage.name)

    def rows(self) -> ComposeResult:
        st = self.stage
        yield self.row(_("Name"), Input(st.name if st else "", compact=True, id="pd-name"))
        yield self.row(
            _("Probability %"),
            Input(
                str(st.probability) if st else "",
                placeholder="0-100",
                compact=True,
                id="pd-probability",
            ),
        )
        yield self.row(
            _("Outcome"),
            Select(
                [(value_label(o), o) for o in pipelines.OUTCOMES],
                value=st.outcome if st else "open",
                allow_blank=False,
                compact=True,
                id="pd-outcome",
            ),
        )

    def action_save(self) -> None:
        name = self.query_one("#pd-name", Input).value
        text = self.query_one("#pd-probability", Input).value.strip()
        # not a whole number: the service refuses it with its reason
        probability = int(text) if text.isdigit() else -1
        outcome = str(self.query_one("#pd-outcome", Select).value)
        st, pipeline_id = self.stage, self.pipeline.id
        if st is None:
            self.save(
                lambda s, a: pipelines.add_stage(
                    s, a, pipeline_id, name, probability=probability, outcome=outcome
                )
            )
        else:
            sid, version = st.id, st.version
            self.save(
                lambda s, a: pipelines.update_stage(
                    s,
                    a,
                    sid,
                    version=version,
                    name=name,
                    probability=probability,
                    outcome=outcome,
                )
            )


class PipelineSettings(CrmScreen[None]):
    AUTO_FOCUS = "#pipelines"
    DEFAULT_CSS = """
    PipelineSettings #ps-title { height: 1; padding: 0 1; text-style: bold; }
    PipelineSettings #ps-tables { height: 1fr; }
    PipelineSettings #pipelines { width: 2fr; margin-right: 1; }
    PipelineSettings #stages { width: 3fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", N_("New"), id="pipelines.new"),
        Binding("e", "edit", N_("Edit"), id="pipelines.edit"),
        Binding("shift+up,u", "move(-1)", N_("Up"), id="pipelines.up"),
        Binding("shift+down,j", "move(1)", N_("Down"), id="pipelines.down"),
        Binding("d", "make_default", N_("Default"), id="pipelines.default"),
        Binding("delete", "delete", N_("Delete"), id="pipelines.delete"),
        Binding("ctrl+r", "reload", N_("Reload"), show=False, id="pipelines.reload"),
        Binding("escape", "back", N_("Back"), id="pipelines.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[PipelineOut] = []
        self._pipeline_id: int | None = None  # the cursor's pipeline, kept over a reload
        self._stage_id: int | None = None

    # -- who ---------------------------------------------------------------------------------

    @property
    def role(self) -> str:
        connection = self.crm.connection
        return connection.actor.role if connection is not None else ""

    @property
    def may_change(self) -> bool:
        return self.role in (ADMIN, DIRECTOR)

    # -- layout ------------------------------------------------------------------------------

    @property
    def pipelines_table(self) -> VirtualTable[PipelineOut]:
        return self.query_one("#pipelines", VirtualTable)

    @property
    def stages_table(self) -> VirtualTable[StageDetailOut]:
        return self.query_one("#stages", VirtualTable)

    def compose(self) -> ComposeResult:
        yield TopBar(None)
        yield Static(_("Pipelines and their stages"), id="ps-title")
        with Horizontal(id="ps-tables"):
            yield VirtualTable(pipeline_columns(), empty_text=_("Loading…"), id="pipelines")
            yield VirtualTable(stage_columns({}), id="stages")
        yield Static("", classes="status-line", id="ps-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_on_top():
            self.load()

    # -- reading -----------------------------------------------------------------------------

    def load(self) -> None:
        # a write: the default pipeline is made on a fresh database
        self.call(lambda s, a: pipelines.list_pipelines(s, a), self._show, write=True)

    def _show(self, items: list[PipelineOut]) -> None:
        self.items = items
        table = self.pipelines_table
        table.empty_text = _("No pipelines.")
        table.set_source(ListSource(items), keep_cursor=True)
        index = next((i for i, p in enumerate(items) if p.id == self._pipeline_id), None)
        if index is not None:
            table.cursor = index
        self._show_stages()
        self._show_status()

    @property
    def pipeline(self) -> PipelineOut | None:
        return self.pipelines_table.current if self.items else None

    @property
    def stage(self) -> StageDetailOut | None:
        return self.stages_table.current if self.pipeline else None

    def _show_stages(self) -> None:
        p = self.pipeline
        self._pipeline_id = p.id if p else None
        table = self.stages_table
        stages = list(p.stages) if p else []
        table.columns = stage_columns({st.id: i for i, st in enumerate(stages, 1)})
        table.empty_text = _("No stages.")
        table.set_source(ListSource(stages), keep_cursor=True)
        title = Text(_("Pipelines and their stages"))
        if p is not None:
            title.append(" · ")
            title.append(_("stages of “{pipeline}”").format(pipeline=p.name), style="not bold")
        self.query_one("#ps-title", Static).update(title)
        index = next((i for i, st in enumerate(stages) if st.id == self._stage_id), None)
        if index is not None:
            table.cursor = index
        self.refresh_bindings()

    def _show_status(self) -> None:
        status = self.query_one("#ps-status", Static)
        if not self.may_change:
            status.update(
                Text(
                    _(
                        "Read-only: only an admin or a director can change pipelines "
                        "(you are {role})."
                    ).format(role=self.role or "?"),
                    style="bold",
                )
            )
        elif self.focused is self.stages_table:
            status.update(Text(_("Stages: n new, e edit, shift+↑/↓ move, Del delete.")))
        else:
            status.update(
                Text(_("Pipelines: n new, e rename, d make default, Del delete; Tab: stages."))
            )

    def on_virtual_table_cursor_moved(self, event: VirtualTable.CursorMoved) -> None:
        event.stop()
        if event.table is self.pipelines_table:
            p = event.item
            if isinstance(p, PipelineOut) and p.id != self._pipeline_id:
                self._pipeline_id = p.id
                self._stage_id = None
                self.stages_table.cursor = 0
                self._show_stages()
        elif isinstance(event.item, StageDetailOut):
            self._stage_id = event.item.id

    def on_virtual_table_row_chosen(self, event: VirtualTable.RowChosen) -> None:
        event.stop()
        if event.table is self.pipelines_table:
            self.stages_table.focus()
        elif self.may_change:
            self.action_edit()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()
        self._show_status()

    # -- keys --------------------------------------------------------------------------------

    def _on_stages(self) -> bool:
        return self.focused is self.stages_table

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in EDITS:
            return True
        if action in ("move", "make_default") and (action == "move") != self._on_stages():
            return False  # stages move; pipelines are made default
        if not self.may_change:
            return None  # shown dimmed: the status line says why
        return True

    def _changed(self, result: Any = None) -> None:
        if isinstance(result, StageDetailOut):
            self._stage_id = result.id
        elif isinstance(result, PipelineOut):
            self._pipeline_id = result.id
        self.load()

    def _failed(self, error: Exception) -> bool:
        """A refusal (with its reason) in the error dialog; the lists as they are now."""
        if isinstance(error, Invalid | Forbidden):
            self.app.push_screen(ErrorDialog(describe_error(error), title=_("Not changed")))
        else:
            self.crm.show_error(error)  # a conflict, a lost connection
        self.load()
        return True

    def action_new(self) -> None:
        p = self.pipeline
        if self._on_stages() and p is not None:
            self.app.push_screen(StageDialog(p), self._saved)
        else:
            self.app.push_screen(PipelineDialog(), self._saved)

    def action_edit(self) -> None:
        p = self.pipeline
        if p is None:
            return
        st = self.stage
        if self._on_stages():
            if st is not None:
                self.app.push_screen(StageDialog(p, st), self._saved)
        else:
            self.app.push_screen(PipelineDialog(p), self._saved)

    def _saved(self, result: Any) -> None:
        if result is not None:
            self._changed(result)

    def action_move(self, step: int) -> None:
        p, st = self.pipeline, self.stage
        if p is None or st is None:
            return
        place = next(i for i, x in enumerate(p.stages, 1) if x.id == st.id) + step
        if not 1 <= place <= len(p.stages):
            return
        sid, version = st.id, st.version
        self.call(
            lambda s, a: pipelines.move_stage(s, a, sid, version=version, position=place),
            self._changed,
            write=True,
            failed=self._failed,
        )

    def action_make_default(self) -> None:
        p = self.pipeline
        if p is None or p.is_default:
            return
        pid = p.id
        self.call(
            lambda s, a: pipelines.set_default_pipeline(s, a, pid),
            self._changed,
            write=True,
            failed=self._failed,
        )

    def action_delete(self) -> None:
        p = self.pipeline
        if p is None:
            return
        st = self.stage
        if self._on_stages():
            if st is None:
                return
            sid, version = st.id, st.version
            question = _("Delete stage “{stage}” of pipeline “{pipeline}”?").format(
                stage=st.name, pipeline=p.name
            )

            def delete() -> None:
                self._stage_id = None
                self.call(
                    lambda s, a: pipelines.delete_stage(s, a, sid, version=version),
                    self._changed,
                    write=True,
                    failed=self._failed,
                )

        else:
            pid, pversion = p.id, p.version
            question = _("Delete pipeline “{pipeline}” and its stages?").format(pipeline=p.name)

            def delete() -> None:
                self._pipeline_id = None
                self.call(
                    lambda s, a: pipelines.delete_pipeline(s, a, pid, version=pversion),
                    self._changed,
                    write=True,
                    failed=self._failed,
                )

        self.confirm(question, delete, yes=_("Delete"), no=_("Keep"))

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
