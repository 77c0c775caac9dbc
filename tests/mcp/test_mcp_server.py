"""``create_mcp_server`` in-process: several sources, setup errors, the missing-extra message."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from mcp.types import CallToolResult, TextContent
from mcp_helpers import MCP_COMMAND, REPO, server_env, stripe_ids

from airbyte_embedded_tools import config
from airbyte_embedded_tools.errors import ConfigurationError
from airbyte_embedded_tools.integrations.mcp_server import create_mcp_server, sources_from_env
from airbyte_embedded_tools.sources import Source


def _text(result: Any) -> str:
    assert isinstance(result, CallToolResult)
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def test_several_api_sources_need_a_source_id(sandbox: Any, client: Any) -> None:
    server = create_mcp_server(
        client,
        sources={
            "stripe": sandbox.stripe_source_id,
            "acquired": Source.api(sandbox.other_workspace.stripe_source_id),
        },
    )
    tools = {tool.name: tool for tool in await server.list_tools()}
    assert set(tools) == {"apis_make_request"}
    schema = tools["apis_make_request"].inputSchema
    assert schema["required"] == ["source_id", "url"]
    assert "source" not in schema["properties"]

    missing = await server.call_tool("apis_make_request", {"url": "/v1/invoices"})
    assert isinstance(missing, CallToolResult)
    assert missing.isError is True
    assert "`source_id` is required" in _text(missing)

    by_name = await server.call_tool(
        "apis_make_request", {"source_id": "stripe", "url": "/v1/invoices", "params": {"limit": 1}}
    )
    assert stripe_ids(sandbox, "invoices", 1)[0] in _text(by_name)
    # the other workspace's source is refused by Airbyte: a readable tool error, no crash
    other = await server.call_tool(
        "apis_make_request",
        {"source_id": sandbox.other_workspace.stripe_source_id, "url": "/v1/invoices"},
    )
    assert isinstance(other, CallToolResult)
    assert other.isError is True
    assert "Error: apis_make_request on source 'acquired' failed" in _text(other)


async def test_texts_name_the_mcp_tools_and_arguments(sandbox: Any, client: Any) -> None:
    server = create_mcp_server(
        client,
        sources={"stripe": sandbox.stripe_source_id, "docs": sandbox.file_source_id, "more": "f2"},
        max_chars=1000,
    )
    tools = {tool.name: tool for tool in await server.list_tools()}
    assert "before files_read" in (tools["files_list"].description or "")
    assert "with files_list first" in (tools["files_read"].description or "")
    assert "Give `url`" in (tools["apis_make_request"].description or "")
    assert "choose one with `source_id`" in (tools["files_read"].description or "")
    seen = json.dumps([[t.description, t.inputSchema] for t in tools.values()])
    for neutral in ("proxy_api_request", "list_files", "read_file", "`path`", "`source`"):
        assert neutral not in seen

    async def call(name: str, arguments: dict[str, Any]) -> str:
        result = await server.call_tool(name, arguments)
        return _text(result)

    path = "contracts/acme-master-services-agreement.md"
    part = await call("files_read", {"source_id": "docs", "path": path})
    assert re.search(r"\[More follows .*: call files_read again with offset=\d+\.\]$", part)
    pdf = await call("files_read", {"source_id": "docs", "path": "contracts/globex-order-form.pdf"})
    assert pdf.endswith("[More pages: call files_read again with page=2.]")
    missing = await call("files_read", {"source_id": "docs", "path": "no/such/file.md"})
    assert "Error: files_read on source 'docs' failed" in missing
    assert "call files_list to see the exact paths" in missing
    invalid = await call("apis_make_request", {"source_id": "stripe", "url": ""})
    assert "Error: invalid arguments for apis_make_request: `url`:" in invalid
    texts = [part, pdf, missing, invalid]
    assert not [text for text in texts if "read_file" in text or "list_files" in text]


async def test_apis_make_request_takes_headers(sandbox: Any, client: Any) -> None:
    server = create_mcp_server(client, source_id=sandbox.stripe_source_id)
    tool = (await server.list_tools())[0]
    assert list(tool.inputSchema["properties"])[:6] == [
        "source_id",
        "method",
        "url",
        "params",
        "headers",
        "body",
    ]
    before = len(sandbox.upstream_requests)
    pinned = {"Stripe-Version": "2024-06-20"}
    sent = await server.call_tool(
        "apis_make_request", {"url": "/v1/customers", "params": {"limit": 1}, "headers": pinned}
    )
    assert "HTTP 200 GET /v1/customers" in _text(sent)
    records = sandbox.upstream_requests[before:]
    versions = [{k.lower(): v for k, v in r.headers.items()}["stripe-version"] for r in records]
    assert versions == ["2024-06-20"]
    refused = await server.call_tool(
        "apis_make_request", {"url": "/v1/customers", "headers": {"Authorization": "Bearer x"}}
    )
    assert isinstance(refused, CallToolResult)
    assert refused.isError is True
    assert "the Authorization header is not allowed" in _text(refused)
    assert len(sandbox.upstream_requests) == before + 1


def test_sources_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRBYTE_STRIPE_SOURCE_ID", raising=False)
    monkeypatch.delenv("AIRBYTE_FILE_SOURCE_ID", raising=False)
    with pytest.raises(ConfigurationError, match="AIRBYTE_STRIPE_SOURCE_ID"):
        sources_from_env()
    monkeypatch.setenv("AIRBYTE_FILE_SOURCE_ID", "files-123")
    bound = sources_from_env(source_id="api-456")
    assert bound["stripe"].id == "api-456"
    assert bound["stripe"].kind == "api"
    assert bound["files"].id == "files-123"


def test_source_variables_come_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.ENV_STRIPE_SOURCE_ID == "AIRBYTE_STRIPE_SOURCE_ID"
    assert config.ENV_FILE_SOURCE_ID == "AIRBYTE_FILE_SOURCE_ID"
    assert config.env_source_variable("acme") == "AIRBYTE_ACME_SOURCE_ID"
    monkeypatch.delenv(config.ENV_FILE_SOURCE_ID, raising=False)
    with pytest.raises(ConfigurationError, match=r"set AIRBYTE_ACME_SOURCE_ID \(API source\)"):
        sources_from_env(connector="acme")
    monkeypatch.setenv(config.ENV_STRIPE_SOURCE_ID, "api-789")
    assert sources_from_env()["stripe"].id == "api-789"


def test_cli_without_sources_is_a_usage_error(sandbox: Any) -> None:
    env = server_env(sandbox)
    del env["AIRBYTE_STRIPE_SOURCE_ID"], env["AIRBYTE_FILE_SOURCE_ID"]
    proc = subprocess.run(MCP_COMMAND, env=env, cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("error: no source to serve")


def test_missing_sdk_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['mcp'] = None\n"
        "try:\n    import airbyte_embedded_tools.integrations.mcp_server\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert "pip install 'airbyte-embedded-tools[mcp]'" in out
