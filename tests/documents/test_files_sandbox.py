"""The file loader over real HTTP against the sandbox: every seeded format, selection, skips with
reasons, stable ids and exact metadata."""

from __future__ import annotations

from typing import Any

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents.loader import (
    DocumentRecord,
    FileDocumentLoader,
    file_document_id,
)
from airbyte_embedded_tools.sandbox import Sandbox

METADATA_KEYS = {
    "source_id",
    "path",
    "file_name",
    "size",
    "last_modified",
    "content_type",
    "etag",
    "page",
}


async def load(
    client: AirbyteEmbeddedClient, sb: Sandbox, **options: Any
) -> tuple[FileDocumentLoader, list[DocumentRecord]]:
    loader = FileDocumentLoader(client, sb.file_source_id, **options)
    return loader, [d async for d in loader.alazy_load()]


def by_path(documents: list[DocumentRecord]) -> dict[str, DocumentRecord]:
    return {d.metadata["path"]: d for d in documents}


async def test_every_seeded_format(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    loader, documents = await load(client, sandbox, exclude="data/**")
    docs = by_path(documents)
    skipped = {s.path: s.reason for s in loader.skipped}

    assert "## 2. Fees and payment" in docs["contracts/acme-master-services-agreement.md"].text
    pdf = docs["contracts/globex-order-form.pdf"].text
    assert "Order Form GX-2025-007" in pdf
    assert "Total first-year value: $7,476.00" in pdf
    assert "Hank Scorpio" in pdf
    html = docs["contracts/initech-sla.html"].text
    assert "99.9% monthly uptime" in html
    assert "- Severity 1 (outage): 1 hour, around the clock" in html.split("\n")
    assert "tracking-pixel" not in html
    assert "must not appear" not in html
    assert "font-family" not in html
    csv_lines = docs["reports/q3-revenue.csv"].text.split("\n")
    assert csv_lines[0] == "month,region,new_customers,revenue_usd,churned_customers"
    assert "2025-09,apac,5,61345.10,2" in csv_lines
    assert '"name": "Cyberdyne Robotics"' in docs["reports/customers.json"].text
    assert len(docs["reports/events.jsonl"].text.split("\n")) == 5
    assert "Société Générale d'Études, Zürich" in docs["notes/legacy-latin1.txt"].text
    assert "Nakatomi Trading (東京)" in docs["notes/multilingual-utf16.txt"].text
    assert "Ticket #0007" in docs["tickets/ticket-0007.txt"].text

    assert set(skipped) == {"notes/empty.txt", "misc/broken.pdf", "images/logo.png"}
    assert "no text" in skipped["notes/empty.txt"]
    assert "malformed PDF" in skipped["misc/broken.pdf"]
    assert "unsupported binary" in skipped["images/logo.png"]
    assert len(docs) == 12 + 10
    assert not set(docs) & set(skipped)


async def test_metadata_and_ids(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    _, documents = await load(client, sandbox, prefix="contracts/")
    docs = by_path(documents)
    assert set(docs) == {
        "contracts/acme-master-services-agreement.md",
        "contracts/globex-order-form.pdf",
        "contracts/initech-sla.html",
    }
    for path, doc in docs.items():
        meta = doc.metadata
        assert set(meta) == METADATA_KEYS
        assert meta["source_id"] == sandbox.file_source_id
        assert meta["file_name"] == path.rsplit("/", 1)[-1]
        assert meta["size"] == (sandbox.files_dir / path).stat().st_size
        assert meta["last_modified"] == "2025-06-30T12:00:00+00:00"
        assert meta["etag"]
        assert meta["page"] is None
        assert doc.id == file_document_id(sandbox.file_source_id, path)
    assert docs["contracts/globex-order-form.pdf"].metadata["content_type"] == "application/pdf"
    _, again = await load(client, sandbox, prefix="contracts/")
    assert [d.id for d in again] == [d.id for d in documents]


async def test_pdf_per_page(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    loader, documents = await load(client, sandbox, include="*.pdf", pdf_mode="page")
    pages = documents
    assert [(d.metadata["path"], d.metadata["page"]) for d in pages] == [
        ("contracts/globex-order-form.pdf", 1),
        ("contracts/globex-order-form.pdf", 2),
        ("contracts/globex-order-form.pdf", 3),
    ]
    assert "Pricing" in pages[1].text
    assert "Pricing" not in pages[0].text
    assert len({d.id for d in pages}) == 3
    assert pages[2].id == file_document_id(sandbox.file_source_id, pages[2].metadata["path"], 3)
    assert [s.path for s in loader.skipped] == ["misc/broken.pdf"]


async def test_selection(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    _, tickets = await load(client, sandbox, prefix="tickets/", exclude=["*-0001.txt"])
    assert len(tickets) == 11
    _, markdown = await load(client, sandbox, include="*.md")
    assert sorted(d.metadata["path"] for d in markdown) == [
        "README.md",
        "contracts/acme-master-services-agreement.md",
    ]
    _, top = await load(client, sandbox, recursive=False, exclude="data/**")
    assert [d.metadata["path"] for d in top] == ["README.md"]
    _, typed = await load(client, sandbox, content_types=["text/html", "application/json"])
    assert sorted(d.metadata["path"] for d in typed) == [
        "contracts/initech-sla.html",
        "reports/customers.json",
    ]


async def test_metadata_only_for_files_without_text(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    loader, documents = await load(client, sandbox, prefix="images/", on_unsupported="metadata")
    [logo] = documents
    assert logo.text == ""
    assert logo.metadata["content_type"] == "image/png"
    assert loader.skipped == []
    _, empty = await load(client, sandbox, include="empty.txt", on_unsupported="metadata")
    assert [d.metadata["size"] for d in empty] == [0]


async def test_concurrency_one_gives_the_same_documents(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    _, serial = await load(client, sandbox, exclude="data/**", max_concurrency=1)
    _, wide = await load(client, sandbox, exclude="data/**", max_concurrency=16)
    assert [(d.id, d.text) for d in serial] == [(d.id, d.text) for d in wide]
