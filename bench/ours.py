"""Our side of each comparison: the package's client and tools, configured as a user would.

Imported late, so the bench's own process loads nothing of the package it does not use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.context import Conn

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from airbyte_embedded_tools._client import AirbyteEmbeddedClient
    from airbyte_embedded_tools.tools import ProxyApiRequestTool

INVOICES_PATH = "/v1/invoices"


def client(conn: Conn) -> AirbyteEmbeddedClient:
    """A cold client with the application's credentials (one token request on first use)."""
    from airbyte_embedded_tools._client import AirbyteEmbeddedClient

    return AirbyteEmbeddedClient(
        client_id=conn.client_id, client_secret=conn.client_secret, base_url=conn.base_url
    )


def langchain_proxy_tool(api: AirbyteEmbeddedClient, conn: Conn, **options: Any) -> BaseTool:
    """The LangChain face of ProxyApiRequestTool, bound to the sandbox's Stripe source."""
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedToolkit

    toolkit = AirbyteEmbeddedToolkit(client=api, source_id=conn.stripe_source_id, **options)
    tools = toolkit.get_tools()
    return next(tool for tool in tools if "request" in tool.name)


def neutral_proxy_tool(api: AirbyteEmbeddedClient, conn: Conn) -> ProxyApiRequestTool:
    """The framework-neutral ProxyApiRequestTool (what the LangChain tool wraps), same binding."""
    from airbyte_embedded_tools.tools import ProxyApiRequestTool

    return ProxyApiRequestTool(api, source_id=conn.stripe_source_id)


def invoice_args(limit: int) -> dict[str, Any]:
    """The tool call a model makes to list ``limit`` invoices."""
    return {"method": "GET", "path": INVOICES_PATH, "params": {"limit": limit}}
