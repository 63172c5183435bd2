"""Which column of a file goes into which field: found from the titles, adjusted by the user.

A mapping file holds one ``Column title = field`` per line (``#`` starts a comment),
the same form ``--map`` takes; ``= -`` skips a column. Fields are the keys of
:mod:`termcrm.exchange.fields` or ``custom.KEY`` for a custom field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from termcrm.exchange import fields as F
from termcrm.i18n import _
from termcrm.services.dto import CustomFieldOut
from termcrm.services.errors import Invalid

SKIP = ("-", "skip", "none", "")
# the fields a row must have for each kind of record, any one of each group
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "clients": [("name", "id")],
    "contacts": [("full_name", "first_name", "last_name", "id")],
    "interactions": [("client", "client_id", "client_tax_id"), ("occurred_at",)],
    "deals": [("title", "id"), ("client", "client_id", "client_tax_id", "id")],
    "shipments": [("shipped_on",), ("client", "client_id", "client_tax_id"), ("amount",)],
    "payments": [("paid_on",), ("client", "client_id", "client_tax_id"), ("amount",)],
    "plans": [("month",), ("user", "department"), ("amount",)],
}
# a custom field lives on these records
CUSTOM_ENTITY = {"clients": "client", "contacts": "contact", "deals": "deal"}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    index: int
    title: str
    field: str | None  # None: not imported
    how: str  # auto | user | custom | skipped | unknown | repeated


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    entity: str
    columns: tuple[ColumnMap, ...]

    def targets(self) -> dict[str, list[int]]:
        """field -> the columns that feed it, in file order."""
        out: dict[str, list[int]] = {}
        for c in self.columns:
            if c.field:
                out.setdefault(c.field, []).append(c.index)
        return out

    def unmapped(self) -> list[str]:
        return [c.title for c in self.columns if c.how in ("unknown", "repeated")]

    def column_of(self, field: str) -> str:
        """The title of the (first) column a field comes from, for messages."""
        for c in self.columns:
            if c.field == field:
                return c.title
        return field

    def missing(self) -> list[str]:
        """Required fields no column maps to, as sentences for the user."""
        have = set(self.targets())
        out = []
        for group in REQUIRED[self.entity]:
            if not have & set(group):
                # TRANSLATORS: joins the names of fields that may stand for each other
                names = _(" or ").join(_(F.LABELS[f]) for f in group)
                out.append(_("no column holds the {field}").format(field=names))
        return out

    def lines(self) -> list[str]:
        """The mapping in the mapping-file form (a file the user can edit and pass back)."""
        return [f"{c.title} = {c.field or '-'}" for c in self.columns]


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``Column=field`` items (from --map or the lines of a mapping file)."""
    out: dict[str, str] = {}
    for raw in items:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        column, sep, field = line.rpartition("=")
        if not sep or not column.strip():
            raise Invalid(
                {"map": _("'{item}' is not of the form Column=field").format(item=raw.strip())}
            )
        out[column.strip()] = field.strip()
    return out


def read_mapping_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise Invalid(
            {"map": _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)}
        ) from None
    return parse_overrides(text.splitlines())


def write_mapping_file(path: Path, mapping: ColumnMapping) -> None:
    header = f"# termcrm column mapping for {mapping.entity}: Column title = field (- skips)\n"
    path.write_text(header + "\n".join(mapping.lines()) + "\n", encoding="utf-8")


def _target(entity: str, value: str, custom: Mapping[str, CustomFieldOut]) -> str | None:
    """The field a user's override names; None to skip; Invalid if it names nothing."""
    if value.casefold() in SKIP:
        return None
    if value.startswith("custom."):
        key = value.removeprefix("custom.")
        if key in custom:
            return value
        raise Invalid(
            {
                "map": _("there is no custom field '{key}' (known: {known})").format(
                    key=key, known=", ".join(sorted(custom)) or "-"
                )
            }
        )
    known = F.TITLES[entity]
    if value in known:
        return value
    by_title = F.field_for(entity, value)
    if by_title:
        return by_title
    for c in custom.values():
        if F.header_key(c.label) == F.header_key(value) or c.key == value:
            return f"custom.{c.key}"
    raise Invalid(
        {
            "map": _("'{value}' is not a field of {entity} (fields: {known})").format(
                value=value, entity=entity, known=", ".join(known)
            )
        }
    )


def auto_map(
    entity: str,
    headers: Sequence[str],
    custom_fields: Sequence[CustomFieldOut] = (),
    overrides: Mapping[str, str] | None = None,
) -> ColumnMapping:
    """Map each column by its title; ``overrides`` (column title -> field) win."""
    custom = {c.key: c for c in custom_fields}
    custom_titles = {}
    for c in custom_fields:
        custom_titles[F.header_key(c.label)] = c.key
        custom_titles.setdefault(F.header_key(c.key), c.key)
    wanted = dict(overrides or {})
    by_key = {F.header_key(t): t for t in wanted}
    for title in wanted:
        if title not in headers and F.header_key(title) not in {F.header_key(h) for h in headers}:
            raise Invalid(
                {
                    "map": _("the file has no column '{column}' (its columns: {columns})").format(
                        column=title, columns=", ".join(headers)
                    )
                }
            )
    multi = {f.key for f in F.fields(entity) if f.multi}
    # a weak title takes its field only if no other column claims it
    strong = {
        F.field_for(entity, h)
        for h in headers
        if (entity, F.header_key(h)) not in F.WEAK and h not in wanted
    }
    taken: set[str] = set()
    out: list[ColumnMap] = []
    for i, title in enumerate(headers):
        user = wanted.get(title, wanted.get(by_key.get(F.header_key(title), "\0")))
        if user is not None:
            field = _target(entity, user, custom)
            out.append(ColumnMap(i, title, field, "user" if field else "skipped"))
            if field:
                taken.add(field)
            continue
        found = F.field_for(entity, title)
        how = "auto"
        if (entity, F.header_key(title)) in F.WEAK and found in strong:
            out.append(ColumnMap(i, title, None, "repeated"))
            continue
        if found is None and F.header_key(title) in custom_titles and entity in CUSTOM_ENTITY:
            found, how = f"custom.{custom_titles[F.header_key(title)]}", "custom"
        if found == "":
            out.append(ColumnMap(i, title, None, "skipped"))
        elif found is None:
            out.append(ColumnMap(i, title, None, "unknown"))
        elif found in taken and found not in multi:
            out.append(ColumnMap(i, title, None, "repeated"))
        else:
            taken.add(found)
            out.append(ColumnMap(i, title, found, how))
    # a user's override takes a field from an automatic column that had it
    users = {c.field for c in out if c.how == "user"}
    final = [
        ColumnMap(c.index, c.title, None, "repeated")
        if c.how in ("auto", "custom") and c.field in users and c.field not in multi
        else c
        for c in out
    ]
    return ColumnMapping(entity, tuple(final))
