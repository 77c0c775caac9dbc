"""Seeded Stripe test data: customers, products, prices, subscriptions, invoices and charges.

Everything derives from one seed, so ids and amounts are the same on every run. Five customers
owe more than $1,000 on overdue open invoices (see ``DEBTORS``); every other customer owes less
than $800 in open or uncollectible invoices, so "who owes more than $1,000?" has one answer.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

Obj = dict[str, Any]

DAY = 86_400
BASE_TS = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
SANDBOX_TODAY = date(2025, 7, 1)
"""The data's "today": every invoice was created before it; overdue days count from it."""
DATA_AS_OF = int(datetime.combine(SANDBOX_TODAY, time(), tzinfo=UTC).timestamp())
"""``SANDBOX_TODAY`` at midnight UTC, as a Unix timestamp (Stripe's ``created`` unit)."""

CUSTOMER_COUNT = 60
BASE_INVOICE_COUNT = 540
NON_DEBTOR_CAP = 80_000
"""Cents: the most a customer outside DEBTORS owes (open plus uncollectible)."""

COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Foods",
    "Wonka Confections",
    "Cyberdyne Robotics",
    "Soylent Nutrition",
    "Tyrell Biotech",
    "Hooli",
    "Pied Piper",
    "Vandelay Industries",
    "Dunder Mifflin",
    "Prestige Worldwide",
    "Gringotts Advisory",
    "Oscorp Labs",
    "Monarch Solutions",
    "Blue Sun Freight",
    "Aperture Science",
    "Black Mesa Research",
    "Massive Dynamic",
    "Virtucon",
    "Nakatomi Trading",
    "Bluth Company",
    "Sterling Cooper",
    "Los Pollos Hermanos",
    "Paper Street Soap",
    "Krusty Krab",
    "Oceanic Airlines",
    "Gekko & Co",
    "Rich Industries",
    "Spacely Sprockets",
    "Cogswell Cogs",
    "Duff Brewing",
    "Sirius Cybernetics",
    "InGen",
    "Weyland Yutani",
    "Stay Puft",
    "Zorg Industries",
    "Lacuna Inc",
    "Omni Consumer Products",
    "Ollivanders",
    "Kwik-E-Mart",
    "Bubba Gump Shrimp",
    "Buy n Large",
    "Compu-Global",
    "Dharma Initiative",
    "Frobozz Magic",
    "Genco Pura Olive Oil",
    "Good Burger",
    "Mooby's",
    "Nuka-Cola",
    "Planet Express",
    "Quahog Cannery",
    "Roxxon Energy",
    "Sabre Printers",
    "Three Rock Studios",
    "Universal Exports",
    "Yoyodyne Propulsion",
)
SEGMENTS = ("smb", "mid-market", "enterprise")
PRODUCTS = (
    ("Starter plan", "Up to 5 seats, monthly", 4_900),
    ("Growth plan", "Up to 25 seats, monthly", 19_900),
    ("Enterprise plan", "Unlimited seats, SSO, audit log", 89_900),
    ("Onboarding package", "Guided setup and data migration", 150_000),
    ("Premium support", "24/7 support with a 1-hour response target", 29_900),
    ("Data export add-on", "Scheduled exports to your warehouse", 9_900),
    ("Extra seats", "Per additional seat, monthly", 1_500),
    ("API access", "Higher API rate limits", 14_900),
)


@dataclass(frozen=True)
class Debtor:
    """A customer who owes more than $1,000 on open invoices past their due date."""

    index: int
    open_amounts: tuple[int, ...]
    days_overdue: int
    amount_paid: int = 0


DEBTORS = (
    Debtor(index=0, open_amounts=(425_000,), days_overdue=95, amount_paid=75_000),
    Debtor(index=1, open_amounts=(182_500,), days_overdue=45),
    Debtor(index=2, open_amounts=(1_250_000,), days_overdue=12),
    Debtor(index=4, open_amounts=(40_000, 40_000, 40_000), days_overdue=63),
    Debtor(index=7, open_amounts=(310_000,), days_overdue=150),
)
"""Index into the customer list; for several invoices ``days_overdue`` is the oldest one's."""
DEFAULT_INVOICE_COUNT = BASE_INVOICE_COUNT + sum(len(d.open_amounts) for d in DEBTORS)
"""Invoices in the default dataset; ``invoice_count`` may ask for more (never fewer)."""


