"""Custom field definitions and validation of the values stored on records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import require_admin
from termcrm.services.actor import Actor
from termcrm.services.audit import record
from termcrm.services.dto import CustomFieldOut
from termcrm.services.errors import Invalid
from termcrm.services.text import clean
from termcrm.store.tables import CustomField, table
from termcrm.store.types import utcnow

field_t = table(CustomField)
KINDS = ("number", "text", "date", "choice")
ENTITIES = ("client", "contact", "deal")
# one whole sentence for each kind of record a field is defined on
_FIELD_EXISTS = {
    "client": N_("a client field '{key}' already exists"),
    "contact": N_("a contact field '{key}' already exists"),
    "deal": N_("a deal field '{key}' already exists"),
}
# TRANSLATORS: {entity} is a record kind as stored, left untranslated.
_FIELD_EXISTS_OTHER = N_("a {entity} field '{key}' already exists")


def _out(r: Any) -> CustomFieldOut:
    return CustomFieldOut(
        id=r.id,
        entity=r.entity,
        key=r.key,
        label=r.label,
        kind=r.kind,
        choices=list(r.choices or []),
        required=r.required,
    )


def define_field(
    s: Session,
    actor: Actor,
    *,
    key: str,
    kind: str,
    label: str = "",
    entity: str = "client",
    choices: list[str] | None = None,
    required: bool = False,
) -> CustomFieldOut:
    require_admin(actor, N_("define a custom field"))
    errors: dict[str, str] = {}
    key = clean(key)
    if not key or not key.replace("_", "").isalnum():
        errors["key"] = _("use letters, digits and underscores")
    if kind not in KINDS:
        errors["kind"] = _("must be one of {choices}").format(choices=", ".join(KINDS))
    if entity not in ENTITIES:
        errors["entity"] = _("must be one of {choices}").format(choices=", ".join(ENTITIES))
    choices = [clean(c) for c in (choices or []) if clean(c)]
    if kind == "choice" and not choices:
        errors["choices"] = _("a choice field needs at least one choice")
    exists = s.execute(
        sa.select(field_t.c.id).where(field_t.c.entity == entity, field_t.c.key == key)
    ).first()
    if exists:
        errors["key"] = _(_FIELD_EXISTS.get(entity, _FIELD_EXISTS_OTHER)).format(
            entity=entity, key=key
        )
    if errors:
        raise Invalid(errors)
    now = utcnow()
    new_id = s.execute(
        sa.insert(field_t)
        .values(
            entity=entity,
            key=key,
            label=clean(label) or key,
            kind=kind,
            choices=choices,
            required=required,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(field_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="custom_field",
        entity_id=new_id,
        client_id=None,
        version=1,
        changes={"key": [None, key], "kind": [None, kind]},
    )
    return list_fields(s, entity, only_id=new_id)[0]


def list_fields(
    s: Session, entity: str = "client", *, only_id: int | None = None
) -> list[CustomFieldOut]:
    q = sa.select(field_t).where(field_t.c.entity == entity, field_t.c.deleted_at.is_(None))
    if only_id is not None:
        q = q.where(field_t.c.id == only_id)
    return [_out(r) for r in s.execute(q.order_by(field_t.c.key))]


def _coerce(defn: CustomFieldOut, value: Any) -> Any:
    if value is None or value == "":
        return None
    if defn.kind == "number":
        try:
            number = Decimal(str(value).replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("'{value}' is not a number").format(value=value)) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if defn.kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(
                _("'{value}' is not a date (use YYYY-MM-DD)").format(value=value)
            ) from None
    if defn.kind == "choice":
        text = clean(str(value))
        if text not in defn.choices:
            raise ValueError(
                _("'{value}' is not one of: {choices}").format(
                    value=text, choices=", ".join(defn.choices)
                )
            )
        return text
    return clean(str(value))


def validate_values(
    s: Session, entity: str, values: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Check custom values against the definitions; return the merged, coerced mapping.

    A value of None or "" removes the field.
    """
    return check_values(list_fields(s, entity), values, base=base)


def check_values(
    fields: list[CustomFieldOut],
    values: Mapping[str, Any],
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """:func:`validate_values` against definitions already loaded (a bulk caller's)."""
    definitions = {d.key: d for d in fields}
    merged = dict(base or {})
    errors: dict[str, str] = {}
    for key, value in values.items():
        defn = definitions.get(key)
        if defn is None:
            if definitions:
                errors[f"custom.{key}"] = _("no such custom field (known: {known})").format(
                    known=", ".join(sorted(definitions))
                )
            else:
                errors[f"custom.{key}"] = _("no such custom field (known: none defined)")
            continue
        try:
            coerced = _coerce(defn, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = str(exc)
            continue
        if coerced is None:
            merged.pop(key, None)
        else:
            merged[key] = coerced
    for key, defn in definitions.items():
        if defn.required and key not in merged and f"custom.{key}" not in errors:
            errors[f"custom.{key}"] = _("is required")
    if errors:
        raise Invalid(errors)
    return merged
