"""The tools as a local MCP server (official ``mcp`` SDK, FastMCP), stdio or streamable HTTP.

Each MCP tool delegates to a framework-neutral tool, so schemas, output guard, error messages and
the read-only default are the toolkit's own. The toolkit is built with the MCP names of Airbyte's
hosted Embedded MCP (``apis_make_request``, ``files_list``, ``files_read``), so its texts name
them; only the arguments change here: every tool takes ``source_id``, and ``apis_make_request``
takes ``url`` where the neutral tool takes ``path``.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from airbyte_embedded_tools.client import AirbyteEmbeddedClient
from airbyte_embedded_tools.config import ENV_FILE_SOURCE_ID, env_source_variable
from airbyte_embedded_tools.errors import ConfigurationError
from airbyte_embedded_tools.sources import Source, resolve_sources
from airbyte_embedded_tools.tools import (
    DEFAULT_MAX_CHARS,
    AirbyteEmbeddedTools,
    AirbyteTool,
    Approver,
    ClientLike,
    ProxyApiRequestTool,
)

try:
    import anyio
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.tools import Tool
    from mcp.types import CallToolResult, TextContent, ToolAnnotations
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "The MCP server needs the official MCP SDK: pip install 'airbyte-embedded-tools[mcp]'"
    ) from exc

__all__ = [
    "MCP_TOOL_NAMES",
    "create_mcp_server",
    "mcp_tool",
    "run_mcp_server",
    "sources_from_env",
]

MCP_TOOL_NAMES: dict[str, str] = {
    "proxy_api_request": "apis_make_request",
    "list_files": "files_list",
    "read_file": "files_read",
}
"""Neutral tool name -> MCP tool name (the hosted Embedded MCP's ``apis_make_request``)."""

_RENAMED_ARGUMENTS: dict[str, dict[str, str]] = {ProxyApiRequestTool.default_name: {"path": "url"}}
"""Per neutral tool (by default name), neutral argument -> MCP argument, as the hosted server
names them (``source``, for several sources, always becomes ``source_id``)."""

_SOURCE_ARGUMENT = "source_id"


def sources_from_env(
    *, source_id: str | None = None, file_source_id: str | None = None, connector: str = "stripe"
) -> dict[str, Source]:
    """The sources to serve: the ids given, else ``AIRBYTE_<CONNECTOR>_SOURCE_ID`` and
    ``AIRBYTE_FILE_SOURCE_ID``. Raises ``ConfigurationError`` naming the variables when none is set.
    """
    api_id = source_id or os.environ.get(env_source_variable(connector)) or None
    files_id = file_source_id or os.environ.get(ENV_FILE_SOURCE_ID) or None
    if api_id is None and files_id is None:
        raise ConfigurationError(
            f"no source to serve: set {env_source_variable(connector)} (API source) and/or "
            f"{ENV_FILE_SOURCE_ID} (file source), or pass --source-id / --file-source-id"
        )
    return resolve_sources(source_id=api_id, file_source_id=files_id, connector=connector)


def _rename_arguments(text: str, renames: Mapping[str, str]) -> str:
    """``text`` with each quoted argument name (`` `path` ``) replaced by its MCP name."""
    for old, new in renames.items():
        text = text.replace(f"`{old}`", f"`{new}`")
    return text


def _source_choices(sources: Mapping[str, Source]) -> str:
    return ", ".join(f"'{name}' (id {src.id})" for name, src in sources.items())


def _input_schema(tool: AirbyteTool[Any], name: str, renames: Mapping[str, str]) -> dict[str, Any]:
    """The neutral tool's JSON schema with ``source_id`` first and the MCP argument names."""
    schema = copy.deepcopy(tool.args_model.model_json_schema())
    properties: dict[str, Any] = schema.get("properties", {})
    required: list[str] = [r for r in schema.get("required", []) if r != "source"]
    properties.pop("source", None)
    several = len(tool.sources) > 1
    source_property: dict[str, Any] = {
        "type": "string",
        "title": "Source Id",
        "description": (
            f"The connected source to use, by id or name: {_source_choices(tool.sources)}."
            + ("" if several else " May be omitted: it is the only one.")
        ),
    }
    renamed: dict[str, Any] = {_SOURCE_ARGUMENT: source_property}
    for key, value in properties.items():
        if key in renames:
            value = {**value, "title": renames[key].replace("_", " ").title()}
        renamed[renames.get(key, key)] = value
    schema["properties"] = renamed
    schema["required"] = ([_SOURCE_ARGUMENT] if several else []) + [
        renames.get(r, r) for r in required
    ]
    if not schema["required"]:
        del schema["required"]
    schema["title"] = f"{name}Arguments"
    schema.pop("description", None)
    return schema


def _pick_source(tool: AirbyteTool[Any], given: Any) -> str:
    """The bound source's name for a ``source_id`` argument (an id or a name), or ValueError."""
    if given is None or given == "":
        if len(tool.sources) == 1:
            return next(iter(tool.sources))
        raise ValueError(
            f"Error: `{_SOURCE_ARGUMENT}` is required; use one of {_source_choices(tool.sources)}."
        )
    text = str(given).strip()
    for name, src in tool.sources.items():
        if text == src.id or text.lower() == name.lower():
            return name
    raise ValueError(
        f"Error: unknown {_SOURCE_ARGUMENT} {text!r}: this server is connected to "
        f"{_source_choices(tool.sources)}. Use one of these."
    )


def _result(text: str, *, is_error: bool) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], isError=is_error)


