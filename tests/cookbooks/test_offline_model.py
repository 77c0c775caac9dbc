"""The offline stand-in models: they plan real tool calls and answer only from the tool output."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool

from airbyte_embedded_tools._demo.offline_langchain import OfflineChatModel
from airbyte_embedded_tools._demo.offline_llama_index import OfflineFunctionCallingLLM
from airbyte_embedded_tools._demo.planner import Conversation, Step, ToolCall, ToolSpec, plan_next

DAY = 86_400
TODAY = "2025-07-01"
TODAY_TS = 1_751_328_000  # 2025-07-01T00:00:00Z


def _invoice(n: int, customer: str, cents: int, days_overdue: int) -> dict[str, Any]:
    return {
        "id": f"in_{n:04d}",
        "object": "invoice",
        "customer": customer,
        "customer_name": customer.removeprefix("cus_").title(),
        "amount_remaining": cents,
        "currency": "usd",
        "status": "open",
        "due_date": TODAY_TS - days_overdue * DAY - 60,
    }


INVOICES = [
    _invoice(1, "cus_acme", 60_000, 30),
    _invoice(2, "cus_globex", 5_000, 3),
    _invoice(3, "cus_acme", 70_000, 95),
    _invoice(4, "cus_initech", 250_000, 12),
    _invoice(5, "cus_hooli", 99_999, 40),
    _invoice(6, "cus_globex", 20_000, -5),
    _invoice(7, "cus_hooli", 2, 1),
]


def _page(params: dict[str, Any], fields: list[str] | None) -> str:
    """A Stripe-like list page of 3, the way a guarded tool shows it, with a continuation hint."""
    start = 0
    if "starting_after" in params:
        start = (
            next(i for i, inv in enumerate(INVOICES) if inv["id"] == params["starting_after"]) + 1
        )
    page = INVOICES[start : start + 3]
    if fields:
        page = [{k: v for k, v in inv.items() if k in {"id", *fields}} for inv in page]
    has_more = start + 3 < len(INVOICES)
    lines = [f"GET /v1/invoices -> 200, {len(page)} records"]
    lines += [json.dumps(inv) for inv in page]
    if has_more:
        lines.append(f"More records exist: call again with params.starting_after={page[-1]['id']}")
    return "\n".join(lines)


def test_planner_follows_pages_and_answers_from_what_it_read() -> None:
    spec = ToolSpec(
        "stripe_api_request",
        parameters={"properties": {"method": {}, "path": {}, "params": {}, "fields": {}}},
    )
    question = "Which customers owe more than $1,000 and how long overdue?"
    steps: list[Step] = []
    while True:
        decision = plan_next(Conversation(question, f"Today is {TODAY}.", steps), [spec])
        if isinstance(decision, str):
            break
        assert decision.args["params"]["status"] == "open"
        steps.append(Step(decision, _page(decision.args["params"], decision.args.get("fields"))))
    assert len(steps) == 3  # 7 invoices, pages of 3
    assert [s.call.args["params"].get("starting_after") for s in steps] == [
        None,
        "in_0003",
        "in_0006",
    ]
    lines = decision.splitlines()
    assert lines[0].startswith("3 customers owe more than $1,000.00")
    assert "Initech (cus_initech): $2,500.00, 12 days overdue" in lines[1]
    assert "Acme (cus_acme): $1,300.00, 95 days overdue" in lines[2]
    assert "in_0001, in_0003" in lines[2]
    assert "Hooli (cus_hooli): $1,000.01, 40 days overdue" in lines[3]
    assert "Globex" not in decision


def test_planner_answer_changes_with_the_data() -> None:
    spec = ToolSpec("api", parameters={"properties": {"method": {}, "url": {}}})
    call = plan_next(Conversation("Who owes more than $500?"), [spec])
    assert isinstance(call, ToolCall)
    assert call.args["url"] == "https://api.stripe.com/v1/invoices?status=open&limit=100"
    output = json.dumps({"object": "list", "data": [_invoice(9, "cus_zorg", 50_100, 2)]})
    answer = plan_next(
        Conversation("Who owes more than $500?", f"today is {TODAY}", [Step(call, output)]), [spec]
    )
    assert isinstance(answer, str)
    assert "Zorg (cus_zorg): $501.00, 2 days overdue" in answer


def test_planner_uses_the_source_enum_and_ids_from_the_prompt() -> None:
    enum_tool = ToolSpec(
        "files_list",
        parameters={"properties": {"source": {"enum": ["stripe", "contracts"]}, "prefix": {}}},
    )
    reader = ToolSpec("files_read", parameters={"properties": {"source_id": {}, "path": {}}})
    conv = Conversation("What does the Acme contract say?", "file source id: src-files-1")
    call = plan_next(conv, [enum_tool, reader])
    assert isinstance(call, ToolCall)
    assert call.args == {"source": "contracts", "prefix": ""}
    listing = "contracts/acme-msa.md 2 KiB\ncontracts/globex-msa.pdf 9 KiB\nnotes/todo.txt"
    call2 = plan_next(
        Conversation(conv.question, conv.context, [Step(call, listing)]), [enum_tool, reader]
    )
    assert call2 == ToolCall(
        "files_read", {"source_id": "src-files-1", "path": "contracts/acme-msa.md"}
    )


@tool
def stripe_request(method: str, path: str, params: dict[str, Any] | None = None) -> str:
    """Call the Stripe API through the proxy (GET only)."""
    assert method == "GET"
    assert path == "/v1/invoices"
    return _page(params or {}, None)


@tool
def list_files(prefix: str = "") -> str:
    """List the customer's files."""
    return "contracts/acme-msa.md (2 KiB)\ncontracts/initech-msa.md (3 KiB)\nreports/q2.csv"


