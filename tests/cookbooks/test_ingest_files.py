"""``cookbooks/ingest_files.py``: a persistent Chroma store and SQLite record manager make
re-ingestion incremental (nothing unchanged is read or embedded, a changed file replaces only its
own chunks, a removed file's chunks are deleted).

Both runs here are in this process, but the second starts from what is on disk only: Chroma's
in-process client cache is cleared and the store, the record manager and the load state are opened
anew. The notebook ``rag_ingestion`` (whose stored outputs the notebook tests compare with a fresh
run) shows the same across two processes: the script's first run in a process of its own, the next
ones in the notebook's. A third process here would only re-import the embedding stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromadb import PersistentClient
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings

from airbyte_embedded_tools import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from cookbooks.ingest_files import ingest

PREFIX = "contracts/"
CHANGED = "contracts/acme-master-services-agreement.md"
REMOVED = "contracts/initech-sla.html"

pytestmark = pytest.mark.cookbook


def _run(sb: Sandbox, store: Path) -> dict[str, Any]:
    """One run, opening every store anew from disk (nothing kept in memory from a previous run)."""
    SharedSystemClient.clear_system_cache()
    with SyncAirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id,
        base_url=sb.base_url,
    ) as client:
        return ingest(store, sb.file_source_id, client, PREFIX)


def _stored(store: Path) -> dict[str, list[str]]:
    """The chunks in the Chroma store, read directly from disk: path -> chunk texts."""
    SharedSystemClient.clear_system_cache()
    client = PersistentClient(str(store / "chroma"), settings=Settings(anonymized_telemetry=False))
    got = client.get_collection("customer-files").get(include=["metadatas", "documents"])
    chunks: dict[str, list[str]] = {}
    for meta, text in zip(got["metadatas"] or [], got["documents"] or [], strict=True):
        chunks.setdefault(str(meta["path"]), []).append(text)
    return chunks


@pytest.mark.timeout(300)
def test_reingestion_is_incremental(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Sandbox(large_file_size=0) as sb:
        first = _run(sb, store)
        assert set(first["files_read"]) == {
            CHANGED,
            REMOVED,
            "contracts/globex-order-form.pdf",
        }
        assert first["chunks_embedded"] == first["num_added"] == first["chunks_stored"]
        before = _stored(store)
        assert set(before) == set(first["files_read"])
        assert sum(len(texts) for texts in before.values()) == first["chunks_stored"]

        contract = sb.files_dir / CHANGED
        contract.write_text(contract.read_text() + "\n## 14. Amendment\n\nNotice is 90 days.\n")
        (sb.files_dir / REMOVED).unlink()
        second = _run(sb, store)
    assert second["files_read"] == [CHANGED]
    assert second["files_removed"] == [REMOVED]
    after = _stored(store)
    assert set(after) == {CHANGED, "contracts/globex-order-form.pdf"}  # the removed file is gone
    assert after["contracts/globex-order-form.pdf"] == before["contracts/globex-order-form.pdf"]
    assert any("Notice is 90 days." in text for text in after[CHANGED])
    # unchanged files were not read, and of the changed file only its changed chunk was embedded;
    # that chunk's old version and every chunk of the removed file were deleted
    changed_old = set(before[CHANGED]) - set(after[CHANGED])
    new_chunks = set(after[CHANGED]) - set(before[CHANGED])
    assert second["chunks_embedded"] == second["num_added"] == len(new_chunks)
    assert 0 < len(new_chunks) < len(after[CHANGED])
    assert second["num_deleted"] == len(changed_old) + len(before[REMOVED])
    assert second["chunks_stored"] == sum(len(texts) for texts in after.values())
