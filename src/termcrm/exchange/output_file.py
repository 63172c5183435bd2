"""A file written whole or not at all: bytes go to a temporary file in the target's folder,
renamed over the target on ``commit`` (a reader never sees half a file, and the old file
stays as it was until then); ``discard`` leaves nothing behind.

The file is readable by its owner only (0600), since what termcrm writes holds personal
data. ``mode`` gives other permissions, for a nightly report a team reads on a shared
server (0640 with a group-owned folder). Without a path the bytes go to standard output.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO

from termcrm.exchange.errors import FileRefused
from termcrm.i18n import _

PRIVATE = 0o600


def parse_mode(text: str) -> int:
    """'640', '0640' or '0o640' as permission bits; ValueError with the reason if not."""
    cleaned = text.strip().lower().removeprefix("0o")
    if not cleaned or any(ch not in "01234567" for ch in cleaned):
        raise ValueError(
            _("'{mode}' is not a file mode: give octal digits such as 640").format(mode=text)
        )
    mode = int(cleaned, 8)
    if mode & ~0o777:
        raise ValueError(
            _("'{mode}' is not a file mode: only the permission bits (up to 777)").format(mode=text)
        )
    if not mode & stat.S_IRUSR:
        raise ValueError(
            _("mode {mode} would not let you read the file you write").format(mode=text)
        )
    return mode


def refused(path: Path, exc: OSError) -> FileRefused:
    return FileRefused(
        _("{path} cannot be written: {error}").format(path=path, error=exc.strerror or exc)
    )


class OutputFile:
    """Where a writer's bytes go: a temporary file renamed on commit, or stdout."""

    def __init__(self, out: Path | None, *, mode: int | None = None) -> None:
        self.path = out
        self.tmp: Path | None = None
        self.mode = PRIVATE if mode is None else mode
        if out is None:
            self.stream: IO[bytes] = sys.stdout.buffer
            return
        out = Path(out)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        except OSError as exc:
            raise refused(out, exc) from exc
        self.tmp = Path(tmp)
        self.stream = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """The file under its name (replacing an older one), with its mode."""
        if self.tmp is None:
            self.stream.flush()
            return
        assert self.path is not None
        try:
            if self.mode != PRIVATE:
                os.fchmod(self.stream.fileno(), self.mode)
            self.stream.close()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise refused(self.path, exc) from exc
        self.tmp = None

    def discard(self) -> None:
        if self.tmp is None:
            return
        self.stream.close()
        self.tmp.unlink(missing_ok=True)
        self.tmp = None
