"""LlamaIndex face of the tools: a ``FunctionTool`` per tool and ``AirbyteEmbeddedToolSpec``.

Each ``FunctionTool`` has the neutral tool's input model as ``fn_schema``, its ``arun`` as
``async_fn`` and its ``run`` as ``fn``: the same schemas, the same guard, the same messages. The
``ToolOutput`` content is the compact text, ``raw_output`` the full ``ToolResult``, and a failed
call is an ``is_error`` output the agent shows to the model, never an exception.

One agent for every customer: a spec with ``customer_sources=[...]`` over an
organization-level client, and each run inside ``with bind_customer(CustomerContext(...)):``
(a context variable: it follows the agent's tasks, costs no client, and concurrent runs for
different customers do not mix).
"""

from __future__ import annotations

from typing import Any

try:
    from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
    from llama_index.core.tools.tool_spec.base import BaseToolSpec
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "The LlamaIndex tools need LlamaIndex: pip install 'airbyte-embedded-tools[llama-index]'"
    ) from exc

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools.tools import (
    AirbyteEmbeddedTools,
    AirbyteTool,
    ClientLike,
    ToolkitOptions,
    ToolResult,
)

__all__ = ["AirbyteEmbeddedToolSpec", "AirbyteFunctionTool", "to_function_tool"]


class AirbyteFunctionTool(FunctionTool):
    """A ``FunctionTool`` whose output is marked ``is_error`` when the Airbyte tool failed."""

    def __init__(self, tool: AirbyteTool[Any], metadata: ToolMetadata | None = None) -> None:
        self.airbyte_tool = tool

        def run(**kwargs: Any) -> ToolResult:
            return tool.run(**kwargs)

        async def arun(**kwargs: Any) -> ToolResult:
            return await tool.arun(**kwargs)

        run.__doc__ = arun.__doc__ = tool.description
        super().__init__(
            fn=run,
            async_fn=arun,
            metadata=metadata
            or ToolMetadata(
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


def to_function_tool(
    tool: AirbyteTool[Any], metadata: ToolMetadata | None = None
) -> AirbyteFunctionTool:
    """The LlamaIndex ``FunctionTool`` of a neutral tool (with ``metadata`` instead of its own)."""
    return AirbyteFunctionTool(tool, metadata)


class AirbyteEmbeddedToolSpec(BaseToolSpec):
    """The Airbyte tools for one customer's sources, for a LlamaIndex agent.

    ``AirbyteEmbeddedToolSpec(client, source_id=...)`` or ``sources={"stripe": id, "docs":
    Source.files(id)}`` (a plain id under a connector's name is an API source, else a file
    source), or one ``ToolkitOptions``; read-only unless ``allow_writes`` or an ``approve``
    callback. ``to_tool_list()``. For every customer with one agent: ``customer_sources=
    ["stripe"]`` and each run in ``with bind_customer(CustomerContext(...)):``.
    """

    def __init__(
        self, client: ClientLike, options: ToolkitOptions | None = None, /, **fields: Any
    ) -> None:
        self.tools = AirbyteEmbeddedTools(client, ToolkitOptions.of(options, fields))
        self.spec_functions = [tool.name for tool in self.tools.get_tools()]

    def to_tool_list(
        self,
        spec_functions: list[Any] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """One ``FunctionTool`` per bound capability (or only the names in ``spec_functions``).

        ``func_to_metadata_mapping`` replaces a tool's metadata by tool name, as in
        ``BaseToolSpec``; an unknown name in ``spec_functions`` is a ``ConfigurationError``.
        """
        wanted = list(spec_functions or self.spec_functions)
        unknown = [name for name in wanted if name not in self.spec_functions]
        if unknown:
            raise ConfigurationError(
                f"unknown spec functions {unknown!r}: this spec has {self.spec_functions!r}"
            )
        mapping = func_to_metadata_mapping or {}
        return [
            to_function_tool(tool, mapping.get(tool.name))
            for tool in self.tools.get_tools()
            if tool.name in wanted
        ]
