"""The deal board: one column per open stage of a pipeline, with the deals in it.

Each column says how many deals it holds and their amount per currency (SQL
aggregates), and carries its first ``per_column`` deals in the filter's sort
(a window function numbers them per stage, so the board is one query however
many deals the pipeline holds).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import deals
from termcrm.services.actor import Actor
from termcrm.services.deals import DealFilter, access_conditions, filter_conditions
from termcrm.services.dto import StageOut
from termcrm.services.errors import Invalid
from termcrm.services.paging import MAX_LIMIT
from termcrm.store.tables import Client, Deal, Pipeline, Stage, User, table

deal_t = table(Deal)
client_t = table(Client)
stage_t = table(Stage)
user_t = table(User)
pipeline_t = table(Pipeline)

PER_COLUMN = 200


@dataclass(frozen=True, slots=True)
class BoardCard:
    id: int
    title: str
    client_id: int
    client: str
    owner_id: int
    owner: str
    amount: Decimal
    currency: str
    expected_close: date | None
    stage_id: int
    stage_changed_at: datetime
    days_in_stage: int
    version: int


@dataclass(frozen=True, slots=True)
class BoardColumn:
    stage: StageOut
    count: int  # every deal in the stage under the filter (the cards may be fewer)
    amounts: tuple[tuple[str, Decimal], ...]  # per currency, the most deals first
    cards: tuple[BoardCard, ...]


@dataclass(frozen=True, slots=True)
class Board:
    pipeline_id: int
    pipeline: str
    columns: tuple[BoardColumn, ...]  # the open stages, in order
    closing: tuple[StageOut, ...]  # the won and lost stages a deal can be moved to


def board(
    s: Session,
    actor: Actor,
    flt: DealFilter | None = None,
    *,
    per_column: int = PER_COLUMN,
    now: datetime | None = None,
    zone: tzinfo = UTC,
) -> Board:
    """The open deals of a pipeline (the filter's, else the default one) by stage.

    A card's days in its stage are calendar days in ``zone`` (moved in yesterday: 1).

    Needs a write session the first time (the default pipeline is made on first use).
    """
    if not 1 <= per_column <= MAX_LIMIT:
        raise Invalid({"limit": _("must be between 1 and {max}").format(max=MAX_LIMIT)})
    f = flt or DealFilter()
    pipeline_id = f.pipeline_id if f.pipeline_id is not None else deals.default_pipeline(s)
    name = s.execute(
        sa.select(pipeline_t.c.name).where(
            pipeline_t.c.id == pipeline_id, pipeline_t.c.deleted_at.is_(None)
        )
    ).scalar()
    if name is None:
        raise Invalid({"pipeline": _("pipeline {id} does not exist").format(id=pipeline_id)})
    f = replace(f, pipeline_id=pipeline_id, state="open", open_only=False, stage_id=None)
    all_stages = deals.stages(s, pipeline_id)
    conds = [*access_conditions(actor), *filter_conditions(actor, f)]
    joined = deal_t.join(client_t, client_t.c.id == deal_t.c.client_id).join(
        stage_t, stage_t.c.id == deal_t.c.stage_id
    )
    totals: dict[int, list[tuple[str, int, Decimal]]] = {}
    d = deal_t.c
    for r in s.execute(
        sa.select(d.stage_id, d.currency, sa.func.count(), sa.func.sum(d.amount))
        .select_from(joined)
        .where(*conds)
        .group_by(d.stage_id, d.currency)
    ):
        totals.setdefault(r[0], []).append((r[1], int(r[2]), Decimal(r[3] or 0)))
    cards = _cards(s, joined, conds, f, per_column, (now or datetime.now(UTC)), zone)
    columns = []
    for st in all_stages:
        if st.outcome != "open":
            continue
        by_currency = sorted(totals.get(st.id, []), key=lambda t: (-t[1], t[0]))
        columns.append(
            BoardColumn(
                stage=st,
                count=sum(n for _c, n, _a in by_currency),
                amounts=tuple((c, a.quantize(Decimal("0.01"))) for c, _n, a in by_currency),
                cards=tuple(cards.get(st.id, [])),
            )
        )
    closing = tuple(st for st in all_stages if st.outcome != "open")
    return Board(pipeline_id, name, tuple(columns), closing)


def _cards(
    s: Session,
    joined: sa.Join,
    conds: list[sa.ColumnElement[bool]],
    f: DealFilter,
    per_column: int,
    now: datetime,
    zone: tzinfo,
) -> dict[int, list[BoardCard]]:
    key, descending = deals.sort_key(f.sort)
    descending ^= f.reverse
    d = deal_t.c
    order = [key.desc(), d.id.desc()] if descending else [key.asc(), d.id.asc()]
    numbered = (
        sa.select(
            d.id,
            d.title,
            d.client_id,
            client_t.c.name.label("client_name"),
            d.owner_id,
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label(
                "owner_name"
            ),
            d.amount,
            d.currency,
            d.expected_close,
            d.stage_id,
            d.stage_changed_at,
            d.version,
            sa.func.row_number().over(partition_by=d.stage_id, order_by=order).label("place"),
        )
        .select_from(joined.join(user_t, user_t.c.id == d.owner_id))
        .where(*conds)
        .subquery()
    )
    rows = s.execute(
        sa.select(numbered)
        .where(numbered.c.place <= per_column)
        .order_by(numbered.c.stage_id, numbered.c.place)
    )
    out: dict[int, list[BoardCard]] = {}
    for r in rows:
        out.setdefault(r.stage_id, []).append(_card(r, now, zone))
    return out


def _card(r: Any, now: datetime, zone: tzinfo) -> BoardCard:
    changed = r.stage_changed_at
    today = now.astimezone(zone).date()
    days = max(0, (today - changed.astimezone(zone).date()).days) if changed is not None else 0
    return BoardCard(
        id=r.id,
        title=r.title,
        client_id=r.client_id,
        client=r.client_name,
        owner_id=r.owner_id,
        owner=r.owner_name,
        amount=r.amount,
        currency=r.currency,
        expected_close=r.expected_close,
        stage_id=r.stage_id,
        stage_changed_at=changed,
        days_in_stage=days,
        version=r.version,
    )
