"""What every screen of termcrm shares: translated keys and the way to the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from termcrm.widgets.dialogs import ConfirmDialog
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


class CrmScreen(_Calls, Screen[R]):
    """A full screen. Sections set SECTION to light their name in the top bar."""

    SECTION: str | None = None
    # the client a screen is about, for the quick-log dialog's default
    current_client_id: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)


class CrmModal(_Calls, ModalScreen[R]):
    """A dialog over the current screen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
