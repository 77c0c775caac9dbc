"""Tools over one client from sync and async code: the client stays on the loop that owns it.

The mechanism itself (``airbyte_embedded_tools._access``) is tested in tests/test_access.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest

from airbyte_embedded_tools import _access as access_module
from airbyte_embedded_tools._access import access_for
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import ListFilesTool, ProxyApiRequestTool, ToolResult

Factory = Callable[[Sandbox], AirbyteEmbeddedClient]


def ok(result: ToolResult) -> bool:
    return not result.is_error and result.content.startswith("HTTP 200 GET /v1/invoices")


@pytest.fixture
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running forever in another thread (an app's loop, a notebook kernel's)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_sync_first_then_async_from_any_loop(sandbox: Sandbox, new_client: Factory) -> None:
    client = new_client(sandbox)
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    assert ok(tool.run(path="/v1/invoices", params={"limit": 1}))
    # the client now lives on the shared sync face's loop; async calls go through it too
    for _ in range(2):
        assert ok(asyncio.run(tool.arun(path="/v1/invoices", params={"limit": 1})))
    asyncio.run(client.aclose())  # closing from another loop while the owner runs is fine


def test_sync_call_reaches_the_owning_loop_in_another_thread(
    sandbox: Sandbox, new_client: Factory, loop_thread: asyncio.AbstractEventLoop
) -> None:
    client = new_client(sandbox)
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    first = asyncio.run_coroutine_threadsafe(
        tool.arun(path="/v1/invoices", params={"limit": 1}), loop_thread
    )
    assert ok(first.result(timeout=30))
    assert ok(tool.run(path="/v1/invoices", params={"limit": 1}))
    # and an async call from yet another loop is carried over to the owner too
    assert ok(asyncio.run(tool.arun(path="/v1/invoices", params={"limit": 1})))
    asyncio.run_coroutine_threadsafe(client.aclose(), loop_thread).result(timeout=30)


async def test_sync_call_inside_the_owning_loop_is_a_message_not_a_deadlock(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    assert ok(await tool.arun(path="/v1/invoices", params={"limit": 1}))
    result = tool.run(path="/v1/invoices")
    assert result.is_error
    assert "from inside the event loop that owns its AirbyteEmbeddedClient" in result.content
    assert "SyncAirbyteEmbeddedClient" in result.content


def test_sync_call_after_the_owning_loop_closed_takes_over(
    sandbox: Sandbox, new_client: Factory
) -> None:
    client = new_client(sandbox)
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    assert ok(asyncio.run(tool.arun(path="/v1/invoices", params={"limit": 1})))
    # the closed loop's connections died with it: the client starts a pool on the new owner
    assert ok(tool.run(path="/v1/invoices", params={"limit": 1}))
    assert ok(asyncio.run(tool.arun(path="/v1/invoices", params={"limit": 1})))
    access_for(client).run_sync(lambda c: c.aclose())


def test_an_async_call_never_waits_on_a_stopped_owning_loop(
    sandbox: Sandbox, new_client: Factory
) -> None:
    client = new_client(sandbox)
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    idle = asyncio.new_event_loop()  # used once, then left idle (not closed)
    try:
        assert ok(idle.run_until_complete(tool.arun(path="/v1/invoices", params={"limit": 1})))
        call = tool.arun(path="/v1/invoices", params={"limit": 1})
        result = asyncio.run(asyncio.wait_for(call, timeout=20))
        # today httpx's pooled connection belongs to the idle loop: a clear message, no hang
        assert ok(result) or (
            "belongs to another event loop" in result.content
            and "SyncAirbyteEmbeddedClient" in result.content
        )
    finally:
        idle.close()


def test_a_blocked_owning_loop_is_detected(
    sandbox: Sandbox,
    new_client: Factory,
    loop_thread: asyncio.AbstractEventLoop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A notebook cell blocking its loop while a worker thread runs the tool synchronously."""
    monkeypatch.setattr(access_module, "_PROBE_SECONDS", 0.3)
    client = new_client(sandbox)
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    bound = asyncio.run_coroutine_threadsafe(
        tool.arun(path="/v1/invoices", params={"limit": 1}), loop_thread
    )
    assert ok(bound.result(timeout=30))
    results: list[ToolResult] = []

    def blocking_cell() -> None:
        worker = threading.Thread(target=lambda: results.append(tool.run(path="/v1/invoices")))
        worker.start()
        worker.join(timeout=30)

    done = threading.Event()
    loop_thread.call_soon_threadsafe(lambda: (blocking_cell(), done.set()))
    assert done.wait(timeout=30)
    assert results[0].is_error
    assert "is blocked" in results[0].content
    asyncio.run_coroutine_threadsafe(client.aclose(), loop_thread).result(timeout=30)


async def test_a_sync_client_serves_sync_calls_inside_a_running_loop(
    sandbox: Sandbox, sync_client: SyncAirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(sync_client, source_id=sandbox.stripe_source_id)
    assert ok(tool.run(path="/v1/invoices", params={"limit": 1}))  # as in a notebook cell
    assert ok(await tool.arun(path="/v1/invoices", params={"limit": 1}))
    files = ListFilesTool(sync_client, source_id=sandbox.file_source_id)
    listed = await files.arun(prefix="tickets/", limit=3)
    assert len(listed.artifact.entries) == 3
    assert listed.artifact.has_more


async def test_concurrent_async_calls_share_one_client(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    results = await asyncio.gather(
        *(tool.arun(path="/v1/invoices", params={"limit": 1}) for _ in range(8))
    )
    assert all(ok(result) for result in results)


def test_tools_over_one_client_share_its_access(sandbox: Sandbox, new_client: Factory) -> None:
    client = new_client(sandbox)
    proxy = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)
    files = ListFilesTool(client, source_id=sandbox.file_source_id)
    assert proxy._access is files._access is access_for(client)
    assert access_for(new_client(sandbox)) is not proxy._access


def test_anything_else_is_not_a_client() -> None:
    with pytest.raises(ConfigurationError, match="AirbyteEmbeddedClient or a Sync"):
        ProxyApiRequestTool(object(), source_id="x")  # type: ignore[arg-type]
