"""The LangChain face: standard langchain-tests suites, the toolkit, and a full agent loop."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.langchain_tools import (
    AirbyteEmbeddedToolkit,
    AirbyteToolAdapter,
    to_langchain_tool,
)
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import (
    ApiResponse,
    FileListing,
    FileText,
    ListFilesTool,
    ProxyApiRequestTool,
    ReadFileTool,
)

OFFLINE = "http://127.0.0.1:9"
"""A base URL nothing listens on: constructing tools must not touch the network."""

NeutralTool = type[ProxyApiRequestTool] | type[ListFilesTool] | type[ReadFileTool]
EXAMPLES: dict[NeutralTool, tuple[str, dict[str, Any]]] = {
    ProxyApiRequestTool: ("api", {"path": "/v1/invoices", "params": {"limit": 3}}),
    ListFilesTool: ("files", {"prefix": "contracts/"}),
    ReadFileTool: ("files", {"path": "README.md"}),
}


class _Unit(ToolsUnitTests):
    """LangChain's standard unit suite on the LangChain face of each neutral tool."""

    neutral: NeutralTool

    @property
    def tool_constructor(self) -> BaseTool:
        client = AirbyteEmbeddedClient(token="t", base_url=OFFLINE)
        return to_langchain_tool(self.neutral(client, source_id="src"))

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return EXAMPLES[self.neutral][1]


class TestProxyApiRequestUnit(_Unit):
    neutral = ProxyApiRequestTool


class TestListFilesUnit(_Unit):
    neutral = ListFilesTool


class TestReadFileUnit(_Unit):
    neutral = ReadFileTool


def _source_id(sandbox: Sandbox, tool: NeutralTool) -> str:
    kind = EXAMPLES[tool][0]
    return sandbox.stripe_source_id if kind == "api" else sandbox.file_source_id


class _WithSyncClient(ToolsIntegrationTests):
    """The standard suite with a SyncAirbyteEmbeddedClient (sync and async calls)."""

    neutral: NeutralTool

    @property
    def tool_constructor(self) -> type[BaseTool]:
        return AirbyteToolAdapter

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return EXAMPLES[self.neutral][1]

    @pytest.fixture
    def tool(self, sandbox: Sandbox, sync_client: SyncAirbyteEmbeddedClient) -> BaseTool:
        return to_langchain_tool(
            self.neutral(sync_client, source_id=_source_id(sandbox, self.neutral))
        )


class _WithAsyncClient(_WithSyncClient):
    """The standard suite with an AirbyteEmbeddedClient (sync calls go through its sync face)."""

    @pytest.fixture
    def tool(self, sandbox: Sandbox, client: AirbyteEmbeddedClient) -> BaseTool:  # type: ignore[override]
        return to_langchain_tool(self.neutral(client, source_id=_source_id(sandbox, self.neutral)))


class TestProxyApiRequestSyncClient(_WithSyncClient):
    neutral = ProxyApiRequestTool


class TestListFilesSyncClient(_WithSyncClient):
    neutral = ListFilesTool


class TestReadFileSyncClient(_WithSyncClient):
    neutral = ReadFileTool


class TestProxyApiRequestAsyncClient(_WithAsyncClient):
    neutral = ProxyApiRequestTool


class TestListFilesAsyncClient(_WithAsyncClient):
    neutral = ListFilesTool


class TestReadFileAsyncClient(_WithAsyncClient):
    neutral = ReadFileTool


# --- the toolkit ------------------------------------------------------------------------------


@pytest.fixture
def toolkit_tools(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> list[BaseTool]:
    toolkit = AirbyteEmbeddedToolkit(
        client, sources={"stripe": sandbox.stripe_source_id, "docs": sandbox.file_source_id}
    )
    return toolkit.get_tools()


def test_toolkit_builds_one_tool_per_capability(toolkit_tools: list[BaseTool]) -> None:
    assert [tool.name for tool in toolkit_tools] == ["proxy_api_request", "list_files", "read_file"]
    assert all(tool.response_format == "content_and_artifact" for tool in toolkit_tools)
    assert all(tool.handle_tool_error is True for tool in toolkit_tools)


async def test_toolkit_texts_name_its_own_tools(toolkit_tools: list[BaseTool]) -> None:
    _proxy, list_files, read_file = toolkit_tools
    assert "before read_file." in list_files.description
    assert "with list_files first." in read_file.description
    missing = await read_file.ainvoke(_call("read_file", path="no/such/file.md"))
    assert missing.status == "error"
    assert "call list_files to see the exact paths" in missing.content
    described = " ".join(tool.description for tool in toolkit_tools) + missing.content
    assert not re.search(r"files_(read|list)|apis_make_request", described)


def test_toolkit_takes_the_client_by_keyword_and_refuses_bad_bindings(sandbox: Sandbox) -> None:
    client = AirbyteEmbeddedClient(token="t", base_url=OFFLINE)
    toolkit = AirbyteEmbeddedToolkit(client=client, source_id="s1", allow_writes=True)
    assert [tool.name for tool in toolkit.get_tools()] == ["proxy_api_request"]
    assert "writes are allowed" in toolkit.get_tools()[0].description
    with pytest.raises(ConfigurationError):
        AirbyteEmbeddedToolkit(client)
    with pytest.raises(ConfigurationError):
        AirbyteEmbeddedToolkit(client, sources={"a b": "x"})


async def test_tool_call_gives_content_and_typed_artifact(toolkit_tools: list[BaseTool]) -> None:
    proxy, list_files, read_file = toolkit_tools
    message = await proxy.ainvoke(_call("proxy_api_request", path="/v1/customers"))
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert message.content.startswith("HTTP 200 GET /v1/customers")
    assert isinstance(message.artifact, ApiResponse)
    listing = await list_files.ainvoke(_call("list_files", prefix="notes/"))
    assert isinstance(listing.artifact, FileListing)
    text = await read_file.ainvoke(_call("read_file", path="README.md"))
    assert isinstance(text.artifact, FileText)
    assert "Customer document share" in text.content


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"path": "/v1/invoices", "params": {"limit": "lots"}}, "HTTP 400"),
        ({"path": "https://evil.example.com/steal"}, "Nothing was sent"),
        ({"method": "POST", "path": "/v1/customers"}, "read-only"),
        ({"method": "TRACE", "path": "/v1/customers"}, "`method`: Input should be"),
        ({"params": {"limit": 1}}, "`path` is required"),
        ({"path": "/v1/x", "query": {"a": 1}}, "`query`: Extra inputs are not permitted"),
    ],
)
async def test_bad_calls_are_error_tool_messages(
    toolkit_tools: list[BaseTool], args: dict[str, Any], fragment: str
) -> None:
    proxy = toolkit_tools[0]
    message = await proxy.ainvoke(_call("proxy_api_request", **args))
    assert message.status == "error"
    assert message.content.startswith("Error: ")
    assert fragment in message.content
    sync_message = await asyncio.to_thread(proxy.invoke, _call("proxy_api_request", **args))
    assert sync_message.content == message.content


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": "call_1", "type": "tool_call"}


