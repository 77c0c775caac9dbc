"""Load: 2,000 concurrent proxied calls through one client with a 100-connection pool.

The sandbox runs in another process, so this process's file descriptors and Python memory are
the client's alone: the connections stay within the pool's limit while the calls run, and the
descriptors and allocated memory blocks come back to where they started once the client closes.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from reliability_helpers import SandboxProcess, open_fds, rss_bytes

pytestmark = pytest.mark.reliability

CALLS = 2000
POOL = 100
FD_SLACK = 8
"""Descriptors beyond the pool's: none expected; a few for the runtime's own lazy files."""
MAX_BLOCK_GROWTH = CALLS // 4
"""Allocated memory blocks the run may leave behind: a leak of one object per call is 2,000."""
CUSTOMERS = "https://api.stripe.com/v1/customers"


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[SandboxProcess]:
    with SandboxProcess(large_file_size=0, seed=5) as process:
        yield process


async def test_two_thousand_concurrent_calls_with_a_bounded_pool(
    sandbox_process: SandboxProcess,
) -> None:
    source_id = sandbox_process.info["stripe source id"]

    async def run_once(calls: int) -> tuple[Counter[str], int]:
        """``calls`` concurrent calls on a fresh pool; the outcomes and the peak of open fds."""
        http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=POOL), timeout=httpx.Timeout(30.0)
        )
        peak = open_fds()
        outcomes: Counter[str] = Counter()
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, open_fds())
                await asyncio.sleep(0.02)

        async with http, sandbox_process.client(http_client=http) as client:

            async def one(i: int) -> None:
                try:
                    response = await client.proxy_request(
                        source_id, "GET", CUSTOMERS, params={"limit": 1 + i % 5}
                    )
                    outcomes[f"HTTP {response.status_code}"] += 1
                except Exception as exc:
                    outcomes[f"{type(exc).__name__}: {exc}"[:160]] += 1

            await client.get_token()  # then all calls reach the pool at once
            sampler = asyncio.ensure_future(sample())
            await asyncio.gather(*(one(i) for i in range(calls)))
            done.set()
            await sampler
        return outcomes, peak

    await run_once(POOL)  # warm up: imports, the token, lazily built module state and caches
    gc.collect()
    fds_before, blocks_before, rss_before = open_fds(), sys.getallocatedblocks(), rss_bytes()
    started = time.monotonic()
    outcomes, peak_fds = await run_once(CALLS)
    seconds = time.monotonic() - started
    gc.collect()
    fds_after, blocks_after, rss_after = open_fds(), sys.getallocatedblocks(), rss_bytes()
    print(
        f"{CALLS} concurrent calls in {seconds:.1f} s: {dict(outcomes)}; open fds {fds_before} "
        f"-> peak {peak_fds} -> {fds_after}; allocated blocks {blocks_before} -> {blocks_after}; "
        f"RSS {rss_before / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB (the allocator's high-water "
        "mark, not returned to the OS)"
    )
    assert outcomes == Counter({"HTTP 200": CALLS})
    assert peak_fds > fds_before + POOL // 4, "the calls did not run concurrently"
    assert peak_fds <= fds_before + POOL + FD_SLACK, "more connections than the pool allows"
    assert fds_after <= fds_before + FD_SLACK, "file descriptors leaked"
    assert blocks_after - blocks_before <= MAX_BLOCK_GROWTH, "Python objects were not released"
