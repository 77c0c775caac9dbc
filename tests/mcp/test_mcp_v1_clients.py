"""The 1.x client generation against our 2.x server, from its own virtualenv (``mcp<2`` and
``langchain-mcp-adapters``, made by the ``mcp1`` fixture): over stdio and streamable HTTP, list
the tools, call each, get errors back as tool errors, structured results checked by the 1.x
session against the output schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp_helpers import (
    MCP_COMMAND,
    REPO,
    clean_env,
    http_server,
    run_mcp1_client,
    scoped_token,
    seed_env,
    server_env,
    stripe_ids,
)

from airbyte_embedded_tools import __version__


def _calls(api_id: str | None = None, files_id: str | None = None) -> list[dict[str, Any]]:
    def source(value: str | None) -> dict[str, str]:
        return {"source_id": value} if value else {}

    return [
        {
            "name": "apis_make_request",
            "args": {**source(api_id), "url": "/v1/invoices", "params": {"limit": 2}},
        },
        {"name": "files_list", "args": {**source(files_id), "prefix": "contracts/"}},
        {"name": "files_read", "args": {**source(files_id), "path": "README.md"}},
        {"name": "files_read", "args": {**source(files_id), "path": "no/such/file.md"}},
        {"name": "apis_make_request", "args": {**source(api_id), "method": "DELETE", "url": "/x"}},
    ]


def _check(report: dict[str, Any], sandbox: Any) -> None:
    assert report["server"] == {"name": "airbyte-embedded", "version": __version__}
    tools = report["tools"]
    assert set(tools) == {"apis_make_request", "files_list", "files_read"}
    for tool in tools.values():
        assert tool["output"]["properties"]["status"]["enum"] == ["ok", "error"]
        assert tool["annotations"]["readOnlyHint"] is True
    invoices = stripe_ids(sandbox, "invoices", 2)
    api, listed, read, missing, refused = report["results"]
    assert api["is_error"] is False, api["text"]
    assert [r["id"] for r in api["structured"]["records"]] == invoices
    assert "contracts/initech-sla.html" in listed["text"]
    assert read["is_error"] is False
    assert missing["is_error"] is True
    assert "files_list" in missing["text"]
    assert refused["is_error"] is True
    assert "read-only" in refused["text"]
    chain = report["langchain"]
    assert chain["tools"] == ["apis_make_request", "files_list", "files_read"]
    statuses = [r["status"] for r in chain["results"]]
    assert statuses == ["success", "success", "success", "error", "error"]
    assert all(invoice in chain["results"][0]["text"] for invoice in invoices)
    assert chain["results"][0]["structured"]["status"] == "ok"
    assert "files_list" in chain["results"][3]["text"]


def test_v1_clients_over_stdio(mcp1: Path, sandbox: Any) -> None:
    connection = {
        "transport": "stdio",
        "command": MCP_COMMAND[0],
        "args": MCP_COMMAND[1:],
        "env": server_env(sandbox),
        "cwd": str(REPO),
    }
    _check(run_mcp1_client(mcp1, connection, _calls()), sandbox)


def test_v1_clients_with_the_seeds_mcp_json(mcp1: Path, sandbox: Any) -> None:
    connection = {
        "transport": "stdio",
        "command": MCP_COMMAND[0],
        "args": MCP_COMMAND[1:],
        "env": seed_env(sandbox),
        "cwd": str(REPO),
    }
    calls = _calls(sandbox.stripe_source_id, sandbox.file_source_id)
    _check(run_mcp1_client(mcp1, connection, calls), sandbox)


def test_v1_clients_over_http_with_the_callers_token(mcp1: Path, sandbox: Any) -> None:
    env = {**clean_env(), "AIRBYTE_API_URL": sandbox.base_url}
    token = scoped_token(sandbox, sandbox)
    with http_server(env) as server:
        connection = {
            "transport": "streamable_http",
            "url": server.url,
            "headers": {"Authorization": f"Bearer {token}"},
        }
        calls = _calls(sandbox.stripe_source_id, sandbox.file_source_id)
        report = run_mcp1_client(mcp1, connection, calls)
        log = server.stderr_after_stop()
    _check(report, sandbox)
    assert "Traceback" not in log
