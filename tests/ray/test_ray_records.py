"""Ray's record rows against the single-process ApiDocumentLoader, whole and split by created."""

from __future__ import annotations

import json

import pytest
from ray_customers import Customers

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents import ApiDocumentLoader
from airbyte_embedded_tools.ray import RecordSource, read_records

pytestmark = pytest.mark.usefixtures("ray_session")


async def test_record_rows_match_the_loader_split_or_not(customers: Customers) -> None:
    sb = customers.sandbox
    whole, split = sb.tenants[:2]
    expected = {}
    for tenant in (whole, split):
        async with AirbyteEmbeddedClient(
            client_id=sb.client_id,
            client_secret=sb.client_secret,
            workspace_id=tenant.workspace_id,
            base_url=sb.base_url,
        ) as client:
            loader = ApiDocumentLoader(client, tenant.stripe_source_id, params={"limit": 5})
            expected[tenant.name] = [d async for d in loader.alazy_load()]
    created = sorted(d.metadata["record"]["created"] for d in expected[split.name])
    splits = tuple(sorted({created[len(created) * k // 4] for k in (1, 2, 3)}))
    sources = [
        RecordSource(
            customer=tenant.name,
            workspace_id=tenant.workspace_id,
            source_id=tenant.stripe_source_id,
            params={"limit": 5},
            created_splits=cuts,
        )
        for tenant, cuts in ((whole, ()), (split, splits))
    ]
    assert len(sources[1].created_ranges()) == 4
    rows = read_records(sources, customers.credentials).take_all()
    for source in sources:
        documents = expected[source.customer]
        want = {d.id: (d.text, {**d.metadata, "customer": source.customer}) for d in documents}
        got = [r for r in rows if r["customer"] == source.customer]
        assert len(got) == len(documents) > 10, "several pages of 5"
        assert {r["id"]: (r["text"], json.loads(r["metadata"])) for r in got} == want
        assert all(source.customer in r["text"] for r in got), "each tenant's own records"


def test_created_splits_refuse_a_created_filter_in_params() -> None:
    source = RecordSource(
        customer="x",
        workspace_id="w",
        source_id="s",
        params={"created[gte]": 1},
        created_splits=(5,),
    )
    with pytest.raises(ValueError, match="created filter"):
        source.created_ranges()
    with pytest.raises(ValueError, match="ascending"):
        RecordSource(customer="x", workspace_id="w", source_id="s", created_splits=(5, 3))
