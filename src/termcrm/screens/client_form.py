"""Create or edit a client: every field of the card in one scrolling form.

Saving sends only the fields that differ from the version the form was loaded
from. A validation error shows its message under the field and keeps whatever
was typed. If somebody else saved the client meanwhile, the conflict dialog says
who changed what; the user reloads or keeps editing (their changed fields then
go over the new version; the fields they left alone take the new values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Select, Static, TextArea

from termcrm.i18n import N_, _
from termcrm.labels import field_label, value_label
from termcrm.screens.base import CrmScreen
from termcrm.services import clients, custom_fields, org
from termcrm.services.actor import REP, Actor
from termcrm.services.contact_points import ADDRESS_KINDS
from termcrm.services.dto import ClientOut, CustomFieldOut, UserOut
from termcrm.services.errors import Conflict, CrmError, Invalid
from termcrm.widgets.client_picker import ClientPicker
from termcrm.widgets.conflict_dialog import Choice, ConflictDialog, FieldTexts
from termcrm.widgets.dialogs import ErrorDialog
from termcrm.widgets.form_fields import (
    FieldRow,
    FormField,
    clear_errors,
    errors_summary,
    join_items,
    picker_unresolved,
    show_errors,
    split_items,
)
from termcrm.widgets.top_bar import TopBar

TEXT_FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "group",
    "industry",
    "territory",
    "city",
    "source",
    "website",
)
MULTILINE_FIELDS = ("bank_details", "business_info")
LIST_FIELDS = ("tags", "phones", "emails")
FIELDS = (
    *TEXT_FIELDS,
    *MULTILINE_FIELDS,
    *LIST_FIELDS,
    "kind",
    "status",
    "owner_id",
    "parent_id",
    "addresses",
)
ADDRESS_PARTS = ("kind", "country", "postcode", "city", "line")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_texts(values: Mapping[str, Any]) -> dict[str, str]:
    """Form values as people read them, for the conflict dialog."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return "; ".join(
                ", ".join(str(v) for v in item.values() if v)
                if isinstance(item, dict)
                else str(item)
                for item in value
            )
        return value_label(value) if isinstance(value, str) else str(value)

    return {field: text(value) for field, value in values.items()}


def client_values(client: ClientOut | None, owner_id: int | None = None) -> dict[str, Any]:
    """A client in the shape the form holds it; custom fields as ``custom.<key>``."""
    if client is None:
        values: dict[str, Any] = {f: "" for f in (*TEXT_FIELDS, *MULTILINE_FIELDS)}
        values.update(
            kind="company",
            status="lead",
            owner_id=owner_id,
            parent_id=None,
            tags=[],
            phones=[],
            emails=[],
            addresses=[],
        )
        return values
    values = {f: getattr(client, f) or "" for f in (*TEXT_FIELDS, *MULTILINE_FIELDS)}
    values.update(
        kind=client.kind,
        status=client.status,
        owner_id=client.owner_id,
        parent_id=client.parent_id,
        tags=list(client.tags),
        phones=[p.raw for p in client.phones],
        emails=[e.address for e in client.emails],
        addresses=[
            {part: getattr(a, part) or "" for part in ADDRESS_PARTS} for a in client.addresses
        ],
    )
    values.update({f"custom.{k}": _text(v) for k, v in client.custom.items()})
    return values


def same(field: str, a: Any, b: Any) -> bool:
    """Whether two values of a field mean the same (spacing aside)."""
    if field in TEXT_FIELDS or field.startswith("custom."):
        return _text(a).strip() == _text(b).strip()
    if field in MULTILINE_FIELDS:
        return [line.strip() for line in _text(a).strip().splitlines()] == [
            line.strip() for line in _text(b).strip().splitlines()
        ]
    if field == "tags":
        return sorted(set(a or [])) == sorted(set(b or []))
    if field == "addresses":
        return [_address_key(x) for x in a or []] == [_address_key(x) for x in b or []]
    return bool(a == b)


def _address_key(address: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        _text(address.get(p)).strip().upper()
        if p == "country"
        else _text(address.get(p)).strip() or ("actual" if p == "kind" else "")
        for p in ADDRESS_PARTS
    )


def changed_fields(values: Mapping[str, Any], base: Mapping[str, Any]) -> list[str]:
    """Fields whose value in the form differs from ``base`` (custom fields as custom.<key>)."""
    names = [*FIELDS, *sorted({k for k in (*values, *base) if k.startswith("custom.")})]
    out = []
    for f in names:
        if f == "owner_id" and values.get(f) is None:
            continue  # no owner chosen: the owner stays as it is
        if not same(f, values.get(f), base.get(f)):
            out.append(f)
    return out


