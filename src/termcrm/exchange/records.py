"""Turning rows into records: one handler per kind of record.

A handler converts each row's cells into the service's fields, finds the
record it duplicates (or, with an id column, the record it edits), and writes
through the services, so every rule of the CRM (validation, access, versions,
audit) holds for imported data as for typed data. New clients, the bulk of most
imports, are written in bulk (:mod:`termcrm.services.client_bulk`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, ClassVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from termcrm.exchange import values as V
from termcrm.exchange.mapping import ColumnMapping
from termcrm.i18n import _
from termcrm.services import clients as client_svc
from termcrm.services import contacts as contact_svc
from termcrm.services import matching
from termcrm.services.actor import Actor
from termcrm.services.audit import changes_since
from termcrm.services.client_bulk import ClientBulk, PreparedClient
from termcrm.services.dto import ClientOut, ContactOut
from termcrm.services.errors import Conflict, CrmError, Forbidden, Invalid, NotFound
from termcrm.services.text import clean, fold


class RowError(Exception):
    """A row cannot be imported; the message is the reason for the rejects file."""


class StaleRow(RowError):
    """A row of an export edits a record somebody changed since: a conflict."""


def _outcome(number: int, action: str, record_id: int | None = None, reason: str = "") -> Any:
    from termcrm.exchange.importer import RowOutcome

    return RowOutcome(number, action, record_id, reason)


# values users write for the fixed choices, in English, Russian and Chinese
KIND_WORDS = {
    "company": ["company", "organization", "business", "legal entity", "компания",
                "организация", "юрлицо", "юр лицо", "юр. лицо", "юридическое лицо",
                "公司", "企业", "单位"],
    "person": ["person", "individual", "private", "физлицо", "физ лицо", "физ. лицо",
               "физическое лицо", "частное лицо", "ип", "个人", "自然人"],
}  # fmt: skip
STATUS_WORDS = {
    "lead": ["lead", "лид", "线索"],
    "prospect": ["prospect", "potential", "потенциальный", "潜在", "潜在客户"],
    "new": ["new", "новый", "新", "新客户"],
    "active": ["active", "активный", "действующий", "活跃", "活跃客户"],
    "loyal": ["loyal", "постоянный", "лояльный", "忠实", "忠诚客户", "老客户"],
    "lapsed": ["lapsed", "dormant", "inactive", "спящий", "неактивный", "沉睡", "沉睡客户"],
    "lost": ["lost", "потерян", "потерянный", "ушел", "流失", "已流失"],
}  # fmt: skip
INTERACTION_WORDS = {
    "call": ["call", "phone", "phone call", "звонок", "телефон", "созвон", "电话", "通话"],
    "meeting": ["meeting", "встреча", "переговоры", "会议", "会面", "见面"],
    "email": ["email", "e-mail", "mail", "эл. почта", "почта", "емейл", "邮件", "电子邮件"],
    "letter": ["letter", "письмо", "信函", "信件"],
    "visit": ["visit", "визит", "выезд", "拜访", "上门"],
    "message": ["message", "chat", "sms", "сообщение", "мессенджер", "消息", "微信", "短信"],
}  # fmt: skip
DIRECTION_WORDS = {
    "in": ["in", "incoming", "inbound", "входящий", "вх", "呼入", "来电", "收到"],
    "out": ["out", "outgoing", "outbound", "исходящий", "исх", "呼出", "去电", "发出"],
}  # fmt: skip


def _words(table_: Mapping[str, list[str]]) -> dict[str, str]:
    return {fold(w): key for key, words in table_.items() for w in [key, *words]}


KINDS, STATUSES = _words(KIND_WORDS), _words(STATUS_WORDS)
INTERACTIONS, DIRECTIONS = _words(INTERACTION_WORDS), _words(DIRECTION_WORDS)

_LEGAL_FORMS = re.compile(
    r"\b(ооо|оао|зао|пао|ао|нао|ип|тоо|llc|ltd|limited|inc|corp|corporation|co|gmbh|plc|"
    r"company)\b|有限责任公司|股份有限公司|有限公司|集团|公司"
)
_PUNCT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
FUZZY_SCORE = 90  # rapidfuzz token_sort_ratio at or above which two names are the same


def name_key(name: str) -> str:
    """A client's name for duplicate matching: no legal form, quotes or punctuation."""
    text = _LEGAL_FORMS.sub(" ", fold(name))
    return " ".join(_PUNCT.sub(" ", text).split())


def block_of(key: str) -> str:
    """Names compared by the fuzzy match share this: their first three letters and their
    numbers, since numbers tell places apart ("Store 5", "Store 6")."""
    return key[:3] + "#" + "/".join(_DIGITS.findall(key))


