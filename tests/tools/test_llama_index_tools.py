"""The LlamaIndex face: FunctionTools from the tool spec, and a FunctionAgent over the sandbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool, ToolMetadata

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.llama_index_tools import (
    AirbyteEmbeddedToolSpec,
    AirbyteFunctionTool,
)
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import (
    ApiResponse,
    ProxyApiRequestInput,
    ReadFileInput,
    ToolkitOptions,
    ToolResult,
)


@pytest.fixture
def tools(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> dict[str, FunctionTool]:
    spec = AirbyteEmbeddedToolSpec(
        client, source_id=sandbox.stripe_source_id, file_source_id=sandbox.file_source_id
    )
    return {tool.metadata.name: tool for tool in spec.to_tool_list()}


def test_spec_lists_one_function_tool_per_capability(
    tools: dict[str, FunctionTool], refused: Callable[[Any], list[str]]
) -> None:
    assert list(tools) == ["proxy_api_request", "list_files", "read_file"]
    proxy = tools["proxy_api_request"]
    assert isinstance(proxy, AirbyteFunctionTool)
    assert proxy.metadata.fn_schema is ProxyApiRequestInput
    assert "Read-only" in proxy.metadata.description
    for tool in tools.values():
        parameters = tool.metadata.to_openai_tool()["function"]["parameters"]
        assert refused(parameters) == []


def test_spec_functions_select_tools(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> None:
    spec = AirbyteEmbeddedToolSpec(client, sources={"docs": sandbox.file_source_id})
    assert spec.spec_functions == ["list_files", "read_file"]
    assert [t.metadata.name for t in spec.to_tool_list(["read_file"])] == ["read_file"]


def test_to_tool_list_honours_the_metadata_mapping_and_refuses_unknown_names(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    spec = AirbyteEmbeddedToolSpec(client, ToolkitOptions(file_source_id=sandbox.file_source_id))
    mine = ToolMetadata(name="docs_read", description="Read our docs.", fn_schema=ReadFileInput)
    (tool,) = spec.to_tool_list(["read_file"], {"read_file": mine})
    assert tool.metadata is mine
    assert isinstance(tool, AirbyteFunctionTool)
    assert tool.airbyte_tool.name == "read_file"
    with pytest.raises(ConfigurationError, match="unknown spec functions \\['read_files'\\]"):
        spec.to_tool_list(["read_files"])


async def test_acall_gives_compact_content_and_the_full_result(
    tools: dict[str, FunctionTool],
) -> None:
    output = await tools["proxy_api_request"].acall(path="/v1/invoices", params={"limit": 2})
    assert not output.is_error
    assert output.content.startswith("HTTP 200 GET /v1/invoices?limit=2")
    assert isinstance(output.raw_output, ToolResult)
    assert isinstance(output.raw_output.artifact, ApiResponse)
    listing = await tools["list_files"].acall(prefix="contracts/")
    assert "contracts/globex-order-form.pdf" in listing.content


async def test_sync_call_runs_through_the_same_client(
    sandbox: Sandbox, sync_client: SyncAirbyteEmbeddedClient
) -> None:
    spec = AirbyteEmbeddedToolSpec(sync_client, file_source_id=sandbox.file_source_id)
    read_file = spec.to_tool_list(["read_file"])[0]
    output = await asyncio.to_thread(read_file.call, path="README.md")
    assert "Customer document share" in output.content
    assert not output.is_error


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"path": "/v1/invoices", "method": "POST"}, "read-only"),
        ({"path": "https://evil.example.com/"}, "Nothing was sent"),
        ({"paht": "/v1/invoices"}, "`path` is required"),
        ({"path": "/v1/invoices/in_missing"}, "HTTP 404"),
    ],
)
async def test_errors_are_is_error_outputs(
    tools: dict[str, FunctionTool], kwargs: dict[str, Any], fragment: str
) -> None:
    output = await tools["proxy_api_request"].acall(**kwargs)
    assert output.is_error
    assert output.content.startswith("Error: ")
    assert fragment in output.content


def scripted(turns: Callable[[Sequence[ChatMessage]], ChatMessage]) -> MockFunctionCallingLLM:
    return MockFunctionCallingLLM(response_generator=lambda messages, **_: turns(messages))


def _tool_results(messages: Sequence[ChatMessage]) -> list[str]:
    return [str(m.content) for m in messages if m.role == MessageRole.TOOL]


def _call(turn: int, name: str, **kwargs: Any) -> ChatMessage:
    block = ToolCallBlock(tool_call_id=f"call_{turn}", tool_name=name, tool_kwargs=kwargs)
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=[block])


def invoices_then_bad_call_then_answer(messages: Sequence[ChatMessage]) -> ChatMessage:
    results = _tool_results(messages)
    if not results:
        return _call(1, "proxy_api_request", path="/v1/invoices", params={"limit": 4})
    if len(results) == 1:
        return _call(2, "proxy_api_request", path="https://attacker.example.com/v1/invoices")
    ids = re.findall(r'"id":"(in_[A-Za-z0-9]+)"', results[0])
    return ChatMessage(
        role=MessageRole.ASSISTANT, content=f"{', '.join(ids)} | second: {results[1][:6]}"
    )


async def test_function_agent_runs_the_loop_against_the_sandbox(
    sandbox: Sandbox, client: AirbyteEmbeddedClient, tools: dict[str, FunctionTool]
) -> None:
    agent = FunctionAgent(
        tools=list(tools.values()),
        llm=scripted(invoices_then_bad_call_then_answer),
        allow_parallel_tool_calls=False,
    )
    handler = agent.run(user_msg="Which invoices are the latest?")
    calls: list[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            calls.append(event)
    response = await handler
    page = (
        await client.proxy_request(
            sandbox.stripe_source_id, "GET", "https://api.stripe.com/v1/invoices?limit=4"
        )
    ).json()
    expected = ", ".join(invoice["id"] for invoice in page["data"])
    assert str(response) == f"{expected} | second: Error:"
    assert [call.tool_output.is_error for call in calls] == [False, True]
    assert "Nothing was sent" in calls[1].tool_output.content
