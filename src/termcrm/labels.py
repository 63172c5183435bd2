"""Names of fields and of stored values (statuses, kinds) in the interface language.

The database keeps stable English codes ("lead", "call"); the interface shows
them translated. ``N_`` marks the names for the catalogs; ``label`` translates.
"""

from __future__ import annotations

from termcrm.i18n import N_, _

FIELDS = {
    "name": N_("Name"),
    "legal_name": N_("Legal name"),
    "kind": N_("Kind"),
    "tax_id": N_("Tax id"),
    "group": N_("Group"),
    "status": N_("Status"),
    "industry": N_("Industry"),
    "territory": N_("Territory"),
    "city": N_("City"),
    "source": N_("Source"),
    "website": N_("Website"),
    "bank_details": N_("Bank details"),
    "business_info": N_("Business information"),
    "owner": N_("Owner"),
    "owner_id": N_("Owner"),
    "department": N_("Department"),
    "parent_id": N_("Parent client"),
    "tags": N_("Tags"),
    "phones": N_("Phones"),
    "emails": N_("Emails"),
    "addresses": N_("Addresses"),
    "custom": N_("Custom fields"),
    "last_interaction_at": N_("Last contact"),
    "next_task_at": N_("Next task"),
    "full_name": N_("Full name"),
    "position": N_("Position"),
    "birthday": N_("Birthday"),
    "character_notes": N_("Character"),
    "notes": N_("Notes"),
    "client": N_("Client"),
    "client_id": N_("Client"),
    "contact": N_("Contact"),
    "contact_id": N_("Contact"),
    "direction": N_("Direction"),
    "occurred_at": N_("When"),
    "purpose": N_("Purpose"),
    "result": N_("Result"),
    "user": N_("Who"),
    "title": N_("Title"),
    "due_at": N_("Due"),
    "assignee": N_("Assignee"),
    "amount": N_("Amount"),
    "stage": N_("Stage"),
    "expected_close": N_("Expected close"),
    "duration_min": N_("Duration, minutes"),
    "remind_before_min": N_("Reminder, minutes before"),
    "rrule": N_("Repeats"),
    "series_start": N_("Repeats from"),
    "series_tz": N_("Time zone"),
    "series_id": N_("Repeating task"),
    "cancel_reason": N_("Cancel reason"),
    "interaction_id": N_("Journal entry"),
    "ical_uid": N_("Calendar UID"),
    "completed_at": N_("Done at"),
    "birthday_remind_days": N_("Remind days before the birthday"),
    "month": N_("Month"),
    "day": N_("Day"),
    "year": N_("Year"),
    "remind_days": N_("Remind days before"),
    "deleted_at": N_("Deleted"),
    "created_at": N_("Created"),
    "updated_at": N_("Updated"),
    "version": N_("Version"),
}

VALUES = {
    # client kinds and statuses
    "company": N_("company"),
    "person": N_("person"),
    "lead": N_("lead"),
    "prospect": N_("prospect"),
    "new": N_("new"),
    "active": N_("active"),
    "loyal": N_("loyal"),
    "lapsed": N_("lapsed"),
    "lost": N_("lost"),
    # interaction and task kinds, directions, task statuses
    "call": N_("call"),
    "meeting": N_("meeting"),
    "email": N_("email"),
    "letter": N_("letter"),
    "visit": N_("visit"),
    "message": N_("message"),
    "other": N_("other"),
    "in": N_("incoming"),
    "out": N_("outgoing"),
    "open": N_("open"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
    # significant dates
    "birthday": N_("birthday"),
    "foundation": N_("foundation day"),
    "holiday": N_("professional holiday"),
    "contract": N_("contract anniversary"),
    # address and phone kinds
    "legal": N_("legal"),
    "actual": N_("actual"),
    "postal": N_("postal"),
    "delivery": N_("delivery"),
    "mobile": N_("mobile"),
    "work": N_("work"),
    # roles
    "rep": N_("rep"),
    "manager": N_("manager"),
    "director": N_("director"),
    "admin": N_("admin"),
}


def field_label(field: str) -> str:
    """A field's name for people; custom fields (custom.key) keep their key."""
    if field.startswith("custom."):
        return field.removeprefix("custom.")
    return _(FIELDS[field]) if field in FIELDS else field


def value_label(value: str) -> str:
    """A stored code (a status, a kind) for people; other text is shown as it is."""
    return _(VALUES[value]) if value in VALUES else value
