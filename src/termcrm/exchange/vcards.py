"""vCard files: read versions 2.1, 3.0 and 4.0; write 3.0 in UTF-8.

Reading takes a file apart card by card, so one broken card is one rejected row and its
own text can go to the rejects file. Each line is decoded on its own: UTF-8, else the
line's ``CHARSET`` (2.1), else Windows-1251 (what Russian phones and Outlook wrote). vobject
unfolds the lines (3.0/4.0 folding and 2.1 quoted-printable soft line breaks) and splits
them into name, parameters and value; quoted-printable values are decoded with the
property's ``CHARSET``, falling back to UTF-8 and then Windows-1251.
"""

from __future__ import annotations

import codecs
import io
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from termcrm.exchange.errors import FileRefused
from termcrm.i18n import _

# the keys of a card's fields, in the order sources.py makes columns of them; "Phone" and
# "Email" become "Phone 1".."Phone N" and "Email 1".."Email N"
FIELDS = (
    "Full name",
    "Given name",
    "Family name",
    "Middle name",
    "Organization",
    "Title",
    "Phone",
    "Email",
    "Address",
    "City",
    "Region",
    "Postcode",
    "Country",
    "Birthday",
    "Note",
    "URL",
)

_BEGIN = b"BEGIN:VCARD"
_END = b"END:VCARD"
_CHARSET_RE = re.compile(rb";\s*CHARSET=\"?([A-Za-z0-9_.:-]+)", re.I)
_SPLIT_RE = re.compile(r"(?<!\\);")
_UNESCAPE_RE = re.compile(r"\\(.)", re.S)
_BDAY_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T.*)?$")
_BDAY_ISO_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T.*)?$")
_CONTROL_OUT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class VCardEntry(NamedTuple):
    ordinal: int  # 1, 2, ... in file order
    fields: dict[str, list[str]]  # keys from FIELDS; only those the card has
    raw: str  # the card's text, BEGIN:VCARD to END:VCARD, decoded
    problems: tuple[str, ...] = ()  # why the card cannot be read (then fields is empty)


def _unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        ch = match.group(1)
        return "\n" if ch in "nN" else ch

    return _UNESCAPE_RE.sub(one, value)


def _components(value: str) -> list[str]:
    """A structured value (N, ADR, ORG) split at unescaped ";", each part unescaped."""
    return [_unescape(part).strip() for part in _SPLIT_RE.split(value)]


def _split_cards(data: bytes) -> Iterator[tuple[bytes, bool]]:
    """The cards of a file as bytes, and whether each one ended with END:VCARD."""
    current: list[bytes] | None = None
    depth = 0
    for line in data.splitlines(keepends=True):
        key = line.rstrip().upper()
        if key == _BEGIN:
            if current is None:
                current, depth = [], 0
            depth += 1
            current.append(line)
        elif current is not None:
            current.append(line)
            if key == _END:
                depth -= 1
                if depth == 0:
                    yield b"".join(current), True
                    current = None
    if current is not None:
        yield b"".join(current), False


def _decode_card(card: bytes) -> str:
    """Decode each line on its own: UTF-8, else its CHARSET, else Windows-1251."""
    lines = []
    charset: str | None = None
    for line in card.splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):
            head = line.split(b":", 1)[0]
            found = _CHARSET_RE.search(head)
            charset = found.group(1).decode("ascii") if found else None
        try:
            lines.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        text = None
        if charset:
            try:
                text = line.decode(charset)
            except (LookupError, UnicodeDecodeError):
                text = None
        lines.append(text if text is not None else line.decode("cp1251", errors="replace"))
    return "".join(lines)


def _decode_qp(value: str, charset: str | None) -> str:
    raw = quopri.decodestring(value.encode("utf-8"))
    for name in (charset, "utf-8", "cp1251"):
        if not name:
            continue
        try:
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def _birthday(value: str) -> str:
    value = value.strip()
    compact = _BDAY_COMPACT_RE.match(value)
    if compact:
        return "-".join(compact.groups())
    iso = _BDAY_ISO_RE.match(value)
    if iso:
        return iso.group(1)
    return value


