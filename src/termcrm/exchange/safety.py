"""Refuse hostile archives before a reader touches them: zip bombs and XML bombs.

An xlsx, xlsb or ods file is a ZIP archive of XML parts. ``check_archive`` looks at the
archive's directory (nothing is unpacked) and at the first bytes of every XML part:

- the sizes the archive declares must add up to at most 1 GiB, and no part may unpack
  more than 200 times its packed size when it is larger than 10 MB (zip bomb); the ZIP
  readers (Python's and calamine's) stop at the declared size, so a part that lies about
  its size cannot grow past it;
- no XML part may declare entities or load external ones (billion laughs, XXE): its
  prolog is parsed with defusedxml up to the first element, which is where a DTD lives.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

from termcrm.exchange.errors import FileRefused
from termcrm.i18n import _

MAX_TOTAL_UNPACKED = 1024**3  # 1 GiB declared over all parts
MAX_RATIO = 200  # unpacked / packed size of one part ...
RATIO_MIN_SIZE = 10 * 1024 * 1024  # ... when the part unpacks to more than 10 MB
MAX_MEMBERS = 10_000

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# how an XML part can start: "<", a UTF-8 BOM, UTF-16 BOMs or UTF-16 "<" without BOM
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<")


def _size(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GiB"
    return f"{n / 1024**2:.1f} MB"


def open_archive(path: Path) -> zipfile.ZipFile:
    """The ZIP archive at ``path``, or FileRefused when it is not one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(
            _(
                "{name} is not a valid {kind} file: it is damaged or is another kind of file"
                " with this extension ({error})."
            ).format(name=path.name, kind=path.suffix.lstrip(".").lower(), error=exc)
        ) from exc


def check_zip(path: Path, archive: zipfile.ZipFile) -> None:
    """FileRefused when the archive's declared sizes look like a zip bomb."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileRefused(
            _("{name} is refused: it holds {count} parts, more than a workbook ever has.").format(
                name=path.name, count=len(members)
            )
        )
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise FileRefused(
                _(
                    "{name} is refused as a possible zip bomb: its part {part} would unpack"
                    " to {size}, {ratio} times its packed size."
                ).format(
                    name=path.name, part=info.filename, size=_size(info.file_size), ratio=ratio
                )
            )
    if total > MAX_TOTAL_UNPACKED:
        raise FileRefused(
            _(
                "{name} is refused as a possible zip bomb: it would unpack to {size},"
                " more than 1 GiB."
            ).format(name=path.name, size=_size(total))
        )


def _check_prolog(stream: IO[bytes]) -> None:
    """Parse an XML part with defusedxml until its root element starts (the DTD comes before)."""
    from defusedxml import ElementTree as SafeET

    for _event in SafeET.iterparse(
        stream, events=("start",), forbid_dtd=False, forbid_entities=True, forbid_external=True
    ):
        break


def check_xml_parts(path: Path, archive: zipfile.ZipFile) -> None:
    """FileRefused when an XML part declares entities or external references (XML bomb)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    for info in archive.infolist():
        name = info.filename.lower()
        if info.is_dir() or info.file_size == 0 or not name.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(info) as stream:
                head = stream.read(64).lstrip(b" \t\r\n")
            if not head.startswith(_XML_STARTS):
                continue
            with archive.open(info) as stream:
                _check_prolog(stream)
        except DefusedXmlException as exc:
            raise FileRefused(
                _(
                    "{name} is refused: its part {part} declares XML entities or external"
                    " references (a possible XML bomb), which no spreadsheet program writes."
                ).format(name=path.name, part=info.filename)
            ) from exc
        except ParseError:
            continue  # not a bomb: the reader reports a damaged part in its own words
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise FileRefused(
                _("{name} is damaged: its part {part} cannot be unpacked ({error}).").format(
                    name=path.name, part=info.filename, error=exc
                )
            ) from exc


def check_archive(path: Path) -> None:
    """Refuse a zip-based workbook (xlsx, xlsb, ods): not a ZIP, a zip bomb or an XML bomb."""
    with open_archive(path) as archive:
        check_zip(path, archive)
        check_xml_parts(path, archive)
