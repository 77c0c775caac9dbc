"""Ray's record rows against the single-process ApiDocumentLoader, whole and split by created."""

from __future__ import annotations

import json

import pytest
from ray_customers import Customers

from airbyte_embedded_tools.client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents import ApiDocumentLoader
from airbyte_embedded_tools.ray import RecordSource, read_records

pytestmark = pytest.mark.usefixtures("ray_session")


async def test_record_rows_match_the_loader_split_or_not(customers: Customers) -> None:
    sb = customers.sandbox
    params = {"limit": 100}
    async with AirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id,
        base_url=sb.base_url,
    ) as client:
        loader = ApiDocumentLoader(client, sb.stripe_source_id, params=params)
        documents = [d async for d in loader.alazy_load()]
    created = sorted(d.metadata["record"]["created"] for d in documents)
    splits = tuple(created[len(created) * k // 4] for k in (1, 2, 3))
    sources = [
        RecordSource(
            customer=name,
            workspace_id=sb.workspace_id,
            source_id=sb.stripe_source_id,
            params=params,
            created_splits=cuts,
        )
        for name, cuts in (("whole", ()), ("split", splits))
    ]
    rows = read_records(sources, customers.credentials).take_all()
    for source in sources:
        expected = {d.id: (d.text, {**d.metadata, "customer": source.customer}) for d in documents}
        got = [r for r in rows if r["customer"] == source.customer]
        assert len(got) == len(documents) > 500
        assert {r["id"]: (r["text"], json.loads(r["metadata"])) for r in got} == expected


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
