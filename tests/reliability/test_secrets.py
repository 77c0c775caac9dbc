"""Secrets: no client secret, connector key or token shows in logs, reprs, errors or outputs.

Representative flows run with every logger at DEBUG: the async and sync clients (successes, proxy
errors, upstream errors, refused requests, expired and rejected tokens, a token with a stray
newline), the tools through the neutral, LangChain and LlamaIndex faces (answers and errors), the
loaders and the reader, and the CLI in a subprocess with ``--debug``. Everything they produce is
scanned: log records (with tracebacks), reprs, exception texts and attributes and formatted
tracebacks, tool contents and artifacts, documents, CLI output. The known values are the sandbox's
client secrets, its Stripe key, a wrong secret and every token the clients obtained; besides, any
string shaped like a sandbox token (``sbx_app_...``/``sbx_sco_...``), secret or Stripe key counts.

Executed notebooks are not scanned here: the cookbook tests execute them in memory and keep no
executed copy (they scan their own outputs for the secret and the key).
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader, AirbyteEmbeddedToolkit
from airbyte_embedded_tools.llama_index import AirbyteEmbeddedReader, AirbyteEmbeddedToolSpec
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools

pytestmark = pytest.mark.reliability

STRIPE = "https://api.stripe.com"
WRONG_SECRET = "sbx_secret_" + "W" * 32
SHAPES = re.compile(
    r"sbx_(?:app|sco)_[A-Za-z0-9_-]{16,}|sbx_secret_[A-Za-z0-9]{16,}|[sr]k_(?:test|live)_[A-Za-z0-9]{12,}"
)
"""What a sandbox token, client secret or Stripe key looks like, whoever issued it."""


class Evidence:
    """Every text the flows produced, with where it came from."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.tokens: set[str] = set()

    def add(self, where: str, value: Any) -> None:
        self.items.append((where, value if isinstance(value, str) else repr(value)))

    def error(self, where: str, exc: BaseException) -> None:
        """The exception as a user could see it: str, repr, attributes, formatted traceback."""
        self.add(f"{where}: str", str(exc))
        self.add(f"{where}: repr", repr(exc))
        self.add(f"{where}: attributes", repr(vars(exc)))
        self.add(f"{where}: traceback", "".join(traceback.format_exception(exc)))

    async def token_of(self, where: str, client: AirbyteEmbeddedClient) -> None:
        token = await client.get_token()
        self.tokens.add(token.value.get_secret_value())
        self.add(f"{where}: token repr", token)
        self.add(f"{where}: token str", str(token))

    async def expect_error(self, where: str, call: Any) -> None:
        try:
            await call
        except AirbyteEmbeddedError as exc:
            self.error(where, exc)
        else:
            raise AssertionError(f"{where}: expected an AirbyteEmbeddedError")


@pytest.fixture(scope="module")
def secret_sandbox() -> Iterator[Sandbox]:
    with Sandbox(large_file_size=4096, seed=31) as sb:
        yield sb


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Every log record of every logger at DEBUG, formatted with its traceback."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="airbyte_embedded_tools")
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def _client_flows(sb: Sandbox, seen: Evidence) -> None:
    files, api = sb.file_source_id, sb.stripe_source_id
    other = sb.other_workspace
    async with make_client(sb, max_retries=1) as client:
        seen.add("client repr", client)
        await seen.token_of("scoped", client)
        ok = await client.proxy_request(api, "GET", f"{STRIPE}/v1/customers", params={"limit": 2})
        seen.add("proxy answer", ok)
        seen.add("proxy body", ok.text)
        seen.add("proxy headers", dict(ok.headers))
        missing = await client.proxy_request(api, "GET", f"{STRIPE}/v1/customers/cus_missing")
        try:
            missing.raise_for_status()
        except AirbyteEmbeddedError as exc:
            seen.error("upstream 404", exc)
        await seen.expect_error(
            "other workspace", client.proxy_request(other.stripe_source_id, "GET", STRIPE + "/v1")
        )
        await seen.expect_error("unknown source", client.list_files("no-such-source"))
        await seen.expect_error(
            "foreign host", client.proxy_request(api, "GET", "https://evil.example.com/x")
        )
        await seen.expect_error(
            "authorization header",
            client.proxy_request(
                api, "GET", f"{STRIPE}/v1/customers", headers={"Authorization": "Bearer x"}
            ),
        )
        seen.add("listing", await client.list_files(files, "reports/"))
        seen.add("read", await client.read_file(files, "README.md", 0, 99))
        await seen.expect_error("past the end", client.read_file(files, "README.md", 10**9))
        async for piece in client.stream_file(files, "data/large.bin", chunk_size=1000):
            assert piece
        sb.expire_tokens()  # the next call gets a 401, refreshes and replays
        seen.add("after expiry", await client.list_files(files, "notes/"))
        await seen.token_of("refreshed", client)
        static_value = (await client.get_token()).value.get_secret_value()
    async with make_client(sb, scoped=False) as organization:
        await seen.token_of("application", organization)
    async with AirbyteEmbeddedClient(
        client_id=sb.client_id, client_secret=WRONG_SECRET, base_url=sb.base_url
    ) as wrong:
        seen.add("wrong-secret client repr", wrong)
        await seen.expect_error("wrong secret", wrong.get_token())
    async with AirbyteEmbeddedClient(token=static_value, base_url=sb.base_url) as static:
        seen.add("static client repr", static)
        seen.add("static listing", await static.list_files(files, "tickets/"))
        sb.expire_tokens()
        await seen.expect_error("expired static token", static.list_files(files))
    async with make_client(sb, max_retries=0) as client:
        await seen.token_of("for the newline", client)
        fresh = (await client.get_token()).value.get_secret_value()
    # A token read from a file keeps its newline: used as is it is not a valid header value.
    # Stripping it or refusing it are both fine, as long as it shows nowhere.
    try:
        async with AirbyteEmbeddedClient(token=fresh + "\n", base_url=sb.base_url) as newline:
            seen.add("token with a newline", await newline.list_files(files, "notes/"))
    except AirbyteEmbeddedError as exc:
        seen.error("token with a newline", exc)


