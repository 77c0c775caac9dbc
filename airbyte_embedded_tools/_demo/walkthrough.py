"""``airbyte-embedded demo``: a terminal walk-through of the package against the sandbox.

Token exchange, a proxied Stripe call, listing and reading files, Documents loaded, and an agent
answering a question with the tools. Against the real service when the environment names it
(see ``environment.py``). Each step uses the package's public API only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AirbyteEmbeddedError

from .environment import ENV_FILE_SOURCE_ID, ENV_STRIPE_SOURCE_ID, Target, open_target

__all__ = ["DEFAULT_QUESTION", "main"]

DEFAULT_QUESTION = "Which customers owe more than $1,000, and how long overdue are they?"
MAX_AGENT_TURNS = 15
_WIDTH = 78


@dataclass
class _Run:
    target: Target
    client: AirbyteEmbeddedClient
    question: str
    files: list[str]


def _say(text: str = "", indent: int = 3) -> None:
    pad = " " * indent
    for line in text.splitlines() or [""]:
        print(pad + line)
    sys.stdout.flush()


def _money(cents: int, currency: str = "usd") -> str:
    symbol = "$" if currency.lower() == "usd" else currency.upper() + " "
    return f"{symbol}{cents / 100:,.2f}"


async def _token(run: _Run) -> None:
    token = await run.client.get_token()
    _say(f"Exchanged the client id and secret for a {token.kind} token at {run.client.base_url}.")
    _say(f"It expires in {token.expires_in():.0f} s; the client refreshes it before then.")
    _say("(The token itself is a secret: it never appears in output, logs or reprs.)")


async def _stripe(run: _Run) -> None:
    url = "https://api.stripe.com/v1/invoices"
    response = await run.client.proxy_request(
        run.target.stripe_source_id, "GET", url, params={"limit": 3}
    )
    body = response.raise_for_status().json()
    _say(f"GET {url}?limit=3 through the proxy,")
    _say(f"source {run.target.stripe_source_id} -> HTTP {response.status_code}:")
    for inv in body["data"]:
        amount = _money(inv["amount_due"], inv.get("currency", "usd"))
        who = inv.get("customer_name") or inv["customer"]
        _say(f"  {inv['id']}  {who:<22.22} {amount:>12}  {inv['status']}")
    _say("Airbyte injected the customer's Stripe key upstream; this app never holds it.")


async def _files(run: _Run) -> None:
    entries = await run.client.list_files(run.target.file_source_id, "")
    _say(f"{len(entries)} files in source {run.target.file_source_id}; the first ten:")
    for entry in entries[:10]:
        _say(f"  {entry.path:<48.48} {entry.size:>10,} B  {entry.content_type or ''}")
    run.files = [entry.path for entry in entries]
    path = next((p for p in run.files if p.startswith("contracts/") and p.endswith(".md")), None)
    path = path or next((e.path for e in entries if e.size and e.size < 100_000), None)
    if path is None:
        _say("No small file to read.")
        return
    content = await run.client.read_file(run.target.file_source_id, path, start=0, end=399)
    text = content.content.decode("utf-8", errors="replace")
    _say(f"\nA ranged read: bytes {content.start}-{content.end} of {content.total_size} of {path}")
    _say(text[: text.rfind("\n")].rstrip() + "\n[...]", indent=5)


async def _documents(run: _Run) -> None:
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader

    loader = AirbyteEmbeddedLoader(
        client=run.client, source_id=run.target.file_source_id, prefix="contracts/"
    )
    docs = [doc async for doc in loader.alazy_load()]
    _say(f"AirbyteEmbeddedLoader(prefix='contracts/') -> {len(docs)} LangChain Documents:")
    for doc in docs:
        meta = doc.metadata
        page = f" page {meta['page']}" if meta.get("page") else ""
        _say(f"  {meta.get('path')}{page}: {len(doc.page_content):,} characters")
    records = AirbyteEmbeddedLoader.from_api(
        client=run.client,
        source_id=run.target.stripe_source_id,
        path="/v1/customers",
        params={"limit": 100},
        max_records=25,
    )
    customers = [doc async for doc in records.alazy_load()]
    _say(f"AirbyteEmbeddedLoader.from_api('/v1/customers') -> {len(customers)} Documents, e.g.:")
    if customers:
        first = customers[0]
        lines = first.page_content.strip().splitlines()
        _say("\n".join(line for line in lines if line.split(":")[0] in _SHOWN_FIELDS), indent=5)
        _say(f"metadata: {_short_metadata(first.metadata)}", indent=5)


_SHOWN_FIELDS = ("id", "name", "email", "description", "created")


def _short_metadata(metadata: dict[str, Any]) -> str:
    keys = ("record_id", "object", "url")
    return ", ".join(f"{key}={metadata[key]}" for key in keys if key in metadata)


async def _agent(run: _Run) -> None:
    from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage

    from airbyte_embedded_tools.langchain import AirbyteEmbeddedToolkit

    from .offline_langchain import cookbook_chat_model, model_label

    sources = {"stripe": run.target.stripe_source_id, "files": run.target.file_source_id}
    tools = AirbyteEmbeddedToolkit(client=run.client, sources=sources).get_tools()
    by_name = {tool.name: tool for tool in tools}
    chat_model = cookbook_chat_model()
    _say(f"Tools: {', '.join(by_name)}")
    _say(f"Model: {model_label(chat_model)}")
    model = chat_model.bind_tools(tools)
    messages: list[BaseMessage] = [
        SystemMessage(
            "You answer an account manager's questions about one customer's Stripe account and "
            f"files, using the tools. Today is {run.target.today.isoformat()}."
        ),
        HumanMessage(run.question),
    ]
    _say(f"\nQ: {run.question}")
    for _ in range(MAX_AGENT_TURNS):
        reply = await model.ainvoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            _say("\nA: " + reply.text)
            return
        for call in reply.tool_calls:
            _say(f"-> {call['name']}({json.dumps(call['args'], separators=(',', ':'))})")
            result = await by_name[call["name"]].ainvoke(call)
            assert isinstance(result, ToolMessage)
            messages.append(result)
            _say(f"   <- {len(result.text):,} characters of tool output")
    _say(f"(stopped after {MAX_AGENT_TURNS} model turns)")


def _next_steps(target: Target) -> None:
    print("\nNext steps")
    _say("- The cookbooks, runnable as they are (cookbooks/README.md): agents with LangChain")
    _say("  and LlamaIndex, one agent for many customers, writes with approval, RAG ingestion,")
    _say("  MCP, and ingestion on Ray Data.")
    _say("- Point everything at your Airbyte workspace: export AIRBYTE_CLIENT_ID,")
    _say(f"  AIRBYTE_CLIENT_SECRET, AIRBYTE_WORKSPACE_ID, {ENV_STRIPE_SOURCE_ID} and")
    _say(f"  {ENV_FILE_SOURCE_ID}, then run `airbyte-embedded demo` again.")
    _say("- Use a real model for the agent: export COOKBOOK_MODEL=openai:gpt-5 (any")
    _say("  LangChain init_chat_model string) with the provider's package and API key.")
    if target.is_sandbox:
        _say("- Keep a sandbox running for your own code: `airbyte-embedded sandbox`.")


_Step = Callable[[_Run], Awaitable[None]]
STEPS: tuple[tuple[str, _Step], ...] = (
    ("Token exchange", _token),
    ("A proxied Stripe call", _stripe),
    ("Listing and reading files", _files),
    ("Documents for RAG", _documents),
    ("An agent answering with the tools", _agent),
)


async def _run(question: str) -> int:
    started = time.monotonic()
    failed = 0
    with open_target() as target:
        print(f"Airbyte Embedded tools: a walk-through against {target.label}")
        if target.is_sandbox:
            _say("(a real HTTP server on 127.0.0.1 that behaves like Airbyte's API, with a")
            _say(" Stripe upstream and a file store behind it; seeded, so runs are repeatable)")
        async with target.client() as client:
            run = _Run(target=target, client=client, question=question, files=[])
            for number, (title, step) in enumerate(STEPS, start=1):
                print(f"\n{number}. {title}\n   " + "-" * (len(title)))
                failed += await _guarded(step, run)
        _next_steps(target)
    print(f"\nDone in {time.monotonic() - started:.1f} s.")
    return 1 if failed else 0


async def _guarded(step: _Step, run: _Run) -> int:
    """Run one step; an Airbyte error is reported and counted (returns 1), the next step runs."""
    try:
        await step(run)
    except AirbyteEmbeddedError as exc:
        _say(f"error: {type(exc).__name__}: {exc}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the demo's arguments and run the walk-through; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="airbyte-embedded demo",
        description="A walk-through of the package against the local sandbox (or the real "
        "service when AIRBYTE_* variables are set).",
    )
    parser.add_argument("--question", default=DEFAULT_QUESTION, help="what to ask the agent")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.question))
