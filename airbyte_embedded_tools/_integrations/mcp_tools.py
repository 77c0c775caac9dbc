"""The neutral tools as MCP tools: the hosted server's names and arguments, structured results.

Each MCP tool runs a framework-neutral tool, so schemas, output guard, error messages and the
read-only default are the toolkit's own. Only the arguments change: every tool takes
``source_id`` and ``apis_make_request`` takes ``url`` (``path`` is accepted as its alias), as
Airbyte's hosted Embedded MCP names them; texts name the arguments the same way.

Writes stay off unless the server allows them (``allow_writes``, ``approve`` or ``dry_run``):
then a separate ``apis_write_request`` (POST/DELETE, a required ``idempotency_key``, annotated
as a destructive, idempotent write) carries them, and ``apis_make_request`` stays GET/HEAD only.

Sources are either **pinned** by the server (``source_id`` picks one of them by id or name, and
may be left out when one is pinned) or **open** (none pinned: ``source_id`` is required, and
Airbyte decides whether the caller's credentials reach it). The client comes from a
``ClientSource``: the server's own, or one per call with the HTTP caller's token.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools._sources import Source, SourceKind, resolve_sources
from airbyte_embedded_tools._upstream import CONNECTOR_RULES, IDEMPOTENCY_HEADER, READ_METHODS
from airbyte_embedded_tools.tools import (
    AirbyteEmbeddedTools,
    AirbyteTool,
    ClientLike,
    ListFilesTool,
    ProxyApiRequestTool,
    ReadFileTool,
    ToolkitOptions,
    ToolResult,
)

from .mcp_auth import ClientSource, MissingCallerToken
from .mcp_results import (
    ApiRequestOutput,
    FilesListOutput,
    FilesReadOutput,
    ToolOutput,
    structured_content,
)
from .mcp_sdk import CallToolResult, Context, TextContent, Tool, ToolAnnotations

__all__ = ["MCP_TOOL_NAMES", "MCP_WRITE_TOOL", "McpTool", "has_write_tool", "mcp_tools"]

MCP_TOOL_NAMES: dict[str, str] = {
    "proxy_api_request": "apis_make_request",
    "list_files": "files_list",
    "read_file": "files_read",
}
"""Neutral tool name -> MCP tool name (the hosted Embedded MCP's ``apis_make_request``)."""
MCP_WRITE_TOOL = "apis_write_request"
"""The write tool, registered only when the server allows writes."""
_WRITE_NAMES = {**MCP_TOOL_NAMES, ProxyApiRequestTool.default_name: MCP_WRITE_TOOL}
_READ_ONLY = ("GET", "HEAD")
_WRITES = ("POST", "DELETE")
"""The write methods of the write tool (Stripe's: POST creates or updates, DELETE deletes)."""
KEY_ARGUMENT = "idempotency_key"
_REJECTED_TOKEN_TEXT = "rejected (401) and cannot be refreshed"  # noqa: S105 - not a secret
"""The client's words for a token it was given that Airbyte refused (a per-caller server's)."""

SOURCE_ARGUMENT = "source_id"
_RENAMED: dict[str, dict[str, str]] = {ProxyApiRequestTool.default_name: {"path": "url"}}
"""Per neutral tool: neutral argument -> MCP argument, as the hosted server names them."""
_ALIASES: dict[str, dict[str, str]] = {ProxyApiRequestTool.default_name: {"path": "url"}}
"""Per neutral tool: other MCP spellings accepted -> the MCP argument they stand for."""
_OUTPUTS: dict[str, type[ToolOutput]] = {
    ProxyApiRequestTool.default_name: ApiRequestOutput,
    ListFilesTool.default_name: FilesListOutput,
    ReadFileTool.default_name: FilesReadOutput,
}
_KINDS: dict[str, SourceKind] = {
    ProxyApiRequestTool.default_name: "api",
    ListFilesTool.default_name: "files",
    ReadFileTool.default_name: "files",
}
_OPEN_SOURCE_TEXT: dict[SourceKind, str] = {
    "api": "an API source (Stripe)",
    "files": "a file-storage source",
}


class _ArgumentProblem(Exception):
    """The MCP arguments cannot be handed to the neutral tool; the message says why."""


@dataclass
class McpTool:
    """One MCP tool: its schema and description, and the call that runs the neutral tool."""

    default_name: str
    name: str
    kind: SourceKind
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    clients: ClientSource
    options: ToolkitOptions
    pinned: dict[str, Source] | None
    """The sources the server binds (None: open, the caller names one by id)."""
    fixed_tool: AirbyteTool[Any] | None = None
    """Built once when both the client and the sources are fixed."""
    renames: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] | None = None
    """The HTTP methods this API tool sends (None: not an API tool)."""
    other: str | None = None
    """The API tool that sends the other methods (None: no write tool on this server)."""

    @property
    def writes(self) -> bool:
        return self.methods == _WRITES

    @property
    def in_texts(self) -> dict[str, str]:
        """Neutral argument names as the texts quote them -> the MCP names."""
        return {**self.renames, "source": SOURCE_ARGUMENT}

    @property
    def output(self) -> type[ToolOutput]:
        return _OUTPUTS[self.default_name]

    async def call(self, arguments: Mapping[str, Any], ctx: Context) -> CallToolResult:
        """Run the neutral tool for one MCP call; every failure is a readable tool error."""
        result = await self._run(arguments, ctx)
        text = _rename(result.content, self.in_texts) if result.is_error else result.content
        result = result.model_copy(update={"content": text})
        structured = structured_content(self.output, result, arguments, self.options.max_chars)
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=structured,
            is_error=result.is_error,
        )

    async def _run(self, arguments: Mapping[str, Any], ctx: Context) -> ToolResult:
        try:
            kwargs, source = self._arguments(arguments)
            async with self.clients.for_call(ctx) as client:
                result = await self._tool_for(client, source).arun(**kwargs)
        except (_ArgumentProblem, MissingCallerToken) as exc:
            return ToolResult.error(str(exc))
        except AirbyteEmbeddedError as exc:  # e.g. a caller's token the client cannot send
            return ToolResult.error(f"Error: {self.name} cannot run: {exc}")
        if result.is_error and not self.clients.fixed and _REJECTED_TOKEN_TEXT in result.content:
            return ToolResult.error(
                f"Error: {self.name} failed: the bearer token you sent was rejected (401): send "
                "a valid Airbyte application or scoped token ('Authorization: Bearer <token>'). "
                "Do not retry with the same token."
            )
        if self.pinned is None:  # the caller gave the id: no need to hide it behind a name
            text = result.content.replace(f"<source '{source.id}'>", source.id)
            result = result.model_copy(update={"content": text})
        return result

    def _arguments(self, arguments: Mapping[str, Any]) -> tuple[dict[str, Any], Source]:
        """The neutral tool's keyword arguments and the source, from the MCP arguments."""
        given = dict(arguments)
        source = self._source(given.pop(SOURCE_ARGUMENT, None))
        key = given.pop(KEY_ARGUMENT, None) if self.writes else None
        method = self._method(given)
        for alias, target in self.aliases.items():
            if alias in given:
                value = given.pop(alias)
                if given.get(target) not in (None, value):
                    raise _ArgumentProblem(
                        f"Error: give `{target}` or {alias} (its alias), not both."
                    )
                given[target] = value
        back = {new: old for old, new in self.renames.items()}
        properties = self.input_schema.get("properties", {})
        kwargs = {
            back.get(key, key): _decoded(value, properties.get(key))
            for key, value in given.items()
            if value is not None
        }
        if self.pinned is not None and len(self.pinned) > 1:
            kwargs["source"] = next(n for n, s in self.pinned.items() if s is source)
        if self.writes:
            kwargs["headers"] = self._keyed(kwargs.get("headers"), key, method, source)
        return kwargs, source

    def _method(self, given: dict[str, Any]) -> str | None:
        """The method of an API call, refused (nothing sent) when the other tool sends it."""
        if self.methods is None:
            return None
        raw = given.get("method")
        method = raw.strip().upper() if isinstance(raw, str) else raw
        if method is None and self.writes:
            raise _ArgumentProblem(
                f"Error: `method` is required: one of {', '.join(_WRITES)}. Nothing was sent."
            )
        method = method or "GET"
        if method in self.methods or self.other is None:
            return str(method)  # unknown ones: the neutral tool names the valid ones
        if self.writes and method in READ_METHODS:
            raise _ArgumentProblem(
                f"Error: {self.name} only writes ({', '.join(_WRITES)}); read with "
                f"{self.other} instead. Nothing was sent."
            )
        if not self.writes and method not in READ_METHODS:
            raise _ArgumentProblem(
                f"Error: {self.name} only reads ({', '.join(_READ_ONLY)}); send this {method} "
                f"with {self.other} (give it an `{KEY_ARGUMENT}`). Nothing was sent."
            )
        return str(method)

    def _keyed(self, headers: Any, key: Any, method: str | None, source: Source) -> Any:
        """The headers of a write with the caller's ``idempotency_key`` as ``Idempotency-Key``
        (where the connector takes keys for ``method``; Stripe: POST)."""
        if not isinstance(key, str) or not key.strip() or len(key) > 255:
            raise _ArgumentProblem(
                f"Error: `{KEY_ARGUMENT}` is required: a text of 1-255 characters naming this "
                "one write (e.g. 'create-customer-jenny-rosen'). Calling again with the same key "
                "and arguments replays the first answer instead of writing twice. Nothing was "
                "sent."
            )
        rules = CONNECTOR_RULES.get(source.connector or "")
        if rules is None or method not in rules.key_methods:
            return headers  # e.g. DELETE: idempotent by itself, Stripe ignores keys there
        if headers is not None and not isinstance(headers, dict):
            return headers  # the neutral tool says what is wrong with them
        sent = dict(headers or {})
        other = {v for k, v in sent.items() if k.lower() == IDEMPOTENCY_HEADER.lower()}
        if other - {key}:
            raise _ArgumentProblem(
                f"Error: `{KEY_ARGUMENT}` and the {IDEMPOTENCY_HEADER} header disagree; give "
                f"only `{KEY_ARGUMENT}`. Nothing was sent."
            )
        sent = {k: v for k, v in sent.items() if k.lower() != IDEMPOTENCY_HEADER.lower()}
        return {**sent, IDEMPOTENCY_HEADER: key}

    def _source(self, given: Any) -> Source:
        """The source a ``source_id`` argument names (pinned: by id or name; open: its id)."""
        text = given.strip() if isinstance(given, str) else given
        if self.pinned is None:
            if not text or not isinstance(text, str):
                raise _ArgumentProblem(
                    f"Error: `{SOURCE_ARGUMENT}` is required: the id of "
                    f"{_OPEN_SOURCE_TEXT[self.kind]} in Airbyte (the user or the instructions "
                    "say which)."
                )
            return _open_source(self.kind, text)
        if text is None or text == "":
            if len(self.pinned) == 1:
                return next(iter(self.pinned.values()))
            raise _ArgumentProblem(
                f"Error: `{SOURCE_ARGUMENT}` is required; use one of {_choices(self.pinned)}."
            )
        for name, src in self.pinned.items():
            if str(text) == src.id or str(text).lower() == name.lower():
                return src
        raise _ArgumentProblem(
            f"Error: unknown {SOURCE_ARGUMENT} {str(text)!r}: this server is connected to "
            f"{_choices(self.pinned)}. Use one of these."
        )

    def _tool_for(self, client: ClientLike, source: Source) -> AirbyteTool[Any]:
        if self.fixed_tool is not None:
            return self.fixed_tool
        sources = self.pinned if self.pinned is not None else {source.id: source}
        return _pick(_toolkit(client, sources, self.options, writes=self.writes), self.name)

    def sdk_tool(self) -> Tool:
        """This tool as the SDK's ``Tool``: its own schema, an output schema, annotations."""
        return _SdkTool.build(self)


