"""Ray's file rows against the single-process loader, customer by customer, on the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ray_customers import ACME, Customers

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents import FileDocumentLoader, LoadState
from airbyte_embedded_tools.ray import FileSource, read_files, updated_states

pytestmark = pytest.mark.usefixtures("ray_session")


async def _loader_run(c: Customers, source: FileSource, state: LoadState | None = None) -> Any:
    async with AirbyteEmbeddedClient(
        client_id=c.sandbox.client_id,
        client_secret=c.sandbox.client_secret,
        workspace_id=source.workspace_id,
        base_url=c.sandbox.base_url,
    ) as client:
        loader = FileDocumentLoader(client, source.source_id, prefix=source.prefix, state=state)
        documents = [d async for d in loader.alazy_load()]
        return documents, loader


def _by_customer(rows: list[dict[str, Any]], customer: str, status: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["customer"] == customer and r["status"] == status]


async def test_rows_match_the_loader_for_every_customer(customers: Customers) -> None:
    rows = read_files(customers.sources, customers.credentials, files_per_task=6).take_all()
    assert len(customers.sources) > 20
    states = updated_states(rows)
    skipped_reasons = set()
    for source in customers.sources:
        documents, loader = await _loader_run(customers, source)
        expected = {d.id: (d.text, {**d.metadata, "customer": source.customer}) for d in documents}
        got = {
            r["id"]: (r["text"], json.loads(r["metadata"]))
            for r in _by_customer(rows, source.customer, "document")
        }
        assert got == expected, source.customer
        assert len(_by_customer(rows, source.customer, "document")) == len(documents)
        skipped = {(r["path"], r["reason"]) for r in _by_customer(rows, source.customer, "skipped")}
        assert skipped == {(s.path, s.reason) for s in loader.skipped}, source.customer
        skipped_reasons |= {reason for _, reason in skipped}
        assert states[source.customer] == loader.state, source.customer
    assert len(skipped_reasons) >= 2, "the binary and the broken PDF are skipped with reasons"
    assert not [r for r in rows if r["status"] == "error"]


async def test_incremental_runs_share_the_loaders_state(fresh_customers: Customers) -> None:
    c = fresh_customers
    first = read_files(c.sources, c.credentials).take_all()
    states = updated_states(first)
    assert read_files(c.sources, c.credentials, state=states).count() == 0

    # A state the single-process loader made works here too, and the other way round.
    tenant = c.sources[1]
    _, loader = await _loader_run(c, tenant)
    assert read_files([tenant], c.credentials, state={tenant.customer: loader.state}).count() == 0

    (c.root / "notes.md").write_text("# Acme\n\nRewritten notes.\n", encoding="utf-8")
    (c.root / "ticket.txt").unlink()
    rows = read_files(c.sources, c.credentials, state=states).take_all()
    assert {(r["customer"], r["status"], r["path"]) for r in rows} == {
        (ACME, "document", "notes.md"),
        (ACME, "removed", "ticket.txt"),
    }
    assert "Rewritten" in next(r["text"] for r in rows if r["status"] == "document")
    after = updated_states(rows, states)
    _, again = await _loader_run(c, c.sources[0], states[ACME])
    assert after[ACME] == again.state
    assert after[tenant.customer] == states[tenant.customer]
    assert read_files(c.sources, c.credentials, state=after).count() == 0
