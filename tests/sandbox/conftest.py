"""Fixtures for the sandbox's own tests: plain httpx clients and a token for the session sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_helpers import application_token, scoped_token

from airbyte_embedded_tools.sandbox import Sandbox


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A plain httpx client for the session sandbox's Airbyte API."""
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def auth(sandbox: Sandbox) -> dict[str, str]:
    """Authorization header with a scoped token of the demo workspace (session sandbox)."""
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
        app = application_token(http, sandbox.client_id, sandbox.client_secret)
        return {"Authorization": f"Bearer {scoped_token(http, app, sandbox.workspace_id)}"}
