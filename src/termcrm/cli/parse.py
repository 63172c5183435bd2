"""Parsing of what people type on the command line: times, dates, key=value pairs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import typer

_RELATIVE = re.compile(r"^([+-])(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(
    text: str, tz: tzinfo, *, option: str = "--when", day_start: time = time(9, 0)
) -> datetime:
    """A moment typed in local time: 'now', 'today 15:00', 'tomorrow', '2026-11-25 14:30',
    '2026-11-25', '+2h', '+3d', '-1w'. A day without a time means ``day_start`` (09:00 for
    plans, midnight for period filters). Returned in UTC."""
    value = text.strip().lower()
    now = datetime.now(tz)
    match = _RELATIVE.match(value)
    if value == "now":
        return now.astimezone(UTC)
    if match:
        delta = timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})
        return (now + delta if match.group(1) == "+" else now - delta).astimezone(UTC)
    words = value.split()
    day: date | None = None
    if words and words[0] in ("today", "tomorrow", "yesterday"):
        offset = {"today": 0, "tomorrow": 1, "yesterday": -1}[words[0]]
        day = now.date() + timedelta(days=offset)
        rest = " ".join(words[1:])
        clock = _parse_clock(rest, option) if rest else day_start
        return datetime.combine(day, clock, tz).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a time; use 'now', 'today 15:00', 'tomorrow 10:00', "
            "'2026-11-25 14:30', '2026-11-25' or '+2h' / '-3d'",
            param_hint=option,
        ) from None
    if parsed.tzinfo is None:
        if len(text.strip()) == 10:  # a bare date
            parsed = datetime.combine(parsed.date(), day_start)
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _parse_clock(text: str, option: str) -> time:
    hours, _, minutes = text.partition(":")
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a time of day like 15:00", param_hint=option
        ) from None


def parse_date(text: str | None, *, option: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a date (use YYYY-MM-DD)", param_hint=option
        ) from None


def parse_pairs(items: list[str] | None, *, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"'{item}' must look like key=value", param_hint=option)
        out[key.strip()] = value.strip()
    return out


def parse_address(text: str) -> dict[str, str]:
    """'City, street and house' or 'kind: City, street'; the city is the first part."""
    kind = "actual"
    head, sep, rest = text.partition(":")
    if sep and head.strip() in ("legal", "actual", "postal", "delivery"):
        kind, text = head.strip(), rest
    city = text.partition(",")[0]
    return {"kind": kind, "city": city.strip(), "line": text.strip()}
