"""The Stripe emulator, reached directly at sb.stripe_url like Stripe's documentation examples."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sandbox_helpers import proxy_path

from airbyte_embedded_tools.sandbox import SANDBOX_TODAY, Sandbox
from airbyte_embedded_tools.sandbox.forms import encode, nest
from airbyte_embedded_tools.sandbox.stripe_data import (
    DATA_AS_OF,
    DEFAULT_INVOICE_COUNT,
    build_dataset,
    debtor_summary,
)


@pytest.fixture
def stripe(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client of the emulator authenticated like ``curl -u sk_test_...:`` (Basic auth)."""
    with httpx.Client(
        base_url=sandbox.stripe_url, auth=(sandbox.stripe_secret_key, ""), timeout=10
    ) as http:
        yield http


def walk(stripe: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list endpoint, following starting_after until has_more is false."""
    seen: list[dict[str, Any]] = []
    cursor: Any = None
    while True:
        query = {**params, **({"starting_after": cursor} if cursor else {})}
        page = stripe.get(path, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        seen.extend(body["data"])
        if not body["has_more"]:
            return seen
        cursor = body["data"][-1]["id"]


def test_dataset_meets_the_brief() -> None:
    data = build_dataset(42)
    assert len(data.customers) >= 50
    assert len(data.invoices) >= 500
    assert data.charges
    assert data.products
    assert data.subscriptions
    statuses = Counter(inv["status"] for inv in data.invoices)
    assert set(statuses) == {"draft", "open", "paid", "void", "uncollectible"}
    invoice = data.invoices[0]
    fields = ("id", "object", "customer", "status", "currency", "amount_due", "amount_paid",
              "amount_remaining", "created", "due_date", "number", "lines", "metadata")  # fmt: skip
    assert all(field in invoice for field in fields)
    assert invoice["lines"]["object"] == "list"
    assert build_dataset(42).invoices == data.invoices


def test_debtors_answer_key() -> None:
    data = build_dataset(42)
    summary = debtor_summary(data)
    assert [row["name"] for row in summary] == [
        "Initech", "Acme Corp", "Cyberdyne Robotics", "Globex", "Stark Logistics",
    ]  # fmt: skip
    assert all(row["oldest_due_date"] < DATA_AS_OF for row in summary)
    assert summary[0]["amount_remaining"] == 1_250_000
    overdue_big = [
        inv for inv in data.invoices
        if inv["status"] == "open" and inv["amount_remaining"] > 100_000
    ]  # fmt: skip
    assert overdue_big
    assert all(inv["due_date"] < DATA_AS_OF for inv in overdue_big)


def test_pagination_walks_every_invoice_once(stripe: httpx.Client) -> None:
    invoices = walk(stripe, "/v1/invoices", limit=100)
    ids = [inv["id"] for inv in invoices]
    assert len(ids) == len(set(ids)) == len(build_dataset(42).invoices)
    created = [inv["created"] for inv in invoices]
    assert created == sorted(created, reverse=True)


def test_default_limit_and_ending_before(stripe: httpx.Client) -> None:
    first = stripe.get("/v1/invoices").json()
    assert len(first["data"]) == 10
    second = stripe.get("/v1/invoices", params={"starting_after": first["data"][-1]["id"]}).json()
    back = stripe.get(
        "/v1/invoices", params={"ending_before": second["data"][0]["id"], "limit": 3}
    ).json()
    assert [i["id"] for i in back["data"]] == [i["id"] for i in first["data"][-3:]]
    assert back["has_more"] is True
    top = stripe.get("/v1/invoices", params={"ending_before": first["data"][2]["id"]}).json()
    assert [i["id"] for i in top["data"]] == [i["id"] for i in first["data"][:2]]
    assert top["has_more"] is False


def test_filters(stripe: httpx.Client) -> None:
    customer = stripe.get("/v1/customers", params={"email": "billing@initech.example.com"})
    (initech,) = customer.json()["data"]
    theirs = walk(stripe, "/v1/invoices", customer=initech["id"], limit=100)
    assert theirs
    assert {inv["customer"] for inv in theirs} == {initech["id"]}
    open_ = walk(stripe, "/v1/invoices", status="open", limit=100)
    assert open_
    assert {inv["status"] for inv in open_} == {"open"}
    pivot = open_[len(open_) // 2]["created"]
    later = walk(stripe, "/v1/invoices", **{"status": "open", "created[gt]": pivot})
    assert later
    assert all(inv["created"] > pivot for inv in later)
    bounded = walk(stripe, "/v1/invoices", **{"created[gte]": pivot, "created[lte]": pivot})
    assert [inv["created"] for inv in bounded] == [pivot]
    charges = walk(stripe, "/v1/charges", customer=initech["id"], limit=100)
    assert {c["customer"] for c in charges} == {initech["id"]}
    active = walk(stripe, "/v1/subscriptions", status="all", limit=100)
    default = walk(stripe, "/v1/subscriptions", limit=100)
    assert len(default) < len(active)
    assert all(sub["status"] != "canceled" for sub in default)


@pytest.mark.parametrize(
    ("params", "param", "fragment"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 101}, "limit", "less than or equal to 100"),
        ({"limit": "ten"}, "limit", "Invalid integer"),
        ({"status": "late"}, "status", "Invalid status"),
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"created[gte]": "yesterday"}, "created[gte]", "Invalid integer"),
        ({"starting_after": "in_1", "ending_before": "in_2"}, "starting_after", "only specify one"),
    ],
)
def test_list_parameter_errors(
    stripe: httpx.Client, params: dict[str, Any], param: str, fragment: str
) -> None:
    response = stripe.get("/v1/invoices", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert fragment in error["message"]


def test_unknown_cursor_is_resource_missing(stripe: httpx.Client) -> None:
    response = stripe.get("/v1/invoices", params={"starting_after": "in_nope"})
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "starting_after"


def test_retrieve(stripe: httpx.Client) -> None:
    first = stripe.get("/v1/invoices", params={"limit": 1}).json()["data"][0]
    again = stripe.get(f"/v1/invoices/{first['id']}")
    assert again.status_code == 200
    assert again.json() == first
    lines = stripe.get(f"/v1/invoices/{first['id']}/lines").json()
    assert lines["data"] == first["lines"]["data"]
    missing = stripe.get("/v1/customers/cus_nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "message": "No such customer: 'cus_nope'",
        "type": "invalid_request_error",
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "param": "id",
    }
    assert stripe.get(f"/v1/customers/{first['id']}").status_code == 404


def test_authentication(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.stripe_url) as http:
        none = http.get("/v1/customers")
        assert none.status_code == 401
        assert "did not provide an API key" in none.json()["error"]["message"]
        wrong = http.get(
            "/v1/customers", headers={"Authorization": "Bearer sk_test_wrongwrong1234"}
        )
        assert wrong.status_code == 401
        assert "sk_test_wrongwrong1234" not in wrong.text
        bearer = {"Authorization": f"Bearer {sandbox.stripe_secret_key}"}
        assert http.get("/v1/customers", headers=bearer).status_code == 200


def test_create_customer_like_the_docs(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with httpx.Client(base_url=sb.stripe_url, auth=(sb.stripe_secret_key, "")) as stripe:
        # curl https://api.stripe.com/v1/customers -u sk_test_...: -d name="Jenny Rosen" ...
        created = stripe.post(
            "/v1/customers",
            data={
                "name": "Jenny Rosen",
                "email": "jennyrosen@example.com",
                "metadata[tier]": "gold",
            },
            headers={"Idempotency-Key": "abc-123"},
        )
        assert created.status_code == 200
        customer = created.json()
        assert customer["object"] == "customer"
        assert customer["metadata"] == {"tier": "gold"}
        replay = stripe.post(
            "/v1/customers",
            data={
                "name": "Jenny Rosen",
                "email": "jennyrosen@example.com",
                "metadata[tier]": "gold",
            },
            headers={"Idempotency-Key": "abc-123"},
        )
        assert replay.json()["id"] == customer["id"]
        assert replay.headers["idempotent-replayed"] == "true"
        updated = stripe.post(f"/v1/customers/{customer['id']}", data={"metadata[tier]": ""})
        assert updated.json()["metadata"] == {}
        as_json = stripe.post("/v1/customers", json={"name": "x"})
        assert as_json.status_code == 400
        assert "form-encoded" in as_json.json()["error"]["message"]
        unknown = stripe.post("/v1/customers", data={"nickname": "x"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["param"] == "nickname"
        bad_email = stripe.post("/v1/customers", data={"email": "nope"})
        assert bad_email.json()["error"]["code"] == "email_invalid"
        deleted = stripe.delete(f"/v1/customers/{customer['id']}")
        assert deleted.json() == {"id": customer["id"], "object": "customer", "deleted": True}
        assert stripe.get(f"/v1/customers/{customer['id']}").status_code == 404


def test_unsupported_routes_are_stripe_404(stripe: httpx.Client) -> None:
    response = stripe.post("/v1/invoices", data={"customer": "cus_x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (POST: /v1/invoices)"
    )


def test_form_round_trip() -> None:
    data = {"a": {"b": "1", "c": ["x", "y"]}, "flag": True, "n": None, "metadata": {"0": "k"}}
    encoded = encode(data)
    assert "a%5Bc%5D%5B1%5D=y" in encoded
    from urllib.parse import parse_qsl

    back = nest(parse_qsl(encoded, keep_blank_values=True))
    assert back == {
        "a": {"b": "1", "c": ["x", "y"]},
        "flag": "true",
        "n": "",
        "metadata": {"0": "k"},
    }
    with pytest.raises(ValueError, match="malformed"):
        nest([("a[b", "1")])
    with pytest.raises(ValueError, match="mixes"):
        nest([("a", "1"), ("a[b]", "2")])


def test_invoice_count_adds_paid_invoices_and_keeps_the_default_data() -> None:
    default = build_dataset(42)
    assert len(default.invoices) == DEFAULT_INVOICE_COUNT == 547
    started = time.perf_counter()
    big = build_dataset(42, invoice_count=10_000)
    assert time.perf_counter() - started < 10  # seconds; about 0.3 on a quiet machine
    assert len(big.invoices) == 10_000
    assert build_dataset(42, invoice_count=10_000).invoices == big.invoices  # deterministic
    by_id = {inv["id"]: inv for inv in big.invoices}
    assert all(by_id[inv["id"]] == inv for inv in default.invoices)  # unchanged, same ids
    extra = [inv for inv in big.invoices if inv["id"] not in {i["id"] for i in default.invoices}]
    assert len(extra) == 10_000 - 547
    assert all(inv["status"] == "paid" and inv["amount_remaining"] == 0 for inv in extra)
    assert all(inv["created"] < DATA_AS_OF and inv["number"] for inv in extra)
    charges = {charge["invoice"]: charge for charge in big.charges}
    assert all(charges[inv["id"]]["id"] == inv["charge"] for inv in extra)
    ids = [obj["id"] for objects in vars(big).values() for obj in objects]
    assert len(ids) == len(set(ids))
    assert debtor_summary(big) == debtor_summary(default)
    created = [inv["created"] for inv in big.invoices]
    assert created == sorted(created)
    with pytest.raises(ValueError, match="at least 547"):
        build_dataset(42, invoice_count=100)


def test_a_sandbox_with_ten_thousand_invoices_pages_them_all() -> None:
    with pytest.raises(ValueError, match="at least 547"):
        Sandbox(invoice_count=10)
    with (
        Sandbox(invoice_count=10_000, large_file_size=0) as sb,
        httpx.Client(base_url=sb.stripe_url, auth=(sb.stripe_secret_key, ""), timeout=30) as http,
    ):
        assert sb.invoice_count == 10_000
        assert sb.data_as_of == SANDBOX_TODAY == date(2025, 7, 1)
        started = time.perf_counter()
        invoices = walk(http, "/v1/invoices", limit=100)
        assert len({inv["id"] for inv in invoices}) == 10_000
        assert time.perf_counter() - started < 30  # seconds; about 1.5 on a quiet machine
        opened = walk(http, "/v1/invoices", status="open", limit=100)
        owed: Counter[str] = Counter()
        for invoice in opened:
            owed[invoice["customer_name"]] += invoice["amount_remaining"]
        assert {name for name, cents in owed.items() if cents > 100_000} == {
            "Initech", "Acme Corp", "Cyberdyne Robotics", "Globex", "Stark Logistics",
        }  # fmt: skip
    assert Sandbox().invoice_count == 547


def paid_invoice(stripe: httpx.Client) -> dict[str, Any]:
    """A paid invoice of the demo data (it has a charge and a customer to expand)."""
    page = stripe.get("/v1/invoices", params={"status": "paid", "limit": 1})
    invoice: dict[str, Any] = page.json()["data"][0]
    assert isinstance(invoice["charge"], str)
    return invoice


def test_expand_on_retrieve_replaces_ids_and_keeps_the_store(stripe: httpx.Client) -> None:
    invoice = paid_invoice(stripe)
    url = f"/v1/invoices/{invoice['id']}"
    # curl -G https://api.stripe.com/v1/invoices/in_... -u sk_test_...: -d "expand[]=customer"
    expanded = stripe.get(url, params=[("expand[]", "customer"), ("expand[]", "charge.customer")])
    assert expanded.status_code == 200, expanded.text
    body = expanded.json()
    assert body["customer"] == stripe.get(f"/v1/customers/{invoice['customer']}").json()
    assert body["charge"]["object"] == "charge"
    assert body["charge"]["id"] == invoice["charge"]
    assert body["charge"]["customer"]["id"] == invoice["customer"]
    assert body["charge"]["invoice"] == invoice["id"]  # not asked for: still an id
    indexed = stripe.get(url, params={"expand[0]": "customer"}).json()
    assert indexed["customer"]["id"] == invoice["customer"]
    assert indexed["charge"] == invoice["charge"]
    assert stripe.get(url).json() == invoice  # the stored invoice was not touched


def test_expand_on_lists_and_nested_lines(stripe: httpx.Client) -> None:
    plain = stripe.get("/v1/invoices", params={"limit": 5}).json()["data"]
    page = stripe.get(
        "/v1/invoices",
        params=[("limit", "5"), ("expand[]", "data.customer"), ("expand[]", "data.subscription")],
    )
    assert page.status_code == 200, page.text
    items = page.json()["data"]
    assert [item["id"] for item in items] == [item["id"] for item in plain]
    for item, original in zip(items, plain, strict=True):
        assert item["customer"]["object"] == "customer"
        assert item["customer"]["id"] == original["customer"]
        if original["subscription"] is None:
            assert item["subscription"] is None
        else:
            assert item["subscription"]["id"] == original["subscription"]
    products = stripe.get(
        f"/v1/invoices/{plain[0]['id']}", params={"expand[]": "lines.data.price.product"}
    ).json()
    assert all(
        line["price"]["product"]["object"] == "product" for line in products["lines"]["data"]
    )
    again = stripe.get("/v1/invoices", params={"limit": 5}).json()["data"]
    assert again == plain


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/invoices/{id}", {"expand[]": "nope"}, "This property cannot be expanded (nope)."),
        ("/v1/invoices/{id}", {"expand[]": "metadata"}, "cannot be expanded (metadata)."),
        ("/v1/invoices/{id}", {"expand[]": "customer.email"}, "cannot be expanded"),
        ("/v1/invoices", {"expand[]": "customer"}, "try expanding 'data.customer'"),
        ("/v1/invoices", {"expand": "data.customer"}, "Invalid array"),
        ("/v1/invoices", {"expand[]": "data.charge.invoice.charge.customer"}, "4 levels"),
    ],
)
def test_bad_expand_is_a_stripe_400(
    stripe: httpx.Client, path: str, params: dict[str, str], fragment: str
) -> None:
    invoice = paid_invoice(stripe)
    response = stripe.get(path.format(id=invoice["id"]), params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "expand"
    assert fragment in error["message"]


def test_head_answers_like_get_without_a_body(stripe: httpx.Client) -> None:
    invoice = paid_invoice(stripe)
    for path in ("/v1/invoices", f"/v1/invoices/{invoice['id']}"):
        get, head = stripe.get(path), stripe.head(path)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == get.headers["content-length"]
    missing = stripe.head("/v1/invoices/in_nope")
    assert missing.status_code == 404
    assert missing.content == b""


def test_expand_and_head_through_the_proxy(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], stripe: httpx.Client
) -> None:
    invoice = paid_invoice(stripe)
    url = f"https://api.stripe.com/v1/invoices/{invoice['id']}"
    path = proxy_path(sandbox.stripe_source_id)
    expanded = api.post(
        path, json={"method": "GET", "url": f"{url}?expand[]=customer"}, headers=auth
    )
    assert expanded.status_code == 200, expanded.text
    assert expanded.json()["customer"]["id"] == invoice["customer"]
    listed = api.post(
        path,
        json={"method": "GET", "url": "https://api.stripe.com/v1/invoices",
              "body": {"limit": 2, "expand": ["data.customer"]}},
        headers=auth,
    )  # fmt: skip
    assert listed.status_code == 200, listed.text
    assert all(item["customer"]["object"] == "customer" for item in listed.json()["data"])
    head = api.post(path, json={"method": "HEAD", "url": url}, headers=auth)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("application/json")
    assert api.post(path, json={"method": "GET", "url": url}, headers=auth).json() == invoice
