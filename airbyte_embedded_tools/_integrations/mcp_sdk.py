"""The one place the official MCP SDK is imported: ``mcp`` 2.x, else an error saying what to do.

The server is built on the 2.x server API (``mcp.server.mcpserver.MCPServer``). A missing SDK, a
1.x one (``mcp.server.fastmcp``, what ``langchain-mcp-adapters`` 0.3 pins) or a future major each
get an ``ImportError`` naming the installed version and the command that fixes it.
"""

from __future__ import annotations

from importlib import metadata

SDK_REQUIREMENT = "mcp>=2.3,<3"
"""The SDK versions this server is built and tested on (the ``mcp`` extra)."""
_FIX = (
    "pip install 'airbyte-embedded-tools[mcp]' (or pip install '" + SDK_REQUIREMENT + "'); "
    "a client pinned to mcp<2, such as langchain-mcp-adapters 0.3, belongs in another virtualenv"
)


def sdk_problem(installed: str | None) -> str | None:
    """Why the installed SDK version cannot run this server (None: it can)."""
    if installed is None:
        return (
            f"The MCP server needs the official MCP SDK ({SDK_REQUIREMENT}), not installed: {_FIX}"
        )
    major = installed.split(".", 1)[0]
    if major != "2":
        return (
            f"The MCP server needs the MCP SDK 2.x ({SDK_REQUIREMENT}); mcp {installed} is "
            f"installed: {_FIX}"
        )
    return None


def _installed() -> str | None:
    try:
        return metadata.version("mcp")
    except metadata.PackageNotFoundError:
        return None


_problem = sdk_problem(_installed())
if _problem is not None:
    raise ImportError(_problem)
try:
    from mcp.server.auth.provider import AccessToken, TokenVerifier
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.tools import Tool
    from mcp.types import CallToolResult, TextContent, ToolAnnotations
except ImportError as exc:  # installed metadata says 2.x, but the modules are not there
    raise ImportError(
        f"The MCP server could not import the MCP SDK ({exc}); reinstall it: {_FIX}"
    ) from exc

__all__ = [
    "SDK_REQUIREMENT",
    "AccessToken",
    "AuthSettings",
    "CallToolResult",
    "Context",
    "MCPServer",
    "TextContent",
    "TokenVerifier",
    "Tool",
    "ToolAnnotations",
    "sdk_problem",
]
