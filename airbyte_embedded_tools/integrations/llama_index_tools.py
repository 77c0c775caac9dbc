"""LlamaIndex face of the tools: a ``FunctionTool`` per tool and ``AirbyteEmbeddedToolSpec``.

Each ``FunctionTool`` has the neutral tool's input model as ``fn_schema``, its ``arun`` as
``async_fn`` and its ``run`` as ``fn``: the same schemas, the same guard, the same messages. The
``ToolOutput`` content is the compact text, ``raw_output`` the full ``ToolResult``, and a failed
call is an ``is_error`` output the agent shows to the model, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

try:
    from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
    from llama_index.core.tools.tool_spec.base import BaseToolSpec
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "The LlamaIndex tools need LlamaIndex: pip install 'airbyte-embedded-tools[llama-index]'"
    ) from exc

from airbyte_embedded_tools.sources import Source
from airbyte_embedded_tools.tools import (
    DEFAULT_MAX_CHARS,
    AirbyteEmbeddedTools,
    AirbyteTool,
    Approver,
    ClientLike,
    ToolResult,
)

__all__ = ["AirbyteEmbeddedToolSpec", "AirbyteFunctionTool", "to_function_tool"]


class AirbyteFunctionTool(FunctionTool):
    """A ``FunctionTool`` whose output is marked ``is_error`` when the Airbyte tool failed."""

    def __init__(self, tool: AirbyteTool[Any]) -> None:
        self.airbyte_tool = tool

        def run(**kwargs: Any) -> ToolResult:
            return tool.run(**kwargs)

        async def arun(**kwargs: Any) -> ToolResult:
            return await tool.arun(**kwargs)

        run.__doc__ = arun.__doc__ = tool.description
        super().__init__(
            fn=run,
            async_fn=arun,
            metadata=ToolMetadata(
                name=tool.name, description=tool.description, fn_schema=tool.args_model
            ),
        )

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        return _mark(super().call(*args, **kwargs))

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        return _mark(await super().acall(*args, **kwargs))


def _mark(output: ToolOutput) -> ToolOutput:
    if isinstance(output.raw_output, ToolResult) and output.raw_output.is_error:
        output.is_error = True
    return output


def to_function_tool(tool: AirbyteTool[Any]) -> AirbyteFunctionTool:
    """The LlamaIndex ``FunctionTool`` of a neutral tool."""
    return AirbyteFunctionTool(tool)


class AirbyteEmbeddedToolSpec(BaseToolSpec):
    """The Airbyte tools for one customer's sources, for a LlamaIndex agent.

    ``AirbyteEmbeddedToolSpec(client, source_id=...)`` or ``sources={"stripe": id, "docs":
    Source.files(id)}`` (a plain id under a connector's name is an API source, else a file
    source); read-only unless ``allow_writes`` or an ``approve`` callback. ``to_tool_list()``.
    """

    def __init__(
        self,
        client: ClientLike,
        *,
        sources: Mapping[str, Source | str] | None = None,
        source_id: str | None = None,
        file_source_id: str | None = None,
        connector: str = "stripe",
        allow_writes: bool = False,
        approve: Approver | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        raw: bool = False,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.tools = AirbyteEmbeddedTools(
            client,
            sources=sources,
            source_id=source_id,
            file_source_id=file_source_id,
            connector=connector,
            allow_writes=allow_writes,
            approve=approve,
            max_chars=max_chars,
            raw=raw,
            names=names,
        )
        self.spec_functions = [tool.name for tool in self.tools.get_tools()]

    def to_tool_list(
        self,
        spec_functions: list[Any] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """One ``FunctionTool`` per bound capability (or only the names in ``spec_functions``)."""
        wanted = set(spec_functions or self.spec_functions)
        return [to_function_tool(tool) for tool in self.tools.get_tools() if tool.name in wanted]
