"""The demo's sales facts: shipments and payments as the accounting system would load
them, and the sales plans of the current year.

Everything here draws from a random stream of its own, so the rest of the demo stays
as it was for a seed. Per client, by its status (``lead`` and ``prospect`` buy
nothing yet; ``new`` began in the last half year; ``active`` and ``loyal`` ship most
months; ``lapsed`` stopped 4-12 months ago, ``lost`` 12-24): over the last
:data:`MONTHS` months, documents of 1-3 lines of products of the client's language at
the price list's prices, sized to the client's group, with a season and a slow growth;
about 1.5% of lines come back (a return: negative quantity and amount). Most documents
are paid 0-60 days later, some in two parts, some not yet (receivables). The manager
of a sale is the client's owner. Plans: per rep and per department (Sales, Wholesale,
Retail) per month of the current year, in RUB, near what was sold in the same month a
year before (some above, some below).
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from random import Random
from typing import Any, Protocol

MONTHS = 30  # months of shipments, this one included
CENT = Decimal("0.01")
RETURN_SHARE = 0.015  # lines that come back
# roubles a client of each group buys in a month, about
SCALE = {
    "large wholesale": 400_000,
    "trade network": 700_000,
    "small wholesale": 120_000,
    "own retail": 30_000,
}
PERSON_SCALE = 8_000
# the chance of an order in a month, by status
ORDER_CHANCE = {"new": 0.7, "active": 0.6, "loyal": 0.85, "lapsed": 0.5, "lost": 0.4}
PERSON_FACTOR = 0.3
# more before the new year, less in January and in summer
SEASON = (0.7, 0.85, 1.0, 1.0, 1.0, 0.9, 0.85, 0.85, 1.05, 1.1, 1.15, 1.35)
GROWTH = 0.008  # a month
DOC_PREFIX = {"ru": "РН", "en": "INV", "zh": "XS"}
RETURN_PREFIX = {"ru": "ВЗ", "en": "CR", "zh": "TH"}
PAY_PREFIX = {"ru": "ПП", "en": "PMT", "zh": "SK"}
PLAN_CURRENCY = "RUB"


class Product(Protocol):
    """A product of the demo catalog (``generator._Product``), read only."""

    @property
    def id(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def service(self) -> bool: ...
    @property
    def prices(self) -> dict[str, Decimal]: ...


@dataclass(frozen=True, slots=True)
class Buyer:
    """What the facts of one client depend on."""

    id: int
    owner: int
    loc_code: str
    currency: str
    status: str
    group: str
    person: bool
    since: date  # when the client came: no sale before


def month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), UTC)


class SalesFacts:
    """Makes the facts client by client; the plans once every client is done."""

    def __init__(self, rng: Random, today: date, rates: dict[str, Decimal]) -> None:
        self.rng = rng
        self.today = today
        self.now = datetime.now(UTC)  # no row is stamped later than this
        self.rates = rates
        self.months = [month_start(today, back) for back in range(MONTHS - 1, -1, -1)]
        self.docs = 0
        self.payments = 0
        # RUB sold per (manager, first day of month): the plans' base
        self.sold: dict[tuple[int, date], Decimal] = defaultdict(Decimal)

    def _span(self, status: str) -> tuple[int, int] | None:
        """The months (indexes into ``self.months``, end excluded) a client buys in."""
        rng, n = self.rng, MONTHS
        if status == "new":
            return n - rng.randint(1, 6), n
        if status in ("active", "loyal"):
            return (0 if rng.random() < 0.7 else rng.randrange(n - 6)), n
        if status == "lapsed":
            return rng.randrange(0, 8), n - rng.randint(4, 12)
        if status == "lost":
            return 0, n - rng.randint(12, 24)
        return None

    def client(
        self,
        buyer: Buyer,
        catalog: Sequence[Product],
        out: dict[str, list[dict[str, Any]]],
    ) -> None:
        rng = self.rng
        span = self._span(buyer.status)
        if span is None or not catalog:
            return
        start = next((i for i, m in enumerate(self.months) if m >= buyer.since), MONTHS)
        span = (max(span[0], start), span[1])
        chance = ORDER_CHANCE[buyer.status] * (PERSON_FACTOR if buyer.person else 1.0)
        scale = PERSON_SCALE if buyer.person else SCALE.get(buyer.group, 100_000)
        rate = self.rates[buyer.currency]
        for index in range(*span):
            if rng.random() >= chance:
                continue
            first = self.months[index]
            last_day = monthrange(first.year, first.month)[1]
            if first.year == self.today.year and first.month == self.today.month:
                last_day = self.today.day
            size = scale * SEASON[first.month - 1] * (1 + GROWTH * index)
            for _ in range(1 if rng.random() < 0.85 else 2):
                day = first.replace(day=rng.randint(1, last_day))
                self._document(buyer, catalog, day, Decimal(size) / rate, out)

    def _document(
        self,
        buyer: Buyer,
        catalog: Sequence[Product],
        day: date,
        target: Decimal,
        out: dict[str, list[dict[str, Any]]],
    ) -> None:
        rng = self.rng
        self.docs += 1
        number = f"{self.docs:06d}"
        document = f"{DOC_PREFIX[buyer.loc_code]}-{number}"
        total = Decimal(0)
        lines = rng.sample(list(catalog), min(rng.choice((1, 1, 2, 2, 3)), len(catalog)))
        for line, product in enumerate(lines, 1):
            price = product.prices[buyer.currency]
            if product.service:
                quantity = Decimal(rng.randint(1, 8))
            else:
                share = target / len(lines) * Decimal(rng.uniform(0.5, 1.5))
                quantity = max(Decimal(1), (share / price).quantize(Decimal(1)))
            amount = (quantity * price).quantize(CENT)
            total += amount
            out["shipment"].append(
                self._line(
                    buyer, product, day, quantity, amount, document, f"1C-RN-{number}-{line}"
                )
            )
            if rng.random() < RETURN_SHARE:
                back_on = day + timedelta(days=rng.randint(5, 30))
                if back_on <= self.today:
                    back = -max(Decimal(1), (quantity / 3).quantize(Decimal(1)))
                    out["shipment"].append(
                        self._line(
                            buyer, product, back_on, back, (back * price).quantize(CENT),
                            f"{RETURN_PREFIX[buyer.loc_code]}-{number}",
                            f"1C-VZ-{number}-{line}",
                        )
                    )  # fmt: skip
                    if buyer.currency == PLAN_CURRENCY:
                        self.sold[(buyer.owner, month_start(back_on, 0))] += back * price
        if buyer.currency == PLAN_CURRENCY:
            self.sold[(buyer.owner, month_start(day, 0))] += total
        self._pay(buyer, day, total, out)

    def _line(
        self,
        buyer: Buyer,
        product: Product,
        day: date,
        quantity: Decimal,
        amount: Decimal,
        document: str,
        external_id: str,
    ) -> dict[str, Any]:
        at = min(_stamp(day), self.now)
        return {
            "shipped_on": day,
            "client_id": buyer.id,
            "product_id": product.id,
            "product_group": product.category,
            "quantity": quantity,
            "amount": amount,
            "currency": buyer.currency,
            "document": document,
            "manager_id": buyer.owner,
            "external_id": external_id,
            "created_at": at,
            "updated_at": at,
        }

    def _pay(
        self, buyer: Buyer, day: date, total: Decimal, out: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Most documents paid in full 0-60 days later, some in two parts, some not yet."""
        rng = self.rng
        due = day + timedelta(days=rng.randint(0, 60))
        r = rng.random()
        if r < 0.82:
            parts = [(due, total)]
        elif r < 0.92:
            first = (total * Decimal(rng.uniform(0.3, 0.7))).quantize(CENT)
            parts = [(due, first), (due + timedelta(days=rng.randint(15, 45)), total - first)]
        elif (self.today - day).days < 120:
            parts = []  # not paid yet
        else:
            parts = [(due + timedelta(days=rng.randint(60, 120)), total)]
        for paid_on, amount in parts:
            if paid_on > self.today or amount <= 0:
                continue
            self.payments += 1
            number = f"{self.payments:06d}"
            at = min(_stamp(paid_on), self.now)
            out["payment"].append(
                {
                    "paid_on": paid_on,
                    "client_id": buyer.id,
                    "amount": amount,
                    "currency": buyer.currency,
                    "document": f"{PAY_PREFIX[buyer.loc_code]}-{number}",
                    "external_id": f"1C-PP-{number}",
                    "created_at": at,
                    "updated_at": at,
                }
            )

    def plans(
        self, reps: dict[str, list[tuple[int, int]]], departments: dict[str, int]
    ) -> list[dict[str, Any]]:
        """The plans of the current year: each rep's, in RUB, near last year's sales of the
        same month (+8%, then 0.85-1.2 of that); Wholesale's and Retail's the sum of their
        reps' and a little more; Sales' the sum of both."""
        rng = self.rng
        year = self.today.year
        at = _stamp(date(year, 1, 1))
        rows: list[dict[str, Any]] = []
        step = Decimal(10_000)

        def row(month: date, amount: Decimal, user: int | None, dept: int | None) -> None:
            rows.append(
                {
                    "month": month,
                    "user_id": user,
                    "department_id": dept,
                    "amount": max(step, (amount / step).quantize(Decimal(1)) * step),
                    "currency": PLAN_CURRENCY,
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )

        for m in range(1, 13):
            month = date(year, m, 1)
            a_year_ago = date(year - 1, m, 1)
            whole = Decimal(0)
            for key in ("wholesale", "retail"):
                team_total = Decimal(0)
                for user_id, _dept in reps.get(key, []):
                    base = self.sold.get((user_id, a_year_ago), Decimal(0))
                    if base <= 0:
                        known = [v for (u, _), v in self.sold.items() if u == user_id and v > 0]
                        base = sum(known, Decimal(0)) / len(known) if known else step
                    amount = base * Decimal("1.08") * Decimal(rng.uniform(0.85, 1.2))
                    row(month, amount, user_id, None)
                    team_total += rows[-1]["amount"]
                if key in departments:
                    row(month, team_total * Decimal(rng.uniform(1.0, 1.05)), None, departments[key])
                    whole += rows[-1]["amount"]
            if "sales" in departments:
                row(month, whole, None, departments["sales"])
        return rows
