"""LlamaIndex's AirbyteEmbeddedReader over the sandbox: the reader API (sync, async, lazy),
flat metadata, from_api, and an IngestionPipeline with a docstore that upserts."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode, Document, MetadataMode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.core.vector_stores import SimpleVectorStore

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._integrations.llama_index_reader import AirbyteEmbeddedReader
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.documents.loader import LoadState, file_document_id
from airbyte_embedded_tools.sandbox import Sandbox

FLAT = (str, int, float, type(None))


class CountingEmbedding(BaseEmbedding):
    """A deterministic embedding (a hash of the text) that records every text it embeds."""

    texts: list[str] = Field(default_factory=list)

    @staticmethod
    def _vector(text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [byte / 255 for byte in digest[:16]]

    def _get_text_embedding(self, text: str) -> list[float]:
        self.texts.append(text)
        return self._vector(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


def test_reader_documents_have_stable_ids_and_flat_metadata(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    reader = AirbyteEmbeddedReader(sync_client, sandbox.file_source_id, prefix="contracts/")
    assert reader.is_remote is True
    documents = reader.load_data()
    assert [d.metadata["path"] for d in documents] == [
        "contracts/acme-master-services-agreement.md",
        "contracts/globex-order-form.pdf",
        "contracts/initech-sla.html",
    ]
    for document in documents:
        assert isinstance(document, Document)
        assert document.id_ == file_document_id(sandbox.file_source_id, document.metadata["path"])
        assert all(isinstance(v, FLAT) for v in document.metadata.values())
        assert "page" not in document.metadata  # None values are left out
        embedded = document.get_content(MetadataMode.EMBED)
        assert "file_name: " in embedded
        assert "etag" not in embedded
        assert "etag" not in document.get_content(MetadataMode.LLM)
        assert "last_modified: " in document.get_content(MetadataMode.LLM)
    assert "client" not in reader.to_dict()
    assert reader.to_dict()["prefix"] == "contracts/"


def test_pdf_pages_as_documents(sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    reader = AirbyteEmbeddedReader(
        sync_client, sandbox.file_source_id, include="globex-*.pdf", pdf_mode="page"
    )
    pages = list(reader.lazy_load_data())
    assert [d.metadata["page"] for d in pages] == [1, 2, 3]
    assert len({d.id_ for d in pages}) == 3


async def test_async_reading_three_ways(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    reader = AirbyteEmbeddedReader(client, sandbox.file_source_id, prefix="tickets/")
    listed = await reader.aload_data()
    awaited = await reader.alazy_load_data()
    streamed = [d async for d in reader.alazy_load_data()]
    assert len(listed) == 12
    assert [d.id_ for d in awaited] == [d.id_ for d in listed]
    assert [d.text for d in streamed] == [d.text for d in listed]


async def test_sync_reading_inside_a_running_loop(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    asyncio.get_running_loop()
    reader = AirbyteEmbeddedReader(sync_client, sandbox.file_source_id, prefix="reports/")
    assert len(reader.load_data()) == 3
    assert len(await reader.aload_data()) == 3


def test_from_api_leaves_the_raw_record_out(
    sync_client: SyncAirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    reader = AirbyteEmbeddedReader.from_api(
        sync_client, sandbox.stripe_source_id, "/v1/invoices", params={"limit": 40}, max_records=90
    )
    documents = reader.load_data()
    assert len(documents) == 90
    assert len({d.id_ for d in documents}) == 90
    invoice = documents[0]
    assert set(invoice.metadata) == {"source_id", "url", "record_id", "object"}
    assert invoice.metadata["object"] == "invoice"
    assert invoice.text.startswith(f"id: {invoice.metadata['record_id']}\n")
    assert "url: https://api.stripe.com" not in invoice.get_content(MetadataMode.EMBED)
    assert "object: invoice" in invoice.get_content(MetadataMode.EMBED)


def run_pipeline(
    client: SyncAirbyteEmbeddedClient,
    sb: Sandbox,
    docstore: SimpleDocumentStore,
    vectors: SimpleVectorStore,
    embedding: CountingEmbedding,
    **options: Any,
) -> list[BaseNode]:
    reader = AirbyteEmbeddedReader(client, sb.file_source_id, exclude=["data/**"], **options)
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=0), embedding],
        docstore=docstore,
        vector_store=vectors,
        docstore_strategy=DocstoreStrategy.UPSERTS,
        disable_cache=True,
    )
    return list(pipeline.run(documents=reader.load_data()))


def test_ingestion_pipeline_upserts_only_what_changed(
    fresh_sync_client: SyncAirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    docstore, vectors = SimpleDocumentStore(), SimpleVectorStore()
    embedding = CountingEmbedding(embed_batch_size=8)
    stores = (docstore, vectors, embedding)

    first = run_pipeline(fresh_sync_client, fresh_sandbox, *stores)
    assert len(first) >= 22
    assert len(embedding.texts) == len(first)
    assert len(vectors.data.embedding_dict) == len(first)
    assert all("etag" not in text for text in embedding.texts)

    assert run_pipeline(fresh_sync_client, fresh_sandbox, *stores) == []
    assert len(embedding.texts) == len(first)

    path = "contracts/acme-master-services-agreement.md"
    doc_id = file_document_id(fresh_sandbox.file_source_id, path)
    old_nodes = [node for node in first if node.ref_doc_id == doc_id]
    (fresh_sandbox.files_dir / path).write_text("# MSA\n\nPayment terms are now net 45.\n")
    changed = run_pipeline(fresh_sync_client, fresh_sandbox, *stores)
    assert {node.ref_doc_id for node in changed} == {doc_id}
    assert len(embedding.texts) == len(first) + len(changed)
    assert "net 45" in embedding.texts[-1]
    # The file's old nodes were replaced, not kept beside the new ones.
    assert len(vectors.data.embedding_dict) == len(first) - len(old_nodes) + len(changed)


def test_incremental_reader_skips_unchanged_files_before_the_pipeline(
    fresh_sync_client: SyncAirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    reader = AirbyteEmbeddedReader(
        fresh_sync_client, fresh_sandbox.file_source_id, prefix="tickets/", state=LoadState()
    )
    assert len(reader.load_data()) == 12
    assert reader.load_data() == []
    (fresh_sandbox.files_dir / "tickets" / "ticket-0002.txt").unlink()
    assert reader.load_data() == []
    assert reader.removed == ["tickets/ticket-0002.txt"]
    assert reader.state is not None
    assert len(reader.state.files) == 11
