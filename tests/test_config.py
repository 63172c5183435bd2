"""Where settings come from: --db, environment, user config, system config, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from termcrm import config
from termcrm.config import ConfigError, load_settings


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    user = tmp_path / "user.toml"
    system = tmp_path / "system.toml"
    monkeypatch.setattr(config, "user_config_path", lambda: user)
    monkeypatch.setattr(config, "SYSTEM_CONFIG", system)
    monkeypatch.setattr(config, "default_database_path", lambda: tmp_path / "data" / "t.db")
    return user, system


def test_precedence(files: tuple[Path, Path]) -> None:
    user, system = files
    env: dict[str, str] = {"LANG": "ru_RU.UTF-8", "TZ": "Europe/Moscow"}
    s = load_settings(env=env)
    assert s.database_url.endswith("data/t.db") and s.sources["database_url"] == "default"
    assert s.locale == "ru" and s.timezone == "Europe/Moscow"

    system.write_text('database_url = "postgresql://crm@db/shared"\nphone_region = "cn"\n')
    s = load_settings(env=env)
    assert s.database_url == "postgresql://crm@db/shared"
    assert s.sources["database_url"] == str(system)
    assert s.phone_region == "CN"

    user.write_text('database_url = "/home/me/crm.db"\nlocale = "zh"\n')
    s = load_settings(env=env)
    assert s.database_url == "/home/me/crm.db" and s.locale == "zh"
    assert s.phone_region == "CN"  # still from the system file
    assert s.files == (user, system)

    env["TERMCRM_DATABASE_URL"] = "postgresql://env@db/x"
    assert load_settings(env=env).database_url == "postgresql://env@db/x"
    flagged = load_settings("/tmp/flag.db", env=env)
    assert flagged.database_url == "/tmp/flag.db" and flagged.sources["database_url"] == "--db"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('colour = "blue"\n', "unknown setting"),
        ("locale = 5\n", "must be a string"),
        ('locale = "fr"\n', "must be one of"),
        ('phone_region = "Russia"\n', "two-letter"),
        ('timezone = "Mars/Olympus"\n', "IANA"),
        ("database_url = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_explained(files: tuple[Path, Path], content: str, message: str) -> None:
    user, _ = files
    user.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(env={})
    assert str(user) in str(info.value)


def test_masked_url() -> None:
    assert config.masked_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert config.masked_url("/var/lib/termcrm.db") == "/var/lib/termcrm.db"
