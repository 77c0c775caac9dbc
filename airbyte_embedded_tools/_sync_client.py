"""``SyncAirbyteEmbeddedClient``: the async client's surface, blocking, for scripts and notebooks.

The async client runs on one private event loop in a daemon thread; each call is handed to it
through a ``ClientAccess`` (``access.py``) and waited for. So it works inside a running loop
(Jupyter) and keeps one connection pool and one token cache across calls.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any

import httpx

from . import _config as config
from ._access import ClientAccess, SyncFace
from ._affinity import LoopThread
from ._client import AirbyteEmbeddedClient
from ._models import AccessToken, FileContent, FileEntry, FolderListing, ProxyResponse

__all__ = ["ClientLike", "SyncAirbyteEmbeddedClient"]


class SyncAirbyteEmbeddedClient(SyncFace):
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
        self._parent: SyncAirbyteEmbeddedClient | None = None
        self._thread = LoopThread()
        self._access = ClientAccess(async_client, thread=self._thread)
        # Runs on close(), on garbage collection and at exit: the loop thread never outlives us.
        self._finalizer: weakref.finalize[Any, Any] = weakref.finalize(
            self, _shut_down, self._access, self._thread, owned
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> SyncAirbyteEmbeddedClient:
        """Build from the ``AIRBYTE_*`` variables, as ``AirbyteEmbeddedClient.from_env`` does."""
        self = cls.__new__(cls)
        self._setup(AirbyteEmbeddedClient.from_env(**overrides), owned=True)
        return self

    def for_workspace(
        self, name: str | None = None, *, id: str | None = None
    ) -> SyncAirbyteEmbeddedClient:
        """The blocking face of ``AirbyteEmbeddedClient.for_workspace``: one workspace (one
        customer), by name or ``id=``, on this face's loop thread, pool and application token.

        Closing it does nothing; closing this face closes every view made from it.
        """
        view = self._access.client.for_workspace(name, id=id)
        face = type(self).__new__(type(self))
        face._thread = self._thread
        face._access = ClientAccess(view, thread=self._thread)
        face._parent = self  # keeps this face, hence the loop thread, alive
        face._finalizer = weakref.finalize(face, _nothing)
        return face

    @property
    def async_client(self) -> AirbyteEmbeddedClient:
        """The async client doing the work (use it only from this object's loop thread)."""
        return self._access.client

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The private event loop the async client runs on (for ``run_coroutine_threadsafe``)."""
        return self._thread.loop

    @property
    def access(self) -> ClientAccess:
        """How tools and loaders built over this face reach its async client (on ``loop``)."""
        return self._access

    @property
    def base_url(self) -> str:
        return self._access.client.base_url

    @property
    def max_retries(self) -> int:
        return self._access.client.max_retries

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
        return f"<SyncAirbyteEmbeddedClient {self._access.client!r}>"

    def get_token(self) -> AccessToken:
        """The bearer token API calls use, exchanged if needed."""
        return self._access.run_sync(lambda client: client.get_token())

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
        idempotency_key: str | None = None,
        max_response_bytes: int | None = None,
        total_timeout: float | None = None,
    ) -> ProxyResponse:
        """Blocking ``AirbyteEmbeddedClient.proxy_request``."""
        return self._access.run_sync(
            lambda client: client.proxy_request(
                source_id,
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                retry_non_idempotent=retry_non_idempotent,
                timeout=timeout,
                idempotency_key=idempotency_key,
                max_response_bytes=max_response_bytes,
                total_timeout=total_timeout,
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
        return self._access.iterate(
            lambda client: client.iter_files(
                source_id, prefix, recursive=recursive, page_size=page_size
            )
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
        return self._access.run_sync(
            lambda client: client.list_files(
                source_id, prefix, recursive=recursive, page_size=page_size
            )
        )

    def list_folder(
        self,
        source_id: str,
        prefix: str = "",
        *,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> FolderListing:
        """Blocking ``AirbyteEmbeddedClient.list_folder``: this level's files and sub-folders."""
        return self._access.run_sync(
            lambda client: client.list_folder(source_id, prefix, limit=limit, page_size=page_size)
        )

    def read_file(
        self,
        source_id: str,
        path: str,
        start: int | None = None,
        end: int | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        expected_size: int | None = None,
        total_timeout: float | None = None,
    ) -> FileContent:
        """Blocking ``AirbyteEmbeddedClient.read_file``."""
        return self._access.run_sync(
            lambda client: client.read_file(
                source_id,
                path,
                start,
                end,
                timeout=timeout,
                expected_size=expected_size,
                total_timeout=total_timeout,
            )
        )

    def stream_file(
        self,
        source_id: str,
        path: str,
        *,
        chunk_size: int = config.DEFAULT_CHUNK_SIZE,
        start: int = 0,
    ) -> Generator[bytes, None, None]:
        """The file's bytes as they arrive (see ``AirbyteEmbeddedClient.stream_file``)."""
        return self._access.iterate(
            lambda client: client.stream_file(source_id, path, chunk_size=chunk_size, start=start)
        )


ClientLike = AirbyteEmbeddedClient | SyncAirbyteEmbeddedClient
"""The clients tools and loaders accept: the async client or its sync face."""


def _nothing() -> None:
    """A workspace view's close: the face it came from owns the loop thread and the pool."""


def _shut_down(access: ClientAccess, thread: LoopThread, owned: bool) -> None:
    """Close the async client on its loop if it was built here, then stop the loop."""
    try:
        if owned and not thread.loop.is_closed():
            access.run_sync(lambda client: client.aclose())
    finally:
        thread.stop()
        access.release()
