"""Stripe's Idempotency-Key in the emulator, directly and through the proxy, with lost answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_helpers import bearer_for, proxy_path

from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox
from airbyte_embedded_tools.sandbox.stripe_idempotency import IDEMPOTENCY_TTL, IdempotencyCache
from airbyte_embedded_tools.sandbox.stripe_store import StripeError

CUSTOMERS = "https://api.stripe.com/v1/customers"
MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with. Try using a key other than '{key}' if you meant to execute a different request."
)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox of this module's own: its tests create customers and set faults."""
    with Sandbox(large_file_size=0, tenants=2) as sandbox:
        yield sandbox


@pytest.fixture
def stripe(sb: Sandbox) -> Iterator[httpx.Client]:
    sb.set_faults(None)
    with httpx.Client(base_url=sb.stripe_url, auth=(sb.stripe_secret_key, ""), timeout=10) as http:
        yield http


def customers_named(sb: Sandbox, name: str, workspace: str | None = None) -> int:
    return sum(1 for c in sb.stripe_objects("customers", workspace) if c["name"] == name)


def test_a_keyed_create_is_answered_once_and_replayed(sb: Sandbox, stripe: httpx.Client) -> None:
    params = {"name": "Replay Ltd", "metadata[tier]": "gold"}
    created_before = len(sb.created_objects())
    first = stripe.post("/v1/customers", data=params, headers={"Idempotency-Key": "k-replay"})
    again = stripe.post("/v1/customers", data=params, headers={"Idempotency-Key": "k-replay"})
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["original-request"] == first.headers["request-id"]
    assert again.headers["request-id"] != first.headers["request-id"]
    assert again.content == first.content
    assert customers_named(sb, "Replay Ltd") == 1
    created = sb.created_objects()[created_before:]
    assert [c["id"] for c in created] == [first.json()["id"]]
    reordered = {"metadata[tier]": "gold", "name": "Replay Ltd"}  # the same parameters
    assert stripe.post("/v1/customers", data=reordered,
                       headers={"Idempotency-Key": "k-replay"}).status_code == 200  # fmt: skip
    unkeyed = stripe.post("/v1/customers", data=params)
    assert unkeyed.json()["id"] != first.json()["id"]
    assert customers_named(sb, "Replay Ltd") == 2


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    sb: Sandbox, stripe: httpx.Client
) -> None:
    key = {"Idempotency-Key": "k-mismatch"}
    assert stripe.post("/v1/customers", data={"name": "First"}, headers=key).status_code == 200
    other = stripe.post("/v1/customers", data={"name": "Second"}, headers=key)
    assert other.status_code == 400
    assert other.json() == {
        "error": {"type": "idempotency_error", "message": MISMATCH.format(key="k-mismatch")}
    }
    customer_id = stripe.get("/v1/customers", params={"limit": 1}).json()["data"][0]["id"]
    elsewhere = stripe.post(f"/v1/customers/{customer_id}", data={"name": "First"}, headers=key)
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error"]["type"] == "idempotency_error"
    assert "same endpoint" in elsewhere.json()["error"]["message"]
    assert customers_named(sb, "Second") == 0


def test_key_length_and_methods_that_ignore_keys(sb: Sandbox, stripe: httpx.Client) -> None:
    longest = stripe.post("/v1/customers", data={"name": "Long key"},
                          headers={"Idempotency-Key": "k" * 255})  # fmt: skip
    assert longest.status_code == 200
    too_long = stripe.post("/v1/customers", data={"name": "Too long"},
                           headers={"Idempotency-Key": "k" * 256})  # fmt: skip
    assert too_long.status_code == 400
    assert too_long.json()["error"]["param"] == "Idempotency-Key"
    assert "255" in too_long.json()["error"]["message"]
    assert customers_named(sb, "Too long") == 0
    key = {"Idempotency-Key": "k-read"}
    reads = [stripe.get("/v1/customers", params={"limit": n}, headers=key) for n in (1, 2)]
    assert [len(r.json()["data"]) for r in reads] == [1, 2]  # not replayed, no mismatch error
    assert all("idempotent-replayed" not in r.headers for r in reads)
    victim = longest.json()["id"]
    deleted = stripe.delete(f"/v1/customers/{victim}", headers={"Idempotency-Key": "k-del"})
    twice = stripe.delete(f"/v1/customers/{victim}", headers={"Idempotency-Key": "k-del"})
    assert deleted.json()["deleted"] is True
    assert twice.status_code == 404  # DELETE ignores keys: nothing replayed


def test_a_refused_request_saves_nothing(sb: Sandbox, stripe: httpx.Client) -> None:
    key = {"Idempotency-Key": "k-invalid-first"}
    bad = stripe.post("/v1/customers", data={"email": "not-an-email"}, headers=key)
    assert bad.status_code == 400
    good = stripe.post("/v1/customers", data={"name": "Valid later"}, headers=key)
    assert good.status_code == 200  # the key was not consumed by a request that never ran
    assert "idempotent-replayed" not in good.headers


