"""One toolkit for every customer: tools that take the customer from the run (LangChain's
``ToolRuntime`` context, LlamaIndex through ``bind_customer``), over one organization-level
client, against a sandbox with several tenants."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from test_langchain_tools import ScriptedChatModel
from test_llama_index_tools import _call, _tool_results, scripted

from airbyte_embedded_tools import CustomerContext, bind_customer
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.langchain_tools import AirbyteEmbeddedToolkit
from airbyte_embedded_tools._integrations.llama_index_tools import AirbyteEmbeddedToolSpec
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox, SandboxTenant
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools, ProxyApiRequestTool


@pytest.fixture(scope="module")
def tenants_sandbox() -> Iterator[Sandbox]:
    with Sandbox(tenants=3) as sb:
        yield sb


@pytest.fixture
async def org(tenants_sandbox: Sandbox) -> AsyncIterator[AirbyteEmbeddedClient]:
    """The organization-level client (no workspace): every customer's calls go through it."""
    sb = tenants_sandbox
    async with AirbyteEmbeddedClient(
        client_id=sb.client_id, client_secret=sb.client_secret, base_url=sb.base_url
    ) as client:
        yield client


def customer(tenant: SandboxTenant) -> CustomerContext:
    return CustomerContext(
        workspace=tenant.name,
        sources={"stripe": tenant.stripe_source_id, "contracts": tenant.file_source_id},
    )


def _customers_then_answer(messages: list[BaseMessage]) -> AIMessage:
    """Lists customers once, then answers with the tool's text."""
    results = [m for m in messages if isinstance(m, ToolMessage)]
    if results:
        return AIMessage(content=f"answer: {results[-1].text}")
    args = {"path": "/v1/customers", "params": {"limit": 3}, "fields": ["description"]}
    return AIMessage(
        content="", tool_calls=[{"name": "proxy_api_request", "args": args, "id": "c"}]
    )


def _named_tenants(text: str, sb: Sandbox) -> set[str]:
    return {t.name for t in sb.tenants if t.name in text}


def test_the_model_sees_no_customer_and_no_source_id(
    tenants_sandbox: Sandbox, org: AirbyteEmbeddedClient
) -> None:
    toolkit = AirbyteEmbeddedToolkit(org, customer_sources=["stripe", "contracts"])
    schemas = {t.name: t.tool_call_schema.model_json_schema() for t in toolkit.get_tools()}
    assert set(schemas) == {"proxy_api_request", "list_files", "read_file"}
    for name, schema in schemas.items():
        text = json.dumps(schema) + next(
            t.description for t in toolkit.get_tools() if t.name == name
        )
        assert "runtime" not in schema.get("properties", {})
        assert not {"workspace", "workspace_id", "source_id"} & set(schema.get("properties", {}))
        for tenant in tenants_sandbox.tenants:
            assert tenant.stripe_source_id not in text
            assert tenant.name not in text


async def test_one_agent_serves_interleaved_customers(
    tenants_sandbox: Sandbox, org: AirbyteEmbeddedClient
) -> None:
    sb = tenants_sandbox
    toolkit = AirbyteEmbeddedToolkit(org, customer_sources=["stripe"])
    agent = create_agent(
        ScriptedChatModel(script=_customers_then_answer),
        toolkit.get_tools(),
        context_schema=CustomerContext,
    )
    order = [sb.tenants[0], sb.tenants[1], sb.tenants[0], sb.tenants[2], sb.tenants[1]]

    async def ask(tenant: SandboxTenant) -> tuple[str, str]:
        state = await agent.ainvoke(
            {"messages": [("user", "who are my customers?")]}, context=customer(tenant)
        )
        return tenant.name, str(state["messages"][-1].content)

    answers = await asyncio.gather(*(ask(t) for t in order))
    for name, answer in answers:
        assert answer.startswith("answer: HTTP 200"), answer
        assert _named_tenants(answer, sb) == {name}


def test_one_sync_agent_serves_customers_over_a_sync_client(tenants_sandbox: Sandbox) -> None:
    sb = tenants_sandbox
    with SyncAirbyteEmbeddedClient(
        client_id=sb.client_id, client_secret=sb.client_secret, base_url=sb.base_url
    ) as org_sync:
        toolkit = AirbyteEmbeddedToolkit(org_sync, customer_sources=["stripe"])
        agent = create_agent(
            ScriptedChatModel(script=_customers_then_answer),
            toolkit.get_tools(),
            context_schema=CustomerContext,
        )
        for tenant in (sb.tenants[2], sb.tenants[0]):
            state = agent.invoke({"messages": [("user", "who?")]}, context=customer(tenant))
            assert _named_tenants(str(state["messages"][-1].content), sb) == {tenant.name}