def refused(exc: Exception) -> str:
    """A database's refusal of one row, as a reason."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return _("the database refused the row: {reason}").format(reason=first)


def _choice(value: str, words: Mapping[str, str], allowed: Iterable[str]) -> str:
    found = words.get(fold(value))
    if found is None:
        raise RowError(
            _("'{value}' is not one of {choices}").format(value=value, choices=", ".join(allowed))
        )
    return found


class Handler:
    """What every kind of record shares: cells by field, users, clients by reference."""

    entity: ClassVar[str]
    service_fields: ClassVar[dict[str, str]] = {}  # service error field -> import field

    def __init__(
        self, s: Session, actor: Actor, mapping: ColumnMapping, on_duplicate: str, zone: tzinfo
    ) -> None:
        self.s = s
        self.actor = actor
        self.mapping = mapping
        self.on_duplicate = on_duplicate
        self.zone = zone
        self.targets = mapping.targets()
        self._users: dict[str, int] | None = None  # set once the users are loaded
        self._clients: dict[tuple[str, str], int] = {}

    @classmethod
    def check_actor(cls, actor: Actor) -> None:
        """Refuse, before any row is read, an actor who may not load this kind of record."""

    def bind(self, s: Session) -> None:
        """Go on in another transaction (the next batch); what was learnt is kept."""
        self.s = s

    # -- cells

    def problems(self, row: Any) -> list[str]:
        """What the reader found wrong in the row, in the columns that are imported."""
        if not row.problems:
            return []
        used = {i for columns in self.targets.values() for i in columns}
        where = row.problem_columns or (None,) * len(row.problems)
        return [
            p for p, col in zip(row.problems, where, strict=False) if col is None or col in used
        ]

    def cells(self, row: Any) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        values = row.values
        for fld, columns in self.targets.items():
            got = [values[i] for i in columns if i < len(values) and values[i] not in (None, "")]
            out[fld] = got
        return out

    @staticmethod
    def one(cells: Mapping[str, list[Any]], fld: str) -> Any:
        got = cells.get(fld) or []
        return got[0] if got else None

    def column(self, fld: str) -> str:
        """How a message names the column a field came from."""
        # TRANSLATORS: {title} is a column title of the user's file; quote it as your
        # language does.
        return _("column «{title}»").format(title=self.mapping.column_of(fld))

    def reason(self, exc: CrmError) -> str:
        if isinstance(exc, Invalid):
            parts = []
            for service_field, message in exc.errors.items():
                fld = self.service_fields.get(service_field, service_field)
                if fld in self.targets:
                    parts.append(f"{self.column(fld)}: {message}")
                else:
                    parts.append(f"{fld.replace('_', ' ')}: {message}")
            return "; ".join(parts)
        return str(exc)

    def convert_field(self, fld: str, convert: Any, *args: Any, **kw: Any) -> Any:
        try:
            return convert(*args, **kw)
        except ValueError as exc:
            raise RowError(f"{self.column(fld)}: {exc}") from None

    # -- users and clients by reference

    def _load_users(self) -> None:
        self._logins: dict[str, int] = {}
        self._names: dict[str, list[int]] = {}
        self._active: set[int] = set()
        self._known: dict[int, tuple[str, str]] = {}  # id -> (login, full name), folded
        for r in matching.users(self.s):
            self._logins[fold(r.login)] = r.id
            if r.full_name:
                self._names.setdefault(fold(r.full_name), []).append(r.id)
            if r.active:
                self._active.add(r.id)
            self._known[r.id] = (fold(r.login), fold(r.full_name))
        self._users = {}

    def user_id(self, fld: str, values: Any, *, current: int | None = None) -> int:
        """The user the cells of a column (or of several: Owner, Owner login) name.

        A login wins over a full name; a full name shared by several users must be
        given as a login. A cell that names ``current`` keeps it, active or not.
        """
        if self._users is None:
            self._load_users()
        cells = [fold(V.text(v)) for v in (values if isinstance(values, list) else [values])]
        cells = [c for c in cells if c]
        if current in self._known and any(c in self._known[current] for c in cells):
            return current
        shown = V.text(values[0] if isinstance(values, list) else values)
        for c in cells:
            found = self._logins.get(c)
            if found is not None and found in self._active:
                return found
        for c in cells:
            ids = [i for i in self._names.get(c, []) if i in self._active]
            if len(ids) > 1:
                raise RowError(
                    _("{column}: {count} users are called '{value}'; give the login").format(
                        column=self.column(fld), count=len(ids), value=shown
                    )
                )
            if ids:
                return ids[0]
        raise RowError(
            _("{column}: no active user '{value}' (give a login or a full name)").format(
                column=self.column(fld), value=shown
            )
        )

    def client_ref(self, cells: Mapping[str, list[Any]], *, create: bool = False) -> int | None:
        """The client a row refers to (by id, tax id or exact name); None if the row names none.

        With ``create``, a name nobody has yet becomes a new client.
        """
        s, actor = self.s, self.actor
        if cells.get("client_id"):
            client_id = self.convert_field("client_id", V.integer, self.one(cells, "client_id"))
            if ("id", str(client_id)) in self._clients:
                return int(client_id)
            try:
                client_svc.require_visible_client(s, actor, client_id)
            except (NotFound, Forbidden) as exc:
                raise RowError(f"{self.column('client_id')}: {exc}") from None
            return int(client_id)
        if cells.get("client_tax_id"):
            tax = clean(V.text(self.one(cells, "client_tax_id")))
            key = ("tax", tax)
            if key not in self._clients:
                ids = matching.client_ids(s, actor, tax_id=tax)
                if not ids:
                    raise RowError(
                        _("{column}: no client you can see has the tax id {tax}").format(
                            column=self.column("client_tax_id"), tax=tax
                        )
                    )
                self._clients[key] = ids[0]
            return self._clients[key]
        if cells.get("client"):
            name = clean(V.text(self.one(cells, "client")))
            key = ("name", fold(name))
            if key not in self._clients:
                ids = matching.client_ids(s, actor, name=name)
                if len(ids) > 1:
                    raise RowError(
                        _(
                            "{column}: {count} clients are called '{name}'; add a client id "
                            "or tax id column to say which"
                        ).format(column=self.column("client"), count=len(ids), name=name)
                    )
                if ids:
                    self._clients[key] = ids[0]
                elif create:
                    made = client_svc.create_client(s, actor, {"name": name})
                    self._clients[key] = made.id
                else:
                    raise RowError(
                        _("{column}: no client you can see is called '{name}'").format(
                            column=self.column("client"), name=name
                        )
                    )
            return self._clients[key]
        return None

    def prefetch_clients(self, chunk: Iterable[Mapping[str, list[Any]]]) -> None:
        """Look up, in one statement per kind, the clients a chunk's rows (their
        :meth:`cells`) name by id, tax id or name and :meth:`client_ref` has not met yet:
        those found (by name: exactly one) are remembered; the rest go the one-row way,
        which gives the reason."""
        taxes: set[str] = set()
        names: set[str] = set()
        wanted_ids: set[int] = set()
        for cells in chunk:
            if cells.get("client_id"):
                try:
                    client_id = V.integer(self.one(cells, "client_id"))
                except ValueError:
                    continue  # the one-row way says why
                if ("id", str(client_id)) not in self._clients:
                    wanted_ids.add(client_id)
                continue
            if cells.get("client_tax_id"):
                tax = clean(V.text(self.one(cells, "client_tax_id")))
                if ("tax", tax) not in self._clients:
                    taxes.add(tax)
            elif cells.get("client"):
                name = clean(V.text(self.one(cells, "client")))
                if ("name", fold(name)) not in self._clients:
                    names.add(name)
        if not taxes and not names and not wanted_ids:
            return
        by_tax, by_name, by_id = matching.client_ids_of(
            self.s, self.actor, tax_ids=taxes, names=names, ids=wanted_ids
        )
        for client_id in by_id:
            self._clients[("id", str(client_id))] = client_id
        for tax, ids in by_tax.items():
            self._clients[("tax", tax)] = ids[0]
        for key, ids in by_name.items():
            if len(ids) == 1:
                self._clients[("name", key)] = ids[0]

    def process(self, chunk: list[Any]) -> list[Any]:
        out = []
        for row in chunk:
            problems = self.problems(row)
            if problems:
                out.append(_outcome(row.number, "reject", reason="; ".join(problems)))
                continue
            try:
                with self.s.begin_nested():
                    out.append(self.one_row(row))
            except StaleRow as exc:
                out.append(_outcome(row.number, "conflict", reason=str(exc)))
            except RowError as exc:
                out.append(_outcome(row.number, "reject", reason=str(exc)))
            except Conflict as exc:
                out.append(_outcome(row.number, "conflict", reason=str(exc)))
            except CrmError as exc:
                out.append(_outcome(row.number, "reject", reason=self.reason(exc)))
            except DBAPIError as exc:  # a limit no check knew of: this row only
                out.append(_outcome(row.number, "reject", reason=refused(exc)))
        return out

    def one_row(self, row: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def check_version(self, cells: Mapping[str, list[Any]], entity: str, current: Any) -> None:
        if not cells.get("version"):
            return
        base = self.convert_field("version", V.integer, self.one(cells, "version"))
        if base != current.version:
            from termcrm.i18n import fmt_datetime

            since = changes_since(self.s, entity, current.id, base)
            who = "; ".join(
                f"{c.user}, {fmt_datetime(c.at)} ({', '.join(c.fields)})" for c in since
            )
            raise StaleRow(
                _(
                    "{entity} {id} was changed after your export (version {base}, now "
                    "{now}) by {who}; this row was not imported: export again and redo "
                    "the edit there"
                ).format(entity=entity, id=current.id, base=base, now=current.version, who=who)
            )


# -- clients ---------------------------------------------------------------------------

CLIENT_MULTILINE = client_svc.MULTILINE
CLIENT_TEXT = tuple(f for f in client_svc.TEXT_FIELDS if f not in CLIENT_MULTILINE)
ADDRESS_ORDER = ("legal", "actual", "postal", "delivery")


@dataclass(slots=True)
class _Pending:
    number: int
    prepared: PreparedClient
    keys: list[tuple[str, str]]
    city: str
    name: str
    given: frozenset[str]  # the service fields the row had values for
    contact: dict[str, str]  # a contact person the row names: created with the client
    key: str = ""  # the name as the duplicate match compares it (name_key)

    def __post_init__(self) -> None:
        self.key = name_key(self.name)


class ClientHandler(Handler):
    entity = "clients"
    service_fields: ClassVar[dict[str, str]] = {
        "owner_id": "owner",
        "parent_id": "parent",
        "addresses": "address",
    }

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.bulk = ClientBulk(self.s, self.actor)
        self.index: dict[tuple[str, str], int] = {}  # (kind, key) -> client id, or -row number
        self.cities: dict[str, dict[str, list[tuple[str, int]]]] = {}  # city -> block -> names

    def bind(self, s: Session) -> None:
        self.s = s
        self.bulk = ClientBulk(s, self.actor)

    # -- cells to service data

    def data(
        self, cells: Mapping[str, list[Any]], *, full: bool, owner: int | None = None
    ) -> dict[str, Any]:
        """The service's fields from a row; ``full`` (a round trip) blanks fields of empty cells.

        ``owner``: the record's owner now, whom an owner cell naming them keeps.
        """
        out: dict[str, Any] = {}
        present = self.targets
        for fld in (*CLIENT_TEXT, "tax_id"):  # the service cleans them
            if fld in present and (full or cells.get(fld)):
                out[fld] = V.text(self.one(cells, fld))
        for fld in CLIENT_MULTILINE:
            if fld in present and (full or cells.get(fld)):
                out[fld] = "\n".join(V.multiline(v) for v in cells.get(fld, []))
        if "kind" in present and cells.get("kind"):
            out["kind"] = self._pick("kind", KINDS, ("company", "person"), cells)
        if "status" in present and cells.get("status"):
            out["status"] = self._pick("status", STATUSES, client_svc.STATUSES, cells)
        if "phones" in present and (full or cells.get("phones")):
            out["phones"] = V.phones(cells.get("phones", []))
        if "emails" in present and (full or cells.get("emails")):
            out["emails"] = V.emails(cells.get("emails", []))
        if "tags" in present and (full or cells.get("tags")):
            out["tags"] = V.tags(cells.get("tags", []), exported=full)
        if "owner" in present and cells.get("owner"):
            out["owner_id"] = self.user_id("owner", cells["owner"], current=owner)
        if "parent" in present and cells.get("parent"):
            parent = self.one(cells, "parent")
            try:
                out["parent_id"] = V.integer(parent)
            except ValueError:
                out["parent_id"] = self.client_ref({"client": [parent]})
        addresses = []
        for fld, kind in (("legal_address", "legal"), ("address", "actual")):
            if cells.get(fld) or (cells.get("postcode") and fld == "address"):
                addresses.append(
                    {
                        "kind": kind,
                        "line": V.text(self.one(cells, fld)),
                        "city": V.text(self.one(cells, "city")),
                        "postcode": V.text(self.one(cells, "postcode")),
                        "country": V.text(self.one(cells, "country")),
                    }
                )
        if addresses:
            out["addresses"] = addresses
        custom = {
            fld.removeprefix("custom."): V.text(self.one(cells, fld))
            for fld in present
            if fld.startswith("custom.") and (full or cells.get(fld))
        }
        if custom:
            out["custom"] = custom
        return out

    def _pick(self, fld: str, words: Mapping[str, str], allowed: Iterable[str], cells: Any) -> str:
        value = V.text(self.one(cells, fld))
        try:
            return _choice(value, words, allowed)
        except RowError as exc:
            raise RowError(f"{self.column(fld)}: {exc}") from None

    # -- duplicates

    @staticmethod
    def _keys(prepared: PreparedClient) -> list[tuple[str, str]]:
        keys = []
        if prepared.columns.get("tax_id"):
            keys.append(("tax", prepared.columns["tax_id"]))
        keys += [("email", n) for _a, n in prepared.collections.get("emails", ())]
        keys += [("phone", p.digits) for p in prepared.collections.get("phones", ())]
        return keys

    def _load(self, pending: list[_Pending]) -> None:
        """Put the database's clients that may match this chunk into the index."""
        wanted: dict[str, set[str]] = {"tax": set(), "email": set(), "phone": set()}
        for p in pending:
            for kind, key in p.keys:
                if (kind, key) not in self.index:
                    wanted[kind].add(key)
        found = matching.clients_by_keys(
            self.s, tax_ids=wanted["tax"], emails=wanted["email"], phones=wanted["phone"]
        )
        for kind, key, client_id in found:
            self.index.setdefault((kind, key), client_id)
        new_cities = {p.city for p in pending} - set(self.cities)
        for city in new_cities:
            self.cities[city] = {}
        for client_id, name, city in matching.client_names_in(self.s, new_cities):
            if city in self.cities:
                self._remember_name(city, name_key(name), client_id)

    def _remember_name(self, city: str, key: str, client_id: int) -> None:
        if key:
            self.cities.setdefault(city, {}).setdefault(block_of(key), []).append((key, client_id))

    def _match(self, p: _Pending) -> tuple[int, str] | None:
        labels = {"tax": _("same tax id"), "email": _("same email"), "phone": _("same phone")}
        for kind, key in p.keys:
            found = self.index.get((kind, key))
            if found is not None:
                return found, labels[kind]
        key = p.key
        block = self.cities.get(p.city, {}).get(block_of(key), [])
        if not block:
            return None
        for other, client_id in block:
            if other == key:
                return client_id, _("same name in the same city")
        from rapidfuzz import fuzz, process

        best = process.extractOne(
            key, [o for o, _i in block], scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_SCORE
        )
        if best is not None:
            return block[best[2]][1], _("similar name in the same city")
        return None

    # -- rows

    def process(self, chunk: list[Any]) -> list[Any]:
        out: list[Any] = []
        pending: list[_Pending] = []
        edits: list[tuple[Any, dict[str, list[Any]]]] = []
        for row in chunk:
            problems = self.problems(row)
            if problems:
                out.append(_outcome(row.number, "reject", reason="; ".join(problems)))
                continue
            try:
                cells = self.cells(row)
                if cells.get("id"):
                    edits.append((row, cells))
                    continue
                data = self.data(cells, full=False)
                prepared = self.bulk.prepare(data)
            except RowError as exc:
                out.append(_outcome(row.number, "reject", reason=str(exc)))
                continue
            except CrmError as exc:
                out.append(_outcome(row.number, "reject", reason=self.reason(exc)))
                continue
            pending.append(
                _Pending(
                    row.number,
                    prepared,
                    self._keys(prepared),
                    prepared.columns.get("city", ""),
                    prepared.columns.get("name", ""),
                    frozenset(data),
                    self._contact(cells),
                )
            )
        self._load(pending)
        creating: list[_Pending] = []
        for p in pending:
            match = None if self.on_duplicate == "create" else self._match(p)
            if match is None:
                creating.append(p)
                for k in p.keys:
                    self.index.setdefault(k, -p.number)
                self._remember_name(p.city, p.key, -p.number)
                continue
            other, why = match
            for k in p.keys:  # a later row with only this row's phone is the same client
                self.index.setdefault(k, other)
            if other < 0:
                out.append(
                    _outcome(
                        p.number,
                        "skip",
                        reason=_("repeats row {row} of this file ({why})").format(
                            row=-other, why=why
                        ),
                    )
                )
                continue
            if self.on_duplicate == "skip":
                out.append(
                    _outcome(
                        p.number,
                        "skip",
                        other,
                        _("already in the CRM as client {id} ({why})").format(id=other, why=why),
                    )
                )
                continue
            out.append(self._merge(p, other, why))
        ids = self.bulk.insert([p.prepared for p in creating])
        for p, client_id in zip(creating, ids, strict=True):
            if p.contact:
                out.append(self._guarded(p.number, lambda c=client_id, p=p: self._person(c, p)))
            else:
                out.append(_outcome(p.number, "create", client_id))
            for k in p.keys:
                if self.index.get(k) == -p.number:
                    self.index[k] = client_id
            block = self.cities.get(p.city, {}).get(block_of(p.key), [])
            for i, (key, rid) in enumerate(block):
                if rid == -p.number:
                    block[i] = (key, client_id)
        for row, cells in edits:
            out.append(self._guarded(row.number, lambda c=cells: self._edit(c)))
        out.sort(key=lambda o: o.number)
        return out

    def _contact(self, cells: Mapping[str, list[Any]]) -> dict[str, str]:
        name = clean(V.text(self.one(cells, "contact")))
        if not name:
            return {}
        return {"full_name": name, "position": clean(V.text(self.one(cells, "contact_position")))}

    def _person(self, client_id: int, p: _Pending) -> tuple[str, int, str]:
        """The client was created; now its contact person (the client stays if that fails)."""
        try:
            with self.s.begin_nested():
                contact_svc.create_contact(self.s, self.actor, client_id, p.contact)
        except CrmError as exc:
            reason = _("the contact person was not added: {reason}").format(reason=exc)
            return "create", client_id, reason
        return "create", client_id, ""

    def _guarded(self, number: int, fn: Any) -> Any:
        try:
            with self.s.begin_nested():
                action, record_id, reason = fn()
            return _outcome(number, action, record_id, reason)
        except StaleRow as exc:
            return _outcome(number, "conflict", reason=str(exc))
        except RowError as exc:
            return _outcome(number, "reject", reason=str(exc))
        except Conflict as exc:
            return _outcome(number, "conflict", reason=str(exc))
        except CrmError as exc:
            return _outcome(number, "reject", reason=self.reason(exc))
        except DBAPIError as exc:
            return _outcome(number, "reject", reason=refused(exc))

    def _merge(self, p: _Pending, client_id: int, why: str) -> Any:
        """--on-duplicate update / fill-empty: bring the row's values into the existing client."""

        def apply() -> tuple[str, int, str]:
            current = client_svc.get_client(self.s, self.actor, client_id)
            changes = merge_client(
                current, p.prepared, p.given, fill_only=self.on_duplicate == "fill-empty"
            )
            note = _("duplicate of client {id} ({why})").format(id=client_id, why=why)
            if not changes:
                return "unchanged", client_id, note
            after = client_svc.update_client(
                self.s, self.actor, client_id, version=current.version, changes=changes
            )
            return ("update" if after.version != current.version else "unchanged"), client_id, note

        return self._guarded(p.number, apply)

    def _edit(self, cells: dict[str, list[Any]]) -> tuple[str, int, str]:
        """A row with an id (an edited export): change what differs, if nobody else did."""
        client_id = self.convert_field("id", V.integer, self.one(cells, "id"))
        try:
            current = client_svc.get_client(self.s, self.actor, client_id)
        except (NotFound, Forbidden) as exc:
            raise RowError(f"{self.column('id')}: {exc}") from None
        self.check_version(cells, "client", current)
        wanted = self.data(cells, full=True, owner=current.owner_id)
        changes = edited_client(current, wanted)
        if not changes:
            return "unchanged", client_id, ""
        after = client_svc.update_client(
            self.s, self.actor, client_id, version=current.version, changes=changes
        )
        if after.version == current.version:
            return "unchanged", client_id, ""
        return "update", client_id, ", ".join(sorted(changes))