@dataclass
class StripeDataset:
    """All seeded objects, each list ordered oldest first."""

    customers: list[Obj] = field(default_factory=list)
    products: list[Obj] = field(default_factory=list)
    prices: list[Obj] = field(default_factory=list)
    subscriptions: list[Obj] = field(default_factory=list)
    invoices: list[Obj] = field(default_factory=list)
    charges: list[Obj] = field(default_factory=list)


class IdMaker:
    """Stripe-looking ids (``cus_...``) from the seeded random generator, never repeated."""

    def __init__(self, rng: random.Random, seen: set[str] | None = None) -> None:
        self._rng = rng
        self._seen: set[str] = seen if seen is not None else set()

    def __call__(self, prefix: str, length: int = 14) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            value = prefix + "_" + "".join(self._rng.choice(alphabet) for _ in range(length))
            if value not in self._seen:
                self._seen.add(value)
                return value


class FastIdMaker(IdMaker):
    """Ids drawn with one random call each (the extra invoices: thousands of them, fast)."""

    _ALPHABET = string.ascii_letters + string.digits

    def __call__(self, prefix: str, length: int = 14) -> str:
        while True:
            number = self._rng.getrandbits(6 * length)
            chars = []
            for _ in range(length):
                number, digit = divmod(number, 62)
                chars.append(self._ALPHABET[digit])
            value = prefix + "_" + "".join(chars)
            if value not in self._seen:
                self._seen.add(value)
                return value


def _customer(new_id: IdMaker, rng: random.Random, index: int, name: str) -> Obj:
    slug = name.lower().replace(" ", "").replace("&", "and").replace("'", "").replace("-", "")
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": BASE_TS + index * 5 * DAY + rng.randint(0, DAY),
        "currency": "usd",
        "default_source": None,
        "delinquent": False,
        "description": f"{name} ({SEGMENTS[index % 3]})",
        "email": f"billing@{slug}.example.com",
        "invoice_prefix": "".join(rng.choice(string.ascii_uppercase) for _ in range(8)),
        "livemode": False,
        "metadata": {"segment": SEGMENTS[index % 3], "account_manager": f"am{index % 4 + 1}"},
        "name": name,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
    }


def add_catalog(data: StripeDataset, new_id: IdMaker) -> None:
    """The products and their prices (one each), created just before the data's start."""
    for i, (name, description, amount) in enumerate(PRODUCTS):
        created = BASE_TS - (len(PRODUCTS) - i) * DAY
        product = {
            "id": new_id("prod"),
            "object": "product",
            "active": True,
            "created": created,
            "default_price": None,
            "description": description,
            "livemode": False,
            "metadata": {},
            "name": name,
            "updated": created,
        }
        recurring = None if name in ("Onboarding package",) else {"interval": "month"}
        price = {
            "id": new_id("price", 24),
            "object": "price",
            "active": True,
            "created": created,
            "currency": "usd",
            "livemode": False,
            "metadata": {},
            "product": product["id"],
            "recurring": recurring,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": amount,
        }
        product["default_price"] = price["id"]
        data.products.append(product)
        data.prices.append(price)


def add_subscriptions(data: StripeDataset, new_id: IdMaker, rng: random.Random) -> dict[str, str]:
    """One subscription for most customers; returns customer id -> subscription id."""
    by_customer: dict[str, str] = {}
    plans = [p for p in data.prices if p["recurring"]][:3]
    for i, customer in enumerate(data.customers):
        if i % 4 == 3:
            continue
        price = plans[i % 3]
        status = ("active", "active", "active", "past_due", "canceled", "trialing")[i % 6]
        start = customer["created"] + DAY
        sub_id = new_id("sub", 24)
        data.subscriptions.append(
            {
                "id": sub_id,
                "object": "subscription",
                "cancel_at_period_end": False,
                "canceled_at": start + 200 * DAY if status == "canceled" else None,
                "collection_method": "send_invoice",
                "created": start,
                "currency": "usd",
                "current_period_end": DATA_AS_OF + 15 * DAY,
                "current_period_start": DATA_AS_OF - 15 * DAY,
                "customer": customer["id"],
                "days_until_due": 30,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": new_id("si"),
                            "object": "subscription_item",
                            "created": start,
                            "price": dict(price),
                            "quantity": rng.randint(1, 5),
                            "subscription": sub_id,
                        }
                    ],
                    "has_more": False,
                    "total_count": 1,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "livemode": False,
                "metadata": {"plan": price["product"]},
                "start_date": start,
                "status": status,
            }
        )
        by_customer[customer["id"]] = sub_id
    return by_customer