def _handler(
    tool: AirbyteTool[Any], renames: Mapping[str, str], in_texts: Mapping[str, str]
) -> Callable[..., Awaitable[CallToolResult]]:
    """The coroutine FastMCP calls: map the MCP arguments back and run the neutral tool.

    Error messages name the arguments as the MCP tool takes them (``in_texts``).
    """
    back = {new: old for old, new in renames.items()}

    async def call(**arguments: Any) -> CallToolResult:
        try:
            source_name = _pick_source(tool, arguments.pop(_SOURCE_ARGUMENT, None))
        except ValueError as exc:
            return _result(str(exc), is_error=True)
        kwargs = {back.get(k, k): v for k, v in arguments.items() if v is not None}
        if "source" in tool.args_model.model_fields:
            kwargs["source"] = source_name
        result = await tool.arun(**kwargs)
        text = _rename_arguments(result.content, in_texts) if result.is_error else result.content
        return _result(text, is_error=result.is_error)

    return call


def _lenient_signature(schema: Mapping[str, Any]) -> inspect.Signature:
    """One optional keyword per schema property, so the neutral tool does the validating.

    String properties stay ``str`` (so FastMCP does not JSON-decode a path like ``"2024"``).
    """
    params = []
    for key, prop in schema.get("properties", {}).items():
        annotation: Any = str | None if prop.get("type") == "string" else Any
        params.append(
            inspect.Parameter(
                key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )
    return inspect.Signature(params, return_annotation=CallToolResult)


def mcp_tool(tool: AirbyteTool[Any], *, read_only: bool) -> Tool:
    """An MCP tool named like ``tool`` that runs it, with its schema under the MCP argument names.

    Build ``tool`` with its MCP name (``names=MCP_TOOL_NAMES``) so its texts name its siblings.
    """
    renames = _RENAMED_ARGUMENTS.get(type(tool).default_name, {})
    in_texts = {**renames, "source": _SOURCE_ARGUMENT}
    schema = _input_schema(tool, tool.name, renames)
    fn = _handler(tool, renames, in_texts)
    fn.__name__ = tool.name
    fn.__signature__ = _lenient_signature(schema)  # type: ignore[attr-defined]
    mcp = Tool.from_function(
        fn,
        name=tool.name,
        description=_rename_arguments(tool.description, in_texts),
        annotations=ToolAnnotations(
            readOnlyHint=read_only,
            destructiveHint=not read_only,
            idempotentHint=read_only,
            openWorldHint=True,
        ),
        structured_output=False,
    )
    mcp.parameters = schema
    return mcp


def create_mcp_server(
    client: ClientLike,
    *,
    sources: Mapping[str, Source | str] | None = None,
    source_id: str | None = None,
    file_source_id: str | None = None,
    allow_writes: bool = False,
    approve: Approver | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    name: str = "airbyte-embedded",
    host: str = "127.0.0.1",
    port: int = 8000,
) -> FastMCP:
    """A FastMCP server exposing ``apis_make_request``, ``files_list`` and ``files_read``.

    Sources bind as for the toolkit (``sources={"stripe": id, "contracts": id}`` or the
    ``source_id``/``file_source_id`` shortcuts). Read-only unless ``allow_writes`` or ``approve``.
    The caller keeps ownership of ``client`` (close it after the server stops).
    """
    toolkit = AirbyteEmbeddedTools(
        client,
        sources=sources,
        source_id=source_id,
        file_source_id=file_source_id,
        allow_writes=allow_writes,
        approve=approve,
        max_chars=max_chars,
        names=MCP_TOOL_NAMES,
    )
    writes = allow_writes or approve is not None
    tools = [
        mcp_tool(tool, read_only=tool.kind != "api" or not writes) for tool in toolkit.get_tools()
    ]
    writes_note = "apis_make_request may write when asked" if writes else "all read-only"
    instructions = (
        "Tools over a customer's data connected through Airbyte Embedded "
        f"({_source_choices(toolkit.sources)}); {writes_note}."
    )
    return FastMCP(
        name, instructions=instructions, tools=tools, host=host, port=port, log_level="WARNING"
    )


def run_mcp_server(
    *,
    transport: Literal["stdio", "streamable-http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    base_url: str | None = None,
    source_id: str | None = None,
    file_source_id: str | None = None,
    allow_writes: bool = False,
    max_chars: int | None = None,
) -> None:
    """Serve until stdin closes (stdio) or Ctrl-C (HTTP), with credentials and sources from env.

    Credentials as ``AirbyteEmbeddedClient.from_env()``; sources from the arguments, else
    ``AIRBYTE_STRIPE_SOURCE_ID`` and ``AIRBYTE_FILE_SOURCE_ID``.
    """
    sources = sources_from_env(source_id=source_id, file_source_id=file_source_id)
    overrides = {"base_url": base_url} if base_url else {}
    client = AirbyteEmbeddedClient.from_env(**overrides)
    server = create_mcp_server(
        client,
        sources=sources,
        allow_writes=allow_writes,
        max_chars=max_chars or DEFAULT_MAX_CHARS,
        host=host,
        port=port,
    )

    async def serve() -> None:
        async with client:
            if transport == "stdio":
                await server.run_stdio_async()
            else:
                path = server.settings.streamable_http_path
                print(f"MCP server on http://{host}:{port}{path}", file=sys.stderr, flush=True)
                await server.run_streamable_http_async()

    anyio.run(serve)
