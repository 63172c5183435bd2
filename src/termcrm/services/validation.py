"""Validation and normalisation of emails, phones and tax ids.

Emails go through email-validator (syntax only, no DNS); phones through
phonenumbers with the configured default region, the extension kept apart;
10- and 12-digit tax ids must pass the Russian INN checksum.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from termcrm import i18n
from termcrm.i18n import _, ngettext
from termcrm.services.text import clean, digits


class FieldError(ValueError):
    """A single value is wrong; the message says why, for a user."""


@dataclass(frozen=True, slots=True)
class NormalPhone:
    raw: str
    e164: str
    digits: str  # e164 without '+'
    national_digits: str  # the number as dialled at home, e.g. 84951234567
    extension: str
    kind: str = "work"  # mobile | work, from the number's numbering plan


# Answers worked out ahead, in another process (a big import checks the next rows'
# phones and emails while this process writes the current ones): (kind, value,
# region) -> the result, or the FieldError's message
Known = dict[tuple[str, str, str], "NormalPhone | tuple[str, str] | str"]
_KNOWN: ContextVar[Known | None] = ContextVar("termcrm_known_values", default=None)


@contextmanager
def known_values(known: Known) -> Iterator[None]:
    """Within the block, normalise_phone and normalise_email answer from ``known`` first."""
    token = _KNOWN.set(known)
    try:
        yield
    finally:
        _KNOWN.reset(token)


def _recall(kind: str, value: str, region: str) -> NormalPhone | tuple[str, str] | None:
    known = _KNOWN.get()
    if known is None:
        return None
    hit = known.get((kind, value, region))
    if isinstance(hit, str):
        raise FieldError(hit)
    return hit


def work_out(phones: Iterable[str], emails: Iterable[str], region: str) -> Known:
    """Normalise many values at once, for :func:`known_values` (in a worker process)."""
    out: Known = {}
    for value in phones:
        try:
            out[("phone", value, region)] = normalise_phone(value, region)
        except FieldError as exc:
            out[("phone", value, region)] = str(exc)
    for value in emails:
        try:
            out[("email", value, "")] = normalise_email(value)
        except FieldError as exc:
            out[("email", value, "")] = str(exc)
    return out


def length_errors(values: Mapping[str, object], limits: Mapping[str, int | None]) -> dict[str, str]:
    """The text values longer than their column holds (``limits``: field -> length)."""
    errors = {}
    for field, value in values.items():
        limit = limits.get(field)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[field] = _("at most {limit} characters, not {count}").format(
                limit=f"{limit:,}", count=f"{len(value):,}"
            )
    return errors


def normalise_email(value: str) -> tuple[str, str]:
    """Return (address as given but cleaned, normalised form for matching)."""
    hit = _recall("email", value, "")
    if hit is not None:
        return hit  # type: ignore[return-value]
    address = clean(value)
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        if i18n.current() != "en":  # email-validator explains in English only
            raise FieldError(
                _("'{address}' is not a valid email address").format(address=address)
            ) from None
        raise FieldError(
            # TRANSLATORS: {reason} is email-validator's explanation, in English.
            _("'{address}' is not a valid email address: {reason}").format(
                address=address, reason=exc
            )
        ) from None
    return address, result.normalized.casefold()


def _phone_problem(error_type: int) -> str:
    """What phonenumbers could not parse, in the interface language."""
    problems = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _(
            "'{number}' has no country code we know (start with + and the code, e.g. +7 or +86)"
        ),
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _(
            "'{number}' is too short for a phone number"
        ),
        phonenumbers.NumberParseException.TOO_SHORT_NSN: _(
            "'{number}' is too short for a phone number"
        ),
        phonenumbers.NumberParseException.TOO_LONG: _("'{number}' is too long for a phone number"),
    }
    return problems.get(error_type, _("'{number}' is not a phone number"))


def normalise_phone(value: str, region: str) -> NormalPhone:
    hit = _recall("phone", value, region)
    if hit is not None:
        return hit  # type: ignore[return-value]
    raw = clean(value)
    if not digits(raw):
        raise FieldError(_("'{number}' is not a phone number").format(number=raw))
    try:
        number = phonenumbers.parse(raw, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise FieldError(_phone_problem(exc.error_type).format(number=raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError(
            # TRANSLATORS: {region} is a two-letter country code such as RU.
            _(
                "'{number}' is not a valid phone number for region {region} "
                "(add the country code, e.g. +7 or +86)"
            ).format(number=raw, region=region.upper())
        )
    extension = number.extension or ""
    number.extension = None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return NormalPhone(
        raw=raw,
        e164=e164,
        digits=digits(e164),
        national_digits=digits(national),
        extension=extension,
        kind="mobile"
        if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        else "work",
    )


def phone_search_digits(query: str, region: str) -> list[str]:
    """Digit strings a phone-like query should match: as typed, and as E.164 if it parses."""
    found = [digits(query)]
    try:
        number = phonenumbers.parse(query, region.upper() or None)
        if phonenumbers.is_valid_number(number):
            e164 = digits(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
            if e164 not in found:
                found.insert(0, e164)
    except phonenumbers.NumberParseException:
        pass
    return found


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(d: list[int], weights: tuple[int, ...]) -> int:
    return sum(w * x for w, x in zip(weights, d, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]
    if len(inn) == 10:
        return _check(d, _INN10) == d[9]
    return _check(d, _INN12_1) == d[10] and _check(d, _INN12_2) == d[11]


def normalise_tax_id(value: str) -> str:
    """Digits-only tax ids are Russian INNs and must pass the checksum; others pass as typed."""
    tax_id = clean(value).replace(" ", "")
    if not tax_id:
        return ""
    if tax_id.isdigit():
        if len(tax_id) not in (10, 12):
            raise FieldError(
                ngettext(
                    "'{tax_id}' has {count} digits; an INN has 10 (company) or 12 (person)",
                    "'{tax_id}' has {count} digits; an INN has 10 (company) or 12 (person)",
                    len(tax_id),
                ).format(tax_id=tax_id, count=len(tax_id))
            )
        if not inn_is_valid(tax_id):
            raise FieldError(
                _("'{tax_id}' is not a valid INN: the check digit does not match").format(
                    tax_id=tax_id
                )
            )
    return tax_id.upper()


def inn_with_checksum(prefix: str) -> str:
    """Complete 9 or 10 digits into a valid 10- or 12-digit INN (demo data, tests)."""
    d = [int(c) for c in prefix]
    if len(d) == 9:
        return prefix + str(_check(d, _INN10))
    if len(d) == 10:
        d.append(_check(d, _INN12_1))
        d.append(_check(d, _INN12_2))
        return "".join(map(str, d))
    raise ValueError("prefix must have 9 or 10 digits")


def national_digits(e164: str) -> str:
    """The digits of an E.164 number as dialled inside its country (84951234567)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return digits(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
