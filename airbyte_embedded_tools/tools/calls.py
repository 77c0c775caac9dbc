"""The tools' one way to reach the client, from async or sync code, whichever face they hold.

Tool logic is written once, as coroutines over ``Calls``. An ``httpx.AsyncClient`` may only be
used on the event loop that opened its connections, so ``ClientAccess`` remembers which loop an
async client belongs to and reaches it there: directly from that loop, through
``run_coroutine_threadsafe`` from another thread, or through one shared sync face (a private
loop thread) when the client has not met a loop yet. A sync client is used in worker threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import itertools
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from airbyte_embedded_tools.errors import ConfigurationError
from airbyte_embedded_tools.models import FileContent, FileEntry, ProxyResponse

__all__ = [
    "AsyncCalls",
    "AsyncClientLike",
    "BlockingCalls",
    "Calls",
    "ClientAccess",
    "LoopCalls",
    "SyncClientLike",
    "ThreadCalls",
    "access_for",
    "run_blocking",
]

T = TypeVar("T")


class AsyncClientLike(Protocol):
    """What the tools use of ``AirbyteEmbeddedClient``."""

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse: ...

    def iter_files(
        self, source_id: str, prefix: str = "", *, recursive: bool = True
    ) -> AsyncIterator[FileEntry]: ...

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent: ...


@runtime_checkable
class SyncClientLike(Protocol):
    """What the tools use of ``SyncAirbyteEmbeddedClient``."""

    def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse: ...

    def iter_files(
        self, source_id: str, prefix: str = "", *, recursive: bool = True
    ) -> Iterator[FileEntry]: ...

    def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent: ...


class Calls(Protocol):
    """The client operations a tool's coroutine awaits."""

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse: ...

    async def list_files(
        self, source_id: str, prefix: str, *, recursive: bool, limit: int
    ) -> list[FileEntry]: ...

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent: ...


class AsyncCalls:
    """Calls awaited on the async client, in the caller's event loop."""

    def __init__(self, client: AsyncClientLike) -> None:
        self._client = client

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse:
        return await self._client.proxy_request(source_id, method, url, json=json)

    async def list_files(
        self, source_id: str, prefix: str, *, recursive: bool, limit: int
    ) -> list[FileEntry]:
        """At most ``limit`` entries, reading no more pages than needed to get them."""
        entries: list[FileEntry] = []
        stream = self._client.iter_files(source_id, prefix, recursive=recursive)
        try:
            async for entry in stream:
                entries.append(entry)
                if len(entries) >= limit:
                    break
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        return entries

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent:
        return await self._client.read_file(source_id, path, start, end)


class BlockingCalls:
    """Calls made on the sync client, blocking: for a coroutine driven by ``run_blocking``."""

    def __init__(self, client: SyncClientLike) -> None:
        self._client = client

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse:
        return self._client.proxy_request(source_id, method, url, json=json)

    async def list_files(
        self, source_id: str, prefix: str, *, recursive: bool, limit: int
    ) -> list[FileEntry]:
        return _first(self._client, source_id, prefix, recursive, limit)

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent:
        return self._client.read_file(source_id, path, start, end)


class ThreadCalls:
    """Calls made on the sync client in worker threads, so the caller's event loop keeps running."""

    def __init__(self, client: SyncClientLike) -> None:
        self._client = client

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse:
        return await asyncio.to_thread(
            lambda: self._client.proxy_request(source_id, method, url, json=json)
        )

    async def list_files(
        self, source_id: str, prefix: str, *, recursive: bool, limit: int
    ) -> list[FileEntry]:
        return await asyncio.to_thread(_first, self._client, source_id, prefix, recursive, limit)

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent:
        return await asyncio.to_thread(self._client.read_file, source_id, path, start, end)


def _first(
    client: SyncClientLike, source_id: str, prefix: str, recursive: bool, limit: int
) -> list[FileEntry]:
    """The first ``limit`` entries of a sync listing, closing the iterator early."""
    stream = client.iter_files(source_id, prefix, recursive=recursive)
    try:
        return list(itertools.islice(stream, limit))
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()


