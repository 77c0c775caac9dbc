"""Reaching an async client from sync or async code, on whatever thread or event loop.

An ``httpx.AsyncClient``'s connections belong to the event loop that opened them. A
``ClientAccess`` (one per client, kept on it: ``access_for``) reads the client's owner loop
from its ``loop_affinity`` (shared with its workspace views) and runs work there: awaited
directly on that loop, handed to it from another loop or thread, or, when no loop owned the
client yet and the caller is sync, on a private loop thread started once.
``SyncAirbyteEmbeddedClient``, the tools and the loaders all reach their client through it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
)
from typing import Any, Generic, TypeVar

from ._affinity import Lease, LoopAffinity, LoopThread
from ._client import AirbyteEmbeddedClient
from ._errors import ConfigurationError

__all__ = ["ClientAccess", "LoopThread", "LoopUnavailableError", "SyncFace", "access_for", "take"]

T = TypeVar("T")

_PROBE_SECONDS = 2.0
"""How long a sync call waits for another thread's owner loop to show it is not blocked."""

_ADVICE = (
    "Use the async call there (ainvoke, arun, aload...), or build the tools and loaders over a "
    "SyncAirbyteEmbeddedClient, which serves sync and async callers alike."
)


class LoopUnavailableError(RuntimeError):
    """A sync call cannot reach the event loop its client belongs to (the message says why)."""


