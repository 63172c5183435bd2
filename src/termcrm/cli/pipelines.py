"""`termcrm pipeline ...`: sales pipelines and their stages (admins and directors)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from termcrm.cli.output import Format, FormatOpt, emit, say, to_json
from termcrm.cli.runtime import guarded, runtime

if TYPE_CHECKING:
    from termcrm.services.dto import PipelineOut, StageDetailOut

app = typer.Typer(
    help="Sales pipelines and their stages: list, add, rename, default, rm; stage-add, "
    "stage-edit, stage-move, stage-rm.",
    no_args_is_help=True,
)

PipelineArg = Annotated[str, typer.Argument(metavar="PIPELINE", help="the pipeline's id or name")]
StageArg = Annotated[
    int, typer.Argument(metavar="STAGE_ID", help="the stage's id (`pipeline list`)")
]
VersionOpt = Annotated[
    int | None,
    typer.Option("--version", help="the version you saw; refused if somebody saved since"),
]
OUTCOME_HELP = "open, won or lost"


@dataclass(frozen=True, slots=True)
class StageRow:
    """A line of `pipeline list`: one stage with its pipeline."""

    pipeline_id: int
    pipeline: str
    is_default: bool
    place: int  # from 1, as --position counts
    id: int
    name: str
    probability: int
    outcome: str
    deals: int
    version: int


COLUMNS = [
    ("#", lambda r: r.place),
    ("ID", lambda r: r.id),
    ("Stage", lambda r: r.name),
    ("Probability %", lambda r: r.probability),
    ("Outcome", lambda r: r.outcome),
    ("Deals", lambda r: r.deals),
]


@contextmanager
def _plain(*fields: str) -> Iterator[None]:
    """A refusal about these fields names them plainly: here they are arguments (PIPELINE,
    NAME), not options."""
    from termcrm.cli.runtime import option_label
    from termcrm.services.errors import CrmError, Invalid

    try:
        yield
    except Invalid as exc:
        if not any(k in fields for k in exc.errors):
            raise
        raise CrmError(
            "; ".join(
                f"{k if k in fields else option_label(k)}: {v}" for k, v in exc.errors.items()
            )
        ) from exc


def _rows(p: PipelineOut) -> list[StageRow]:
    return [
        StageRow(
            pipeline_id=p.id,
            pipeline=p.name,
            is_default=p.is_default,
            place=i,
            id=st.id,
            name=st.name,
            probability=st.probability,
            outcome=st.outcome,
            deals=st.deals,
            version=st.version,
        )
        for i, st in enumerate(p.stages, 1)
    ]


def _title(p: PipelineOut) -> str:
    return f"{p.name}  #{p.id} v{p.version}" + ("  (default)" if p.is_default else "")


def _stage_said(st: StageDetailOut, place: int) -> str:
    return f"'{st.name}' ({st.probability}%, {st.outcome}) at place {place}"


def _place(p: PipelineOut, stage_id: int) -> int:
    return next(i for i, st in enumerate(p.stages, 1) if st.id == stage_id)


@app.command("list")
@guarded
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Pipelines with their stages in order: place, probability, outcome, deals in each."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:  # a fresh database gets its default pipeline here
        found = pipelines.list_pipelines(s, actor)
    if fmt is Format.json:
        sys.stdout.write(to_json(found) + "\n")
        return
    rows = [r for p in found for r in _rows(p)]
    if fmt is Format.csv:
        emit(rows, COLUMNS, fmt)
        return
    for i, p in enumerate(found):
        if i:
            typer.echo()
        emit(_rows(p), COLUMNS, fmt, title=_title(p), empty="No stages.")


@app.command()
@guarded
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the new pipeline's name")],
) -> None:
    """Add a pipeline with the standard stages (Lead ... Negotiation, Won, Lost)."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _plain("pipeline", "name"):
        p = pipelines.add_pipeline(s, actor, name)
    stages = ", ".join(st.name for st in p.stages)
    say(f"Added pipeline {p.id}: {p.name}, with stages {stages}.")


