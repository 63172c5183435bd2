"""Import hygiene: the headless layers never pull in the TUI, layers only import
downwards, and `termcrm --help` starts without the database stack.

Each check runs in a fresh interpreter. A stand-in `textual` package is put
first on the path, so an import of textual is caught even where textual is
not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# modules whose import would mean a layer reached beyond itself or started slowly
DATABASE_STACK = ("sqlalchemy", "sqlmodel", "alembic", "psycopg")
SLOW = (
    *DATABASE_STACK,
    *("textual", "faker", "openpyxl", "plotext", "pandas", "phonenumbers"),
    *("python_calamine", "vobject", "icalendar", "rapidfuzz"),
)

PROBE = r"""
import importlib, json, pkgutil, sys
for package in sys.argv[1:]:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if ".migrations" in info.name:  # alembic scripts, run only by alembic
            continue
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""

CLI_PROBE = r"""
import json, runpy, sys
args = sys.argv[1:]
sys.argv = ["termcrm", *args]
code = 0
try:
    runpy.run_module("termcrm", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
print("\n@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def decoy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("decoy")
    (root / "textual").mkdir()
    (root / "textual" / "__init__.py").write_text('"""a stand-in: importing it is the failure"""\n')
    return root


def _env(decoy: Path) -> dict[str, str]:
    src = Path(__file__).resolve().parents[1] / "src"
    path = os.pathsep.join([str(decoy), str(src), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "TERMCRM_DATABASE_URL": "/nonexistent/never.db"}


def _imported(decoy: Path, *packages: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *packages],
        capture_output=True,
        text=True,
        env=_env(decoy),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout))


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_the_decoy_would_be_caught(decoy_path: Path):
    out = subprocess.run(
        [sys.executable, "-c", "import textual, sys; print(textual.__file__)"],
        capture_output=True,
        text=True,
        env=_env(decoy_path),
        check=True,
    )
    assert out.stdout.strip().startswith(str(decoy_path))


@pytest.mark.parametrize(
    "packages",
    [("termcrm.services",), ("termcrm.store",), ("termcrm.exchange",), ("termcrm.reports",)],
)
def test_headless_layers_never_import_the_tui_or_the_cli(decoy_path: Path, packages: tuple[str]):
    modules = _imported(decoy_path, *packages)
    assert len({m for m in modules if m.startswith(packages[0])}) > 3
    assert "textual" not in _top(modules)
    assert "typer" not in _top(modules)
    assert not {m for m in modules if m.startswith("termcrm.cli")}


def test_store_never_imports_services(decoy_path: Path):
    modules = _imported(decoy_path, "termcrm.store")
    assert "termcrm.store.search" in modules
    assert not {m for m in modules if m.startswith("termcrm.services")}


def test_the_cli_package_never_imports_the_tui(decoy_path: Path):
    modules = _imported(decoy_path, "termcrm.cli")
    assert "termcrm.cli.clients" in modules
    assert "textual" not in _top(modules)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("client", "--help"),
        ("client", "add", "--help"),
        ("import", "clients", "--help"),
        ("export", "--help"),
    ],
)
def test_help_starts_without_the_database_stack(decoy_path: Path, args: tuple[str, ...]):
    out = subprocess.run(
        [sys.executable, "-c", CLI_PROBE, *args],
        capture_output=True,
        text=True,
        env=_env(decoy_path),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    printed, _, report = out.stdout.rpartition("\n@@")
    result = json.loads(report)
    assert result["code"] == 0, out.stdout + out.stderr
    assert "termcrm" in printed
    assert _top(set(result["modules"])) & set(SLOW) == set()


def test_front_ends_reach_the_store_only_through_services() -> None:
    """DESIGN.md: cli/ (and later screens/, widgets/) call services/, never store/ or SQL."""
    from pathlib import Path

    import termcrm

    root = Path(termcrm.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for front in ("cli", "screens", "widgets")
        if (root / front).is_dir()
        for path in (root / front).rglob("*.py")
        if "termcrm.store" in path.read_text() or "import sqlalchemy" in path.read_text()
    ]
    assert offenders == []


def test_exchange_goes_through_services() -> None:
    """exchange/ reads and writes through services/: no store/ and no SQL of its own."""
    from pathlib import Path

    import termcrm

    root = Path(termcrm.__file__).parent / "exchange"
    offenders = [
        path.name
        for path in root.glob("*.py")
        if "termcrm.store" in path.read_text() or "sa.select(" in path.read_text()
    ]
    assert offenders == []
