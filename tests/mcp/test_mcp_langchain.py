"""``langchain-mcp-adapters`` loads the server's tools; a LangChain agent uses them end to end."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp_helpers import MCP_COMMAND, REPO, server_env, stripe_ids


class ScriptedChatModel(BaseChatModel):
    """A deterministic chat model: its n-th turn issues the n-th scripted tool calls, then answers
    with the invoice ids it saw in the tool results (so the answer depends on real tool output)."""

    script: list[list[dict[str, Any]]]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        turn = sum(isinstance(m, AIMessage) for m in messages)
        if turn < len(self.script):
            calls = [
                {
                    "name": c["name"],
                    "args": c["args"],
                    "id": f"call_{turn}_{i}",
                    "type": "tool_call",
                }
                for i, c in enumerate(self.script[turn])
            ]
            message = AIMessage(content="", tool_calls=calls)
        else:
            seen = " ".join(str(m.content) for m in messages if isinstance(m, ToolMessage))
            ids = sorted(set(re.findall(r"in_[A-Za-z0-9]+", seen)))
            message = AIMessage(content=f"Invoices found: {', '.join(ids)}")
        return ChatResult(generations=[ChatGeneration(message=message)])


async def test_agent_uses_the_mcp_tools(sandbox: Any) -> None:
    client = MultiServerMCPClient(
        {
            "airbyte": {
                "transport": "stdio",
                "command": sys.executable,
                "args": MCP_COMMAND[1:],
                "env": server_env(sandbox),
                "cwd": str(REPO),
            }
        }
    )
    tools = await client.get_tools()
    assert {tool.name for tool in tools} == {"apis_make_request", "files_list", "files_read"}
    model = ScriptedChatModel(
        script=[
            [
                {
                    "name": "apis_make_request",
                    "args": {"url": "/v1/invoices", "params": {"limit": 2}, "fields": ["status"]},
                },
                {"name": "files_read", "args": {"path": "no/such/contract.md"}},
            ],
            [{"name": "files_list", "args": {"prefix": "contracts/"}}],
        ]
    )
    agent = create_agent(model, tools)
    state = await agent.ainvoke({"messages": [HumanMessage("Which invoices are there?")]})
    messages = state["messages"]
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    by_name = {m.name: m for m in tool_messages}
    assert set(by_name) == {"apis_make_request", "files_read", "files_list"}
    expected = stripe_ids(sandbox, "invoices", 2)
    assert all(invoice in str(by_name["apis_make_request"].content) for invoice in expected)
    # the bad call came back to the model as an error message, and the run went on
    assert by_name["files_read"].status == "error"
    assert "files_list" in str(by_name["files_read"].content)
    assert "contracts/" in str(by_name["files_list"].content)
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert final.content == f"Invoices found: {', '.join(sorted(expected))}"
