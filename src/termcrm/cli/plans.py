"""`termcrm plan ...`: sales plans per month for a user or a department."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from termcrm.cli.output import Format, FormatOpt, emit, say
from termcrm.cli.runtime import guarded, runtime

app = typer.Typer(
    help="Sales plans: an amount per month per user or department.", no_args_is_help=True
)

COLUMNS = [
    ("Month", lambda p: f"{p.month:%Y-%m}"),
    ("User", lambda p: p.user),
    ("Department", lambda p: p.department),
    ("Amount", lambda p: p.amount),
    ("Currency", lambda p: p.currency),
]
UserOpt = Annotated[str | None, typer.Option("--user", help="the user's login")]
DeptOpt = Annotated[str | None, typer.Option("--department", help="the department (name or path)")]


def parse_month(text: str) -> date:
    """2026-12 (or any day of it, 2026-12-15) as the month's first day."""
    value = text.strip()
    try:
        if len(value) <= 7:
            year, month = value.split("-")
            return date(int(year), int(month), 1)
        return date.fromisoformat(value).replace(day=1)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a month; use 2026-12", param_hint="MONTH"
        ) from None


@app.command("set")
@guarded
def set_(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="the month: 2026-12")],
    amount: Annotated[str, typer.Argument(help="the amount to sell in it")],
    user: UserOpt = None,
    department: DeptOpt = None,
    currency: Annotated[str, typer.Option(help="the plan's currency")] = "RUB",
) -> None:
    """Set (or change) the plan of a user or of a department for a month."""
    from termcrm.services import org, sales_plans

    if (user is None) == (department is None):
        raise typer.BadParameter("give --user or --department (one of them)")
    first = parse_month(month)
    rt = runtime(ctx)
    with rt.write() as s:
        plan = sales_plans.set_plan(
            s,
            rt.actor,
            month=first,
            amount=amount,
            currency=currency,
            user_id=org.get_user(s, user).id if user else None,
            department_id=org.find_department(s, department) if department else None,
        )
    whom = plan.user or plan.department
    say(f"Plan for {whom}, {plan.month:%Y-%m}: {plan.amount:,.2f} {plan.currency}")


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    period: Annotated[
        str | None, typer.Option(help="2026, 2026-Q3, 2026-11 or 2026-01-01..2026-06-30")
    ] = None,
    user: UserOpt = None,
    department: DeptOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The plans you may see: yours (a rep), your department's (a manager), all (a director)."""
    from termcrm.cli.funnel import parse_period
    from termcrm.services import org, sales_plans

    days = parse_period(period) if period else None
    rt = runtime(ctx)
    with rt.read() as s:
        found = sales_plans.plans(
            s,
            rt.actor,
            period=days,
            user_id=org.get_user(s, user).id if user else None,
            department_id=org.find_department(s, department) if department else None,
        )
    emit(found, COLUMNS, fmt, empty="No plans.")
