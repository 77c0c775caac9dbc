"""``SyncAirbyteEmbeddedClient``: the async client's surface, blocking, for scripts and notebooks.

The async client runs on one private event loop in a daemon thread; each call is handed to it
with ``asyncio.run_coroutine_threadsafe`` and waited for. So it works inside a running loop
(Jupyter) and keeps one connection pool and one token cache across calls.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Coroutine, Generator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import config
from .client import AirbyteEmbeddedClient
from .models import AccessToken, FileContent, FileEntry, ProxyResponse

__all__ = ["SyncAirbyteEmbeddedClient"]

T = TypeVar("T")


class _LoopThread:
    """A private event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, name="airbyte-embedded-tools-loop", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and block until it is done (cancelled if we are interrupted)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("SyncAirbyteEmbeddedClient cannot be called from its own loop")
        if self.loop.is_closed():
            coro.close()
            raise RuntimeError("SyncAirbyteEmbeddedClient is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and join the thread (idempotent)."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:  # else: it stops after this callback
            self._thread.join()


class SyncAirbyteEmbeddedClient:
    """Blocking face of ``AirbyteEmbeddedClient``: same arguments, same methods, plain iterators.

    ``SyncAirbyteEmbeddedClient(async_client=client)`` drives an existing async client on the
    private loop. An ``httpx.AsyncClient``'s connections belong to the loop that opened them, so
    while this face is open, use that client only through it (or on ``loop``), never on a loop
    of your own at the same time. A wrapped client is not closed by ``close()`` (one built here
    is); after ``close()`` it may be used, and closed, on another loop again.
    """

    def __init__(
        self, *args: Any, async_client: AirbyteEmbeddedClient | None = None, **kwargs: Any
    ):
        if async_client is not None and (args or kwargs):
            raise TypeError("give async_client= or the client's arguments, not both")
        owned = async_client is None
        self._setup(async_client or AirbyteEmbeddedClient(*args, **kwargs), owned=owned)

    def _setup(self, async_client: AirbyteEmbeddedClient, *, owned: bool) -> None:
        self._async = async_client
        self._runner = _LoopThread()
        # Runs on close(), on garbage collection and at exit: the loop thread never outlives us.
        self._finalizer = weakref.finalize(
            self, _shut_down, self._runner, async_client if owned else None
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> SyncAirbyteEmbeddedClient:
        """Build from the ``AIRBYTE_*`` variables, as ``AirbyteEmbeddedClient.from_env`` does."""
        self = cls.__new__(cls)
        self._setup(AirbyteEmbeddedClient.from_env(**overrides), owned=True)
        return self

    @property
    def async_client(self) -> AirbyteEmbeddedClient:
        """The async client doing the work (use it only from this object's loop thread)."""
        return self._async

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The private event loop the async client runs on (for ``run_coroutine_threadsafe``)."""
        return self._runner.loop

    @property
    def base_url(self) -> str:
        return self._async.base_url

    @property
    def max_retries(self) -> int:
        return self._async.max_retries

    def close(self) -> None:
        """Close the async client (if built here) and stop the loop thread (idempotent)."""
        self._finalizer()

    def __enter__(self) -> SyncAirbyteEmbeddedClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SyncAirbyteEmbeddedClient {self._async!r}>"

    def get_token(self) -> AccessToken:
        """The bearer token API calls use, exchanged if needed."""
        return self._runner.run(self._async.get_token())

    def proxy_request(
        self,
        source_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        retry_non_idempotent: bool = False,
        timeout: float | httpx.Timeout | None = None,
    ) -> ProxyResponse:
        """Blocking ``AirbyteEmbeddedClient.proxy_request``."""
        return self._runner.run(
            self._async.proxy_request(
                source_id,
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                retry_non_idempotent=retry_non_idempotent,
                timeout=timeout,
            )
        )

    def iter_files(
        self,
        source_id: str,
        prefix: str = "",
        *,
        recursive: bool = True,
        page_size: int | None = None,
    ) -> Generator[FileEntry, None, None]:
        """Every file under ``prefix``, pages fetched as the iteration reaches them."""
        return self._iterate(
            self._async.iter_files(source_id, prefix, recursive=recursive, page_size=page_size)
        )

    def list_files(
        self,
        source_id: str,
        prefix: str = "",
        *,
        recursive: bool = True,
        page_size: int | None = None,
    ) -> list[FileEntry]:
        """All files under ``prefix`` (every page collected)."""
        return self._runner.run(
            self._async.list_files(source_id, prefix, recursive=recursive, page_size=page_size)
        )

    def read_file(
        self,
        source_id: str,
        path: str,
        start: int | None = None,
        end: int | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
    ) -> FileContent:
        """Blocking ``AirbyteEmbeddedClient.read_file``."""
        return self._runner.run(self._async.read_file(source_id, path, start, end, timeout=timeout))

    def stream_file(
        self,
        source_id: str,
        path: str,
        *,
        chunk_size: int = config.DEFAULT_CHUNK_SIZE,
        start: int = 0,
    ) -> Generator[bytes, None, None]:
        """The file's bytes as they arrive (see ``AirbyteEmbeddedClient.stream_file``)."""
        return self._iterate(
            self._async.stream_file(source_id, path, chunk_size=chunk_size, start=start)
        )

    def _iterate(self, agen: AsyncIterator[T]) -> Generator[T, None, None]:
        """Pull an async iterator's items across the thread; closing the iterator closes it."""
        try:
            while True:
                try:
                    item = self._runner.run(_anext(agen))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None and not self._runner.loop.is_closed():
                self._runner.run(aclose())


def _shut_down(runner: _LoopThread, owned: AirbyteEmbeddedClient | None) -> None:
    """Close an owned async client on its loop, then stop the loop."""
    try:
        if owned is not None and not runner.loop.is_closed():
            runner.run(owned.aclose())
    finally:
        runner.stop()


async def _anext(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()
