"""``cookbooks/ingest_files.py`` across processes: a persistent Chroma store and SQLite record
manager make re-ingestion incremental (nothing unchanged is read or embedded, a changed file
replaces only its own chunks, a removed file's chunks are deleted). The first run is the script in
a process of its own, the second ``ingest`` in this one: all it knows of the first is on disk. The
notebook ``rag_ingestion`` shows the same runs, and one with nothing changed (it embeds nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chromadb import PersistentClient
from chromadb.config import Settings

from airbyte_embedded_tools import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from cookbooks.execute import COOKBOOKS
from cookbooks.ingest_files import ingest

SCRIPT = COOKBOOKS / "ingest_files.py"
PREFIX = "contracts/"
CHANGED = "contracts/acme-master-services-agreement.md"
REMOVED = "contracts/initech-sla.html"

pytestmark = pytest.mark.cookbook


def _run(sb: Sandbox, store: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    env.update(
        AIRBYTE_API_URL=sb.base_url,
        AIRBYTE_CLIENT_ID=sb.client_id,
        AIRBYTE_CLIENT_SECRET=sb.client_secret,
        AIRBYTE_WORKSPACE_ID=sb.workspace_id,
        AIRBYTE_FILE_SOURCE_ID=sb.file_source_id,
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--store", str(store), "--prefix", PREFIX, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sb.client_secret not in proc.stdout + proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _stored(store: Path) -> dict[str, list[str]]:
    """The chunks in the Chroma store, read directly: path -> chunk texts."""
    client = PersistentClient(str(store / "chroma"), settings=Settings(anonymized_telemetry=False))
    got = client.get_collection("customer-files").get(include=["metadatas", "documents"])
    chunks: dict[str, list[str]] = {}
    for meta, text in zip(got["metadatas"] or [], got["documents"] or [], strict=True):
        chunks.setdefault(str(meta["path"]), []).append(text)
    return chunks


@pytest.mark.timeout(300)
def test_reingestion_is_incremental_across_processes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Sandbox(large_file_size=0) as sb:
        first = _run(sb, store)
        assert set(first["files_read"]) == {
            CHANGED,
            REMOVED,
            "contracts/globex-order-form.pdf",
        }
        assert first["chunks_embedded"] == first["num_added"] == first["chunks_stored"] > 3
        before = _stored(store)
        assert set(before) == set(first["files_read"])

        contract = sb.files_dir / CHANGED
        contract.write_text(contract.read_text() + "\n## 14. Amendment\n\nNotice is 90 days.\n")
        (sb.files_dir / REMOVED).unlink()
        with SyncAirbyteEmbeddedClient(
            client_id=sb.client_id,
            client_secret=sb.client_secret,
            workspace_id=sb.workspace_id,
            base_url=sb.base_url,
        ) as client:
            second = ingest(store, sb.file_source_id, client, PREFIX)  # not the first's process
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
    assert 0 < second["chunks_embedded"] < len(after[CHANGED])
    assert second["num_deleted"] == len(changed_old) + len(before[REMOVED])
    assert second["chunks_stored"] == sum(len(texts) for texts in after.values())