def _sync_flows(sb: Sandbox, seen: Evidence) -> None:
    with SyncAirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id,
        base_url=sb.base_url,
    ) as client:
        seen.add("sync client repr", client)
        token = client.get_token()
        seen.tokens.add(token.value.get_secret_value())
        seen.add(
            "sync proxy", client.proxy_request(sb.stripe_source_id, "GET", STRIPE + "/v1/products")
        )
        seen.add("sync listing", client.list_files(sb.file_source_id, "contracts/"))
        try:
            client.read_file(sb.file_source_id, "no/such/file.txt")
        except AirbyteEmbeddedError as exc:
            seen.error("sync missing file", exc)


async def _tool_flows(sb: Sandbox, seen: Evidence) -> None:
    async with make_client(sb, max_retries=0) as client:
        await seen.token_of("tools", client)
        bound = {"source_id": sb.stripe_source_id, "file_source_id": sb.file_source_id}
        neutral = AirbyteEmbeddedTools(client, **bound)
        toolkit = AirbyteEmbeddedToolkit(client, **bound)
        spec = AirbyteEmbeddedToolSpec(client, **bound)
        seen.add("neutral toolkit repr", neutral)
        seen.add("langchain toolkit repr", toolkit)
        seen.add("llama-index spec repr", spec)
        calls = {
            "proxy_api_request": [
                {"path": "/v1/invoices", "params": {"limit": 3}},
                {"path": "/v1/customers/cus_missing"},
                {"method": "POST", "path": "/v1/customers", "body": {"email": "a@b.c"}},
                {"path": "https://evil.example.com/v1/customers"},
                {"path": "/v1/customers", "params": {"limit": "lots"}},
            ],
            "list_files": [{"prefix": "notes/"}, {"prefix": "nothing/"}, {"limit": -1}],
            "read_file": [{"path": "reports/q3-revenue.csv"}, {"path": "missing.txt"}, {}],
        }
        for tool in neutral.get_tools():
            seen.add(f"neutral {tool.name} repr", tool)
            for args in calls[tool.name]:
                result = await tool.arun(**args)
                seen.add(f"neutral {tool.name} content", result.content)
                seen.add(f"neutral {tool.name} artifact", result.artifact)
        for lc_tool in toolkit.get_tools():
            seen.add(f"langchain {lc_tool.name} repr", lc_tool)
            for i, args in enumerate(calls[lc_tool.name]):
                call = {"name": lc_tool.name, "args": args, "id": f"c{i}", "type": "tool_call"}
                message = await lc_tool.ainvoke(call)
                seen.add(f"langchain {lc_tool.name} message", message)
        for li_tool in spec.to_tool_list():
            seen.add(f"llama-index {li_tool.metadata.name} repr", li_tool)
            for args in calls[li_tool.metadata.name]:
                output = await li_tool.acall(**args)
                seen.add(f"llama-index {li_tool.metadata.name} output", output)
        sb.revoke_stripe_key()  # an upstream 401 through the tools, last: it cannot be undone
        result = await neutral.get_tools()[0].arun(path="/v1/charges")
        assert result.is_error
        seen.add("upstream 401 through the tool", result.content)


