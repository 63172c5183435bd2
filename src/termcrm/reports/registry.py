"""Every report by its command name, and how to run one."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.reports.model import Params, Report
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    title: str  # English, marked with N_
    module: str  # termcrm.reports.<module>
    function: str
    needs_client: bool = False  # the client report: Params.options holds ("client_id", id)
    nightly: bool = True  # part of the nightly workbook
    by: bool = False  # a report over time: takes the option ``by`` (year, quarter, month)

    def load(self) -> Callable[[Session, Actor, Params], Report]:
        module = importlib.import_module(f"termcrm.reports.{self.module}")
        fn: Callable[[Session, Actor, Params], Report] = getattr(module, self.function)
        return fn

    def default_unit(self, period: tuple[date, date]) -> str | None:
        """The unit a report over time runs by when none is given (its module's
        ``default_unit``, which may depend on the period); None for the others."""
        if not self.by:
            return None
        module = importlib.import_module(f"termcrm.reports.{self.module}")
        unit: str = module.default_unit(period)
        return unit


REPORTS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("client", N_("Client report"), "client_report", "client_report", True, False),
        Spec("sales-dynamics", N_("Sales dynamics by client group"), "sales_dynamics",
             "sales_dynamics", by=True),
        Spec("abc", N_("Sales leaders and ABC analysis"), "abc", "abc_analysis"),
        Spec("plan-actual", N_("Plan vs actual"), "plan_actual", "plan_actual"),
        Spec("activity", N_("Manager activity and effectiveness"), "activity", "activity"),
        Spec("client-base", N_("Client base dynamics"), "client_base", "client_base", by=True),
        Spec("funnel", N_("Funnel and forecast"), "funnel_report", "funnel_report"),
        Spec("upcoming", N_("Upcoming dates and overdue tasks"), "upcoming", "upcoming"),
    )
}  # fmt: skip


def spec(name: str) -> Spec:
    found = REPORTS.get(name)
    if found is None:
        raise Invalid(
            {"report": _("no report '{name}' (reports: {names})").format(
                name=name, names=", ".join(REPORTS)
            )}
        )  # fmt: skip
    return found


def run(s: Session, actor: Actor, name: str, params: Params) -> Report:
    """The report called ``name`` for ``params`` as ``actor`` sees it."""
    return spec(name).load()(s, actor, params)