class ClientAccess:
    """Runs work on one async client's owner loop, for callers on any thread or loop.

    The owner is recorded once per client, in its ``loop_affinity`` (shared by its workspace
    views): the loop thread given (a ``SyncAirbyteEmbeddedClient``'s), else the loop that
    first used the client; a sync first use starts a private loop thread that owns it for
    good. An owner that is closed (or, for async callers, stopped) is taken over by the next
    caller.
    """

    def __init__(
        self,
        client: AirbyteEmbeddedClient,
        *,
        thread: LoopThread | None = None,
        affinity: LoopAffinity | None = None,
    ) -> None:
        self.client = client
        self._affinity = affinity if affinity is not None else client.loop_affinity
        self._thread = thread
        self._lease: Lease | None = None
        if thread is not None:
            with self._affinity.lock:
                self._affinity.owner, self._affinity.thread = thread.loop, thread

    def release(self) -> None:
        """A sync face closed: its loop thread no longer owns the client."""
        with self._affinity.lock:
            if self._thread is not None and self._affinity.thread is self._thread:
                self._affinity.thread = None

    async def arun(self, fn: Callable[[AirbyteEmbeddedClient], Awaitable[T]]) -> T:
        """``await fn(client)`` on the owner loop, from a coroutine on any loop."""
        loop = asyncio.get_running_loop()
        owner = self._owner_for_async(loop)
        if owner is loop:
            return await fn(self.client)
        return await _hop(owner, _call(fn, self.client))

    def run_sync(self, fn: Callable[[AirbyteEmbeddedClient], Awaitable[T]]) -> T:
        """``fn(client)`` run to completion on the owner loop, blocking (a running loop in this
        thread is fine, as in Jupyter); ``LoopUnavailableError`` on the owner's own thread."""
        owner = self._owner_for_sync()
        return _block_on(owner, _call(fn, self.client))

    async def aiterate(
        self, fn: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]]
    ) -> AsyncGenerator[T, None]:
        """The items of ``fn(client)``, pulled one by one on the owner loop; closing this
        generator (or cancelling the caller) closes that iterator there."""
        loop = asyncio.get_running_loop()
        owner = self._owner_for_async(loop)
        if owner is loop:
            items = fn(self.client)
            try:
                async for item in items:
                    yield item
            finally:
                await _aclose(items)
            return
        remote = _Remote(fn, self.client)
        try:
            while True:
                try:
                    item = await _hop(owner, remote.step())
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not owner.is_closed():
                await _hop(owner, remote.close())

    def iterate(
        self, fn: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]]
    ) -> Generator[T, None, None]:
        """The items of ``fn(client)`` for sync code, pulled one by one on the owner loop;
        ``close()`` (or an interrupted step) closes that iterator there."""
        owner = self._owner_for_sync()
        remote = _Remote(fn, self.client)
        try:
            while True:
                try:
                    item = _block_on(owner, remote.step())
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not owner.is_closed():
                if _running_loop() is owner:  # collected on the owner's thread: cannot wait
                    _schedule(owner, remote.close(), concurrent.futures.Future())
                else:
                    _block_on(owner, remote.close())

    def _owner_for_async(self, loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
        """The owner loop for a coroutine on ``loop``; ``loop`` takes over a gone one."""
        self._check_open()
        aff = self._affinity
        with aff.lock:
            owner = aff.owner
            gone = owner is not None and (owner.is_closed() or not owner.is_running())
            if owner is None or (gone and (aff.thread is None or owner.is_closed())):
                owner = aff.owner = loop
            self._hold(owner)
        return owner

    def _owner_for_sync(self) -> asyncio.AbstractEventLoop:
        """The owner loop for a blocking call from this thread, checked to be reachable."""
        self._check_open()
        aff = self._affinity
        with aff.lock:
            owner = aff.owner
            if owner is None or owner.is_closed():
                owner = self._start_thread()
            private = aff.thread is not None and owner is aff.thread.loop
            self._hold(owner)
        if _running_loop() is owner:
            raise LoopUnavailableError(
                "a sync call was made from inside the event loop that owns its "
                f"AirbyteEmbeddedClient, which would block that loop. {_ADVICE}"
            )
        if not private:
            _check_responsive(owner)
        return owner

    def _check_open(self) -> None:
        if self._thread is not None and self._thread.loop.is_closed():
            raise LoopUnavailableError("the SyncAirbyteEmbeddedClient is closed")

    def _start_thread(self) -> asyncio.AbstractEventLoop:
        """A private loop thread becomes the owner, while an access over the client holds its
        lease (it stops with the last tool, loader or face reaching the client through it)."""
        aff = self._affinity
        thread = aff.thread = LoopThread()
        self._lease = Lease(thread)
        aff.lease = weakref.ref(self._lease)
        aff.owner = thread.loop
        return thread.loop

    def _hold(self, owner: asyncio.AbstractEventLoop) -> None:
        """Hold the lease of ``owner`` if it is a private loop thread (called under the lock)."""
        aff = self._affinity
        if aff.thread is not None and owner is aff.thread.loop and aff.lease is not None:
            self._lease = aff.lease()


class _Remote(Generic[T]):
    """An async iterator made and stepped on its owner loop for a caller elsewhere."""

    def __init__(
        self, fn: Callable[[AirbyteEmbeddedClient], AsyncIterator[T]], client: AirbyteEmbeddedClient
    ) -> None:
        self._fn = fn
        self._client = client
        self._items: AsyncIterator[T] | None = None
        self._step: asyncio.Task[Any] | None = None

    async def step(self) -> T:
        """The next item (raises ``StopAsyncIteration`` at the end); runs on the owner loop."""
        if self._items is None:
            self._items = self._fn(self._client)
        self._step = asyncio.current_task()
        try:
            return await self._items.__anext__()
        finally:
            self._step = None

    async def close(self) -> None:
        """Close the iterator on the owner loop, once a cancelled step has unwound."""
        if self._step is not None:
            await asyncio.wait({self._step})
        if self._items is not None:
            await _aclose(self._items)


def _check_responsive(owner: asyncio.AbstractEventLoop) -> None:
    """Raise ``LoopUnavailableError`` unless another thread's ``owner`` runs and responds."""
    if not owner.is_running():
        raise LoopUnavailableError(
            "its AirbyteEmbeddedClient was used on an event loop that is no longer running, and "
            f"an async client cannot move to another loop while that one is open. {_ADVICE}"
        )
    probe: concurrent.futures.Future[None] = concurrent.futures.Future()
    owner.call_soon_threadsafe(probe.set_result, None)
    try:
        probe.result(timeout=_PROBE_SECONDS)
    except concurrent.futures.TimeoutError:
        raise LoopUnavailableError(
            "the event loop that owns its AirbyteEmbeddedClient is blocked (probably waiting "
            f"for this very call). {_ADVICE}"
        ) from None


def _schedule(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, T],
    future: concurrent.futures.Future[T],
) -> None:
    """Run ``coro`` on ``loop`` (from any thread), its outcome set on ``future``.

    Cancelling ``future``, even while this is still scheduling, cancels the work on ``loop``
    (``run_coroutine_threadsafe`` hands its future back only once the work may have started).
    """

    def start() -> None:
        if future.cancelled():
            coro.close()
            return
        task = loop.create_task(coro)
        task.add_done_callback(lambda done: _settle(future, done))
        future.add_done_callback(
            lambda _: (
                loop.call_soon_threadsafe(task.cancel)
                if future.cancelled() and not loop.is_closed()
                else None
            )
        )

    try:
        loop.call_soon_threadsafe(start)
    except RuntimeError:  # the loop is closed: do not leave a never-awaited coroutine
        coro.close()
        raise


