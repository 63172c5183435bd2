"""The `termcrm` command end to end on SQLite and PostgreSQL, through Typer's runner."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from termcrm.cli import app

runner = CliRunner()


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0, input: str | None = None) -> str:
        result = runner.invoke(app, ["--db", self.url, *args], input=input)
        assert result.exit_code == code, (args, result.exit_code, result.output)
        if code == 1:
            assert "Traceback" not in result.output
        if code == 0 and ("json" in args or "csv" in args):
            return result.stdout  # hints such as "More rows" go to stderr
        return result.output


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)


def _json(text: str) -> object:
    return json.loads(text[text.index("[") if text.lstrip().startswith("[") else text.index("{") :])


def test_client_lifecycle(cli: Cli) -> None:
    out = cli(
        "client",
        "add",
        "--name",
        "ООО Ромашка",
        "--tax-id",
        "7707083893",
        "--city",
        "Москва",
        "--phone",
        "+7 (495) 123-45-67",
        "--email",
        "info@romashka.ru",
        "--tag",
        "vip",
        "--group",
        "large wholesale",
    )
    assert "Added client 1: ООО Ромашка" in out
    cli("client", "add", "--name", "[bold]ACME[/]", "--city", "Boston")

    rows = _json(cli("client", "list", "--format", "json"))
    assert isinstance(rows, list)
    assert [r["name"] for r in rows] == ["[bold]ACME[/]", "ООО Ромашка"]

    table = cli("client", "list")
    assert "[bold]ACME[/]" in table  # user text is never read as markup

    found = _json(cli("client", "find", "РОМАШКА", "--format", "json"))
    assert [r["id"] for r in found] == [1]  # type: ignore[index]
    by_phone = _json(cli("client", "find", "84951234567", "-f", "json"))
    assert [r["id"] for r in by_phone] == [1]  # type: ignore[index]

    card = _json(cli("client", "show", "1", "--format", "json"))
    assert card["client"]["tax_id"] == "7707083893"  # type: ignore[index]
    assert card["client"]["phones"][0]["e164"] == "+74951234567"  # type: ignore[index]

    assert "Saved client 1 (version 2)" in cli(
        "client", "edit", "1", "--status", "active", "--add-tag", "paper"
    )
    stale = cli("client", "edit", "1", "--version", "1", "--city", "Тверь", code=1)
    assert "changed since you opened version 1" in stale and "status" in stale
    assert _json(cli("client", "show", "1", "-f", "json"))["client"]["city"] == "Москва"  # type: ignore[index]

    cli("client", "delete", "1", "--yes")
    assert [r["id"] for r in _json(cli("client", "list", "-f", "json"))] == [2]  # type: ignore[index]
    assert [r["id"] for r in _json(cli("client", "list", "--trash", "-f", "json"))] == [1]  # type: ignore[index]
    assert "in the trash" in cli("client", "show", "1")
    cli("client", "restore", "1")
    assert len(_json(cli("client", "list", "-f", "json"))) == 2  # type: ignore[arg-type]

    history = _json(cli("history", "client", "1", "--format", "json"))
    assert isinstance(history, list)
    actions = [h["action"] for h in history]
    assert actions == ["create", "update", "delete", "restore"]
    assert history[1]["changes"]["status"] == ["lead", "active"]
    assert history[1]["changes"]["tags"] == [["vip"], ["paper", "vip"]]
    assert "status" in cli("history", "client", "1")


def test_contacts_journal_tasks_deals(cli: Cli) -> None:
    cli("client", "add", "--name", "Acme Paper", "--city", "Boston")
    assert "Added contact 1" in cli(
        "contact",
        "add",
        "--client",
        "1",
        "--name",
        "Jane Roe",
        "--position",
        "Buyer",
        "--birthday",
        "1980-02-29",
        "--phone",
        "+1 617 555 0100",
    )
    cli("contact", "edit", "1", "--position", "Head of purchasing")
    contact = _json(cli("contact", "show", "1", "-f", "json"))["contact"]  # type: ignore[index]
    assert contact["position"] == "Head of purchasing"
    assert contact["birthday"] == "1980-02-29"

    assert "Logged call" in cli(
        "log",
        "call",
        "--client",
        "1",
        "--contact",
        "1",
        "--purpose",
        "intro",
        "--result",
        "meeting agreed",
        "--when",
        "2026-01-15 10:30",
    )
    journal = _json(cli("journal", "--client", "1", "-f", "json"))
    assert [(j["kind"], j["contact"], j["result"]) for j in journal] == [  # type: ignore[index]
        ("call", "Jane Roe", "meeting agreed")
    ]
    cli("log", "teleport", "--client", "1", code=1)
    cli("log", "call", "--client", "1", "--when", "someday", code=2)

    assert "Planned task 1" in cli(
        "task",
        "add",
        "Send the offer",
        "--due",
        "2030-01-02 09:00",
        "--client",
        "1",
        "--contact",
        "1",
    )
    tasks = _json(cli("task", "list", "-f", "json"))
    assert [t["title"] for t in tasks] == ["Send the offer"]  # type: ignore[index]

    assert "Opened deal 1" in cli(
        "deal",
        "add",
        "Paper for 2027",
        "--client",
        "1",
        "--amount",
        "150000.50",
        "--currency",
        "usd",
    )
    deal = _json(cli("deal", "show", "1", "-f", "json"))
    assert deal["amount"] == "150000.50" and deal["currency"] == "USD"  # type: ignore[index]
    cli("deal", "move", "1", "Lost", code=1)  # a lost deal needs a reason
    cli("deal", "move", "1", "Lost", "--reason", "price")
    assert _json(cli("deal", "show", "1", "-f", "json"))["stage"] == "Lost"  # type: ignore[index]

    history = _json(cli("history", "client", "1", "-f", "json"))
    assert {h["entity"] for h in history} == {"client", "contact", "interaction", "task", "deal"}  # type: ignore[union-attr]


def test_formats_csv_and_errors(cli: Cli) -> None:
    cli("client", "add", "--name", "Comma, Inc.", "--city", "Paris")
    rows = list(csv.DictReader(io.StringIO(cli("client", "list", "--format", "csv"))))
    assert rows[0]["name"] == "Comma, Inc." and rows[0]["city"] == "Paris"

    bad = cli("client", "add", "--name", "X", "--tax-id", "1234567890", "--email", "nope", code=1)
    assert "--tax-id:" in bad and "--email:" in bad
    assert len(bad.strip().splitlines()) == 1
    assert (
        _json(cli("client", "list", "-f", "json"))
        and len(_json(cli("client", "list", "-f", "json"))) == 1
    )  # type: ignore[arg-type]

    assert "does not exist" in cli("client", "show", "999", code=1)
    cli("client", "lst", code=2)
    cli("client", "list", "--limit", "0", code=1)
    cli("client", "list", "--after", "garbage", code=1)


def test_paging_with_cursor(cli: Cli) -> None:
    for i in range(5):
        cli("client", "add", "--name", f"Client {i}")
    first = cli("client", "list", "--limit", "2")
    assert "More rows: add --after" in first
    cursor = first.split("--after ")[1].split()[0]
    second = _json(cli("client", "list", "--limit", "2", "--after", cursor, "-f", "json"))
    assert [r["name"] for r in second] == ["Client 2", "Client 3"]  # type: ignore[index]
    everything = _json(cli("client", "list", "--limit", "2", "--all-pages", "-f", "json"))
    assert len(everything) == 5  # type: ignore[arg-type]


def test_users_and_departments(cli: Cli) -> None:
    cli("dept", "add", "Sales")
    cli("dept", "add", "Retail", "--parent", "Sales")
    assert "Sales / Retail" in cli("dept", "list")
    cli("user", "add", "ivan", "--role", "rep", "--department", "Retail", "--name", "Иван Петров")
    users = _json(cli("user", "list", "-f", "json"))
    assert {u["login"]: u["role"] for u in users}["ivan"] == "rep"  # type: ignore[index]
    cli("user", "add", "ivan", "--role", "rep", "--department", "Retail", code=1)
    cli("user", "set-role", "ivan", "manager")
    cli("user", "deactivate", "ivan")
    assert "ivan" not in cli("user", "list")
    cli("client", "add", "--name", "Handed over", "--owner", "ivan", code=1)  # deactivated


def test_config_show_masks_password(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TERMCRM_DATABASE_URL", "postgresql://crm:s3cret@db.example/termcrm")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text('phone_region = "CN"\n')
    result = runner.invoke(app, ["config", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["settings"]["database_url"] == "postgresql://crm:***@db.example/termcrm"
    assert "s3cret" not in result.output
    assert data["sources"]["database_url"] == "TERMCRM_DATABASE_URL"
    assert data["settings"]["phone_region"] == "CN"
    (tmp_path / "none.toml").write_text('colour = "blue"\n')
    bad = runner.invoke(app, ["config", "show"])
    assert bad.exit_code == 1 and "unknown setting" in bad.output


def test_help_is_fast_and_lazy() -> None:
    code = (
        "import sys, termcrm.cli; "
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'psycopg', 'textual', 'faker') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "termcrm", "--help"], capture_output=True, text=True, check=True
    )
    assert "client" in helped.stdout


def test_outdated_schema_asks_for_upgrade(cli: Cli) -> None:
    from termcrm.store import migrate
    from termcrm.store.engine import Database

    cli("client", "add", "--name", "Kept")
    db = Database(cli.url)
    migrate.downgrade(db, "0001")
    db.dispose()
    message = cli("client", "list", code=1)
    assert "termcrm db upgrade" in message and "0001" in message
    assert "Upgraded the database schema from 0001" in cli("db", "upgrade")
    assert "up to date" in cli("db", "current")
    assert "Kept" in cli("client", "find", "kept")


def test_foreign_sqlite_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes(x)")
    result = runner.invoke(app, ["--db", str(path), "client", "list"])
    assert result.exit_code == 1
    assert "not a termcrm database" in result.output


def test_custom_fields_reassign_and_periods(cli: Cli) -> None:
    cli("dept", "add", "Sales")
    cli("user", "add", "ivan", "--role", "rep", "--department", "Sales", "--name", "Иван")
    cli("field", "add", "tier", "--kind", "choice", "--choice", "A", "--choice", "B")
    cli("field", "add", "contract_until", "--kind", "date")
    assert "tier" in cli("field", "list")
    cli(
        "client",
        "add",
        "--name",
        "Tiered",
        "--field",
        "tier=A",
        "--field",
        "contract_until=2027-01-31",
    )
    bad = cli("client", "add", "--name", "Bad tier", "--field", "tier=Z", code=1)
    assert "--field tier:" in bad and "not one of: A, B" in bad
    bad_date = cli("client", "edit", "1", "--field", "contract_until=31.01.2027", code=1)
    assert "--field contract_until:" in bad_date
    rows = _json(cli("client", "list", "--field", "tier=A", "-f", "json"))
    assert [r["name"] for r in rows] == ["Tiered"]  # type: ignore[index]

    cli("client", "add", "--name", "Second")
    assert "2 client(s) now belong to Иван" in cli("client", "reassign", "1", "2", "--to", "ivan")
    owners = {r["owner"] for r in _json(cli("client", "list", "-f", "json"))}  # type: ignore[union-attr]
    assert owners == {"Иван"}
    history = _json(cli("history", "client", "1", "-f", "json"))
    assert history[-1]["changes"]["owner_id"][1].startswith("Иван (#")  # type: ignore[index]

    cli("log", "call", "--client", "1", "--when", "2026-01-10 12:00", "--purpose", "old")
    cli("log", "visit", "--client", "1", "--when", "-1h", "--purpose", "recent")
    recent = _json(cli("journal", "--since", "-1d", "-f", "json"))
    assert [j["purpose"] for j in recent] == ["recent"]  # type: ignore[index]
    january = _json(cli("journal", "--since", "2026-01-10", "--until", "2026-01-11", "-f", "json"))
    assert [j["purpose"] for j in january] == ["old"]  # type: ignore[index]

    assert "Lead" in cli("deal", "stages")
    assert "admin" in cli("user", "whoami")


def test_cursor_of_another_sort_is_refused(cli: Cli) -> None:
    for i in range(3):
        cli("client", "add", "--name", f"Client {i}", "--city", f"City {i}")
    first = cli("client", "list", "--limit", "1")
    cursor = first.split("--after ")[1].split()[0]
    refused = cli("client", "list", "--sort", "city", "--after", cursor, code=1)
    assert "another list or sort order" in refused
    assert "another list" in cli("journal", "--after", cursor, code=1)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@h/db",
        "sqlite:/tmp/x.db",
        "postgresql://crm:s3cret@h:port/db",
        "oracle://h",
        "sqlite://relative.db",
    ],
)
def test_unusable_database_urls_are_one_line_errors(url: str) -> None:
    result = runner.invoke(app, ["--db", url, "client", "list"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "s3cret" not in result.output
    assert "postgresql://user@host/dbname" in result.output or "names no SQLite file" in (
        result.output
    )


def test_contact_csv_shows_phones_as_typed(cli: Cli) -> None:
    cli("client", "add", "--name", "Phones Inc")
    cli(
        "contact",
        "add",
        "--client",
        "1",
        "--name",
        "Анна",
        "--phone",
        "+7 916 555-44-33",
        "--phone",
        "+7 495 123-45-67 доб. 12",
    )
    rows = list(csv.DictReader(io.StringIO(cli("contact", "list", "-f", "csv"))))
    assert rows[0]["phones"] == "+7 916 555-44-33; +7 495 123-45-67 доб. 12"
    phones = _json(cli("contact", "show", "1", "-f", "json"))["contact"]["phones"]  # type: ignore[index]
    assert [(p["kind"], p["extension"]) for p in phones] == [("mobile", ""), ("work", "12")]
