"""Shared fixtures: a session-wide sandbox, a fresh sandbox per test, and a client bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox

FRESH_LARGE_FILE_SIZE = 1024 * 1024
"""``fresh_sandbox`` writes a 1 MiB ``data/large.bin`` (the session sandbox: the default 64 MiB)."""


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the whole run, default settings (64 MiB large file, ~0.5 s to start).

    Do not change its faults or settings in a test: start your own ``Sandbox(...)`` for that.
    """
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    """A sandbox of its own for one test (default settings but a 1 MiB large file)."""
    with Sandbox(large_file_size=FRESH_LARGE_FILE_SIZE) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[AirbyteEmbeddedClient]:
    """An ``AirbyteEmbeddedClient`` for the sandbox's demo workspace, closed after the test."""
    client = AirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    )
    try:
        yield client
    finally:
        await client.aclose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n``: the Ray tests share one worker (one local Ray at a time), and so do
    the MCP 1.x tests (one virtualenv, built once, shared through a session fixture)."""
    for item in items:
        path = item.path.as_posix()
        if "/tests/ray/" in path:
            item.add_marker(pytest.mark.xdist_group("ray"))
        elif "mcp1" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("mcp1"))
