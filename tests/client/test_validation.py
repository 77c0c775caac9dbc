"""Unit tests of what the client refuses before sending, its construction, repr and lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import FakeAirbyte, body_of

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError, InvalidRequestError

MakeClient = Callable[..., AirbyteEmbeddedClient]
INVOICES = "https://api.stripe.com/v1/invoices"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "https://api.stripe.com@evil.com/v1/x"}, "user info"),
        ({"url": "https://user:pw@api.stripe.com/v1/x"}, "user info"),
        ({"url": "https://evil.com/v1/x"}, "not a connector API host"),
        ({"url": "http://api.stripe.com/v1/x"}, "https://"),
        ({"url": "//evil.com/v1/invoices"}, "names a host, not a path"),
        ({"url": "https://api.stripe.com:8443/v1/x"}, "port"),
        ({"url": "https://api.stripe.com/v1/x\r\nX-Evil: 1"}, "control character"),
        ({"headers": {"X-Ok": "a\r\nInjected: b"}}, "CR, LF or NUL"),
        ({"headers": {"X-Ok": "a\x00"}}, "CR, LF or NUL"),
        ({"headers": {"Bad Name": "v"}}, "invalid header name"),
        ({"headers": {"X\nY": "v"}}, "invalid header name"),
        ({"headers": {"Authorization": "Bearer mine"}}, "Authorization"),
        ({"headers": {"authorization": "Bearer mine"}}, "authorization"),
        ({"headers": {"Proxy-Authorization": "x"}}, "Proxy-Authorization"),
        ({"headers": {"Cookie": "a=b"}}, "Cookie"),
        ({"headers": {"Host": "evil.com"}}, "Host"),
        ({"method": "TRACE"}, "unsupported HTTP method"),
        ({"method": "GET /x HTTP/1.1\r\n"}, "unsupported HTTP method"),
        ({"json": {"a": 1}, "data": {"b": 2}}, "not both"),
        ({"data": "a=1&b=2"}, "mapping"),
    ],
)
async def test_proxy_request_refuses_before_sending(
    fake: FakeAirbyte, make_client: MakeClient, kwargs: dict[str, Any], message: str
) -> None:
    call: dict[str, Any] = {"method": "GET", "url": INVOICES, **kwargs}
    with pytest.raises(InvalidRequestError, match=message):
        await make_client().proxy_request("src", **call)
    assert fake.requests == []


async def test_proxy_request_builds_the_body(fake: FakeAirbyte, make_client: MakeClient) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "cus_1"})

    fake.handler = handler
    client = make_client(allowed_hosts=["api.example.com"])
    await client.proxy_request(
        "src",
        "post",
        "https://api.stripe.com/v1/customers?expand[]=x#frag",
        params={"limit": 3, "flag": True},
        headers={"Idempotency-Key": "k1"},
        data={"email": "a@b.c", "metadata": {"k": "v"}},
    )
    await client.proxy_request("src", "GET", "https://api.example.com/items")
    body = body_of(seen[0])
    assert seen[0].url.path == "/api/v1/sonar/apis/src/request"
    assert body["method"] == "POST"
    assert body["url"] == "https://api.stripe.com/v1/customers?expand%5B%5D=x&limit=3&flag=true"
    assert body["headers"] == {"Idempotency-Key": "k1"}
    assert body["body"] == {"email": "a@b.c", "metadata": {"k": "v"}}
    assert body_of(seen[1])["url"] == "https://api.example.com/items"
    assert "api.example.com" in client.allowed_hosts


@pytest.mark.parametrize(
    ("start", "end"), [(-1, None), (0, -5), (10, 3)], ids=["negative", "negative-end", "reversed"]
)
async def test_read_file_refuses_bad_ranges(
    fake: FakeAirbyte, make_client: MakeClient, start: int, end: int | None
) -> None:
    with pytest.raises(InvalidRequestError):
        await make_client().read_file("src", "a.txt", start, end)
    assert fake.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://api.airbyte.ai",
        "http://10.0.0.1:8000",
        "ftp://127.0.0.1",
        "api.airbyte.ai",
        "https://u:p@x.io",
    ],
)
def test_base_url_must_be_https_unless_loopback(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AirbyteEmbeddedClient("id", "secret", base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/",
        "http://localhost:1",
        "http://[::1]:9",
        "http://127.9.9.9",
        "https://x.io/",
    ],
)
def test_base_url_accepted_and_normalised(url: str) -> None:
    client = AirbyteEmbeddedClient("id", "secret", base_url=url)
    assert not client.base_url.endswith("/")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "client_id"),
        ({"client_id": "id"}, "client_secret"),
        ({"client_secret": "s"}, "AIRBYTE_CLIENT_ID"),
        ({"client_id": "id", "client_secret": "s", "token": "t"}, "not both"),
        ({"token": "t", "workspace_id": "w"}, "used as is"),
        (
            {"client_id": "i", "client_secret": "s", "workspace_id": "w", "workspace_name": "n"},
            "not both",
        ),
        ({"client_id": "i", "client_secret": "s", "max_retries": -1}, "max_retries"),
    ],
)
def test_construction_errors_name_what_to_fix(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AirbyteEmbeddedClient(**kwargs)


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AIRBYTE_CLIENT_ID",
        "AIRBYTE_CLIENT_SECRET",
        "AIRBYTE_ACCESS_TOKEN",
        "AIRBYTE_WORKSPACE_ID",
        "AIRBYTE_WORKSPACE_NAME",
        "AIRBYTE_ORGANIZATION_ID",
        "AIRBYTE_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="AIRBYTE_CLIENT_ID, AIRBYTE_CLIENT_SECRET"):
        AirbyteEmbeddedClient.from_env()
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", "env-id")
    with pytest.raises(ConfigurationError, match="AIRBYTE_CLIENT_SECRET") as info:
        AirbyteEmbeddedClient.from_env()
    assert "AIRBYTE_CLIENT_ID," not in str(info.value)
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "env-secret-value")
    monkeypatch.setenv("AIRBYTE_WORKSPACE_ID", "ws-1")
    monkeypatch.setenv("AIRBYTE_API_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("AIRBYTE_ACCESS_TOKEN", "ignored-token")
    client = AirbyteEmbeddedClient.from_env(max_retries=5)
    assert client.base_url == "http://127.0.0.1:9999"
    assert client.workspace_id == "ws-1"
    assert client.max_retries == 5
    assert "client_credentials" in repr(client)
    monkeypatch.delenv("AIRBYTE_CLIENT_ID")
    monkeypatch.delenv("AIRBYTE_CLIENT_SECRET")
    client = AirbyteEmbeddedClient.from_env()
    assert "auth=token" in repr(client)
    assert client.workspace_id is None  # a ready-made token carries its own scope


def test_repr_shows_no_secret() -> None:
    client = AirbyteEmbeddedClient(
        "my-client-id", "super-secret-value", workspace_name="acme", base_url="https://x.io"
    )
    text = repr(client)
    assert "super-secret-value" not in text
    assert "acme" in text
    assert "static-token-abcdef" not in repr(
        AirbyteEmbeddedClient(token="static-token-abcdef", base_url="https://x.io")
    )


async def test_aclose_leaves_a_callers_http_client_open() -> None:
    http = httpx.AsyncClient()
    async with AirbyteEmbeddedClient("i", "s", http_client=http):
        pass
    assert not http.is_closed
    await http.aclose()
    own = AirbyteEmbeddedClient("i", "s")
    await own.aclose()
    assert own._http.is_closed


def test_timeout_settings() -> None:
    client = AirbyteEmbeddedClient("i", "s", timeout=5)
    assert client.timeout.read == 5
    assert client.timeout.connect == 5
    assert AirbyteEmbeddedClient("i", "s").timeout.connect == 10
    custom = httpx.Timeout(1, read=30)
    assert AirbyteEmbeddedClient("i", "s", timeout=custom).timeout is custom
    theirs = httpx.AsyncClient(timeout=7)
    assert AirbyteEmbeddedClient("i", "s", http_client=theirs).timeout.read == 7
