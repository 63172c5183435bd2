"""Rendering of results: rich tables for people, JSON and CSV for scripts.

User text is always shown as rich ``Text``: a client called "[bold]ACME" is
printed as typed, never interpreted as markup.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
LimitOpt = Annotated[int, typer.Option(help="rows per page (1-1000)")]
AfterOpt = Annotated[str | None, typer.Option(help="continue after this cursor")]


Column = tuple[str, Callable[[Any], Any]]
# columns whose values must stay on one line (ids, amounts, times)
# identifiers, numbers and dates: never broken over lines (the text columns give way)
NO_WRAP = {"ID", "Amount", "When", "Due", "Last contact", "Birthday", "Close by", "Started",
           "SKU", "Line", "No", "Qty", "Price", "Disc %"}  # fmt: skip


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def as_dict(item: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    return dict(item)


def to_json(data: Any) -> str:
    if isinstance(data, list):
        data = [as_dict(x) if dataclasses.is_dataclass(x) else x for x in data]
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


@dataclasses.dataclass(frozen=True, slots=True)
class Day:
    """A moment shown as its local date only, where a table has no room for the time."""

    at: datetime | None


def cell(value: Any, tz: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, Day):
        return value.at.astimezone(tz).date().isoformat() if value.at else ""
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if tz else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "; ".join(cell(v, tz) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={cell(v, tz)}" for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name in ("raw", "address", "line", "name"):
            if hasattr(value, name):
                return str(getattr(value, name))
    return str(value)


def _csv_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # phones, emails, addresses: the text a person reads, one per item
        return "; ".join(
            str(next((v[k] for k in ("raw", "address", "line", "name") if k in v), v))
            for v in value
        )
    return cell(value)


def emit(
    items: Sequence[Any],
    columns: Sequence[Column],
    fmt: Format,
    *,
    title: str = "",
    tz: tzinfo | None = None,
    empty: str = "Nothing found.",
) -> None:
    """Print a list: the chosen columns as a table, or every field as JSON or CSV."""
    if fmt is Format.json:
        sys.stdout.write(to_json(list(items)) + "\n")
        return
    if fmt is Format.csv:
        rows = [as_dict(x) for x in items]
        fields = list(rows[0]) if rows else [name for name, _ in columns]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_csv_value(row.get(f)) for f in fields])
        return
    if not items:
        console.print(Text(empty, style="dim"))
        return
    table = Table(
        title=Text(title) if title else None,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    for name, _ in columns:
        table.add_column(name, overflow="fold", no_wrap=name in NO_WRAP)
    for item in items:
        table.add_row(*[Text(cell(getter(item), tz)) for _, getter in columns])
    console.print(table)


def emit_record(pairs: Iterable[tuple[str, Any]], *, title: str, tz: tzinfo | None = None) -> None:
    """A single record as a two-column table of label and value."""
    table = Table(
        title=Text(title, style="bold"),
        title_justify="left",
        show_header=False,
        box=None,
        pad_edge=False,
        title_style="bold",
    )
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in pairs:
        text = cell(value, tz)
        if text:
            table.add_row(label, Text(text))
    console.print(table)


def say(message: str, style: str = "green") -> None:
    console.print(Text(message, style=style))


def emit_page(page: Any, columns: Sequence[Column], fmt: Format, **kwargs: Any) -> None:
    """A page of a list, then (on stderr) how to get the next one."""
    emit(page.items, columns, fmt, **kwargs)
    if page.next_cursor:
        more_hint(page.next_cursor)


def more_hint(cursor: str, extra: str = "") -> None:
    """Tell, on stderr (so JSON and CSV stay clean), how to get the next page."""
    note = f"More rows: add --after {cursor}" + (f" ({extra})" if extra else "")
    err.print(Text(note, style="dim"), soft_wrap=True)