def make_invoice(
    new_id: IdMaker,
    rng: random.Random,
    customer: Obj,
    *,
    created: int,
    status: str,
    amounts: list[tuple[Obj, int]],
    subscription: str | None,
    amount_paid: int = 0,
    due_date: int | None = None,
) -> Obj:
    """An invoice of ``customer`` with one line per (price, quantity), in Stripe's shape."""
    invoice_id = new_id("in", 24)
    lines = []
    for price, quantity in amounts:
        lines.append(
            {
                "id": new_id("il", 24),
                "object": "line_item",
                "amount": price["unit_amount"] * quantity,
                "currency": "usd",
                "description": f"{quantity} × {price['product_name']}",
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "period": {"start": created - 30 * DAY, "end": created},
                "price": {k: v for k, v in price.items() if k != "product_name"},
                "quantity": quantity,
            }
        )
    total = sum(line["amount"] for line in lines)
    paid = total if status == "paid" else amount_paid
    remaining = total - paid if status in ("open", "uncollectible") else 0
    due = due_date if due_date is not None else created + 30 * DAY
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Acme Analytics",
        "amount_due": total,
        "amount_paid": paid,
        "amount_remaining": remaining,
        "attempt_count": 1 if status != "draft" else 0,
        "attempted": status != "draft",
        "auto_advance": status in ("draft", "open"),
        "billing_reason": "subscription_cycle" if subscription else "manual",
        "charge": None,
        "collection_method": "send_invoice",
        "created": created,
        "currency": "usd",
        "customer": customer["id"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "description": None,
        "due_date": due,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {"order_id": f"ORD-{10_000 + rng.randint(0, 89_999)}"}
        if rng.random() < 0.4
        else {},
        "number": None,
        "paid": status == "paid",
        "period_end": created,
        "period_start": created - 30 * DAY,
        "status": status,
        "status_transitions": {
            "finalized_at": None if status == "draft" else created + 3600,
            "marked_uncollectible_at": created + 60 * DAY if status == "uncollectible" else None,
            "paid_at": created + rng.randint(1, 25) * DAY if status == "paid" else None,
            "voided_at": created + 5 * DAY if status == "void" else None,
        },
        "subscription": subscription,
        "subtotal": total,
        "total": total,
    }


def line_prices(data: StripeDataset) -> list[Obj]:
    """The prices with their product's name (what ``make_invoice`` takes for its lines)."""
    names = {p["id"]: p["name"] for p in data.products}
    return [{**price, "product_name": names[price["product"]]} for price in data.prices]


