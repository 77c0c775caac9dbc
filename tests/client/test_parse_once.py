"""Each answer is parsed once: the proxy's JSON, the file list, and the upstream URL."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import FakeAirbyte

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import IncompleteReadError
from airbyte_embedded_tools._models import ProxyResponse

MakeClient = Callable[..., AirbyteEmbeddedClient]
INVOICES = "https://api.stripe.com/v1/invoices"
NESTED_BODY = {"object": "list", "data": [{"id": "in_1", "body": {"status_code": 200}}]}


@pytest.fixture
def json_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts ``json.loads`` calls (every parse in the package goes through it)."""
    calls: list[int] = []
    real = json.loads

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    return calls


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(200, json=NESTED_BODY), NESTED_BODY),
        (
            httpx.Response(404, json={"error": {"message": "No such"}}),
            {"error": {"message": "No such"}},
        ),
        (httpx.Response(200, json={"status_code": 201, "body": {"id": "x"}}), {"id": "x"}),
    ],
    ids=["pass-through with a nested 'body' key", "upstream error", "body envelope"],
)
async def test_a_proxied_answer_is_parsed_once_for_every_reader(
    fake: FakeAirbyte,
    make_client: MakeClient,
    json_loads: list[int],
    answer: httpx.Response,
    expected: Any,
) -> None:
    fake.handler = lambda request: answer
    client = make_client()
    await client.get_token()
    json_loads.clear()
    result = await client.proxy_request("src", "GET", INVOICES)
    assert result.json() == expected
    assert result.json() is result.json(), "json() must hand out its one parsed value"
    if result.status_code >= 400:
        with pytest.raises(Exception, match="No such"):
            result.raise_for_status()
    assert len(json_loads) == 1


async def test_a_cut_short_json_answer_is_still_caught_by_the_single_parse(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    cut = httpx.Response(
        200, content=b'{"object": "li', headers={"content-type": "application/json"}
    )
    fake.handler = lambda request: cut
    with pytest.raises(IncompleteReadError, match="not valid JSON"):
        await make_client(max_retries=1).proxy_request("src", "GET", INVOICES)
    assert len(fake.api_requests()) == 2


async def test_a_non_json_answer_is_kept_as_bytes_and_parsed_only_on_demand(
    fake: FakeAirbyte, make_client: MakeClient, json_loads: list[int]
) -> None:
    fake.handler = lambda request: httpx.Response(
        200, content=b"[1, 2]", headers={"content-type": "text/plain"}
    )
    client = make_client()
    await client.get_token()
    json_loads.clear()
    result = await client.proxy_request("src", "GET", INVOICES)
    assert json_loads == []
    assert result.json() == [1, 2]


async def test_a_file_list_page_is_parsed_once(
    fake: FakeAirbyte, make_client: MakeClient, json_loads: list[int]
) -> None:
    fake.handler = lambda request: httpx.Response(200, json={"files": [{"path": "a.txt"}]})
    client = make_client()
    await client.get_token()
    json_loads.clear()
    assert [e.path for e in await client.list_files("src")] == ["a.txt"]
    assert len(json_loads) == 1


async def test_the_upstream_url_is_parsed_once(
    fake: FakeAirbyte, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ``httpx.URL`` for the check; the debug line (off here) costs no parse."""
    fake.handler = lambda request: httpx.Response(200, json={})
    client = make_client()
    parsed: list[str] = []
    real = httpx.URL

    def counting(url: Any = "", **kwargs: Any) -> httpx.URL:
        parsed.append(str(url))
        return real(url, **kwargs)

    monkeypatch.setattr(httpx, "URL", counting)  # the client reaches it as httpx.URL
    package_logger = logging.getLogger("airbyte_embedded_tools")
    level = package_logger.level
    package_logger.setLevel(logging.INFO)
    try:
        await client.proxy_request("src", "GET", INVOICES + "?a=1#frag", params={"limit": 3})
    finally:
        package_logger.setLevel(level)
    assert parsed == [INVOICES + "?a=1#frag"]
    sent = json.loads(fake.api_requests()[0].content)["url"]
    assert sent == INVOICES + "?a=1&limit=3"


def test_proxy_response_parses_lazily_and_keeps_a_given_value() -> None:
    given = {"a": [1]}
    assert ProxyResponse(status_code=200, content=b'{"a": [1]}', parsed_json=given).json() is given
    lazy = ProxyResponse(status_code=200, content=b'{"b": 2}')
    assert lazy.json() is lazy.json()
    with pytest.raises(json.JSONDecodeError):
        ProxyResponse(status_code=200, content=b"<html>").json()
