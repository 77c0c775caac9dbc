"""The 2.x MCP client over streamable HTTP against ``airbyte-embedded mcp --http``: the
server's own bearer secret when it holds credentials, each caller's own token when it does not
(the seed's Responses-style remote call), and no token of one caller used for another."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from mcp_helpers import (
    clean_env,
    http_server,
    scoped_token,
    server_env,
    store_paths,
    stripe_ids,
)

LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


@asynccontextmanager
async def _client(url: str, token: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def _refused(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, json=LIST, headers={**ACCEPT, **headers}, timeout=30)


async def test_with_credentials_callers_need_the_servers_secret(sandbox: Any) -> None:
    with http_server(server_env(sandbox)) as server:
        notes = "\n".join(server.banner)
        found = re.search(r"'Authorization: Bearer (\S+)' \(generated for this run", notes)
        assert found, notes
        secret = found.group(1)
        for headers in ({}, {"Authorization": "Bearer wrong-secret-123"}):
            answer = _refused(server.url, headers)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"].startswith("Bearer ")
        customers = stripe_ids(sandbox, "customers", 2)
        async with _client(server.url, secret) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            api = await client.call_tool(
                "apis_make_request", {"url": "/v1/customers", "params": {"limit": 2}}
            )
            listed = await client.call_tool("files_list", {"prefix": "notes/", "recursive": False})
            read = await client.call_tool("files_read", {"path": "README.md"})
            refused = await client.call_tool("apis_make_request", {"method": "DELETE", "url": "/x"})
        log = server.stderr_after_stop()
    assert names == {"apis_make_request", "files_list", "files_read"}
    assert api.is_error is False, _text(api)
    assert all(customer in _text(api) for customer in customers)
    assert all(path in _text(listed) for path in store_paths(sandbox, "notes/"))
    assert read.is_error is False
    assert refused.is_error is True
    assert sandbox.client_secret not in log
    assert "Traceback" not in log


async def test_a_chosen_secret_is_not_printed(sandbox: Any) -> None:
    env = {**server_env(sandbox), "AIRBYTE_MCP_AUTH_TOKEN": "chosen-secret-0123456789"}
    with http_server(env) as server:
        assert "chosen-secret" not in "\n".join(server.banner)
        assert _refused(server.url, {}).status_code == 401
        async with _client(server.url, "chosen-secret-0123456789") as client:
            result = await client.call_tool("files_list", {"limit": 1})
    assert result.is_error is False, _text(result)


async def test_the_seeds_responses_call_with_the_callers_token(sandbox: Any) -> None:
    """No credentials on the server: the caller's bearer token (a scoped token of the demo
    workspace) and the source id in the arguments, as the seed's OpenAI Responses example."""
    env = {**clean_env(), "AIRBYTE_API_URL": sandbox.base_url}
    token = scoped_token(sandbox, sandbox)
    with http_server(env) as server:
        assert "caller's 'Authorization: Bearer" in "\n".join(server.banner)
        missing = _refused(server.url, {})
        assert missing.status_code == 401
        assert "Bearer" in missing.headers["www-authenticate"]
        async with _client(server.url, token) as client:
            info = client.server_info
            api = await client.call_tool(
                "apis_make_request",
                {
                    "source_id": sandbox.stripe_source_id,
                    "url": "/v1/invoices",
                    "params": {"limit": 1},
                },
            )
            files = await client.call_tool("files_list", {"source_id": sandbox.file_source_id})
            read = await client.call_tool(
                "files_read", {"source_id": sandbox.file_source_id, "path": "README.md"}
            )
            sibling = await client.call_tool(
                "files_list", {"source_id": sandbox.sibling_workspace.file_source_id}
            )
        async with _client(server.url, "sbx_sco_not-a-real-token-0123456789") as client:
            rejected = await client.call_tool("files_list", {"source_id": sandbox.file_source_id})
        log = server.stderr_after_stop()
    assert info is not None
    assert info.name == "airbyte-embedded"
    assert api.is_error is False, _text(api)
    assert api.structured_content["records"][0]["id"] == stripe_ids(sandbox, "invoices", 1)[0]
    assert files.is_error is False
    assert read.is_error is False
    # a scoped token reaches its own workspace only (another's source is "not found")
    assert sibling.is_error is True
    assert "not found" in _text(sibling)
    assert rejected.is_error is True
    assert "the bearer token you sent was rejected (401)" in _text(rejected)
    assert "send a valid Airbyte application or scoped token" in _text(rejected)
    assert "AIRBYTE_CLIENT_ID" not in _text(rejected)
    assert token not in log
    assert "Traceback" not in log


async def test_concurrent_callers_each_use_their_own_token(sandbox: Any) -> None:
    """Two customers (two workspaces) call at once, many times: every call must succeed on its
    own workspace's source, which a swapped token would turn into a 403."""
    env = {**clean_env(), "AIRBYTE_API_URL": sandbox.base_url}
    callers = [
        (scoped_token(sandbox, sandbox), sandbox.stripe_source_id, sandbox.file_source_id),
        (
            scoped_token(sandbox, sandbox.sibling_workspace),
            sandbox.sibling_workspace.stripe_source_id,
            sandbox.sibling_workspace.file_source_id,
        ),
    ]
    with http_server(env) as server:

        async def calls(token: str, api_id: str, files_id: str) -> list[CallToolResult]:
            async with _client(server.url, token) as client:
                batch = []
                for _ in range(6):
                    batch.append(
                        client.call_tool(
                            "apis_make_request",
                            {"source_id": api_id, "url": "/v1/customers", "params": {"limit": 1}},
                        )
                    )
                    batch.append(client.call_tool("files_list", {"source_id": files_id}))
                return list(await asyncio.gather(*batch))

        results = await asyncio.gather(*(calls(*caller) for caller in callers))
        async with _client(server.url, callers[0][0]) as client:
            crossed = await client.call_tool(
                "apis_make_request", {"source_id": callers[1][1], "url": "/v1/customers"}
            )
    for batch in results:
        assert len(batch) == 12
        assert [r for r in batch if r.is_error] == [], [_text(r) for r in batch if r.is_error]
    assert crossed.is_error is True
    assert "not found" in _text(crossed)


def test_no_traceback_when_an_http_client_drops_a_call(sandbox: Any) -> None:
    with http_server(server_env(sandbox), "--auth-token", "drop-test-secret-42") as server:
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "files_read", "arguments": {"path": sandbox.large_file_path}},
        }
        headers = {**ACCEPT, "Authorization": "Bearer drop-test-secret-42"}
        with (
            httpx.Client(timeout=30) as http,
            http.stream("POST", server.url, json=call, headers=headers) as answer,
        ):
            assert answer.status_code == 200  # then the client goes away mid-answer
        ok = httpx.post(server.url, json=LIST, headers=headers, timeout=30)
        assert ok.status_code == 200
        log = server.stderr_after_stop()
    assert "Traceback" not in log, log