@app.command()
@guarded
def rename(
    ctx: typer.Context,
    pipeline: PipelineArg,
    name: Annotated[str, typer.Argument(help="the new name")],
    version: VersionOpt = None,
) -> None:
    """Rename a pipeline."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _plain("pipeline", "name"):
        current = pipelines.get_pipeline(s, actor, pipeline)
        p = pipelines.rename_pipeline(
            s, actor, current.id, name, version=current.version if version is None else version
        )
    say(f"Pipeline {p.id} is now called {p.name} (version {p.version}).")


@app.command()
@guarded
def default(ctx: typer.Context, pipeline: PipelineArg) -> None:
    """Make a pipeline the default one: new deals go to it unless told otherwise."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _plain("pipeline"):
        current = pipelines.get_pipeline(s, actor, pipeline)
        p = pipelines.set_default_pipeline(s, actor, current.id)
    say(f"Pipeline {p.id} ({p.name}) is the default pipeline.")


@app.command()
@guarded
def rm(ctx: typer.Context, pipeline: PipelineArg, version: VersionOpt = None) -> None:
    """Delete a pipeline with its stages (refused while it has deals, or is the default)."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _plain("pipeline"):
        current = pipelines.get_pipeline(s, actor, pipeline)
        pipelines.delete_pipeline(
            s, actor, current.id, version=current.version if version is None else version
        )
    say(f"Deleted pipeline {current.id} ({current.name}).")


@app.command("stage-add")
@guarded
def stage_add(
    ctx: typer.Context,
    pipeline: PipelineArg,
    name: Annotated[str, typer.Argument(help="the stage's name")],
    probability: Annotated[int, typer.Option(help="chance of winning a deal here, 0-100 %")],
    outcome: Annotated[str, typer.Option(help=OUTCOME_HELP)] = "open",
    position: Annotated[
        int | None,
        typer.Option(
            help="its place, from 1 (default: after the last open stage, or at the end "
            "for won and lost)"
        ),
    ] = None,
) -> None:
    """Add a stage to a pipeline."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s, _plain("pipeline", "name"):
        pid = pipelines.pipeline_id(s, pipeline)
        st = pipelines.add_stage(
            s, actor, pid, name, probability=probability, outcome=outcome, position=position
        )
        p = pipelines.get_pipeline(s, actor, pid)
    say(f"Added stage {st.id} to {p.name}: {_stage_said(st, _place(p, st.id))}.")


@app.command("stage-edit")
@guarded
def stage_edit(
    ctx: typer.Context,
    stage: StageArg,
    name: Annotated[str | None, typer.Option(help="a new name")] = None,
    probability: Annotated[int | None, typer.Option(help="0-100 %")] = None,
    outcome: Annotated[str | None, typer.Option(help=OUTCOME_HELP)] = None,
    version: VersionOpt = None,
) -> None:
    """Rename a stage or change its probability or outcome (deals keep their history)."""
    from termcrm.services import pipelines

    if name is None and probability is None and outcome is None:
        raise typer.BadParameter("nothing to change", param_hint="--name/--probability/--outcome")
    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        current = pipelines.get_stage(s, actor, stage)
        st = pipelines.update_stage(
            s,
            actor,
            stage,
            version=current.version if version is None else version,
            name=name,
            probability=probability,
            outcome=outcome,
        )
        p = pipelines.get_pipeline(s, actor, st.pipeline_id)
    say(f"Saved stage {st.id} (version {st.version}): {_stage_said(st, _place(p, st.id))}.")


@app.command("stage-move")
@guarded
def stage_move(
    ctx: typer.Context,
    stage: StageArg,
    position: Annotated[int, typer.Option(help="its new place, from 1")],
    version: VersionOpt = None,
) -> None:
    """Put a stage at another place; open stages stay before won and lost ones."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        current = pipelines.get_stage(s, actor, stage)
        st = pipelines.move_stage(
            s,
            actor,
            stage,
            version=current.version if version is None else version,
            position=position,
        )
        p = pipelines.get_pipeline(s, actor, st.pipeline_id)
    order = ", ".join(x.name for x in p.stages)
    say(f"Stage {st.id} ({st.name}) is at place {_place(p, st.id)}: {order}.")


@app.command("stage-rm")
@guarded
def stage_rm(ctx: typer.Context, stage: StageArg, version: VersionOpt = None) -> None:
    """Delete a stage (refused while deals are in it; deals' history still names it)."""
    from termcrm.services import pipelines

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        current = pipelines.get_stage(s, actor, stage)
        pipelines.delete_stage(
            s, actor, stage, version=current.version if version is None else version
        )
    say(f"Deleted stage {current.id} ({current.name}).")
