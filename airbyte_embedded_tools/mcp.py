"""MCP face: an MCP server (SDK 2.x) with the toolkit's tools.

Tools ``apis_make_request``, ``files_list``, ``files_read`` (and ``apis_write_request`` when
the server allows writes). Imported lazily; needs the ``mcp``
extra (``pip install 'airbyte-embedded-tools[mcp]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._integrations.mcp_server import (
        ENV_MCP_AUTH_TOKEN,
        MCP_TOOL_NAMES,
        MCP_WRITE_TOOL,
        create_mcp_server,
        run_mcp_server,
        sources_from_env,
    )

__all__ = [
    "ENV_MCP_AUTH_TOKEN",
    "MCP_TOOL_NAMES",
    "MCP_WRITE_TOOL",
    "create_mcp_server",
    "run_mcp_server",
    "sources_from_env",
]

__getattr__ = lazy_exports(
    __name__, dict.fromkeys(__all__, "airbyte_embedded_tools._integrations.mcp_server")
)
