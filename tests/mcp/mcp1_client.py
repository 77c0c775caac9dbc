"""A 1.x MCP client run by the 1.x virtualenv's python (``mcp<2``, ``langchain-mcp-adapters``).

Usage: ``python mcp1_client.py '<json>'`` with ``{"connection": <langchain-mcp-adapters
connection>, "calls": [{"name": ..., "args": {...}}]}``. Connects twice: with the ``mcp`` 1.x
``ClientSession`` (server info, tool list, each call; the 1.x session checks structured results
against the output schemas) and through ``langchain-mcp-adapters`` (its LangChain tools, each
call as an agent would make it). Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import create_session


async def _raw(connection: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    async with create_session(connection) as session:
        init = await session.initialize()
        listed = await session.list_tools()
        results = []
        for call in calls:
            result = await session.call_tool(call["name"], call["args"])
            results.append(
                {
                    "is_error": result.isError,
                    "text": "".join(getattr(c, "text", "") for c in result.content),
                    "structured": result.structuredContent,
                }
            )
    return {
        "server": {"name": init.serverInfo.name, "version": init.serverInfo.version},
        "protocol": init.protocolVersion,
        "tools": {
            t.name: {
                "input": t.inputSchema,
                "output": t.outputSchema,
                "annotations": t.annotations.model_dump() if t.annotations else None,
            }
            for t in listed.tools
        },
        "results": results,
    }


async def _langchain(connection: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    client = MultiServerMCPClient({"airbyte": connection})
    tools = {tool.name: tool for tool in await client.get_tools()}
    results = []
    for i, call in enumerate(calls):
        message = await tools[call["name"]].ainvoke(
            {"name": call["name"], "args": call["args"], "id": f"call_{i}", "type": "tool_call"}
        )
        artifact = message.artifact
        structured = artifact.get("structured_content") if isinstance(artifact, dict) else None
        content = message.content
        if isinstance(content, list):
            content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
        results.append({"status": message.status, "text": content, "structured": structured})
    return {"tools": sorted(tools), "results": results}


async def main() -> None:
    spec = json.loads(sys.argv[1])
    out = await _raw(spec["connection"], spec["calls"])
    out["langchain"] = await _langchain(spec["connection"], spec["calls"])
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
