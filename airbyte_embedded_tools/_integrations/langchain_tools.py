"""LangChain face of the tools: a ``BaseTool`` per neutral tool and ``AirbyteEmbeddedToolkit``.

Each ``BaseTool`` wraps one neutral tool: the same input model as ``args_schema``, the async
path as ``_arun``, the sync path (through the same client) as ``_run``; the compact text is the
``ToolMessage`` content and the typed result its artifact. Failures come back to the model as
error ``ToolMessage``s (``handle_tool_error``/``handle_validation_error``), never as exceptions.

Names: a tool has one class, the neutral one (``ProxyApiRequestTool``), and one name a model sees
(``proxy_api_request``); its LangChain face is ``to_langchain_tool(tool)``. Each framework's
toolkit is named after the framework's own kind: ``AirbyteEmbeddedToolkit`` (a ``BaseToolkit``),
``AirbyteEmbeddedToolSpec`` (LlamaIndex's ``BaseToolSpec``), ``create_mcp_server``; all take
``ToolkitOptions``, as the neutral ``AirbyteEmbeddedTools`` does.

One agent for every customer: a toolkit with ``customer_sources=[...]`` over an
organization-level client gives tools with an injected ``runtime`` argument (LangGraph's
``ToolRuntime``, never in the schema the model sees); each call acts for
``runtime.context``, a ``CustomerContext``: ``create_agent(model, tools,
context_schema=CustomerContext)`` then ``agent.invoke(..., context=CustomerContext(...))``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

try:
    from langchain_core.tools import BaseTool, BaseToolkit, InjectedToolArg, ToolException
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "The LangChain tools need LangChain: pip install 'airbyte-embedded-tools[langchain]'"
    ) from exc

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model

from airbyte_embedded_tools._upstream import READ_METHODS
from airbyte_embedded_tools.tools import (
    AirbyteEmbeddedTools,
    AirbyteTool,
    ClientLike,
    ToolkitOptions,
    ToolResult,
)
from airbyte_embedded_tools.tools.context import CustomerContext, current_customer
from airbyte_embedded_tools.tools.messages import ToolError, validation_message
from airbyte_embedded_tools.tools.proxy_api_request import build_url

__all__ = ["AirbyteEmbeddedToolkit", "AirbyteToolAdapter", "to_langchain_tool"]


_Runtime = Annotated[Any, InjectedToolArg]
"""LangGraph's ``ToolRuntime`` as the tools take it: injected, never model-visible."""


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
            args_schema=_with_runtime(tool.args_model) if tool.per_customer else tool.args_model,
            handle_validation_error=lambda exc: _validation_text(exc, name),
            **kwargs,
        )

    def _run(self, runtime: _Runtime = None, **kwargs: Any) -> tuple[str, Any]:
        return _unwrap(self.tool.run_for(_customer_of(runtime), **kwargs))

    async def _arun(self, runtime: _Runtime = None, **kwargs: Any) -> tuple[str, Any]:
        return _unwrap(await self.tool.arun_for(_customer_of(runtime), **kwargs))


