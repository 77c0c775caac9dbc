"""Fixtures of the tool tests: clients and toolkits bound to the session sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from airbyte_embedded_tools.client import AirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools


def make_client(sandbox: Sandbox) -> AirbyteEmbeddedClient:
    """A fresh async client for the sandbox's demo workspace (bound to no loop yet)."""
    return AirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    )


ClientFactory = Callable[[Sandbox], AirbyteEmbeddedClient]


@pytest.fixture
def new_client() -> ClientFactory:
    """A factory of fresh async clients (for tests that need one bound to no loop yet)."""
    return make_client


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[SyncAirbyteEmbeddedClient]:
    """A sync client for the sandbox, closed after the test."""
    with SyncAirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        yield client


@pytest.fixture
async def toolkit(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> AirbyteEmbeddedTools:
    """Read-only tools over the sandbox's Stripe source ('stripe') and file source ('files')."""
    return AirbyteEmbeddedTools(
        client, source_id=sandbox.stripe_source_id, file_source_id=sandbox.file_source_id
    )
