"""Framework-neutral agent tools over the client: API requests, file listing, file reading.

Each tool has a pydantic input model (the JSON schema a model sees), ``arun``/``run``, and an
output guard; ``AirbyteEmbeddedTools`` builds them for a set of named sources.
"""

from __future__ import annotations

from .base import AirbyteTool, ClientLike
from .context import CustomerContext, CustomerSources, bind_customer, current_customer
from .guard import DEFAULT_MAX_CHARS
from .list_files import ListFilesInput, ListFilesTool
from .options import ToolkitOptions
from .proxy_api_request import (
    Approver,
    ProxyApiRequestInput,
    ProxyApiRequestTool,
    WriteRequest,
)
from .read_file import ReadFileInput, ReadFileTool
from .results import ApiResponse, FileListing, FileText, ToolResult
from .toolkit import AirbyteEmbeddedTools

__all__ = [
    "DEFAULT_MAX_CHARS",
    "AirbyteEmbeddedTools",
    "AirbyteTool",
    "ApiResponse",
    "Approver",
    "ClientLike",
    "CustomerContext",
    "CustomerSources",
    "FileListing",
    "FileText",
    "ListFilesInput",
    "ListFilesTool",
    "ProxyApiRequestInput",
    "ProxyApiRequestTool",
    "ReadFileInput",
    "ReadFileTool",
    "ToolResult",
    "ToolkitOptions",
    "WriteRequest",
    "bind_customer",
    "current_customer",
]
