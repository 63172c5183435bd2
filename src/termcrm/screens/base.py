"""What every screen of termcrm shares: translated keys and the way to the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import Screen
from textual.worker import Worker

from termcrm.i18n import _
from termcrm.widgets.dialogs import ConfirmDialog, Dialog
from termcrm.widgets.translated import translate_bindings

if TYPE_CHECKING:
    from termcrm.app import TermCrmApp

T = TypeVar("T")
R = TypeVar("R")


class _Calls:
    """``self.call(fn, done)``: run ``fn(session, actor)`` off the main thread."""

    @property
    def crm(self) -> TermCrmApp:
        return cast("TermCrmApp", self.app)  # type: ignore[attr-defined]

    def call(
        self,
        fn: Callable[..., T],
        done: Callable[[T], None] | None = None,
        *,
        write: bool = False,
        failed: Callable[[Exception], bool] | None = None,
        group: str | None = None,
    ) -> Worker[None]:
        return self.crm.call(self, fn, done, write=write, failed=failed, group=group)  # type: ignore[arg-type]

    def confirm(self, question: str, then: Callable[[], object], *, yes: str, no: str) -> None:
        """Ask first (a ConfirmDialog); ``then()`` only when the answer is yes."""

        def answered(answer: bool | None) -> None:
            if answer:
                then()

        self.app.push_screen(ConfirmDialog(question, yes=yes, no=no), answered)  # type: ignore[attr-defined]

    def close_unless_typed(self, typed: bool) -> None:
        """Leave a form: at once when nothing was typed, else only after asking."""
        if not typed:
            self.dismiss(None)  # type: ignore[attr-defined]
            return
        self.confirm(
            _("Discard your changes?"),
            lambda: self.dismiss(None),  # type: ignore[attr-defined]
            yes=_("Discard"),
            no=_("Keep editing"),
        )


class CrmScreen(_Calls, Screen[R]):
    """A full screen. Sections set SECTION to light their name in the top bar."""

    SECTION: str | None = None
    # the client a screen is about, for the quick-log dialog's default
    current_client_id: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
        self._covered = False

    def on_screen_suspend(self) -> None:
        self._covered = True

    def back_on_top(self) -> bool:
        """True once each time the screen comes back after something covered it.

        Textual posts ScreenResume twice when a section is first shown; a screen that
        re-reads its data on resume asks this, so a start-up reads once, not three times.
        """
        covered, self._covered = self._covered, False
        return covered


class CrmModal(_Calls, Dialog[R]):
    """A dialog over the current screen that calls services."""
