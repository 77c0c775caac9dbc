"""``create_mcp_server`` in-process: pinned and open sources, argument names, structured results,
the server's identity, and the errors for a missing or incompatible SDK."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.types import CallToolResult, TextContent
from mcp_helpers import MCP_COMMAND, REPO, clean_env, server_env, stripe_ids

from airbyte_embedded_tools import __version__
from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.mcp_auth import shared_pool
from airbyte_embedded_tools._integrations.mcp_sdk import sdk_problem
from airbyte_embedded_tools._integrations.mcp_server import create_mcp_server, sources_from_env
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools.tools import ToolkitOptions, WriteRequest


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
    schema = tools["apis_make_request"].input_schema
    assert schema["required"] == ["source_id", "url"]
    assert "source" not in schema["properties"]

    missing = await server.call_tool("apis_make_request", {"url": "/v1/invoices"})
    assert isinstance(missing, CallToolResult)
    assert missing.is_error is True
    assert "`source_id` is required" in _text(missing)
    assert missing.structured_content["status"] == "error"

    by_name = await server.call_tool(
        "apis_make_request", {"source_id": "stripe", "url": "/v1/invoices", "params": {"limit": 1}}
    )
    assert stripe_ids(sandbox, "invoices", 1)[0] in _text(by_name)
    other = await server.call_tool(
        "apis_make_request",
        {"source_id": sandbox.other_workspace.stripe_source_id, "url": "/v1/invoices"},
    )
    assert isinstance(other, CallToolResult)
    assert other.is_error is True
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
    seen = json.dumps([[t.description, t.input_schema] for t in tools.values()])
    for neutral in ("proxy_api_request", "list_files", "read_file", "`path`", "`source`"):
        assert neutral not in seen

    async def call(name: str, arguments: dict[str, Any]) -> str:
        return _text(await server.call_tool(name, arguments))

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


async def test_path_is_an_alias_of_url(sandbox: Any, client: Any) -> None:
    server = create_mcp_server(client, source_id=sandbox.stripe_source_id)
    by_path = await server.call_tool("apis_make_request", {"path": "/v1/customers"})
    assert by_path.is_error is False, _text(by_path)
    assert "HTTP 200 GET /v1/customers" in _text(by_path)
    both = await server.call_tool(
        "apis_make_request", {"path": "/v1/customers", "url": "/v1/invoices"}
    )
    assert both.is_error is True
    assert "give `url` or path (its alias), not both" in _text(both)
    unknown = await server.call_tool("apis_make_request", {"url": "/v1/x", "limit": 3})
    assert unknown.is_error is True
    assert "`limit`: Extra inputs are not permitted" in _text(unknown)


async def test_structured_results_follow_the_output_schemas(sandbox: Any, client: Any) -> None:
    server = create_mcp_server(
        client, source_id=sandbox.stripe_source_id, file_source_id=sandbox.file_source_id
    )
    tools = {tool.name: tool for tool in await server.list_tools()}
    for tool in tools.values():
        assert tool.output_schema is not None
        assert tool.output_schema["properties"]["status"]["enum"] == ["ok", "error"]
    jsonschema = pytest.importorskip("jsonschema")
    newest = stripe_ids(sandbox, "invoices", 3)
    api = await server.call_tool(
        "apis_make_request",
        {"url": "/v1/invoices", "params": {"limit": 2}, "fields": ["status"]},
    )
    listed = await server.call_tool("files_list", {"prefix": "contracts/"})
    read = await server.call_tool(
        "files_read", {"path": "contracts/globex-order-form.pdf", "page": 1}
    )
    for name, result in (("apis_make_request", api), ("files_list", listed), ("files_read", read)):
        assert result.is_error is False, _text(result)
        jsonschema.validate(result.structured_content, tools[name].output_schema)
    content = api.structured_content
    assert content["status"] == "ok"
    assert content["http_status"] == 200
    assert [r["id"] for r in content["records"]] == newest[:2]
    assert all(set(r) == {"id", "status"} for r in content["records"])
    assert content["has_more"] is True
    assert content["continue_with"] == {"starting_after": newest[1]}
    following = await server.call_tool(
        "apis_make_request",
        {"url": "/v1/invoices", "params": {"limit": 1, **content["continue_with"]}},
    )
    assert following.structured_content["records"][0]["id"] == newest[2]
    files = {f["path"] for f in listed.structured_content["files"]}
    assert "contracts/initech-sla.html" in files
    pdf = read.structured_content
    assert pdf["format"] == "pdf"
    assert pdf["first_page"] == 1
    assert pdf["last_page"] == pdf["page_count"]  # all pages fit the default budget
    assert "next_page" not in pdf
    assert pdf["text"] in _text(read)


async def test_open_server_takes_any_source_id(sandbox: Any) -> None:
    """No source pinned (the seed's configuration): ``source_id`` is required and Airbyte
    decides, with the organization's credentials, which ids they reach."""
    async with httpx.AsyncClient() as http:
        from airbyte_embedded_tools._client import AirbyteEmbeddedClient

        org = AirbyteEmbeddedClient(
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            base_url=sandbox.base_url,
            http_client=http,
        )
        server = create_mcp_server(org)
        tools = {tool.name: tool for tool in await server.list_tools()}
        assert set(tools) == {"apis_make_request", "files_list", "files_read"}
        for tool in tools.values():
            assert "source_id" in tool.input_schema["required"]
        ours = await server.call_tool(
            "apis_make_request",
            {"source_id": sandbox.stripe_source_id, "url": "/v1/customers", "params": {"limit": 1}},
        )
        sibling = await server.call_tool(
            "files_list", {"source_id": sandbox.sibling_workspace.file_source_id}
        )
        foreign = await server.call_tool(
            "apis_make_request",
            {"source_id": sandbox.other_workspace.stripe_source_id, "url": "/v1/customers"},
        )
        unknown_id = "f00d0000-0000-4000-8000-000000000000"
        unknown = await server.call_tool(
            "files_read", {"source_id": unknown_id, "path": "README.md"}
        )
        missing = await server.call_tool("files_list", {"prefix": ""})
        garbage = await server.call_tool("files_list", {"source_id": "../../etc"})
    assert ours.is_error is False, _text(ours)
    assert sibling.is_error is False, _text(sibling)
    assert foreign.is_error is True  # another organization's source: "not found", no oracle
    assert f"source '{sandbox.other_workspace.stripe_source_id}' not found" in _text(foreign)
    assert unknown.is_error is True
    assert f"source '{unknown_id}' not found" in _text(unknown)
    assert missing.is_error is True
    assert "`source_id` is required" in _text(missing)
    assert garbage.is_error is True
    assert "is not an Airbyte source id" in _text(garbage)


async def test_the_server_reports_its_name_and_version(client: Any, sandbox: Any) -> None:
    from mcp import Client

    server = create_mcp_server(client, source_id=sandbox.stripe_source_id)
    async with Client(server) as session:
        info = session.server_info
    assert info is not None
    assert (info.name, info.version) == ("airbyte-embedded", __version__)


async def test_per_caller_server_needs_its_pool(sandbox: Any) -> None:
    with pytest.raises(ConfigurationError, match="base_url= and http_client="):
        create_mcp_server(None)
    pool = shared_pool()
    try:
        with pytest.raises(ConfigurationError, match="auth_token"):
            create_mcp_server(None, base_url=sandbox.base_url, http_client=pool, auth_token="x")
        server = create_mcp_server(None, base_url=sandbox.base_url, http_client=pool)
        # in-process (no HTTP request, so no bearer token): a readable tool error
        result = await server.call_tool(
            "files_list", {"source_id": sandbox.file_source_id, "prefix": ""}
        )
    finally:
        await pool.aclose()
    assert result.is_error is True
    assert "Authorization: Bearer" in _text(result)


async def test_the_shared_pool_keeps_no_cookies() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "lb=caller-a; Path=/"})

    seen: list[str | None] = []
    pool = shared_pool()
    pool._transport = httpx.MockTransport(answer)  # unit test of the pool's cookie policy
    try:
        await pool.get("https://api.airbyte.ai/one")
        await pool.get("https://api.airbyte.ai/two")
    finally:
        await pool.aclose()
    assert seen == [None, None]
    assert not pool.cookies


