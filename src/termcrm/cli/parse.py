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


_SPAN = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


def parse_minutes(text: str, *, option: str) -> int:
    """A span typed as minutes ('30') or with units: '30m', '1h30m', '2h', '1d'."""
    value = text.strip().lower().replace(" ", "")
    if value.isdigit():
        return int(value)
    match = _SPAN.match(value)
    if not value or match is None or not any(match.groups()):
        raise typer.BadParameter(
            f"'{text}' is not a span of time; use minutes (30) or 30m, 1h30m, 2h, 1d",
            param_hint=option,
        )
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 24 * 60 + hours * 60 + minutes


def parse_day(text: str, tz: tzinfo, *, option: str) -> date:
    """A calendar day: 2026-12-01, or 'today', 'tomorrow', 'yesterday', '+3d', '-1w'."""
    value = text.strip().lower()
    today = datetime.now(tz).date()
    words = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if value in words:
        return today + timedelta(days=words[value])
    match = _RELATIVE.match(value)
    if match and match.group(3) in ("d", "w"):
        delta = timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})
        return today + delta if match.group(1) == "+" else today - delta
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a day; use 2026-12-01, today, tomorrow, +3d or -1w",
            param_hint=option,
        ) from None


_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def parse_month_day(text: str, *, option: str) -> tuple[int, int, int | None]:
    """A yearly date as (month, day, year or None): '25.11', '25.11.1998' (day first),
    '11-25' (month first) or '1998-11-25'. The values are checked by the service."""
    value = text.strip()
    if match := _DOTTED.match(value):
        year = match.group(3)
        return int(match.group(2)), int(match.group(1)), int(year) if year else None
    if match := _MONTH_DAY.match(value):
        return int(match.group(1)), int(match.group(2)), None
    try:
        full = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a date; use DD.MM, DD.MM.YYYY, MM-DD or YYYY-MM-DD",
            param_hint=option,
        ) from None
    return full.month, full.day, full.year


def day_bound(text: str | None, tz: tzinfo, option: str, *, end: bool) -> datetime | None:
    """--from DAY is the start of that day; --to DAY the end of it (a time is taken as is)."""
    if not text:
        return None
    try:
        day: date | None = parse_day(text, tz, option=option)
    except typer.BadParameter:
        day = None
    if day is None:
        return parse_when(text, tz, option=option, day_start=time(0, 0))
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0, 0), tz)
    return moment.astimezone(UTC)


def parse_file_mode(text: str | None) -> int | None:
    """``--mode``: the written files' permissions (octal), None for the owner-only default."""
    if text is None:
        return None
    from termcrm.exchange.output_file import parse_mode

    try:
        return parse_mode(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mode") from None


MODE_HELP = (
    "the file's permissions in octal, e.g. 640 for a group that reads it "
    "(default 600: yours only, as it holds personal data)"
)
