"""Keyset pagination: a page continues after the last (sort key, id) seen; never OFFSET."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from termcrm.i18n import _
from termcrm.services.errors import Invalid

MAX_LIMIT = 1000


def encode_cursor(values: Sequence[Any], *, list_name: str) -> str:
    """An opaque cursor for the row after ``values`` in the list called ``list_name``."""
    plain = [list_name] + [v.isoformat() if isinstance(v, datetime) else v for v in values]
    data = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type], *, list_name: str) -> list[Any]:
    """The values of a cursor made by :func:`encode_cursor` for the same list (and sort)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(kinds) + 1 or raw[0] != list_name:
            raise ValueError
        return [
            None if v is None else (datetime.fromisoformat(v) if k is datetime else k(v))
            for v, k in zip(raw[1:], kinds, strict=True)
        ]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid(
            {"after": _("this cursor belongs to another list or sort order; start from the top")}
        ) from None


def after_params(after: Sequence[Any]) -> dict[str, Any]:
    """The values of :func:`keyset`'s parameters, for a statement built earlier."""
    return {f"after_{i}": v for i, v in enumerate(after)}


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid({"limit": _("must be between 1 and {max}").format(max=MAX_LIMIT)})
    return limit


def keyset(
    columns: Sequence[sa.ColumnElement[Any]], after: Sequence[Any], descending: bool
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``after`` in the order of ``columns`` (all one direction)."""
    bound = sa.tuple_(
        *[
            sa.bindparam(f"after_{i}", v, type_=c.type)
            for i, (c, v) in enumerate(zip(columns, after, strict=True))
        ]
    )
    if descending:
        return sa.tuple_(*columns) < bound
    return sa.tuple_(*columns) > bound
