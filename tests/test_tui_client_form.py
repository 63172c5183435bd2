"""The client form (create, edit, inline validation, edit conflicts) and the filter dialog.

Pilot tests at 80x24 on a real SQLite file. "Another session" is the services
called directly on the same database, as a second user would through their own
termcrm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select, Static

from termcrm.app import TermCrmApp
from termcrm.screens.client_filter import ClientFilterScreen
from termcrm.screens.client_form import ClientFormScreen
from termcrm.services import clients, custom_fields, org
from termcrm.services.actor import Actor
from termcrm.widgets.conflict_dialog import ConflictDialog
from termcrm.widgets.dialogs import ErrorDialog
from termcrm.widgets.form_fields import FormField
from tui_helpers import Scenario, TuiDb, run_app, tui_app, until


@dataclass
class World(TuiDb):
    petr: Actor
    client_id: int


@pytest.fixture
def world(tui_db: TuiDb) -> World:
    db, admin = tui_db.db, tui_db.admin
    with db.write() as s:
        org.add_user(s, admin, "petr", role="director", department=None, full_name="Пётр Иванов")
        custom_fields.define_field(s, admin, key="segment", kind="text", label="Segment")
        client = clients.create_client(
            s,
            admin,
            {
                "name": "Acme Supplies",
                "status": "active",
                "city": "Boston",
                "phones": ["+7 495 123-45-67"],
                "emails": ["info@acme.example"],
                "addresses": [{"kind": "legal", "city": "Boston", "line": "1 Main St"}],
            },
        )
        clients.create_client(s, admin, {"name": "Globex", "status": "lead", "city": "Austin"})
    with db.read() as s:
        petr = org.actor_by_login(s, "petr")
    return World(**vars(tui_db), petr=petr, client_id=client.id)


async def _open_form(
    app: TermCrmApp, pilot: Pilot[Any], client_id: int | None
) -> tuple[ClientFormScreen, list[int | None]]:
    await until(pilot, lambda: app.connection is not None)
    results: list[int | None] = []
    form = ClientFormScreen(client_id)
    app.push_screen(form, results.append)
    await until(pilot, lambda: form.loaded is not None and not form.query_one("#form").disabled)
    await pilot.pause()
    return form, results


def _error(form: ClientFormScreen, field: str) -> str:
    form_field = next(f for f in form.query(FormField) if f.field == field)
    line = form_field.query_one(".field-error", Label)
    return "" if line.has_class("-empty") else str(line.content)


def _set(form: ClientFormScreen, field: str, value: str) -> None:
    form.query_one(f"#f-{field}", Input).value = value


def _value(form: ClientFormScreen, field: str) -> str:
    return form.query_one(f"#f-{field}", Input).value


def _run(world: World, body: Scenario, login: str = "admin") -> None:
    run_app(tui_app(world.url, world.state, login=login), body, settled=False)


def test_create_a_client_with_the_form(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, results = await _open_form(app, pilot, None)
        # an empty name is refused before any call, under the field
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "name" in _error(form, "name")
        assert app.focused is form.query_one("#f-name")
        await pilot.press(*"Initech")
        _set(form, "city", "Austin")
        _set(form, "phones", "+7 495 765-43-21, +7 916 555-01-02")
        _set(form, "tags", "vip, key")
        form.query_one("#f-custom-segment", Input).value = "retail"
        form.query_one("#f-status", Select).value = "prospect"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(results))
        assert not isinstance(app.screen, ClientFormScreen)
        client_id = results[0]
        assert client_id is not None
        with world.db.read() as s:
            out = clients.get_client(s, world.admin, client_id)
        assert (out.name, out.city, out.status) == ("Initech", "Austin", "prospect")
        assert [p.raw for p in out.phones] == ["+7 495 765-43-21", "+7 916 555-01-02"]
        assert out.tags == ["key", "vip"]
        assert out.custom == {"segment": "retail"}
        assert out.owner_id == world.admin.id

    _run(world, body)


def test_edit_shows_each_error_under_its_field_and_keeps_what_was_typed(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, results = await _open_form(app, pilot, world.client_id)
        assert _value(form, "name") == "Acme Supplies"
        assert _value(form, "phones") == "+7 495 123-45-67"
        _set(form, "emails", "info@acme.example, bad@@mail")
        _set(form, "tax_id", "7707083894")  # the INN check digit does not match
        _set(form, "phones", "12")
        _set(form, "legal_name", "Acme Supplies LLC")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(_error(form, "tax_id")))
        assert "7707083894" in _error(form, "tax_id")
        assert "bad@@mail" in _error(form, "emails")
        assert "'12'" in _error(form, "phones")
        assert _error(form, "name") == ""
        # what was typed stays, the bad fields are marked, the first bad one has the focus
        assert _value(form, "emails") == "info@acme.example, bad@@mail"
        assert _value(form, "tax_id") == "7707083894"
        assert _value(form, "legal_name") == "Acme Supplies LLC"
        assert app.focused is form.query_one("#f-tax_id")
        assert form.query_one("#f-phones").has_class("-invalid")
        assert app.screen is form and not results
        # fixed, it saves, sending only what changed
        _set(form, "emails", "info@acme.example, sales@acme.example")
        _set(form, "tax_id", "7707083893")
        _set(form, "phones", "+7 495 123-45-67")
        assert set(form.changes()) == {"emails", "tax_id", "legal_name"}
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(results))
        assert results == [world.client_id]
        with world.db.read() as s:
            out = clients.get_client(s, world.admin, world.client_id)
        assert out.tax_id == "7707083893"
        assert [e.address for e in out.emails] == ["info@acme.example", "sales@acme.example"]
        assert out.legal_name == "Acme Supplies LLC"
        assert out.version == 2

    _run(world, body)


def _change_elsewhere(world: World, **changes: Any) -> None:
    with world.db.write() as s:
        current = clients.get_client(s, world.petr, world.client_id)
        clients.update_client(
            s, world.petr, world.client_id, version=current.version, changes=changes
        )


async def _conflict(app: TermCrmApp, pilot: Pilot[Any], world: World) -> ClientFormScreen:
    """The form opened, Petr saves city and status meanwhile, the form saves name and status."""
    form, _results = await _open_form(app, pilot, world.client_id)
    _change_elsewhere(world, city="Salem", status="loyal")
    _set(form, "name", "Acme Supplies Group")
    form.query_one("#f-status", Select).value = "lost"
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, ConflictDialog))
    dialog = app.screen
    assert isinstance(dialog, ConflictDialog)
    shown = " ".join(str(w.content) for w in dialog.query(Static))
    assert "Пётр Иванов" in shown
    assert "City, Status" in shown
    assert "You changed these too: Status" in shown
    return form


def test_conflict_reload_shows_the_current_version(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form = await _conflict(app, pilot, world)
        await pilot.press("r")
        await until(pilot, lambda: form.version == 2)
        assert app.screen is form
        assert _value(form, "city") == "Salem"
        assert _value(form, "name") == "Acme Supplies"  # my edit is dropped
        assert form.query_one("#f-status", Select).value == "loyal"
        assert form.changes() == {}
        with world.db.read() as s:
            assert clients.get_client(s, world.admin, world.client_id).name == "Acme Supplies"

    _run(world, body)


def test_conflict_keep_editing_puts_my_changes_over_theirs(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form = await _conflict(app, pilot, world)
        await pilot.press("k")
        await until(pilot, lambda: form.version == 2)
        # their city comes in (I did not touch it); my name and status stay
        assert _value(form, "city") == "Salem"
        assert _value(form, "name") == "Acme Supplies Group"
        assert form.query_one("#f-status", Select).value == "lost"
        assert set(form.changes()) == {"name", "status"}
        with world.db.read() as s:
            assert clients.get_client(s, world.admin, world.client_id).status == "loyal"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is not form)
        with world.db.read() as s:
            out = clients.get_client(s, world.admin, world.client_id)
        assert (out.name, out.city, out.status, out.version) == (
            "Acme Supplies Group",
            "Salem",
            "lost",
            3,
        )

    _run(world, body)


def test_escape_asks_before_dropping_changes(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, results = await _open_form(app, pilot, world.client_id)
        _set(form, "city", "Cambridge")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not form  # the question
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and _value(form, "city") == "Cambridge"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: bool(results))
        assert results == [None]

    _run(world, body)


def test_filter_dialog_applies_a_status(world: World) -> None:
    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        def status_line() -> str:
            return str(app.screen.query_one("#status", Static).content)

        await until(pilot, lambda: "2 clients" in status_line())
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ClientFilterScreen))
        dialog = app.screen
        assert isinstance(dialog, ClientFilterScreen)
        status = dialog.query_one("#status", Select)
        await until(pilot, lambda: "active" in [v for _p, v in status._options])
        status.value = "active"
        await pilot.press("enter")
        await until(pilot, lambda: "status: active" in status_line())
        assert status_line().startswith("1 client")

    _run(world, body)


def test_a_refusal_shows_the_reason_and_keeps_the_form(world: World) -> None:
    """A rep edits their client; meanwhile it is handed to somebody else; saving is refused."""
    with world.db.write() as s:
        org.add_department(s, world.admin, "Sales")
        rep = org.add_user(s, world.admin, "li", role="rep", department="Sales", full_name="李伟")
        created = clients.create_client(s, world.admin, {"name": "Lis Shop", "owner_id": rep.id})

    async def body(app: TermCrmApp, pilot: Pilot[Any]) -> None:
        form, results = await _open_form(app, pilot, created.id)
        assert form.query_one("#f-owner_id", Select).disabled  # reps own their clients
        with world.db.write() as s:
            clients.update_client(
                s, world.admin, created.id, version=1, changes={"owner_id": world.admin.id}
            )
        _set(form, "city", "Kazan")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        assert "belongs to admin" in str(app.screen.query_one(".dialog-body", Static).content)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form and _value(form, "city") == "Kazan" and not results

    _run(world, body, login="li")


def test_users_in_reach_follow_the_access_rule(world: World) -> None:
    """The owner list of the form: everyone for directors, the department for managers."""
    with world.db.write() as s:
        org.add_department(s, world.admin, "Sales")
        org.add_department(s, world.admin, "Retail", parent="Sales")
        org.add_user(s, world.admin, "anna", role="manager", department="Sales")
        org.add_user(s, world.admin, "li", role="rep", department="Retail")
        org.add_user(s, world.admin, "bob", role="rep", department="Sales")
    with world.db.read() as s:
        reach = {
            login: [u.login for u in org.users_in_reach(s, org.actor_by_login(s, login))]
            for login in ("admin", "anna", "li")
        }
    assert reach["admin"][0] == "admin"
    assert set(reach["admin"]) == {"admin", "petr", "anna", "li", "bob"}
    assert reach["anna"][0] == "anna" and set(reach["anna"]) == {"anna", "li", "bob"}
    assert reach["li"] == ["li"]
