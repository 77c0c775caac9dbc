"""The official MCP client over streamable HTTP against ``airbyte-embedded mcp --http``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent
from mcp_helpers import (
    MCP_COMMAND,
    REPO,
    free_port,
    server_env,
    store_paths,
    stripe_ids,
    wait_for_port,
)


@pytest.fixture
def http_server(sandbox: Any) -> Iterator[str]:
    """``airbyte-embedded mcp --http`` on a free port; yields the endpoint URL; always stopped."""
    port = free_port()
    proc = subprocess.Popen(
        [*MCP_COMMAND, "--http", "--port", str(port)],
        env=server_env(sandbox),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_http_lists_and_calls_tools(sandbox: Any, http_server: str) -> None:
    customers = stripe_ids(sandbox, "customers", 2)
    notes = store_paths(sandbox, "notes/")
    async with (
        streamable_http_client(http_server) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = {tool.name for tool in (await session.list_tools()).tools}
        api = await session.call_tool(
            "apis_make_request", {"url": "/v1/customers", "params": {"limit": 2}}
        )
        listed = await session.call_tool("files_list", {"prefix": "notes/", "recursive": False})
        refused = await session.call_tool("apis_make_request", {"method": "DELETE", "url": "/v1/x"})
    assert names == {"apis_make_request", "files_list", "files_read"}
    api_text = "".join(c.text for c in api.content if isinstance(c, TextContent))
    assert api.isError is False
    assert all(customer in api_text for customer in customers)
    listed_text = "".join(c.text for c in listed.content if isinstance(c, TextContent))
    assert all(path in listed_text for path in notes)
    assert refused.isError is True
