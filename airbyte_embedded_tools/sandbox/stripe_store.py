"""The Stripe emulator's behaviour without HTTP: list, retrieve, create, expand; Stripe's errors.

Lists are newest first (``created`` descending, ties by id), paginated with ``limit`` (1..100,
default 10), ``starting_after`` / ``ending_before``, and filtered like Stripe's list endpoints.
``expand[]`` replaces id strings by the objects they name (``customer``, ``data.customer``, ...).
"""

from __future__ import annotations

import copy
import random
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .stripe_data import StripeDataset

Obj = dict[str, Any]
Objs = list[Obj]  # an alias: inside StripeStore, ``list`` names its method

DOCS = "https://stripe.com/docs/error-codes/"


@dataclass
class StripeError(Exception):
    """A Stripe error response: HTTP status and the ``error`` object's fields."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None

    def body(self) -> Obj:
        """The JSON body Stripe answers with."""
        error: Obj = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    """Stripe's 404 for an unknown id."""
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def invalid(message: str, param: str, code: str | None = None) -> StripeError:
    """Stripe's 400 for a bad parameter."""
    return StripeError(400, message, code=code or "parameter_invalid", param=param)


Filter = Callable[[Obj, Any], bool]


def _eq(field: str) -> Filter:
    return lambda obj, value: obj.get(field) == value


def _bool(field: str) -> Filter:
    def check(obj: Obj, value: Any) -> bool:
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", field, "parameter_invalid_boolean")
        return bool(obj.get(field)) is (value == "true")

    return check


def _enum(field: str, allowed: tuple[str, ...]) -> Filter:
    def check(obj: Obj, value: Any) -> bool:
        if value not in allowed:
            raise invalid(f"Invalid {field}: must be one of {', '.join(allowed)}", field)
        return bool(obj.get(field) == value)

    return check


def _subscription_status(obj: Obj, value: Any) -> bool:
    allowed = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
               "trialing", "paused", "all", "ended")  # fmt: skip
    if value not in allowed:
        raise invalid(f"Invalid status: must be one of {', '.join(allowed)}", "status")
    if value == "all":
        return True
    if value == "ended":
        return bool(obj["status"] == "canceled")
    return bool(obj["status"] == value)


def _subscription_price(obj: Obj, value: Any) -> bool:
    return any(item["price"]["id"] == value for item in obj["items"]["data"])


INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
RESOURCES: dict[str, tuple[str, dict[str, Filter], tuple[str, ...]]] = {
    # resource -> (object name for messages, filters, timestamp range filters)
    "customers": ("customer", {"email": _eq("email")}, ("created",)),
    "invoices": (
        "invoice",
        {
            "customer": _eq("customer"),
            "status": _enum("status", INVOICE_STATUSES),
            "subscription": _eq("subscription"),
            "collection_method": _enum(
                "collection_method", ("charge_automatically", "send_invoice")
            ),
        },
        ("created", "due_date"),
    ),
    "charges": ("charge", {"customer": _eq("customer")}, ("created",)),
    "subscriptions": (
        "subscription",
        {"customer": _eq("customer"), "status": _subscription_status, "price": _subscription_price},
        ("created",),
    ),
    "products": ("product", {"active": _bool("active")}, ("created",)),
    "prices": (
        "price",
        {"product": _eq("product"), "active": _bool("active"), "type": _eq("type")},
        ("created",),
    ),
}
LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before"})  # expand: StripeStore.expand
CUSTOMER_FIELDS = frozenset(
    {"name", "email", "description", "phone", "metadata", "address", "shipping", "balance",
     "invoice_prefix", "preferred_locales", "tax_exempt"}
)  # fmt: skip


EXPANDABLE: dict[str, str] = {
    # a field holding an id -> the resource that id belongs to
    "customer": "customers",
    "subscription": "subscriptions",
    "charge": "charges",
    "invoice": "invoices",
    "latest_invoice": "invoices",
    "price": "prices",
    "product": "products",
    "default_price": "prices",
}
MAX_EXPAND_DEPTH = 4