class _SdkTool(Tool):
    """The SDK tool of an ``McpTool``: the arguments go to the neutral tool as given.

    The SDK would validate them against a signature first and drop unknown ones; the neutral
    tool validates them itself and says what is wrong, so ``run`` hands them over unchanged.
    The result (``Annotated[CallToolResult, <output model>]``) is still checked by the SDK
    against the output schema.
    """

    mcp: Annotated[Any, Field(exclude=True)] = None

    @classmethod
    def build(cls, tool: McpTool) -> _SdkTool:
        async def call(arguments: dict[str, Any], ctx: Context) -> CallToolResult:
            return await tool.call(arguments, ctx)

        params = [
            inspect.Parameter("arguments", inspect.Parameter.KEYWORD_ONLY, annotation=dict),
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        ]
        returns = Annotated[CallToolResult, tool.output]
        call.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
        call.__annotations__ = {"arguments": dict, "ctx": Context, "return": returns}
        base = Tool.from_function(
            call,
            name=tool.name,
            description=tool.description,
            context_kwarg="ctx",
            annotations=ToolAnnotations(
                read_only_hint=tool.read_only,
                destructive_hint=not tool.read_only,
                # reads; and writes carry a caller's key: the same call again replays the answer
                idempotent_hint=True,
                open_world_hint=True,
            ),
            structured_output=True,
        )
        fields = {key: getattr(base, key) for key in Tool.model_fields}
        fields["parameters"] = tool.input_schema
        return cls(**fields, mcp=tool)

    async def run(
        self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False
    ) -> Any:
        result = await self.fn(arguments=arguments, ctx=context)
        return self.fn_metadata.convert_result(result) if convert_result else result


