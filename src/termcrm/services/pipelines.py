"""Pipelines and their stages: names, order, probabilities and outcomes.

Everyone may list them; only admins and directors may change them. Every change is
versioned and audited (entities ``pipeline`` and ``stage``). Deals and their stage
history refer to stages by id, so renaming or reordering a stage keeps every deal's
history as it was; a stage with deals in it cannot be deleted.

Order: a pipeline's open stages come first, then its won and lost stages. Places are
counted from 1 in what callers pass (``position``); the stored ``position`` (and
``StageOut.position``) is the 0-based index, renumbered 0, 1, 2... on every change of
the order. Moving a stage shifts the others without changing their versions (their
own fields do not change); the moved stage's version goes up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _, ngettext
from termcrm.services.actor import ADMIN, DIRECTOR, Actor
from termcrm.services.audit import check_version, record, versioned_update
from termcrm.services.deals import (
    DEFAULT_STAGES,
    access_conditions,
    client_t,
    deal_t,
    default_pipeline,
    pipeline_t,
    stage_t,
)
from termcrm.services.dto import PipelineOut, StageDetailOut
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.text import clean
from termcrm.store.types import utcnow

OUTCOMES = ("open", "won", "lost")
NAME_MAX = 200  # the columns' length
SHOWN_DEALS = 5  # deal ids named in a refusal

# one whole sentence per outcome, for the translators
_LAST_OF = {
    "open": N_(
        "'{stage}' is the last open stage of pipeline '{pipeline}': a pipeline needs at "
        "least one open, one won and one lost stage"
    ),
    "won": N_(
        "'{stage}' is the last won stage of pipeline '{pipeline}': a pipeline needs at "
        "least one open, one won and one lost stage"
    ),
    "lost": N_(
        "'{stage}' is the last lost stage of pipeline '{pipeline}': a pipeline needs at "
        "least one open, one won and one lost stage"
    ),
}


def require_configure(actor: Actor, what: str) -> None:
    """Refuse anyone but an admin or a director. ``what`` is the action, marked ``N_``."""
    if actor.role not in (ADMIN, DIRECTOR):
        raise Forbidden(
            # TRANSLATORS: {what} is the action refused, such as "rename a stage"; {role}
            # is the user's role as stored (rep, manager), left untranslated.
            _("{what}: only an admin or a director can change pipelines (you are {role})").format(
                what=_(what), role=actor.role
            )
        )


# -- reading


def _deal_counts(actor: Actor, *conds: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Live deals per stage that the actor may see, counted in SQL."""
    return (
        sa.select(deal_t.c.stage_id, sa.func.count().label("n"))
        .select_from(deal_t.join(client_t, client_t.c.id == deal_t.c.client_id))
        .where(*access_conditions(actor), *conds)
        .group_by(deal_t.c.stage_id)
    )


def _stage_out(r: Any, deals: int) -> StageDetailOut:
    return StageDetailOut(
        id=r.id,
        pipeline_id=r.pipeline_id,
        name=r.name,
        position=r.position,
        probability=r.probability,
        outcome=r.outcome,
        version=r.version,
        deals=deals,
    )


def _pipelines(s: Session, actor: Actor, pipeline_id: int | None = None) -> list[PipelineOut]:
    p_conds: list[sa.ColumnElement[bool]] = [pipeline_t.c.deleted_at.is_(None)]
    s_conds: list[sa.ColumnElement[bool]] = [
        stage_t.c.deleted_at.is_(None),
        pipeline_t.c.deleted_at.is_(None),
    ]
    if pipeline_id is not None:
        p_conds.append(pipeline_t.c.id == pipeline_id)
        s_conds.append(stage_t.c.pipeline_id == pipeline_id)
    pipes = s.execute(sa.select(pipeline_t).where(*p_conds).order_by(pipeline_t.c.id)).all()
    stage_rows = s.execute(
        sa.select(stage_t)
        .join(pipeline_t, pipeline_t.c.id == stage_t.c.pipeline_id)
        .where(*s_conds)
        .order_by(stage_t.c.pipeline_id, stage_t.c.position, stage_t.c.id)
    ).all()
    count_conds = [] if pipeline_id is None else [deal_t.c.pipeline_id == pipeline_id]
    counts = {r.stage_id: r.n for r in s.execute(_deal_counts(actor, *count_conds))}
    by_pipeline: dict[int, list[StageDetailOut]] = {}
    for r in stage_rows:
        by_pipeline.setdefault(r.pipeline_id, []).append(_stage_out(r, counts.get(r.id, 0)))
    return [
        PipelineOut(
            id=p.id,
            name=p.name,
            is_default=p.is_default,
            version=p.version,
            stages=tuple(by_pipeline.get(p.id, [])),
        )
        for p in pipes
    ]


