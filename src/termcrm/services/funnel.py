"""The sales funnel and the forecast, headless: every figure is an SQL aggregate.

Definitions (the ones a sales team expects; the funnel screen and ``termcrm funnel``
show exactly these):

- **The deals counted**: live deals the actor may see (``deals.access_conditions``: a
  rep's own clients, a manager's department subtree, everything for a director or an
  admin) of one pipeline (the default one unless told), in ONE currency, narrowed by
  the filter: created in the period (``deal.created_at``, UTC days), owned by a user,
  or owned by a user of a department or any department below it. Amounts are never
  summed across currencies: the filter's currency, else the most common one among the
  deals of the filter (``Funnel.currencies`` lists every currency with its count).
- **Reached** (a cumulative funnel): a deal reached an open stage when its stage
  history holds a move into that stage or into any later open stage, or when it is
  won now (a won deal went through every stage). The won stage is reached by the
  deals won now, a lost stage by those lost now. A deal that went back to an earlier
  stage still counts as having reached the furthest one.
- **Conversion**: to next = reached(next open stage, or won after the last open
  stage) / reached(this stage); to won = won deals / reached(this stage); percent.
- **Average days in a stage**: over completed stays only, from the history row that
  moved a deal into the stage (``changed_at``) to its move out (``left_at``, set by
  the next move). A deal still in a stage is left out of that stage's average (its
  stay has no end yet).
- **Weighted pipeline**: the sum of amount x probability of the open deals.
- **Win rate**: won / (won + lost) of the deals counted.

The forecast sums the amounts of deals won per calendar month (UTC, by
``closed_at``) over the ``months_back`` whole months before the current one, fits a
least-squares line through those sums and extends it over ``months_ahead`` months
from the current one (never below zero); beside it, the weighted pipeline of the open
deals by the month of their expected close (earlier months: ``overdue``; none: ``undated``).
The forecast ignores the filter's period: its months are its own window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.access import department_subtree
from termcrm.services.actor import Actor
from termcrm.services.deals import access_conditions
from termcrm.services.errors import Invalid
from termcrm.store.dates import seconds_between
from termcrm.store.tables import Client, Deal, DealStageChange, Department, Pipeline, Stage, User
from termcrm.store.tables import table as table_of
from termcrm.store.types import Money, utcnow

deal_t = table_of(Deal)
client_t = table_of(Client)
stage_t = table_of(Stage)
pipeline_t = table_of(Pipeline)
history_t = table_of(DealStageChange)
user_t = table_of(User)
dept_t = table_of(Department)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WON_REACH = 1_000_000  # the "position" of a won deal: beyond every open stage
DEPT_PARAM = "funnel_dept"


# -- the filter and the results


@dataclass(frozen=True, slots=True)
class FunnelFilter:
    pipeline_id: int | None = None  # None: the default pipeline
    period: tuple[date, date] | None = None  # first and last day deals were created (UTC)
    owner_id: int | None = None
    department_id: int | None = None  # the owner's department or any below it
    currency: str | None = None  # None: the most common currency of the deals


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage_id: int
    name: str
    position: int
    probability: int
    outcome: str  # open | won | lost
    reached: int
    in_stage: int
    amount: Decimal  # of the deals in the stage now
    weighted: Decimal  # amount x probability
    to_next_pct: float | None  # open stages only
    to_won_pct: float | None  # open stages only
    avg_days: float | None  # completed stays only
    stays: int  # completed stays averaged


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Deals of one source, deal type or owner."""

    key: str  # the source, the type or the owner's name ("" when none was given)
    owner_id: int | None
    deals: int
    amount: Decimal
    open: int
    won: int
    lost: int
    won_amount: Decimal
    win_rate_pct: float | None


@dataclass(frozen=True, slots=True)
class CurrencyCount:
    currency: str
    deals: int


@dataclass(frozen=True, slots=True)
class Funnel:
    pipeline_id: int | None
    pipeline: str
    currency: str | None
    currencies: tuple[CurrencyCount, ...]
    period: tuple[date, date] | None
    stages: tuple[StageFigures, ...]
    deals: int
    open: int
    won: int
    lost: int
    amount: Decimal
    open_amount: Decimal
    won_amount: Decimal
    weighted_pipeline: Decimal
    win_rate_pct: float | None
    by_source: tuple[Breakdown, ...]
    by_kind: tuple[Breakdown, ...]
    by_owner: tuple[Breakdown, ...]