def has_write_tool(options: ToolkitOptions) -> bool:
    """Whether the server registers ``apis_write_request`` (writes allowed, approved or dry)."""
    return options.allow_writes or options.approve is not None or options.dry_run


def _toolkit(
    client: ClientLike, sources: Mapping[str, Source], options: ToolkitOptions, *, writes: bool
) -> AirbyteEmbeddedTools:
    """The neutral toolkit over ``client`` for ``sources``: the write tool's (the server's write
    options) or the read tools' (read-only whatever the options), under MCP names."""
    update: dict[str, Any] = {"sources": sources, "source_id": None, "file_source_id": None}
    if writes:
        update["names"] = _WRITE_NAMES
    else:
        update.update(names=MCP_TOOL_NAMES, allow_writes=False, approve=None, dry_run=False)
    return AirbyteEmbeddedTools(client, options.model_copy(update=update))


def mcp_tools(
    clients: ClientSource,
    template_client: ClientLike,
    *,
    sources: Mapping[str, Source] | None,
    options: ToolkitOptions,
) -> list[McpTool]:
    """The MCP tools for the pinned ``sources`` (their kinds only), or all three when open;
    and ``apis_write_request`` beside ``apis_make_request`` when the server allows writes."""
    pinned = dict(sources) if sources else None
    template_sources = pinned or {"source": Source.api("source"), "files": Source.files("files")}
    write_tool = has_write_tool(options)
    templates = [
        (t, False)
        for t in _toolkit(template_client, template_sources, options, writes=False).get_tools()
    ]
    if write_tool:
        written = _toolkit(template_client, template_sources, options, writes=True)
        templates += [(t, True) for t in written.get_tools() if t.name == MCP_WRITE_TOOL]
    out: list[McpTool] = []
    for template, writes in templates:
        default = type(template).default_name
        renames = _RENAMED.get(default, {})
        kind = _KINDS[default]
        in_texts = {**renames, "source": SOURCE_ARGUMENT}
        description = _rename(template.description, in_texts)
        if pinned is None:
            description += (
                f" Give `{SOURCE_ARGUMENT}`: the id of {_OPEN_SOURCE_TEXT[kind]} in Airbyte "
                "(the user or the instructions say which); Airbyte checks that the credentials "
                "may use it."
            )
        methods: tuple[str, ...] | None = None
        other: str | None = None
        if kind == "api":
            methods = _WRITES if writes else _READ_ONLY
            if write_tool:
                other = MCP_TOOL_NAMES[default] if writes else MCP_WRITE_TOOL
                description += (
                    f" Give a unique `{KEY_ARGUMENT}` per write: the same key again replays the "
                    "first answer, so a write never happens twice. Reads: "
                    f"{other}."
                    if writes
                    else f" Writes (POST, DELETE): {other}."
                )
        bound = {n: s for n, s in pinned.items() if s.kind == kind} if pinned else None
        out.append(
            McpTool(
                default_name=default,
                name=template.name,
                kind=kind,
                description=description,
                input_schema=_input_schema(template, bound, renames, methods),
                read_only=not writes or options.dry_run,
                clients=clients,
                options=options,
                pinned=bound,
                fixed_tool=template if clients.fixed and pinned is not None else None,
                renames=renames,
                aliases=_ALIASES.get(default, {}),
                methods=methods,
                other=other,
            )
        )
    return out


