"""The pluggable paginators over the real client, with a mock upstream (the sandbox only speaks
Stripe): next-URL-in-body, Link header, offset/limit, loop protection and upstream errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import UpstreamError
from airbyte_embedded_tools.documents.errors import ParseError
from airbyte_embedded_tools.documents.loader import ApiDocumentLoader
from airbyte_embedded_tools.documents.records import (
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    iter_api_records,
)

ITEMS = [{"id": f"it_{n:03d}", "object": "item", "n": n} for n in range(23)]
BASE = "https://api.example.com"

Upstream = Callable[[httpx.URL], httpx.Response]


@asynccontextmanager
async def proxied(
    upstream: Upstream,
) -> AsyncIterator[tuple[AirbyteEmbeddedClient, list[httpx.URL]]]:
    """A client whose proxy calls are answered by ``upstream`` (pass-through responses)."""
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/sonar/apis/src_1/request"
        body = json.loads(request.content)
        assert body["method"] == "GET"
        url = httpx.URL(body["url"])
        seen.append(url)
        return upstream(url)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = AirbyteEmbeddedClient(
            token="tok", http_client=http, allowed_hosts=["api.example.com"], max_retries=0
        )
        yield client, seen


async def collect(client: AirbyteEmbeddedClient, url: str, **options: Any) -> list[Any]:
    return [r async for r in iter_api_records(client, "src_1", url, **options)]


async def test_next_url_in_body() -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        cursor = int(url.params.get("cursor", "0"))
        page = ITEMS[cursor : cursor + 5]
        nxt = f"/v1/items?cursor={cursor + 5}&q=x" if cursor + 5 < len(ITEMS) else None
        return httpx.Response(200, json={"results": page, "paging": {"next": nxt}})

    async with proxied(upstream) as (client, seen):
        records = await collect(
            client,
            f"{BASE}/v1/items",
            params={"q": "x"},
            record_path="results",
            paginator=NextUrlPaginator("paging.next"),
        )
    assert records == ITEMS
    assert len(seen) == 5
    assert str(seen[1]) == f"{BASE}/v1/items?cursor=5&q=x"


async def test_link_header() -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        page = int(url.params.get("page", "1"))
        chunk = ITEMS[(page - 1) * 10 : page * 10]
        links = [f'<{BASE}/items?page=1>; rel="first"']
        if page * 10 < len(ITEMS):
            links.append(f'<{BASE}/items?page={page + 1}&per_page=10>; rel="next"')
        return httpx.Response(200, json=chunk, headers={"Link": ", ".join(links)})

    async with proxied(upstream) as (client, seen):
        records = await collect(
            client,
            f"{BASE}/items",
            params={"per_page": 10},
            record_path=None,
            paginator=LinkHeaderPaginator(),
        )
    assert records == ITEMS
    assert [u.params.get("page") for u in seen] == [None, "2", "3"]


@pytest.mark.parametrize(("total", "requests"), [(23, 5), (20, 5), (0, 1)])
async def test_offset_limit_stops_on_a_short_page(total: int, requests: int) -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        offset, limit = int(url.params["offset"]), int(url.params["limit"])
        return httpx.Response(200, json={"data": ITEMS[:total][offset : offset + limit]})

    async with proxied(upstream) as (client, seen):
        records = await collect(client, f"{BASE}/rows", paginator=OffsetPaginator(limit=5))
    assert records == ITEMS[:total]
    assert len(seen) == requests


async def test_max_records_stops_fetching() -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        offset, limit = int(url.params["offset"]), int(url.params["limit"])
        return httpx.Response(200, json={"data": ITEMS[offset : offset + limit]})

    async with proxied(upstream) as (client, seen):
        records = await collect(
            client, f"{BASE}/rows", paginator=OffsetPaginator(limit=5), max_records=7
        )
    assert records == ITEMS[:7]
    assert len(seen) == 2


async def test_a_paginator_looping_back_stops(caplog: pytest.LogCaptureFixture) -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        return httpx.Response(200, json={"data": ITEMS[:2], "next": f"{BASE}/loop"})

    async with proxied(upstream) as (client, seen):
        records = await collect(client, f"{BASE}/loop", paginator=NextUrlPaginator())
    assert records == ITEMS[:2]
    assert len(seen) == 1
    assert "loops back" in caplog.text


async def test_upstream_error_and_non_json_pages_raise() -> None:
    def missing(url: httpx.URL) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "No such thing", "code": "nope"}})

    async with proxied(missing) as (client, _):
        with pytest.raises(UpstreamError) as info:
            await collect(client, f"{BASE}/x", paginator=NextUrlPaginator())
    assert info.value.upstream_status == 404

    def html(url: httpx.URL) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    async with proxied(html) as (client, _):
        with pytest.raises(ParseError, match="did not answer JSON"):
            await collect(client, f"{BASE}/x", paginator=NextUrlPaginator())


async def test_api_loader_documents_with_a_custom_paginator() -> None:
    def upstream(url: httpx.URL) -> httpx.Response:
        offset, limit = int(url.params["offset"]), int(url.params["limit"])
        return httpx.Response(200, json={"data": ITEMS[offset : offset + limit]})

    async with proxied(upstream) as (client, _):
        loader = ApiDocumentLoader(
            client, "src_1", f"{BASE}/rows", params={"q": "a"}, paginator=OffsetPaginator(limit=10)
        )
        documents = [d async for d in loader.alazy_load()]
    assert len(documents) == 23
    assert len({d.id for d in documents}) == 23
    first = documents[0]
    assert first.text == "id: it_000\nobject: item\nn: 0"
    assert first.metadata == {
        "source_id": "src_1",
        "url": f"{BASE}/rows?q=a",
        "record_id": "it_000",
        "object": "item",
        "record": ITEMS[0],
    }