def service_changes(values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The fields, as update_client / create_client take them."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.startswith("custom."):
            text = _text(values.get(f)).strip()
            out.setdefault("custom", {})[f.removeprefix("custom.")] = text or None
        elif f in TEXT_FIELDS:
            out[f] = _text(values[f]).strip()
        else:
            out[f] = values[f]
    return out


@dataclass(frozen=True)
class Loaded:
    """What the form needs, read in one call."""

    actor: Actor
    client: ClientOut | None
    parent_name: str
    fields: list[CustomFieldOut]
    users: list[UserOut]


def load_form(client_id: int | None, s: Any, a: Actor) -> Loaded:
    client = clients.get_client(s, a, client_id) if client_id is not None else None
    parent_name = ""
    if client is not None and client.parent_id is not None:
        try:
            parent_name = clients.get_client(s, a, client.parent_id).name
        except CrmError:
            parent_name = f"#{client.parent_id}"
    users = org.users_in_reach(s, a) if a.role != REP else []
    return Loaded(a, client, parent_name, custom_fields.list_fields(s, "client"), users)


def user_choice(user: UserOut) -> str:
    name = user.full_name or user.login
    department = user.department.rsplit(" / ", 1)[-1]
    return f"{name} · {department}" if department else name


class AddressList(Vertical):
    """The client's addresses: kind, country, postcode and city on a line, the street below."""

    DEFAULT_CSS = """
    AddressList { height: auto; }
    AddressList .address { height: auto; margin-bottom: 1; }
    AddressList .address-parts { height: auto; }
    AddressList .address-parts Select { width: 16; }
    AddressList .address-parts .a-country { width: 13; }
    AddressList .address-parts .a-postcode { width: 14; }
    AddressList .address-parts .a-city { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Button(_("+ Address"), id="add-address", compact=True)

    def set_addresses(self, addresses: Iterable[Mapping[str, Any]]) -> None:
        """Show these addresses, and one empty address to fill in."""
        for block in self.query(".address"):
            block.remove()
        for address in addresses:
            self.add_address(address)
        self.add_address()

    def add_address(self, address: Mapping[str, Any] | None = None) -> Vertical:
        address = address or {}
        kind = _text(address.get("kind")) or "actual"
        kinds = list(ADDRESS_KINDS) + ([kind] if kind not in ADDRESS_KINDS else [])
        block = Vertical(
            Horizontal(
                Select(
                    [(value_label(k), k) for k in kinds],
                    allow_blank=False,
                    value=kind,
                    classes="a-kind",
                ),
                Input(
                    _text(address.get("country")),
                    placeholder=_("Country"),
                    max_length=2,
                    classes="a-country",
                ),
                Input(
                    _text(address.get("postcode")),
                    placeholder=_("Postcode"),
                    classes="a-postcode",
                ),
                Input(_text(address.get("city")), placeholder=_("City"), classes="a-city"),
                classes="address-parts",
            ),
            Input(
                _text(address.get("line")),
                placeholder=_("Street, building, office"),
                classes="a-line",
            ),
            classes="address",
        )
        self.mount(block, before=self.query_one("#add-address"))
        return block

    def values(self) -> list[dict[str, str]]:
        """The addresses typed (those without a city or a street are left out)."""
        out = []
        for block in self.query(".address"):
            kind = block.query_one(".a-kind", Select).selection
            address = {"kind": str(kind or "actual")}
            for part in ("country", "postcode", "city", "line"):
                address[part] = block.query_one(f".a-{part}", Input).value.strip()
            if address["line"] or address["city"]:
                out.append(address)
        return out

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-address":
            event.stop()
            block = self.add_address()
            self.call_after_refresh(lambda: block.query_one(".a-kind", Select).focus())


class ClientFormScreen(CrmScreen[int | None]):
    """A new client (``client_id=None``) or an edit; dismisses with the saved id or None."""

    DEFAULT_CSS = """
    ClientFormScreen #form-title { height: 1; padding: 0 1; text-style: bold; }
    ClientFormScreen #custom-fields { height: auto; }
    ClientFormScreen .form-buttons { height: auto; align-horizontal: right; padding: 1 0; }
    ClientFormScreen .form-buttons Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
    ]

    def __init__(self, client_id: int | None) -> None:
        super().__init__()
        self.client_id = client_id
        self.current_client_id = client_id
        self.loaded: Loaded | None = None
        self.base: dict[str, Any] = client_values(None)
        self.version: int | None = None
        self.parent_name = ""
        self._owner_options: list[tuple[str, int]] = []
        self._custom_controls: dict[str, Input | Select[str]] = {}
        self._saving = False

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar("clients")
        yield Static(self._title(), id="form-title", markup=False)
        with VerticalScroll(classes="form", id="form"):
            yield FormField("name", Input(id="f-name"))
            with FieldRow():
                yield FormField(
                    "kind",
                    Select(
                        [(value_label(k), k) for k in clients.KINDS],
                        allow_blank=False,
                        value="company",
                        id="f-kind",
                    ),
                )
                yield FormField(
                    "status",
                    Select(
                        [(value_label(s), s) for s in clients.STATUSES],
                        allow_blank=False,
                        value="lead",
                        id="f-status",
                    ),
                )
            yield FormField("legal_name", Input(id="f-legal_name"))
            with FieldRow():
                yield FormField("tax_id", Input(id="f-tax_id"))
                yield FormField("group", Input(id="f-group"))
            with FieldRow():
                yield FormField("industry", Input(id="f-industry"))
                yield FormField("source", Input(id="f-source"))
            with FieldRow():
                yield FormField("territory", Input(id="f-territory"))
                yield FormField("city", Input(id="f-city"))
            with FieldRow():
                yield FormField("website", Input(id="f-website"))
                yield FormField("owner_id", Select([], prompt="…", id="f-owner_id"))
            yield FormField(
                "parent_id",
                ClientPicker(
                    placeholder=_("Type a part of the parent client's name"),
                    compact=False,
                    id="f-parent_id",
                ),
            )
            yield FormField(
                "tags", Input(id="f-tags", placeholder=_("comma separated: vip, wholesale"))
            )
            yield FormField(
                "phones", Input(id="f-phones", placeholder=_("comma separated: +7 495 123-45-67"))
            )
            yield FormField(
                "emails", Input(id="f-emails", placeholder=_("comma separated: info@example.com"))
            )
            yield FormField("addresses", AddressList(id="f-addresses"))
            yield FormField("bank_details", TextArea(id="f-bank_details"))
            yield FormField("business_info", TextArea(id="f-business_info"))
            yield Vertical(id="custom-fields", classes="custom-fields")
            with Horizontal(classes="form-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")
        yield Footer(compact=True)

    def _title(self) -> str:
        if self.client_id is None:
            return _("New client")
        if self.loaded is None or self.loaded.client is None:
            return _("Edit client")
        return _("Edit “{name}” (version {version})").format(
            name=self.loaded.client.name, version=self.version
        )

    def _control(self, field: str) -> Any:
        return self.query_one(f"#f-{field}")

    def on_mount(self) -> None:
        self.query_one("#form").disabled = True
        client_id = self.client_id

        def failed(error: Exception) -> bool:
            self.dismiss(None)
            return False  # the app shows why

        self.call(lambda s, a: load_form(client_id, s, a), self._loaded, failed=failed)

    def _loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        client = loaded.client
        self.base = client_values(client, owner_id=loaded.actor.id)
        self.version = client.version if client is not None else None
        self.parent_name = loaded.parent_name
        users = loaded.users or []
        self._owner_options = [(user_choice(u), u.id) for u in users]
        owner_id = self.base["owner_id"]
        if owner_id is not None and owner_id not in {v for _l, v in self._owner_options}:
            name = client.owner if client is not None else loaded.actor.display
            self._owner_options.append((name or f"#{owner_id}", owner_id))
        owner = self._control("owner_id")
        owner.set_options(self._owner_options)
        owner.disabled = loaded.actor.role == REP
        self._mount_custom_fields(loaded.fields, self.base)
        self._fill(self.base, skip=[f"custom.{d.key}" for d in loaded.fields])
        self.query_one("#form-title", Static).update(self._title())
        form = self.query_one("#form")
        form.disabled = False
        self.call_after_refresh(self._control("name").focus)

    def _mount_custom_fields(
        self, definitions: list[CustomFieldOut], values: Mapping[str, Any]
    ) -> None:
        """One field per custom field definition, showing ``values``."""
        fields: list[FormField] = []
        for d in definitions:
            label = d.label or d.key
            if d.required:
                label += " *"
            value = _text(values.get(f"custom.{d.key}"))
            control: Input | Select[str]
            if d.kind == "choice":
                choices = [*d.choices, *([value] if value and value not in d.choices else [])]
                control = Select(
                    [(c, c) for c in choices],
                    prompt=_("(none)"),
                    value=value or Select.NULL,
                    id=f"f-custom-{d.key}",
                )
            else:
                hint = {"number": _("a number"), "date": _("YYYY-MM-DD")}.get(d.kind, "")
                control = Input(value, placeholder=hint, id=f"f-custom-{d.key}")
            self._custom_controls[d.key] = control
            fields.append(FormField(f"custom.{d.key}", control, label=label))
        rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
        self.query_one("#custom-fields").mount_all(FieldRow(*row) for row in rows)

    def _custom_keys(self) -> list[str]:
        return list(self._custom_controls)

    def _fill(self, values: Mapping[str, Any], skip: Iterable[str] = ()) -> None:
        """Put values into the controls, leaving the fields in ``skip`` as they are."""
        skipped = set(skip)
        for f in (*TEXT_FIELDS, *LIST_FIELDS):
            if f not in skipped:
                value = values.get(f)
                self._control(f).value = (
                    join_items(value) if isinstance(value, list) else _text(value)
                )
        for f in MULTILINE_FIELDS:
            if f not in skipped:
                self._control(f).load_text(_text(values.get(f)))
        for f in ("kind", "status"):
            if f not in skipped:
                self._select_value(self._control(f), values.get(f))
        if "owner_id" not in skipped and values.get("owner_id") is not None:
            owner_id = values["owner_id"]
            if owner_id not in {v for _l, v in self._owner_options}:
                self._owner_options.append((f"#{owner_id}", owner_id))
                self._control("owner_id").set_options(self._owner_options)
            self._control("owner_id").value = owner_id
        if "parent_id" not in skipped:
            self._control("parent_id").set_client(values.get("parent_id"), self.parent_name)
        if "addresses" not in skipped:
            self._control("addresses").set_addresses(values.get("addresses") or [])
        for key in self._custom_keys():
            f = f"custom.{key}"
            if f in skipped:
                continue
            control: Any = self._custom_controls[key]
            value = _text(values.get(f))
            if isinstance(control, Select):
                self._select_value(control, value or None)
            else:
                control.value = value

    @staticmethod
    def _select_value(select: Select[Any], value: Any) -> None:
        if value is None or value == "":
            if select._allow_blank:
                select.clear()
            return
        legal = [v for _l, v in select._options]
        if value not in legal:
            options = [(p, v) for p, v in select._options if v is not Select.NULL]
            select.set_options([*options, (value_label(str(value)), value)])
        select.value = value

    def _read(self) -> dict[str, Any]:
        """What the form holds now, in the shape of ``client_values``."""
        values: dict[str, Any] = {}
        for f in TEXT_FIELDS:
            values[f] = self._control(f).value.strip()
        for f in MULTILINE_FIELDS:
            values[f] = self._control(f).text.strip()
        for f in LIST_FIELDS:
            values[f] = split_items(self._control(f).value)
        values["kind"] = self._control("kind").selection
        values["status"] = self._control("status").selection
        values["owner_id"] = self._control("owner_id").selection
        values["parent_id"] = self._control("parent_id").client_id
        values["addresses"] = self._control("addresses").values()
        for key in self._custom_keys():
            control: Any = self._custom_controls[key]
            if isinstance(control, Select):
                values[f"custom.{key}"] = _text(control.selection)
            else:
                values[f"custom.{key}"] = control.value.strip()
        return values

    def changes(self) -> dict[str, Any]:
        """The fields changed since the version the form is based on, for update_client."""
        values = self._read()
        return service_changes(values, changed_fields(values, self.base))

    def _create_data(self, values: Mapping[str, Any]) -> dict[str, Any]:
        data = service_changes(values, [f for f in FIELDS if f != "owner_id"])
        typed = service_changes(values, [f for f in values if f.startswith("custom.")])
        custom = {k: v for k, v in typed.get("custom", {}).items() if v is not None}
        if custom:
            data["custom"] = custom
        rep = self.loaded is None or self.loaded.actor.role == REP
        if not rep and values.get("owner_id") is not None:
            data["owner_id"] = values["owner_id"]
        return data

    # -- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving or self.loaded is None:
            return
        values = self._read()
        local: dict[str, str] = {}
        if not values["name"]:
            local["name"] = _("a client needs a name")
        if picker_unresolved(self._control("parent_id")):
            local["parent_id"] = _("choose a client from the list, or clear the box")
        if local:
            self._show_invalid(local)
            return
        clear_errors(self)
        if self.client_id is None:
            data = self._create_data(values)
            self._saving = True
            self.call(
                lambda s, a: clients.create_client(s, a, data),
                self._saved,
                write=True,
                failed=self._save_failed,
            )
            return
        changes = service_changes(values, changed_fields(values, self.base))
        if not changes:
            self.notify(_("Nothing to save: no field was changed."))
            self.dismiss(self.client_id)
            return
        client_id, version = self.client_id, self.version
        assert version is not None
        self._saving = True
        self.call(
            lambda s, a: clients.update_client(s, a, client_id, version=version, changes=changes),
            self._saved,
            write=True,
            failed=self._save_failed,
        )

    def _saved(self, client: ClientOut) -> None:
        self._saving = False
        self.notify(_("“{name}” saved.").format(name=client.name))
        self.dismiss(client.id)

    def _save_failed(self, error: Exception) -> bool:
        self._saving = False
        if isinstance(error, Invalid):
            self._show_invalid(error.errors)
            return True
        if isinstance(error, Conflict):
            self._conflict(error)
            return True
        return False  # Forbidden, NotFound...: the app's error dialog says why

    def _show_invalid(self, errors: Mapping[str, str]) -> None:
        if len(errors) > 1:
            self.notify(errors_summary(errors), severity="error", markup=False)
        first, rest = show_errors(self, errors)
        if first is not None:
            first.focus_control()
        if rest:
            self.app.push_screen(
                ErrorDialog(
                    "\n".join(f"{field_label(f)}: {m}" for f, m in rest.items()),
                    title=_("Cannot save"),
                )
            )

    # -- conflicts -------------------------------------------------------------------------

    def _conflict(self, conflict: Conflict) -> None:
        """Read the version they saved, then show what they changed it to."""
        client_id = self.client_id
        self.call(
            lambda s, a: load_form(client_id, s, a),
            lambda loaded: self._show_conflict(conflict, loaded),
        )

    def _show_conflict(self, conflict: Conflict, loaded: Loaded) -> None:
        typed = self._read()
        mine = {
            "custom" if f.startswith("custom.") else f for f in changed_fields(typed, self.base)
        }
        name = self.loaded.client.name if self.loaded and self.loaded.client else None
        people = {u.id: u.full_name or u.login for u in loaded.users}
        if loaded.client is not None and loaded.client.owner_id is not None:
            people.setdefault(loaded.client.owner_id, loaded.client.owner)

        def texts_of(values: Mapping[str, Any]) -> dict[str, str]:
            out = _as_texts(values)
            owner = values.get("owner_id")
            out["owner_id"] = people.get(owner, str(owner or "")) if owner else ""
            return out

        texts = FieldTexts(
            texts_of(self.base), texts_of(typed), texts_of(client_values(loaded.client))
        )

        def chosen(choice: Choice | None) -> None:
            if choice is not None:
                self._rebase(loaded, keep=choice == "keep")

        self.app.push_screen(ConflictDialog(conflict, mine=mine, subject=name, texts=texts), chosen)

    def _rebase(self, loaded: Loaded, *, keep: bool) -> None:
        """Base the form on the current version: reload it all, or keep my changed fields."""
        assert loaded.client is not None
        new_base = client_values(loaded.client)
        mine = changed_fields(self._read(), self.base) if keep else []
        self.loaded = Loaded(
            loaded.actor, loaded.client, loaded.parent_name, self._fields(), loaded.users
        )
        self.version = loaded.client.version
        if "parent_id" not in mine:
            self.parent_name = loaded.parent_name
        self._fill(new_base, skip=mine)
        self.base = new_base
        self.query_one("#form-title", Static).update(self._title())
        if keep:
            self.notify(
                _("Your changes are kept over version {version}; save to apply them.").format(
                    version=self.version
                )
            )
        else:
            clear_errors(self)
            self.notify(_("Reloaded version {version}.").format(version=self.version))

    def _fields(self) -> list[CustomFieldOut]:
        return self.loaded.fields if self.loaded else []

    # -- leaving -----------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.close_unless_typed(
            self.loaded is not None and bool(changed_fields(self._read(), self.base))
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
        elif event.button.id == "cancel":
            event.stop()
            self.action_cancel()
