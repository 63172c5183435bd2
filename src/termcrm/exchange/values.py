"""Cell values as the fields want them: text, lists, dates, times, numbers, money.

Each parser takes what a spreadsheet or a CSV gives (str, int, float, bool,
date, datetime) and returns the field's value, or raises ValueError with a
sentence the rejects file can show.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from termcrm.i18n import _
from termcrm.services.text import clean

# Google Contacts joins several values in one cell with " ::: "
_PHONE_SPLIT = re.compile(r"\s*(?:;|\n|:::|,(?=\s*\+?\d))\s*")
_EMAIL_SPLIT = re.compile(r"[\s;,]+|:::")
_TAG_SPLIT = re.compile(r"\s*[;,\n]\s*")
_EXPORTED_TAGS = re.compile(r"\s*;\s*")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})[./年-](\d{1,2})[./月-](\d{1,2})日?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def multiline(value: Any) -> str:
    """Text of several lines, each cleaned as the services clean them (blank lines kept)."""
    return "\n".join(clean(line) for line in text(value).splitlines())


def phones(values: list[Any]) -> list[str]:
    return [p for v in values for p in _PHONE_SPLIT.split(text(v)) if clean(p)]


def emails(values: list[Any]) -> list[str]:
    return [e for v in values for e in _EMAIL_SPLIT.split(text(v)) if clean(e)]


def tags(values: list[Any], *, exported: bool = False) -> list[str]:
    """Tags from cells: split at ; , or new lines; an export's cell (``exported``) at ; only,
    as termcrm joins them, so a tag with a comma comes back whole."""
    split = _EXPORTED_TAGS if exported else _TAG_SPLIT
    return [t for v in values for t in split.split(text(v)) if clean(t)]


BIGGEST = 2**63 - 1  # the largest id a database column holds


def integer(value: Any) -> int:
    """A whole number such as a record id or a version (0 .. 2**63-1)."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raw = clean(text(value)).replace(" ", "").replace("\u00a0", "")
        if raw.isascii() and raw.isdigit():
            number = int(raw)
    if number is None or not 0 <= number <= BIGGEST:
        raise ValueError(_("'{value}' is not a record number").format(value=text(value)))
    return number


def money(value: Any) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    raw = re.sub(r"[\s\u00a0\u202f]", "", text(value))
    raw = re.sub(r"(?i)(руб\.?|р\.|₽|rub|usd|eur|cny|rmb|¥|\$|€|元)", "", raw)
    if "," in raw and "." in raw:
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw.replace(".", "")
    raw = raw.replace(",", ".")
    try:
        return Decimal(raw or "0")
    except InvalidOperation:
        raise ValueError(_("'{value}' is not an amount").format(value=text(value))) from None


def day(value: Any, *, day_first: bool = True) -> date | None:
    """A calendar date: a date cell, ISO, 25.11.2026, 2026年11月25日, 11/25/2026 (US order
    when ``day_first`` is false or the day cannot be a month). None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = clean(text(value))
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10]) if len(raw) >= 10 else date.fromisoformat(raw)
    except ValueError:
        pass
    found = _YMD.match(raw)
    try:
        if found:
            return date(int(found[1]), int(found[2]), int(found[3]))
        found = _DMY.match(raw)
        if found:
            a, b, year = int(found[1]), int(found[2]), int(found[3])
            if year < 100:
                year += 2000 if year < 70 else 1900
            if "/" in raw and (not day_first or b > 12) and a <= 12:
                a, b = b, a
            return date(year, b, a)
    except ValueError:
        pass
    raise ValueError(_("'{value}' is not a date (use 2026-11-25 or 25.11.2026)").format(value=raw))


def moment(value: Any, zone: tzinfo, *, at: Any = None, day_first: bool = True) -> datetime:
    """A date and time in the user's zone (or with its own offset) as UTC.

    ``at`` is a separate time column's value, if the file has one.
    """
    if isinstance(value, datetime):
        stamp = value
    else:
        raw = clean(text(value))
        if not raw:
            raise ValueError(_("the date is empty"))
        try:
            stamp = datetime.fromisoformat(raw)
        except ValueError:
            parts = raw.split(" ", 1)
            the_day = day(parts[0], day_first=day_first)
            assert the_day is not None
            clock = _clock(parts[1]) if len(parts) > 1 else time(0, 0)
            stamp = datetime.combine(the_day, clock)
    if at not in (None, ""):
        clock = at if isinstance(at, time) else _clock(text(at))
        stamp = stamp.replace(hour=clock.hour, minute=clock.minute, second=clock.second)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    return stamp.astimezone(UTC)


def _clock(raw: str) -> time:
    found = _TIME.match(raw.strip())
    if not found:
        raise ValueError(_("'{value}' is not a time (use 14:30)").format(value=raw))
    try:
        return time(int(found[1]), int(found[2]), int(found[3] or 0))
    except ValueError:
        raise ValueError(_("'{value}' is not a time (use 14:30)").format(value=raw)) from None