def test_sources_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRBYTE_STRIPE_SOURCE_ID", raising=False)
    monkeypatch.delenv("AIRBYTE_FILE_SOURCE_ID", raising=False)
    assert sources_from_env() is None
    monkeypatch.setenv("AIRBYTE_FILE_SOURCE_ID", "files-123")
    bound = sources_from_env(source_id="api-456")
    assert bound is not None
    assert bound["stripe"].id == "api-456"
    assert bound["stripe"].kind == "api"
    assert bound["files"].id == "files-123"
    monkeypatch.setenv(config.ENV_STRIPE_SOURCE_ID, "api-789")
    assert (sources_from_env() or {})["stripe"].id == "api-789"


def test_cli_without_credentials_over_stdio_is_a_usage_error(sandbox: Any) -> None:
    env = {**clean_env(), "AIRBYTE_API_URL": sandbox.base_url}
    proc = subprocess.run(MCP_COMMAND, env=env, cwd=REPO, capture_output=True, timeout=90)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("error: no credentials: set AIRBYTE_CLIENT_ID")
    assert "CLIENT_ID and CLIENT_SECRET" in err
    half = {**server_env(sandbox), "CLIENT_ID": "x"}
    del half["AIRBYTE_CLIENT_ID"], half["AIRBYTE_CLIENT_SECRET"]
    proc = subprocess.run(MCP_COMMAND, env=half, cwd=REPO, capture_output=True, timeout=90)
    assert proc.returncode == 2
    assert "the client secret is missing" in proc.stderr.decode()


