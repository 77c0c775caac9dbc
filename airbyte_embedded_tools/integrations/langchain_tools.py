"""LangChain face of the tools: a ``BaseTool`` per neutral tool and ``AirbyteEmbeddedToolkit``.

Each ``BaseTool`` wraps one neutral tool: the same input model as ``args_schema``, the async
path as ``_arun``, the sync path (through the same client) as ``_run``; the compact text is the
``ToolMessage`` content and the typed result its artifact. Failures come back to the model as
error ``ToolMessage``s (``handle_tool_error``/``handle_validation_error``), never as exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

try:
    from langchain_core.tools import BaseTool, BaseToolkit, ToolException
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "The LangChain tools need LangChain: pip install 'airbyte-embedded-tools[langchain]'"
    ) from exc

from pydantic import ConfigDict, Field, PrivateAttr, ValidationError

from airbyte_embedded_tools.sources import Source
from airbyte_embedded_tools.tools import (
    DEFAULT_MAX_CHARS,
    AirbyteEmbeddedTools,
    AirbyteTool,
    Approver,
    ClientLike,
    ListFilesTool,
    ProxyApiRequestTool,
    ReadFileTool,
    ToolResult,
)
from airbyte_embedded_tools.tools.messages import validation_message

__all__ = [
    "AirbyteEmbeddedToolkit",
    "AirbyteListFilesTool",
    "AirbyteProxyApiRequestTool",
    "AirbyteReadFileTool",
    "AirbyteToolAdapter",
    "to_langchain_tool",
]


class AirbyteToolAdapter(BaseTool):
    """A neutral Airbyte tool as a LangChain ``BaseTool`` (content and artifact, errors as text)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    tool: AirbyteTool[Any] = Field(exclude=True, repr=False)
    handle_tool_error: bool = True
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    def __init__(self, tool: AirbyteTool[Any], **kwargs: Any) -> None:
        name = tool.name
        super().__init__(
            tool=tool,
            name=name,
            description=tool.description,
            args_schema=tool.args_model,
            handle_validation_error=lambda exc: _validation_text(exc, name),
            **kwargs,
        )

    def _run(self, **kwargs: Any) -> tuple[str, Any]:
        return _unwrap(self.tool.run(**kwargs))

    async def _arun(self, **kwargs: Any) -> tuple[str, Any]:
        return _unwrap(await self.tool.arun(**kwargs))


def _unwrap(result: ToolResult) -> tuple[str, Any]:
    """``(content, artifact)``; an error result raises ``ToolException`` (an error ToolMessage)."""
    if result.is_error:
        raise ToolException(result.content)
    return result.content, result.artifact


def _validation_text(exc: Any, tool: str) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc, tool)
    return f"Error: invalid arguments for {tool}. Fix them and call the tool again."


class AirbyteProxyApiRequestTool(AirbyteToolAdapter):
    """``proxy_api_request``: HTTP requests to the connected API (Stripe), read-only by default.

    ``AirbyteProxyApiRequestTool(client, source_id=..., allow_writes=False, approve=None,
    max_chars=20_000)``; the keyword arguments are those of ``tools.ProxyApiRequestTool``.
    """

    def __init__(self, client: ClientLike | None = None, **options: Any) -> None:
        tool = options.pop("tool", None) or ProxyApiRequestTool(_need(client), **options)
        super().__init__(tool)


class AirbyteListFilesTool(AirbyteToolAdapter):
    """``list_files``: the files of the connected file storage (``tools.ListFilesTool``)."""

    def __init__(self, client: ClientLike | None = None, **options: Any) -> None:
        tool = options.pop("tool", None) or ListFilesTool(_need(client), **options)
        super().__init__(tool)


class AirbyteReadFileTool(AirbyteToolAdapter):
    """``read_file``: text of a file, a part at a time (``tools.ReadFileTool``)."""

    def __init__(self, client: ClientLike | None = None, **options: Any) -> None:
        tool = options.pop("tool", None) or ReadFileTool(_need(client), **options)
        super().__init__(tool)


def _need(client: ClientLike | None) -> ClientLike:
    if client is None:
        from airbyte_embedded_tools.errors import ConfigurationError

        raise ConfigurationError("pass the client: an AirbyteEmbeddedClient or its sync face")
    return client


_ADAPTERS: dict[type[AirbyteTool[Any]], type[AirbyteToolAdapter]] = {
    ProxyApiRequestTool: AirbyteProxyApiRequestTool,
    ListFilesTool: AirbyteListFilesTool,
    ReadFileTool: AirbyteReadFileTool,
}


def to_langchain_tool(tool: AirbyteTool[Any]) -> AirbyteToolAdapter:
    """The LangChain ``BaseTool`` of a neutral tool."""
    adapter = _ADAPTERS.get(type(tool), AirbyteToolAdapter)
    if adapter is AirbyteToolAdapter:
        return AirbyteToolAdapter(tool)
    return adapter(tool=tool)


class AirbyteEmbeddedToolkit(BaseToolkit):
    """The Airbyte tools for one customer's sources, for a LangChain agent.

    ``AirbyteEmbeddedToolkit(client, source_id=...)`` (one Stripe source), or
    ``sources={"stripe": id, "contracts": Source.files(id)}``: a plain id under a connector's name
    is an API source, under any other name a file source. Read-only unless ``allow_writes`` or
    an ``approve`` callback (asked before each write).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(repr=False)
    sources: Mapping[str, Source | str] | None = None
    source_id: str | None = None
    file_source_id: str | None = None
    connector: str = "stripe"
    allow_writes: bool = False
    approve: Approver | None = Field(default=None, repr=False)
    max_chars: int = DEFAULT_MAX_CHARS
    raw: bool = False
    names: Mapping[str, str] | None = None
    _tools: list[AirbyteToolAdapter] = PrivateAttr(default_factory=list)

    def __init__(self, client: ClientLike | None = None, /, **data: Any) -> None:
        if client is not None:
            data["client"] = client
        super().__init__(**data)
        neutral = AirbyteEmbeddedTools(
            self.client,
            sources=self.sources,
            source_id=self.source_id,
            file_source_id=self.file_source_id,
            connector=self.connector,
            allow_writes=self.allow_writes,
            approve=self.approve,
            max_chars=self.max_chars,
            raw=self.raw,
            names=self.names,
        )
        self._tools = [to_langchain_tool(tool) for tool in neutral.get_tools()]

    def get_tools(self) -> list[BaseTool]:
        """``proxy_api_request`` for API sources; ``list_files`` and ``read_file`` for files."""
        return list(self._tools)