@dataclass(frozen=True, slots=True)
class ForecastMonth:
    month: date  # the first day of the month
    past: bool
    won: Decimal | None  # won in the month (past months and the current one)
    trend: Decimal  # the least-squares line (fitted for the past, projected ahead)
    weighted: Decimal | None  # open deals expected to close in it (months ahead)
    expected: Decimal | None  # their full amount


@dataclass(frozen=True, slots=True)
class Forecast:
    pipeline_id: int | None
    currency: str | None
    months: tuple[ForecastMonth, ...]
    slope: Decimal  # per month
    overdue_weighted: Decimal  # open deals expected before the current month
    undated_weighted: Decimal  # open deals with no expected close
    later_weighted: Decimal  # open deals expected after the last month shown


# -- the pieces of SQL


def find_pipeline(s: Session, ref: str | int | None) -> tuple[int, str] | None:
    """(id, name) of a pipeline by id or name; None: the default one (None if none exists yet)."""
    p = pipeline_t.c
    q = sa.select(p.id, p.name).where(p.deleted_at.is_(None))
    if ref is None:
        row = s.execute(q.where(p.is_default.is_(True)).order_by(p.id).limit(1)).first()
        return (int(row.id), row.name) if row else None
    text = str(ref).strip()
    cond = p.id == int(text) if text.isdigit() else sa.func.lower(p.name) == text.lower()
    row = s.execute(q.where(cond).limit(1)).first()
    if row is None:
        names = ", ".join(s.execute(q.with_only_columns(p.name).order_by(p.id)).scalars())
        raise Invalid(
            {
                "pipeline": _("no pipeline '{name}' (pipelines: {names})").format(
                    name=ref, names=names or "-"
                )
            }
        )
    return int(row.id), row.name


def _subtree(department_id: int) -> sa.Select[tuple[int]]:
    return department_subtree(department_id, param=DEPT_PARAM)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), UTC)


def _conditions(
    actor: Actor, flt: FunnelFilter, pipeline_id: int, *, with_period: bool = True
) -> list[sa.ColumnElement[bool]]:
    d = deal_t.c
    conds = [*access_conditions(actor), d.pipeline_id == pipeline_id]
    if with_period and flt.period is not None:
        first, last = flt.period
        conds += [
            d.created_at >= _day_start(first),
            d.created_at < _day_start(last + timedelta(days=1)),
        ]
    if flt.owner_id is not None:
        conds.append(d.owner_id == flt.owner_id)
    if flt.department_id is not None:
        conds.append(
            d.owner_id.in_(
                sa.select(user_t.c.id).where(
                    user_t.c.department_id.in_(_subtree(flt.department_id))
                )
            )
        )
    return conds


def _base() -> sa.Join:
    return deal_t.join(client_t, client_t.c.id == deal_t.c.client_id)


def _money(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Decimal]:
    return sa.type_coerce(expr, Money())


def _weighted_sum(amount_prob: Decimal | None) -> Decimal:
    """sum(amount x probability) / 100, to the cent."""
    if amount_prob is None:
        return ZERO
    return (Decimal(amount_prob) / 100).quantize(CENT, ROUND_HALF_UP)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _currencies(s: Session, conds: list[sa.ColumnElement[bool]]) -> tuple[CurrencyCount, ...]:
    d = deal_t.c
    n = sa.func.count().label("n")
    rows = s.execute(
        sa.select(d.currency, n)
        .select_from(_base())
        .where(*conds)
        .group_by(d.currency)
        .order_by(n.desc(), d.currency)
    ).all()
    return tuple(CurrencyCount(r.currency, int(r.n)) for r in rows)


def _pick_currency(
    flt: FunnelFilter, currencies: tuple[CurrencyCount, ...]
) -> tuple[str | None, list[sa.ColumnElement[bool]]]:
    currency = flt.currency.strip().upper() if flt.currency else None
    if currency is None and currencies:
        currency = currencies[0].currency
    if currency is None:
        return None, []
    return currency, [deal_t.c.currency == currency]


# -- the funnel