def test_keys_are_scoped_to_the_account(sb: Sandbox) -> None:
    ids = []
    for tenant in sb.tenants:
        with httpx.Client(base_url=sb.stripe_url, auth=(tenant.stripe_secret_key, "")) as http:
            answer = http.post("/v1/customers", data={"name": "Shared key"},
                               headers={"Idempotency-Key": "k-shared"})  # fmt: skip
        assert answer.status_code == 200
        assert "idempotent-replayed" not in answer.headers
        ids.append(answer.json()["id"])
        assert customers_named(sb, "Shared key", tenant.name) == 1
    assert customers_named(sb, "Shared key") == 0  # the demo account saw neither


def test_saved_answers_are_pruned_after_24_hours() -> None:
    now = [1000.0]
    cache = IdempotencyCache(clock=lambda: now[0])
    cache.save("sk_a", "k", "POST /v1/customers", {"name": "x"}, status=200, body=b"{}",
               request_id="req_1")  # fmt: skip
    now[0] += IDEMPOTENCY_TTL - 1
    saved = cache.lookup("sk_a", "k", "POST /v1/customers", {"name": "x"})
    assert saved is not None
    assert saved.request_id == "req_1"
    assert cache.lookup("sk_b", "k", "POST /v1/customers", {"name": "y"}) is None
    with pytest.raises(StripeError) as mismatch:
        cache.lookup("sk_a", "k", "POST /v1/customers", {"name": "y"})
    assert mismatch.value.type == "idempotency_error"
    now[0] += 2
    assert cache.lookup("sk_a", "k", "POST /v1/customers", {"name": "y"}) is None
    assert len(cache) == 0


def post_through_proxy(
    http: httpx.Client, sb: Sandbox, auth: dict[str, str], name: str, key: str | None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    body: dict[str, Any] = {"method": "POST", "url": CUSTOMERS, "body": {"name": name},
                            "headers": headers}  # fmt: skip
    return http.post(proxy_path(sb.stripe_source_id), json=body, headers=auth)


@pytest.mark.parametrize("fault", ["5xx_after", "drop"])
def test_a_lost_answer_is_replayed_through_the_proxy(sb: Sandbox, fault: str) -> None:
    name = f"Lost answer {fault}"
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        auth = bearer_for(sb, http)
        sb.set_faults(FaultConfig(schedule={1: fault}, targets=frozenset({"upstream"})))
        lost = post_through_proxy(http, sb, auth, name, f"k-lost-{fault}")
        assert lost.status_code == (503 if fault == "5xx_after" else 502)
        assert customers_named(sb, name) == 1  # performed upstream, the answer lost on the way
        retried = post_through_proxy(http, sb, auth, name, f"k-lost-{fault}")
        assert retried.status_code == 200
        assert retried.headers["idempotent-replayed"] == "true"
        assert retried.headers["idempotency-key"] == f"k-lost-{fault}"
        assert customers_named(sb, name) == 1
        sb.set_faults(FaultConfig(schedule={1: fault}, targets=frozenset({"upstream"})))
        post_through_proxy(http, sb, auth, name + " unkeyed", None)
        post_through_proxy(http, sb, auth, name + " unkeyed", None)
        assert customers_named(sb, name + " unkeyed") == 2  # the duplicate a key prevents
    sb.set_faults(None)


def test_retrying_with_keys_under_lost_answers_creates_each_once(sb: Sandbox) -> None:
    """40 keyed writes, 30% of upstream answers lost after the write: each created exactly once."""
    sb.set_faults(
        FaultConfig(rate_5xx_after=0.15, rate_drop=0.15, seed=7, targets=frozenset({"upstream"}))
    )
    attempts = 0
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        auth = bearer_for(sb, http)
        for n in range(40):
            for _ in range(20):
                attempts += 1
                answer = post_through_proxy(http, sb, auth, f"Chaos {n}", f"k-chaos-{n}")
                if answer.status_code == 200:
                    break
                assert answer.status_code in (502, 503), answer.text
            else:
                pytest.fail(f"write {n} never succeeded")
    sb.set_faults(None)
    assert attempts > 45  # faults did hit (seeded: the same number every run)
    names = [c["name"] for c in sb.stripe_objects() if c["name"].startswith("Chaos ")]
    assert sorted(names) == sorted(f"Chaos {n}" for n in range(40))


def test_lost_answer_fault_config() -> None:
    assert FaultConfig(rate_5xx_after=0.3).rate_5xx_after == 0.3
    with pytest.raises(ValueError, match="sum to at most 1"):
        FaultConfig(rate_5xx_after=0.6, rate_drop=0.6)
    assert FaultConfig(schedule={2: "5xx_after"}).schedule == {2: "5xx_after"}
