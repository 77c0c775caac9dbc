"""``SyncAirbyteEmbeddedClient`` over real HTTP: blocking calls, iterators, running loops, close."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import threading

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import NotFoundError
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox

INVOICES = "https://api.stripe.com/v1/invoices"


def make_sync(sb: Sandbox) -> SyncAirbyteEmbeddedClient:
    return SyncAirbyteEmbeddedClient(
        sb.client_id, sb.client_secret, workspace_id=sb.workspace_id, base_url=sb.base_url
    )


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "airbyte-embedded-tools-loop"]


def test_blocking_surface(sandbox: Sandbox) -> None:
    with make_sync(sandbox) as client:
        response = client.proxy_request(
            sandbox.stripe_source_id, "GET", INVOICES, params={"limit": 2}
        )
        files = client.list_files(sandbox.file_source_id, "contracts/")
        iterated = list(client.iter_files(sandbox.file_source_id, "contracts/", page_size=1))
        first = client.read_file(sandbox.file_source_id, files[0].path, 0, 9)
        streamed = b"".join(
            client.stream_file(sandbox.file_source_id, files[0].path, chunk_size=100)
        )
        token = client.get_token()
        with pytest.raises(NotFoundError):
            client.read_file(sandbox.file_source_id, "missing.txt")
        with pytest.raises(NotFoundError):  # another workspace's source: like an unknown one
            client.list_files(sandbox.other_workspace.file_source_id)
        assert client.base_url == sandbox.base_url
        assert client.max_retries == 3
        assert isinstance(client.async_client, AirbyteEmbeddedClient)
    assert len(response.json()["data"]) == 2
    assert [e.path for e in iterated] == [e.path for e in files]
    assert first.content == streamed[:10]
    assert streamed == (sandbox.files_dir / files[0].path).read_bytes()
    assert token.kind == "scoped"
    assert client.loop.is_closed()


async def test_works_inside_a_running_event_loop(sandbox: Sandbox) -> None:
    asyncio.get_running_loop()  # as in Jupyter: a loop is running in this thread
    with make_sync(sandbox) as client:
        files = client.list_files(sandbox.file_source_id)
        pieces = list(client.stream_file(sandbox.file_source_id, files[0].path))
    assert files
    assert b"".join(pieces) == (sandbox.files_dir / files[0].path).read_bytes()


def test_one_pool_and_one_token_across_calls(sandbox: Sandbox) -> None:
    before = sandbox.token_requests
    with make_sync(sandbox) as client:
        for _ in range(5):
            client.list_files(sandbox.file_source_id, "contracts/")
        pool = client.async_client._http
        assert client.async_client._http is pool
    assert sandbox.token_requests - before == 2


def test_breaking_out_of_an_iterator_closes_it(sandbox: Sandbox) -> None:
    path = sandbox.large_file_path
    assert path is not None
    with make_sync(sandbox) as client:
        stream = client.stream_file(sandbox.file_source_id, path, chunk_size=1024 * 1024)
        first = next(stream)
        stream.close()  # the async generator and its open response are closed on the loop
        again = client.read_file(sandbox.file_source_id, path, 0, len(first) - 1)
    assert again.content == first


def test_close_stops_the_loop_thread(sandbox: Sandbox) -> None:
    before = len(loop_threads())
    client = make_sync(sandbox)
    assert len(loop_threads()) == before + 1
    client.list_files(sandbox.file_source_id, "contracts/")
    client.close()
    client.close()  # idempotent
    assert len(loop_threads()) == before
    assert client.async_client._http.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        client.list_files(sandbox.file_source_id)


def test_wrapping_an_async_client(sandbox: Sandbox) -> None:
    async_client = AirbyteEmbeddedClient(
        sandbox.client_id, sandbox.client_secret, base_url=sandbox.base_url
    )
    sync = SyncAirbyteEmbeddedClient(async_client=async_client)
    assert sync.async_client is async_client
    assert sync.list_files(sandbox.file_source_id, "contracts/")
    sync.close()
    assert not async_client._http.is_closed  # not ours to close

    async def use_again() -> int:
        try:
            return len(await async_client.list_files(sandbox.file_source_id, "contracts/"))
        finally:
            await async_client.aclose()

    # the pool of the closed loop is replaced: the client works on a new loop, and closes there
    assert asyncio.run(use_again()) > 0
    with pytest.raises(TypeError):
        SyncAirbyteEmbeddedClient("id", async_client=async_client)


def test_async_client_survives_two_asyncio_runs(sandbox: Sandbox) -> None:
    client = AirbyteEmbeddedClient(
        sandbox.client_id, sandbox.client_secret, base_url=sandbox.base_url
    )

    async def digest() -> str:
        content = await client.read_file(sandbox.file_source_id, "README.md")
        return hashlib.sha256(content.content).hexdigest()

    assert asyncio.run(digest()) == asyncio.run(digest())
    asyncio.run(client.aclose())


def test_from_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.setenv("AIRBYTE_API_URL", sandbox.base_url)
    for name in ("AIRBYTE_WORKSPACE_ID", "AIRBYTE_WORKSPACE_NAME", "AIRBYTE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with SyncAirbyteEmbeddedClient.from_env() as client:
        assert client.list_files(sandbox.file_source_id, "contracts/")
        assert sandbox.client_secret not in repr(client)
    assert client.async_client._http.is_closed


def test_an_unclosed_sync_client_shuts_down_when_collected(sandbox: Sandbox) -> None:
    before = len(loop_threads())
    client = make_sync(sandbox)
    client.list_files(sandbox.file_source_id, "contracts/")
    pool = client.async_client._http
    del client
    gc.collect()
    assert len(loop_threads()) == before
    assert pool.is_closed
