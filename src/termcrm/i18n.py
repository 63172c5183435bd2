"""The interface language: gettext catalogs shipped in the package, Babel formats.

Every user-facing string of the TUI goes through ``_`` (or ``N_`` where the
string is defined before a language is chosen, such as a key binding's
description, and ``_`` is applied when it is shown). The language is one of
``config.LOCALES``; ``use(locale)`` switches it for the whole process.

Catalogs live in ``termcrm/locale/<lang>/LC_MESSAGES/termcrm.po`` and are compiled
to ``.mo`` next to them (``python -m termcrm.i18n compile``; a test checks they
are current). Dates and numbers are formatted for the language with Babel.
"""

from __future__ import annotations

import gettext
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

DOMAIN = "termcrm"
LOCALE_DIR = Path(__file__).parent / "locale"
# the Babel locale of each interface language
BABEL_LOCALES = {"en": "en", "ru": "ru", "zh": "zh_Hans_CN"}


class _State:
    lang = "en"
    translation: gettext.NullTranslations = gettext.NullTranslations()
    tz: ZoneInfo = ZoneInfo("UTC")


def use(lang: str, tz: str | None = None) -> None:
    """Switch the interface language (en, ru, zh) and, if given, the time zone."""
    if lang not in BABEL_LOCALES:
        raise ValueError(f"unknown interface language {lang!r}")
    _State.lang = lang
    _State.translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True
    )
    if tz is not None:
        _State.tz = ZoneInfo(tz)


def current() -> str:
    return _State.lang


def zone() -> ZoneInfo:
    return _State.tz


def _(message: str) -> str:
    return _State.translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _State.translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; ``_`` translates it when shown."""
    return message


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context``: one English word that two places use in two
    senses ("lost" of a deal and of a client, "Plan" the sales target and the verb)
    gets a translation for each."""
    return _State.translation.pgettext(context, message)


def NP_(context: str, message: str) -> str:
    """Mark a string with its context where it is defined; ``pgettext`` translates it."""
    return message


def _babel() -> Locale:
    return Locale.parse(BABEL_LOCALES[_State.lang])


def local(moment: datetime) -> datetime:
    """A stored (UTC) time in the user's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_State.tz)


def fmt_date(value: date | datetime | None) -> str:
    """A date in the locale's numeric form: 11/25/2026, 25.11.2026, 2026/11/25."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return babel_dates.format_skeleton("yMd", value, locale=_babel())


def fmt_long_date(value: date | datetime | None) -> str:
    """A date with the month named: Nov 25, 2026; 25 нояб. 2026 г.; 2026年11月25日."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return babel_dates.format_date(value, format="medium", locale=_babel())


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return babel_dates.format_time(local(value), format="short", locale=_babel())


def fmt_datetime(value: datetime | None) -> str:
    """Date and time in the user's zone, compact: 25.11.2026 16:52."""
    if value is None:
        return ""
    return f"{fmt_date(value)} {fmt_time(value)}"


def fmt_number(value: int | float | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=_babel())


def fmt_money(amount: Decimal, currency: str) -> str:
    """The amount with its currency as the language writes it; where the language has no
    symbol for the currency and writes its code, a no-break space keeps the code off the
    digits ("RUB\u00a01,234.50", not "RUB1,234.50")."""
    return _spaced(babel_numbers.format_currency(amount, currency, locale=_babel()), currency)


def fmt_whole_money(amount: Decimal, currency: str) -> str:
    """As :func:`fmt_money`, but a whole amount without its cents (``$150,000``,
    ``150 000 ₽``); an amount with cents keeps them."""
    if amount != amount.to_integral_value():
        return fmt_money(amount, currency)
    locale = _babel()
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    text = babel_numbers.format_currency(
        amount,
        currency,
        format=pattern,
        locale=locale,
        currency_digits=False,
        decimal_quantization=False,
    )
    return _spaced(text, currency)


