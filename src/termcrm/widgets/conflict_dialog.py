"""The edit conflict: somebody saved the record while you were editing it.

``ConflictDialog(conflict, mine=fields you changed)`` lists who changed which
fields and when (with ``texts``, also what they put there and what you typed),
and offers two ways on. It dismisses with

- ``"reload"``: drop my edit and show the record as it is now;
- ``"keep"``: keep what I typed; the form takes the current version as its base, so
  saving again puts my values over theirs (only in the fields I changed);
- ``None`` (Escape): decide later; nothing changes, saving again conflicts again.
  With ``escape_keeps=True`` Escape means "keep" instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from termcrm.i18n import N_, _, fmt_datetime
from termcrm.labels import field_label
from termcrm.services.errors import ChangeBy, Conflict
from termcrm.widgets.dialogs import Dialog

Choice = Literal["reload", "keep"]


def describe_change(change: ChangeBy) -> str:
    """``Petr Ivanov, 25.11.2026 16:52: City, Status``"""
    fields = ", ".join(field_label(f) for f in change.fields) or _("no fields")
    return _("{who}, {when}: {fields}").format(
        who=change.user, when=fmt_datetime(change.at), fields=fields
    )


@dataclass(frozen=True)
class FieldTexts:
    """A form's fields as texts (field -> text, in the form's order): as the edit
    started from them, as typed, and as the other user saved them."""

    original: Mapping[str, str]
    mine: Mapping[str, str]
    theirs: Mapping[str, str]

    def describe(self) -> Text:
        """Each field they changed: their value, and mine where I typed another."""
        text = Text()
        for field, theirs in self.theirs.items():
            if theirs == self.original[field]:
                continue
            mine = self.mine[field]
            if text:
                text.append("\n")
            text.append(f"{field_label(field)}: ", style="bold")
            text.append(theirs or _("(empty)"))
            if mine != self.original[field] and mine != theirs:
                text.append("  " + _("yours: {value}").format(value=mine or "—"))
        return text


class ConflictDialog(Dialog[Choice | None]):
    """Who changed what since the version the edit started from; reload or keep editing."""

    DEFAULT_CSS = """
    ConflictDialog .conflict-dialog { border: round $warning; }
    ConflictDialog .conflict-changes { height: auto; max-height: 8; padding: 0 0 1 0; }
    ConflictDialog .conflict-changes.-texts { max-height: 12; }
    ConflictDialog .conflict-both { color: $warning; padding: 0 0 1 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('reload')", N_("Reload"), id="conflict.reload"),
        Binding("k", "choose('keep')", N_("Keep editing"), id="conflict.keep"),
        Binding("escape", "choose('later')", N_("Decide later"), id="conflict.close"),
        # escape_keeps: the binding above is off, Escape falls through to this one
        Binding("escape", "choose('keep')", show=False, id="conflict.close_keeps"),
    ]

    def __init__(
        self,
        conflict: Conflict,
        *,
        mine: Iterable[str] = (),
        subject: str | None = None,
        texts: FieldTexts | None = None,
        title: str | None = None,
        hint: str | None = None,
        escape_keeps: bool = False,
    ) -> None:
        """``subject``: the record's name for the title; ``title``, ``hint``: the
        dialog's own title and explanation of the two ways on, instead of the usual."""
        super().__init__()
        self.conflict = conflict
        self.mine = set(mine)
        self.subject = subject
        self.texts = texts
        self.title_text = title
        self.hint = hint
        self.escape_keeps = escape_keeps

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("later",):
            return not self.escape_keeps
        return True

    def compose(self) -> ComposeResult:
        conflict = self.conflict
        theirs = conflict.fields
        with Vertical(classes="dialog conflict-dialog"):
            yield Label(
                self.title_text
                or (
                    _("“{name}” was changed while you were editing").format(name=self.subject)
                    if self.subject
                    else _("This record was changed while you were editing")
                ),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                _("Since you opened version {version}:").format(version=conflict.base_version),
                markup=False,
            )
            with VerticalScroll(classes="conflict-changes" + (" -texts" if self.texts else "")):
                if conflict.changes:
                    for change in conflict.changes:
                        yield Static("• " + describe_change(change), markup=False)
                else:
                    yield Static("• " + _("another session"), markup=False)
                if self.texts is not None:
                    yield Static(self.texts.describe())
            both = sorted(self.mine & theirs)
            if both:
                yield Static(
                    _("You changed these too: {fields}").format(
                        fields=", ".join(field_label(f) for f in both)
                    ),
                    classes="conflict-both",
                    markup=False,
                )
            yield Static(
                self.hint
                or _(
                    "Nothing was saved. Reload: drop your edit and show the current version. "
                    "Keep editing: keep what you typed; saving again puts your changes "
                    "over theirs."
                ),
                classes="dialog-body hint",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Reload"), id="reload")
                yield Button(_("Keep editing"), variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        if choice == "reload":
            self.dismiss("reload")
        elif choice == "keep":
            self.dismiss("keep")
        elif choice == "later":
            self.dismiss(None)
