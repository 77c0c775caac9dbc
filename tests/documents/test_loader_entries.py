"""``FileDocumentLoader(entries=...)`` loads a listing made earlier; whole-file reads are checked
against the listed size by the client (``expected_size``), so a short answer is never loaded."""

from __future__ import annotations

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents import FileDocumentLoader
from airbyte_embedded_tools.sandbox import Sandbox

CHOSEN = (
    "contracts/acme-master-services-agreement.md",
    "notes/2025-06-12-customer-success-sync.txt",
)


async def test_given_entries_are_loaded_instead_of_the_listing(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    source = fresh_sandbox.file_source_id
    listing = [e async for e in fresh_client.iter_files(source)]
    chosen = [e for e in listing if e.path in CHOSEN]
    assert len(chosen) == 2 < len(listing)
    loader = FileDocumentLoader(fresh_client, source, entries=chosen)
    documents = [d async for d in loader.alazy_load()]
    assert [d.metadata["path"] for d in documents] == [e.path for e in chosen]
    assert loader.state is not None
    assert sorted(loader.state.files) == sorted(e.path for e in chosen)


async def test_a_read_shorter_than_the_listed_size_is_skipped_not_loaded(
    fresh_sandbox: Sandbox,
) -> None:
    sb = fresh_sandbox
    async with AirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id,
        base_url=sb.base_url,
        max_retries=1,
    ) as client:
        listing = [e async for e in client.iter_files(sb.file_source_id)]
        entry = next(e for e in listing if e.path == CHOSEN[0])
        assert entry.size is not None
        grown = entry.model_copy(update={"size": entry.size + 10})
        loader = FileDocumentLoader(client, sb.file_source_id, entries=[grown])
        documents = [d async for d in loader.alazy_load()]
    assert documents == []
    assert [s.path for s in loader.skipped] == [entry.path]
    assert "retried next run" in loader.skipped[0].reason
    assert loader.state is not None
    assert entry.path not in loader.state.files
