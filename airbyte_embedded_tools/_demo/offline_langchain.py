"""A deterministic offline stand-in for a LangChain chat model, and the cookbooks' model chooser.

``OfflineChatModel`` is NOT a language model: it runs the rule-based planner of ``planner.py`` over
the conversation (tool calls a real model would make, answers computed from the tool messages it
received). It lets the cookbooks and the demo run with no network and no API key. Set
``COOKBOOK_MODEL`` (an ``init_chat_model`` string such as ``openai:gpt-5``) for a real model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

try:
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models import BaseChatModel, LanguageModelInput
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
    from langchain_core.messages.tool import tool_call
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_openai_tool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the offline chat model needs LangChain: pip install 'airbyte-embedded-tools[langchain]'"
    ) from exc

from .planner import Conversation, Step, ToolCall, ToolSpec, plan_next

__all__ = ["MODEL_ENV", "OfflineChatModel", "cookbook_chat_model", "model_label"]

MODEL_ENV = "COOKBOOK_MODEL"
OFFLINE_LABEL = (
    "the deterministic offline stand-in (a rule-based planner, not an LLM);\n"
    f"set {MODEL_ENV}=openai:gpt-5 (any init_chat_model string) for a real model"
)


class OfflineChatModel(BaseChatModel):
    """Plans tool calls and answers deterministically from the tool results in the conversation."""

    @property
    def _llm_type(self) -> str:
        return "airbyte-embedded-offline-planner"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as a real model does: their OpenAI-format schemas travel with each call."""
        del tool_choice  # the planner always decides for itself, like tool_choice="auto"
        kwargs.pop("parallel_tool_calls", None)
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        specs = [_spec(tool) for tool in kwargs.get("tools", [])]
        conversation = _conversation(messages)
        decision = plan_next(conversation, specs)
        if isinstance(decision, ToolCall):
            call_id = f"call_{len(conversation.steps) + 1}"
            call = tool_call(name=decision.name, args=decision.args, id=call_id)
            message = AIMessage(content="", tool_calls=[call])
        else:
            message = AIMessage(content=decision)
        return ChatResult(generations=[ChatGeneration(message=message)])


def _spec(tool: dict[str, Any]) -> ToolSpec:
    function = tool.get("function", tool)
    return ToolSpec(
        name=str(function.get("name", "")),
        description=str(function.get("description", "")),
        parameters=function.get("parameters") or {},
    )


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str) or part.get("type") == "text"
    ]
    return "\n".join(parts)


def _conversation(messages: Sequence[BaseMessage]) -> Conversation:
    """The last human question, the text before it, and the tool calls and results after it."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    question = _text(messages[last_human]) if last_human >= 0 else ""
    context = "\n".join(_text(m) for m in messages[: max(last_human, 0)])
    calls: dict[str, ToolCall] = {}
    steps: list[Step] = []
    for message in messages[last_human + 1 :]:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call["id"] or ""] = ToolCall(call["name"], dict(call["args"]))
        elif isinstance(message, ToolMessage) and message.tool_call_id in calls:
            steps.append(Step(calls[message.tool_call_id], _text(message)))
    return Conversation(question=question, context=context, steps=steps)


def cookbook_chat_model() -> BaseChatModel:
    """The chat model named by ``COOKBOOK_MODEL`` (``init_chat_model``), else the offline one."""
    name = os.environ.get(MODEL_ENV, "").strip()
    if not name:
        return OfflineChatModel()
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ImportError(f"{MODEL_ENV} needs LangChain itself: pip install langchain") from exc
    return init_chat_model(name)


def model_label(model: BaseChatModel) -> str:
    """A one-line description of ``model`` for the notebooks and the demo to print."""
    if isinstance(model, OfflineChatModel):
        return OFFLINE_LABEL
    return f"{type(model).__name__} from {MODEL_ENV}={os.environ.get(MODEL_ENV)}"