def _base_invoices(
    data: StripeDataset, new_id: IdMaker, rng: random.Random, subs: dict[str, str]
) -> None:
    prices = line_prices(data)
    small = [p for p in prices if p["unit_amount"] <= 30_000]
    span = (DATA_AS_OF - 20 * DAY) - (BASE_TS + 40 * DAY)
    step = span // BASE_INVOICE_COUNT
    statuses = ["paid"] * 70 + ["open"] * 12 + ["draft"] * 6 + ["void"] * 7 + ["uncollectible"] * 5
    for i in range(BASE_INVOICE_COUNT):
        created = BASE_TS + 40 * DAY + i * step + rng.randint(0, step - 1)
        eligible = [c for c in data.customers if c["created"] < created]
        customer = rng.choice(eligible)
        status = rng.choice(statuses)
        pool = small if status in ("open", "uncollectible") else prices
        amounts = [(rng.choice(pool), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        data.invoices.append(
            make_invoice(
                new_id,
                rng,
                customer,
                created=created,
                status=status,
                amounts=amounts,
                subscription=subs.get(customer["id"]) if rng.random() < 0.7 else None,
            )
        )


def _cap_owed(data: StripeDataset, debtor_ids: set[str]) -> None:
    """Mark older unpaid invoices paid until no other customer owes more than the cap.

    Debtors' random unpaid invoices are all marked paid: their debt is exactly ``DEBTORS``'.
    """
    owed: dict[str, int] = {}
    for invoice in sorted(data.invoices, key=lambda inv: -inv["created"]):
        if invoice["status"] not in ("open", "uncollectible"):
            continue
        total = owed.get(invoice["customer"], 0) + invoice["amount_remaining"]
        if invoice["customer"] in debtor_ids or total > NON_DEBTOR_CAP:
            invoice.update(status="paid", paid=True, amount_paid=invoice["amount_due"])
            invoice.update(amount_remaining=0, auto_advance=False)
            invoice["status_transitions"].update(marked_uncollectible_at=None)
            invoice["status_transitions"]["paid_at"] = invoice["created"] + 10 * DAY
        else:
            owed[invoice["customer"]] = total


def _debtor_invoices(
    data: StripeDataset, new_id: IdMaker, rng: random.Random, subs: dict[str, str]
) -> None:
    onboarding = next(p for p in line_prices(data) if p["product_name"] == "Onboarding package")
    for debtor in DEBTORS:
        customer = data.customers[debtor.index]
        customer["delinquent"] = True
        for n, amount in enumerate(debtor.open_amounts):
            due = DATA_AS_OF - (debtor.days_overdue - 7 * n) * DAY - 3600 * (debtor.index + 1)
            price = {**onboarding, "unit_amount": amount + (debtor.amount_paid if n == 0 else 0)}
            data.invoices.append(
                make_invoice(
                    new_id,
                    rng,
                    customer,
                    created=due - 30 * DAY,
                    status="open",
                    amounts=[(price, 1)],
                    subscription=subs.get(customer["id"]),
                    amount_paid=debtor.amount_paid if n == 0 else 0,
                    due_date=due,
                )
            )


def _number_and_charge(data: StripeDataset, new_id: IdMaker, rng: random.Random) -> None:
    customers = {c["id"]: c for c in data.customers}
    counters: dict[str, int] = {}
    for invoice in data.invoices:
        customer = customers[invoice["customer"]]
        if invoice["status"] != "draft":
            counters[customer["id"]] = counters.get(customer["id"], 0) + 1
            invoice["number"] = f"{customer['invoice_prefix']}-{counters[customer['id']]:04d}"
        failed = invoice["status"] == "open" and rng.random() < 0.3
        if invoice["status"] == "paid" or failed:
            data.charges.append(make_charge(new_id, invoice))
    data.charges.sort(key=lambda c: (c["created"], c["id"]))


def make_charge(new_id: IdMaker, invoice: Obj) -> Obj:
    """The charge that paid ``invoice`` (linked to it), or a declined one when it is unpaid."""
    charge_id = new_id("ch", 24)
    paid_at = invoice["status_transitions"]["paid_at"]
    amount = invoice["amount_paid"] if paid_at else invoice["amount_remaining"]
    if paid_at:
        invoice["charge"] = charge_id
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if paid_at else 0,
        "amount_refunded": 0,
        "captured": bool(paid_at),
        "created": paid_at or invoice["created"] + 2 * DAY,
        "currency": "usd",
        "customer": invoice["customer"],
        "description": f"Payment for invoice {invoice['number']}",
        "failure_code": None if paid_at else "card_declined",
        "failure_message": None if paid_at else "Your card was declined.",
        "invoice": invoice["id"],
        "livemode": False,
        "metadata": {},
        "paid": bool(paid_at),
        "refunded": False,
        "status": "succeeded" if paid_at else "failed",
    }


def _extra_invoices(data: StripeDataset, count: int, seed: int) -> None:
    """``count`` more invoices, all paid (with their charges), spread over the data's time span.

    Drawn from their own random generator after everything else, so the default objects stay
    exactly as they are and nobody's debt changes: the debtors are still ``DEBTORS``.
    """
    rng = random.Random(f"{seed}:extra-invoices")  # noqa: S311 - repeatable test data
    seen = {obj["id"] for objects in vars(data).values() for obj in objects}
    seen.update(line["id"] for invoice in data.invoices for line in invoice["lines"]["data"])
    new_id = FastIdMaker(rng, seen)
    prices = line_prices(data)
    subs = {sub["customer"]: sub["id"] for sub in data.subscriptions}
    customers = sorted(data.customers, key=lambda c: c["created"])
    counters: dict[str, int] = {}
    for invoice in data.invoices:
        if invoice["number"]:
            counters[invoice["customer"]] = counters.get(invoice["customer"], 0) + 1
    start, end = BASE_TS + 40 * DAY, DATA_AS_OF - 20 * DAY
    extra: list[Obj] = []
    for created in sorted(rng.randrange(start, end) for _ in range(count)):
        eligible = [c for c in customers if c["created"] < created] or customers[:1]
        customer = rng.choice(eligible)
        amounts = [(rng.choice(prices), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        subscription = subs.get(customer["id"]) if rng.random() < 0.7 else None
        invoice = make_invoice(
            new_id,
            rng,
            customer,
            created=created,
            status="paid",
            amounts=amounts,
            subscription=subscription,
        )
        counters[customer["id"]] = counters.get(customer["id"], 0) + 1
        invoice["number"] = f"{customer['invoice_prefix']}-{counters[customer['id']]:04d}"
        data.charges.append(make_charge(new_id, invoice))
        extra.append(invoice)
    data.invoices.extend(extra)
    data.invoices.sort(key=lambda inv: (inv["created"], inv["id"]))
    data.charges.sort(key=lambda c: (c["created"], c["id"]))


def build_dataset(seed: int = 42, invoice_count: int | None = None) -> StripeDataset:
    """Generate the whole seeded dataset (deterministic for a given seed and invoice count).

    ``invoice_count`` (at least ``DEFAULT_INVOICE_COUNT``) adds paid invoices up to that total,
    for load tests and benchmarks; the default data and the debtors are unchanged.
    """
    if invoice_count is not None and invoice_count < DEFAULT_INVOICE_COUNT:
        raise ValueError(
            f"invoice_count must be at least {DEFAULT_INVOICE_COUNT} (the seeded invoices)"
        )
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secret
    new_id = IdMaker(rng)
    data = StripeDataset()
    data.customers = [_customer(new_id, rng, i, name) for i, name in enumerate(COMPANIES)]
    add_catalog(data, new_id)
    subs = add_subscriptions(data, new_id, rng)
    _base_invoices(data, new_id, rng, subs)
    debtor_ids = {data.customers[d.index]["id"] for d in DEBTORS}
    _cap_owed(data, debtor_ids)
    _debtor_invoices(data, new_id, rng, subs)
    data.invoices.sort(key=lambda inv: (inv["created"], inv["id"]))
    _number_and_charge(data, new_id, rng)
    if invoice_count is not None and invoice_count > DEFAULT_INVOICE_COUNT:
        _extra_invoices(data, invoice_count - DEFAULT_INVOICE_COUNT, seed)
    return data


def debtor_summary(data: StripeDataset) -> list[Obj]:
    """Customers owing more than $1,000: id, name, cents owed, oldest due date (the answer key)."""
    owed: dict[str, list[Obj]] = {}
    for invoice in data.invoices:
        if invoice["status"] == "open" and invoice["amount_remaining"] > 0:
            owed.setdefault(invoice["customer"], []).append(invoice)
    names = {c["id"]: c["name"] for c in data.customers}
    summary = [
        {
            "customer": customer,
            "name": names[customer],
            "amount_remaining": sum(inv["amount_remaining"] for inv in invoices),
            "oldest_due_date": min(inv["due_date"] for inv in invoices),
        }
        for customer, invoices in owed.items()
    ]
    big = [row for row in summary if row["amount_remaining"] > 100_000]
    return sorted(big, key=lambda row: -row["amount_remaining"])
