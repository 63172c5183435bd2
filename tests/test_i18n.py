"""The interface languages: complete catalogs, compiled, and locale formats."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from termcrm import i18n

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_string_is_translated_into_russian_and_chinese():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_compiled_catalogs_match_their_sources(lang: str):
    po = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "termcrm.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    assert po.with_suffix(".mo").read_bytes() == buffer.getvalue(), (
        "run .venv/bin/python scripts/catalogs.py to compile the catalogs"
    )


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_translations_keep_their_placeholders(lang: str):
    po = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "termcrm.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                wrong.append((ids[0], s))
    assert wrong == []


def test_switching_the_language_translates_at_once():
    i18n.use("ru")
    assert i18n._("Clients") == "Клиенты"
    i18n.use("zh")
    assert i18n._("Clients") == "客户"
    i18n.use("en")
    assert i18n._("Clients") == "Clients"


def test_russian_plurals():
    i18n.use("ru")
    forms = [i18n.ngettext("{count} client", "{count} clients", n) for n in (1, 3, 5, 21)]
    assert len(set(forms[:3])) == 3
    assert forms[0] == forms[3]


@pytest.mark.parametrize(
    ("lang", "date", "clock", "number", "money"),
    [
        ("en", "11/25/2026", "4:52\u202fPM", "1,234,567", "RUB\u00a01,234.50"),
        ("ru", "25.11.2026", "16:52", "1\xa0234\xa0567", "1\xa0234,50\xa0₽"),
        ("zh", "2026/11/25", "16:52", "1,234,567", "RUB\u00a01,234.50"),
    ],
)
def test_dates_and_numbers_follow_the_language(
    lang: str, date: str, clock: str, number: str, money: str
):
    i18n.use(lang, "Europe/Moscow")  # 13:52 UTC is 16:52 in Moscow
    moment = datetime(2026, 11, 25, 13, 52, tzinfo=UTC)
    assert i18n.fmt_date(moment) == date
    assert i18n.fmt_time(moment) == clock
    assert i18n.fmt_number(1234567) == number
    assert i18n.fmt_money(Decimal("1234.50"), "RUB") == money


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_a_shown_time_reads_back_as_the_same_moment(lang: str):
    i18n.use(lang, "Asia/Shanghai")
    moment = datetime(2026, 3, 9, 1, 5, tzinfo=UTC)
    assert i18n.parse_local_datetime(i18n.fmt_datetime(moment)) == moment
    assert i18n.parse_local_datetime("2026-03-09 09:05") == moment


def test_an_unreadable_time_is_refused():
    with pytest.raises(ValueError):
        i18n.parse_local_datetime("next tuesday")


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_relative_times_as_in_the_shell(lang: str):
    i18n.use(lang, "Europe/Moscow")
    now = datetime.now(UTC)
    tomorrow = i18n.parse_local_datetime("tomorrow")
    assert i18n.local(tomorrow).hour == 9
    assert (i18n.local(tomorrow).date() - i18n.local(now).date()).days == 1
    assert i18n.local(i18n.parse_local_datetime("завтра 15:30")).hour == 15
    assert i18n.local(i18n.parse_local_datetime("明天")).date() == i18n.local(tomorrow).date()
    in_two_hours = i18n.parse_local_datetime("+2h")
    assert 7100 < (in_two_hours - now).total_seconds() < 7300
    assert abs((i18n.parse_local_datetime("now") - now).total_seconds()) < 90
