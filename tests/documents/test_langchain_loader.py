"""LangChain's AirbyteEmbeddedLoader over the sandbox: sync and async, with both clients, inside
a running event loop, incremental, from_api, and a splitter + in-memory vector store pipeline."""

from __future__ import annotations

import asyncio
import gc
import threading
from itertools import islice

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._integrations.langchain_loader import AirbyteEmbeddedLoader
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.documents.loader import LoadState, file_document_id
from airbyte_embedded_tools.sandbox import Sandbox

CONTRACTS = [
    "contracts/acme-master-services-agreement.md",
    "contracts/globex-order-form.pdf",
    "contracts/initech-sla.html",
]


def loop_threads() -> int:
    """How many client loop threads (SyncAirbyteEmbeddedClient's) are alive."""
    return sum(t.name == "airbyte-embedded-tools-loop" for t in threading.enumerate())


def check_contracts(documents: list[Document], sb: Sandbox) -> None:
    assert [d.metadata["path"] for d in documents] == CONTRACTS
    for document in documents:
        assert isinstance(document, Document)
        assert document.id == file_document_id(sb.file_source_id, document.metadata["path"])
        assert document.page_content
        assert document.metadata["page"] is None


def test_sync_load_with_a_sync_client(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(sync_client, sandbox.file_source_id, prefix="contracts/")
    check_contracts(loader.load(), sandbox)


async def test_sync_load_inside_a_running_event_loop(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    asyncio.get_running_loop()  # as in a notebook cell: a loop is running in this thread
    loader = AirbyteEmbeddedLoader(sync_client, sandbox.file_source_id, prefix="contracts/")
    check_contracts(loader.load(), sandbox)


async def test_async_load_with_the_async_client(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(client, sandbox.file_source_id, prefix="contracts/")
    check_contracts(await loader.aload(), sandbox)
    streamed = [d.metadata["path"] async for d in loader.alazy_load()]
    assert streamed == CONTRACTS


async def test_async_load_with_a_sync_client(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(sync_client, sandbox.file_source_id, prefix="contracts/")
    check_contracts([d async for d in loader.alazy_load()], sandbox)


def test_sync_load_with_a_fresh_async_client(sandbox: Sandbox) -> None:
    client = AirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    )
    threads = loop_threads()
    loader = AirbyteEmbeddedLoader(
        client, Source.files(sandbox.file_source_id), prefix="contracts/"
    )
    check_contracts(loader.load(), sandbox)
    check_contracts(loader.load(), sandbox)
    assert loop_threads() == threads + 1  # one loop thread owns the client for every run
    pool = client._http
    tokens = sandbox.token_requests
    other = AirbyteEmbeddedLoader(client, sandbox.file_source_id, prefix="contracts/")
    check_contracts(asyncio.run(other.aload()), sandbox)  # async runs go through it too
    assert loop_threads() == threads + 1
    assert client._http is pool  # one pool and one token cache across runs and loaders
    assert sandbox.token_requests == tokens
    del loader, other
    gc.collect()
    assert loop_threads() == threads  # gone with the last loader over the client
    # The client is still usable on a loop of the caller's own afterwards.
    entries = asyncio.run(client.list_files(sandbox.file_source_id, "contracts/"))
    assert [e.path for e in entries] == CONTRACTS
    asyncio.run(client.aclose())


def test_stopping_early_then_loading_again(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(sync_client, sandbox.file_source_id, max_concurrency=2)
    documents = loader.lazy_load()
    first_two = list(islice(documents, 2))
    documents.close()  # type: ignore[attr-defined]
    assert len(first_two) == 2
    assert loader.removed == []
    check_contracts(
        AirbyteEmbeddedLoader(sync_client, sandbox.file_source_id, prefix="contracts/").load(),
        sandbox,
    )


def test_incremental_loader_advances_its_state(
    fresh_sync_client: SyncAirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(
        fresh_sync_client, fresh_sandbox.file_source_id, prefix="notes/", state=LoadState()
    )
    assert len(loader.load()) == 3
    assert loader.load() == []
    (fresh_sandbox.files_dir / "notes" / "legacy-latin1.txt").write_text("Réunion annulée.\n")
    (fresh_sandbox.files_dir / "notes" / "multilingual-utf16.txt").unlink()
    [changed] = loader.load()
    assert changed.page_content == "Réunion annulée.\n"
    assert loader.removed == ["notes/multilingual-utf16.txt"]
    assert loader.state is not None
    assert sorted(loader.state.files) == [
        "notes/2025-06-12-customer-success-sync.txt",
        "notes/empty.txt",
        "notes/legacy-latin1.txt",
    ]

    full = AirbyteEmbeddedLoader(fresh_sync_client, fresh_sandbox.file_source_id, prefix="notes/")
    assert len(full.load()) == 2
    assert len(full.load()) == 2  # no state given: every run loads everything
    assert full.state is not None
    assert len(full.state.files) == 3


def test_from_api_keeps_the_raw_record(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader.from_api(
        sync_client, Source.api(sandbox.stripe_source_id), "/v1/charges", max_records=30
    )
    documents = loader.load()
    assert len(documents) == 30
    assert len({d.id for d in documents}) == 30
    charge = documents[0]
    assert set(charge.metadata) == {"source_id", "url", "record_id", "object", "record"}
    assert charge.metadata["object"] == "charge"
    assert charge.metadata["record"]["id"] == charge.metadata["record_id"]
    assert charge.metadata["url"] == "https://api.stripe.com/v1/charges"
    assert f"id: {charge.metadata['record_id']}" in charge.page_content


async def test_splitter_and_in_memory_vector_store(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader = AirbyteEmbeddedLoader(client, sandbox.file_source_id, exclude=["data/**"])
    documents = await loader.aload()
    splitter = RecursiveCharacterTextSplitter(chunk_size=300, chunk_overlap=0)
    chunks = splitter.split_documents(documents)
    assert len(chunks) > len(documents)
    assert all(set(c.metadata) == set(documents[0].metadata) for c in chunks)

    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))
    ids = await store.aadd_documents(chunks)
    assert len(ids) == len(chunks)
    target = next(c for c in chunks if "Severity 2 (degraded)" in c.page_content)
    [hit] = await store.asimilarity_search(target.page_content, k=1)
    assert hit.metadata["path"] == "contracts/initech-sla.html"
    assert "Severity 2 (degraded)" in hit.page_content
    csv_chunks = [c for c in chunks if c.metadata["path"] == "reports/q3-revenue.csv"]
    assert all(c.page_content.startswith("month,region,") for c in csv_chunks)
