"""Writes under LangChain's ``HumanInTheLoopMiddleware``: approve, edit and reject through a real
``create_agent`` with a checkpointer, against the sandbox; reads never interrupt."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from test_langchain_tools import ScriptedChatModel

from airbyte_embedded_tools._integrations.langchain_tools import AirbyteEmbeddedToolkit
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox

JENNY = {"name": "Jenny Rosen HITL", "email": "jenny.hitl@example.com"}


def _call_then_answer(args: dict[str, Any]) -> Any:
    """A model that makes one proxy call with ``args``, then answers with the tool's text."""

    def script(messages: list[BaseMessage]) -> AIMessage:
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content=f"done: {results[-1].text}")
        call = {"name": "proxy_api_request", "args": args, "id": "call_1"}
        return AIMessage(content="", tool_calls=[call])

    return script


@pytest.fixture
def toolkit(sandbox: Sandbox) -> Iterator[AirbyteEmbeddedToolkit]:
    with SyncAirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        yield AirbyteEmbeddedToolkit(client, source_id=sandbox.stripe_source_id, allow_writes=True)


def _agent(toolkit: AirbyteEmbeddedToolkit, args: dict[str, Any]) -> Any:
    middleware = HumanInTheLoopMiddleware(interrupt_on=toolkit.interrupt_on_writes())
    return create_agent(
        ScriptedChatModel(script=_call_then_answer(args)),
        toolkit.get_tools(),
        middleware=[middleware],
        checkpointer=InMemorySaver(),
    )


def _posts(sandbox: Sandbox, since: int) -> list[Any]:
    return [r for r in sandbox.upstream_requests[since:] if r.method == "POST"]


def _form(body: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(body))


def _interrupt(state: dict[str, Any]) -> dict[str, Any]:
    (pending,) = state["__interrupt__"]
    value: dict[str, Any] = pending.value
    return value


def test_a_write_waits_for_approval_then_is_sent_once(
    sandbox: Sandbox, toolkit: AirbyteEmbeddedToolkit
) -> None:
    args = {"method": "POST", "path": "/v1/customers", "body": JENNY}
    agent = _agent(toolkit, args)
    config: Any = {"configurable": {"thread_id": "approve"}}
    before = len(sandbox.upstream_requests)
    paused = agent.invoke({"messages": [("user", "Create Jenny")]}, config)
    request = _interrupt(paused)["action_requests"][0]
    assert request["name"] == "proxy_api_request"
    assert request["args"] == args
    assert request["description"].startswith(
        "POST https://api.stripe.com/v1/customers on source 'stripe' with body"
    )
    assert _posts(sandbox, before) == []  # nothing sent while the human decides

    state = agent.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
    (sent,) = _posts(sandbox, before)
    assert sent.path == "/v1/customers"
    assert _form(sent.body) == JENNY
    key = {k.lower(): v for k, v in sent.headers.items()}["idempotency-key"]
    assert len(key) == 36  # one UUID4 per tool call
    created = json.loads(state["messages"][-2].artifact.model_dump_json())["data"]
    assert created["name"] == JENNY["name"]
    assert created["id"].startswith("cus_")


def test_an_edited_write_sends_the_human_s_arguments(
    sandbox: Sandbox, toolkit: AirbyteEmbeddedToolkit
) -> None:
    agent = _agent(toolkit, {"method": "POST", "path": "/v1/customers", "body": JENNY})
    config: Any = {"configurable": {"thread_id": "edit"}}
    before = len(sandbox.upstream_requests)
    agent.invoke({"messages": [("user", "Create Jenny")]}, config)
    edited = {"method": "POST", "path": "/v1/customers", "body": {"name": "Jenny R. (edited)"}}
    decision = {"type": "edit", "edited_action": {"name": "proxy_api_request", "args": edited}}
    state = agent.invoke(Command(resume={"decisions": [decision]}), config)
    (sent,) = _posts(sandbox, before)
    assert _form(sent.body) == {"name": "Jenny R. (edited)"}
    assert "Jenny R. (edited)" in state["messages"][-1].text


def test_a_rejected_write_is_never_sent(sandbox: Sandbox, toolkit: AirbyteEmbeddedToolkit) -> None:
    agent = _agent(toolkit, {"method": "POST", "path": "/v1/customers", "body": JENNY})
    config: Any = {"configurable": {"thread_id": "reject"}}
    before = len(sandbox.upstream_requests)
    agent.invoke({"messages": [("user", "Create Jenny")]}, config)
    decision = {"type": "reject", "message": "not this customer"}
    state = agent.invoke(Command(resume={"decisions": [decision]}), config)
    assert _posts(sandbox, before) == []
    assert "not this customer" in state["messages"][-1].text


def test_reads_never_interrupt(sandbox: Sandbox, toolkit: AirbyteEmbeddedToolkit) -> None:
    agent = _agent(toolkit, {"method": "get", "path": "/v1/customers", "params": {"limit": 1}})
    config: Any = {"configurable": {"thread_id": "read"}}
    before = len(sandbox.upstream_requests)
    state = agent.invoke({"messages": [("user", "One customer")]}, config)
    assert "__interrupt__" not in state
    assert [r.method for r in sandbox.upstream_requests[before:]] == ["GET"]
    assert state["messages"][-1].text.startswith("done: HTTP 200 GET /v1/customers")


def test_interrupt_on_writes_covers_only_the_api_tool(sandbox: Sandbox) -> None:
    client = SyncAirbyteEmbeddedClient(token="t", base_url=sandbox.base_url)
    toolkit = AirbyteEmbeddedToolkit(
        client, source_id="api-1", file_source_id="files-1", allow_writes=True
    )
    config = toolkit.interrupt_on_writes(["approve", "reject"])
    assert list(config) == ["proxy_api_request"]
    assert config["proxy_api_request"]["allowed_decisions"] == ["approve", "reject"]
    client.close()