def list_pipelines(s: Session, actor: Actor) -> list[PipelineOut]:
    """Every pipeline with its stages in order, and the deals the actor may see in each.

    Creates the default pipeline on a fresh database, so call it in a write session."""
    default_pipeline(s)
    return _pipelines(s, actor)


def get_pipeline(s: Session, actor: Actor, ref: str | int) -> PipelineOut:
    """One pipeline, by id or by name."""
    return _pipelines(s, actor, pipeline_id(s, ref))[0]


def pipeline_id(s: Session, ref: str | int) -> int:
    """The id of a live pipeline given by id or by name (any case)."""
    default_pipeline(s)
    rows = s.execute(
        sa.select(pipeline_t.c.id, pipeline_t.c.name)
        .where(pipeline_t.c.deleted_at.is_(None))
        .order_by(pipeline_t.c.id)
    ).all()
    text = clean(str(ref))
    for r in rows:
        if str(r.id) == text:
            return int(r.id)
    for r in rows:
        if r.name.casefold() == text.casefold():
            return int(r.id)
    raise Invalid(
        {
            "pipeline": _("no pipeline '{pipeline}' (pipelines: {names})").format(
                pipeline=ref, names=", ".join(r.name for r in rows)
            )
        }
    )


def get_stage(s: Session, actor: Actor, stage_id: int) -> StageDetailOut:
    r = _stage_row(s, stage_id)
    n = s.execute(_deal_counts(actor, deal_t.c.stage_id == stage_id)).first()
    return _stage_out(r, n.n if n else 0)


def _pipeline_row(s: Session, pipeline_id: int) -> Any:
    r = s.execute(
        sa.select(pipeline_t).where(
            pipeline_t.c.id == pipeline_id, pipeline_t.c.deleted_at.is_(None)
        )
    ).first()
    if r is None:
        raise NotFound(_("pipeline {id} does not exist").format(id=pipeline_id))
    return r


def _stage_row(s: Session, stage_id: int) -> Any:
    r = s.execute(
        sa.select(stage_t).where(stage_t.c.id == stage_id, stage_t.c.deleted_at.is_(None))
    ).first()
    if r is None:
        raise NotFound(_("stage {id} does not exist").format(id=stage_id))
    return r


def _live_stages(s: Session, pipeline_id: int) -> list[Any]:
    return list(
        s.execute(
            sa.select(stage_t)
            .where(stage_t.c.pipeline_id == pipeline_id, stage_t.c.deleted_at.is_(None))
            .order_by(stage_t.c.position, stage_t.c.id)
        ).all()
    )


# -- checks


def _check_name(
    errors: dict[str, str], field: str, name: str, taken: Sequence[Any], own_id: int | None
) -> str:
    """The cleaned name; a message in ``errors`` if it is empty, too long or taken."""
    name = clean(name)
    if not name:
        errors[field] = _("a name cannot be empty")
    elif len(name) > NAME_MAX:
        errors[field] = _("a name can be at most {max} characters").format(max=NAME_MAX)
    elif any(r.id != own_id and r.name.casefold() == name.casefold() for r in taken):
        errors[field] = _("the name '{name}' is already taken here").format(name=name)
    return name