def _first_address(current: ClientOut) -> Any:
    for kind in ADDRESS_ORDER:
        for a in current.addresses:
            if a.kind == kind:
                return a
    return None


def _addresses(current: ClientOut) -> list[dict[str, str]]:
    return [
        {
            "kind": a.kind,
            "country": a.country,
            "postcode": a.postcode,
            "city": a.city,
            "line": a.line,
        }
        for a in current.addresses
    ]


def edited_client(current: ClientOut, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a round-trip row that differ from the client as it is."""
    changes: dict[str, Any] = {}
    for fld, value in wanted.items():
        if fld in (*CLIENT_TEXT, "tax_id", "kind", "status"):
            if clean(value) != getattr(current, fld):
                changes[fld] = value
        elif fld in CLIENT_MULTILINE:
            if value != getattr(current, fld):
                changes[fld] = value
        elif fld == "phones":
            if [clean(v) for v in value] != [p.raw for p in current.phones]:
                changes[fld] = value
        elif fld == "emails":
            if [v.casefold() for v in value] != [e.address.casefold() for e in current.emails]:
                changes[fld] = value
        elif fld == "tags":
            if sorted({clean(t) for t in value}) != sorted(current.tags):
                changes[fld] = value
        elif fld in ("owner_id", "parent_id"):
            if value != getattr(current, fld):
                changes[fld] = value
        elif fld == "custom":
            merged = dict(current.custom)
            for key, v in value.items():
                if V.text(merged.get(key)) != v:
                    merged[key] = v
            if merged != current.custom:
                changes[fld] = {
                    k: v for k, v in value.items() if V.text(current.custom.get(k)) != v
                }
        elif fld == "addresses":
            first = _first_address(current)
            line = next((a["line"] for a in value if a["kind"] == "actual"), "")
            if first is None and line:
                changes[fld] = [*_addresses(current), value[-1]]
            elif first is not None and clean(line) != first.line:
                kept = _addresses(current)
                for a in kept:
                    if a["kind"] == first.kind and a["line"] == first.line:
                        a["line"] = clean(line)
                        break
                changes[fld] = [a for a in kept if a["line"] or a["city"]]
    return changes


def merge_client(
    current: ClientOut, new: PreparedClient, given: frozenset[str], *, fill_only: bool
) -> dict[str, Any]:
    """The changes that bring a duplicate row's values into an existing client.

    Phones, emails, tags and addresses are added to the client's, never replaced;
    with ``fill_only`` the other fields change only where the client has none.
    """
    changes: dict[str, Any] = {}
    cols, coll = new.columns, new.collections
    for fld in (*CLIENT_TEXT, *CLIENT_MULTILINE, "tax_id"):
        value = cols.get(fld)
        if not value:
            continue
        now = getattr(current, fld)
        if value != now and (not fill_only or not now):
            changes[fld] = value
    if "status" in cols and not fill_only and cols["status"] != current.status:
        changes["status"] = cols["status"]
    if (
        "owner_id" in given
        and cols["owner_id"] != current.owner_id
        and (current.owner_id is None or not fill_only)
    ):
        changes["owner_id"] = cols["owner_id"]
    have = {p.e164 for p in current.phones}
    more = [p.raw for p in coll.get("phones", ()) if p.e164 not in have]
    if more:
        changes["phones"] = [p.raw for p in current.phones] + more
    have_e = {e.address.casefold() for e in current.emails}
    more_e = [
        a for a, n in coll.get("emails", ()) if n not in have_e and a.casefold() not in have_e
    ]
    if more_e:
        changes["emails"] = [e.address for e in current.emails] + more_e
    more_t = [t for t in coll.get("tags", ()) if t not in current.tags]
    if more_t:
        changes["tags"] = [*current.tags, *more_t]
    lines = {(a.kind, a.line) for a in current.addresses}
    more_a = [a for a in coll.get("addresses", ()) if (a["kind"], a["line"]) not in lines]
    if more_a and (not fill_only or not current.addresses):
        changes["addresses"] = _addresses(current) + more_a
    custom = cols.get("custom") or {}
    extra = {
        k: v
        for k, v in custom.items()
        if v not in (None, "")
        and current.custom.get(k) != v
        and (not fill_only or k not in current.custom)
    }
    if extra:
        changes["custom"] = extra
    return changes


# -- contacts --------------------------------------------------------------------------

_NO_YEAR = re.compile(r"^--(\d\d)-?(\d\d)$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def full_name(first: str, middle: str, last: str) -> str:
    """A person's name from its parts, in the order of the name's script."""
    parts = [first, middle, last]
    if _HAN.search("".join(parts)):
        return clean(last + first)
    if _CYRILLIC.search("".join(parts)):
        return clean(" ".join((last, first, middle)))
    return clean(" ".join(parts))


CONTACT_TEXT = ("full_name", "position")
CONTACT_MULTILINE = ("notes", "character_notes")


class ContactHandler(Handler):
    entity = "contacts"

    def data(self, cells: Mapping[str, list[Any]], *, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if cells.get("full_name"):
            out["full_name"] = clean(V.text(self.one(cells, "full_name")))
        elif any(cells.get(f) for f in ("first_name", "middle_name", "last_name")):
            out["full_name"] = full_name(
                *(
                    clean(V.text(self.one(cells, f)))
                    for f in ("first_name", "middle_name", "last_name")
                )
            )
        elif full and "full_name" in self.targets:
            out["full_name"] = ""
        if "position" in self.targets and (full or cells.get("position")):
            out["position"] = clean(V.text(self.one(cells, "position")))
        for fld in CONTACT_MULTILINE:
            if fld in self.targets and (full or cells.get(fld)):
                out[fld] = "\n".join(V.multiline(v) for v in cells.get(fld, []))
        if "phones" in self.targets and (full or cells.get("phones")):
            out["phones"] = V.phones(cells.get("phones", []))
        if "emails" in self.targets and (full or cells.get("emails")):
            out["emails"] = V.emails(cells.get("emails", []))
        if "birthday" in self.targets and (full or cells.get("birthday")):
            raw = self.one(cells, "birthday")
            text = V.text(raw).strip()
            if text in ("0/0/00", "00.00.0000", "--"):
                raw = None  # Outlook's "no birthday"
            no_year = _NO_YEAR.match(text)
            if no_year:  # vCard 4's --MMDD: a day without a year; kept in the notes
                raw = None
                note = _("Birthday: {day}.{month} (no year given)").format(
                    day=no_year[2], month=no_year[1]
                )
                out["notes"] = "\n".join(x for x in (out.get("notes", ""), note) if x)
            out["birthday"] = self.convert_field("birthday", V.day, raw)
        return out

    def _duplicate(self, client_id: int, data: Mapping[str, Any]) -> tuple[int, str] | None:
        found = matching.contact_by_email(
            self.s, self.actor, [fold(e) for e in data.get("emails", [])]
        )
        if found is not None:
            return found, _("same email")
        name = fold(data.get("full_name", ""))
        if name:
            for cid, fname in matching.contacts_of(self.s, client_id):
                if fold(fname) == name:
                    return cid, _("same name at the same client")
        return None

    def one_row(self, row: Any) -> Any:
        s, actor = self.s, self.actor
        cells = self.cells(row)
        if cells.get("id"):
            return self._edit(row.number, cells)
        data = self.data(cells, full=False)
        if not data.get("full_name"):
            raise RowError(_("the row has no name of the person"))
        client_id = self.client_ref(cells, create=True)
        made_client = ""
        if client_id is None:
            key = ("person", fold(data["full_name"]))
            if key not in self._clients:
                self._clients[key] = client_svc.create_client(
                    s, actor, {"name": data["full_name"], "kind": "person"}
                ).id
            client_id = self._clients[key]
            made_client = _("added as a private person: the row names no company")
        match = None if self.on_duplicate == "create" else self._duplicate(client_id, data)
        if match is None:
            made = contact_svc.create_contact(s, actor, client_id, data)
            return _outcome(row.number, "create", made.id, made_client)
        other, why = match
        note = _("duplicate of contact {id} ({why})").format(id=other, why=why)
        if self.on_duplicate == "skip":
            return _outcome(row.number, "skip", other, note)
        current = contact_svc.get_contact(s, actor, other)
        changes = merge_contact(current, data, fill_only=self.on_duplicate == "fill-empty")
        if not changes:
            return _outcome(row.number, "unchanged", other, note)
        contact_svc.update_contact(s, actor, other, version=current.version, changes=changes)
        return _outcome(row.number, "update", other, note)

    def _edit(self, number: int, cells: dict[str, list[Any]]) -> Any:
        contact_id = self.convert_field("id", V.integer, self.one(cells, "id"))
        try:
            current = contact_svc.get_contact(self.s, self.actor, contact_id)
        except (NotFound, Forbidden) as exc:
            raise RowError(f"{self.column('id')}: {exc}") from None
        self.check_version(cells, "contact", current)
        wanted = self.data(cells, full=True)
        changes: dict[str, Any] = {}
        for fld, value in wanted.items():
            if fld == "phones":
                if [clean(v) for v in value] != [p.raw for p in current.phones]:
                    changes[fld] = value
            elif fld == "emails":
                if [v.casefold() for v in value] != [e.address.casefold() for e in current.emails]:
                    changes[fld] = value
            elif value != getattr(current, fld):
                changes[fld] = value
        if not changes:
            return _outcome(number, "unchanged", contact_id)
        contact_svc.update_contact(
            self.s, self.actor, contact_id, version=current.version, changes=changes
        )
        return _outcome(number, "update", contact_id, ", ".join(sorted(changes)))


def merge_contact(
    current: ContactOut, data: Mapping[str, Any], *, fill_only: bool
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for fld in ("position", "notes", "character_notes", "birthday"):
        value = data.get(fld)
        if value in (None, ""):
            continue
        now = getattr(current, fld)
        if value != now and (not fill_only or not now):
            changes[fld] = value
    raws = [p.raw for p in current.phones]
    digits = {re.sub(r"\D", "", p.e164) for p in current.phones}
    more = [
        p
        for p in data.get("phones", [])
        if re.sub(r"\D", "", p)[-10:] not in {d[-10:] for d in digits}
    ]
    if more:
        changes["phones"] = raws + more
    have = {e.address.casefold() for e in current.emails}
    more_e = [e for e in data.get("emails", []) if e.casefold() not in have]
    if more_e:
        changes["emails"] = [e.address for e in current.emails] + more_e
    return changes


# -- interactions ----------------------------------------------------------------------


class InteractionHandler(Handler):
    entity = "interactions"
    service_fields: ClassVar[dict[str, str]] = {"when": "occurred_at"}

    def one_row(self, row: Any) -> Any:
        from termcrm.services import journal

        s, actor = self.s, self.actor
        cells = self.cells(row)
        when = self.convert_field(
            "occurred_at", V.moment, self.one(cells, "occurred_at"), self.zone,
            at=self.one(cells, "time"),
        )  # fmt: skip
        kind = "call"
        if cells.get("kind"):
            try:
                kind = _choice(V.text(self.one(cells, "kind")), INTERACTIONS, journal.KINDS)
            except RowError as exc:
                raise RowError(f"{self.column('kind')}: {exc}") from None
        direction = "out"
        if cells.get("direction"):
            try:
                direction = _choice(
                    V.text(self.one(cells, "direction")), DIRECTIONS, journal.DIRECTIONS
                )
            except RowError as exc:
                raise RowError(f"{self.column('direction')}: {exc}") from None
        client_id = self.client_ref(cells)
        if client_id is None:
            raise RowError(_("the row names no client"))
        contact_id = None
        if cells.get("contact_id"):
            contact_id = self.convert_field("contact_id", V.integer, self.one(cells, "contact_id"))
        elif cells.get("contact"):
            name = fold(V.text(self.one(cells, "contact")))
            for cid, fname in matching.contacts_of(s, client_id):
                if fold(fname) == name:
                    contact_id = int(cid)
                    break
            else:
                raise RowError(
                    _("{column}: client {id} has no contact person '{name}'").format(
                        column=self.column("contact"),
                        id=client_id,
                        name=V.text(self.one(cells, "contact")),
                    )
                )
        user_id = self.user_id("user", cells["user"]) if cells.get("user") else None
        purpose = clean(V.text(self.one(cells, "purpose")))
        result = "\n".join(V.multiline(v) for v in cells.get("result", []))
        deal_id = (
            self.convert_field("deal_id", V.integer, self.one(cells, "deal_id"))
            if cells.get("deal_id")
            else None
        )
        if self.on_duplicate != "create":
            same = matching.interactions_at(s, client_id, kind, when)
            for other, other_purpose in same:
                if fold(other_purpose) == fold(purpose):
                    return _outcome(
                        row.number,
                        "skip",
                        other,
                        _("already in the journal as entry {id}").format(id=other),
                    )
        made = journal.log_interaction(
            s, actor, kind=kind, client_id=client_id, contact_id=contact_id, deal_id=deal_id,
            direction=direction, occurred_at=when, purpose=purpose, result=result, user_id=user_id,
        )  # fmt: skip
        return _outcome(row.number, "create", made.id)


# -- deals -----------------------------------------------------------------------------


class DealHandler(Handler):
    entity = "deals"

    def pipeline_ref(self, cells: Mapping[str, list[Any]]) -> int | None:
        """The pipeline a row names (by name or id); None: the default pipeline."""
        from termcrm.services import pipelines

        ref = clean(V.text(self.one(cells, "pipeline")))
        if not ref:
            return None
        try:
            return pipelines.pipeline_id(self.s, ref)
        except Invalid as exc:
            raise RowError(f"{self.column('pipeline')}: {exc.errors['pipeline']}") from None

    def one_row(self, row: Any) -> Any:
        from termcrm.services import deals

        s, actor = self.s, self.actor
        cells = self.cells(row)
        title = clean(V.text(self.one(cells, "title")))
        client_id = self.client_ref(cells)
        if client_id is None:
            raise RowError(_("the row names no client"))
        stage = clean(V.text(self.one(cells, "stage"))) or None
        lost_reason = clean(V.text(self.one(cells, "lost_reason")))
        pipeline_id = self.pipeline_ref(cells)  # an unknown one rejects the row, duplicate or not
        if self.on_duplicate != "create":
            for other, other_title, version in matching.deals_of(s, client_id):
                if fold(other_title) == fold(title):
                    note = _("already in the CRM as deal {id}").format(id=other)
                    if self.on_duplicate == "skip" or stage is None:
                        return _outcome(row.number, "skip", other, note)
                    before = deals.get_deal(s, actor, other)
                    after = deals.move_deal(
                        s, actor, other, version=version, stage=stage, lost_reason=lost_reason
                    )
                    action = "update" if after.version != before.version else "unchanged"
                    return _outcome(row.number, action, other, note)
        amount = (
            self.convert_field("amount", V.money, self.one(cells, "amount"))
            if cells.get("amount")
            else 0
        )
        currency = clean(V.text(self.one(cells, "currency"))).upper() or "RUB"
        expected = self.convert_field("expected_close", V.day, self.one(cells, "expected_close"))
        owner_id = self.user_id("owner", cells["owner"]) if cells.get("owner") else None
        lost = False
        if stage is not None:
            found = [x for x in deals.stages(s, pipeline_id) if fold(x.name) == fold(stage)]
            lost = bool(found) and found[0].outcome == "lost"
        made = deals.add_deal(
            s, actor, title=title, client_id=client_id, amount=amount, currency=currency,
            stage=None if lost else stage, owner_id=owner_id, expected_close=expected,
            source=clean(V.text(self.one(cells, "source"))),
            competitor=clean(V.text(self.one(cells, "competitor"))),
            description="\n".join(V.multiline(v) for v in cells.get("description", [])),
            pipeline=pipeline_id, kind=clean(V.text(self.one(cells, "kind"))),
        )  # fmt: skip
        if lost:
            deals.move_deal(
                s, actor, made.id, version=made.version, stage=stage or "", lost_reason=lost_reason
            )
        return _outcome(row.number, "create", made.id)


# the sales facts and plans: exchange.sales_records.FACT_HANDLERS
HANDLERS: dict[str, type[Handler]] = {
    "clients": ClientHandler,
    "contacts": ContactHandler,
    "interactions": InteractionHandler,
    "deals": DealHandler,
}