def _with_runtime(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` plus the ``runtime`` argument LangGraph's ``ToolNode`` injects (by that name);
    an ``InjectedToolArg``, so it is left out of the schema the model sees."""
    runtime: Any = (_Runtime, Field(default=None, exclude=True))
    return create_model(model.__name__, __base__=model, runtime=runtime)


def _customer_of(runtime: Any) -> CustomerContext | None:
    """The run's customer: the ``ToolRuntime``'s context when it is a ``CustomerContext``,
    else the one ``bind_customer`` set (None: the tool answers that no customer was given)."""
    context = getattr(runtime, "context", None)
    if isinstance(context, CustomerContext):
        return context
    return current_customer()


def _unwrap(result: ToolResult) -> tuple[str, Any]:
    """``(content, artifact)``; an error result raises ``ToolException`` (an error ToolMessage)."""
    if result.is_error:
        raise ToolException(result.content)
    return result.content, result.artifact


def _validation_text(exc: Any, tool: str) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc, tool)
    return f"Error: invalid arguments for {tool}. Fix them and call the tool again."


def to_langchain_tool(tool: AirbyteTool[Any]) -> AirbyteToolAdapter:
    """The LangChain ``BaseTool`` of a neutral tool (``ProxyApiRequestTool(client, ...)``)."""
    return AirbyteToolAdapter(tool)


class AirbyteEmbeddedToolkit(BaseToolkit):
    """The Airbyte tools for one customer's sources, or for every customer, for LangChain.

    ``AirbyteEmbeddedToolkit(client, source_id=...)`` (one Stripe source), or
    ``sources={"stripe": id, "contracts": Source.files(id)}``: a plain id under a connector's name
    is an API source, under any other name a file source; or one ``ToolkitOptions``. Read-only
    unless ``allow_writes`` or an ``approve`` callback (asked before each write).

    For LangChain's human-in-the-loop, enable writes and let the middleware ask:
    ``create_agent(model, toolkit.get_tools(), checkpointer=...,
    middleware=[HumanInTheLoopMiddleware(interrupt_on=toolkit.interrupt_on_writes())])``:
    every write call interrupts for a decision, reads never do.

    For every customer with one agent: ``AirbyteEmbeddedToolkit(org_client,
    customer_sources=["stripe"])`` and ``create_agent(model, toolkit.get_tools(),
    context_schema=CustomerContext)``; each ``invoke(..., context=CustomerContext(workspace=
    "acme", sources={"stripe": id}))`` acts for that customer only.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(repr=False)
    options: ToolkitOptions = Field(default_factory=ToolkitOptions)
    _tools: list[AirbyteToolAdapter] = PrivateAttr(default_factory=list)

    def __init__(
        self,
        client: ClientLike | None = None,
        options: ToolkitOptions | None = None,
        /,
        **fields: Any,
    ) -> None:
        given = fields.pop("client", client)
        super().__init__(client=given, options=ToolkitOptions.of(options, fields))
        neutral = AirbyteEmbeddedTools(self.client, self.options)
        self._tools = [to_langchain_tool(tool) for tool in neutral.get_tools()]

    def get_tools(self) -> list[BaseTool]:
        """``proxy_api_request`` for API sources; ``list_files`` and ``read_file`` for files."""
        return list(self._tools)

    def interrupt_on_writes(
        self,
        allowed_decisions: Sequence[DecisionType] = ("approve", "edit", "reject"),
    ) -> dict[str, dict[str, Any]]:
        """``interrupt_on`` for ``HumanInTheLoopMiddleware``: the API tool interrupts on writes.

        A call interrupts only when its ``method`` is a write (``when=``), so reads never wait
        for a human; the description shows the reviewer the method, URL and body. Build the
        toolkit with ``allow_writes=True``: the human's approval is the gate.
        """
        return {
            tool.name: {
                "allowed_decisions": list(allowed_decisions),
                "when": _is_write_call,
                "description": _write_describer(tool.tool),
            }
            for tool in self._tools
            if tool.tool.kind == "api"
        }


DecisionType = Literal["approve", "edit", "reject", "respond"]
"""The decisions ``HumanInTheLoopMiddleware`` knows (``langchain.agents.middleware``)."""


def _method_of(args: Mapping[str, Any]) -> str:
    method = args.get("method", "GET")
    return method.upper() if isinstance(method, str) else "GET"


def _is_write_call(request: Any) -> bool:
    """The ``when`` predicate: interrupt only for a write method (same answer on resume)."""
    return _method_of(request.tool_call["args"]) not in READ_METHODS


def _write_describer(tool: AirbyteTool[Any]) -> Any:
    """The reviewer's text for a call of ``tool``: the method, the URL it resolves to, the body."""

    def describe(tool_call: Mapping[str, Any], state: Any, runtime: Any) -> str:
        args = tool_call["args"]
        name = args.get("source") or next(iter(tool.sources))
        target = str(args.get("path", ""))
        source = tool.sources.get(name)
        try:
            if source is not None:
                target = build_url(source, target, args.get("params") or {})
        except ToolError:
            pass  # the tool refuses it when it runs; show the path as the model gave it
        body = args.get("body")
        shown = f" with body {json.dumps(body, default=str)}" if body else ""
        return (
            f"{_method_of(args)} {target} on source '{name}'{shown}: approve to send it (an "
            "Idempotency-Key is added, so it happens at most once), edit the arguments, or reject."
        )

    return describe