def _check_probability(errors: dict[str, str], value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        errors["probability"] = _("a probability is a whole number of percent from 0 to 100")
        return 0
    return value


def _check_outcome(errors: dict[str, str], value: str) -> str:
    outcome = clean(value).lower()
    if outcome not in OUTCOMES:
        errors["outcome"] = _("an outcome is open, won or lost")
    return outcome


def _keep_outcomes(pipeline: Any, stage: Any, remaining: Sequence[Any]) -> None:
    """Refuse leaving the pipeline without an open, a won or a lost stage."""
    if not any(r.outcome == stage.outcome for r in remaining):
        raise Invalid(
            {"stage": _(_LAST_OF[stage.outcome]).format(stage=stage.name, pipeline=pipeline.name)}
        )


def _places(outcome: str, stages: Sequence[Any], *, adding: bool) -> tuple[int, int]:
    """The first and last place (from 1) a stage of this outcome may take."""
    opened = sum(1 for r in stages if r.outcome == "open")
    extra = 1 if adding else 0
    if outcome == "open":
        return 1, opened + extra
    return opened + 1, len(stages) + extra


def _check_place(outcome: str, place: int, low: int, high: int) -> None:
    if low <= place <= high:
        return
    if outcome == "open":
        msg = _("open stages come before won and lost ones: this one can go at places {low}-{high}")
    else:
        msg = _(
            "won and lost stages come after the open ones: this one can go at places {low}-{high}"
        )
    raise Invalid({"position": msg.format(low=low, high=high)})


def _renumber(s: Session, ordered: Sequence[Any], skip: int | None = None) -> None:
    """Store positions 0, 1, 2... in this order (rows whose position changes only)."""
    moves = [
        {"b_id": r.id, "b_pos": i}
        for i, r in enumerate(ordered)
        if r.position != i and r.id != skip
    ]
    if moves:
        s.execute(
            sa.update(stage_t)
            .where(stage_t.c.id == sa.bindparam("b_id"))
            .values(position=sa.bindparam("b_pos")),
            moves,
        )


def _open_first(stages: Sequence[Any]) -> list[Any]:
    return sorted(stages, key=lambda r: (r.outcome != "open", r.position, r.id))


def _deals_in(s: Session, conds: Sequence[sa.ColumnElement[bool]]) -> tuple[int, int, str]:
    """Every live deal matching ``conds`` (whoever may see it): how many, how many of
    clients in the trash, and the first ids as text."""
    base = deal_t.join(client_t, client_t.c.id == deal_t.c.client_id)
    where = [deal_t.c.deleted_at.is_(None), *conds]
    total, trashed = s.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(client_t.c.deleted_at),
        )
        .select_from(base)
        .where(*where)
    ).one()
    ids = s.execute(
        sa.select(deal_t.c.id)
        .select_from(base)
        .where(*where)
        .order_by(deal_t.c.id)
        .limit(SHOWN_DEALS)
    ).scalars()
    shown = ", ".join(str(i) for i in ids) + (", …" if total > SHOWN_DEALS else "")
    return int(total), int(trashed), shown


def _trash_note(trashed: int) -> str:
    if not trashed:
        return ""
    return " " + ngettext(
        "({count} of them belongs to a client in the trash)",
        "({count} of them belong to clients in the trash)",
        trashed,
    ).format(count=trashed)


# -- pipelines


