"""A deterministic offline stand-in for a LlamaIndex function-calling LLM (for ``FunctionAgent``).

Like ``offline_langchain.OfflineChatModel`` it is NOT a language model: the rule-based planner of
``planner.py`` picks tool calls from the tools' schemas and answers from the tool results in the
chat history. Set ``COOKBOOK_MODEL`` (``openai:gpt-5``, ``anthropic:...``) for a real model.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any

try:
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseAsyncGen,
        ChatResponseGen,
        CompletionResponse,
        CompletionResponseAsyncGen,
        CompletionResponseGen,
        LLMMetadata,
        MessageRole,
        ToolCallBlock,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.function_calling import FunctionCallingLLM
    from llama_index.core.llms.llm import LLM, ToolSelection
    from llama_index.core.tools import BaseTool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the offline LLM needs LlamaIndex: pip install 'airbyte-embedded-tools[llama-index]'"
    ) from exc

from .planner import Conversation, Step, ToolCall, ToolSpec, plan_next

__all__ = ["OfflineFunctionCallingLLM", "cookbook_llm", "llm_label"]

MODEL_ENV = "COOKBOOK_MODEL"
_PROVIDERS = {
    "openai": ("llama_index.llms.openai", "OpenAI", "llama-index-llms-openai"),
    "anthropic": ("llama_index.llms.anthropic", "Anthropic", "llama-index-llms-anthropic"),
}


class OfflineFunctionCallingLLM(FunctionCallingLLM):
    """Plans tool calls and answers deterministically from the tool results in the chat history."""

    @classmethod
    def class_name(cls) -> str:
        return "OfflineFunctionCallingLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            is_function_calling_model=True, is_chat_model=True, model_name="offline-planner"
        )

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        return {"messages": messages, "tools": tools}

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        if not blocks and error_on_no_tool_call:
            raise ValueError("the offline model answered without calling a tool")
        return [
            ToolSelection(
                tool_id=block.tool_call_id or "",
                tool_name=block.tool_name,
                tool_kwargs=block.tool_kwargs if isinstance(block.tool_kwargs, dict) else {},
            )
            for block in blocks
        ]

    def _respond(self, messages: Sequence[ChatMessage], tools: Sequence[BaseTool]) -> ChatMessage:
        conversation = _conversation(messages)
        decision = plan_next(conversation, [_spec(tool) for tool in tools])
        if isinstance(decision, ToolCall):
            block = ToolCallBlock(
                tool_call_id=f"call_{len(conversation.steps) + 1}",
                tool_name=decision.name,
                tool_kwargs=decision.args,
            )
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=[block])
        return ChatMessage(role=MessageRole.ASSISTANT, content=decision)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message = self._respond(messages, kwargs.get("tools") or [])
        return ChatResponse(message=message, delta=message.content or "")

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message = self._respond(messages, kwargs.get("tools") or [])
        return ChatResponse(message=message, delta=message.content or "")

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        message = self._respond(messages, kwargs.get("tools") or [])

        def gen() -> Generator[ChatResponse, None, None]:
            yield ChatResponse(message=message, delta=message.content or "")

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        message = self._respond(messages, kwargs.get("tools") or [])

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            yield ChatResponse(message=message, delta=message.content or "")

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._answer_text(prompt))

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return CompletionResponse(text=self._answer_text(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        text = self._answer_text(prompt)

        def gen() -> Generator[CompletionResponse, None, None]:
            yield CompletionResponse(text=text, delta=text)

        return gen()

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        text = self._answer_text(prompt)

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            yield CompletionResponse(text=text, delta=text)

        return gen()

    def _answer_text(self, prompt: str) -> str:
        decision = plan_next(Conversation(question=prompt), [])
        return decision if isinstance(decision, str) else ""


def _spec(tool: BaseTool) -> ToolSpec:
    meta = tool.metadata
    return ToolSpec(
        name=str(meta.name or ""),
        description=str(meta.description or ""),
        parameters=meta.get_parameters_dict(),
    )


def _conversation(messages: Sequence[ChatMessage]) -> Conversation:
    """The last user question, the text before it, and the tool calls and results after it."""
    users = [i for i, m in enumerate(messages) if m.role == MessageRole.USER]
    last_user = users[-1] if users else -1
    question = (messages[last_user].content or "") if last_user >= 0 else ""
    context = "\n".join(m.content or "" for m in messages[: max(last_user, 0)])
    calls: dict[str, ToolCall] = {}
    steps: list[Step] = []
    for message in messages[last_user + 1 :]:
        if message.role == MessageRole.ASSISTANT:
            for block in message.blocks:
                if isinstance(block, ToolCallBlock) and isinstance(block.tool_kwargs, dict):
                    calls[block.tool_call_id or ""] = ToolCall(block.tool_name, block.tool_kwargs)
        elif message.role == MessageRole.TOOL:
            call = calls.get(str(message.additional_kwargs.get("tool_call_id", "")))
            if call is not None:
                steps.append(Step(call, message.content or ""))
    return Conversation(question=question, context=context, steps=steps)


def cookbook_llm() -> LLM:
    """The LlamaIndex LLM named by ``COOKBOOK_MODEL`` (``provider:model``), else the offline one."""
    name = os.environ.get(MODEL_ENV, "").strip()
    if not name:
        return OfflineFunctionCallingLLM()
    provider, _, model = name.partition(":")
    if provider not in _PROVIDERS or not model:
        known = ", ".join(f"{p}:MODEL" for p in _PROVIDERS)
        raise ValueError(f"{MODEL_ENV}={name!r}: the LlamaIndex cookbook understands {known}")
    module_name, class_name, package = _PROVIDERS[provider]
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError as exc:
        raise ImportError(f"{MODEL_ENV}={name!r} needs: pip install {package}") from exc
    llm: LLM = getattr(module, class_name)(model=model)
    return llm


def llm_label(llm: LLM) -> str:
    """A one-line description of ``llm`` for the notebooks to print."""
    if isinstance(llm, OfflineFunctionCallingLLM):
        return (
            "the deterministic offline stand-in LLM (rule-based planner, not an LLM); "
            f"set {MODEL_ENV}=openai:gpt-5 to use a real model"
        )
    return f"{type(llm).__name__} from {MODEL_ENV}={os.environ.get(MODEL_ENV)}"
