"""Driving a loader core on the event loop its client belongs to, from sync or async callers.

An ``httpx.AsyncClient``'s connections belong to the loop that opened them. So:
- an ``AirbyteEmbeddedClient`` is used on the caller's loop by the async methods; a sync run
  drives it through a ``SyncAirbyteEmbeddedClient`` made for that run (a private loop thread,
  stopped after the run): right for a client not in use on another live loop meanwhile;
- a ``SyncAirbyteEmbeddedClient``'s async client always runs on its loop thread, whether the
  caller is sync (Jupyter included) or async (each step is awaited across threads).
"""

from __future__ import annotations

import asyncio
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
            self.async_client = client.async_client
        elif isinstance(client, AirbyteEmbeddedClient):
            self.async_client = client
        else:
            raise TypeError(
                "client must be an AirbyteEmbeddedClient or a SyncAirbyteEmbeddedClient, "
                f"not {type(client).__name__}"
            )
        self.client = client

    def iterate(self, make: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]]) -> Iterator[T]:
        """The items of ``make(async_client)``, pulled one by one from the client's loop thread.

        An async client is driven by a ``SyncAirbyteEmbeddedClient`` made for this one run.
        """
        if isinstance(self.client, SyncAirbyteEmbeddedClient):
            yield from _pull(self.client.loop, make(self.async_client))
        else:
            with SyncAirbyteEmbeddedClient(async_client=self.async_client) as runner:
                yield from _pull(runner.loop, make(self.async_client))

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
        loop = self.client.loop
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


def _pull(loop: asyncio.AbstractEventLoop, agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate ``agen`` on ``loop`` (another thread's) from this thread, closing it at the end."""
    if loop.is_closed():
        raise RuntimeError("the SyncAirbyteEmbeddedClient is closed")
    if _running_loop() is loop:
        raise RuntimeError("a sync load cannot run on the client's own event loop thread")
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
