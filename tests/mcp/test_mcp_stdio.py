"""The 2.x MCP client over stdio against ``airbyte-embedded mcp`` serving the sandbox: pinned
sources, the seed's ``mcp.json`` (CLIENT_ID/CLIENT_SECRET only, source ids in the arguments),
writes, errors, and a quiet exit when the client goes away."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent
from mcp_helpers import (
    MCP_COMMAND,
    REPO,
    seed_env,
    seed_mcp_json,
    server_env,
    stdio_params,
    store_paths,
    stripe_ids,
)

from airbyte_embedded_tools.tools import ListFilesInput, ProxyApiRequestInput, ReadFileInput


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def test_tools_listed_with_the_toolkit_schemas(sandbox: Any) -> None:
    async with Client(stdio_params(sandbox)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"apis_make_request", "files_list", "files_read"}
    api = tools["apis_make_request"].input_schema["properties"]
    assert list(api)[:3] == ["source_id", "method", "url"]
    neutral = ProxyApiRequestInput.model_json_schema()["properties"]
    assert "body" not in api  # writes go through apis_write_request, when allowed
    assert api["method"]["enum"] == ["GET", "HEAD"]
    for key, prop in neutral.items():
        if key in ("body", "method"):
            continue
        mine = api["url" if key == "path" else key]
        assert mine["description"] == prop["description"]
    listing = tools["files_list"].input_schema["properties"]
    assert {k: v for k, v in listing.items() if k != "source_id"} == (
        ListFilesInput.model_json_schema()["properties"]
    )
    reading = tools["files_read"].input_schema
    assert set(reading["properties"]) - {"source_id"} == set(ReadFileInput.model_fields)
    assert reading["required"] == ["path"]
    for tool in tools.values():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        assert tool.output_schema is not None


async def test_each_tool_returns_sandbox_data(sandbox: Any) -> None:
    invoices = stripe_ids(sandbox, "invoices", 3)
    contracts = store_paths(sandbox, "contracts/")
    readme = (sandbox.files_dir / "README.md").read_text(encoding="utf-8")
    async with Client(stdio_params(sandbox)) as client:
        api = await client.call_tool(
            "apis_make_request",
            {
                "source_id": sandbox.stripe_source_id,
                "url": "https://api.stripe.com/v1/invoices",
                "params": {"limit": 3},
                "fields": ["amount_due", "status"],
            },
        )
        listed = await client.call_tool("files_list", {"prefix": "contracts/"})
        text = await client.call_tool("files_read", {"source_id": "files", "path": "README.md"})
    assert api.is_error is False, _text(api)
    assert all(invoice_id in _text(api) for invoice_id in invoices)
    assert [r["id"] for r in api.structured_content["records"]] == invoices
    assert "has_more is true" in _text(api)
    assert listed.is_error is False
    assert all(path in _text(listed) for path in contracts)
    assert [f["path"] for f in listed.structured_content["files"]] == contracts
    assert text.is_error is False
    assert readme.splitlines()[0] in _text(text)
    assert text.structured_content["text"].startswith(readme.splitlines()[0])


async def test_write_refused_and_errors_are_tool_errors(sandbox: Any) -> None:
    before = len(sandbox.upstream_requests)
    async with Client(stdio_params(sandbox)) as client:
        write_call = await client.call_tool(
            "apis_make_request",
            {"method": "POST", "url": "/v1/customers", "body": {"email": "mcp@example.com"}},
        )
        unknown_source = await client.call_tool(
            "apis_make_request", {"source_id": "not-a-source", "url": "/v1/invoices"}
        )
        missing_arg = await client.call_tool("apis_make_request", {"method": "GET"})
        missing_file = await client.call_tool("files_read", {"path": "no/such/file.md"})
        foreign = await client.call_tool("apis_make_request", {"url": "https://evil.example/x"})
        still_alive = await client.call_tool("files_list", {"limit": 1})
    assert write_call.is_error is True
    assert "read-only" in _text(write_call)
    assert not [r for r in sandbox.upstream_requests[before:] if r.method == "POST"]
    assert unknown_source.is_error is True
    assert sandbox.stripe_source_id in _text(unknown_source)  # lists what is connected
    assert missing_arg.is_error is True
    assert "`url` is required" in _text(missing_arg)
    assert missing_file.is_error is True
    assert "files_list" in _text(missing_file)
    assert foreign.is_error is True
    assert "evil.example" in _text(foreign)
    assert still_alive.is_error is False
    assert write_call.structured_content["status"] == "error"


async def test_allow_writes_creates_a_customer_exactly_once(sandbox: Any) -> None:
    """--allow-writes: a separate write tool, annotated as such; the same idempotency_key
    again replays the first answer, so the emulator holds one new customer, not two."""
    created_before = len(sandbox.created_objects())
    email = "mcp-write-once@example.com"
    write = {
        "method": "POST",
        "url": "/v1/customers",
        "body": {"email": email},
        "idempotency_key": "mcp-stdio-create-once",
    }
    async with Client(stdio_params(sandbox, "--allow-writes")) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        first = await client.call_tool("apis_write_request", write)
        again = await client.call_tool("apis_write_request", write)
        by_read_tool = await client.call_tool(
            "apis_make_request", {"method": "POST", "url": "/v1/customers"}
        )
    assert set(tools) == {"apis_make_request", "apis_write_request", "files_list", "files_read"}
    reads, writes = tools["apis_make_request"].annotations, tools["apis_write_request"].annotations
    assert reads is not None
    assert writes is not None
    assert (reads.read_only_hint, reads.destructive_hint) == (True, False)
    assert (writes.read_only_hint, writes.destructive_hint) == (False, True)
    assert (writes.idempotent_hint, writes.open_world_hint) == (True, True)
    schema = tools["apis_write_request"].input_schema
    assert schema["properties"]["method"]["enum"] == ["POST", "DELETE"]
    assert {"method", "idempotency_key", "url"} <= set(schema["required"])
    assert first.is_error is False, _text(first)
    assert again.is_error is False, _text(again)
    body = first.structured_content["body"]
    assert body["id"].startswith("cus_")
    assert again.structured_content["body"]["id"] == body["id"]
    created = sandbox.created_objects()[created_before:]
    assert [(o["id"], o["email"]) for o in created] == [(body["id"], email)]
    assert by_read_tool.is_error is True
    assert "send this POST with apis_write_request" in _text(by_read_tool)


async def test_the_seeds_mcp_json_works_as_written(sandbox: Any) -> None:
    """Only CLIENT_ID / CLIENT_SECRET (and the sandbox's URL): no source pinned, so the model
    names the source in the arguments, as the seed's prompt does."""
    entry = seed_mcp_json(sandbox)["mcpServers"]["airbyte"]
    assert set(entry["env"]) == {"CLIENT_ID", "CLIENT_SECRET", "AIRBYTE_API_URL"}
    params = stdio_params(sandbox, env=seed_env(sandbox))
    async with Client(params) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        invoices = await client.call_tool(
            "apis_make_request",
            {"source_id": sandbox.stripe_source_id, "url": "/v1/invoices", "params": {"limit": 2}},
        )
        files = await client.call_tool(
            "files_list", {"source_id": sandbox.file_source_id, "prefix": "notes/"}
        )
        unnamed = await client.call_tool("files_list", {"prefix": "notes/"})
        foreign = await client.call_tool(
            "apis_make_request",
            {"source_id": sandbox.other_workspace.stripe_source_id, "url": "/v1/invoices"},
        )
    assert all("source_id" in t.input_schema["required"] for t in tools.values())
    assert invoices.is_error is False, _text(invoices)
    assert [r["id"] for r in invoices.structured_content["records"]] == stripe_ids(
        sandbox, "invoices", 2
    )
    assert files.is_error is False, _text(files)
    assert all(path in _text(files) for path in store_paths(sandbox, "notes/"))
    assert unnamed.is_error is True
    assert "`source_id` is required" in _text(unnamed)
    assert foreign.is_error is True
    assert "not found" in _text(foreign)


def test_no_traceback_when_the_client_goes_away(sandbox: Any) -> None:
    """The client closes stdin mid-conversation (and then again with a call in flight)."""
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "files_list", "arguments": {"prefix": ""}},
    }
    for messages in ([hello], [hello, call]):
        stdin = "".join(json.dumps(m) + "\n" for m in messages).encode()
        proc = subprocess.run(
            MCP_COMMAND,
            input=stdin,
            env=server_env(sandbox),
            cwd=REPO,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert b'"serverInfo"' in proc.stdout
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()


async def test_one_workspace_served_with_the_servers_credentials(sandbox: Any) -> None:
    """The seed's credentials and ``--workspace``: the calls use that customer's scoped token,
    so its own sources answer and the demo workspace's are out of reach."""
    sibling = sandbox.sibling_workspace
    params = stdio_params(sandbox, "--workspace", sibling.workspace_name, env=seed_env(sandbox))
    async with Client(params) as client:
        own = await client.call_tool("files_list", {"source_id": sibling.file_source_id})
        other = await client.call_tool("files_list", {"source_id": sandbox.file_source_id})
    assert own.is_error is False, _text(own)
    assert other.is_error is True
    assert "not found" in _text(other)