@tool
def read_file(path: str) -> str:
    """Read one file as text."""
    assert path == "contracts/initech-msa.md"
    return (
        "# Initech master services agreement\n"
        "Either party may terminate this agreement with ninety (90) days written notice.\n"
        "Fees are payable within 30 days of the invoice date."
    )


async def test_langchain_agent_with_the_offline_model() -> None:
    agent = create_agent(OfflineChatModel(), [stripe_request, list_files, read_file])
    state = await agent.ainvoke(
        {"messages": [("system", f"Today is {TODAY}."), ("user", "Who is overdue by over $1,000?")]}
    )
    messages = state["messages"]
    assert sum(isinstance(m, ToolMessage) for m in messages) == 3
    answer = messages[-1]
    assert isinstance(answer, AIMessage)
    assert "Initech (cus_initech): $2,500.00, 12 days overdue" in answer.text

    state = await agent.ainvoke(
        {"messages": [("user", "How much notice does the Initech contract need to terminate?")]}
    )
    calls = [c["name"] for m in state["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert calls == ["list_files", "read_file"]
    assert "ninety (90) days written notice" in state["messages"][-1].text


# LlamaIndex's workflow base inspects the agent (a pydantic model) with inspect.getmembers.
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
async def test_llama_index_function_agent_with_the_offline_llm() -> None:
    def stripe_api(method: str, path: str, params: dict[str, Any] | None = None) -> str:
        """Call the Stripe API through the proxy (GET only)."""
        return _page(params or {}, None)

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=stripe_api)],
        llm=OfflineFunctionCallingLLM(),
        system_prompt=f"You answer billing questions. Today is {TODAY}.",
    )
    result = await agent.run("Which customers owe more than $1,000 and how long overdue?")
    assert [c.tool_name for c in result.tool_calls] == ["stripe_api"] * 3  # type: ignore[attr-defined]
    assert "Acme (cus_acme): $1,300.00, 95 days overdue" in str(result)


def test_unknown_questions_get_an_honest_answer() -> None:
    answer = plan_next(Conversation("Write me a poem"), [])
    assert isinstance(answer, str)
    assert "COOKBOOK_MODEL" in answer


@pytest.mark.parametrize("cents", [100_000, 100_001])
def test_threshold_is_strict(cents: int) -> None:
    spec = ToolSpec("api", parameters={"properties": {"method": {}, "url": {}}})
    call = ToolCall("api", {"method": "GET", "url": "https://api.stripe.com/v1/invoices"})
    out = json.dumps([_invoice(1, "cus_a", cents, 1)])
    answer = plan_next(
        Conversation("who owes over $1,000", "today is 2025-07-01", [Step(call, out)]), [spec]
    )
    assert isinstance(answer, str)
    assert ("cus_a" in answer) == (cents > 100_000)
