"""Requests httpx cannot build or send become ``InvalidRequestError`` naming no huge value."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from client_fakes import FakeAirbyte

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import InvalidRequestError

MakeClient = Callable[..., AirbyteEmbeddedClient]
CUSTOMERS = "https://api.stripe.com/v1/customers"
HUGE = "A" * 70_000  # past httpx's 65,536-character URL limit


async def _drain(pieces: AsyncIterator[Any]) -> None:
    async for _ in pieces:
        pass


CALLS: dict[str, Callable[[AirbyteEmbeddedClient], Awaitable[Any]]] = {
    "proxy params value": lambda c: c.proxy_request("src", "GET", CUSTOMERS, params={"q": HUGE}),
    "proxy params name": lambda c: c.proxy_request("src", "GET", CUSTOMERS, params={HUGE: 1}),
    "proxy url": lambda c: c.proxy_request("src", "GET", f"{CUSTOMERS}/{HUGE}"),
    "proxy source id": lambda c: c.proxy_request(HUGE, "GET", CUSTOMERS),
    "read_file": lambda c: c.read_file("src", HUGE),
    "stream_file": lambda c: _drain(c.stream_file("src", HUGE)),
    "list_files": lambda c: c.list_files("src", HUGE),
    "iter_files": lambda c: _drain(c.iter_files("src", HUGE)),
    "list_folder": lambda c: c.list_folder("src", HUGE),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_a_url_too_long_is_refused_before_sending(
    fake: FakeAirbyte, make_client: MakeClient, call: Callable[[AirbyteEmbeddedClient], Any]
) -> None:
    with pytest.raises(InvalidRequestError, match="Refused before sending") as caught:
        await call(make_client())
    assert "too long" in str(caught.value)
    assert len(str(caught.value)) < 400, "the message echoes the huge value"
    assert caught.value.__cause__ is None
    assert fake.api_requests() == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [({"a": float("nan")}, "cannot be encoded"), ({"a": object()}, "cannot be encoded")],
    ids=["nan", "object"],
)
async def test_a_body_that_is_not_json_is_refused_before_sending(
    fake: FakeAirbyte, make_client: MakeClient, body: Any, problem: str
) -> None:
    with pytest.raises(InvalidRequestError, match=problem):
        await make_client().proxy_request("src", "POST", CUSTOMERS, json=body)
    assert fake.api_requests() == []


async def test_a_token_request_that_cannot_be_built_is_refused(fake: FakeAirbyte) -> None:
    """The token exchange goes through the same net (here its URL is too long)."""
    client = AirbyteEmbeddedClient(
        "cid",
        "client-secret-value",
        base_url="https://api.airbyte.test/" + "b" * 65_500,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
    )
    with pytest.raises(InvalidRequestError, match="Refused before sending: the URL is invalid"):
        await client.get_token()
    assert fake.requests == []


async def test_a_header_h11_refuses_is_not_retried_and_not_echoed(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    """h11's message quotes the header value (a token): the error must not, nor chain it."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError("Illegal header value b'Bearer tok-secret-value'")

    fake.handler = handler
    with pytest.raises(InvalidRequestError, match="header value is not allowed") as caught:
        await make_client().list_files("src")
    assert "tok-secret-value" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None  # not even a suppressed one
    assert len(fake.api_requests()) == 1, "a request h11 refuses is not worth retrying"