def _pick(toolkit: AirbyteEmbeddedTools, name: str) -> AirbyteTool[Any]:
    return next(tool for tool in toolkit.get_tools() if tool.name == name)


def _open_source(kind: SourceKind, source_id: str) -> Source:
    """The source an open tool's ``source_id`` names; refused unless it reads as an id."""
    source = Source.api(source_id) if kind == "api" else Source.files(source_id)
    try:
        resolve_sources({source_id: source})  # the id doubles as its name in the tool's texts
    except AirbyteEmbeddedError:
        raise _ArgumentProblem(
            f"Error: `{SOURCE_ARGUMENT}` {source_id[:80]!r} is not an Airbyte source id (a UUID "
            "such as 3f2a0c1e-...: letters, digits and '-'). Ask the user for the source id."
        ) from None
    return source


def _choices(sources: Mapping[str, Source]) -> str:
    return ", ".join(f"'{name}' (id {src.id})" for name, src in sources.items())


def _rename(text: str, renames: Mapping[str, str]) -> str:
    """``text`` with each quoted argument name (`` `path` ``) replaced by its MCP name."""
    for old, new in renames.items():
        text = text.replace(f"`{old}`", f"`{new}`")
    return text


def _decoded(value: Any, prop: Mapping[str, Any] | None) -> Any:
    """An object or array argument a client sent as JSON text, decoded (others as given)."""
    if not isinstance(value, str) or not prop or prop.get("type") not in ("object", "array"):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list)) else value


