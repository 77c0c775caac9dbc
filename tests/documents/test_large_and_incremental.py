"""Large files with bounded memory, size caps, and incremental runs against the sandbox."""

from __future__ import annotations

import tracemalloc
from typing import Any

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents.loader import DocumentRecord, FileDocumentLoader, LoadState
from airbyte_embedded_tools.sandbox import Sandbox

MiB = 1024 * 1024


async def run(loader: FileDocumentLoader) -> list[DocumentRecord]:
    return [d async for d in loader.alazy_load()]


async def traced(loader: FileDocumentLoader) -> tuple[list[DocumentRecord], int]:
    """The documents and the peak memory traced while loading them (whole process)."""
    tracemalloc.start()
    try:
        documents = await run(loader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return documents, peak


async def test_64_mib_binary_is_judged_from_its_first_bytes(
    client: AirbyteEmbeddedClient, sandbox: Sandbox
) -> None:
    assert sandbox.large_file_size == 64 * MiB
    loader = FileDocumentLoader(
        client, sandbox.file_source_id, prefix="data/", max_size=None, on_unsupported="metadata"
    )
    documents, peak = await traced(loader)
    [document] = documents
    assert document.metadata["path"] == sandbox.large_file_path
    assert document.metadata["size"] == 64 * MiB
    assert document.text == ""
    assert peak < 8 * MiB, f"peak {peak} bytes while sniffing a 64 MiB file"

    skipping = FileDocumentLoader(client, sandbox.file_source_id, prefix="data/", max_size=None)
    assert await run(skipping) == []
    assert [(s.path, s.reason) for s in skipping.skipped] == [
        ("data/large.bin", "unsupported binary format (application/octet-stream)")
    ]


async def test_large_text_files_stream_and_respect_max_size(
    fresh_client: AirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    big = fresh_sandbox.files_dir / "big" / "huge.log"
    big.parent.mkdir()
    line = "2025-06-30T12:00:00Z INFO request served in 12 ms — ok\n"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(line * (64 * MiB // len(line.encode())))
    medium = fresh_sandbox.files_dir / "big" / "medium.txt"
    medium_text = "".join(f"line {n} é\n" for n in range(400_000))  # ~4.6 MB: 5 ranged chunks
    medium.write_text(medium_text, encoding="utf-8")

    capped = FileDocumentLoader(fresh_client, fresh_sandbox.file_source_id, prefix="big/")
    documents, peak = await traced(capped)
    assert [d.metadata["path"] for d in documents] == ["big/medium.txt"]
    assert documents[0].text == medium_text
    assert len(medium_text.encode()) > 4 * MiB
    assert [s.path for s in capped.skipped] == ["big/huge.log"]
    assert "larger than max_size" in capped.skipped[0].reason
    # The 64 MiB file was never downloaded: memory is a few times the 4.6 MB file, not 64 MiB.
    assert peak < 24 * MiB, f"peak {peak} bytes"

    as_metadata = FileDocumentLoader(
        fresh_client,
        fresh_sandbox.file_source_id,
        include="huge.log",
        max_size=8 * MiB,
        on_unsupported="metadata",
    )
    [stub] = await run(as_metadata)
    assert stub.text == ""
    assert stub.metadata["size"] == big.stat().st_size


async def test_pdf_cap(client: AirbyteEmbeddedClient, sandbox: Sandbox) -> None:
    loader = FileDocumentLoader(
        client, sandbox.file_source_id, include="globex-*.pdf", max_pdf_bytes=1000
    )
    assert await run(loader) == []
    [skipped] = loader.skipped
    assert skipped.path == "contracts/globex-order-form.pdf"
    assert "PDF larger than max_pdf_bytes" in skipped.reason


async def test_incremental_runs_load_only_changes_and_report_removals(
    fresh_client: AirbyteEmbeddedClient, fresh_sandbox: Sandbox
) -> None:
    root = fresh_sandbox.files_dir
    options: dict[str, Any] = {"exclude": "data/**"}
    first = FileDocumentLoader(
        fresh_client, fresh_sandbox.file_source_id, state=LoadState(), **options
    )
    loaded = await run(first)
    assert first.state is not None
    assert len(loaded) == 22
    # Files that gave no document for a lasting reason are remembered too (not retried).
    assert len(first.state.files) == 25
    assert first.removed == []

    saved = first.state.to_json()
    second = FileDocumentLoader(
        fresh_client, fresh_sandbox.file_source_id, state=LoadState.from_json(saved), **options
    )
    assert await run(second) == []
    assert second.removed == []
    assert second.skipped == []
    assert second.state == first.state

    (root / "notes" / "2025-06-12-customer-success-sync.txt").write_text("Meeting moved.\n")
    (root / "tickets" / "ticket-0003.txt").unlink()
    (root / "notes" / "new.md").write_text("# Fresh note\n")
    third = FileDocumentLoader(
        fresh_client, fresh_sandbox.file_source_id, state=second.state, **options
    )
    changed = await run(third)
    assert sorted(d.metadata["path"] for d in changed) == [
        "notes/2025-06-12-customer-success-sync.txt",
        "notes/new.md",
    ]
    assert third.removed == ["tickets/ticket-0003.txt"]
    assert third.state is not None
    assert "tickets/ticket-0003.txt" not in third.state.files
    assert "notes/new.md" in third.state.files

    fourth = FileDocumentLoader(
        fresh_client, fresh_sandbox.file_source_id, state=third.state, **options
    )
    assert await run(fourth) == []
    assert fourth.removed == []
