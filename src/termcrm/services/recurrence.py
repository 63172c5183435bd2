"""Repeating tasks: RFC 5545 rules (RRULE), expanded with dateutil, never stored as copies.

A rule is expanded from its start in the time zone it was planned in, on the wall
clock: "every Monday at 10:00" stays 10:00 in Moscow or Berlin across a DST change,
so its UTC time moves. Occurrences are computed when a view needs them; only the
occurrences somebody completes or cancels become rows (see ``tasks``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from termcrm.i18n import N_, _, ngettext
from termcrm.services.errors import Invalid

# FREQ values a planner accepts: a task repeating every hour is not a plan
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_PER_WINDOW = 1000  # occurrences of one rule in one view, at most
_UNTIL = re.compile(r"UNTIL=([0-9]{8})(T[0-9]{6})?(Z)?", re.IGNORECASE)


def normalize(text: str, start: datetime, tz: ZoneInfo) -> str:
    """The rule as stored: upper case, no ``RRULE:`` prefix, UNTIL in UTC.

    A date-only UNTIL means the end of that day in ``tz``; a local UNTIL is taken in
    ``tz``. Raises :class:`Invalid` (field ``repeat``) saying what is wrong.
    """
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    rule = rule.strip().upper().rstrip(";")
    if not rule:
        return ""
    if "\n" in rule or "DTSTART" in rule:
        raise Invalid({"repeat": _("give only the rule, such as FREQ=WEEKLY;BYDAY=MO")})
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    freq = parts.get("FREQ", "")
    if freq not in FREQS:
        raise Invalid(
            {
                "repeat": _("FREQ must be one of {choices}").format(choices=", ".join(FREQS))
                if freq
                else _("a rule starts with FREQ, such as FREQ=WEEKLY;BYDAY=MO")
            }
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise Invalid({"repeat": _("a rule has COUNT or UNTIL, not both")})
    match = _UNTIL.search(rule)
    if match:
        day = datetime.strptime(match.group(1), "%Y%m%d")
        if match.group(3):
            until = day.replace(tzinfo=UTC)
            if match.group(2):
                until = datetime.strptime(match.group(1) + match.group(2), "%Y%m%dT%H%M%S")
                until = until.replace(tzinfo=UTC)
        elif match.group(2):
            local = datetime.strptime(match.group(1) + match.group(2), "%Y%m%dT%H%M%S")
            until = local.replace(tzinfo=tz).astimezone(UTC)
        else:
            until = datetime.combine(day.date(), time(23, 59, 59), tz).astimezone(UTC)
        rule = rule.replace(match.group(0), "UNTIL=" + until.strftime("%Y%m%dT%H%M%SZ"))
    try:
        parsed = _rule(rule, start, tz)
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid({"repeat": _("not a valid rule: {error}").format(error=exc)}) from None
    if parsed.after(start.astimezone(tz), inc=True) is None:
        raise Invalid({"repeat": _("the rule never happens at or after the task's time")})
    return rule


def _rule(rule: str, start: datetime, tz: ZoneInfo) -> rrule:
    result = rrulestr(rule, dtstart=start.astimezone(tz).replace(second=0, microsecond=0))
    assert isinstance(result, rrule)
    return result


def between(
    rule: str, start: datetime, tz_name: str, since: datetime, until: datetime
) -> list[datetime]:
    """The occurrences (UTC) of a rule started at ``start`` in ``[since, until)``."""
    return list(_between(rule, start, tz_name or "UTC", since, until))


@lru_cache(maxsize=4096)
def _between(
    rule: str, start: datetime, tz_name: str, since: datetime, until: datetime
) -> tuple[datetime, ...]:
    """``between``, remembered: a rep's series mostly share a few rules and times (a
    thousand "first Monday at 10:00" calls), and a view asks the same window again."""
    tz = ZoneInfo(tz_name)
    found: list[datetime] = []
    for moment in _rule(rule, start, tz).xafter(since.astimezone(tz), inc=True):
        if moment >= until:
            break
        found.append(moment.astimezone(UTC))
        if len(found) >= MAX_PER_WINDOW:
            break
    return tuple(found)


def next_after(rule: str, start: datetime, tz_name: str, after: datetime) -> datetime | None:
    """The first occurrence (UTC) strictly after ``after``, or None when the rule ended."""
    tz = ZoneInfo(tz_name or "UTC")
    moment = _rule(rule, start, tz).after(after.astimezone(tz), inc=False)
    return None if moment is None else moment.astimezone(UTC)


def is_occurrence(rule: str, start: datetime, tz_name: str, moment: datetime) -> bool:
    return bool(between(rule, start, tz_name, moment, moment + timedelta(seconds=1)))


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    rule: str
    label: str


def _ordinal(day: date) -> int:
    """Which of its weekday in the month ``day`` is: 1..4, or -1 for the last one."""
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day + 7 > last:
        return -1
    return (day.day - 1) // 7 + 1


def presets(local: datetime) -> list[Preset]:
    """The usual rules for a task planned at ``local`` (a time in the user's zone)."""
    day = local.date()
    wd = WEEKDAYS[day.weekday()]
    n = _ordinal(day)
    last_day = day.day == calendar.monthrange(day.year, day.month)[1]
    monthly = "FREQ=MONTHLY;BYMONTHDAY=-1" if last_day else f"FREQ=MONTHLY;BYMONTHDAY={day.day}"
    found = [
        Preset("daily", "FREQ=DAILY", ""),
        Preset("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", ""),
        Preset("weekly", f"FREQ=WEEKLY;BYDAY={wd}", ""),
        Preset("monthly_day", monthly, ""),
        Preset("monthly_weekday", f"FREQ=MONTHLY;BYDAY={n}{wd}", ""),
        Preset("yearly", "FREQ=YEARLY", ""),
    ]
    return [Preset(p.key, p.rule, describe(p.rule)) for p in found]


_DAY_NAMES = {
    "MO": N_("Monday"),
    "TU": N_("Tuesday"),
    "WE": N_("Wednesday"),
    "TH": N_("Thursday"),
    "FR": N_("Friday"),
    "SA": N_("Saturday"),
    "SU": N_("Sunday"),
}
_ORDINALS = {
    1: N_("first"),
    2: N_("second"),
    3: N_("third"),
    4: N_("fourth"),
    -1: N_("last"),
}
_BYDAY = re.compile(r"^([+-]?[0-9]{0,2})(MO|TU|WE|TH|FR|SA|SU)$")


def describe(rule: str) -> str:
    """The rule in words for the usual shapes; the rule itself for anything else."""
    if not rule:
        return _("does not repeat")
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    if set(parts) - known:
        return rule
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1") or 1)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    text = ""
    if freq == "DAILY" and not days:
        text = (
            _("every day")
            if interval == 1
            else ngettext("every {n} day", "every {n} days", interval).format(n=interval)
        )
    elif freq == "WEEKLY" and days == ["MO", "TU", "WE", "TH", "FR"] and interval == 1:
        text = _("every weekday")
    elif freq == "WEEKLY" and all(d in _DAY_NAMES for d in days):
        names = ", ".join(_(_DAY_NAMES[d]) for d in days) if days else ""
        if interval == 1:
            text = _("every week") if not names else _("every week on {days}").format(days=names)
        else:
            text = ngettext("every {n} week", "every {n} weeks", interval).format(n=interval)
            if names:
                text = _("{every} on {days}").format(every=text, days=names)
    elif freq == "MONTHLY" and "BYMONTHDAY" in parts and not days:
        md = int(parts["BYMONTHDAY"])
        text = (
            _("every month on the last day")
            if md == -1
            else _("every month on day {day}").format(day=md)
        )
    elif freq == "MONTHLY" and len(days) == 1 and "BYMONTHDAY" not in parts:
        m = _BYDAY.match(days[0])
        if m and m.group(1) and int(m.group(1)) in _ORDINALS:
            text = _("every month on the {nth} {weekday}").format(
                nth=_(_ORDINALS[int(m.group(1))]), weekday=_(_DAY_NAMES[m.group(2)])
            )
    elif freq == "MONTHLY" and not days:
        text = _("every month")
    elif freq == "YEARLY" and not days and "BYMONTHDAY" not in parts:
        text = _("every year")
    if not text or (interval != 1 and freq in ("MONTHLY", "YEARLY")):
        return rule
    if "COUNT" in parts:
        text = ngettext("{rule}, {n} time", "{rule}, {n} times", int(parts["COUNT"])).format(
            rule=text, n=int(parts["COUNT"])
        )
    elif "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
        text = _("{rule}, until {date}").format(rule=text, date=until.isoformat())
    return text
