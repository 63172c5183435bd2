"""The client card file: filtered, sorted, keyset-paged lists and search."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.access import (
    access_shape,
    actor_id,
    actor_params,
    department_subtree,
    visible_clients,
)
from termcrm.services.actor import Actor
from termcrm.services.dto import ClientRow, Page, SearchResult
from termcrm.services.errors import Invalid
from termcrm.services.filters import SCOPES, ClientFilter
from termcrm.services.paging import (
    after_params,
    check_limit,
    decode_cursor,
    encode_cursor,
    keyset,
)
from termcrm.services.text import clean, digits, search_words
from termcrm.store import search as store_search
from termcrm.store.tables import Client, ClientTag, Task, User, table

client_t = table(Client)
tag_t = table(ClientTag)
user_t = table(User)
task_t = table(Task)

SEARCH_COUNT_CAP = 1000
# queries under three characters scan the text of this many newest clients
SHORT_SCAN_ROWS = 50_000
# sort name -> (column, python type of its value)
SORTS: dict[str, tuple[sa.Column[Any], type]] = {
    "name": (client_t.c.name_key, str),
    "created": (client_t.c.created_at, datetime),
    "updated": (client_t.c.updated_at, datetime),
    "status": (client_t.c.status, str),
    "city": (client_t.c.city, str),
    "group": (client_t.c.client_group, str),
    "id": (client_t.c.id, int),
}
_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")


def _filter_params(f: ClientFilter) -> dict[str, Any]:
    """The filter values, under the parameter names _conditions gives them."""
    params: dict[str, Any] = {
        "f_owner": f.owner_id,
        "f_group": clean(f.group) if f.group is not None else None,
        "f_status": clean(f.status) if f.status is not None else None,
        "f_territory": clean(f.territory) if f.territory is not None else None,
        "f_city": clean(f.city) if f.city is not None else None,
        "f_parent": f.parent_id,
        "f_tag": clean(f.tag) if f.tag is not None else None,
    }
    params.update({f"f_custom_{i}": value for i, (_, value) in enumerate(f.custom)})
    return params


def _shape(actor: Actor, f: ClientFilter) -> tuple[Any, ...]:
    """What decides the SQL of a list (not its values): equal shapes, equal statements."""
    present = tuple(name for name, value in _filter_params(f).items() if value is not None)
    # "department" with no department is refused while building: never from the cache
    has_department = actor.department_id is not None
    return (
        access_shape(actor),
        f.scope,
        has_department,
        f.deleted,
        present,
        tuple(k for k, _ in f.custom),
    )


def _conditions(actor: Actor, f: ClientFilter) -> list[sa.ColumnElement[bool]]:
    if f.scope not in SCOPES:
        raise Invalid({"scope": _("must be one of {choices}").format(choices=", ".join(SCOPES))})
    c = client_t.c
    p = _filter_params(f)
    conds: list[sa.ColumnElement[bool]] = [visible_clients(actor)]
    conds.append(c.deleted_at.is_not(None) if f.deleted else c.deleted_at.is_(None))
    if f.scope == "mine":
        conds.append(c.owner_id == actor_id(actor))
    elif f.scope == "department":
        if actor.department_id is None:
            raise Invalid({"scope": _("you belong to no department")})
        conds.append(c.department_id.in_(department_subtree(actor.department_id)))
    for name, column in (
        ("f_owner", c.owner_id),
        ("f_group", c.client_group),
        ("f_status", c.status),
        ("f_territory", c.territory),
        ("f_city", c.city),
        ("f_parent", c.parent_id),
    ):
        if p[name] is not None:
            conds.append(column == sa.bindparam(name, p[name]))
    if p["f_tag"] is not None:
        tagged = sa.select(tag_t.c.client_id).where(
            tag_t.c.tag == sa.bindparam("f_tag", p["f_tag"])
        )
        conds.append(c.id.in_(tagged))
    for i, (key, value) in enumerate(f.custom):
        conds.append(c.custom[key].as_string() == sa.bindparam(f"f_custom_{i}", value))
    return conds


_ROWS = sa.select(
    client_t.c.id,
    client_t.c.name,
    client_t.c.kind,
    client_t.c.client_group,
    client_t.c.status,
    client_t.c.city,
    client_t.c.last_interaction_at,
    client_t.c.version,
    sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login, "").label("owner"),
    # the earliest open task on the client, whoever it is assigned to (ix_task_client)
    sa.select(sa.func.min(task_t.c.due_at))
    .where(
        task_t.c.client_id == client_t.c.id,
        task_t.c.status == "open",
        task_t.c.deleted_at.is_(None),
    )
    .scalar_subquery()
    .label("next_task_at"),
    client_t.c.deleted_at,
).select_from(client_t.outerjoin(user_t, user_t.c.id == client_t.c.owner_id))


def _row_query() -> sa.Select[Any]:
    # built once: statements are immutable, every .where() makes a new one; building
    # this select costs about as much as fetching a page of 100 rows
    return _ROWS


# A page statement is built once per shape of list (sort, access rule, which filters)
# and then executed with new parameter values: building a statement and computing its
# cache key cost more than fetching the page itself (bench/bench_store.py)
_PAGES: dict[tuple[Any, ...], sa.Select[Any]] = {}
MAX_CACHED_PAGES = 512

# per sort: the row select plus the sort value (for the cursor), built once
_SORTED = {key: _ROWS.add_columns(column.label("_sort")) for key, (column, _) in SORTS.items()}


def _row(r: Any) -> ClientRow:
    # by position, in _ROWS' order: a Row's attribute access costs ~0.3 us a field,
    # a third of a millisecond for a page of 100
    id_, name, kind, group, status, city, last_at, version, owner, next_task, deleted_at = r[:11]
    return ClientRow(
        id_, name, kind, group, status, city, owner, last_at, version, next_task, deleted_at
    )


def _sort_key(sort: str) -> tuple[str, bool]:
    """A sort as lists take it ("city", "-name"): its key of SORTS, and descending?"""
    key = sort.lstrip("-")
    if key not in SORTS:
        raise Invalid(
            {
                # TRANSLATORS: {choices} are sort keys as typed (left untranslated).
                "sort": _("must be one of {choices} (prefix '-' to reverse)").format(
                    choices=", ".join(SORTS)
                )
            }
        )
    return key, sort.startswith("-")


def list_clients(
    s: Session,
    actor: Actor,
    flt: ClientFilter | None = None,
    *,
    sort: str = "name",
    after: str | None = None,
    limit: int = 100,
) -> Page[ClientRow]:
    """One page of clients; ``sort`` is a key of SORTS, prefixed with '-' for descending."""
    flt = flt or ClientFilter()
    check_limit(limit)
    key, descending = _sort_key(sort)
    column, kind = SORTS[key]
    columns: list[sa.ColumnElement[Any]] = [column] if key == "id" else [column, client_t.c.id]
    values = None
    if after:
        kinds = [kind] if key == "id" else [kind, int]
        values = decode_cursor(after, kinds, list_name=f"clients:{sort}")
    shape = (sort, values is not None, *_shape(actor, flt))
    q = _PAGES.get(shape)
    if q is None:
        conds = _conditions(actor, flt)
        if values is not None:
            conds.append(keyset(columns, values, descending))
        order = [col.desc() if descending else col.asc() for col in columns]
        q = _SORTED[key].where(*conds).order_by(*order).limit(sa.bindparam("page_limit"))
        if len(_PAGES) < MAX_CACHED_PAGES:
            _PAGES[shape] = q
    params = {
        **actor_params(actor),
        **_filter_params(flt),
        **(after_params(values) if values is not None else {}),
        "page_limit": limit + 1,
    }
    rows = s.connection().execute(q, params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = encode_cursor(
            [last.id] if key == "id" else [last._sort, last.id], list_name=f"clients:{sort}"
        )
    return Page(items=[_row(r) for r in rows], next_cursor=cursor)


def any_clients(s: Session) -> bool:
    """True when the database holds any client at all (in the trash too)."""
    return s.execute(sa.select(client_t.c.id).limit(1)).first() is not None


# filters with an index of their own: a count under them reads that index
_COLUMN_FILTERS = ("f_group", "f_status", "f_territory", "f_city", "f_parent", "f_tag")


def count_clients(s: Session, actor: Actor, flt: ClientFilter | None = None) -> int:
    """How many clients a list holds (what a scrollbar needs)."""
    flt = flt or ClientFilter()
    conds = _conditions(actor, flt)
    params = _filter_params(flt)
    if all(params[name] is None for name in _COLUMN_FILTERS) and not flt.custom:
        # always true; it steers SQLite to count the partial name index (40 ms a
        # million) instead of reading the table (170 ms), as every list filter does
        conds.append(client_t.c.name_key >= "")
    q = sa.select(sa.func.count()).select_from(client_t).where(*conds)
    return int(s.execute(q, {**actor_params(actor), **params}).scalar_one())


def client_anchors(
    s: Session,
    actor: Actor,
    flt: ClientFilter | None = None,
    *,
    sort: str = "name",
    every: int = 100,
) -> list[str]:
    """Cursors that make every page of a list reachable directly.

    ``anchors[k]`` is the cursor of the row at position ``(k + 1) * every - 1``, so
    ``list_clients(after=anchors[k - 1], limit=every)`` is page ``k`` (page 0 has no
    cursor). One pass over the sort index instead of an OFFSET per jump: a scroll
    view jumps to row 500,000 of a million with one keyset page.
    """
    flt = flt or ClientFilter()
    check_limit(every)
    key, descending = _sort_key(sort)
    column = SORTS[key][0]
    columns: list[sa.ColumnElement[Any]] = [column] if key == "id" else [column, client_t.c.id]
    order = [col.desc() if descending else col.asc() for col in columns]
    numbered = (
        sa.select(
            column.label("_sort"),
            client_t.c.id,
            sa.func.row_number().over(order_by=order).label("rn"),
        )
        .where(*_conditions(actor, flt))
        .subquery("numbered")
    )
    q = (
        sa.select(numbered.c._sort, numbered.c.id)
        .where(numbered.c.rn % every == 0)
        .order_by(numbered.c.rn)
    )
    rows = s.execute(q, {**actor_params(actor), **_filter_params(flt)}).all()
    name = f"clients:{sort}"
    return [encode_cursor([r.id] if key == "id" else [r._sort, r.id], list_name=name) for r in rows]


FACETS = {
    "group": client_t.c.client_group,
    "status": client_t.c.status,
    "territory": client_t.c.territory,
    "city": client_t.c.city,
}
MAX_FACET_VALUES = 500


def client_facets(s: Session, actor: Actor) -> dict[str, list[str]]:
    """The values in use for each filter (group, status, territory, city, tag), for pickers.

    Read from the partial indexes of live clients alone: a fraction of a second on a
    million clients.
    """
    visible = visible_clients(actor)
    out: dict[str, list[str]] = {}
    for name, column in FACETS.items():
        q = (
            sa.select(column)
            .where(visible, client_t.c.deleted_at.is_(None), column != "")
            .group_by(column)
            .order_by(column)
            .limit(MAX_FACET_VALUES)
        )
        out[name] = list(s.execute(q, actor_params(actor)).scalars())
    tags = sa.select(tag_t.c.tag).group_by(tag_t.c.tag).order_by(tag_t.c.tag)
    if not actor.sees_all:
        tags = tags.where(tag_t.c.client_id.in_(sa.select(client_t.c.id).where(visible)))
    out["tag"] = list(s.execute(tags.limit(MAX_FACET_VALUES), actor_params(actor)).scalars())
    return out


def search_clients(
    s: Session, actor: Actor, text: str, *, limit: int = 50, flt: ClientFilter | None = None
) -> SearchResult[ClientRow]:
    """Clients whose names, legal name, tax id, city, emails, phones or contact names
    contain the text; every word must match. Newest first. The count is capped."""
    check_limit(limit)
    query = clean(text)
    if _PHONE_LIKE.match(query) and len(digits(query)) >= store_search.MIN_TRIGRAM:
        words = [digits(query)]
    else:
        words = search_words(query)
    if not words:
        return SearchResult(items=[], total=0, more=False)
    conds = _conditions(actor, flt or ClientFilter())
    long_words = [w for w in words if len(w) >= store_search.MIN_TRIGRAM]
    if not long_words:
        return _short_search(s, actor, words, conds, limit)
    dialect = s.get_bind().dialect.name
    hits = store_search.matching_ids(dialect, long_words).subquery("hits")
    for w in words:
        if len(w) < store_search.MIN_TRIGRAM:
            conds.append(client_t.c.search_body.contains(w, autoescape=True))
    q = _row_query().join(hits, hits.c[0] == client_t.c.id).where(*conds)
    # newest first in the index's own order (hits.id, not client.id): SQLite's FTS5
    # streams it and stops at the limit instead of sorting every match
    rows = s.execute(q.order_by(hits.c[0].desc()).limit(limit)).all()
    if len(rows) < limit:
        total, more = len(rows), False
    else:
        capped = store_search.capped_hits(
            dialect,
            q.with_only_columns(client_t.c.id).order_by(None),
            hits.c[0],
            SEARCH_COUNT_CAP + 1,
        )
        total = s.execute(sa.select(sa.func.count()).select_from(capped.subquery())).scalar_one()
        more = total > SEARCH_COUNT_CAP
        total = min(total, SEARCH_COUNT_CAP)
    return SearchResult(items=[_row(r) for r in rows], total=total, more=more)


def _short_search(
    s: Session, actor: Actor, words: list[str], conds: list[sa.ColumnElement[bool]], limit: int
) -> SearchResult[ClientRow]:
    """Words all under three characters, which no trigram index serves (张伟, 科技, 'ab').

    Names that start with the first word come first (a b-tree range); then clients
    whose text contains it, from a bounded scan of the SHORT_SCAN_ROWS newest
    clients. Every other word must be contained in the text too.
    """
    dialect = s.get_bind().dialect.name
    key = words[0]
    others = [client_t.c.search_body.contains(w, autoescape=True) for w in words[1:]]
    prefix = _row_query().where(
        *conds, *others, store_search.name_prefix(dialect, client_t.c.name_key, key)
    )
    rows = list(s.execute(prefix.order_by(client_t.c.name_key, client_t.c.id).limit(limit)))
    if len(rows) < limit:
        newest = s.execute(sa.select(sa.func.max(client_t.c.id))).scalar()
        floor = (newest or 0) - SHORT_SCAN_ROWS  # ids are not reused: about the newest N
        seen = {r.id for r in rows}
        scan = _row_query().where(
            *conds,
            *others,
            client_t.c.id > floor,
            client_t.c.search_body.contains(key, autoescape=True),
        )
        extra = s.execute(scan.order_by(client_t.c.id.desc()).limit(limit + len(seen))).all()
        rows.extend(r for r in extra if r.id not in seen)
        rows = rows[:limit]
    return SearchResult(items=[_row(r) for r in rows], total=len(rows), more=len(rows) >= limit)
