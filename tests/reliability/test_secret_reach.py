"""No raised error reaches a secret through anything attached to it.

For every error a failing flow raises, the whole object graph reachable from it is walked:
the exception's attributes, ``args``, ``__cause__``, ``__context__``, exception groups'
members, and any ``httpx.Request``/``Response`` found (their headers, URL, body and the
response's request), dicts, lists, tuples and the attributes of the package's, httpx's and
httpcore's own objects. Every string and bytes value found is searched for the client secret,
the bearer tokens and the Stripe key. Not covered: traceback frames' local variables (any
error reporter that captures locals sees the arguments the caller passed in, by design), and
``SecretStr`` values (masked in every repr, never serialised as their value).

Flows: a wrong client secret (token 401), a token endpoint that does not answer (transport
error, and a deadline past a dripping token endpoint), a proxy call dropped mid-answer, a
proxy status error (unknown source), an upstream error (``raise_for_status``), and the same
dropped call through the proxy tool's error path (its ``ToolResult``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from reliability_helpers import make_client

from airbyte_embedded_tools import AirbyteEmbeddedClient, AirbyteEmbeddedError
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools

pytestmark = pytest.mark.reliability

CUSTOMERS = "https://api.stripe.com/v1/customers"
WRONG_SECRET = "sbx_secret_" + "Q" * 32
_WALKED_MODULES = ("airbyte_embedded_tools", "httpx", "httpcore", "pydantic")


def reachable(root: object) -> Iterator[tuple[str, object]]:
    """(path, value) for every object reachable from ``root`` (see the module docstring)."""
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("error", root)]
    while stack:
        where, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield where, obj
        children: list[tuple[str, object]] = []
        if isinstance(obj, (str, bytes, bytearray, int, float, bool, type(None), SecretStr)):
            continue
        if isinstance(obj, BaseException):
            children += [(".__cause__", obj.__cause__), (".__context__", obj.__context__)]
            children += [(f"args[{i}]", a) for i, a in enumerate(obj.args)]
            children += [(f".{k}", v) for k, v in vars(obj).items()]
            children += [(f"[{i}]", e) for i, e in enumerate(getattr(obj, "exceptions", ()))]
            for name in ("request", "response"):  # httpx errors' properties
                with suppress(AttributeError, RuntimeError):
                    children.append((f".{name}", getattr(obj, name)))
        elif isinstance(obj, httpx.Request):
            children += [(".headers", list(obj.headers.raw)), (".url", str(obj.url))]
            children.append((".content", getattr(obj, "_content", b"")))
        elif isinstance(obj, httpx.Response):
            children += [(".headers", list(obj.headers.raw)), (".request", obj._request)]
            children.append((".content", getattr(obj, "_content", b"")))
        elif isinstance(obj, dict):
            children += [(f"[{k!r}]", v) for k, v in obj.items()] + [("key", k) for k in obj]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += [(f"[{i}]", v) for i, v in enumerate(obj)]
        elif type(obj).__module__.startswith(_WALKED_MODULES):
            names = list(getattr(obj, "__dict__", {})) + list(getattr(obj, "__slots__", ()))
            for name in names:
                with suppress(AttributeError):
                    children.append((f".{name}", getattr(obj, name)))
        stack += [(f"{where}{step}", child) for step, child in children]


def leaks(root: object, secrets: set[str]) -> list[str]:
    """Where in ``root``'s graph a secret shows, as paths ("error.__cause__.request...")."""
    found = []
    for where, value in reachable(root):
        text = value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value
        if isinstance(text, str) and any(s in text for s in secrets):
            found.append(where)
    return found


def caught(call: Any) -> Any:
    async def run() -> BaseException:
        try:
            await call
        except AirbyteEmbeddedError as exc:
            return exc
        raise AssertionError("expected an AirbyteEmbeddedError")

    return run()


@asynccontextmanager
async def silent_server(*, drip: bool) -> AsyncIterator[str]:
    """A token endpoint that answers nothing (closes) or drips a byte every 0.5 s."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            if drip:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n")
                for _ in range(500):
                    await asyncio.sleep(0.5)
                    writer.write(b" ")
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def test_the_walker_finds_a_secret_on_an_httpx_cause() -> None:
    """The check can fail: a bearer token on a cause's request is found."""
    request = httpx.Request("POST", "http://x/", headers={"Authorization": "Bearer tok-123"})
    error = AirbyteEmbeddedError("boom")
    error.__cause__ = httpx.ReadError("dropped", request=request)
    found = leaks(error, {"tok-123"})
    assert found
    assert all(w.startswith("error.__cause__.request") for w in found), found


async def test_token_failures_carry_no_secret(sandbox: Sandbox) -> None:
    errors = []
    wrong = AirbyteEmbeddedClient(
        client_id=sandbox.client_id, client_secret=WRONG_SECRET, base_url=sandbox.base_url
    )
    async with wrong:
        errors.append(await caught(wrong.proxy_request(sandbox.stripe_source_id, "GET", CUSTOMERS)))
    for drip in (False, True):
        async with silent_server(drip=drip) as url:
            client = AirbyteEmbeddedClient(
                client_id="id", client_secret=WRONG_SECRET, base_url=url, max_retries=1
            )
            async with client:
                errors.append(
                    await caught(client.proxy_request("src", "GET", CUSTOMERS, total_timeout=2))
                )
    for error in errors:
        assert leaks(error, {WRONG_SECRET}) == [], (type(error).__name__, error)
    assert {type(e).__name__ for e in errors} >= {"AuthenticationError", "APITimeoutError"}


async def test_proxy_failures_carry_no_token_nor_secret() -> None:
    with Sandbox(large_file_size=0) as sb:
        async with make_client(sb, max_retries=1) as client:
            token = (await client.get_token()).value.get_secret_value()
            secrets = {token, sb.client_secret, sb.stripe_secret_key}
            errors = [await caught(client.proxy_request("src_unknown", "GET", CUSTOMERS))]
            answer = await client.proxy_request(
                sb.stripe_source_id, "GET", CUSTOMERS + "/cus_missing"
            )
            try:
                answer.raise_for_status()
            except AirbyteEmbeddedError as exc:
                errors.append(exc)
            sb.set_faults(FaultConfig(rate_drop=1.0, targets=frozenset({"proxy"})))
            errors.append(await caught(client.proxy_request(sb.stripe_source_id, "GET", CUSTOMERS)))
            errors.append(
                await caught(
                    client.proxy_request(sb.stripe_source_id, "POST", CUSTOMERS, data={"name": "x"})
                )
            )
            tools = AirbyteEmbeddedTools(client, source_id=sb.stripe_source_id)
            result = await tools.tools[0].arun(path="/v1/customers")
    names = {type(e).__name__ for e in errors}
    assert names >= {"NotFoundError", "UpstreamError", "APIConnectionError"}, names
    for error in errors:
        assert leaks(error, secrets) == [], (type(error).__name__, error)
    assert result.is_error
    assert leaks(result, secrets) == []
