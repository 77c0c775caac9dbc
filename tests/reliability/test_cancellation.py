"""Cancellation: a task cancelled mid-call, mid-token-exchange or mid-stream leaves the client
usable and its pool intact.

The client runs over a one-connection pool with a short pool timeout: a connection leaked by a
cancelled call would make the next call fail with a pool timeout instead of succeeding.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from reliability_helpers import make_client, open_fds

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

pytestmark = pytest.mark.reliability

LARGE = 8 * 1024 * 1024
CUSTOMERS = "https://api.stripe.com/v1/customers"
ROUNDS = 5
FD_SLACK = 6
"""The sandbox shares this process: its own upstream pool may keep a few more sockets open."""


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[Sandbox]:
    with Sandbox(large_file_size=LARGE, seed=3) as sb:
        yield sb


@pytest.fixture
async def one_connection(slow_sandbox: Sandbox) -> AsyncIterator[AirbyteEmbeddedClient]:
    """A client whose pool holds a single connection, waited for at most 2 s."""
    slow_sandbox.set_faults(None)
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(10.0, pool=2.0)
    )
    async with http, make_client(slow_sandbox, max_retries=0, http_client=http) as client:
        yield client
    slow_sandbox.set_faults(None)


async def _works(sb: Sandbox, client: AirbyteEmbeddedClient) -> None:
    """One call of each kind succeeds (a leaked connection would time out in the pool)."""
    sb.set_faults(None)
    response = await client.proxy_request(sb.stripe_source_id, "GET", CUSTOMERS)
    assert response.status_code == 200
    assert (await client.read_file(sb.file_source_id, "data/large.bin", 0, 9)).content
    assert await client.list_files(sb.file_source_id, "contracts/")


async def _fds_settle(before: int) -> int:
    """Open fds once the sandbox's handlers of the cancelled calls (sleeping out the injected
    latency) have finished and closed their side; at most 5 s."""
    for _ in range(50):
        now = open_fds()
        if now <= before + FD_SLACK:
            return now
        await asyncio.sleep(0.1)
    return open_fds()


async def _cancel_after(coro_task: asyncio.Task[object], delay: float) -> None:
    await asyncio.sleep(delay)
    assert not coro_task.done(), "the call finished before it could be cancelled"
    coro_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await coro_task


async def test_cancel_mid_call(
    slow_sandbox: Sandbox, one_connection: AirbyteEmbeddedClient
) -> None:
    sb, client = slow_sandbox, one_connection
    await _works(sb, client)
    fds = open_fds()
    for _ in range(ROUNDS):
        sb.set_faults(FaultConfig(latency=1.0, targets=frozenset({"proxy", "files"})))
        call = asyncio.ensure_future(client.proxy_request(sb.stripe_source_id, "GET", CUSTOMERS))
        await _cancel_after(call, 0.2)
        listing = asyncio.ensure_future(client.list_files(sb.file_source_id))
        await _cancel_after(listing, 0.2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.read_file(sb.file_source_id, "data/large.bin"), 0.2)
        await _works(sb, client)
    assert await _fds_settle(fds) <= fds + FD_SLACK


async def test_cancel_mid_token_exchange(slow_sandbox: Sandbox) -> None:
    sb = slow_sandbox
    sb.set_faults(FaultConfig(latency=1.0, targets=frozenset({"tokens"})))
    async with make_client(sb, max_retries=0) as client:
        waiters = [
            asyncio.ensure_future(client.list_files(sb.file_source_id, "contracts/"))
            for _ in range(5)
        ]
        await asyncio.sleep(0.3)
        waiters[0].cancel()  # the one holding the exchange
        await asyncio.sleep(0)
        sb.set_faults(None)
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert all(isinstance(r, list) and r for r in results[1:]), results
        await _works(sb, client)


async def test_cancel_mid_stream(
    slow_sandbox: Sandbox, one_connection: AirbyteEmbeddedClient
) -> None:
    sb, client = slow_sandbox, one_connection
    want = hashlib.sha256((sb.files_dir / "data/large.bin").read_bytes()).hexdigest()
    fds = open_fds()
    for _ in range(ROUNDS):
        received = asyncio.Event()

        async def consume(received: asyncio.Event) -> None:
            async for _piece in client.stream_file(
                sb.file_source_id, "data/large.bin", chunk_size=4 * 1024 * 1024
            ):
                received.set()
                await asyncio.sleep(0.01)  # a slow consumer: cancelled with the body unread

        task = asyncio.ensure_future(consume(received))
        await asyncio.wait_for(received.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Abandoning the iterator (break, then close it) must release the connection too.
        stream = client.stream_file(sb.file_source_id, "data/large.bin", chunk_size=1024 * 1024)
        async for _piece in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        await _works(sb, client)
    digest = hashlib.sha256()
    async for piece in client.stream_file(sb.file_source_id, "data/large.bin"):
        digest.update(piece)
    assert digest.hexdigest() == want
    assert await _fds_settle(fds) <= fds + FD_SLACK
