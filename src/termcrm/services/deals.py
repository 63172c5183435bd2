"""Deals in pipelines: stages with probabilities, amounts in a currency, stage history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import (
    check_user_in_reach,
    department_subtree,
    explain_client_refusal,
    visible_clients,
)
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, plain, record, versioned_update
from termcrm.services.dto import DealOut, Page, StageOut
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.journal import check_links
from termcrm.services.paging import check_limit, decode_cursor, encode_cursor, keyset
from termcrm.services.text import clean, fold
from termcrm.store.search import casefolded
from termcrm.store.tables import (
    Client,
    Deal,
    DealItem,
    DealStageChange,
    Pipeline,
    Stage,
    User,
    table,
)
from termcrm.store.types import utcnow

deal_t = table(Deal)
stage_t = table(Stage)
pipeline_t = table(Pipeline)
history_t = table(DealStageChange)
client_t = table(Client)
user_t = table(User)

# name, probability %, outcome; named in the interface language of whoever makes the
# default pipeline (the first use of deals), and renamed as the team likes afterwards
DEFAULT_STAGES = (
    (N_("Lead"), 10, "open"),
    (N_("Qualification"), 20, "open"),
    (N_("Proposal"), 40, "open"),
    (N_("Negotiation"), 70, "open"),
    (N_("Won"), 100, "won"),
    (N_("Lost"), 0, "lost"),
)


# a list's sort: the key column, its Python type in the cursor, and its natural direction
SORTS = ("newest", "amount", "close", "stage_age", "title", "client")
STATES = ("open", "won", "lost", "closed")
DEPT_PARAM = "deals_dept"
NO_CLOSE = date(9999, 12, 31)  # deals with no expected close sort after every date


@dataclass(frozen=True, slots=True)
class DealFilter:
    scope: str = "all"  # all | mine
    client_id: int | None = None
    stage_id: int | None = None
    open_only: bool = False
    pipeline_id: int | None = None
    owner_id: int | None = None
    department_id: int | None = None  # deals owned in this department or one below it
    state: str | None = None  # open | won | lost | closed (won or lost); None: every deal
    period: tuple[date, date] | None = None  # first and last day (UTC), of ``period_of``
    period_of: str = "created"  # created | close (the expected close date)
    text: str = ""  # words of the title or the client's name
    sort: str = "newest"  # one of SORTS
    reverse: bool = False


def default_pipeline(s: Session) -> int:
    """The default pipeline's id, creating it with the standard stages on first use."""
    found = s.execute(
        sa.select(pipeline_t.c.id).where(
            pipeline_t.c.is_default.is_(True), pipeline_t.c.deleted_at.is_(None)
        )
    ).scalar()
    if found is not None:
        return int(found)
    now = utcnow()
    pipeline_id = s.execute(
        sa.insert(pipeline_t)
        .values(name=_("Sales"), is_default=True, version=1, created_at=now, updated_at=now)
        .returning(pipeline_t.c.id)
    ).scalar_one()
    s.execute(
        sa.insert(stage_t),
        [
            {
                "pipeline_id": pipeline_id,
                "name": _(name),
                "position": pos,
                "probability": prob,
                "outcome": outcome,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for pos, (name, prob, outcome) in enumerate(DEFAULT_STAGES)
        ],
    )
    return int(pipeline_id)


def stages(s: Session, pipeline_id: int | None = None) -> list[StageOut]:
    pid = pipeline_id if pipeline_id is not None else default_pipeline(s)
    rows = s.execute(
        sa.select(stage_t)
        .where(stage_t.c.pipeline_id == pid, stage_t.c.deleted_at.is_(None))
        .order_by(stage_t.c.position)
    )
    return [
        StageOut(
            id=r.id,
            pipeline_id=r.pipeline_id,
            name=r.name,
            position=r.position,
            probability=r.probability,
            outcome=r.outcome,
        )
        for r in rows
    ]


def pipeline_name(s: Session, pipeline_id: int) -> str:
    """A pipeline's name (even when it is in the trash: its deals still name it)."""
    name = s.execute(sa.select(pipeline_t.c.name).where(pipeline_t.c.id == pipeline_id)).scalar()
    if name is None:
        raise NotFound(_("pipeline {id} does not exist").format(id=pipeline_id))
    return str(name)


def _find_stage(s: Session, pipeline_id: int, ref: str | int | None) -> StageOut:
    all_stages = stages(s, pipeline_id)
    if ref is None:
        return all_stages[0]
    for st in all_stages:
        if str(st.id) == str(ref) or st.name.casefold() == clean(str(ref)).casefold():
            return st
    names = ", ".join(st.name for st in all_stages)
    raise Invalid(
        {
            "stage": _("no stage '{stage}' in this pipeline (stages: {names})").format(
                stage=ref, names=names
            )
        }
    )


def parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise Invalid({"amount": _("'{value}' is not an amount").format(value=value)}) from None
    if amount < 0:
        raise Invalid({"amount": _("an amount cannot be negative")})
    if amount >= Decimal("1e16"):
        raise Invalid({"amount": _("an amount this large does not fit")})
    return amount.quantize(Decimal("0.01"))


def add_deal(
    s: Session,
    actor: Actor,
    *,
    title: str,
    client_id: int,
    amount: Any = 0,
    currency: str = "RUB",
    stage: str | int | None = None,
    contact_id: int | None = None,
    owner_id: int | None = None,
    expected_close: date | None = None,
    source: str = "",
    competitor: str = "",
    description: str = "",
    pipeline: str | int | None = None,
    kind: str = "",
) -> DealOut:
    """``pipeline``: its id or name (default: the default pipeline)."""
    title = clean(title)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("a deal needs a title")
    currency = clean(currency).upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = _("use a three-letter ISO code such as RUB, USD or CNY")
    if errors:
        raise Invalid(errors)
    money = parse_amount(amount)
    check_links(s, actor, client_id, contact_id, None)
    owner = owner_id if owner_id is not None else actor.id
    check_user_in_reach(s, actor, owner, N_("owner"))
    if pipeline is None:
        pipeline_id = default_pipeline(s)
    else:
        from termcrm.services.pipelines import pipeline_id as find_pipeline

        pipeline_id = find_pipeline(s, pipeline)
    st = _find_stage(s, pipeline_id, stage)
    now = utcnow()
    values = {
        "title": title,
        "client_id": client_id,
        "contact_id": contact_id,
        "pipeline_id": pipeline_id,
        "stage_id": st.id,
        "owner_id": owner,
        "amount": money,
        "currency": currency,
        "expected_close": expected_close,
        "source": clean(source),
        "kind": clean(kind)[:50],
        "competitor": clean(competitor),
        "description": clean(description),
    }
    closed = now if st.outcome != "open" else None
    deal_id = s.execute(
        sa.insert(deal_t)
        .values(
            **values,
            lost_reason="",
            stage_changed_at=now,
            closed_at=closed,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(deal_t.c.id)
    ).scalar_one()
    s.execute(
        sa.insert(history_t).values(
            deal_id=deal_id, from_stage_id=None, to_stage_id=st.id, changed_at=now, user_id=actor.id
        )
    )
    record(
        s,
        actor,
        action="create",
        entity="deal",
        entity_id=deal_id,
        client_id=client_id,
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v not in ("", None)},
    )
    return get_deal(s, actor, deal_id)


def move_deal(
    s: Session, actor: Actor, deal_id: int, *, version: int, stage: str | int, lost_reason: str = ""
) -> DealOut:
    """Move a deal to another stage of its pipeline; the move is kept in the stage history."""
    current = get_deal(s, actor, deal_id)
    check_version(s, "deal", deal_id, version, current.version)
    st = _find_stage(s, current.pipeline_id, stage)
    if st.id == current.stage_id:
        return current
    if st.outcome == "lost" and not clean(lost_reason):
        raise Invalid({"lost_reason": _("say why the deal was lost")})
    now = utcnow()
    values: dict[str, Any] = {
        "stage_id": st.id,
        "stage_changed_at": now,
        "closed_at": now if st.outcome != "open" else None,
    }
    changes: dict[str, list[Any]] = {"stage": [current.stage, st.name]}
    # a lost deal has its reason; a deal that leaves the lost stage (reopened, or won
    # after all) keeps none (its history keeps the old one)
    reason = clean(lost_reason) if st.outcome == "lost" else ""
    if reason != current.lost_reason:
        values["lost_reason"] = reason
        changes["lost_reason"] = [current.lost_reason, reason]
    versioned_update(
        s,
        actor,
        deal_t,
        entity="deal",
        entity_id=deal_id,
        base_version=version,
        values=values,
        audit_changes=changes,
        client_id=current.client_id,
    )
    s.execute(
        sa.update(history_t)
        .where(history_t.c.deal_id == deal_id, history_t.c.left_at.is_(None))
        .values(left_at=now)
    )
    s.execute(
        sa.insert(history_t).values(
            deal_id=deal_id,
            from_stage_id=current.stage_id,
            to_stage_id=st.id,
            changed_at=now,
            user_id=actor.id,
        )
    )
    return get_deal(s, actor, deal_id)


def access_conditions(actor: Actor) -> list[sa.ColumnElement[bool]]:
    """The live deals this actor may see (over ``deal`` joined with its ``client``)."""
    return [deal_t.c.deleted_at.is_(None), client_t.c.deleted_at.is_(None), visible_clients(actor)]


def _query(actor: Actor) -> sa.Select[Any]:
    d = deal_t.c
    return (
        sa.select(
            deal_t,
            client_t.c.name.label("client_name"),
            stage_t.c.name.label("stage_name"),
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label(
                "owner_name"
            ),
        )
        .select_from(
            deal_t.join(client_t, client_t.c.id == d.client_id)
            .join(stage_t, stage_t.c.id == d.stage_id)
            .join(user_t, user_t.c.id == d.owner_id)
        )
        .where(*access_conditions(actor))
    )


def get_deal(s: Session, actor: Actor, deal_id: int) -> DealOut:
    row = s.execute(_query(actor).where(deal_t.c.id == deal_id)).first()
    if row is None:
        exists = s.execute(
            sa.select(deal_t.c.client_id, client_t.c.deleted_at)
            .join(client_t, client_t.c.id == deal_t.c.client_id)
            .where(deal_t.c.id == deal_id, deal_t.c.deleted_at.is_(None))
        ).first()
        if exists is None:
            raise NotFound(_("deal {id} does not exist").format(id=deal_id))
        reachable = s.execute(
            sa.select(client_t.c.id).where(
                client_t.c.id == exists.client_id, visible_clients(actor)
            )
        ).first()
        if reachable is not None and exists.deleted_at is not None:
            raise NotFound(
                _(
                    "deal {id} belongs to client {client_id}, which is in the trash "
                    "(restore it with `client restore {client_id}`)"
                ).format(id=deal_id, client_id=exists.client_id)
            )
        raise explain_client_refusal(s, actor, exists.client_id)
    return _out(row)


def filter_conditions(actor: Actor, f: DealFilter) -> list[sa.ColumnElement[bool]]:
    """The conditions of a filter over ``deal`` joined with ``client`` and ``stage``."""
    d = deal_t.c
    conds: list[sa.ColumnElement[bool]] = []
    if f.scope == "mine":
        conds.append(d.owner_id == actor.id)
    if f.client_id is not None:
        conds.append(d.client_id == f.client_id)
    if f.stage_id is not None:
        conds.append(d.stage_id == f.stage_id)
    if f.pipeline_id is not None:
        conds.append(d.pipeline_id == f.pipeline_id)
    if f.owner_id is not None:
        conds.append(d.owner_id == f.owner_id)
    if f.department_id is not None:
        subtree = department_subtree(f.department_id, param=DEPT_PARAM)
        conds.append(
            d.owner_id.in_(sa.select(user_t.c.id).where(user_t.c.department_id.in_(subtree)))
        )
    state = "open" if f.open_only else f.state
    if state is not None:
        if state not in STATES:
            raise Invalid(
                {"state": _("must be one of {choices}").format(choices=", ".join(STATES))}
            )
        if state == "closed":
            conds.append(stage_t.c.outcome != "open")
        else:
            conds.append(stage_t.c.outcome == state)
    if f.period is not None:
        first, last = f.period
        if first > last:
            raise Invalid({"period": _("the period ends before it starts")})
        if f.period_of == "close":
            conds += [d.expected_close >= first, d.expected_close <= last]
        else:
            conds += [
                d.created_at >= datetime.combine(first, time(0, 0), UTC),
                d.created_at < datetime.combine(last + timedelta(days=1), time(0, 0), UTC),
            ]
    for word in clean(f.text).split():
        folded = fold(word)
        conds.append(
            sa.or_(
                casefolded(d.title).contains(folded, autoescape=True),
                client_t.c.search_body.contains(folded, autoescape=True),
            )
        )
    return conds


def sort_key(sort: str) -> tuple[sa.ColumnElement[Any], bool]:
    """The column a sort orders by (before the id) and whether it runs high to low."""
    d = deal_t.c
    if sort == "newest":
        return d.id, True
    if sort == "amount":
        return d.amount, True
    if sort == "close":
        return sa.func.coalesce(d.expected_close, sa.literal(NO_CLOSE, sa.Date())), False
    if sort == "stage_age":  # the longest in its stage first
        return d.stage_changed_at, False
    if sort == "title":
        return d.title, False
    if sort == "client":
        return client_t.c.name, False
    raise Invalid({"sort": _("must be one of {choices}").format(choices=", ".join(SORTS))})


def _cursor_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


def _from_cursor(sort: str, value: Any) -> Any:
    if sort == "amount":
        return Decimal(value)
    if sort == "close":
        return date.fromisoformat(value)
    if sort == "stage_age":
        return datetime.fromisoformat(value)
    return value


def list_deals(
    s: Session,
    actor: Actor,
    flt: DealFilter | None = None,
    *,
    after: str | None = None,
    limit: int = 100,
) -> Page[DealOut]:
    """Deals in the filter's sort (newest first by default), a page at a time."""
    check_limit(limit)
    f = flt or DealFilter()
    d = deal_t.c
    conds = filter_conditions(actor, f)
    key, descending = sort_key(f.sort)
    descending ^= f.reverse
    columns = [d.id] if f.sort == "newest" else [key, d.id]
    list_name = f"deals:{f.sort}:{int(descending)}"
    if after:
        kinds: list[type] = [int] if f.sort == "newest" else [str, int]
        raw = decode_cursor(after, kinds, list_name=list_name)
        values = raw if f.sort == "newest" else [_from_cursor(f.sort, raw[0]), raw[1]]
        conds.append(keyset(columns, values, descending))
    order = [c.desc() if descending else c.asc() for c in columns]
    query = _query(actor).add_columns(key.label("sort_key"))
    rows = s.execute(query.where(*conds).order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor_values = [last.id] if f.sort == "newest" else [_cursor_value(last.sort_key), last.id]
        cursor = encode_cursor(cursor_values, list_name=list_name)
    return Page(items=[_out(r) for r in rows], next_cursor=cursor)


def count_deals(s: Session, actor: Actor, flt: DealFilter | None = None) -> int:
    """How many deals the filter holds (the list's length)."""
    f = flt or DealFilter()
    query = (
        sa.select(sa.func.count())
        .select_from(
            deal_t.join(client_t, client_t.c.id == deal_t.c.client_id).join(
                stage_t, stage_t.c.id == deal_t.c.stage_id
            )
        )
        .where(*access_conditions(actor), *filter_conditions(actor, f))
    )
    return int(s.execute(query).scalar_one())


# what update_deal may change, and how the audit names it
EDITABLE = (
    "title",
    "amount",
    "currency",
    "contact_id",
    "owner_id",
    "expected_close",
    "source",
    "kind",
    "competitor",
    "description",
    "lost_reason",
)


def update_deal(
    s: Session, actor: Actor, deal_id: int, *, version: int, changes: dict[str, Any]
) -> DealOut:
    """Change a deal's fields (see EDITABLE); the stage moves only through ``move_deal``.

    Refused, with the reason: an amount typed while it follows the line items, a
    currency change on a deal with lines (their prices are in the deal's currency),
    a lost reason on a deal that is not lost, a contact of another client, an owner
    out of the actor's reach.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid(
            {
                k: _("a deal has no field you can change called {name}").format(name=k)
                for k in unknown
            }
        )
    current = get_deal(s, actor, deal_id)
    check_version(s, "deal", deal_id, version, current.version)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, raw in changes.items():
        if key == "title":
            value: Any = clean(raw)
            if not value:
                errors["title"] = _("a deal needs a title")
        elif key == "amount":
            try:
                value = parse_amount(raw if raw not in (None, "") else 0)
            except Invalid as exc:
                errors.update(exc.errors)
                continue
            if current.amount_from_items and value != current.amount:
                errors["amount"] = _(
                    "the amount follows the line items: change the lines, or stop the "
                    "amount following them first"
                )
        elif key == "currency":
            value = clean(raw).upper()
            if len(value) != 3 or not value.isalpha():
                errors["currency"] = _("use a three-letter ISO code such as RUB, USD or CNY")
            elif value != current.currency and _has_items(s, deal_id):
                errors["currency"] = _(
                    "the deal has line items priced in {currency}: remove them to change "
                    "the currency"
                ).format(currency=current.currency)
        elif key == "contact_id":
            value = raw
            if value is not None:
                check_links(s, actor, current.client_id, int(value), None)
        elif key == "owner_id":
            value = int(raw)
            if value != current.owner_id:
                check_user_in_reach(s, actor, value, N_("owner"))
        elif key == "expected_close":
            value = raw
            if value is not None and not isinstance(value, date):
                errors["expected_close"] = _("not a date")
        elif key == "lost_reason":
            value = clean(raw)
            if value != current.lost_reason and _outcome(s, current.stage_id) != "lost":
                errors["lost_reason"] = _("only a lost deal has a reason it was lost")
            elif not value and _outcome(s, current.stage_id) == "lost":
                errors["lost_reason"] = _("say why the deal was lost")
        elif key == "kind":
            value = clean(raw)[:50]
        else:
            value = clean(raw)
        if getattr(current, key) != value:
            values[key] = value
    if errors:
        raise Invalid(errors)
    if not values:
        return current
    versioned_update(
        s,
        actor,
        deal_t,
        entity="deal",
        entity_id=deal_id,
        base_version=version,
        values=values,
        audit_changes={k: [plain(getattr(current, k)), plain(v)] for k, v in values.items()},
        client_id=current.client_id,
    )
    return get_deal(s, actor, deal_id)


def _has_items(s: Session, deal_id: int) -> bool:
    item_t = table(DealItem)
    found = s.execute(sa.select(item_t.c.id).where(item_t.c.deal_id == deal_id).limit(1)).first()
    return found is not None


def _outcome(s: Session, stage_id: int) -> str:
    return str(s.execute(sa.select(stage_t.c.outcome).where(stage_t.c.id == stage_id)).scalar_one())


def _out(r: Any) -> DealOut:
    return DealOut(
        id=r.id,
        title=r.title,
        client_id=r.client_id,
        client=r.client_name,
        contact_id=r.contact_id,
        pipeline_id=r.pipeline_id,
        stage_id=r.stage_id,
        stage=r.stage_name,
        owner_id=r.owner_id,
        owner=r.owner_name,
        amount=r.amount,
        currency=r.currency,
        expected_close=r.expected_close,
        source=r.source,
        competitor=r.competitor,
        lost_reason=r.lost_reason,
        description=r.description,
        stage_changed_at=r.stage_changed_at,
        closed_at=r.closed_at,
        version=r.version,
        kind=r.kind,
        amount_from_items=r.amount_from_items,
    )


@dataclass(frozen=True, slots=True)
class StageMove:
    changed_at: datetime
    from_stage: str  # "" for the deal's first stage
    to_stage: str
    user: str


def stage_history(s: Session, actor: Actor, deal_id: int) -> list[StageMove]:
    """A deal's moves between stages, oldest first (the access rule of the deal)."""
    get_deal(s, actor, deal_id)
    before = stage_t.alias("from_stage")
    h = history_t.c
    rows = s.execute(
        sa.select(
            h.changed_at,
            sa.func.coalesce(before.c.name, "").label("from_name"),
            stage_t.c.name.label("to_name"),
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login, "").label(
                "user_name"
            ),
        )
        .select_from(
            history_t.join(stage_t, stage_t.c.id == h.to_stage_id)
            .outerjoin(before, before.c.id == h.from_stage_id)
            .outerjoin(user_t, user_t.c.id == h.user_id)
        )
        .where(h.deal_id == deal_id)
        .order_by(h.changed_at, h.id)
    ).all()
    return [StageMove(r.changed_at, r.from_name, r.to_name, r.user_name) for r in rows]
