"""Airbyte Embedded Proxy Requests as one shared client, agent tools and document loaders.

The root exports the framework-neutral core (it imports httpx and pydantic only). The framework
faces live in ``airbyte_embedded_tools.langchain``, ``.llama_index`` and ``.mcp``; the local
sandbox in ``airbyte_embedded_tools.sandbox``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._client import AirbyteEmbeddedClient
from ._errors import (
    AirbyteEmbeddedError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    FileChangedError,
    IdempotencyConflictError,
    IncompleteReadError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    UpstreamError,
)
from ._lazy import lazy_exports
from ._models import AccessToken, FileContent, FileEntry, FolderListing, ProxyResponse
from ._retry import RetryPolicy
from ._sources import Source
from ._sync_client import SyncAirbyteEmbeddedClient
from ._version import __version__

if TYPE_CHECKING:
    from .documents import (
        ApiDocumentLoader,
        DocumentRecord,
        FileDocumentLoader,
        FileLoadOptions,
        LinkHeaderPaginator,
        LoadState,
        NextUrlPaginator,
        OffsetPaginator,
        Paginator,
        ParseBudget,
        StripePaginator,
    )
    from .tools import (
        AirbyteEmbeddedTools,
        CustomerContext,
        ListFilesTool,
        ProxyApiRequestTool,
        ReadFileTool,
        ToolkitOptions,
        ToolResult,
        WriteRequest,
        bind_customer,
    )

_DOCUMENTS = (
    "ApiDocumentLoader",
    "DocumentRecord",
    "FileDocumentLoader",
    "FileLoadOptions",
    "LinkHeaderPaginator",
    "LoadState",
    "NextUrlPaginator",
    "OffsetPaginator",
    "Paginator",
    "ParseBudget",
    "StripePaginator",
)
_TOOLS = (
    "AirbyteEmbeddedTools",
    "CustomerContext",
    "ListFilesTool",
    "ProxyApiRequestTool",
    "ReadFileTool",
    "ToolResult",
    "ToolkitOptions",
    "WriteRequest",
    "bind_customer",
)

# The tools and the loaders load on first use: a client-only program does not pay for them.
__getattr__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_DOCUMENTS, "airbyte_embedded_tools.documents"),
        **dict.fromkeys(_TOOLS, "airbyte_embedded_tools.tools"),
    },
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
    "CustomerContext",
    "DocumentRecord",
    "FileChangedError",
    "FileContent",
    "FileDocumentLoader",
    "FileEntry",
    "FileLoadOptions",
    "FolderListing",
    "IdempotencyConflictError",
    "IncompleteReadError",
    "InvalidRequestError",
    "LinkHeaderPaginator",
    "ListFilesTool",
    "LoadState",
    "NextUrlPaginator",
    "NotFoundError",
    "OffsetPaginator",
    "Paginator",
    "ParseBudget",
    "PermissionDeniedError",
    "ProxyApiRequestTool",
    "ProxyResponse",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "ReadFileTool",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "Source",
    "StripePaginator",
    "SyncAirbyteEmbeddedClient",
    "ToolResult",
    "ToolkitOptions",
    "UpstreamError",
    "WriteRequest",
    "__version__",
    "bind_customer",
]
