"""Keyset pagination: a page continues after the last (sort key, id) seen; never OFFSET."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from termcrm.services.errors import Invalid

MAX_LIMIT = 1000


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return (
        base64.urlsafe_b64encode(
            json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        return [
            None if v is None else (datetime.fromisoformat(v) if k is datetime else k(v))
            for v, k in zip(raw, kinds, strict=True)
        ]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid({"after": "this cursor does not belong to this list"}) from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid({"limit": f"must be between 1 and {MAX_LIMIT}"})
    return limit


def keyset(
    columns: Sequence[sa.ColumnElement[Any]], after: Sequence[Any], descending: bool
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``after`` in the order of ``columns`` (all one direction)."""
    bound = sa.tuple_(
        *[sa.bindparam(None, v, type_=c.type) for c, v in zip(columns, after, strict=True)]
    )
    if descending:
        return sa.tuple_(*columns) < bound
    return sa.tuple_(*columns) > bound