async def test_without_a_customer_the_tool_answers_readably(org: AirbyteEmbeddedClient) -> None:
    toolkit = AirbyteEmbeddedToolkit(org, customer_sources=["stripe"])
    agent = create_agent(ScriptedChatModel(script=_customers_then_answer), toolkit.get_tools())
    state = await agent.ainvoke({"messages": [("user", "who?")]})
    answer = str(state["messages"][-1].content)
    assert "acts for the customer of the run, and none was given" in answer
    assert "Nothing was sent" in answer


async def test_a_model_names_only_its_own_customers_sources(
    tenants_sandbox: Sandbox, org: AirbyteEmbeddedClient
) -> None:
    sb = tenants_sandbox
    tools = AirbyteEmbeddedTools(org, customer_sources={"stripe": "stripe", "billing_eu": "stripe"})
    api = tools.get_tools()[0]
    assert isinstance(api, ProxyApiRequestTool)
    only_stripe = CustomerContext(workspace=sb.tenants[0].name, sources={"stripe": "x"})
    missing = await api.arun_for(only_stripe, source="billing_eu", path="/v1/customers")
    assert missing.is_error
    assert "no 'billing_eu' source is connected" in missing.content
    foreign = await api.arun_for(
        only_stripe, source="stripe", path="/v1/customers/" + sb.tenants[1].stripe_source_id
    )
    assert foreign.is_error  # "x" is no source of this workspace: the proxy refuses it
    assert sb.tenants[1].name not in foreign.content
    unknown = await api.arun_for(only_stripe, source="other", path="/v1/customers")
    assert unknown.is_error
    assert "source" in unknown.content


async def test_a_customer_cannot_reach_another_customers_source(
    tenants_sandbox: Sandbox, org: AirbyteEmbeddedClient
) -> None:
    """A context pairing one workspace with another's source id is refused by Airbyte: the
    workspace view's token does not open a foreign source."""
    sb = tenants_sandbox
    api = AirbyteEmbeddedTools(org, customer_sources=["stripe"]).get_tools()[0]
    crossed = CustomerContext(
        workspace=sb.tenants[0].name, sources={"stripe": sb.tenants[1].stripe_source_id}
    )
    result = await api.arun_for(crossed, path="/v1/customers", params={"limit": 1})
    assert result.is_error
    assert sb.tenants[1].name not in result.content
    assert sb.tenants[1].stripe_source_id not in result.content


def test_customer_context_and_slots_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="exactly one of workspace"):
        CustomerContext(sources={"stripe": "x"})
    with pytest.raises(ConfigurationError, match="exactly one of workspace"):
        CustomerContext(workspace="a", workspace_id="b")
    with (
        pytest.raises(ConfigurationError, match="bind_customer takes a CustomerContext"),
        bind_customer("acme"),  # type: ignore[arg-type]
    ):
        pass
    with pytest.raises(ConfigurationError, match="customer_sources"):
        AirbyteEmbeddedTools(
            SyncAirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:1"),
            customer_sources=["stripe"],
            source_id="src",
        )


def _llama_turns(messages: Sequence[ChatMessage]) -> ChatMessage:
    results = _tool_results(messages)
    if not results:
        return _call(1, "proxy_api_request", path="/v1/customers", params={"limit": 2})
    return ChatMessage(role=MessageRole.ASSISTANT, content=f"answer: {results[0]}")


async def test_one_llama_index_agent_serves_concurrent_customers(
    tenants_sandbox: Sandbox, org: AirbyteEmbeddedClient
) -> None:
    sb = tenants_sandbox
    spec = AirbyteEmbeddedToolSpec(org, customer_sources=["stripe"])
    agent = FunctionAgent(
        tools=spec.to_tool_list(), llm=scripted(_llama_turns), allow_parallel_tool_calls=False
    )

    async def ask(tenant: SandboxTenant) -> tuple[str, str]:
        with bind_customer(customer(tenant)):
            handler = agent.run(user_msg="who are my customers?")
        return tenant.name, str(await handler)

    answers = await asyncio.gather(*(ask(t) for t in [*sb.tenants, sb.tenants[0]]))
    for name, answer in answers:
        assert answer.startswith("answer: HTTP 200"), answer
        assert _named_tenants(answer, sb) == {name}
    unbound = str(await agent.run(user_msg="who?"))
    assert "none was given" in unbound


def test_the_static_toolkit_is_unchanged(sandbox: Sandbox, sync_client: Any) -> None:
    toolkit = AirbyteEmbeddedToolkit(sync_client, source_id=sandbox.stripe_source_id)
    (tool,) = toolkit.get_tools()
    assert "runtime" not in tool.args  # the simple case takes no run context
    content = tool.invoke({"path": "/v1/customers", "params": {"limit": 1}})
    assert content.startswith("HTTP 200")
