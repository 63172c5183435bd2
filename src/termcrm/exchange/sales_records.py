"""Turning rows into sales facts and plans: shipments and payments from the accounting
system (1C and the like), and the monthly sales plans.

Facts are upserted by their external id (``services.sales_facts``): loading the same
file again changes nothing, a changed row updates its fact, and a row without an
external id always adds a new one. ``--on-duplicate`` does not apply to them: the
accounting system is the truth. A plan is one per user (or department), month and
currency: a row for a plan that exists sets its amount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy.exc import DBAPIError

from termcrm.exchange import values as V
from termcrm.exchange.records import Handler, RowError, _outcome
from termcrm.i18n import _
from termcrm.services import org, products, sales_facts, sales_plans
from termcrm.services.actor import REP, Actor
from termcrm.services.errors import CrmError, Forbidden, Invalid, NotFound
from termcrm.services.imports import UPSERTED
from termcrm.services.text import clean, fold

_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's (1900) date serials
_SERIALS = range(20_000, 80_001)  # 1954 .. 2119: a number in a date column is a serial
_YEAR_MONTH = re.compile(r"^(\d{4})[-./年](\d{1,2})月?$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-./](\d{4})$")
ACTIONS = {"create": "create", "update": "update", "skip": "unchanged"}


def excel_serial(value: Any) -> date | None:
    """A date an Excel serial number stands for (a date cell read as a plain number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = V.text(value).strip()
    if not text.replace(".", "", 1).isdigit():
        return None
    number = float(text)
    if int(number) not in _SERIALS:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(number))


def parse_day(value: Any) -> date:
    """A day from a date cell, ISO or 25.11.2026 text, or an Excel serial number."""
    found = excel_serial(value)
    if found is not None:
        return found
    day = V.day(value)
    if day is None:
        raise ValueError(_("the date is empty"))
    return day