def _parse_card(text: str) -> dict[str, list[str]]:
    """The fields of one decoded card."""
    from vobject.base import ParseError, getLogicalLines, parseLine

    fields: dict[str, list[str]] = {}
    names: list[str] = []
    addresses: list[tuple[bool, list[str]]] = []

    def add(key: str, value: str) -> None:
        value = value.strip()
        if value:
            fields.setdefault(key, []).append(value)

    for line, number in getLogicalLines(io.StringIO(text), allowQP=True):
        try:
            name, params, value, _group = parseLine(line, number)
        except ParseError:
            continue  # e.g. a 2.1 base64 photo's unindented line: nothing we import
        name = name.upper()
        named: dict[str, list[str]] = {}
        flags: list[str] = []
        for param in params:
            if len(param) == 1:
                flags.append(param[0].upper())
            else:
                named.setdefault(param[0].upper(), []).extend(param[1:])
        encoding = [e.upper() for e in named.get("ENCODING", [])] + flags
        if "QUOTED-PRINTABLE" in encoding:
            charsets = named.get("CHARSET")
            value = _decode_qp(value, charsets[0] if charsets else None)
        elif "B" in encoding or "BASE64" in encoding:
            continue  # photos, sounds, keys
        types = {t.upper() for v in named.get("TYPE", []) for t in v.split(",")} | set(flags)
        if name == "FN":
            add("Full name", _unescape(value))
        elif name == "N":
            names = _components(value) + [""] * 5
        elif name == "ORG":
            add("Organization", _components(value)[0])
        elif name == "TITLE":
            add("Title", _unescape(value))
        elif name == "TEL":
            tel = _unescape(value).strip()
            add("Phone", tel[4:] if tel.lower().startswith("tel:") else tel)
        elif name == "EMAIL":
            email = _unescape(value).strip()
            add("Email", email[7:] if email.lower().startswith("mailto:") else email)
        elif name == "ADR":
            addresses.append(("PREF" in types or "PREF" in named, _components(value) + [""] * 7))
        elif name == "BDAY":
            add("Birthday", _birthday(_unescape(value)))
        elif name == "NOTE":
            add("Note", _unescape(value))
        elif name == "URL":
            add("URL", _unescape(value))
    if names:
        add("Family name", names[0])
        add("Given name", names[1])
        add("Middle name", names[2])
    if addresses:
        addresses.sort(key=lambda a: not a[0])  # the preferred one first
        adr = addresses[0][1]
        pobox, extended, street, city, region, postcode, country = adr[:7]
        add("Address", ", ".join(p for p in (street, extended, pobox) if p))
        add("City", city)
        add("Region", region)
        add("Postcode", postcode)
        add("Country", country)
    if "Full name" not in fields and names:
        full = " ".join(p for p in (names[3], names[1], names[2], names[0], names[4]) if p)
        add("Full name", full)
    return fields


def read_file_text(path: Path) -> bytes:
    """The file's bytes, as UTF-8 when it was UTF-16 (Outlook) or had a BOM."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRefused(
            _("{name} cannot be read: {error}").format(name=path.name, error=exc.strerror)
        ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16").encode("utf-8")
    elif data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data


def read_vcards(path: Path) -> Iterator[VCardEntry]:
    """The cards of a .vcf file in order, each with its fields and its own text."""
    data = read_file_text(Path(path))
    for ordinal, (card, closed) in enumerate(_split_cards(data), start=1):
        raw = _decode_card(card)
        if not closed:
            yield VCardEntry(ordinal, {}, raw, (_("the card has no END:VCARD line"),))
            continue
        try:
            fields = _parse_card(raw)
        except Exception as exc:  # vobject's own errors: one card, not the file
            yield VCardEntry(
                ordinal, {}, raw, (_("the card cannot be read: {error}").format(error=exc),)
            )
            continue
        yield VCardEntry(ordinal, fields, raw)


# --- writing -------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactCard:
    full_name: str
    organization: str = ""
    title: str = ""
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    birthday: date | None = None
    note: str = ""
    uid: str = ""  # "termcrm-contact-<id>"


def escape_text(value: str) -> str:
    """A vCard 3.0 / iCalendar TEXT value: \\ ; , and newlines escaped, controls dropped."""
    value = _CONTROL_OUT_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line at ``limit`` octets (never inside a UTF-8 character), CRLF-joined."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    parts = []
    start = 0
    width = limit
    while start < len(data):
        end = min(start + width, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # back off to a character boundary
        parts.append(data[start:end].decode("utf-8"))
        start = end
        width = limit - 1  # continuation lines start with a space
    return "\r\n ".join(parts)


def _card_lines(card: ContactCard) -> list[str]:
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if card.uid:
        lines.append("UID:" + escape_text(card.uid))
    lines.append("FN:" + escape_text(card.full_name))
    # termcrm keeps one name, not its parts: it goes in the given-name part, which every
    # address book shows as written
    lines.append("N:;" + escape_text(card.full_name) + ";;;")
    if card.organization:
        lines.append("ORG:" + escape_text(card.organization))
    if card.title:
        lines.append("TITLE:" + escape_text(card.title))
    lines.extend("TEL;TYPE=VOICE:" + escape_text(p) for p in card.phones if p)
    lines.extend("EMAIL;TYPE=INTERNET:" + escape_text(e) for e in card.emails if e)
    if card.birthday is not None:
        lines.append("BDAY:" + card.birthday.isoformat())
    if card.note:
        lines.append("NOTE:" + escape_text(card.note))
    lines.append("END:VCARD")
    return lines


def write_vcards(contacts: Iterable[ContactCard], out: Path | None) -> None:
    """Write the contacts as vCard 3.0 in UTF-8 to ``out`` (None: stdout), card by card."""
    from termcrm.exchange.output_file import OutputFile

    output = OutputFile(out)
    try:
        for card in contacts:
            text = "".join(fold_line(line) + "\r\n" for line in _card_lines(card))
            output.stream.write(text.encode("utf-8"))
    except BaseException:
        output.discard()
        raise
    output.commit()
