"""Errors of the import and export machinery."""

from __future__ import annotations

from termcrm.services.errors import CrmError


class FileRefused(CrmError):
    """The file cannot be read at all: its format, a bomb, empty, unreadable."""