class LoopCalls:
    """Calls run on the event loop that owns the async client, awaited from another loop."""

    def __init__(self, client: AsyncClientLike, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = AsyncCalls(client)
        self._loop = loop

    async def _on_owner(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None
    ) -> ProxyResponse:
        return await self._on_owner(self._inner.proxy_request(source_id, method, url, json=json))

    async def list_files(
        self, source_id: str, prefix: str, *, recursive: bool, limit: int
    ) -> list[FileEntry]:
        return await self._on_owner(
            self._inner.list_files(source_id, prefix, recursive=recursive, limit=limit)
        )

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent:
        return await self._on_owner(self._inner.read_file(source_id, path, start, end))


_PROBE_SECONDS = 2.0
"""How long a sync call waits for the owning loop to show it is not blocked."""


class LoopUnavailableError(Exception):
    """A sync call cannot reach the event loop its async client belongs to (message says why)."""


class ClientAccess:
    """How to reach one client from async or sync code; shared by every tool over that client.

    For an async client it records the loop the client first ran on (its owner) and routes every
    call there; a sync call made before any loop used the client binds it to one shared
    ``SyncAirbyteEmbeddedClient`` instead, and async calls then go through that face too.
    """

    def __init__(self, client: AsyncClientLike | SyncClientLike) -> None:
        self._lock = threading.Lock()
        self._async: AsyncClientLike | None = None
        self._sync: SyncClientLike | None = None
        self._owner: asyncio.AbstractEventLoop | None = None
        self.client = client
        if is_async_client(client):
            self._async = cast(AsyncClientLike, client)
        else:
            self._sync = cast(SyncClientLike, client)

    def for_async(self) -> Calls:
        """Calls for a coroutine running on the current event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._sync is not None:
                return ThreadCalls(self._sync)
            assert self._async is not None
            owner = self._owner
            if owner is None or owner.is_closed() or not owner.is_running():
                owner = self._owner = loop  # a stopped loop cannot be reached: this one takes over
            if owner is loop:
                return AsyncCalls(self._async)
            return LoopCalls(self._async, owner)

    def run_sync(self, factory: Callable[[Calls], Coroutine[Any, Any, T]]) -> T:
        """Run ``factory(calls)`` to completion from sync code (in a running loop or not).

        Raises ``LoopUnavailableError`` when the async client belongs to a loop that is closed,
        is this thread's own loop, or does not respond (its thread is blocked).
        """
        with self._lock:
            owner = self._owner
            if self._sync is None and owner is None:
                from airbyte_embedded_tools.client import AirbyteEmbeddedClient
                from airbyte_embedded_tools.sync_client import SyncAirbyteEmbeddedClient

                wrapped = cast(AirbyteEmbeddedClient, self._async)
                self._sync = SyncAirbyteEmbeddedClient(async_client=wrapped)
            sync = self._sync
        if sync is not None:
            calls = BlockingCalls(sync)
            return run_blocking(lambda: factory(calls))
        assert owner is not None
        assert self._async is not None
        _check_reachable(owner)
        future = asyncio.run_coroutine_threadsafe(factory(AsyncCalls(self._async)), owner)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted (Ctrl-C): do not leave the call running on the owner
            raise


def _check_reachable(owner: asyncio.AbstractEventLoop) -> None:
    """Raise ``LoopUnavailableError`` unless ``owner`` runs in another thread and responds."""
    advice = (
        "Call the tool asynchronously (ainvoke/acall), or build the tools with a "
        "SyncAirbyteEmbeddedClient, which serves sync and async calls alike."
    )
    if owner.is_closed() or not owner.is_running():
        raise LoopUnavailableError(
            "its AirbyteEmbeddedClient was used on an event loop that is no longer running, and "
            f"an async client cannot move to another loop. {advice}"
        )
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if current is owner:
        raise LoopUnavailableError(
            "a sync call was made from inside the event loop that owns its AirbyteEmbeddedClient, "
            f"which would block that loop. {advice}"
        )
    probe: concurrent.futures.Future[None] = concurrent.futures.Future()
    owner.call_soon_threadsafe(probe.set_result, None)
    try:
        probe.result(timeout=_PROBE_SECONDS)
    except concurrent.futures.TimeoutError:
        raise LoopUnavailableError(
            "the event loop that owns its AirbyteEmbeddedClient is blocked (probably waiting "
            f"for this very call). {advice}"
        ) from None


_ACCESS: weakref.WeakValueDictionary[int, ClientAccess] = weakref.WeakValueDictionary()
_ACCESS_LOCK = threading.Lock()


def access_for(client: AsyncClientLike | SyncClientLike) -> ClientAccess:
    """The one ``ClientAccess`` of ``client`` while any tool holds it: one owner loop per client."""
    with _ACCESS_LOCK:
        access = _ACCESS.get(id(client))
        if access is None or access.client is not client:
            access = ClientAccess(client)
            _ACCESS[id(client)] = access
        return access


def is_async_client(client: object) -> bool:
    """True for the async face (its ``proxy_request`` is a coroutine function)."""
    method = getattr(client, "proxy_request", None)
    if method is None or not hasattr(client, "read_file"):
        raise ConfigurationError(
            "client must be an AirbyteEmbeddedClient or a SyncAirbyteEmbeddedClient, "
            f"got {type(client).__name__}"
        )
    return inspect.iscoroutinefunction(method)


def run_blocking(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running event loop.

    With no loop in this thread it runs here; with one (a notebook, a sync call made from async
    code) it runs in a worker thread with its own loop, so the caller's loop is not re-entered.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="airbyte-tool") as pool:
        return pool.submit(context.run, lambda: asyncio.run(factory())).result()