def _settle(future: concurrent.futures.Future[T], task: asyncio.Task[T]) -> None:
    """Copy the task's outcome to ``future`` (unless the caller cancelled it meanwhile)."""
    try:
        if task.cancelled():
            future.cancel()
        elif (exc := task.exception()) is not None:
            future.set_exception(exc)
        else:
            future.set_result(task.result())
    except concurrent.futures.InvalidStateError:
        pass


def _block_on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on another thread's ``loop`` and wait; an interrupted wait (Ctrl-C)
    cancels the work there."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    try:
        _schedule(loop, coro, future)
        return future.result()
    except BaseException:
        future.cancel()
        raise


async def _hop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` run on another thread's ``loop``; cancelling the caller cancels it there."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    _schedule(loop, coro, future)
    return await asyncio.wrap_future(future)


async def _call(
    fn: Callable[[AirbyteEmbeddedClient], Awaitable[T]], client: AirbyteEmbeddedClient
) -> T:
    return await fn(client)


async def _aclose(items: AsyncIterator[Any]) -> None:
    aclose = getattr(items, "aclose", None)
    if aclose is not None:
        await aclose()


async def take(items: AsyncIterator[T], limit: int) -> list[T]:
    """The first ``limit`` items of ``items``, which is then closed (no further page is read)."""
    taken: list[T] = []
    try:
        async for item in items:
            taken.append(item)
            if len(taken) >= limit:
                break
    finally:
        await _aclose(items)
    return taken


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class SyncFace(ABC):
    """A sync face over an async client (``SyncAirbyteEmbeddedClient``): it has its own access."""

    @property
    @abstractmethod
    def access(self) -> ClientAccess:
        """The access its tools and loaders reach the async client through."""


def access_for(client: AirbyteEmbeddedClient | SyncFace) -> ClientAccess:
    """The one ``ClientAccess`` of ``client``: a sync face's own, else the one kept on the
    client (so every tool and loader over a client agrees on its owner loop)."""
    if isinstance(client, SyncFace):
        return client.access
    if not isinstance(client, AirbyteEmbeddedClient):
        raise ConfigurationError(
            "client must be an AirbyteEmbeddedClient or a SyncAirbyteEmbeddedClient, "
            f"got {type(client).__name__}"
        )
    with _ACCESS_LOCK:
        held = client._access() if client._access is not None else None
        if isinstance(held, ClientAccess):
            return held
        access = ClientAccess(client)
        client._access = weakref.ref(access)  # weak: a private loop thread ends with its users
        return access


_ACCESS_LOCK = threading.Lock()
"""Makes the first ``access_for`` of a client from two threads at once make one access."""
