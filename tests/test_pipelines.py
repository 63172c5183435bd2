"""Pipelines and stages on SQLite and PostgreSQL: the default pipeline of a fresh
database; adding, renaming, reordering and deleting stages and pipelines; every deal's
stage history kept through renames and moves; refusals with their reasons; who may
change pipelines; version conflicts. Then `termcrm pipeline ...` end to end."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.services import clients, deals, org, pipelines
from termcrm.services.actor import Actor
from termcrm.services.dto import PipelineOut
from termcrm.services.errors import Conflict, Forbidden, Invalid
from termcrm.store.engine import Database
from termcrm.store.tables import AuditEntry, DealStageChange, Stage, table

history_t = table(DealStageChange)
audit_t = table(AuditEntry)
stage_t = table(Stage)
STANDARD = ["Lead", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]


@dataclass
class Team:
    admin: Actor
    director: Actor
    manager: Actor
    rep: Actor
    client: int  # the rep's client
    other: int  # a client of another rep


@pytest.fixture
def team(db: Database, admin: Actor) -> Team:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        for login, role, dept in (
            ("boss", "director", None),
            ("mgr", "manager", "North"),
            ("rep", "rep", "North"),
            ("sue", "rep", "South"),
        ):
            org.add_user(s, admin, login, role=role, department=dept, full_name=login.title())
        a = {k: org.actor_by_login(s, k) for k in ("boss", "mgr", "rep", "sue")}
        mine = clients.create_client(s, admin, {"name": "Acme", "owner_id": a["rep"].id}).id
        other = clients.create_client(s, admin, {"name": "South Ltd", "owner_id": a["sue"].id}).id
    return Team(admin, a["boss"], a["mgr"], a["rep"], mine, other)


def _names(p: PipelineOut) -> list[str]:
    return [st.name for st in p.stages]


def _stage(p: PipelineOut, name: str) -> int:
    return next(st.id for st in p.stages if st.name == name)


def _sales(db: Database, actor: Actor) -> PipelineOut:
    with db.write() as s:
        return next(p for p in pipelines.list_pipelines(s, actor) if p.is_default)


def _positions(db: Database, pipeline_id: int) -> list[tuple[str, int]]:
    with db.read() as s:
        rows = s.execute(
            sa.select(stage_t.c.name, stage_t.c.position)
            .where(stage_t.c.pipeline_id == pipeline_id, stage_t.c.deleted_at.is_(None))
            .order_by(stage_t.c.position)
        ).all()
    return [(r.name, r.position) for r in rows]


# -- reading


def test_a_fresh_database_lists_the_default_pipeline(db: Database, admin: Actor) -> None:
    with db.write() as s:
        found = pipelines.list_pipelines(s, admin)
    assert len(found) == 1
    sales = found[0]
    assert sales.name == "Sales" and sales.is_default and sales.version == 1
    assert _names(sales) == STANDARD
    assert [st.outcome for st in sales.stages] == ["open"] * 4 + ["won", "lost"]
    assert [st.probability for st in sales.stages] == [10, 20, 40, 70, 100, 0]
    assert [st.position for st in sales.stages] == [0, 1, 2, 3, 4, 5]
    assert sales.deals == 0 and all(st.version == 1 for st in sales.stages)
    with db.write() as s:  # listing again creates nothing more
        assert [p.id for p in pipelines.list_pipelines(s, admin)] == [sales.id]


def test_deal_counts_follow_the_access_rule(db: Database, team: Team) -> None:
    with db.write() as s:
        deals.add_deal(s, team.admin, title="Mine", client_id=team.client, stage="Proposal")
        deals.add_deal(s, team.admin, title="Hers", client_id=team.other, stage="Proposal")
    admin_view = _sales(db, team.admin)
    rep_view = _sales(db, team.rep)
    proposal = _names(admin_view).index("Proposal")
    assert admin_view.stages[proposal].deals == 2 and admin_view.deals == 2
    assert rep_view.stages[proposal].deals == 1 and rep_view.deals == 1


# -- pipelines


def test_add_pipeline_with_the_standard_or_given_stages(db: Database, admin: Actor) -> None:
    with db.write() as s:
        wholesale = pipelines.add_pipeline(s, admin, "  Wholesale ")
        tenders = pipelines.add_pipeline(
            s,
            admin,
            "Tenders",
            stages=[("Lost the bid", 0, "lost"), ("Bid sent", 30, "open"), ("Awarded", 100, "won")],
        )
        listed = pipelines.list_pipelines(s, admin)
    assert wholesale.name == "Wholesale" and not wholesale.is_default
    assert _names(wholesale) == STANDARD
    assert _names(tenders) == ["Bid sent", "Lost the bid", "Awarded"]  # open ones first
    assert [st.position for st in tenders.stages] == [0, 1, 2]
    assert [p.name for p in listed] == ["Sales", "Wholesale", "Tenders"]
    with db.write() as s:
        assert pipelines.get_pipeline(s, admin, "wholesale").id == wholesale.id
        assert pipelines.get_pipeline(s, admin, str(tenders.id)).name == "Tenders"


def test_pipeline_names_and_stage_sets_are_checked(db: Database, admin: Actor) -> None:
    with db.write() as s:
        with pytest.raises(Invalid) as exc:
            pipelines.add_pipeline(s, admin, "SALES")
        assert "'SALES' is already taken" in str(exc.value)
        with pytest.raises(Invalid) as exc:
            pipelines.add_pipeline(s, admin, "   ")
        assert "a name cannot be empty" in str(exc.value)
        with pytest.raises(Invalid) as exc:
            pipelines.add_pipeline(
                s, admin, "Half", stages=[("Talk", 10, "open"), ("Yes", 100, "won")]
            )
        assert "at least one open, one won and one lost stage (missing: lost)" in str(exc.value)
        with pytest.raises(Invalid) as exc:
            pipelines.add_pipeline(
                s,
                admin,
                "Bad",
                stages=[("A", 10, "open"), ("a", 20, "open"), ("W", 101, "won"), ("L", 0, "gone")],
            )
        assert set(exc.value.errors) == {"stage 2 name", "stage 3 probability", "stage 4 outcome"}
        with pytest.raises(Invalid, match="no pipeline 'Nope' \\(pipelines: Sales\\)"):
            pipelines.pipeline_id(s, "Nope")


def test_rename_default_and_delete_a_pipeline(db: Database, team: Team) -> None:
    admin = team.admin
    with db.write() as s:
        sales = pipelines.list_pipelines(s, admin)[0]
        retail = pipelines.add_pipeline(s, admin, "Retail")
        renamed = pipelines.rename_pipeline(s, admin, retail.id, "Shops", version=retail.version)
        assert renamed.name == "Shops" and renamed.version == 2
        with pytest.raises(Invalid, match="'sales' is already taken"):
            pipelines.rename_pipeline(s, admin, retail.id, "sales", version=2)
        shops = pipelines.set_default_pipeline(s, admin, retail.id)
        assert shops.is_default and shops.version == 3
        assert deals.default_pipeline(s) == retail.id
        assert not pipelines.get_pipeline(s, admin, sales.id).is_default
        # new deals go to the default pipeline, or to the one named
        in_shops = deals.add_deal(s, admin, title="Shop deal", client_id=team.client)
        in_sales = deals.add_deal(
            s, admin, title="Old deal", client_id=team.client, pipeline="Sales", stage="Won"
        )
        assert in_shops.pipeline_id == retail.id and in_shops.stage == "Lead"
        assert in_sales.pipeline_id == sales.id and in_sales.closed_at is not None
        with pytest.raises(Invalid, match="no pipeline 'Nope'"):
            deals.add_deal(s, admin, title="x", client_id=team.client, pipeline="Nope")
    with db.write() as s, pytest.raises(Invalid) as exc:
        pipelines.delete_pipeline(s, admin, retail.id, version=3)
    assert "'Shops' is the default pipeline: make another pipeline the default" in str(exc.value)
    with db.write() as s:
        pipelines.set_default_pipeline(s, admin, sales.id)
    with db.write() as s, pytest.raises(Invalid) as exc:
        pipelines.delete_pipeline(s, admin, retail.id, version=4)
    assert (
        f"'Shops' still has 1 deal (deal {in_shops.id}); a pipeline with deals cannot be deleted"
    ) in str(exc.value)
    with db.write() as s:
        clients.delete_client(s, admin, team.client, version=1)
    with db.write() as s, pytest.raises(Invalid) as exc:
        pipelines.delete_pipeline(s, admin, retail.id, version=4)
    assert "(1 of them belongs to a client in the trash)" in str(exc.value)
    with db.write() as s:
        s.execute(
            sa.text("update deal set deleted_at = created_at where id = :i"), {"i": in_shops.id}
        )
        pipelines.delete_pipeline(s, admin, retail.id, version=4)
        assert [p.name for p in pipelines.list_pipelines(s, admin)] == ["Sales"]
        gone = s.execute(
            sa.select(sa.func.count()).where(
                stage_t.c.pipeline_id == retail.id, stage_t.c.deleted_at.is_(None)
            )
        ).scalar_one()
        assert gone == 0


# -- stages


def test_add_stage_places_it_and_checks_it(db: Database, admin: Actor) -> None:
    sales = _sales(db, admin)
    with db.write() as s:
        demo = pipelines.add_stage(s, admin, sales.id, "Demo", probability=30)
        first = pipelines.add_stage(s, admin, sales.id, "Cold", probability=5, position=1)
        parked = pipelines.add_stage(s, admin, sales.id, "Parked", probability=0, outcome="Lost")
        for kwargs, field, message in (
            ({"name": "lead"}, "name", "the name 'lead' is already taken here"),
            ({"name": " "}, "name", "a name cannot be empty"),
            ({"probability": 101}, "probability", "from 0 to 100"),
            ({"probability": -1}, "probability", "from 0 to 100"),
            ({"outcome": "maybe"}, "outcome", "an outcome is open, won or lost"),
            ({"position": 9}, "position", "this one can go at places 1-7"),
            ({"position": 0}, "position", "this one can go at places 1-7"),
            (
                {"outcome": "won", "position": 2},
                "position",
                "won and lost stages come after the open ones: this one can go at places 7-10",
            ),
        ):
            args = {"name": "New", "probability": 50, **kwargs}
            with pytest.raises(Invalid) as exc:
                pipelines.add_stage(s, admin, sales.id, **args)  # type: ignore[arg-type]
            assert message in exc.value.errors[field], kwargs
    assert demo.outcome == "open" and demo.probability == 30 and demo.version == 1
    assert parked.outcome == "lost"
    assert _positions(db, sales.id) == [
        ("Cold", 0),
        ("Lead", 1),
        ("Qualification", 2),
        ("Proposal", 3),
        ("Negotiation", 4),
        ("Demo", 5),  # an open stage goes after the last open one
        ("Won", 6),
        ("Lost", 7),
        ("Parked", 8),  # a won or lost one at the end
    ]
    assert first.position == 0


def test_move_stage_shifts_the_others_and_keeps_open_ones_first(db: Database, admin: Actor) -> None:
    sales = _sales(db, admin)
    nego, won = _stage(sales, "Negotiation"), _stage(sales, "Won")
    with db.write() as s:
        moved = pipelines.move_stage(s, admin, nego, version=1, position=2)
    assert moved.version == 2 and moved.position == 1
    assert _positions(db, sales.id) == [
        ("Lead", 0),
        ("Negotiation", 1),
        ("Qualification", 2),
        ("Proposal", 3),
        ("Won", 4),
        ("Lost", 5),
    ]
    after = _sales(db, admin)
    # the shifted stages keep their versions; only the moved one changed
    assert {st.name: st.version for st in after.stages} == {
        "Lead": 1,
        "Negotiation": 2,
        "Qualification": 1,
        "Proposal": 1,
        "Won": 1,
        "Lost": 1,
    }
    with db.write() as s:
        with pytest.raises(Invalid) as exc:
            pipelines.move_stage(s, admin, nego, version=2, position=5)
        assert exc.value.errors["position"] == (
            "open stages come before won and lost ones: this one can go at places 1-4"
        )
        with pytest.raises(Invalid, match="this one can go at places 5-6"):
            pipelines.move_stage(s, admin, won, version=1, position=1)
        lost_last = pipelines.move_stage(s, admin, won, version=1, position=6)
        assert lost_last.position == 5
        same = pipelines.move_stage(s, admin, won, version=2, position=6)
        assert same.version == 2  # no move, no new version
    assert [n for n, _ in _positions(db, sales.id)][-2:] == ["Lost", "Won"]
    with db.read() as s:
        entries = s.execute(
            sa.select(audit_t.c.action, audit_t.c.version, audit_t.c.changes)
            .where(audit_t.c.entity == "stage", audit_t.c.entity_id == nego)
            .order_by(audit_t.c.id)
        ).all()
    assert [(e.action, e.version, e.changes) for e in entries] == [
        ("update", 2, {"position": [3, 1]})
    ]


def test_renaming_and_reordering_keep_every_deals_history(db: Database, team: Team) -> None:
    admin = team.admin
    with db.write() as s:
        deal = deals.add_deal(s, admin, title="Boiler", client_id=team.client)
        deal = deals.move_deal(s, admin, deal.id, version=deal.version, stage="Proposal")
        deal = deals.move_deal(s, admin, deal.id, version=deal.version, stage="Negotiation")

    def history() -> list[tuple[int | None, int]]:
        with db.read() as s:
            rows = s.execute(
                sa.select(history_t.c.from_stage_id, history_t.c.to_stage_id)
                .where(history_t.c.deal_id == deal.id)
                .order_by(history_t.c.id)
            ).all()
        return [(r.from_stage_id, r.to_stage_id) for r in rows]

    before = history()
    sales = _sales(db, admin)
    lead, proposal, nego = (_stage(sales, n) for n in ("Lead", "Proposal", "Negotiation"))
    assert before == [(None, lead), (lead, proposal), (proposal, nego)]
    with db.write() as s:
        offer = pipelines.update_stage(s, admin, proposal, version=1, name="Offer", probability=45)
        pipelines.move_stage(s, admin, offer.id, version=offer.version, position=1)
        pipelines.update_stage(s, admin, nego, version=1, name="Bargaining")
    assert history() == before
    with db.write() as s:
        shown = deals.get_deal(s, admin, deal.id)
        assert shown.stage == "Bargaining" and shown.stage_id == nego
        back = deals.move_deal(s, admin, deal.id, version=shown.version, stage="offer")
        assert back.stage == "Offer" and back.stage_id == proposal
    assert _names(_sales(db, admin))[:2] == ["Offer", "Lead"]
    # a deleted stage stays for the history that names it
    with db.write() as s:
        pipelines.update_stage(s, admin, lead, version=1, name="Lead (old)")
        current = deals.get_deal(s, admin, deal.id)
        deals.move_deal(s, admin, deal.id, version=current.version, stage="Bargaining")
        pipelines.delete_stage(s, admin, lead, version=2)
    assert history()[:3] == before
    assert "Lead (old)" not in _names(_sales(db, admin))
    with db.read() as s:
        kept = s.execute(sa.select(stage_t.c.name).where(stage_t.c.id == lead)).scalar_one()
    assert kept == "Lead (old)"


def test_delete_stage_is_refused_while_deals_are_in_it(db: Database, team: Team) -> None:
    admin = team.admin
    with db.write() as s:
        d1 = deals.add_deal(s, admin, title="One", client_id=team.client, stage="Qualification")
        d2 = deals.add_deal(s, admin, title="Two", client_id=team.other, stage="Qualification")
    sales = _sales(db, admin)
    qual = _stage(sales, "Qualification")
    with db.write() as s, pytest.raises(Invalid) as exc:
        pipelines.delete_stage(s, admin, qual, version=1)
    assert exc.value.errors["stage"] == (
        f"'Qualification' still has 2 deals (deals {d1.id}, {d2.id}); move them to "
        "another stage of pipeline 'Sales' first (Lead, Proposal, Negotiation, Won, Lost)"
    )
    with db.write() as s:
        for d in (d1, d2):
            deals.move_deal(s, admin, d.id, version=d.version, stage="Lead")
        pipelines.delete_stage(s, admin, qual, version=1)
    assert _positions(db, sales.id) == [
        ("Lead", 0),
        ("Proposal", 1),
        ("Negotiation", 2),
        ("Won", 3),
        ("Lost", 4),
    ]
    with db.write() as s, pytest.raises(Invalid) as exc:
        deals.move_deal(s, admin, d1.id, version=d1.version + 1, stage="Qualification")
    assert "no stage 'Qualification'" in str(exc.value)


def test_a_pipeline_keeps_an_open_a_won_and_a_lost_stage(db: Database, admin: Actor) -> None:
    with db.write() as s:
        p = pipelines.add_pipeline(
            s, admin, "Tiny", stages=[("Talk", 50, "open"), ("Yes", 100, "won"), ("No", 0, "lost")]
        )
        talk, yes, no = (st.id for st in p.stages)
        with pytest.raises(Invalid) as exc:
            pipelines.delete_stage(s, admin, no, version=1)
        assert exc.value.errors["stage"] == (
            "'No' is the last lost stage of pipeline 'Tiny': a pipeline needs at least one "
            "open, one won and one lost stage"
        )
        with pytest.raises(Invalid, match="'Talk' is the last open stage"):
            pipelines.update_stage(s, admin, talk, version=1, outcome="won")
        with pytest.raises(Invalid, match="'Yes' is the last won stage"):
            pipelines.delete_stage(s, admin, yes, version=1)
        # with a second won stage, one of them may go or turn open
        extra = pipelines.add_stage(s, admin, p.id, "Paid", probability=100, outcome="won")
        opened = pipelines.update_stage(s, admin, yes, version=1, outcome="open", probability=90)
        assert opened.outcome == "open" and opened.version == 2
        assert _names(pipelines.get_pipeline(s, admin, p.id)) == ["Talk", "Yes", "No", "Paid"]
        pipelines.update_stage(s, admin, talk, version=1, outcome="lost")
        assert _names(pipelines.get_pipeline(s, admin, p.id)) == ["Yes", "Talk", "No", "Paid"]
        assert extra.id in {st.id for st in pipelines.get_pipeline(s, admin, p.id).stages}


def test_the_outcome_of_a_stage_with_deals_cannot_change(db: Database, team: Team) -> None:
    with db.write() as s:
        d = deals.add_deal(s, team.admin, title="One", client_id=team.client, stage="Won")
        won = _stage(pipelines.list_pipelines(s, team.admin)[0], "Won")
        pipelines.add_stage(s, team.admin, d.pipeline_id, "Paid", probability=100, outcome="won")
        with pytest.raises(Invalid) as exc:
            pipelines.update_stage(s, team.admin, won, version=1, outcome="open")
    assert exc.value.errors["outcome"].startswith(
        f"stage 'Won' has 1 deal in it (deal {d.id}); its outcome can change only when it is empty"
    )


def test_update_stage_checks_names_and_values(db: Database, admin: Actor) -> None:
    sales = _sales(db, admin)
    lead = _stage(sales, "Lead")
    with db.write() as s:
        with pytest.raises(Invalid, match="'PROPOSAL' is already taken"):
            pipelines.update_stage(s, admin, lead, version=1, name="PROPOSAL")
        with pytest.raises(Invalid, match="from 0 to 100"):
            pipelines.update_stage(s, admin, lead, version=1, probability=150)
        with pytest.raises(Invalid, match="open, won or lost"):
            pipelines.update_stage(s, admin, lead, version=1, outcome="closed")
        same = pipelines.update_stage(s, admin, lead, version=1, name="lead", probability=10)
        assert same.name == "lead" and same.version == 2  # a change of case is a rename
        unchanged = pipelines.update_stage(s, admin, lead, version=2, probability=10)
        assert unchanged.version == 2


# -- who may change pipelines, versions


def test_only_admins_and_directors_change_pipelines(db: Database, team: Team) -> None:
    sales = _sales(db, team.admin)
    lead = _stage(sales, "Lead")
    for actor in (team.rep, team.manager):
        with db.write() as s:
            assert [p.name for p in pipelines.list_pipelines(s, actor)] == ["Sales"]
            for call, what in (
                (lambda a: pipelines.add_pipeline(s, a, "Mine"), "add a pipeline"),
                (lambda a: pipelines.rename_pipeline(s, a, sales.id, "X", version=1), "rename"),
                (lambda a: pipelines.set_default_pipeline(s, a, sales.id), "default pipeline"),
                (lambda a: pipelines.delete_pipeline(s, a, sales.id, version=1), "delete"),
                (lambda a: pipelines.add_stage(s, a, sales.id, "X", probability=1), "add"),
                (lambda a: pipelines.update_stage(s, a, lead, version=1, name="X"), "change"),
                (lambda a: pipelines.move_stage(s, a, lead, version=1, position=2), "move"),
                (lambda a: pipelines.delete_stage(s, a, lead, version=1), "delete a stage"),
            ):
                with pytest.raises(Forbidden) as exc:
                    call(actor)
                assert what in str(exc.value)
                assert (
                    f"only an admin or a director can change pipelines (you are {actor.role})"
                    in str(exc.value)
                )
    with db.write() as s:
        p = pipelines.add_pipeline(s, team.director, "Director's")
        pipelines.rename_pipeline(s, team.director, p.id, "Board", version=1)
        pipelines.update_stage(s, team.admin, lead, version=1, name="Leads")
    assert _names(_sales(db, team.rep))[0] == "Leads"


def test_stale_versions_conflict_and_save_nothing(db: Database, team: Team) -> None:
    sales = _sales(db, team.admin)
    lead = _stage(sales, "Lead")
    with db.write() as s:
        pipelines.update_stage(s, team.director, lead, version=1, probability=15)
        pipelines.rename_pipeline(s, team.director, sales.id, "Main", version=1)
    for call in (
        lambda s: pipelines.update_stage(s, team.admin, lead, version=1, name="First"),
        lambda s: pipelines.move_stage(s, team.admin, lead, version=1, position=3),
        lambda s: pipelines.delete_stage(s, team.admin, lead, version=1),
        lambda s: pipelines.rename_pipeline(s, team.admin, sales.id, "Other", version=1),
        lambda s: pipelines.delete_pipeline(s, team.admin, sales.id, version=1),
    ):
        with db.write() as s, pytest.raises(Conflict) as exc:
            call(s)
        assert "since you opened version 1 by Boss" in str(exc.value)
    after = _sales(db, team.admin)
    assert after.name == "Main" and _names(after) == STANDARD
    assert after.stages[0].probability == 15 and after.stages[0].version == 2


# -- the command line

runner = CliRunner()
ME = org.os_login()


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", self.url, *args])
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        return " ".join(result.output.split())  # as one line: messages wrap


@pytest.fixture
def cli(db_url: str, plain_settings: None) -> Cli:
    return Cli(db_url)


def test_cli_lists_the_default_pipeline_of_a_fresh_database(cli: Cli) -> None:
    out = cli("pipeline", "list")
    assert "Sales #1 v1 (default)" in out
    assert "# ID Stage Probability % Outcome Deals" in out
    assert "1 1 Lead 10 open 0" in out and "6 6 Lost 0 lost 0" in out
    data = json.loads(
        runner.invoke(app, ["--db", cli.url, "pipeline", "list", "-f", "json"]).stdout
    )
    assert data[0]["name"] == "Sales" and data[0]["is_default"] is True
    assert [st["name"] for st in data[0]["stages"]] == STANDARD
    assert data[0]["stages"][0]["version"] == 1 and data[0]["stages"][0]["deals"] == 0
    csv_out = runner.invoke(app, ["--db", cli.url, "pipeline", "list", "-f", "csv"]).stdout
    lines = csv_out.splitlines()
    assert lines[0].startswith("pipeline_id,pipeline,is_default,place,id,name,probability")
    assert lines[1] == "1,Sales,True,1,1,Lead,10,open,0,1"


def test_cli_configures_pipelines_and_stages(cli: Cli) -> None:
    cli("pipeline", "list")
    assert cli("pipeline", "add", "Wholesale") == (
        "Added pipeline 2: Wholesale, with stages Lead, Qualification, Proposal, "
        "Negotiation, Won, Lost."
    )
    assert (
        cli(
            "pipeline",
            "stage-add",
            "wholesale",
            "Samples sent",
            "--probability",
            "30",
            "--position",
            "2",
        )
        == "Added stage 13 to Wholesale: 'Samples sent' (30%, open) at place 2."
    )
    assert cli(
        "pipeline", "stage-add", "2", "Cancelled", "--probability", "0", "--outcome", "lost"
    ) == ("Added stage 14 to Wholesale: 'Cancelled' (0%, lost) at place 8.")
    assert cli("pipeline", "stage-edit", "13", "--name", "Samples", "--probability", "35") == (
        "Saved stage 13 (version 2): 'Samples' (35%, open) at place 2."
    )
    assert cli("pipeline", "stage-move", "13", "--position", "4") == (
        "Stage 13 (Samples) is at place 4: Lead, Qualification, Proposal, Samples, "
        "Negotiation, Won, Lost, Cancelled."
    )
    assert "at places 1-5" in cli("pipeline", "stage-move", "13", "--position", "7", code=1)
    assert "nothing to change" in cli("pipeline", "stage-edit", "13", code=2)
    assert "error: name: the name 'sales' is already taken here" in cli(
        "pipeline", "add", "sales", code=1
    )
    assert "error: --probability: a probability is a whole number" in cli(
        "pipeline", "stage-edit", "13", "--probability", "120", code=1
    )
    assert "since you opened version 1" in cli(
        "pipeline", "stage-edit", "13", "--name", "S", "--version", "1", code=1
    )
    assert cli("pipeline", "stage-rm", "14") == "Deleted stage 14 (Cancelled)."
    assert cli("pipeline", "rename", "2", "Dealers") == (
        "Pipeline 2 is now called Dealers (version 2)."
    )
    assert cli("pipeline", "default", "Dealers") == "Pipeline 2 (Dealers) is the default pipeline."
    out = cli("pipeline", "list")
    assert "Sales #1 v2 Dealers" not in out and "Dealers #2 v3 (default)" in out
    assert "4 13 Samples 35 open 0" in out
    assert "error: pipeline: 'Dealers' is the default pipeline" in cli(
        "pipeline", "rm", "2", code=1
    )
    cli("pipeline", "default", "1")
    assert cli("pipeline", "rm", "Dealers") == "Deleted pipeline 2 (Dealers)."
    assert "no pipeline 'Dealers' (pipelines: Sales)" in cli("pipeline", "rm", "Dealers", code=1)
    assert "stage 99 does not exist" in cli("pipeline", "stage-rm", "99", code=1)


def test_cli_refuses_with_reasons(db: Database, db_url: str, plain_settings: None) -> None:
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
        org.add_department(s, admin, "North")
        org.add_user(s, admin, ME, role="rep", department="North")
        me = org.actor_by_login(s, ME)
        acme = clients.create_client(s, admin, {"name": "Acme", "owner_id": me.id}).id
    cli = Cli(db_url)
    out = cli("deal", "add", "Boiler", "--client", str(acme), "--stage", "Proposal")
    assert "stage Proposal" in out
    assert "3 3 Proposal 40 open 1" in cli("pipeline", "list")
    assert (
        "error: rename a stage"
        not in (refused := cli("pipeline", "stage-edit", "3", "--name", "X", code=1))
        and "only an admin or a director can change pipelines (you are rep)" in refused
    )
    assert "you are rep" in cli("pipeline", "add", "Mine", code=1)
    with db.write() as s:
        org.update_user(s, admin, ME, role="admin")
    out = cli("pipeline", "stage-rm", "3", code=1)
    assert (
        "stage: 'Proposal' still has 1 deal (deal 1); move it to another stage of pipeline "
        "'Sales' first" in out
    )
    cli("pipeline", "add", "Projects")
    assert cli("deal", "add", "Big one", "--client", str(acme), "--pipeline", "projects").endswith(
        "stage Lead"
    )
    assert "pipeline: 'Projects' still has 1 deal (deal 2)" in cli(
        "pipeline", "rm", "Projects", code=1
    )
