"""Settings: where the database is, locale, phone region and time zone.

The database URL comes from, in order: ``--db``, ``TERMCRM_DATABASE_URL``, the
user's config file (platformdirs), the system-wide ``/etc/termcrm/config.toml``
(shared servers), and finally an SQLite file in the user's data directory.
Other settings follow the same order of config files; ``TERMCRM_CONFIG`` names
one config file to use instead of the user's.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

SYSTEM_CONFIG = Path("/etc/termcrm/config.toml")
KEYS = {
    "database_url": "the database: an SQLite path or a postgresql:// URL",
    "locale": "language of the interface: en, ru or zh",
    "phone_region": "country for phone numbers typed without a country code, e.g. RU, CN",
    "timezone": "IANA time zone for showing and reading times, e.g. Europe/Moscow",
    "keys": 'a table remapping the TUI\'s keys by binding id, e.g. quick_log = "ctrl+l"',
}
LOCALES = ("en", "ru", "zh")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str
    locale: str
    phone_region: str
    timezone: str
    # setting -> where its value came from
    sources: dict[str, str] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    # TUI binding id -> keys, from the [keys] tables (the user's over the system's)
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir("termcrm")) / "config.toml"


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir("termcrm")) / "termcrm.db"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(KEYS)}"
        )
    for key, value in data.items():
        if key == "keys":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(
                    f'{path}: [keys] must map binding ids to keys, e.g. quick_log = "ctrl+l"'
                )
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string in quotes")
    return data


def _locale_from_env(env: dict[str, str]) -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        lang = value.split(".")[0].split("_")[0].lower()
        if lang in LOCALES:
            return lang
    return "en"


def _system_timezone(env: dict[str, str]) -> str:
    tz = env.get("TZ")
    if tz:
        return tz.lstrip(":")
    try:
        link = os.readlink("/etc/localtime")
        return link.split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        pass
    name = datetime.now().astimezone().tzname() or "UTC"
    return "UTC" if name in ("UTC", "GMT") else name


def load_settings(db: str | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    files: list[Path] = []
    layers: list[tuple[str, dict[str, Any]]] = []
    explicit = env.get("TERMCRM_CONFIG")
    candidates = [Path(explicit)] if explicit else [user_config_path()]
    candidates.append(SYSTEM_CONFIG)
    for path in candidates:
        if path.is_file() or (explicit and path == Path(explicit)):
            layers.append((str(path), _read(path)))
            files.append(path)

    def pick(
        key: str, *, flag: str | None, env_var: str | None, default: str, default_src: str
    ) -> tuple[str, str]:
        if flag:
            return flag, "--db"
        if env_var and env.get(env_var):
            return env[env_var], env_var
        for source, data in layers:
            if data.get(key):
                return str(data[key]), source
        return default, default_src

    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    values["database_url"], sources["database_url"] = pick(
        "database_url",
        flag=db,
        env_var="TERMCRM_DATABASE_URL",
        default=str(default_database_path()),
        default_src="default",
    )
    values["locale"], sources["locale"] = pick(
        "locale",
        flag=None,
        env_var="TERMCRM_LOCALE",
        default=_locale_from_env(env),
        default_src="LANG",
    )
    values["phone_region"], sources["phone_region"] = pick(
        "phone_region",
        flag=None,
        env_var="TERMCRM_PHONE_REGION",
        default="RU",
        default_src="default",
    )
    values["timezone"], sources["timezone"] = pick(
        "timezone",
        flag=None,
        env_var="TERMCRM_TIMEZONE",
        default=_system_timezone(env),
        default_src="system",
    )
    if values["locale"] not in LOCALES:
        raise ConfigError(
            f"locale '{values['locale']}' ({sources['locale']}) must be one of {', '.join(LOCALES)}"
        )
    region = values["phone_region"].upper()
    if len(region) != 2 or not region.isalpha():
        raise ConfigError(
            f"phone_region '{region}' ({sources['phone_region']}) must be a "
            "two-letter country code such as RU or CN"
        )
    values["phone_region"] = region
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone '{values['timezone']}' ({sources['timezone']}) is not an "
            "IANA time zone such as Europe/Moscow or Asia/Shanghai"
        ) from None
    keys: dict[str, str] = {}
    for _, data in reversed(layers):  # the system file first, the user's over it
        keys.update(data.get("keys", {}))
    return Settings(**values, sources=sources, files=tuple(files), keys=keys)


def masked_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    if "://" not in url:
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