def parse_month(value: Any) -> date:
    """The first day of a month given as 2026-12, 12.2026, any day of it, or a serial."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    found = excel_serial(value)
    if found is not None:
        return found.replace(day=1)
    text = clean(V.text(value))
    if not text:
        raise ValueError(_("the month is empty"))
    parts = _YEAR_MONTH.match(text)
    year_month = (int(parts[1]), int(parts[2])) if parts else None
    if parts is None and (parts := _MONTH_YEAR.match(text)):
        year_month = (int(parts[2]), int(parts[1]))
    if year_month is not None:
        if 1 <= year_month[1] <= 12:
            return date(year_month[0], year_month[1], 1)
    else:
        try:
            day = V.day(text)
        except ValueError:
            day = None
        if day is not None:
            return day.replace(day=1)
    raise ValueError(
        _("'{value}' is not a month (use 2026-12, 12.2026 or a date)").format(value=text)
    )


class _FactHandler(Handler):
    """What shipments and payments share: the loader's right, dates, amounts, clients."""

    service_fields: ClassVar[dict[str, str]] = {}

    @classmethod
    def check_actor(cls, actor: Actor) -> None:
        sales_facts.require_load(actor)

    def day(self, cells: Mapping[str, list[Any]], fld: str) -> date:
        return self.convert_field(fld, parse_day, self.one(cells, fld))

    def amount(self, cells: Mapping[str, list[Any]], fld: str) -> Decimal:
        if not cells.get(fld):
            raise RowError(f"{self.column(fld)}: " + _("the amount is empty"))
        return self.convert_field(fld, V.money, self.one(cells, fld))

    def client(self, cells: Mapping[str, list[Any]]) -> int:
        client_id = self.client_ref(cells)  # never creates one: facts are of known clients
        if client_id is None:
            raise RowError(_("the row names no client"))
        return client_id

    def text(self, cells: Mapping[str, list[Any]], fld: str) -> str:
        return clean(V.text(self.one(cells, fld)))

    def currency(self, cells: Mapping[str, list[Any]]) -> str:
        return self.text(cells, "currency").upper() or "RUB"

    def external_id(self, cells: Mapping[str, list[Any]]) -> str | None:
        return self.text(cells, "external_id") or None

    def item(self, cells: Mapping[str, list[Any]]) -> Any:  # pragma: no cover - overridden
        """The fact a row's cells stand for (RowError when a cell does not read)."""
        raise NotImplementedError

    def save(self, items: list[Any]) -> list[sales_facts.Loaded]:  # pragma: no cover
        raise NotImplementedError

    def process(self, chunk: list[Any]) -> list[Any]:
        """A chunk of rows in one go: each row read into a fact (or rejected with its
        reason), then the facts saved together (``sales_facts.save_shipments``). When the
        database refuses the batch for a reason no check knew of, the rows go again one
        by one, so that only the row at fault is rejected."""
        out: dict[int, Any] = {}
        cells: list[tuple[Any, dict[str, list[Any]]]] = []
        for row in chunk:
            problems = self.problems(row)
            if problems:
                out[row.number] = _outcome(row.number, "reject", reason="; ".join(problems))
            else:
                cells.append((row, self.cells(row)))
        self.prefetch_clients(c for _row, c in cells)
        read: list[tuple[Any, Any]] = []
        for row, row_cells in cells:
            try:
                read.append((row, self.item(row_cells)))
            except RowError as exc:
                out[row.number] = _outcome(row.number, "reject", reason=str(exc))
            except CrmError as exc:
                out[row.number] = _outcome(row.number, "reject", reason=self.reason(exc))
        try:
            with self.s.begin_nested():
                results = self.save([item for _row, item in read])
        except DBAPIError:
            return super().process(chunk)
        for (row, _item), result in zip(read, results, strict=True):
            if isinstance(result, CrmError):
                out[row.number] = _outcome(row.number, "reject", reason=self.reason(result))
            else:
                out[row.number] = _outcome(row.number, ACTIONS[result.action], result.id)
        return [out[row.number] for row in chunk]

    def one_row(self, row: Any) -> Any:
        (result,) = self.save([self.item(self.cells(row))])
        if isinstance(result, CrmError):
            raise result
        return _outcome(row.number, ACTIONS[result.action], result.id)


class ShipmentHandler(_FactHandler):
    entity = "shipments"
    service_fields: ClassVar[dict[str, str]] = {"product": "product", "manager": "manager"}

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._products: dict[tuple[str, str], int] = {}

    def product_id(self, cells: Mapping[str, list[Any]]) -> int | None:
        """The product a row names by SKU (first) or by name or id; None when it names none."""
        for fld in ("product_sku", "product"):
            ref = self.text(cells, fld)
            if not ref:
                continue
            key = (fld, fold(ref))
            if key not in self._products:
                try:
                    self._products[key] = products.find_product(self.s, ref).id
                except NotFound as exc:
                    raise RowError(f"{self.column(fld)}: {exc}") from None
                except Invalid as exc:
                    raise RowError(f"{self.column(fld)}: {exc.errors['product']}") from None
            return self._products[key]
        return None

    def manager_id(self, values: list[Any]) -> int:
        """The user a sale counts as: an active user, or one who has left since (a sale of
        theirs stays theirs), by login or by a full name nobody else has."""
        try:
            return self.user_id("manager", values)
        except RowError:
            for value in values:
                key = fold(V.text(value))
                if key in self._logins:
                    return self._logins[key]
                if len(self._names.get(key, [])) == 1:
                    return self._names[key][0]
            raise

    def item(self, cells: Mapping[str, list[Any]]) -> sales_facts.ShipmentIn:
        shipped_on = self.day(cells, "shipped_on")
        amount = self.amount(cells, "amount")
        quantity = (
            self.convert_field("quantity", V.money, self.one(cells, "quantity"))
            if cells.get("quantity")
            else Decimal(0)
        )
        client_id = self.client(cells)
        manager_id = self.manager_id(cells["manager"]) if cells.get("manager") else None
        return sales_facts.ShipmentIn(
            shipped_on=shipped_on, client_id=client_id, amount=amount,
            currency=self.currency(cells), product_id=self.product_id(cells),
            product_group=self.text(cells, "product_group"), quantity=quantity,
            document=self.text(cells, "document"), manager_id=manager_id,
            external_id=self.external_id(cells),
        )  # fmt: skip

    def save(self, items: list[Any]) -> list[sales_facts.Loaded]:
        return sales_facts.save_shipments(self.s, self.actor, items)


