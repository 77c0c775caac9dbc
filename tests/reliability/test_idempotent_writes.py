"""Writes that happen once: Idempotency-Key on every keyed write, reused by its retries.

Through the sandbox's proxy and its Stripe emulator over HTTP, with the "performed, then the
answer lost" faults (``5xx_after``: the write ran, the answer is a 503; ``drop``: the write ran,
the connection breaks mid-answer) on the proxy and on the upstream.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator

import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools import (
    AirbyteEmbeddedClient,
    AirbyteEmbeddedError,
    APIConnectionError,
    IdempotencyConflictError,
    InvalidRequestError,
)
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

pytestmark = pytest.mark.reliability

CUSTOMERS = "https://api.stripe.com/v1/customers"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(large_file_size=0) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def no_faults(sb: Sandbox) -> Iterator[None]:
    sb.set_faults(None)
    yield
    sb.set_faults(None)


def named(sb: Sandbox, prefix: str) -> Counter[str]:
    return Counter(c["name"] for c in sb.created_objects() if c["name"].startswith(prefix))


async def test_200_writes_under_lost_answers_create_200_customers(sb: Sandbox) -> None:
    sb.set_faults(
        FaultConfig(
            rate_5xx_after=0.15, rate_drop=0.15, seed=17, targets=frozenset({"proxy", "upstream"})
        )
    )
    upstream_before = len(sb.upstream_requests)
    outcomes: dict[int, str] = {}
    failures: list[AirbyteEmbeddedError] = []
    gate = asyncio.Semaphore(8)
    async with make_client(sb, max_retries=10) as client:

        async def create(n: int) -> None:
            key: str | None = None
            while True:  # the caller reconciles a failure: the same call again, same key
                try:
                    async with gate:
                        answer = await client.proxy_request(
                            sb.stripe_source_id,
                            "POST",
                            CUSTOMERS,
                            data={"name": f"Chaos {n}"},
                            idempotency_key=key,
                        )
                except AirbyteEmbeddedError as exc:
                    failures.append(exc)
                    key = exc.idempotency_key
                    if key is None:
                        raise
                    continue
                answer.raise_for_status()
                assert answer.idempotency_key is not None
                outcomes[n] = answer.json()["id"]
                return

        await asyncio.gather(*(create(n) for n in range(200)))
    sb.set_faults(None)
    for failure in failures:  # typed, keyed, and saying whether the write may have happened
        assert failure.write_may_have_happened is not None, failure
    counts = named(sb, "Chaos ")
    assert len(counts) == 200
    assert set(counts.values()) == {1}, [name for name, c in counts.items() if c > 1]
    assert len(set(outcomes.values())) == 200
    assert len(sb.upstream_requests) - upstream_before > 240  # the faults were hit, retried


async def test_every_retry_of_a_write_sends_the_same_key(sb: Sandbox) -> None:
    sb.set_faults(
        FaultConfig(schedule={1: "5xx_after", 2: "drop"}, targets=frozenset({"upstream"}))
    )
    async with make_client(sb) as client:
        answer = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "Once Ltd"}
        )
    assert answer.status_code == 200
    assert answer.headers.get("idempotent-replayed") == "true"
    assert len(answer.idempotency_key or "") == 36  # a uuid4
    assert named(sb, "Once Ltd") == {"Once Ltd": 1}


async def test_the_callers_key_is_used_from_the_argument_or_the_header(sb: Sandbox) -> None:
    async with make_client(sb) as client:
        first = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "Mine"}, idempotency_key="k-1"
        )
        again = await client.proxy_request(
            sb.stripe_source_id,
            "POST",
            CUSTOMERS,
            data={"name": "Mine"},
            headers={"idempotency-key": "k-1"},
        )
        with pytest.raises(InvalidRequestError, match="disagree"):
            await client.proxy_request(
                sb.stripe_source_id,
                "POST",
                CUSTOMERS,
                data={"name": "Mine"},
                headers={"Idempotency-Key": "k-2"},
                idempotency_key="k-1",
            )
        read = await client.proxy_request(sb.stripe_source_id, "GET", CUSTOMERS)
    assert first.idempotency_key == again.idempotency_key == "k-1"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert read.idempotency_key is None  # reads carry none
    assert named(sb, "Mine") == {"Mine": 1}


async def test_the_same_key_with_another_body_is_a_typed_conflict(sb: Sandbox) -> None:
    async with make_client(sb) as client:
        ok = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "A"}, idempotency_key="k-same"
        )
        ok.raise_for_status()
        other = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "B"}, idempotency_key="k-same"
        )
    with pytest.raises(IdempotencyConflictError) as caught:
        other.raise_for_status()
    assert caught.value.idempotency_key == "k-same"
    assert caught.value.upstream_status == 400
    assert caught.value.write_may_have_happened is False
    assert "new key" in str(caught.value)
    assert "k-same" in str(caught.value)


async def test_a_write_dropped_after_sending_may_have_happened(sb: Sandbox) -> None:
    sb.set_faults(FaultConfig(rate_drop=1.0, targets=frozenset({"proxy"})))
    async with make_client(sb, max_retries=1) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.proxy_request(
                sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "Maybe Ltd"}
            )
    assert caught.value.write_may_have_happened is True
    assert caught.value.idempotency_key is not None
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    sb.set_faults(None)
    assert named(sb, "Maybe Ltd") == {"Maybe Ltd": 1}  # performed once; the retry replayed


async def test_a_write_refused_before_sending_did_not_happen() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AirbyteEmbeddedClient(
        token="t0ken", base_url=f"http://127.0.0.1:{port}", max_retries=1
    )
    async with client:
        with pytest.raises(APIConnectionError) as caught:
            await client.proxy_request("src", "POST", CUSTOMERS, data={"name": "No"})
        with pytest.raises(APIConnectionError) as read:
            await client.proxy_request("src", "GET", CUSTOMERS)
    assert caught.value.write_may_have_happened is False
    assert caught.value.idempotency_key is not None
    assert read.value.write_may_have_happened is None  # not a write
