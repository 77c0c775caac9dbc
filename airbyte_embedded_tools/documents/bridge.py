"""Driving a loader core on the event loop its client belongs to, from sync or async callers.

An ``httpx.AsyncClient`` belongs to the loop that opened its connections. So:
- an ``AirbyteEmbeddedClient`` is used on the caller's loop by the async methods; the sync
  methods wrap it once in a ``SyncAirbyteEmbeddedClient`` (its private loop thread), which is
  right for scripts that never use that client on a loop of their own;
- a ``SyncAirbyteEmbeddedClient``'s async client always runs on its loop thread, whether the
  caller is sync (Jupyter included) or async (each step is awaited across threads).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar, Union

from airbyte_embedded_tools.client import AirbyteEmbeddedClient
from airbyte_embedded_tools.sync_client import SyncAirbyteEmbeddedClient

__all__ = ["AnyClient", "ClientBridge"]

T = TypeVar("T")

AnyClient = Union[AirbyteEmbeddedClient, SyncAirbyteEmbeddedClient]  # noqa: UP007 (runtime alias)
"""The clients a loader accepts."""


class ClientBridge:
    """Runs async iterators made from the async client on the loop that client belongs to."""

    def __init__(self, client: AnyClient) -> None:
        if isinstance(client, SyncAirbyteEmbeddedClient):
            self._sync: SyncAirbyteEmbeddedClient | None = client
            self.async_client = client.async_client
        elif isinstance(client, AirbyteEmbeddedClient):
            self._sync = None
            self.async_client = client
        else:
            raise TypeError(
                "client must be an AirbyteEmbeddedClient or a SyncAirbyteEmbeddedClient, "
                f"not {type(client).__name__}"
            )
        self.client = client
        self._lock = threading.Lock()

    def _sync_client(self) -> SyncAirbyteEmbeddedClient:
        with self._lock:
            if self._sync is None:
                self._sync = SyncAirbyteEmbeddedClient(async_client=self.async_client)
            return self._sync

    def iterate(self, make: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]]) -> Iterator[T]:
        """The items of ``make(async_client)``, pulled one by one from the client's loop thread."""
        loop = _loop_of(self._sync_client())
        if _running_loop() is loop:
            raise RuntimeError("a sync load cannot run on the client's own event loop thread")
        agen = make(self.async_client)
        try:
            while True:
                future = asyncio.run_coroutine_threadsafe(_anext(agen), loop)
                try:
                    item = future.result()
                except StopAsyncIteration:
                    return
                except BaseException:
                    future.cancel()
                    raise
                yield item
        finally:
            if not loop.is_closed():
                asyncio.run_coroutine_threadsafe(_aclose(agen), loop).result()

    async def aiterate(
        self, make: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]]
    ) -> AsyncIterator[T]:
        """The items of ``make(async_client)``, on the caller's loop or the sync client's."""
        agen = make(self.async_client)
        if not isinstance(self.client, SyncAirbyteEmbeddedClient):
            try:
                async for item in agen:
                    yield item
            finally:
                await _aclose(agen)
            return
        loop = _loop_of(self.client)
        try:
            while True:
                step = asyncio.run_coroutine_threadsafe(_anext(agen), loop)
                try:
                    item = await asyncio.wrap_future(step)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not loop.is_closed():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_aclose(agen), loop))


def _loop_of(client: SyncAirbyteEmbeddedClient) -> asyncio.AbstractEventLoop:
    """The event loop a sync client runs its async client on."""
    loop: asyncio.AbstractEventLoop = client._runner.loop
    if loop.is_closed():
        raise RuntimeError("the SyncAirbyteEmbeddedClient is closed")
    return loop


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _anext(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()


async def _aclose(agen: AsyncIterator[Any]) -> None:
    aclose = getattr(agen, "aclose", None)
    if aclose is not None:
        await aclose()
