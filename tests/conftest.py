"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``TERMCRM_TEST_PG_URL`` (default: the local server,
user postgres, trust auth). Each test session creates its own database on it
and drops it at the end. When the server cannot be reached the PostgreSQL
half of the suite is skipped with a message on a laptop, and fails under CI
(``CI`` set), so CI can never pass without having run it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from termcrm import i18n
from termcrm.services import org
from termcrm.services.actor import Actor
from termcrm.store import migrate
from termcrm.store.engine import Database
from tui_helpers import TuiDb

PG_URL = os.environ.get(
    "TERMCRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        with psycopg.connect(_libpq(PG_URL), connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL at {make_url(PG_URL).render_as_string()} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(f"{message}; set TERMCRM_TEST_PG_URL or start PostgreSQL to run these")
    return PG_URL


@pytest.fixture(scope="session")
def pg_database(pg_admin_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test session (and xdist worker)."""
    name = f"termcrm_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    with psycopg.connect(_libpq(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(str(path))
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _truncate_all(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "select tablename from pg_tables where schemaname = 'public' "
                    "and tablename <> 'alembic_version'"
                )
            )
        ]
        conn.exec_driver_sql(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    db.dispose()


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """The interface language is process-wide: a test that switches it must not leak."""
    yield
    i18n.use("en", "UTC")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of the parametrised backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "termcrm.db"
        shutil.copy(template, target)
        return str(target)
    url: str = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def admin(db: Database) -> Actor:
    """The first user of an empty database, who becomes its admin."""
    with db.write() as s:
        return org.resolve_actor(s, "admin")


# -- the TUI's pilot tests -------------------------------------------------------------------


@pytest.fixture
def tui_db(sqlite_template: Path, tmp_path: Path) -> Iterator[TuiDb]:
    """An empty migrated SQLite database of the test's own, with its admin."""
    path = tmp_path / "termcrm.db"
    shutil.copy(sqlite_template, path)
    db = Database(str(path))
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    yield TuiDb(str(path), db, admin, tmp_path / "ui.json")
    db.dispose()


@pytest.fixture
def plain_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """English, UTC, and no config file of the machine running the tests (the language
    goes back to English afterwards: ``english_afterwards``)."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_LOCALE", "en")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "UTC")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("TERMCRM_CONFIG", str(config / "none.toml"))