def funnel(s: Session, actor: Actor, flt: FunnelFilter | None = None) -> Funnel:
    """The funnel of the deals the actor may see; see the module docstring."""
    f = flt or FunnelFilter()
    found = find_pipeline(s, f.pipeline_id)
    if found is None:  # no deal was ever made: no default pipeline yet
        return _empty(f)
    pipeline_id, pipeline_name = found
    conds = _conditions(actor, f, pipeline_id)
    currencies = _currencies(s, conds)
    currency, more = _pick_currency(f, currencies)
    conds += more

    st_rows = s.execute(
        sa.select(stage_t.c.id, stage_t.c.name, stage_t.c.position)
        .add_columns(stage_t.c.probability, stage_t.c.outcome)
        .where(stage_t.c.pipeline_id == pipeline_id, stage_t.c.deleted_at.is_(None))
        .order_by(stage_t.c.position, stage_t.c.id)
    ).all()

    current = {r.stage_id: r for r in s.execute(_current_query(conds))}
    reached = {int(r.stage_id): int(r.n) for r in s.execute(_reach_query(conds, pipeline_id))}
    days = {int(r.stage_id): r for r in s.execute(_days_query(conds))}

    won = sum(int(current[r.id].n) for r in st_rows if r.outcome == "won" and r.id in current)
    lost = sum(int(current[r.id].n) for r in st_rows if r.outcome == "lost" and r.id in current)
    open_ids = [r.id for r in st_rows if r.outcome == "open"]
    figures = []
    for r in st_rows:
        cur = current.get(r.id)
        n_in = int(cur.n) if cur else 0
        if r.outcome == "open":
            n_reached = reached.get(r.id, 0)
            i = open_ids.index(r.id)
            n_next = reached.get(open_ids[i + 1], 0) if i + 1 < len(open_ids) else won
            to_next, to_won = _pct(n_next, n_reached), _pct(won, n_reached)
        else:
            n_reached, to_next, to_won = n_in, None, None
        stay = days.get(r.id)
        avg = (
            round(float(stay.seconds) / 86400.0, 1)
            if stay is not None and stay.seconds is not None
            else None
        )
        figures.append(
            StageFigures(
                stage_id=r.id,
                name=r.name,
                position=r.position,
                probability=r.probability,
                outcome=r.outcome,
                reached=n_reached,
                in_stage=n_in,
                amount=(cur.amount if cur else None) or ZERO,
                weighted=_weighted_sum(cur.amount_prob if cur else None),
                to_next_pct=to_next,
                to_won_pct=to_won,
                # a won or lost deal that was reopened left its stage, but days "in" a
                # closed stage say nothing about the cycle: open stages only
                avg_days=avg if r.outcome == "open" else None,
                stays=int(stay.n) if stay is not None and r.outcome == "open" else 0,
            )
        )
    opened = [fig for fig in figures if fig.outcome == "open"]
    total = sum((fig.amount for fig in figures), ZERO)
    return Funnel(
        pipeline_id=pipeline_id,
        pipeline=pipeline_name,
        currency=currency,
        currencies=currencies,
        period=f.period,
        stages=tuple(figures),
        deals=sum(fig.in_stage for fig in figures),
        open=sum(fig.in_stage for fig in opened),
        won=won,
        lost=lost,
        amount=total,
        open_amount=sum((fig.amount for fig in opened), ZERO),
        won_amount=sum((fig.amount for fig in figures if fig.outcome == "won"), ZERO),
        weighted_pipeline=sum((fig.weighted for fig in opened), ZERO),
        win_rate_pct=_pct(won, won + lost),
        by_source=_breakdown(s, conds, deal_t.c.source),
        by_kind=_breakdown(s, conds, deal_t.c.kind),
        by_owner=_breakdown(s, conds, None),
    )


def _empty(f: FunnelFilter) -> Funnel:
    return Funnel(
        pipeline_id=None,
        pipeline="",
        currency=None,
        currencies=(),
        period=f.period,
        stages=(),
        deals=0,
        open=0,
        won=0,
        lost=0,
        amount=ZERO,
        open_amount=ZERO,
        won_amount=ZERO,
        weighted_pipeline=ZERO,
        win_rate_pct=None,
        by_source=(),
        by_kind=(),
        by_owner=(),
    )


