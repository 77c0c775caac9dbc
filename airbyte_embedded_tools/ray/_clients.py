"""One organization-level client per process, on one private event loop, reused by every task.

A Ray worker runs many read tasks for many customers. Each customer gets a workspace view of
that one client (``for_workspace(id=...)``): one connection pool and one application token per
process, a scoped token per workspace cached by the client. The cache is keyed by a fingerprint
of the credentials (a hash, never the secret itself). ``client_for`` is the one place that
gives a customer's client.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from airbyte_embedded_tools._access import LoopThread
from airbyte_embedded_tools._client import AirbyteEmbeddedClient

from ._specs import Credentials

__all__ = ["client_for", "fingerprint", "run"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: LoopThread | None = None
_clients: dict[str, AirbyteEmbeddedClient] = {}


def fingerprint(credentials: Credentials) -> str:
    """A non-secret key for a set of credentials: the same ones, the same key."""
    digest = hashlib.sha256()
    for part in (
        credentials.base_url,
        credentials.client_id,
        credentials.client_secret.get_secret_value(),
        str(credentials.max_retries),
        str(credentials.timeout),
    ):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:32]


def organization_client(credentials: Credentials) -> AirbyteEmbeddedClient:
    """This process's one client for ``credentials`` (built on first use, then reused)."""
    key = fingerprint(credentials)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = AirbyteEmbeddedClient(
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                base_url=credentials.base_url,
                max_retries=credentials.max_retries,
                timeout=credentials.timeout,
            )
        return client


def client_for(credentials: Credentials, workspace_id: str) -> AirbyteEmbeddedClient:
    """A view of this process's client acting for one workspace (a customer)."""
    return organization_client(credentials).for_workspace(id=workspace_id)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on this process's client loop and wait for it."""
    global _loop
    with _lock:
        if _loop is None or _loop.loop.is_closed():
            _loop = LoopThread()
        loop = _loop.loop
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