def test_sdk_problems_say_which_and_how_to_fix() -> None:
    assert sdk_problem("2.3.0") is None
    for installed, shown in ((None, "not installed"), ("1.27.1", "mcp 1.27.1 is installed")):
        problem = sdk_problem(installed)
        assert problem is not None
        assert shown in problem
        assert "pip install 'airbyte-embedded-tools[mcp]'" in problem
        assert "mcp>=2.3,<3" in problem
    assert "mcp 3.0.0 is installed" in (sdk_problem("3.0.0") or "")


def test_a_missing_sdk_is_named_at_import(tmp_path: Path) -> None:
    """The real import path with no SDK on it: a copy of the package beside nothing else."""
    code = (
        "import importlib.metadata as m, sys\n"
        "real = m.version\n"
        "m.version = lambda name: (_ for _ in ()).throw(m.PackageNotFoundError(name)) "
        "if name == 'mcp' else real(name)\n"
        "sys.modules['mcp'] = None\n"
        "try:\n    import airbyte_embedded_tools._integrations.mcp_server\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert "needs the official MCP SDK (mcp>=2.3,<3), not installed" in out
    assert "pip install 'airbyte-embedded-tools[mcp]'" in out


def test_a_1x_sdk_is_refused_with_the_fix(mcp1: Path) -> None:
    """The real mcp 1.x (the 1.x client's virtualenv) under our package: a clear ImportError,
    and the CLI says the same in one line."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "try:\n    import airbyte_embedded_tools._integrations.mcp_server\n"
        "except ImportError as exc:\n    print(exc)\n"
        "from airbyte_embedded_tools.cli import main\n"
        "sys.exit(main(['mcp']))\n"
    )
    proc = subprocess.run(
        [str(mcp1), "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    expected = r"needs the MCP SDK 2.x \(mcp>=2.3,<3\); mcp 1\.\d+\.\d+ is installed"
    assert re.search(expected, proc.stdout)
    assert "pip install 'airbyte-embedded-tools[mcp]'" in proc.stdout
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: The MCP server needs the MCP SDK 2.x")


async def test_writes_off_means_no_write_tool(sandbox: Any, client: Any) -> None:
    from mcp import Client

    server = create_mcp_server(client, ToolkitOptions(source_id=sandbox.stripe_source_id))
    async with Client(server) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        post = await session.call_tool(
            "apis_make_request", {"method": "POST", "url": "/v1/customers"}
        )
    assert set(tools) == {"apis_make_request"}
    annotations = tools["apis_make_request"].annotations
    assert annotations is not None
    assert (annotations.read_only_hint, annotations.destructive_hint) == (True, False)
    assert post.is_error is True
    assert "read-only" in _text(post)


async def test_an_approver_sees_the_write_and_can_refuse(sandbox: Any, client: Any) -> None:
    """The approval hook gets method, URL, body and the Idempotency-Key; a refusal is a
    readable tool error and nothing reaches Stripe."""
    from mcp import Client

    seen: list[WriteRequest] = []

    def refuse(write: WriteRequest) -> bool:
        seen.append(write)
        return False

    server = create_mcp_server(client, source_id=sandbox.stripe_source_id, approve=refuse)
    posts_before = len([r for r in sandbox.upstream_requests if r.method == "POST"])
    created_before = len(sandbox.created_objects())
    async with Client(server) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        refused = await session.call_tool(
            "apis_write_request",
            {
                "method": "POST",
                "url": "/v1/customers",
                "body": {"email": "refused@example.com"},
                "idempotency_key": "approval-test-1",
            },
        )
        keyless = await session.call_tool(
            "apis_write_request", {"method": "POST", "url": "/v1/customers"}
        )
        read = await session.call_tool("apis_write_request", {"method": "GET", "url": "/v1/x"})
    annotations = tools["apis_write_request"].annotations
    assert annotations is not None
    assert (annotations.read_only_hint, annotations.destructive_hint) == (False, True)
    assert annotations.idempotent_hint is True
    assert refused.is_error is True
    assert "did not approve POST" in _text(refused)
    assert "Nothing was sent" in _text(refused)
    assert len(seen) == 1
    write = seen[0]
    assert (write.method, write.url) == ("POST", "https://api.stripe.com/v1/customers")
    assert write.body == {"email": "refused@example.com"}
    assert write.idempotency_key == "approval-test-1"
    assert write.headers["Idempotency-Key"] == "approval-test-1"
    assert keyless.is_error is True
    assert "`idempotency_key` is required" in _text(keyless)
    assert read.is_error is True
    assert "read with apis_make_request" in _text(read)
    assert len(seen) == 1  # neither reached the approver
    assert len([r for r in sandbox.upstream_requests if r.method == "POST"]) == posts_before
    assert len(sandbox.created_objects()) == created_before


async def test_a_dry_run_answers_with_what_would_be_sent(sandbox: Any, client: Any) -> None:
    from mcp import Client

    server = create_mcp_server(client, source_id=sandbox.stripe_source_id, dry_run=True)
    created_before = len(sandbox.created_objects())
    async with Client(server) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        dry = await session.call_tool(
            "apis_write_request",
            {
                "method": "POST",
                "url": "/v1/customers",
                "body": {"email": "dry@example.com"},
                "idempotency_key": "dry-run-1",
            },
        )
    annotations = tools["apis_write_request"].annotations
    assert annotations is not None
    assert annotations.read_only_hint is True  # a dry run sends nothing
    assert dry.is_error is False, _text(dry)
    text = _text(dry)
    assert text.startswith("DRY RUN: nothing was sent.")
    assert "POST https://api.stripe.com/v1/customers" in text
    assert "Idempotency-Key: dry-run-1" in text
    assert '"email":"dry@example.com"' in text.replace(" ", "")
    assert len(sandbox.created_objects()) == created_before


def test_options_are_the_toolkits(client: Any) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        create_mcp_server(client, ToolkitOptions(), allow_writes=True)
    with pytest.raises(ConfigurationError, match="allow_write"):
        create_mcp_server(client, allow_write=True)
    with pytest.raises(ConfigurationError, match="names"):
        create_mcp_server(client, names={"read_file": "x"})
