"""Unit tests of record extraction and rendering, and of the paginators' decisions."""

from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._models import ProxyResponse
from airbyte_embedded_tools.documents.errors import ParseError
from airbyte_embedded_tools.documents.records import (
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageRequest,
    StripePaginator,
    api_url,
    extract_records,
    flatten_record,
    get_path,
    next_link,
    render_record,
)

INVOICE: dict[str, Any] = {
    "id": "in_123",
    "object": "invoice",
    "customer": "cus_9",
    "paid": False,
    "amount_due": 1250,
    "description": None,
    "footer": "",
    "metadata": {},
    "tags": ["a", "b", None],
    "lines": {
        "object": "list",
        "data": [
            {"id": "il_1", "amount": 1000, "price": {"id": "price_1", "currency": "usd"}},
            {"id": "il_2", "amount": 250, "period": {"start": 1, "end": 2}},
        ],
        "has_more": False,
    },
    "memo": "line one\n   line   two " + "x" * 600,
}


def test_get_path_walks_objects_and_list_indexes() -> None:
    body = {"paging": {"next": {"link": "u"}}, "items": [{"id": 1}, {"id": 2}]}
    assert get_path(body, "paging.next.link") == "u"
    assert get_path(body, "items.1.id") == 2
    assert get_path(body, "items.-1.id") == 2
    assert get_path(body, "items.5.id", "missing") == "missing"
    assert get_path(body, None) is body


def test_extract_records() -> None:
    assert extract_records({"data": [1, 2]}) == [1, 2]
    assert extract_records({"result": {"items": [{"a": 1}]}}, "result.items") == [{"a": 1}]
    assert extract_records({"id": "x"}, None) == [{"id": "x"}]
    assert extract_records([{"id": 1}], None) == [{"id": 1}]
    assert extract_records({"data": None}) == []
    with pytest.raises(ParseError, match="record_path"):
        extract_records({"items": []}, "data")


def test_flatten_record_dotted_keys_joined_lists_indexed_objects() -> None:
    flat = flatten_record(INVOICE)
    assert flat["id"] == "in_123"
    assert flat["paid"] == "false"
    assert flat["tags"] == "a, b"
    assert flat["lines.data.0.amount"] == "1000"
    assert flat["lines.data.0.price.currency"] == "usd"
    assert flat["lines.data.1.period.end"] == "2"
    assert flat["lines.has_more"] == "false"
    for empty in ("description", "footer", "metadata"):
        assert empty not in flat
    assert flat["memo"].startswith("line one line two xx")
    assert len(flat["memo"]) == 500
    assert flat["memo"].endswith("…")


def test_flatten_record_takes_any_mapping_and_scalar_subclasses() -> None:
    class Status(str):
        pass

    class Flag(int):
        pass

    record = MappingProxyType(
        {
            "id": Status("  in_1\n"),
            "nested": OrderedDict(a=Flag(3), b=True, c=1.5),
            "items": (1, None, "x"),
            "": "no name",
        }
    )
    assert flatten_record(record) == {
        "id": "in_1",
        "nested.a": "3",
        "nested.b": "true",
        "nested.c": "1.5",
        "items": "(1, None, 'x')",
        "value": "no name",
    }


def test_render_record_is_key_value_lines() -> None:
    text = render_record(INVOICE, max_value_chars=None)
    lines = text.split("\n")
    assert lines[0] == "id: in_123"
    assert "object: invoice" in lines
    assert "lines.data.1.amount: 250" in lines
    assert all(": " in line for line in lines)
    assert render_record("plain") == "value: plain"


def test_api_url() -> None:
    assert api_url("/v1/invoices") == "https://api.stripe.com/v1/invoices"
    assert api_url("v1/charges") == "https://api.stripe.com/v1/charges"
    assert api_url("https://api.stripe.com/v1/x?y=1") == "https://api.stripe.com/v1/x?y=1"
    with pytest.raises(ConfigurationError, match="unknown API connector"):
        api_url("/v1/x", connector="nope")


def _response(headers: dict[str, str] | None = None) -> ProxyResponse:
    return ProxyResponse(status_code=200, headers=headers or {}, content=b"{}")


def test_stripe_paginator() -> None:
    pager = StripePaginator()
    first = pager.first(PageRequest("https://api.stripe.com/v1/invoices", {"status": "open"}))
    assert first.params == {"limit": 100, "status": "open"}
    assert pager.first(PageRequest("u", {"limit": 5})).params == {"limit": 5}
    records = [{"id": "in_1"}, {"id": "in_2"}]
    nxt = pager.next(first, _response(), {"has_more": True}, records)
    assert nxt is not None
    assert nxt.params == {"limit": 100, "status": "open", "starting_after": "in_2"}
    assert pager.next(first, _response(), {"has_more": False}, records) is None
    assert pager.next(first, _response(), {"has_more": True}, []) is None
    with pytest.raises(ParseError, match="has_more"):
        pager.next(first, _response(), {"has_more": True}, [{"name": "no id"}])


def test_next_url_paginator_resolves_relative_urls() -> None:
    pager = NextUrlPaginator("paging.next")
    req = pager.first(PageRequest("https://api.example.com/v1/items", {"q": "x"}))
    nxt = pager.next(req, _response(), {"paging": {"next": "/v1/items?cursor=2"}}, [1])
    assert nxt == PageRequest("https://api.example.com/v1/items?cursor=2")
    assert pager.next(req, _response(), {"paging": {"next": None}}, [1]) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"',
            "https://a/x?page=2",
        ),
        ('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel=next', "https://a/x?page=3"),
        ('<https://a/x?p=3>; title="a, b"; rel="prefetch next"', "https://a/x?p=3"),
        ('<https://a/x?page=1>; rel="prev"', None),
        ('<https://a/x?page=1>; REL="Next"', "https://a/x?page=1"),
    ],
)
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link(header) == expected


def test_link_header_paginator() -> None:
    pager = LinkHeaderPaginator()
    req = pager.first(PageRequest("https://api.example.com/items", {"per_page": 2}))
    nxt = pager.next(req, _response({"Link": '</items?page=2>; rel="next"'}), [], [1, 2])
    assert nxt == PageRequest("https://api.example.com/items?page=2")
    assert pager.next(req, _response(), [], [1, 2]) is None


def test_offset_paginator_stops_on_a_short_page() -> None:
    pager = OffsetPaginator(limit=2)
    first = pager.first(PageRequest("u", {"q": "x"}))
    assert first.params == {"q": "x", "offset": 0, "limit": 2}
    second = pager.next(first, _response(), None, [1, 2])
    assert second is not None
    assert second.params == {"q": "x", "offset": 2, "limit": 2}
    assert pager.next(second, _response(), None, [3]) is None


def test_page_request_full_url() -> None:
    assert PageRequest("https://h/p", {"a": 1, "b": "x y"}).full_url == "https://h/p?a=1&b=x+y"
    assert PageRequest("https://h/p?z=1", {"a": 1}).full_url == "https://h/p?z=1&a=1"
    assert PageRequest("https://h/p").full_url == "https://h/p"