async def _loader_flows(sb: Sandbox, seen: Evidence) -> None:
    async with make_client(sb, max_retries=0) as client:
        await seen.token_of("loaders", client)
        loader = AirbyteEmbeddedLoader(client, sb.file_source_id, prefix="notes/")
        seen.add("loader repr", loader)
        seen.add("loader documents", [doc async for doc in loader.alazy_load()])
        seen.add("loader skipped", loader.skipped)
        reader = AirbyteEmbeddedReader(client, sb.file_source_id, prefix="contracts/")
        seen.add("reader repr", reader)
        seen.add("reader documents", await reader.aload_data())
        api_loader = AirbyteEmbeddedLoader.from_api(
            client, sb.stripe_source_id, "/v1/customers", max_records=3
        )
        seen.add("api loader repr", api_loader)
        seen.add("api documents", [doc async for doc in api_loader.alazy_load()])


def _cli_flows(sb: Sandbox, seen: Evidence) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    env.update(
        AIRBYTE_API_URL=sb.base_url,
        AIRBYTE_CLIENT_ID=sb.client_id,
        AIRBYTE_CLIENT_SECRET=sb.client_secret,
        AIRBYTE_WORKSPACE_ID=sb.workspace_id,
    )
    cli = [sys.executable, "-m", "airbyte_embedded_tools.cli", "--debug"]
    commands = {
        "token": (["token"], env),
        "request": (["request", sb.stripe_source_id, "GET", "/v1/customers"], env),
        "request 404": (["request", sb.stripe_source_id, "GET", "/v1/customers/cus_x"], env),
        "ls": (["ls", sb.file_source_id, "reports/"], env),
        "wrong secret": (["token"], {**env, "AIRBYTE_CLIENT_SECRET": WRONG_SECRET}),
    }
    running = {
        name: subprocess.Popen(
            cli + args, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, (args, environ) in commands.items()
    }
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=60)
        seen.add(f"cli {name} stdout", stdout)
        seen.add(f"cli {name} stderr", stderr)
        assert stdout or stderr, f"cli {name} printed nothing"


def _leaks(seen: Evidence, known: set[str]) -> list[str]:
    found = []
    for where, text in seen.items:
        for secret in known:
            if secret in text:
                at = text.index(secret)
                found.append(f"{where}: a known secret at {at}: ...{text[max(0, at - 60) : at]}<>")
        for match in SHAPES.finditer(text):
            found.append(f"{where}: {match.group()[:12]}... looks like a secret")
    return found


async def test_no_secret_in_any_output(secret_sandbox: Sandbox, all_logs: io.StringIO) -> None:
    sb = secret_sandbox
    seen = Evidence()
    await _client_flows(sb, seen)
    await asyncio.to_thread(_sync_flows, sb, seen)
    await _loader_flows(sb, seen)
    await asyncio.to_thread(_cli_flows, sb, seen)
    await _tool_flows(sb, seen)  # revokes the Stripe key at its end
    seen.add("all log records", all_logs.getvalue())
    known = {
        sb.client_secret,
        sb.other_workspace.client_secret,
        sb.stripe_secret_key,
        WRONG_SECRET,
        *seen.tokens,
    }
    assert len(seen.tokens) >= 6, "the flows did not obtain the tokens they should have"
    assert "answered 401: refreshing the token" in all_logs.getvalue(), "no 401 replay was logged"
    assert "Obtained a scoped token" in all_logs.getvalue(), "DEBUG records were not captured"
    leaks = _leaks(seen, known)
    assert not leaks, f"{len(leaks)} leaks:\n" + "\n".join(leaks)


async def test_every_package_logger_redacts(all_logs: io.StringIO) -> None:
    """A record of any of the package's loggers reaches handlers with the secrets masked.

    The package logger carries the redacting filter; modules that log on a child logger (tools,
    documents) must get the same treatment, or their records (tracebacks of unexpected errors,
    skipped-file reasons, URLs) bypass it.
    """
    secret = "sbx_secret_" + "L" * 32
    await AirbyteEmbeddedClient(client_id="cid", client_secret=secret).aclose()  # registers it
    names = sorted(  # the loggers the package's modules made (placeholders aside)
        name
        for name, made in logging.Logger.manager.loggerDict.items()
        if isinstance(made, logging.Logger)
        and name.startswith("airbyte_embedded_tools")
        and ".sandbox" not in name
    )
    assert "airbyte_embedded_tools.tools" in names
    for name in names:
        logging.getLogger(name).warning("%s: secret %s, header Bearer %s", name, secret, secret)
    unredacted = [line for line in all_logs.getvalue().splitlines() if secret in line]
    assert not unredacted, "records of these loggers were not redacted:\n" + "\n".join(
        line.split(" ", 1)[0] for line in unredacted
    )
