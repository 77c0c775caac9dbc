"""The official MCP client over stdio against ``airbyte-embedded mcp`` serving the sandbox."""

from __future__ import annotations

import json
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent
from mcp_helpers import stdio_params, store_paths, stripe_ids

from airbyte_embedded_tools.tools import ListFilesInput, ProxyApiRequestInput, ReadFileInput


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def test_tools_listed_with_the_toolkit_schemas(sandbox: Any) -> None:
    async with (
        stdio_client(stdio_params(sandbox)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == {"apis_make_request", "files_list", "files_read"}

    api = tools["apis_make_request"].inputSchema["properties"]
    assert list(api)[:3] == ["source_id", "method", "url"]
    neutral = ProxyApiRequestInput.model_json_schema()["properties"]
    for key, prop in neutral.items():
        mine = api["url" if key == "path" else key]
        assert mine["description"] == prop["description"]
        assert mine.get("enum") == prop.get("enum")
    listing = tools["files_list"].inputSchema["properties"]
    assert {k: v for k, v in listing.items() if k != "source_id"} == (
        ListFilesInput.model_json_schema()["properties"]
    )
    reading = tools["files_read"].inputSchema
    assert set(reading["properties"]) - {"source_id"} == set(ReadFileInput.model_fields)
    assert reading["required"] == ["path"]
    assert "files_list" in (tools["files_read"].description or "")
    for tool in tools.values():
        assert tool.annotations is not None
        assert tool.annotations.readOnlyHint is True
    assert "Read-only" in (tools["apis_make_request"].description or "")


async def test_each_tool_returns_sandbox_data(sandbox: Any) -> None:
    invoices = stripe_ids(sandbox, "invoices", 3)
    contracts = store_paths(sandbox, "contracts/")
    readme = (sandbox.files_dir / "README.md").read_text(encoding="utf-8")
    async with (
        stdio_client(stdio_params(sandbox)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        api = await session.call_tool(
            "apis_make_request",
            {
                "source_id": sandbox.stripe_source_id,
                "method": "GET",
                "url": "https://api.stripe.com/v1/invoices",
                "params": {"limit": 3},
                "fields": ["amount_due", "status"],
            },
        )
        listed = await session.call_tool("files_list", {"prefix": "contracts/"})
        text = await session.call_tool("files_read", {"source_id": "files", "path": "README.md"})
    assert api.isError is False, _text(api)
    assert all(invoice_id in _text(api) for invoice_id in invoices)
    assert '"amount_due"' in _text(api)
    assert "has_more is true" in _text(api)
    assert listed.isError is False
    assert all(path in _text(listed) for path in contracts)
    assert text.isError is False
    assert readme.splitlines()[0] in _text(text)


async def test_write_refused_and_errors_are_tool_errors(sandbox: Any) -> None:
    before = len(sandbox.upstream_requests)
    async with (
        stdio_client(stdio_params(sandbox)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        write_call = await session.call_tool(
            "apis_make_request",
            {"method": "POST", "url": "/v1/customers", "body": {"email": "mcp@example.com"}},
        )
        unknown_source = await session.call_tool(
            "apis_make_request", {"source_id": "not-a-source", "url": "/v1/invoices"}
        )
        missing_arg = await session.call_tool("apis_make_request", {"method": "GET"})
        missing_file = await session.call_tool("files_read", {"path": "no/such/file.md"})
        foreign = await session.call_tool("apis_make_request", {"url": "https://evil.example/x"})
        still_alive = await session.call_tool("files_list", {"limit": 1})
    assert write_call.isError is True
    assert "read-only" in _text(write_call)
    assert not [r for r in sandbox.upstream_requests[before:] if r.method == "POST"], (
        "a refused write reached the upstream"
    )
    assert unknown_source.isError is True
    assert sandbox.stripe_source_id in _text(unknown_source)  # lists what is connected
    assert missing_arg.isError is True
    assert "`url` is required" in _text(missing_arg)
    assert missing_file.isError is True
    assert "files_list" in _text(missing_file)
    assert foreign.isError is True
    assert "evil.example" in _text(foreign)
    assert still_alive.isError is False


async def test_allow_writes_creates_a_customer(sandbox: Any) -> None:
    async with (
        stdio_client(stdio_params(sandbox, "--allow-writes")) as (
            read,
            write,
        ),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        created = await session.call_tool(
            "apis_make_request",
            {
                "method": "POST",
                "url": "/v1/customers",
                "body": {"email": "mcp-write@example.com"},
                "raw": True,
            },
        )
    annotations = tools["apis_make_request"].annotations
    assert annotations is not None
    assert annotations.readOnlyHint is False
    assert created.isError is False, _text(created)
    body = json.loads(_text(created).split("\n", 1)[1])
    assert body["id"].startswith("cus_")
    assert body["email"] == "mcp-write@example.com"
