"""A 1.x MCP client run by the 1.x virtualenv's python (``mcp<2``, ``langchain-mcp-adapters``).

Usage: ``python mcp1_client.py '<json>'`` with ``{"connection": <langchain-mcp-adapters
connection>, "calls": [{"name": ..., "args": {...}}]}``. Over one ``langchain-mcp-adapters``
session: the ``mcp`` 1.x ``ClientSession`` (server info, tool list, each call; it checks
structured results against the output schemas), then its LangChain tools (each call as an agent
makes it). Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from langchain_mcp_adapters.sessions import create_session
from langchain_mcp_adapters.tools import load_mcp_tools


async def run(connection: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """One session (one server process over stdio): the raw calls, then the LangChain tools."""
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
        tools = {tool.name: tool for tool in await load_mcp_tools(session)}
        chain = []
        for i, call in enumerate(calls):
            message = await tools[call["name"]].ainvoke(
                {"name": call["name"], "args": call["args"], "id": f"call_{i}", "type": "tool_call"}
            )
            artifact = message.artifact
            structured = artifact.get("structured_content") if isinstance(artifact, dict) else None
            content = message.content
            if isinstance(content, list):
                content = "".join(
                    b.get("text", "") if isinstance(b, dict) else str(b) for b in content
                )
            chain.append({"status": message.status, "text": content, "structured": structured})
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
        "langchain": {"tools": sorted(tools), "results": chain},
    }


async def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(await run(spec["connection"], spec["calls"])))


if __name__ == "__main__":
    asyncio.run(main())