def fmt_compact_money(amount: Decimal, currency: str) -> str:
    """``$150K``, ``RUB 1.2M``: for a place too narrow for the whole amount."""
    text = babel_numbers.format_compact_currency(
        amount, currency, locale=_babel(), fraction_digits=1
    )
    return _spaced(text, currency)


def _spaced(text: str, currency: str) -> str:
    return re.sub(rf"^(-?{re.escape(currency.upper())})(?=\d)", "\\1\u00a0", text)


# words for days, in every interface language: offset from today
_DAY_WORDS = {
    "today": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "сегодня": 0,
    "завтра": 1,
    "вчера": -1,
    "今天": 0,
    "明天": 1,
    "昨天": -1,
}
_NOW_WORDS = ("now", "сейчас", "现在")
_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_local_datetime(text: str) -> datetime:
    """A date and time typed by the user (in their zone) as UTC.

    Accepts ``2026-11-25 14:30``, ``2026-11-25`` (midnight), ``14:30`` (today), the
    locale's own numeric date (``25.11.2026 14:30``), and the shell's relative forms:
    ``now``, ``today 15:00``, ``tomorrow`` (09:00), ``+2h``, ``+3d``, ``-1w`` (the day
    words in Russian and Chinese too: завтра, 明天). ValueError otherwise.
    """
    text = " ".join(text.split())
    now = datetime.now(_State.tz)
    lowered = text.lower()
    if lowered in _NOW_WORDS:
        return now.replace(second=0, microsecond=0).astimezone(UTC)
    if match := _RELATIVE.match(lowered):
        delta = timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})
        moment = now + delta if match.group(1) == "+" else now - delta
        return moment.replace(second=0, microsecond=0).astimezone(UTC)
    first, _sep, rest = lowered.partition(" ")
    if first in _DAY_WORDS:
        day = now.date() + timedelta(days=_DAY_WORDS[first])
        clock = _clock(rest) if rest else time(9, 0)
        return datetime.combine(day, clock, _State.tz).astimezone(UTC)
    formats = ["%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M"]
    skeleton = _babel().datetime_skeletons.get("yMd")
    pattern = str(getattr(skeleton, "format", "")) if skeleton is not None else ""
    local_pattern = _strftime_of(pattern)
    if local_pattern:
        formats += [f"{local_pattern} %H:%M", f"{local_pattern} %I:%M %p", local_pattern]
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=_State.tz).astimezone(UTC)
    clock = _clock(text)
    moment = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    return moment.astimezone(UTC)


def parse_local_date(text: str) -> date:
    """A calendar date typed as YYYY-MM-DD or in the locale's numeric form (25.11.2026,
    11/25/2026, 2026/11/25); no times, no relative words. ValueError otherwise."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    skeleton = _babel().datetime_skeletons.get("yMd")
    local_pattern = _strftime_of(str(getattr(skeleton, "format", "")) if skeleton else "")
    if local_pattern:
        try:
            return datetime.strptime(text, local_pattern).date()
        except ValueError:
            pass
    raise ValueError(text)


def _clock(text: str) -> time:
    """A time of day: 14:30 or 2:30 PM. ValueError otherwise."""
    for fmt in ("%H:%M", "%I:%M %p"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(text)


def _strftime_of(babel_format: str) -> str:
    """Babel's numeric date pattern (%(d)s.%(M)s.%(y)s) as strptime's."""
    table = {"%(d)s": "%d", "%(dd)s": "%d", "%(M)s": "%m", "%(MM)s": "%m"}
    table.update({"%(y)s": "%Y", "%(yyyy)s": "%Y"})
    out = babel_format
    for babel_code, code in table.items():
        out = out.replace(babel_code, code)
    return out if "%(" not in out else ""


def compile_catalogs() -> list[Path]:
    """Compile every .po under LOCALE_DIR to its .mo; the paths written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":  # python -m termcrm.i18n compile
    import sys

    if sys.argv[1:] == ["compile"]:
        for path in compile_catalogs():
            print(path)
    else:
        print("usage: python -m termcrm.i18n compile", file=sys.stderr)
        raise SystemExit(2)