def _current_query(conds: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """Per stage: the deals in it now, their amount and amount x probability."""
    d = deal_t.c
    return (
        sa.select(
            d.stage_id,
            sa.func.count().label("n"),
            sa.func.sum(d.amount).label("amount"),
            _money(sa.func.sum(d.amount * stage_t.c.probability)).label("amount_prob"),
        )
        .select_from(_base().join(stage_t, stage_t.c.id == d.stage_id))
        .where(*conds)
        .group_by(d.stage_id)
    )


def _reach_query(conds: list[sa.ColumnElement[bool]], pipeline_id: int) -> sa.Select[Any]:
    """Per open stage: the deals that reached it (cumulative: it or a later open stage,
    or won now)."""
    d = deal_t.c
    now_st = stage_t.alias("now_st")
    hist_st = stage_t.alias("hist_st")
    furthest = sa.case(
        (now_st.c.outcome == "won", sa.literal(WON_REACH)),
        else_=sa.func.max(sa.case((hist_st.c.outcome == "open", hist_st.c.position))),
    )
    per_deal = (
        sa.select(d.id, furthest.label("reach"))
        .select_from(
            _base()
            .join(now_st, now_st.c.id == d.stage_id)
            .join(history_t, history_t.c.deal_id == d.id)
            .join(hist_st, hist_st.c.id == history_t.c.to_stage_id)
        )
        .where(*conds)
        .group_by(d.id, now_st.c.outcome)
        .subquery("per_deal")
    )
    per_reach = (
        sa.select(per_deal.c.reach, sa.func.count().label("n"))
        .where(per_deal.c.reach.is_not(None))
        .group_by(per_deal.c.reach)
        .subquery("per_reach")
    )
    return (
        sa.select(stage_t.c.id.label("stage_id"), sa.func.sum(per_reach.c.n).label("n"))
        .select_from(stage_t.join(per_reach, per_reach.c.reach >= stage_t.c.position))
        .where(stage_t.c.pipeline_id == pipeline_id, stage_t.c.outcome == "open")
        .group_by(stage_t.c.id)
    )


def _days_query(conds: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """Per stage: the completed stays in it and their average length in seconds (from
    each history row's move in, ``changed_at``, to its move out, ``left_at``)."""
    h = history_t.c
    return (
        sa.select(
            h.to_stage_id.label("stage_id"),
            sa.func.count().label("n"),
            sa.func.avg(seconds_between(h.changed_at, h.left_at)).label("seconds"),
        )
        .select_from(_base().join(history_t, h.deal_id == deal_t.c.id))
        .where(*conds, h.left_at.is_not(None))
        .group_by(h.to_stage_id)
    )


def _breakdown(
    s: Session, conds: list[sa.ColumnElement[bool]], key: sa.ColumnElement[str] | None
) -> tuple[Breakdown, ...]:
    """Deals, amounts and the win rate grouped by a column (None: by owner)."""
    d = deal_t.c
    outcome = stage_t.c.outcome
    frm = _base().join(stage_t, stage_t.c.id == d.stage_id)
    n = sa.func.count().label("deals")
    cols: list[Any] = [
        n,
        sa.func.sum(d.amount).label("amount"),
        sa.func.sum(sa.case((outcome == "open", 1), else_=0)).label("open"),
        sa.func.sum(sa.case((outcome == "won", 1), else_=0)).label("won"),
        sa.func.sum(sa.case((outcome == "lost", 1), else_=0)).label("lost"),
        _money(sa.func.sum(sa.case((outcome == "won", d.amount), else_=0))).label("won_amount"),
    ]
    if key is None:
        name = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login)
        q = (
            sa.select(name.label("key"), d.owner_id, *cols)
            .select_from(frm.join(user_t, user_t.c.id == d.owner_id))
            .group_by(d.owner_id, user_t.c.full_name, user_t.c.login)
        )
    else:
        q = sa.select(key.label("key"), sa.null().label("owner_id"), *cols)
        q = q.select_from(frm).group_by(key)
    rows = s.execute(q.where(*conds).order_by(n.desc(), sa.text("key"))).all()
    return tuple(
        Breakdown(
            key=r.key or "",
            owner_id=r.owner_id,
            deals=int(r.deals),
            amount=r.amount or ZERO,
            open=int(r.open),
            won=int(r.won),
            lost=int(r.lost),
            won_amount=r.won_amount or ZERO,
            win_rate_pct=_pct(int(r.won), int(r.won) + int(r.lost)),
        )
        for r in rows
    )


# -- the forecast


def _month_index(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """year * 12 + month - 1 of a date or timestamp (UTC), in either dialect."""
    return sa.extract("year", column) * 12 + sa.extract("month", column) - 1


def _month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def linear_trend(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """(intercept, slope) of the least-squares line through (0, v0), (1, v1), ..."""
    n = len(values)
    if n == 0:
        return ZERO, ZERO
    if n == 1:
        return values[0], ZERO
    mean_x = Decimal(n - 1) / 2
    mean_y = sum(values, ZERO) / n
    sxx = sum(((Decimal(i) - mean_x) ** 2 for i in range(n)), Decimal(0))
    sxy = sum(((Decimal(i) - mean_x) * (v - mean_y) for i, v in enumerate(values)), Decimal(0))
    slope = sxy / sxx
    return mean_y - slope * mean_x, slope


def forecast(
    s: Session,
    actor: Actor,
    flt: FunnelFilter | None = None,
    months_back: int = 12,
    months_ahead: int = 6,
    today: date | None = None,
) -> Forecast:
    """Won per month, the linear trend ahead and the weighted pipeline by expected close."""
    if not 1 <= months_back <= 120:
        raise Invalid({"months_back": _("from 1 to 120 months")})
    if not 1 <= months_ahead <= 60:
        raise Invalid({"months_ahead": _("from 1 to 60 months")})
    f = flt or FunnelFilter()
    day = today or utcnow().date()
    now_idx = day.year * 12 + day.month - 1
    first_idx = now_idx - months_back
    found = find_pipeline(s, f.pipeline_id)
    if found is None:
        return Forecast(None, None, (), ZERO, ZERO, ZERO, ZERO)
    pipeline_id = found[0]
    conds = _conditions(actor, f, pipeline_id, with_period=False)
    currency, more = _pick_currency(f, _currencies(s, conds))
    conds += more
    d = deal_t.c
    frm = _base().join(stage_t, stage_t.c.id == d.stage_id)

    month = _month_index(d.closed_at).label("m")
    won_rows = s.execute(
        sa.select(month, sa.func.sum(d.amount).label("amount"))
        .select_from(frm)
        .where(
            *conds,
            stage_t.c.outcome == "won",
            d.closed_at >= _day_start(_month_of(first_idx)),
            d.closed_at < _day_start(_month_of(now_idx + 1)),
        )
        .group_by(month)
    ).all()
    won_by = {int(r.m): r.amount or ZERO for r in won_rows}

    expected = _month_index(d.expected_close)
    bucket = sa.case(
        (d.expected_close.is_(None), sa.literal(-1)),
        (d.expected_close < _month_of(now_idx), sa.literal(-2)),
        (d.expected_close >= _month_of(now_idx + months_ahead), sa.literal(-3)),
        else_=expected,
    ).label("m")
    open_rows = s.execute(
        sa.select(
            bucket,
            sa.func.sum(d.amount).label("amount"),
            _money(sa.func.sum(d.amount * stage_t.c.probability)).label("amount_prob"),
        )
        .select_from(frm)
        .where(*conds, stage_t.c.outcome == "open")
        .group_by(bucket)
    ).all()
    open_by = {int(r.m): r for r in open_rows}

    past = [won_by.get(i, ZERO) for i in range(first_idx, now_idx)]
    intercept, slope = linear_trend(past)

    def trend(i: int) -> Decimal:
        return max(ZERO, (intercept + slope * (i - first_idx)).quantize(CENT, ROUND_HALF_UP))

    months = [
        ForecastMonth(_month_of(i), True, won_by.get(i, ZERO), trend(i), None, None)
        for i in range(first_idx, now_idx)
    ]
    for i in range(now_idx, now_idx + months_ahead):
        row = open_by.get(i)
        months.append(
            ForecastMonth(
                _month_of(i),
                False,
                won_by.get(i, ZERO) if i == now_idx else None,
                trend(i),
                _weighted_sum(row.amount_prob if row else None),
                (row.amount if row else None) or ZERO,
            )
        )

    def weighted(key: int) -> Decimal:
        row = open_by.get(key)
        return _weighted_sum(row.amount_prob if row else None)

    return Forecast(
        pipeline_id=pipeline_id,
        currency=currency,
        months=tuple(months),
        slope=slope.quantize(CENT, ROUND_HALF_UP),
        overdue_weighted=weighted(-2),
        undated_weighted=weighted(-1),
        later_weighted=weighted(-3),
    )