# --- an agent ---------------------------------------------------------------------------------

Script = Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(BaseChatModel):
    """A deterministic chat model: ``script`` decides each turn from the messages so far."""

    script: Script

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.script(messages))])


def _tool_messages(messages: list[BaseMessage]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


def _ask(name: str, turn: int, **args: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{turn}"}])


def two_pages_then_answer(messages: list[BaseMessage]) -> AIMessage:
    """List invoices, follow the hint once, then answer with the ids it saw."""
    results = _tool_messages(messages)
    if not results:
        return _ask("proxy_api_request", 1, path="/v1/invoices", params={"limit": 3})
    if len(results) == 1:
        after = re.search(r'params\.starting_after="([^"]+)"', str(results[0].content))
        assert after is not None
        return _ask(
            "proxy_api_request",
            2,
            path="/v1/invoices",
            params={"limit": 3, "starting_after": after.group(1)},
            fields=["amount_due"],
        )
    ids = re.findall(r'"id":"(in_[A-Za-z0-9]+)"', "".join(str(m.content) for m in results))
    return AIMessage(content="Invoices: " + ", ".join(ids))


async def test_agent_loop_reaches_the_sandbox_and_answers(
    sandbox: Sandbox, client: AirbyteEmbeddedClient, toolkit_tools: list[BaseTool]
) -> None:
    agent = create_agent(ScriptedChatModel(script=two_pages_then_answer), toolkit_tools)
    state = await agent.ainvoke({"messages": [("user", "List my latest invoices")]})
    tool_messages = _tool_messages(state["messages"])
    assert [m.status for m in tool_messages] == ["success", "success"]
    page = (
        await client.proxy_request(
            sandbox.stripe_source_id,
            "GET",
            "https://api.stripe.com/v1/invoices",
            params={"limit": 6},
        )
    ).json()
    expected = [invoice["id"] for invoice in page["data"]]
    assert state["messages"][-1].content == "Invoices: " + ", ".join(expected)
    assert isinstance(tool_messages[0].artifact, ApiResponse)


def bad_calls_then_answer(messages: list[BaseMessage]) -> AIMessage:
    """Three bad calls in a row (bad args, another host, a write), then a summary of errors."""
    results = _tool_messages(messages)
    plan = [
        {"path": "/v1/invoices", "params": {"limit": 5}, "method": "SEND"},
        {"path": "https://attacker.example.com/v1/invoices"},
        {"method": "DELETE", "path": "/v1/customers/cus_123"},
    ]
    if len(results) < len(plan):
        return _ask("proxy_api_request", len(results) + 1, **plan[len(results)])
    return AIMessage(content=json.dumps([m.status for m in results]))


def test_agent_survives_bad_tool_calls_in_sync_mode(
    sandbox: Sandbox, sync_client: SyncAirbyteEmbeddedClient
) -> None:
    tools = AirbyteEmbeddedToolkit(sync_client, source_id=sandbox.stripe_source_id).get_tools()
    before = len(sandbox.upstream_requests)
    agent = create_agent(ScriptedChatModel(script=bad_calls_then_answer), tools)
    state = agent.invoke({"messages": [("user", "Do risky things")]})
    results = _tool_messages(state["messages"])
    assert json.loads(state["messages"][-1].content) == ["error", "error", "error"]
    assert "`method`: Input should be" in results[0].content
    assert "refused to send a request to 'attacker.example.com'" in results[1].content
    assert "read-only" in results[2].content
    assert len(sandbox.upstream_requests) == before
