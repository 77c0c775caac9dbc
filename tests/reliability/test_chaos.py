"""Chaos run: 1,000 proxied calls and 50 streamed 8 MiB reads through a sandbox injecting faults.

Faults (seeded): 10% 503, 5% 429 with ``Retry-After: 1``, 2% dropped connections (half the body
sent, then the socket closed) and 2% truncated bodies (a well-formed answer cut to half), on the
Airbyte API's proxy and file endpoints and, for the proxied calls, on the Stripe emulator behind
the proxy too. Every call must end as the right answer or as a typed ``AirbyteEmbeddedError``;
every file must arrive byte-identical.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_helpers import make_client, retry_log

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

pytestmark = pytest.mark.reliability

LARGE = 8 * 1024 * 1024
CALLS = 1000
CALL_CONCURRENCY = 50
READS = 50
READ_CONCURRENCY = 10
CHUNK = 256 * 1024
"""32 ranged requests per file: a drop cuts a chunk at its half, i.e. mid-stream."""

STRIPE = "https://api.stripe.com"
ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/customers", {"limit": 3}),
    ("/v1/invoices", {"limit": 5}),
    ("/v1/charges", {"limit": 2}),
    ("/v1/products", {"limit": 4}),
]


def chaos(targets: frozenset[str]) -> FaultConfig:
    return FaultConfig(
        rate_5xx=0.10,
        rate_429=0.05,
        retry_after=1.0,
        rate_drop=0.02,
        rate_truncate=0.02,
        seed=20240901,
        targets=targets,
    )


@pytest.fixture(scope="module")
def chaos_sandbox() -> Iterator[Sandbox]:
    """A sandbox of this module with an 8 MiB large file; tests set its faults themselves."""
    with Sandbox(large_file_size=LARGE, seed=7) as sb:
        yield sb


def _summary(title: str, outcomes: Counter[str], retries: Counter[str], seconds: float) -> str:
    lines = [f"{title} ({seconds:.1f} s)"]
    lines += [f"  {name}: {count}" for name, count in sorted(outcomes.items())]
    lines.append(f"  retries: {sum(retries.values())} ({dict(sorted(retries.items()))})")
    return "\n".join(lines)


async def test_proxied_calls_survive_chaos(chaos_sandbox: Sandbox) -> None:
    sb = chaos_sandbox
    sb.set_faults(None)
    async with make_client(sb, max_retries=5) as client:
        urls = [STRIPE + path for path, _ in ENDPOINTS]
        first = await client.proxy_request(sb.stripe_source_id, "GET", urls[0], params={"limit": 1})
        customer_url = f"{STRIPE}/v1/customers/{first.json()['data'][0]['id']}"
        calls = [(url, params) for url, (_, params) in zip(urls, ENDPOINTS, strict=True)]
        calls.append((customer_url, {}))
        expected = {}
        for url, params in calls:
            answer = await client.proxy_request(sb.stripe_source_id, "GET", url, params=params)
            assert answer.status_code == 200
            expected[url] = answer.json()

        sb.set_faults(chaos(frozenset({"proxy", "upstream"})))
        gate = asyncio.Semaphore(CALL_CONCURRENCY)

        async def one(i: int) -> str:
            url, params = calls[i % len(calls)]
            async with gate:
                response = await client.proxy_request(
                    sb.stripe_source_id, "GET", url, params=params
                )
            response.raise_for_status()  # an upstream error left after the retries: typed
            assert json.loads(response.content) == expected[url], f"wrong body for {url}"
            return "succeeded"

        started = time.monotonic()
        with retry_log() as retries:
            results = await asyncio.gather(*(one(i) for i in range(CALLS)), return_exceptions=True)
        seconds = time.monotonic() - started
        injected = sb.fault_calls
        sb.set_faults(None)

    outcomes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    untyped = []
    for result in results:
        if isinstance(result, str):
            outcomes[result] += 1
        elif isinstance(result, AirbyteEmbeddedError):
            name = f"typed error {type(result).__name__}"
            outcomes[name] += 1
            examples.setdefault(name, str(result))
        else:
            untyped.append(result)
    print(_summary(f"{CALLS} proxied calls", outcomes, retries.causes, seconds))
    for name, message in examples.items():
        print(f"  e.g. {name}: {message}")
    print(f"  fault decisions drawn: {injected}")
    assert not untyped, f"unhandled exceptions: {untyped[:3]!r}"
    assert sum(outcomes.values()) == CALLS
    # About a third of the attempts meet a fault (proxy or upstream); 5 retries leave ~0.2%.
    assert outcomes["succeeded"] >= CALLS * 0.99
    assert retries.total >= CALLS * 0.2, "the faults were not injected"
    assert {"503", "429"} <= set(retries.causes)
    assert "cut-short body" in retries.causes


async def test_streamed_reads_are_byte_identical_under_chaos(chaos_sandbox: Sandbox) -> None:
    sb = chaos_sandbox
    assert sb.large_file_path is not None
    want = hashlib.sha256((sb.files_dir / sb.large_file_path).read_bytes()).hexdigest()
    sb.set_faults(chaos(frozenset({"files"})))
    gate = asyncio.Semaphore(READ_CONCURRENCY)
    async with make_client(sb, max_retries=8) as client:

        async def read(i: int) -> tuple[str, int]:
            digest, size = hashlib.sha256(), 0
            async with gate:
                async for piece in client.stream_file(
                    sb.file_source_id, sb.large_file_path or "", chunk_size=CHUNK
                ):
                    digest.update(piece)
                    size += len(piece)
            return digest.hexdigest(), size

        started = time.monotonic()
        with retry_log() as retries:
            results = await asyncio.gather(*(read(i) for i in range(READS)), return_exceptions=True)
        seconds = time.monotonic() - started
        sb.set_faults(None)

    failures = [r for r in results if isinstance(r, BaseException)]
    outcomes = Counter("byte-identical" if r == (want, LARGE) else "different" for r in results)
    print(_summary(f"{READS} streamed reads of 8 MiB", outcomes, retries.causes, seconds))
    assert not failures, f"reads failed: {failures[:3]!r}"
    assert outcomes["byte-identical"] == READS
    assert retries.causes["broken connection"] > 0, "no drop hit a stream"
    assert retries.causes["503"] > 0
    assert retries.causes["429"] > 0
