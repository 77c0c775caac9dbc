"""Fixtures of the documents tests: a sync client bound to the session sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sync_client import SyncAirbyteEmbeddedClient


def client_kwargs(sb: Sandbox) -> dict[str, str]:
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