def add_pipeline(
    s: Session,
    actor: Actor,
    name: str,
    *,
    stages: Sequence[tuple[str, int, str]] | None = None,
) -> PipelineOut:
    """A new pipeline (never the default) with ``stages`` as (name, probability %,
    outcome), or the standard stages of ``DEFAULT_STAGES``. Open stages are placed
    first, in the order given, then the won and lost ones."""
    require_configure(actor, N_("add a pipeline"))
    default_pipeline(s)
    errors: dict[str, str] = {}
    taken = s.execute(
        sa.select(pipeline_t.c.id, pipeline_t.c.name).where(pipeline_t.c.deleted_at.is_(None))
    ).all()
    name = _check_name(errors, "name", name, taken, None)
    specs = list(DEFAULT_STAGES if stages is None else stages)
    checked: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for i, (st_name, prob, outcome) in enumerate(specs, 1):
        st_errors: dict[str, str] = {}
        clean_name = clean(st_name)
        if clean_name.casefold() in seen:
            st_errors["name"] = _("the name '{name}' is already taken here").format(name=clean_name)
        else:
            clean_name = _check_name(st_errors, "name", st_name, [], None)
        seen.add(clean_name.casefold())
        prob = _check_probability(st_errors, prob)
        outcome = _check_outcome(st_errors, outcome)
        for field, msg in st_errors.items():
            errors.setdefault(f"stage {i} {field}", msg)
        checked.append((clean_name, prob, outcome))
    missing = [o for o in OUTCOMES if o not in {c[2] for c in checked}]
    if missing and not errors:
        errors["stages"] = _(
            "a pipeline needs at least one open, one won and one lost stage (missing: {missing})"
        ).format(missing=", ".join(missing))
    if errors:
        raise Invalid(errors)
    checked.sort(key=lambda c: c[2] != "open")
    now = utcnow()
    new_id = s.execute(
        sa.insert(pipeline_t)
        .values(name=name, is_default=False, version=1, created_at=now, updated_at=now)
        .returning(pipeline_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="pipeline",
        entity_id=new_id,
        client_id=None,
        version=1,
        changes={"name": [None, name], "stages": [None, [c[0] for c in checked]]},
    )
    for pos, (st_name, prob, outcome) in enumerate(checked):
        _insert_stage(s, actor, new_id, st_name, prob, outcome, pos)
    return _pipelines(s, actor, new_id)[0]


def rename_pipeline(
    s: Session, actor: Actor, pipeline_id: int, name: str, *, version: int
) -> PipelineOut:
    require_configure(actor, N_("rename a pipeline"))
    current = _pipeline_row(s, pipeline_id)
    check_version(s, "pipeline", pipeline_id, version, current.version)
    taken = s.execute(
        sa.select(pipeline_t.c.id, pipeline_t.c.name).where(pipeline_t.c.deleted_at.is_(None))
    ).all()
    errors: dict[str, str] = {}
    name = _check_name(errors, "name", name, taken, pipeline_id)
    if errors:
        raise Invalid(errors)
    if name != current.name:
        versioned_update(
            s,
            actor,
            pipeline_t,
            entity="pipeline",
            entity_id=pipeline_id,
            base_version=version,
            values={"name": name},
            audit_changes={"name": [current.name, name]},
            client_id=None,
        )
    return _pipelines(s, actor, pipeline_id)[0]


def set_default_pipeline(s: Session, actor: Actor, pipeline_id: int) -> PipelineOut:
    """Make a pipeline the default one (where new deals go unless told otherwise).

    Takes no version: it says which pipeline is the default, whatever was edited since."""
    require_configure(actor, N_("change the default pipeline"))
    old_id = default_pipeline(s)
    new = _pipeline_row(s, pipeline_id)
    if old_id != pipeline_id:
        old = _pipeline_row(s, old_id)
        for row, flag in ((old, False), (new, True)):
            versioned_update(
                s,
                actor,
                pipeline_t,
                entity="pipeline",
                entity_id=row.id,
                base_version=row.version,
                values={"is_default": flag},
                audit_changes={"is_default": [not flag, flag]},
                client_id=None,
            )
    return _pipelines(s, actor, pipeline_id)[0]


def delete_pipeline(s: Session, actor: Actor, pipeline_id: int, *, version: int) -> None:
    """Delete a pipeline and its stages (kept in the database for the history). Refused
    for the default pipeline and while the pipeline has live deals."""
    require_configure(actor, N_("delete a pipeline"))
    current = _pipeline_row(s, pipeline_id)
    check_version(s, "pipeline", pipeline_id, version, current.version)
    if current.is_default:
        raise Invalid(
            {
                "pipeline": _(
                    "'{pipeline}' is the default pipeline: make another pipeline the "
                    "default before deleting it"
                ).format(pipeline=current.name)
            }
        )
    total, trashed, shown = _deals_in(s, [deal_t.c.pipeline_id == pipeline_id])
    if total:
        raise Invalid(
            {
                "pipeline": ngettext(
                    "'{pipeline}' still has {count} deal (deal {deals}); a pipeline "
                    "with deals cannot be deleted",
                    "'{pipeline}' still has {count} deals (deals {deals}); a pipeline "
                    "with deals cannot be deleted",
                    total,
                ).format(pipeline=current.name, count=total, deals=shown)
                + _trash_note(trashed)
            }
        )
    now = utcnow()
    versioned_update(
        s,
        actor,
        pipeline_t,
        entity="pipeline",
        entity_id=pipeline_id,
        base_version=version,
        values={"deleted_at": now},
        audit_changes={"deleted_at": [None, now.isoformat()]},
        client_id=None,
        action="delete",
    )
    for st in _live_stages(s, pipeline_id):
        versioned_update(
            s,
            actor,
            stage_t,
            entity="stage",
            entity_id=st.id,
            base_version=st.version,
            values={"deleted_at": now},
            audit_changes={"deleted_at": [None, now.isoformat()]},
            client_id=None,
            action="delete",
        )


# -- stages


def _insert_stage(
    s: Session, actor: Actor, pipeline_id: int, name: str, prob: int, outcome: str, pos: int
) -> int:
    now = utcnow()
    values = {
        "pipeline_id": pipeline_id,
        "name": name,
        "position": pos,
        "probability": prob,
        "outcome": outcome,
    }
    stage_id = s.execute(
        sa.insert(stage_t)
        .values(**values, version=1, created_at=now, updated_at=now)
        .returning(stage_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="stage",
        entity_id=stage_id,
        client_id=None,
        version=1,
        changes={k: [None, v] for k, v in values.items()},
    )
    return int(stage_id)


def add_stage(
    s: Session,
    actor: Actor,
    pipeline_id: int,
    name: str,
    *,
    probability: int,
    outcome: str = "open",
    position: int | None = None,
) -> StageDetailOut:
    """A new stage at ``position`` (a place from 1; default: after the last open stage
    for an open one, at the end for a won or lost one)."""
    require_configure(actor, N_("add a stage"))
    _pipeline_row(s, pipeline_id)
    existing = _open_first(_live_stages(s, pipeline_id))
    errors: dict[str, str] = {}
    name = _check_name(errors, "name", name, existing, None)
    probability = _check_probability(errors, probability)
    outcome = _check_outcome(errors, outcome)
    if errors:
        raise Invalid(errors)
    low, high = _places(outcome, existing, adding=True)
    place = high if position is None else position
    _check_place(outcome, place, low, high)
    new_id = _insert_stage(s, actor, pipeline_id, name, probability, outcome, place - 1)
    new = _stage_row(s, new_id)
    ordered = [*existing[: place - 1], new, *existing[place - 1 :]]
    _renumber(s, ordered)
    return get_stage(s, actor, new_id)


def update_stage(
    s: Session,
    actor: Actor,
    stage_id: int,
    *,
    version: int,
    name: str | None = None,
    probability: int | None = None,
    outcome: str | None = None,
) -> StageDetailOut:
    """Rename a stage, change its probability or its outcome. Deals keep their stage
    (and their history) through a rename. The outcome of a stage with deals in it cannot
    change (they would be closed or reopened without a move); a stage that becomes won or
    lost goes right after the open ones, one that becomes open right before the won and
    lost ones."""
    require_configure(actor, N_("change a stage"))
    current = _stage_row(s, stage_id)
    check_version(s, "stage", stage_id, version, current.version)
    pipeline = _pipeline_row(s, current.pipeline_id)
    siblings = _live_stages(s, current.pipeline_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _check_name(errors, "name", name, siblings, stage_id)
    if probability is not None:
        values["probability"] = _check_probability(errors, probability)
    if outcome is not None:
        values["outcome"] = _check_outcome(errors, outcome)
    if errors:
        raise Invalid(errors)
    changes = {k: [current._mapping[k], v] for k, v in values.items() if current._mapping[k] != v}
    if not changes:
        return get_stage(s, actor, stage_id)
    if "outcome" in changes:
        _keep_outcomes(pipeline, current, [r for r in siblings if r.id != stage_id])
        total, trashed, shown = _deals_in(s, [deal_t.c.stage_id == stage_id])
        if total:
            raise Invalid(
                {
                    "outcome": ngettext(
                        "stage '{stage}' has {count} deal in it (deal {deals}); its outcome "
                        "can change only when it is empty: move the deal to another stage "
                        "first, or add a new stage with this outcome",
                        "stage '{stage}' has {count} deals in it (deals {deals}); its outcome "
                        "can change only when it is empty: move the deals to another stage "
                        "first, or add a new stage with this outcome",
                        total,
                    ).format(stage=current.name, count=total, deals=shown)
                    + _trash_note(trashed)
                }
            )
    versioned_update(
        s,
        actor,
        stage_t,
        entity="stage",
        entity_id=stage_id,
        base_version=version,
        values={k: values[k] for k in changes},
        audit_changes=changes,
        client_id=None,
    )
    if "outcome" in changes:
        # sorted by its old position, a stage that became won or lost comes right after
        # the open ones, one that became open right before the won and lost ones
        _renumber(s, _open_first(_live_stages(s, current.pipeline_id)))
    return get_stage(s, actor, stage_id)


def move_stage(
    s: Session, actor: Actor, stage_id: int, *, version: int, position: int
) -> StageDetailOut:
    """Put a stage at another place (from 1); the stages between shift by one. Open
    stages stay before the won and lost ones."""
    require_configure(actor, N_("move a stage"))
    current = _stage_row(s, stage_id)
    check_version(s, "stage", stage_id, version, current.version)
    stages = _open_first(_live_stages(s, current.pipeline_id))
    low, high = _places(current.outcome, stages, adding=False)
    _check_place(current.outcome, position, low, high)
    others = [r for r in stages if r.id != stage_id]
    ordered = [*others[: position - 1], current, *others[position - 1 :]]
    if [r.id for r in ordered] == [r.id for r in stages] and current.position == position - 1:
        return get_stage(s, actor, stage_id)
    versioned_update(
        s,
        actor,
        stage_t,
        entity="stage",
        entity_id=stage_id,
        base_version=version,
        values={"position": position - 1},
        audit_changes={"position": [current.position, position - 1]},
        client_id=None,
    )
    _renumber(s, ordered, skip=stage_id)
    return get_stage(s, actor, stage_id)


def delete_stage(s: Session, actor: Actor, stage_id: int, *, version: int) -> None:
    """Delete a stage (kept in the database: deals' stage history still names it).
    Refused while deals are in it, and for the last open, won or lost stage."""
    require_configure(actor, N_("delete a stage"))
    current = _stage_row(s, stage_id)
    check_version(s, "stage", stage_id, version, current.version)
    pipeline = _pipeline_row(s, current.pipeline_id)
    siblings = _open_first(_live_stages(s, current.pipeline_id))
    others = [r for r in siblings if r.id != stage_id]
    total, trashed, shown = _deals_in(s, [deal_t.c.stage_id == stage_id])
    if total:
        raise Invalid(
            {
                "stage": ngettext(
                    "'{stage}' still has {count} deal (deal {deals}); move it to another "
                    "stage of pipeline '{pipeline}' first ({stages})",
                    "'{stage}' still has {count} deals (deals {deals}); move them to "
                    "another stage of pipeline '{pipeline}' first ({stages})",
                    total,
                ).format(
                    stage=current.name,
                    count=total,
                    deals=shown,
                    pipeline=pipeline.name,
                    stages=", ".join(r.name for r in others),
                )
                + _trash_note(trashed)
            }
        )
    _keep_outcomes(pipeline, current, others)
    now = utcnow()
    versioned_update(
        s,
        actor,
        stage_t,
        entity="stage",
        entity_id=stage_id,
        base_version=version,
        values={"deleted_at": now},
        audit_changes={"deleted_at": [None, now.isoformat()]},
        client_id=None,
        action="delete",
    )
    _renumber(s, others)
