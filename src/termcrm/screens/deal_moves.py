"""Moving a deal between stages: the stage picker, the lost reason, and the move itself.

Shared by the board (screens/deals.py), the deal card and the funnel:

- ``StagePicker(stages, current_stage_id)`` lists a pipeline's stages (the open ones,
  then won and lost) with the cursor on the deal's stage; dismisses with the chosen
  ``StageOut`` or None.
- ``LostReason(title)`` asks why the deal was lost; dismisses with the reason or None.
- ``move_with_reason(screen, deal_id, version, stage, done)`` moves the deal
  (asking the reason first for a lost stage) and calls ``done(deal)`` once moved; a
  refusal (the deal changed meanwhile, no rights) is shown with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from termcrm.i18n import N_, NP_, _, pgettext
from termcrm.screens.base import CrmModal, CrmScreen
from termcrm.services import deals
from termcrm.services.dto import DealOut, StageOut
from termcrm.services.errors import Conflict, Invalid
from termcrm.widgets.conflict_dialog import describe_change
from termcrm.widgets.dialogs import ErrorDialog, describe_error

OUTCOMES = {"open": NP_("deal", "open"), "won": NP_("deal", "won"), "lost": NP_("deal", "lost")}


def stage_text(stage: StageOut) -> str:
    """``Proposal · 40%``; a closing stage says what it means: ``Lost · lost``."""
    if stage.outcome == "open":
        return _("{name} · {probability}%").format(name=stage.name, probability=stage.probability)
    outcome = pgettext("deal", OUTCOMES[stage.outcome])
    if stage.name.casefold() == outcome.casefold():
        return stage.name  # "Won": saying "won" again adds nothing
    return _("{name} · {outcome}").format(name=stage.name, outcome=outcome)


class StagePicker(CrmModal[StageOut | None]):
    """A pipeline's stages, the cursor on the deal's; Enter picks, Escape cancels."""

    DEFAULT_CSS = """
    StagePicker #stages, StagePicker #stages:focus {
        height: auto; max-height: 16; border: none; padding: 0;
    }
    StagePicker .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="stage_picker.cancel"),
    ]

    def __init__(self, stages: Sequence[StageOut], current_stage_id: int) -> None:
        super().__init__()
        open_first = [s for s in stages if s.outcome == "open"]
        open_first += [s for s in stages if s.outcome != "open"]
        self.stages = open_first
        self.current_stage_id = current_stage_id

    def _option(self, stage: StageOut) -> Option:
        current = stage.id == self.current_stage_id
        text = Text("● " if current else "  ")
        text.append(stage_text(stage), style="bold" if current else "")
        if stage.outcome == "won":
            text.stylize("green", 2)
        elif stage.outcome == "lost":
            text.stylize("red", 2)
        return Option(text, id=str(stage.id))

    def compose(self) -> ComposeResult:
        options: list[Option | None] = []
        for stage in self.stages:
            if stage.outcome != "open" and options and stage is self._first_closing():
                options.append(None)  # a line between the open stages and won/lost
            options.append(self._option(stage))
        with Vertical(classes="dialog stage-picker") as dialog:
            dialog.styles.width = 44  # app.tcss sizes dialogs for forms
            yield Label(_("Move to stage"), classes="dialog-title")
            yield OptionList(*options, id="stages")
            yield Static(_("Enter: move · Esc: cancel"), classes="hint")

    def _first_closing(self) -> StageOut | None:
        return next((s for s in self.stages if s.outcome != "open"), None)

    def on_mount(self) -> None:
        options = self.query_one("#stages", OptionList)
        current = str(self.current_stage_id)
        for index in range(options.option_count):
            if options.get_option_at_index(index).id == current:
                options.highlighted = index
                break
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next((s for s in self.stages if str(s.id) == event.option_id), None)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LostReason(CrmModal[str | None]):
    """Why the deal was lost: Enter or ctrl+s saves, Escape cancels; never empty."""

    DEFAULT_CSS = """
    LostReason #lost-reason { width: 1fr; background: $boost; }
    LostReason #lost-reason:focus { background: $primary 30%; }
    LostReason #lost-reason.-error { background: $error 30%; }
    LostReason #lost-reason-error { color: $error; height: auto; }
    LostReason #lost-reason-error.-empty { display: none; }
    LostReason .dialog-buttons { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Lost"), id="lost_reason.save"),
        Binding("escape", "cancel", N_("Back"), id="lost_reason.back"),
    ]

    def __init__(self, title: str = "", reason: str = "") -> None:
        """``title``: the deal's, for the dialog's title; ``reason``: what the field starts with."""
        super().__init__()
        self.deal_title = title
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lost-reason") as dialog:
            dialog.styles.width = 60  # one line to type: narrower than a form
            yield Label(
                _("Lost: “{title}”").format(title=self.deal_title)
                if self.deal_title
                else _("The deal is lost"),
                classes="dialog-title",
                markup=False,
            )
            yield Label(_("Why was the deal lost?"))
            yield Input(
                self.reason,
                compact=True,
                placeholder=_("price, competitor, timing, no budget…"),
                id="lost-reason",
            )
            yield Static("", id="lost-reason-error", classes="-empty", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Mark as lost"), variant="error", compact=True, id="save")
                yield Button(_("Back"), compact=True, id="back")

    def on_mount(self) -> None:
        self.query_one("#lost-reason", Input).focus()

    def set_error(self, message: str) -> None:
        error = self.query_one("#lost-reason-error", Static)
        error.update(message)
        error.set_class(not message, "-empty")
        self.query_one("#lost-reason", Input).set_class(bool(message), "-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self.set_error("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        reason = " ".join(self.query_one("#lost-reason", Input).value.split())
        if not reason:
            self.set_error(_("Say why the deal was lost."))
            self.query_one("#lost-reason", Input).focus()
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)


def conflict_text(error: Conflict) -> str:
    """What a refused move says: who changed the deal since it was read, and what now."""
    lines = [_("Since you saw version {version}:").format(version=error.base_version)]
    if error.changes:
        lines += ["• " + describe_change(change) for change in error.changes]
    else:
        lines.append("• " + _("another session"))
    lines += ["", _("Nothing was moved. Look at the deal as it is now and move it again.")]
    return "\n".join(lines)


def move_with_reason(
    screen: CrmScreen[Any] | CrmModal[Any],
    deal_id: int,
    version: int,
    stage: StageOut,
    done: Callable[[DealOut], None],
    *,
    title: str = "",
    refused: Callable[[Exception], None] | None = None,
) -> None:
    """Move deal ``deal_id`` (read at ``version``) to ``stage``; ``done(deal)`` once moved.

    A lost stage asks the reason first (cancelling it moves nothing). A refusal is shown
    with its reason (a conflict: who changed the deal meanwhile) and nothing moves;
    ``refused(error)`` is called after it, e.g. to read the deal again. ``title``: the
    deal's, for the lost reason's dialog.
    """

    def failed(error: Exception) -> bool:
        shown = True
        if isinstance(error, Conflict):
            heading = (
                _("“{title}” was changed meanwhile").format(title=title)
                if title
                else _("The deal was changed meanwhile")
            )
            screen.app.push_screen(ErrorDialog(conflict_text(error), title=heading))
        elif isinstance(error, Invalid):
            screen.app.push_screen(
                ErrorDialog(describe_error(error), title=_("The deal was not moved"))
            )
        else:
            shown = False  # the app's error dialog shows it (no rights, a lost connection)
        if refused is not None:
            refused(error)
        return shown

    def move(reason: str) -> None:
        screen.call(
            lambda s, a: deals.move_deal(
                s, a, deal_id, version=version, stage=stage.id, lost_reason=reason
            ),
            done,
            write=True,
            failed=failed,
        )

    if stage.outcome != "lost":
        move("")
        return

    def answered(reason: str | None) -> None:
        if reason:
            move(reason)

    screen.app.push_screen(LostReason(title), answered)
