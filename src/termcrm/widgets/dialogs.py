"""Small modal dialogs: an error, a yes/no question."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from termcrm.i18n import N_, _
from termcrm.labels import field_label
from termcrm.widgets.translated import translate_bindings

R = TypeVar("R")


def describe_error(error: BaseException) -> str:
    """What a user reads about a failed action: the reason, in one paragraph."""
    module = type(error).__module__
    if module.startswith("termcrm"):
        errors = getattr(error, "errors", None)
        if isinstance(errors, dict) and errors:
            return "\n".join(f"{field_label(f)}: {message}" for f, message in errors.items())
        return str(error)
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3")):
        orig = getattr(error, "orig", None) or error
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return _("Cannot use the database: {reason}").format(reason=reason)
    return _("Unexpected error ({kind}): {message}").format(
        kind=type(error).__name__, message=error
    )


class Dialog(ModalScreen[R]):
    """A termcrm dialog: its keys translated and shown in a footer of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def on_mount(self) -> None:
        if not self.query(Footer):
            self.mount(Footer(compact=True))


class ErrorDialog(Dialog[None]):
    """An error, with the reason; any of Enter, Escape or the button closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", N_("Close"), id="dialog.close"),
        Binding("enter", "dismiss", N_("Close"), show=False),
    ]

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.title_text = title or _("Something went wrong")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog[bool]):
    """A yes/no question; ``y`` / ``n`` answer it too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), id="dialog.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="dialog.no"),
    ]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes = yes or _("Yes")
        self.no = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