class PaymentHandler(_FactHandler):
    entity = "payments"

    def item(self, cells: Mapping[str, list[Any]]) -> sales_facts.PaymentIn:
        paid_on = self.day(cells, "paid_on")
        amount = self.amount(cells, "amount")
        return sales_facts.PaymentIn(
            paid_on=paid_on, client_id=self.client(cells), amount=amount,
            currency=self.currency(cells), document=self.text(cells, "document"),
            external_id=self.external_id(cells),
        )  # fmt: skip

    def save(self, items: list[Any]) -> list[sales_facts.Loaded]:
        return sales_facts.save_payments(self.s, self.actor, items)


class PlanHandler(Handler):
    entity = "plans"
    service_fields: ClassVar[dict[str, str]] = {"target": "user"}

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._departments: dict[str, int] = {}

    @classmethod
    def check_actor(cls, actor: Actor) -> None:
        if actor.role == REP:
            raise Forbidden(_("a rep cannot set sales plans; ask your manager"))

    def department_id(self, cells: Mapping[str, list[Any]]) -> int:
        ref = clean(V.text(self.one(cells, "department")))
        if fold(ref) not in self._departments:
            try:
                self._departments[fold(ref)] = org.find_department(self.s, ref)
            except NotFound as exc:
                raise RowError(f"{self.column('department')}: {exc}") from None
            except Invalid as exc:
                raise RowError(f"{self.column('department')}: {exc.errors['department']}") from None
        return self._departments[fold(ref)]

    def one_row(self, row: Any) -> Any:
        s, actor = self.s, self.actor
        cells = self.cells(row)
        month = self.convert_field("month", parse_month, self.one(cells, "month"))
        if not cells.get("amount"):
            raise RowError(f"{self.column('amount')}: " + _("the amount is empty"))
        amount = self.convert_field("amount", V.money, self.one(cells, "amount"))
        currency = clean(V.text(self.one(cells, "currency"))).upper() or "RUB"
        if cells.get("user") and cells.get("department"):
            raise RowError(
                _(
                    "a plan is for one user or for one department: the row gives both "
                    "({user} and {department})"
                ).format(user=self.column("user"), department=self.column("department"))
            )
        user_id = self.user_id("user", cells["user"]) if cells.get("user") else None
        department_id = self.department_id(cells) if cells.get("department") else None
        if user_id is None and department_id is None:
            raise RowError(_("the row names no user and no department"))
        before = sales_plans.plans(
            s, actor, period=(month, month), user_id=user_id, department_id=department_id
        )
        same = [
            p
            for p in before
            if p.currency == currency
            and p.user_id == user_id
            and (user_id is not None or p.department_id == department_id)
        ]
        made = sales_plans.set_plan(
            s, actor, month=month, amount=amount, currency=currency,
            user_id=user_id, department_id=department_id,
        )  # fmt: skip
        if not same:
            return _outcome(row.number, "create", made.id)
        return _outcome(
            row.number, "unchanged" if made.version == same[0].version else "update", made.id
        )


FACT_HANDLERS: dict[str, type[Handler]] = {
    "shipments": ShipmentHandler,
    "payments": PaymentHandler,
    "plans": PlanHandler,
}
# `termcrm import undo` cannot take these back (facts are upserted without history)
NO_UNDO = UPSERTED  # the same set services.imports.undo_import refuses
assert set(FACT_HANDLERS) == UPSERTED
