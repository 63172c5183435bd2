"""The demo generator: names from seeded Faker pools, combined into clients and history."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from termcrm.services.deal_items import line_amount
from termcrm.services.demo import words as w
from termcrm.services.demo.sales import Buyer, SalesFacts
from termcrm.services.text import build_search_body, fold
from termcrm.services.validation import inn_with_checksum
from termcrm.store import bulk
from termcrm.store.tables import (
    Address,
    Client,
    ClientTag,
    Contact,
    Deal,
    DealItem,
    DealStageChange,
    Department,
    Email,
    Interaction,
    Payment,
    Phone,
    PriceList,
    PriceListItem,
    Product,
    SalesPlan,
    Shipment,
    SignificantDate,
    Task,
    User,
    table,
)
from termcrm.store.types import utcnow

client_t = table(Client)
tag_t = table(ClientTag)
contact_t = table(Contact)
address_t = table(Address)
phone_t = table(Phone)
email_t = table(Email)
deal_t = table(Deal)
item_t = table(DealItem)
history_t = table(DealStageChange)
product_t = table(Product)
price_list_t = table(PriceList)
price_t = table(PriceListItem)
# roubles per unit of each demo currency: deal sizes and the price lists' conversions
RATES = {"RUB": Decimal(1), "USD": Decimal(90), "CNY": Decimal(12)}
ITEM_SHARE = 0.6  # deals with line items (their amount follows the items)
LINES = (1, 1, 2, 2, 2, 3, 3, 4, 5)  # lines per such deal
DISCOUNTS = (0, 0, 0, 0, 0, 0, 3, 5, 5, 7, 10, 15)  # percent off a line
CENT = Decimal("0.01")
# the types of deal a team speaks of, in the language of the clients of each currency
DEAL_KINDS = {
    "RUB": ("Новый клиент", "Повторная продажа", "Допродажа"),
    "USD": ("New business", "Repeat sale", "Upsell"),
    "CNY": ("新客户", "复购", "增购"),
}
interaction_t = table(Interaction)
task_t = table(Task)
date_t = table(SignificantDate)
user_t = table(User)
dept_t = table(Department)


POOL = 400  # names per Faker pool
_DURATIONS = {"call": 15, "meeting": 60, "visit": 90}  # minutes a planned task takes
MAX_PARENTS = 2000  # companies per owner remembered as possible parents of branches

TABLES: dict[str, sa.Table] = {
    "client": client_t,
    "client_tag": tag_t,
    "contact": contact_t,
    "address": address_t,
    "phone": phone_t,
    "email": email_t,
    "deal": deal_t,
    "deal_item": item_t,
    "deal_stage_history": history_t,
    "interaction": interaction_t,
    "task": task_t,
    "significant_date": date_t,
    "shipment": table(Shipment),
    "payment": table(Payment),
}
plan_t = table(SalesPlan)
# written once, before the first batch (Generator.catalog)
CATALOG_TABLES: dict[str, sa.Table] = {
    "product": product_t,
    "price_list": price_list_t,
    "price_list_item": price_t,
}


@dataclass(frozen=True, slots=True)
class Team:
    logins: tuple[str, ...]
    ids: dict[str, int]  # login -> id
    reps: dict[str, list[tuple[int, int]]]  # department key -> [(user id, department id)]
    managers: dict[int, int]  # department id -> manager's user id
    departments: dict[str, int] = field(default_factory=dict)  # key -> department id


# ---------------------------------------------------------------- name pools


@dataclass(slots=True)
class Pools:
    """Names drawn once from Faker (seeded); the generator combines them."""

    first_m: list[str] = field(default_factory=list)
    first_f: list[str] = field(default_factory=list)
    last_m: list[str] = field(default_factory=list)
    last_f: list[str] = field(default_factory=list)
    middle_m: list[str] = field(default_factory=list)
    middle_f: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    roman_first: list[str] = field(default_factory=list)
    roman_last: list[str] = field(default_factory=list)


def _unique(make: Callable[[], str], n: int = POOL) -> list[str]:
    found: dict[str, None] = {}
    for _ in range(n * 3):
        found[make()] = None
        if len(found) >= n:
            break
    return list(found)


def make_pools(seed: int) -> dict[str, Pools]:
    from faker import Faker  # slow to import: only when demo data is made

    pools: dict[str, Pools] = {}
    for offset, loc in enumerate(w.LOCALES):
        fake = Faker(loc.faker)
        fake.seed_instance(seed * 31 + offset)
        p = Pools()
        if loc.code == "ru":
            p.first_m = _unique(fake.first_name_male)
            p.first_f = _unique(fake.first_name_female)
            p.last_m = _unique(fake.last_name_male)
            p.last_f = _unique(fake.last_name_female)
            p.middle_m = _unique(fake.middle_name_male)
            p.middle_f = _unique(fake.middle_name_female)
            p.streets = _unique(fake.street_name)
        elif loc.code == "en":
            p.first_m = _unique(fake.first_name_male)
            p.first_f = _unique(fake.first_name_female)
            p.last_m = p.last_f = _unique(fake.last_name)
            p.streets = _unique(fake.street_name)
        else:
            p.first_m = p.first_f = _unique(fake.first_name)
            p.last_m = p.last_f = _unique(fake.last_name, 100)
            p.streets = _unique(fake.street_name)
            p.districts = _unique(fake.district, 100)
            p.brands = [b for b in _unique(fake.company_prefix, 100) if len(b) == 2]
            p.domains = _unique(fake.domain_word)
            p.roman_first = _unique(fake.first_romanized_name, 100)
            p.roman_last = _unique(fake.last_romanized_name, 100)
        pools[loc.code] = p
    return pools


# ---------------------------------------------------------------- generator

_SLUG_DROP = re.compile(r"[^a-z0-9-]+")
_DAY = 86400


def _slug(text: str) -> str:
    out = "".join(w.RU_TRANSLIT.get(ch, ch) for ch in text.casefold())
    out = _SLUG_DROP.sub("", out.replace(" ", "-").replace("&", "-"))
    return re.sub(r"-{2,}", "-", out).strip("-") or "mail"


class _Weighted:
    """Fast weighted choice: a cumulative table and one random number."""

    def __init__(self, items: Sequence[Any], weights: Sequence[int]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


@dataclass(slots=True)
class _Company:
    """An earlier company a branch can hang under."""

    id: int
    loc: w.Locale
    name: str
    legal_name: str
    tax_id: str
    group: str
    city: w.City
    domain: str


@dataclass(frozen=True, slots=True)
class _Product:
    """A product of the demo catalog, with its price in each demo currency."""

    id: int
    sku: str
    name: str
    unit: str
    service: bool  # sold by the hour or the trip: a few at a time
    prices: dict[str, Decimal]
    category: str = ""


@dataclass(slots=True)
class _Pending:
    """One client under construction, with everything that hangs off it."""

    row: dict[str, Any]
    loc: w.Locale
    owner: int
    manager: int
    phones: list[dict[str, Any]]  # the client's own
    emails: list[dict[str, Any]]
    city: w.City
    contacts: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]
    contact_ids: list[int] = field(default_factory=list)


class Generator:
    def __init__(
        self,
        rng: Random,
        pools: dict[str, Pools],
        team: Team,
        *,
        pipeline_id: int,
        stages: list[tuple[int, str]],
        history: bool,
    ) -> None:
        self.rng = rng
        # the planner's additions (durations, reminders, repeating tasks, company dates)
        # draw from a stream of their own: the rest of the demo stays as it was
        self.plan_rng = Random(str(rng.getstate()[1][:8]))
        # and so do the line items of deals (the deals themselves stay as they were)
        self.item_rng = Random("items" + str(rng.getstate()[1][:8]))
        self.products: dict[str, list[_Product]] = {}  # locale code -> its catalog
        # and so do the sales facts (shipments, payments, plans)
        self.sales = SalesFacts(
            Random("sales" + str(rng.getstate()[1][:8])), utcnow().date(), RATES
        )
        self.pools = pools
        self.history = history
        self.now = utcnow()
        self.today = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.locales = _Weighted(w.LOCALES, w.LOCALE_WEIGHTS)
        self.groups = _Weighted(w.GROUPS, w.GROUP_WEIGHTS)
        self.statuses = _Weighted(w.STATUSES, w.STATUS_WEIGHTS)
        self.kinds = _Weighted(w.INTERACTION_KINDS, w.INTERACTION_WEIGHTS)
        self.ru_forms = _Weighted(
            [(a, b) for a, b, _ in w.RU_COMPANY_FORMS], [x for _, _, x in w.RU_COMPANY_FORMS]
        )
        self.en_suffixes = _Weighted(
            [(a, b) for a, b, _ in w.EN_SUFFIXES], [x for _, _, x in w.EN_SUFFIXES]
        )
        self.zh_suffixes = _Weighted([a for a, _ in w.ZH_SUFFIXES], [x for _, x in w.ZH_SUFFIXES])
        self.reps = team.reps
        self.managers = team.managers
        self.pipeline_id = pipeline_id
        self.open_stages = [i for i, outcome in stages if outcome == "open"]
        self.won_stage = next(i for i, outcome in stages if outcome == "won")
        self.lost_stage = next(i for i, outcome in stages if outcome == "lost")
        self.companies: dict[int, list[_Company]] = {}  # owner -> companies
        self.branches = 0

    # -- small helpers

    def _days_ago(self, low: float, high: float) -> datetime:
        seconds = int(self.rng.uniform(low, high) * _DAY)
        return self.today - timedelta(seconds=seconds)

    def _digits(self, n: int) -> str:
        return str(self.rng.randrange(10**n)).zfill(n)

    def _person(self, loc: w.Locale) -> tuple[str, str, str]:
        """(full name, first name, last name) in the order people write them."""
        p = self.pools[loc.code]
        rng = self.rng
        male = rng.random() < 0.5
        first = rng.choice(p.first_m if male else p.first_f)
        last = rng.choice(p.last_m if male else p.last_f)
        if loc.code == "ru":
            middle = rng.choice(p.middle_m if male else p.middle_f)
            return f"{last} {first} {middle}", first, last
        if loc.code == "zh":
            return f"{last}{first}", rng.choice(p.roman_first), rng.choice(p.roman_last)
        return f"{first} {last}", first, last

    def _phone(self, loc: w.Locale, city: w.City, *, mobile: bool) -> dict[str, Any]:
        """A phone valid for phonenumbers, with the forms replace_phones stores."""
        rng = self.rng
        ext = ""
        if loc.code == "ru":
            code = (
                rng.choice(("903", "905", "915", "916", "925", "926", "977", "985", "999"))
                if mobile
                else rng.choice(city.area_codes)
            )
            sub = self._digits(7)
            national = code + sub
            e164 = "+7" + national
            nat_digits = "8" + national
            prefix = "+7" if rng.random() < 0.7 else "8"
            body = f"{sub[:3]}-{sub[3:5]}-{sub[5:]}"
            raw = f"{prefix} {code} {body}" if mobile else f"{prefix} ({code}) {body}"
            if not mobile and rng.random() < 0.15:
                ext = str(rng.randint(100, 999))
                raw += f" доб. {ext}"
        elif loc.code == "en":
            code = rng.choice(city.area_codes)
            sub = str(rng.randint(200, 999)) + self._digits(4)
            national = code + sub
            e164 = "+1" + national
            nat_digits = national
            raw = f"+1 ({code}) {sub[:3]}-{sub[3:]}"
            if not mobile and rng.random() < 0.15:
                ext = str(rng.randint(10, 999))
                raw += f" ext. {ext}"
        else:
            if mobile:
                code = rng.choice(("135", "136", "138", "139", "150", "158", "186", "188"))
                sub = self._digits(8)
                nat_digits = code + sub
            else:
                code = rng.choice(city.area_codes)
                sub = str(rng.randint(5000, 6999)) + self._digits(4)
                nat_digits = "0" + code + sub
            national = code + sub
            e164 = "+86" + national
            raw = f"+86 {code} {sub[:4]} {sub[4:]}"
        return {
            "kind": "mobile" if mobile else "work",
            "raw": raw,
            "e164": e164,
            "digits": e164[1:],
            "extension": ext,
            # search_index.phone_terms(e164, raw), without parsing the number again
            "_terms": (e164[1:], nat_digits, "".join(ch for ch in raw if ch.isdigit())),
        }

    def _email(self, address: str) -> dict[str, Any]:
        # validation.normalise_email of an ASCII address: the address casefolded
        return {"kind": "work", "address": address, "normalized": address.casefold()}

    def _address(self, loc: w.Locale, city: w.City) -> dict[str, Any]:
        rng = self.rng
        p = self.pools[loc.code]
        street = rng.choice(p.streets)
        house = rng.randint(1, 180)
        if loc.code == "ru":
            line = f"{street}, д. {house}"
            if rng.random() < 0.5:
                line += f", офис {rng.randint(1, 450)}"
            postcode = (city.postcode + self._digits(6))[:6]
        elif loc.code == "en":
            line = f"{house} {street}"
            if rng.random() < 0.4:
                line += f", Suite {rng.randint(100, 2400)}"
            postcode = (city.postcode + self._digits(5))[:5]
        else:
            line = f"{rng.choice(p.districts)}区{street}{house}号"
            postcode = (city.postcode + self._digits(6))[:6]
        return {
            "kind": "actual",
            "country": loc.country,
            "postcode": postcode,
            "city": city.name,
            "line": line,
        }

    # -- clients

    def _company_names(self, loc: w.Locale, city: w.City) -> tuple[str, str, str]:
        """(name, legal name, email domain) of a new company."""
        rng = self.rng
        if loc.code == "ru":
            short, full = self.ru_forms.pick(rng)
            r = rng.random()
            if r < 0.12:
                core = "ТД " + rng.choice(self.pools["ru"].last_m)
            elif r < 0.2:
                core = rng.choice(self.pools["ru"].last_m) + " и партнёры"
            else:
                core = rng.choice(w.RU_BRANDS) + rng.choice(w.RU_BRAND_SUFFIXES)
            return f"{short} «{core}»", f"{full} «{core}»", _slug(core) + ".ru"
        if loc.code == "en":
            short, full = self.en_suffixes.pick(rng)
            last = self.pools["en"].last_m
            r = rng.random()
            if r < 0.35:
                core = f"{rng.choice(w.EN_WORDS)} {rng.choice(w.EN_TRADES)}"
            elif r < 0.6:
                core = f"{rng.choice(last)} {rng.choice(w.EN_TRADES)}"
            elif r < 0.8:
                core = f"{rng.choice(last)} & {rng.choice(last)}"
            else:
                core = rng.choice(w.EN_WORDS)
            return f"{core} {short}", f"{core}, {full}", _slug(core) + ".com"
        p = self.pools["zh"]
        brand = rng.choice(p.brands) + rng.choice(w.ZH_TRADES)
        name = f"{city.name}{brand}{self.zh_suffixes.pick(rng)}"
        domain = rng.choice(p.domains) + rng.choice((".cn", ".com.cn", ".com"))
        return name, name, domain

    def _inn(self, city: w.City, *, person: bool) -> str:
        office = f"{self.rng.randint(1, 51):02d}"
        if person:
            return inn_with_checksum(city.tax_region + office + self._digits(6))
        return inn_with_checksum(city.tax_region + office + self._digits(5))

    def _bank(self) -> str:
        bank, bik, corr = self.rng.choice(w.RU_BANKS)
        return f"р/с 40702810{self._digits(12)} в {bank}\nБИК {bik}, к/с {corr}"

    def _new_client(self, client_id: int) -> _Pending:
        rng = self.rng
        group = self.groups.pick(rng)
        dept_key = "wholesale" if group in w.WHOLESALE_GROUPS else "retail"
        owner, dept_id = rng.choice(self.reps[dept_key])
        branch_of: _Company | None = None
        earlier = self.companies.get(owner)
        person = rng.random() < 0.15
        if not person and earlier and rng.random() < 0.11:
            branch_of = rng.choice(earlier)
        parent_id = None
        tax_id = ""
        bank = ""
        if branch_of is not None:
            loc = branch_of.loc
            group = branch_of.group
            others = [c for c in loc.cities if c is not branch_of.city]
            city = rng.choice(others)
            if loc.code == "ru":
                name = f"{branch_of.name} (филиал, {city.name})"
                legal = f"Филиал {branch_of.legal_name} в г. {city.name}"
            elif loc.code == "en":
                name = f"{branch_of.name} – {city.name} branch"
                legal = f"{branch_of.legal_name} ({city.name} branch)"
            else:
                name = f"{branch_of.name}{city.name}分公司"
                legal = name
            domain = branch_of.domain
            tax_id = branch_of.tax_id
            parent_id = branch_of.id
            self.branches += 1
            kind = "company"
        else:
            loc = self.locales.pick(rng)
            city = rng.choice(loc.cities)
            if person:
                kind = "person"
                name, first, last = self._person(loc)
                legal = ""
                domain = rng.choice(loc.email_domains)
                if loc.code == "ru" and rng.random() < 0.5:
                    tax_id = self._inn(city, person=True)
            else:
                kind = "company"
                name, legal, domain = self._company_names(loc, city)
                if loc.code == "ru":
                    tax_id = self._inn(city, person=False)
                    bank = self._bank()
        created = self._days_ago(735, 1800)
        row: dict[str, Any] = {
            "id": client_id,
            "version": 1,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
            "kind": kind,
            "name": name,
            "name_key": fold(name),
            "legal_name": legal,
            "tax_id": tax_id,
            "client_group": group,
            "status": self.statuses.pick(rng),
            "industry": rng.choice(loc.industries),
            "territory": city.territory,
            "city": city.name,
            "source": rng.choice(loc.sources),
            "website": "" if kind == "person" or rng.random() < 0.3 else "www." + domain,
            "bank_details": bank,
            "business_info": "" if kind == "person" else rng.choice(loc.business_info),
            "owner_id": owner,
            "department_id": dept_id,
            "parent_id": parent_id,
            "custom": {},
            "last_interaction_at": None,
            "search_body": "",
        }
        if kind == "company":
            phones = [self._phone(loc, city, mobile=False)]
            if rng.random() < 0.4:
                phones.append(self._phone(loc, city, mobile=False))
            box = rng.choice(("info", "sales", "office", "zakaz" if loc.code == "ru" else "hello"))
            emails = [self._email(f"{box}@{domain}")]
            if branch_of is None:
                company = _Company(client_id, loc, name, legal, tax_id, group, city, domain)
                known = self.companies.setdefault(owner, [])
                if len(known) < MAX_PARENTS:
                    known.append(company)
                else:  # bounded memory for huge loads: replace a random earlier one
                    known[rng.randrange(MAX_PARENTS)] = company
        else:
            phones = [self._phone(loc, city, mobile=True)]
            local = f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}"
            emails = [self._email(f"{local}@{domain}")]
        pending = _Pending(
            row=row,
            loc=loc,
            owner=owner,
            manager=self.managers[dept_id],
            phones=phones,
            emails=emails,
            city=city,
            contacts=[],
        )
        if self.history and kind == "company":
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                pending.contacts.append(self._contact(loc, city, domain, created))
        return pending

    def _contact(
        self, loc: w.Locale, city: w.City, domain: str, created: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        full_name, first, last = self._person(loc)
        birthday = None
        if rng.random() < 0.7:
            birthday = date(rng.randint(1958, 2001), rng.randint(1, 12), rng.randint(1, 28))
        row = {
            "id": None,
            "version": 1,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
            "client_id": None,
            "full_name": full_name,
            "position": rng.choice(loc.positions),
            "birthday": birthday,
            "character_notes": rng.choice(loc.character_notes) if rng.random() < 0.6 else "",
            "notes": "",
        }
        phones = [self._phone(loc, city, mobile=True)]
        emails = []
        if rng.random() < 0.8:
            local = f"{_slug(first)[:1]}.{_slug(last)}" if loc.code == "ru" else None
            local = local or f"{_slug(first)}.{_slug(last)}"
            emails.append(self._email(f"{local}@{domain}"))
        return row, phones, emails

    # -- the product catalog

    def catalog(self, ids: bulk.IdAllocator) -> dict[str, list[dict[str, Any]]]:
        """Rows of the product catalog (each locale's products in its language) and of a
        default price list per demo currency pricing every product; remembered for the
        deals' line items."""
        at = self.today - timedelta(days=760)  # before the first deal
        entries = [(loc, entry) for loc in w.LOCALES for entry in loc.catalog]
        currencies = list(dict.fromkeys(loc.currency for loc in w.LOCALES))
        out: dict[str, list[dict[str, Any]]] = {
            "product": [],
            "price_list": [],
            "price_list_item": [],
        }
        for (loc, (sku, name, unit, category, price, service)), product_id in zip(
            entries, ids.take(product_t, len(entries)), strict=True
        ):
            native = Decimal(price)
            prices = {c: _convert(native, loc.currency, c) for c in currencies}
            product = _Product(product_id, sku, name, unit, service, prices, category)
            self.products.setdefault(loc.code, []).append(product)
            row = {
                "id": product_id,
                "sku": sku,
                "name": name,
                "unit": unit,
                "category": category,
                "description": "",
                "active": True,
            }
            out["product"].append(self._stamp(row, at))
        every = [p for products in self.products.values() for p in products]
        for currency, list_id in zip(
            currencies, ids.take(price_list_t, len(currencies)), strict=True
        ):
            loc = next(x for x in w.LOCALES if x.currency == currency)
            row = {
                "id": list_id,
                "name": f"{loc.price_list} {currency}",
                "currency": currency,
                "is_default": True,
            }
            out["price_list"].append(self._stamp(row, at))
            out["price_list_item"].extend(
                {"price_list_id": list_id, "product_id": p.id, "price": p.prices[currency]}
                for p in every
            )
        return out

    # -- one batch

    def batch(self, n: int, ids: bulk.IdAllocator) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        pending = [self._new_client(cid) for cid in ids.take(client_t, n)]
        contact_ids = iter(ids.take(contact_t, sum(len(p.contacts) for p in pending)))
        for p in pending:
            cid = p.row["id"]
            out["client"].append(p.row)
            tags = {rng.choice(p.loc.tags) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))}
            out["client_tag"].extend({"client_id": cid, "tag": t} for t in sorted(tags))
            out["address"].append(
                self._stamp(
                    {**self._address(p.loc, p.city), "client_id": cid, "contact_id": None},
                    p.row["created_at"],
                )
            )
            names: list[str] = []
            emails: list[str] = [e["normalized"] for e in p.emails]
            terms: list[str] = [t for ph in p.phones for t in ph.pop("_terms")]
            for ph in p.phones:
                out["phone"].append(
                    self._stamp({**ph, "client_id": cid, "contact_id": None}, p.row["created_at"])
                )
            for e in p.emails:
                out["email"].append(
                    self._stamp({**e, "client_id": cid, "contact_id": None}, p.row["created_at"])
                )
            for row, phones, cemails in p.contacts:
                row["id"] = next(contact_ids)
                row["client_id"] = cid
                row["owner_id"] = p.row["owner_id"]  # as the triggers would (store/owners.py)
                p.contact_ids.append(row["id"])
                out["contact"].append(row)
                names.append(row["full_name"])
                for ph in phones:
                    terms.extend(ph.pop("_terms"))
                    out["phone"].append(
                        self._stamp(
                            {**ph, "client_id": None, "contact_id": row["id"]}, row["created_at"]
                        )
                    )
                for e in cemails:
                    emails.append(e["normalized"])
                    out["email"].append(
                        self._stamp(
                            {**e, "client_id": None, "contact_id": row["id"]}, row["created_at"]
                        )
                    )
            # as search_index.refresh: names, tax id, city, contacts, emails, phones
            p.row["search_body"] = build_search_body(
                [
                    p.row["name"],
                    p.row["legal_name"],
                    p.row["tax_id"],
                    p.row["city"],
                    *names,
                    *emails,
                    *terms,
                ]
            )
        if self.history:
            self._history(pending, ids, out)
            for p in pending:
                buyer = Buyer(
                    id=p.row["id"],
                    owner=p.owner,
                    loc_code=p.loc.code,
                    currency=p.loc.currency,
                    status=p.row["status"],
                    group=p.row["client_group"],
                    person=p.row["kind"] == "person",
                    since=p.row["created_at"].date(),
                )
                self.sales.client(buyer, self.products.get(p.loc.code, []), out)
        return out

    def _stamp(self, row: dict[str, Any], at: datetime) -> dict[str, Any]:
        row["version"] = 1
        row["created_at"] = at
        row["updated_at"] = at
        row["deleted_at"] = None
        return row

    # -- deals, journal, tasks

    def _history(
        self, pending: list[_Pending], ids: bulk.IdAllocator, out: dict[str, list[dict[str, Any]]]
    ) -> None:
        rng = self.rng
        deal_plan: list[_Pending] = []
        for p in pending:
            if p.row["kind"] == "company":
                deal_count = rng.choice((0, 0, 0, 0, 1, 1, 1, 1, 2, 2))
            else:
                deal_count = 1 if rng.random() < 0.1 else 0
            deal_plan.extend(p for _ in range(deal_count))
        deals_of: dict[int, list[tuple[int, datetime]]] = {}
        for p, deal_id in zip(deal_plan, ids.take(deal_t, len(deal_plan)), strict=True):
            start = self._deal(p, deal_id, out)
            deals_of.setdefault(p.row["id"], []).append((deal_id, start))
        for p in pending:
            cid = p.row["id"]
            contacts = p.contact_ids
            my_deals = deals_of.get(cid, [])
            last: datetime | None = None
            for _ in range(rng.randint(1, 9)):
                kind = self.kinds.pick(rng)
                at = self.today - timedelta(seconds=rng.randrange(730 * _DAY))
                user = p.owner if rng.random() < 0.85 else p.manager
                linked: int | None = None
                if my_deals and rng.random() < 0.3:
                    d_id, d_start = rng.choice(my_deals)
                    if d_start <= at:
                        linked = d_id
                inbound = kind in ("email", "message", "call") and rng.random() < 0.35
                purpose = rng.choice(p.loc.purposes[kind])
                out["interaction"].append(
                    {
                        "version": 1,
                        "created_at": at,
                        "updated_at": at,
                        "deleted_at": None,
                        "kind": kind,
                        "direction": "in" if inbound else "out",
                        "occurred_at": at,
                        "purpose": purpose,
                        "result": rng.choice(p.loc.results),
                        "user_id": user,
                        "client_id": cid,
                        "contact_id": rng.choice(contacts) if contacts else None,
                        "deal_id": linked,
                    }
                )
                if last is None or at > last:
                    last = at
                if kind in ("call", "meeting", "visit") and rng.random() < 0.4:
                    due = at - timedelta(seconds=rng.randrange(2 * _DAY))
                    out["task"].append(
                        self._task(p, purpose, kind, due, user, status="done", completed=at)
                    )
            p.row["last_interaction_at"] = last
            if rng.random() < 0.6:
                due = self.today + timedelta(
                    days=rng.randint(-20, 40), hours=rng.choice((9, 10, 11, 14, 15, 16))
                )
                kind, title = rng.choice(p.loc.task_titles)
                out["task"].append(self._task(p, title, kind, due, p.owner, status="open"))
            self._planner_extras(p, out)

    def _planner_extras(self, p: _Pending, out: dict[str, list[dict[str, Any]]]) -> None:
        """A repeating task for one company in 40, company dates for about one in eight."""
        rng = self.plan_rng
        if p.row["kind"] != "company":
            return
        if rng.random() < 0.025:
            zone = ZoneInfo(p.loc.zone)
            local = self.now.astimezone(zone).date()
            first = local.replace(day=1)
            monday = first + timedelta(days=(7 - first.weekday()) % 7)
            if monday < local - timedelta(days=3):
                nxt = (first + timedelta(days=32)).replace(day=1)
                monday = nxt + timedelta(days=(7 - nxt.weekday()) % 7)
            due = datetime.combine(monday, time(10, 0), zone).astimezone(UTC)
            row = self._task(p, p.loc.series_title, "call", due, p.owner, status="open")
            row.update(
                rrule="FREQ=MONTHLY;BYDAY=1MO",
                series_start=due,
                series_tz=p.loc.zone,
                remind_before_min=30,
                duration_min=15,
            )
            out["task"].append(row)
        for (kind, title), chance in zip(p.loc.company_dates, (0.06, 0.04, 0.03), strict=False):
            if rng.random() >= chance:
                continue
            day = date(2000, 1, 1) + timedelta(days=rng.randrange(366))
            year = rng.randint(1992, 2024) if kind != "holiday" else None
            if year is not None and day.month == 2 and day.day == 29 and year % 4:
                year += 4 - year % 4
            out["significant_date"].append(
                {
                    "version": 1,
                    "created_at": p.row["created_at"],
                    "updated_at": p.row["created_at"],
                    "deleted_at": None,
                    "client_id": p.row["id"],
                    "owner_id": p.row["owner_id"],
                    "contact_id": None,
                    "kind": kind,
                    "title": title,
                    "month": day.month,
                    "day": day.day,
                    "month_day": day.month * 100 + day.day,
                    "year": year,
                    "remind_days": rng.choice((1, 3, 3, 7)),
                }
            )

    def _task(
        self,
        p: _Pending,
        title: str,
        kind: str,
        due: datetime,
        assignee: int,
        *,
        status: str,
        completed: datetime | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        created = min(due, self.now) - timedelta(days=rng.randint(1, 14))
        return {
            "version": 1,
            "created_at": created,
            "updated_at": completed or created,
            "deleted_at": None,
            "title": title,
            "kind": kind,
            "due_at": due,
            "assignee_id": assignee,
            "author_id": assignee if rng.random() < 0.8 else p.manager,
            "status": status,
            "notes": "",
            "client_id": p.row["id"],
            "contact_id": None,
            "deal_id": None,
            "completed_at": completed,
            "duration_min": _DURATIONS.get(kind),
            "remind_before_min": (
                15 if status == "open" and self.plan_rng.random() < 0.5 else None
            ),
            "rrule": "",
            "series_start": None,
            "series_tz": "",
        }

    def _deal(self, p: _Pending, deal_id: int, out: dict[str, list[dict[str, Any]]]) -> datetime:
        """One deal and its walk through the stages; returns when it started."""
        rng = self.rng
        r = rng.random()
        opened = self.open_stages
        if r < 0.46:
            path = opened[: rng.randint(1, len(opened))]
            outcome = "open"
        elif r < 0.76:
            path = [*opened, self.won_stage]
            outcome = "won"
        else:
            path = [*opened[: rng.randint(1, len(opened))], self.lost_stage]
            outcome = "lost"
        steps = [timedelta(days=rng.uniform(2, 30)) for _ in path[1:]]
        total = sum(steps, timedelta())
        if outcome == "open":
            end = self.today - timedelta(days=rng.uniform(0, 45))
        else:
            end = self.today - timedelta(days=rng.uniform(0, max(1.0, 700 - total.days)))
        start = end - total
        when = [start]
        for step in steps:
            when.append(when[-1] + step)
        for i, stage_id in enumerate(path):
            out["deal_stage_history"].append(
                {
                    "deal_id": deal_id,
                    "from_stage_id": path[i - 1] if i else None,
                    "to_stage_id": stage_id,
                    "changed_at": when[i],
                    "user_id": p.owner,
                    "left_at": when[i + 1] if i + 1 < len(path) else None,
                }
            )
        group = p.row["client_group"]
        scale = {"large wholesale": 2_000_000, "trade network": 4_000_000}.get(group, 300_000)
        if group == "own retail":
            scale = 60_000
        rate = int(RATES[p.loc.currency])
        amount = Decimal(int(rng.uniform(0.1, 1.0) * scale / rate)) * 10
        loc = p.loc
        lines_total = self._items(loc, deal_id, amount, out)
        out["deal"].append(
            {
                "id": deal_id,
                "version": 1,
                "created_at": start,
                "updated_at": end,
                "deleted_at": None,
                "title": rng.choice(loc.deal_titles).format(product=rng.choice(loc.products)),
                "client_id": p.row["id"],
                "contact_id": rng.choice(p.contact_ids) if p.contact_ids else None,
                "pipeline_id": self.pipeline_id,
                "stage_id": path[-1],
                "owner_id": p.owner,
                "amount": amount if lines_total is None else lines_total,
                "amount_from_items": lines_total is not None,
                "currency": loc.currency,
                "expected_close": (end + timedelta(days=rng.randint(0, 60))).date()
                if outcome == "open"
                else end.date(),
                "source": p.row["source"],
                # the type of deal, from the id (no draw: the other data stays as it was)
                "kind": DEAL_KINDS[loc.currency][deal_id % 3],
                "competitor": rng.choice(loc.competitors)
                if rng.random() < (0.6 if outcome == "lost" else 0.15)
                else "",
                "lost_reason": rng.choice(loc.lost_reasons) if outcome == "lost" else "",
                "description": "",
                "stage_changed_at": end,
                "closed_at": end if outcome != "open" else None,
            }
        )
        return start

    def _items(
        self, loc: w.Locale, deal_id: int, target: Decimal, out: dict[str, list[dict[str, Any]]]
    ) -> Decimal | None:
        """Line items for a good share of deals, sized to about ``target``; their total
        (None: the deal has no lines)."""
        rng = self.item_rng
        catalog = self.products.get(loc.code)
        if not catalog or rng.random() >= ITEM_SHARE:
            return None
        n = min(rng.choice(LINES), len(catalog))
        total = Decimal("0.00")
        for position, product in enumerate(rng.sample(catalog, n), 1):
            price = product.prices[loc.currency]
            if product.service:
                quantity = Decimal(rng.randint(1, 12))
            else:
                share = target / n * Decimal(rng.randint(50, 150)) / 100
                quantity = max(Decimal(1), (share / price).quantize(Decimal(1)))
            discount = Decimal(rng.choice(DISCOUNTS)).quantize(CENT)
            total += line_amount(quantity, price, discount)
            out["deal_item"].append(
                {
                    "deal_id": deal_id,
                    "product_id": product.id,
                    "position": position,
                    "name": product.name,
                    "sku": product.sku,
                    "unit": product.unit,
                    "quantity": quantity,
                    "price": price,
                    "discount_pct": discount,
                }
            )
        return total


def _convert(price: Decimal, have: str, want: str) -> Decimal:
    """A price in another demo currency: whole roubles, cents of the others."""
    value = price * RATES[have] / RATES[want]
    step = Decimal(1) if want == "RUB" else CENT
    return max(CENT, value.quantize(step)).quantize(CENT)