def expand_paths(value: Any) -> list[str]:
    """The ``expand[]`` / ``expand[0]`` paths of a request (none when absent)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(path, str) for path in value):
        raise invalid("Invalid array", "expand", "parameter_invalid_array")
    for path in value:
        if len(path.split(".")) > MAX_EXPAND_DEPTH:
            raise StripeError(
                400,
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}",
                param="expand",
            )
    return value


def _unexpandable(path: str, listing: bool) -> StripeError:
    message = f"This property cannot be expanded ({path})."
    if listing and not path.startswith("data."):
        message += f" You may want to try expanding 'data.{path}' instead."
    return StripeError(400, message, param="expand")


def _int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer") from None


def _range_filter(field: str, spec: Any) -> Filter:
    """``created=123`` or ``created[gte]=123`` (gt, gte, lt, lte) as a filter."""
    if not isinstance(spec, dict):
        exact = _int(spec, field)
        return lambda obj, _: obj.get(field) == exact
    bounds: list[tuple[str, int]] = []
    for op, raw in spec.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise invalid(f"Received unknown parameter: {field}[{op}]", f"{field}[{op}]")
        bounds.append((op, _int(raw, f"{field}[{op}]")))

    def check(obj: Obj, _: Any) -> bool:
        value = obj.get(field)
        if value is None:
            return False
        tests = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
        return all(tests[op](bound) for op, bound in bounds)

    return check


def _sort_key(obj: Obj) -> tuple[int, str]:
    return (int(obj["created"]), str(obj["id"]))


def _bisect(objects: list[Obj], key: tuple[int, str], *, older_only: bool) -> int:
    """In a newest-first list, the index of the first object older than ``key`` (or, with
    ``older_only=False``, not newer than it): everything before it is newer."""
    lo, hi = 0, len(objects)
    while lo < hi:
        mid = (lo + hi) // 2
        here = _sort_key(objects[mid])
        if here < key or (not older_only and here == key):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _take(
    objects: list[Obj], order: range, checks: list[tuple[Filter, Any]], limit: int
) -> tuple[list[Obj], bool]:
    """The first ``limit`` objects in ``order`` passing every check, and whether more pass."""
    page: list[Obj] = []
    for index in order:
        obj = objects[index]
        if all(check(obj, value) for check, value in checks):
            if len(page) == limit:
                return page, True
            page.append(obj)
    return page, False


class StripeStore:
    """The emulator's objects and operations; thread-safe for the emulator loop and test threads."""

    def __init__(self, data: StripeDataset, *, seed: int | str = 42) -> None:
        self._lock = threading.Lock()
        id_seed = seed + 1 if isinstance(seed, int) else f"{seed}:ids"
        self._rng = random.Random(id_seed)  # noqa: S311 - repeatable ids, not secret
        self._objects: dict[str, list[Obj]] = {
            "customers": data.customers,
            "invoices": data.invoices,
            "charges": data.charges,
            "subscriptions": data.subscriptions,
            "products": data.products,
            "prices": data.prices,
        }
        for objects in self._objects.values():
            objects.sort(key=_sort_key, reverse=True)
        self._by_id = {obj["id"]: obj for objs in self._objects.values() for obj in objs}
        self._created: Objs = []

    def new_id(self, prefix: str, length: int = 14) -> str:
        """A fresh id for a created object (or a request id)."""
        alphabet = string.ascii_letters + string.digits
        with self._lock:
            return prefix + "_" + "".join(self._rng.choice(alphabet) for _ in range(length))

    def list(self, resource: str, params: Obj) -> Obj:
        """One page of a list endpoint, in Stripe's list format."""
        kind, filters, ranges = RESOURCES[resource]
        for name in params:
            if name not in LIST_PARAMS and name not in filters and name not in ranges:
                raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")
        limit = _int(params.get("limit", 10), "limit")
        if limit < 1 or limit > 100:
            bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
            raise invalid(f"This value must be {bound}.", "limit", "parameter_invalid_integer")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise invalid(
                "You may only specify one of these parameters: ending_before, starting_after.",
                "starting_after",
            )
        checks = [(filters[n], params[n]) for n in filters if n in params]
        checks += [(_range_filter(n, params[n]), None) for n in ranges if n in params]
        if resource == "subscriptions" and "status" not in params:
            checks.append((lambda obj, _: obj["status"] != "canceled", None))  # Stripe's default
        cursor_id = after if after is not None else before
        with self._lock:
            objects = self._objects[resource]
            if objects:  # a bad filter value is an error even when no object is looked at
                for check, value in checks:
                    check(objects[0], value)
            if cursor_id is None:
                page, has_more = _take(objects, range(len(objects)), checks, limit)
            else:
                param = "starting_after" if after is not None else "ending_before"
                cursor = self._by_id.get(str(cursor_id))
                if cursor is None or cursor["object"] != kind:
                    raise missing(kind, str(cursor_id), param)
                key = _sort_key(cursor)
                if after is not None:
                    older = range(_bisect(objects, key, older_only=True), len(objects))
                    page, has_more = _take(objects, older, checks, limit)
                else:
                    newer = range(_bisect(objects, key, older_only=False) - 1, -1, -1)
                    page, has_more = _take(objects, newer, checks, limit)
                    page.reverse()
            data = copy.deepcopy(page)
        return {
            "object": "list",
            "data": data,
            "has_more": has_more,
            "url": f"/v1/{resource}",
        }

    def retrieve(self, resource: str, object_id: str) -> Obj:
        """One object by id, or Stripe's 404 ``resource_missing``."""
        kind = RESOURCES[resource][0]
        with self._lock:
            obj = self._by_id.get(object_id)
            if obj is None or obj["object"] != kind:
                raise missing(kind, object_id)
            return copy.deepcopy(obj)

    def expand(self, body: Obj, paths: Sequence[str], *, listing: bool = False) -> Obj:
        """Replace the ids at ``paths`` in ``body`` (a copy owned by the caller) by their objects.

        ``listing`` marks a list body, whose objects sit under ``data``; a path that names no
        expandable field is Stripe's 400 ``This property cannot be expanded``.
        """
        fetched: dict[str, Obj] = {}
        for path in paths:
            self._expand_at(body, path.split("."), path, listing, fetched)
        return body

    def _expand_at(
        self, node: Obj, parts: Sequence[str], path: str, listing: bool, fetched: dict[str, Obj]
    ) -> None:
        head, rest = parts[0], parts[1:]
        if head not in node:
            raise _unexpandable(path, listing)
        value = node[head]
        if isinstance(value, list):  # the ``data`` of a list object: expand in every item
            if not rest:
                raise _unexpandable(path, listing)
            for item in value:
                if isinstance(item, dict):
                    self._expand_at(item, rest, path, listing, fetched)
            return
        if value is None and head in EXPANDABLE:
            return  # Stripe leaves an unset reference null
        if isinstance(value, str) and head in EXPANDABLE:
            value = node[head] = self._fetch(EXPANDABLE[head], value, fetched)
        if not isinstance(value, dict) or (not rest and head not in EXPANDABLE):
            raise _unexpandable(path, listing)
        if rest:
            self._expand_at(value, rest, path, listing, fetched)

    def _fetch(self, resource: str, object_id: str, fetched: dict[str, Obj]) -> Obj:
        """A copy of the object an id names (shared within one expansion), or a deleted stub."""
        if object_id not in fetched:
            kind = RESOURCES[resource][0]
            with self._lock:
                obj = self._by_id.get(object_id)
                found = copy.deepcopy(obj) if obj is not None and obj["object"] == kind else None
            fetched[object_id] = found or {"id": object_id, "object": kind, "deleted": True}
        return fetched[object_id]

    def invoice_lines(self, invoice_id: str, params: Obj) -> Obj:
        """The line items of an invoice as a Stripe list (``limit`` honoured)."""
        invoice = self.retrieve("invoices", invoice_id)
        limit = _int(params.get("limit", 10), "limit")
        if limit < 1 or limit > 100:
            raise invalid("This value must be between 1 and 100.", "limit")
        lines = invoice["lines"]["data"]
        return {
            "object": "list",
            "data": lines[:limit],
            "has_more": len(lines) > limit,
            "url": f"/v1/invoices/{invoice_id}/lines",
        }

    def _customer_fields(self, params: Obj) -> Obj:
        for name, value in params.items():
            if name not in CUSTOMER_FIELDS:
                raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")
            if name == "metadata" and not isinstance(value, dict):
                raise invalid("Invalid object", "metadata", "parameter_invalid_object")
            if name == "email" and value and "@" not in str(value):
                raise StripeError(400, f"Invalid email address: {value}", code="email_invalid",
                                  param="email")  # fmt: skip
        fields = dict(params)
        if "balance" in fields:
            fields["balance"] = _int(fields["balance"], "balance")
        return fields

    def create_customer(self, params: Obj) -> Obj:
        """Create a customer (idempotency keys are the emulator's job, one layer up)."""
        fields = self._customer_fields(params)
        customer: Obj = {
            "id": self.new_id("cus"),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": int(time.time()),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "email": None,
            "invoice_prefix": self.new_id("x", 8)[2:].upper(),
            "livemode": False,
            "metadata": {},
            "name": None,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }
        customer.update(fields)
        with self._lock:
            self._objects["customers"].insert(0, customer)
            self._objects["customers"].sort(key=_sort_key, reverse=True)
            self._by_id[customer["id"]] = customer
            self._created.append(copy.deepcopy(customer))
        return copy.deepcopy(customer)

    def created(self) -> Objs:
        """Every object created through the API so far, as it was created, oldest first."""
        with self._lock:
            return copy.deepcopy(self._created)

    def objects(self, resource: str) -> Objs:
        """Copies of every object of a resource (``customers``, ...) as stored now, newest first."""
        with self._lock:
            return copy.deepcopy(self._objects[resource])

    def update_customer(self, customer_id: str, params: Obj) -> Obj:
        """Update a customer's fields (metadata keys are merged, an empty value removes a key)."""
        self.retrieve("customers", customer_id)
        fields = self._customer_fields(params)
        with self._lock:
            customer = self._by_id[customer_id]
            metadata = fields.pop("metadata", None)
            customer.update(fields)
            if metadata is not None:
                merged = {**customer["metadata"], **metadata}
                customer["metadata"] = {k: v for k, v in merged.items() if v != ""}
            return copy.deepcopy(customer)

    def delete_customer(self, customer_id: str) -> Obj:
        """Delete a customer; Stripe answers with a small ``deleted`` object."""
        self.retrieve("customers", customer_id)
        with self._lock:
            customer = self._by_id.pop(customer_id)
            self._objects["customers"].remove(customer)
        return {"id": customer_id, "object": "customer", "deleted": True}
