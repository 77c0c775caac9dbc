"""Airbyte Embedded Proxy Requests as one shared client, agent tools and document loaders.

The root exports the framework-neutral core (it imports httpx and pydantic only). The framework
faces live in ``airbyte_embedded_tools.langchain``, ``.llama_index`` and ``.mcp``; the local
sandbox in ``airbyte_embedded_tools.sandbox``.
"""

from __future__ import annotations

from ._version import __version__
from .client import AirbyteEmbeddedClient
from .documents import (
    ApiDocumentLoader,
    DocumentRecord,
    FileDocumentLoader,
    LinkHeaderPaginator,
    LoadState,
    NextUrlPaginator,
    OffsetPaginator,
    Paginator,
    StripePaginator,
)
from .errors import (
    AirbyteEmbeddedError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    FileChangedError,
    IncompleteReadError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ServerError,
    UpstreamError,
)
from .models import AccessToken, FileContent, FileEntry, ProxyResponse
from .sources import Source
from .sync_client import SyncAirbyteEmbeddedClient
from .tools import (
    AirbyteEmbeddedTools,
    ListFilesTool,
    ProxyApiRequestTool,
    ReadFileTool,
    ToolResult,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AccessToken",
    "AirbyteEmbeddedClient",
    "AirbyteEmbeddedError",
    "AirbyteEmbeddedTools",
    "ApiDocumentLoader",
    "AuthenticationError",
    "ConfigurationError",
    "DocumentRecord",
    "FileChangedError",
    "FileContent",
    "FileDocumentLoader",
    "FileEntry",
    "IncompleteReadError",
    "InvalidRequestError",
    "LinkHeaderPaginator",
    "ListFilesTool",
    "LoadState",
    "NextUrlPaginator",
    "NotFoundError",
    "OffsetPaginator",
    "Paginator",
    "PermissionDeniedError",
    "ProxyApiRequestTool",
    "ProxyResponse",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "ReadFileTool",
    "ServerError",
    "Source",
    "StripePaginator",
    "SyncAirbyteEmbeddedClient",
    "ToolResult",
    "UpstreamError",
    "__version__",
]