def _input_schema(
    tool: AirbyteTool[Any],
    pinned: Mapping[str, Source] | None,
    renames: Mapping[str, str],
    methods: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The neutral tool's JSON schema with ``source_id`` first and the MCP argument names;
    an API tool's ``method`` narrowed to ``methods`` (the write tool's required, with its
    ``idempotency_key``; the read tool without ``body``)."""
    schema = copy.deepcopy(tool.args_model.model_json_schema())
    properties: dict[str, Any] = schema.get("properties", {})
    required: list[str] = [r for r in schema.get("required", []) if r != "source"]
    properties.pop("source", None)
    if pinned is None:
        kind = _KINDS[type(tool).default_name]
        description = (
            f"The id of {_OPEN_SOURCE_TEXT[kind]} in Airbyte, as the user or the instructions "
            "give it."
        )
        source_required = True
    else:
        source_required = len(pinned) > 1
        description = f"The connected source to use, by id or name: {_choices(pinned)}." + (
            "" if source_required else " May be omitted: it is the only one."
        )
    renamed: dict[str, Any] = {
        SOURCE_ARGUMENT: {"type": "string", "title": "Source Id", "description": description}
    }
    for key, value in properties.items():
        if key in renames:
            value = {**value, "title": renames[key].replace("_", " ").title()}
        renamed[renames.get(key, key)] = value
    if methods is not None:
        _narrow_methods(renamed, required, methods)
    schema["properties"] = renamed
    schema["required"] = ([SOURCE_ARGUMENT] if source_required else []) + [
        renames.get(r, r) for r in required
    ]
    if not schema["required"]:
        del schema["required"]
    schema["title"] = f"{tool.name}Arguments"
    schema.pop("description", None)
    return schema


def _narrow_methods(
    properties: dict[str, Any], required: list[str], methods: tuple[str, ...]
) -> None:
    """``method`` limited to ``methods``: GET/HEAD for the read tool (no ``body``), POST/DELETE
    for the write tool (``method`` and ``idempotency_key`` required)."""
    method = {k: v for k, v in properties["method"].items() if k != "default"}
    method["enum"] = list(methods)
    if methods == _WRITES:
        method["description"] = "POST creates or updates an object; DELETE deletes one."
        properties["method"] = method
        properties[KEY_ARGUMENT] = {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "title": "Idempotency Key",
            "description": (
                "A key naming this one write, unique per intended write (e.g. "
                "'create-customer-jenny-rosen-1'); sent as Stripe's Idempotency-Key. Calling "
                "again with the same key and arguments replays the first answer: nothing is "
                "written twice."
            ),
        }
        required[:0] = ["method", KEY_ARGUMENT]
    else:
        method["default"] = "GET"
        method["description"] = "GET reads; HEAD reads only the status and headers."
        properties["method"] = method
        properties.pop("body", None)
