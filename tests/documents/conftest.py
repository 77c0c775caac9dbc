"""Fixtures of the documents tests: a sync client (session sandbox), a client for a fresh one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox


def client_kwargs(sb: Sandbox) -> dict[str, Any]:
    """The arguments that connect a client to ``sb``'s primary workspace."""
    return {
        "client_id": sb.client_id,
        "client_secret": sb.client_secret,
        "workspace_id": sb.workspace_id,
        "base_url": sb.base_url,
    }


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[SyncAirbyteEmbeddedClient]:
    """A SyncAirbyteEmbeddedClient bound to the session sandbox."""
    with SyncAirbyteEmbeddedClient(**client_kwargs(sandbox)) as client:
        yield client


@pytest.fixture
async def fresh_client(fresh_sandbox: Sandbox) -> AsyncIterator[AirbyteEmbeddedClient]:
    """An AirbyteEmbeddedClient bound to this test's own ``fresh_sandbox``."""
    async with AirbyteEmbeddedClient(**client_kwargs(fresh_sandbox)) as client:
        yield client


@pytest.fixture
def fresh_sync_client(fresh_sandbox: Sandbox) -> Iterator[SyncAirbyteEmbeddedClient]:
    """A SyncAirbyteEmbeddedClient bound to this test's own ``fresh_sandbox``."""
    with SyncAirbyteEmbeddedClient(**client_kwargs(fresh_sandbox)) as client:
        yield client
