"""Creating many clients at once (imports): the checks of ``create_client``, bulk writes.

Each row is validated and normalised exactly as :func:`clients.create_client`
does it (the same ``_validate``), with the answers about other rows (custom
field definitions, owners) asked once for the whole batch. The rows, their
phones, emails, addresses and tags, their search text and their audit entries
are then written with the store's bulk inserts, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import REP, Actor
from termcrm.services.audit import IMPORT_ID, audit_t
from termcrm.services.clients import (
    TEXT_FIELDS,
    Lookups,
    _audit_values,
    _column,
    _validate,
    client_t,
    tag_t,
)
from termcrm.services.contact_points import address_t, email_t, phone_t
from termcrm.services.errors import Forbidden
from termcrm.services.text import build_search_body, digits
from termcrm.store import bulk
from termcrm.store.types import utcnow

DEFAULTS = {"kind": "company", "status": "lead", "tax_id": "", "custom": {}}


@dataclass(slots=True)
class PreparedClient:
    """A validated new client: column values and its phones, emails, addresses and tags."""

    columns: dict[str, Any]
    collections: dict[str, Any]


class ClientBulk:
    """Validates rows as new clients and writes them in bulk for one actor."""

    def __init__(self, s: Session, actor: Actor) -> None:
        self._s = s
        self._actor = actor
        self._lookups = Lookups(s, actor)

    def prepare(self, data: Mapping[str, Any]) -> PreparedClient:
        """Check one new client; Invalid or Forbidden (with the reason) if it cannot be created."""
        data = dict(data)
        if data.get("owner_id") is None:
            data["owner_id"] = self._actor.id
        if self._actor.role == REP and data["owner_id"] != self._actor.id:
            raise Forbidden(
                _("reps create clients for themselves; ask your manager to assign others")
            )
        columns, collections = _validate(
            self._s, self._actor, data, current=None, client_id=None, lookups=self._lookups
        )
        return PreparedClient(columns, collections)

    def insert(self, items: Sequence[PreparedClient]) -> list[int]:
        """Write the clients (in the caller's transaction); their ids, in order."""
        if not items:
            return []
        s = self._s
        ids = bulk.IdAllocator(s).take(client_t, len(items))
        now = utcnow()
        import_id = s.info.get(IMPORT_ID)
        clients: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        stamp = {"version": 1, "created_at": now, "updated_at": now}
        for client_id, item in zip(ids, items, strict=True):
            cols, coll = item.columns, item.collections
            values = {**DEFAULTS, **{f: "" for f in TEXT_FIELDS}, **cols}
            row = {_column(k): v for k, v in values.items()}
            row.setdefault("owner_id", None)
            row.setdefault("department_id", None)
            row.setdefault("parent_id", None)
            found = [cols.get("name"), cols.get("legal_name"), cols.get("tax_id"), cols.get("city")]
            for p in coll.get("phones", ()):
                phones.append(
                    {
                        "client_id": client_id,
                        "contact_id": None,
                        "kind": p.kind,
                        "raw": p.raw,
                        "e164": p.e164,
                        "digits": p.digits,
                        "extension": p.extension,
                        **stamp,
                    }
                )
                # the terms of search_index.phone_terms, from what the parse already knows
                found.extend((p.digits, p.national_digits, digits(p.raw)))
            for address, normalized in coll.get("emails", ()):
                emails.append(
                    {
                        "client_id": client_id,
                        "contact_id": None,
                        "kind": "work",
                        "address": address,
                        "normalized": normalized,
                        **stamp,
                    }
                )
                found.append(normalized)
            for a in coll.get("addresses", ()):
                addresses.append({**a, "client_id": client_id, "contact_id": None, **stamp})
            for tag in coll.get("tags", ()):
                tags.append({"client_id": client_id, "tag": tag})
            row.update(
                id=client_id,
                last_interaction_at=None,
                deleted_at=None,
                search_body=build_search_body(found),
                **stamp,
            )
            clients.append(row)
            audit_values = _audit_values(cols, coll)
            audits.append(
                {
                    "at": now,
                    "user_id": self._actor.id,
                    "action": "create",
                    "entity": "client",
                    "entity_id": client_id,
                    "client_id": client_id,
                    "version": 1,
                    # validated values are JSON already (text, numbers, lists and
                    # mappings of text): no conversion as audit.plain would do
                    "changes": {
                        k: [None, v]
                        for k, v in audit_values.items()
                        if v is not None and v != "" and v != [] and v != {}
                    },
                    "import_id": import_id,
                }
            )
        bulk.bulk_insert(s, client_t, _uniform(clients))
        bulk.bulk_insert(s, phone_t, phones)
        bulk.bulk_insert(s, email_t, emails)
        bulk.bulk_insert(s, address_t, _uniform(addresses))
        bulk.bulk_insert(s, tag_t, tags)
        bulk.bulk_insert(s, audit_t, audits)
        return ids


def loading(s: Session) -> Any:
    """Settings for a big write in this transaction (a large SQLite page cache)."""
    return bulk.bulk_loading(s)


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the keys of all of them (bulk inserts take the first row's keys)."""
    if not rows:
        return rows
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    if all(len(r) == len(keys) for r in rows):
        return rows
    return [{k: r.get(k) for k in keys} for r in rows]
