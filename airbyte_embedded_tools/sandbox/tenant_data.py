"""Each ``tenants=N`` workspace's own data: a small Stripe account and a few files, naming it.

Built on first touch from ``(seed, tenant name)``, so 1,000 tenants cost nothing until used and a
tenant's data is the same whatever order tenants are touched in. Every customer's name and email,
every object's ``metadata["tenant"]`` and every file's text carry the tenant's name, so a test can
tell whose answer it got. One customer per tenant owes money (``tenant_debtor``): one open invoice,
overdue, whose amount depends on the tenant; every other invoice is paid.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from .stripe_data import (
    COMPANIES,
    DATA_AS_OF,
    DAY,
    IdMaker,
    Obj,
    StripeDataset,
    add_catalog,
    add_subscriptions,
    line_prices,
    make_charge,
    make_invoice,
)

TENANT_CUSTOMERS = 6
PAID_INVOICES_PER_CUSTOMER = 3
DEBT_DAYS_OVERDUE = 40


@dataclass(frozen=True)
class TenantDebtor:
    """The one customer of a tenant with an open, overdue invoice."""

    name: str
    email: str
    amount_remaining: int
    """Cents owed (one open invoice)."""


def _company(index: int, number: int) -> str:
    return COMPANIES[(index * 7 + number) % len(COMPANIES)]


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def customer_name(tenant: str, index: int, number: int) -> str:
    """The name of a tenant's ``number``-th customer (0-based): ``"Globex (tenant-0002)"``."""
    return f"{_company(index, number)} ({tenant})"


def customer_email(tenant: str, index: int, number: int) -> str:
    """The billing email of a tenant's ``number``-th customer; it names the tenant."""
    return f"billing@{_slug(_company(index, number))}.{tenant}.example.com"


def tenant_debtor(tenant: str, index: int) -> TenantDebtor:
    """Who owes what in tenant ``index`` (1-based), without building its data."""
    return TenantDebtor(
        name=customer_name(tenant, index, 0),
        email=customer_email(tenant, index, 0),
        amount_remaining=100_000 + 100 * index,
    )


def build_tenant_dataset(seed: int, tenant: str, index: int) -> StripeDataset:
    """The Stripe account of one tenant: a catalog, six customers, their subscriptions, invoices
    and charges (about 60 objects)."""
    rng = random.Random(f"{seed}:{tenant}:stripe")  # noqa: S311 - repeatable test data
    new_id = IdMaker(rng)
    data = StripeDataset()
    add_catalog(data, new_id)
    start = DATA_AS_OF - 200 * DAY
    for number in range(TENANT_CUSTOMERS):
        data.customers.append(_customer(new_id, rng, tenant, index, number, start))
    subs = add_subscriptions(data, new_id, rng)
    prices = [p for p in line_prices(data) if p["unit_amount"] <= 30_000]
    for customer in data.customers:
        for month in range(PAID_INVOICES_PER_CUSTOMER):
            created = customer["created"] + (month + 1) * 30 * DAY
            amounts = [(rng.choice(prices), rng.randint(1, 3))]
            data.invoices.append(
                make_invoice(new_id, rng, customer, created=created, status="paid",
                             amounts=amounts, subscription=subs.get(customer["id"]))
            )  # fmt: skip
    debtor = tenant_debtor(tenant, index)
    due = DATA_AS_OF - DEBT_DAYS_OVERDUE * DAY
    onboarding = next(p for p in line_prices(data) if p["product_name"] == "Onboarding package")
    data.customers[0]["delinquent"] = True
    data.invoices.append(
        make_invoice(new_id, rng, data.customers[0], created=due - 30 * DAY, status="open",
                     amounts=[({**onboarding, "unit_amount": debtor.amount_remaining}, 1)],
                     subscription=None, due_date=due)
    )  # fmt: skip
    data.invoices.sort(key=lambda inv: (inv["created"], inv["id"]))
    counters: dict[str, int] = {}
    for invoice in data.invoices:
        customer = next(c for c in data.customers if c["id"] == invoice["customer"])
        counters[customer["id"]] = counters.get(customer["id"], 0) + 1
        invoice["number"] = f"{customer['invoice_prefix']}-{counters[customer['id']]:04d}"
        invoice["account_name"] = tenant
        if invoice["status"] == "paid":
            data.charges.append(make_charge(new_id, invoice))
    for objects in vars(data).values():
        for obj in objects:
            obj["metadata"] = {**obj["metadata"], "tenant": tenant}
    return data


def _customer(
    new_id: IdMaker, rng: random.Random, tenant: str, index: int, number: int, start: int
) -> Obj:
    name = customer_name(tenant, index, number)
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": start + number * DAY + rng.randint(0, DAY),
        "currency": "usd",
        "default_source": None,
        "delinquent": False,
        "description": f"{_company(index, number)}, a customer of {tenant}",
        "email": customer_email(tenant, index, number),
        "invoice_prefix": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8)),
        "livemode": False,
        "metadata": {},
        "name": name,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
    }


def tenant_documents(tenant: str, index: int) -> dict[str, bytes]:
    """The files of one tenant's file source: key -> bytes, each naming the tenant."""
    debtor = tenant_debtor(tenant, index)
    customers = [customer_name(tenant, index, n) for n in range(TENANT_CUSTOMERS)]
    readme = (
        f"# {tenant} document share\n\nEverything here belongs to workspace {tenant}: "
        "`contracts/`, `notes/`, `reports/`.\n"
    )
    contract = (
        f"# Master Services Agreement — {tenant}\n\n"
        f'**Parties:** Acme Analytics, Inc. ("Provider") and {tenant} ("Customer")\n\n'
        f"Invoices to {tenant} are due net 30. The account contact of {tenant} is "
        f"ops@{tenant}.example.com.\n"
    )
    notes = (
        f"Account review — {tenant}\n\n"
        f"- {debtor.name} is {DEBT_DAYS_OVERDUE} days overdue on "
        f"${debtor.amount_remaining / 100:,.2f}.\n"
        f"- {tenant} has {TENANT_CUSTOMERS} customers in its Stripe account.\n"
    )
    report = {"tenant": tenant, "customers": customers}
    return {
        "README.md": readme.encode(),
        f"contracts/{tenant}-master-services-agreement.md": contract.encode(),
        f"notes/{tenant}-account-review.txt": notes.encode(),
        "reports/customers.json": json.dumps(report, indent=2).encode(),
    }
