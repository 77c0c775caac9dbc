"""API records as documents over the sandbox's Stripe: every invoice exactly once across pages,
max_records, filters, rendering and metadata."""

from __future__ import annotations

import math
from urllib.parse import parse_qs

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import UpstreamError
from airbyte_embedded_tools.documents.errors import ParseError
from airbyte_embedded_tools.documents.loader import ApiDocumentLoader, record_document_id
from airbyte_embedded_tools.documents.records import SinglePage
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.stripe_data import build_dataset

INVOICES = build_dataset(42).invoices


def invoice_pages(sb: Sandbox, since: int) -> list[dict[str, list[str]]]:
    """The query of every upstream GET /v1/invoices since log index ``since``."""
    return [
        parse_qs(r.query)
        for r in sb.upstream_requests[since:]
        if r.method == "GET" and r.path == "/v1/invoices"
    ]


async def test_every_invoice_exactly_once_across_pages(
    fresh_client: AirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    assert len(INVOICES) > 500
    since = len(fresh_sandbox.upstream_requests)
    loader = ApiDocumentLoader(fresh_client, fresh_sandbox.stripe_source_id, "/v1/invoices")
    documents = [d async for d in loader.alazy_load()]

    record_ids = [d.metadata["record_id"] for d in documents]
    assert len(record_ids) == len(set(record_ids)) == len(INVOICES)
    assert set(record_ids) == {invoice["id"] for invoice in INVOICES}
    pages = invoice_pages(fresh_sandbox, since)
    assert len(pages) == math.ceil(len(INVOICES) / 100)
    assert all(page["limit"] == ["100"] for page in pages)
    assert "starting_after" not in pages[0]
    assert [page["starting_after"][0] for page in pages[1:]] == [
        record_ids[n * 100 - 1] for n in range(1, len(pages))
    ]

    first = documents[0]
    assert first.metadata["object"] == "invoice"
    assert first.metadata["source_id"] == fresh_sandbox.stripe_source_id
    assert first.metadata["url"] == "https://api.stripe.com/v1/invoices"
    assert first.metadata["record"]["id"] == first.metadata["record_id"]
    assert first.id == record_document_id(fresh_sandbox.stripe_source_id, first.metadata["record"])
    lines = first.text.split("\n")
    assert f"id: {first.metadata['record_id']}" in lines
    assert any(line.startswith("lines.data.0.amount: ") for line in lines)
    assert any(line.startswith("customer: cus_") for line in lines)


async def test_max_records_and_filters(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    since = len(sandbox.upstream_requests)
    capped = ApiDocumentLoader(client, sandbox.stripe_source_id, max_records=150)
    assert len([d async for d in capped.alazy_load()]) == 150
    assert len(invoice_pages(sandbox, since)) == 2

    paid = ApiDocumentLoader(
        client, sandbox.stripe_source_id, "/v1/invoices", params={"status": "paid", "limit": 25}
    )
    documents = [d async for d in paid.alazy_load()]
    assert documents
    assert {d.metadata["record"]["status"] for d in documents} == {"paid"}
    assert all("status: paid" in d.text.split("\n") for d in documents)
    assert documents[0].metadata["url"] == "https://api.stripe.com/v1/invoices?status=paid&limit=25"

    customers = ApiDocumentLoader(client, sandbox.stripe_source_id, "v1/customers", max_records=3)
    assert [d.metadata["object"] async for d in customers.alazy_load()] == ["customer"] * 3


async def test_one_object_without_pagination(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    invoice_id = INVOICES[7]["id"]
    loader = ApiDocumentLoader(
        client,
        sandbox.stripe_source_id,
        f"/v1/invoices/{invoice_id}",
        record_path=None,
        paginator=SinglePage(),
    )
    [document] = [d async for d in loader.alazy_load()]
    assert document.metadata["record_id"] == invoice_id
    assert document.id == record_document_id(sandbox.stripe_source_id, INVOICES[7])


async def test_errors_surface(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    listing = ApiDocumentLoader(client, sandbox.stripe_source_id, "/v1/invoices/in_nope")
    with pytest.raises(UpstreamError, match="unknown parameter: limit"):
        _ = [d async for d in listing.alazy_load()]
    missing = ApiDocumentLoader(
        client,
        sandbox.stripe_source_id,
        "/v1/invoices/in_nope",
        record_path=None,
        paginator=SinglePage(),
    )
    with pytest.raises(UpstreamError) as info:
        _ = [d async for d in missing.alazy_load()]
    assert info.value.upstream_status == 404

    wrong_path = ApiDocumentLoader(client, sandbox.stripe_source_id, record_path="items")
    with pytest.raises(ParseError, match="record_path"):
        _ = [d async for d in wrong_path.alazy_load()]
