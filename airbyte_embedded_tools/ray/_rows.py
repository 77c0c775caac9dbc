"""The rows both datasources produce (one Arrow schema), and the per-customer state they imply.

A row is a document (``status="document"``), a file that gave none (``"skipped"``, with a
``reason``), a file gone since the previous run (``"removed"``) or a customer that could not be
read (``"error"``). ``metadata`` is the single-process loader's metadata as JSON text, with the
``customer`` added; ``file_state`` is what the next run compares against (see ``updated_states``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pyarrow as pa

from airbyte_embedded_tools.documents import DocumentRecord, FileState, LoadState

__all__ = ["ROW_SCHEMA", "Status", "document_row", "rows_table", "status_row", "updated_states"]

Status = Literal["document", "skipped", "removed", "error"]

ROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("customer", pa.string()),
        ("status", pa.string()),
        ("text", pa.string()),
        ("metadata", pa.string()),
        ("path", pa.string()),
        ("reason", pa.string()),
        ("file_state", pa.string()),
    ]
)


def document_row(
    customer: str, document: DocumentRecord, *, path: str | None, state: FileState | None
) -> dict[str, Any]:
    """One document as a row; the customer joins the loader's metadata."""
    metadata = {**document.metadata, "customer": customer}
    return {
        "id": document.id,
        "customer": customer,
        "status": "document",
        "text": document.text,
        "metadata": json.dumps(metadata, sort_keys=True, default=str),
        "path": path,
        "reason": None,
        "file_state": state.model_dump_json() if state is not None else None,
    }


def status_row(
    customer: str,
    status: Status,
    *,
    reason: str | None = None,
    path: str | None = None,
    state: FileState | None = None,
) -> dict[str, Any]:
    """A row without a document: a skipped or removed file, or a customer's error."""
    return {
        "id": None,
        "customer": customer,
        "status": status,
        "text": "",
        "metadata": json.dumps({"customer": customer}),
        "path": path,
        "reason": reason,
        "file_state": state.model_dump_json() if state is not None else None,
    }


def rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as one Arrow block of ``ROW_SCHEMA`` (the same columns and types in every block)."""
    return pa.Table.from_pylist(rows, schema=ROW_SCHEMA)


def updated_states(
    rows: Iterable[Mapping[str, Any]], previous: Mapping[str, LoadState] | None = None
) -> dict[str, LoadState]:
    """Each customer's ``LoadState`` after a run, from its rows: what ``FileDocumentLoader.state``
    would be. Pass it as ``state=`` to the next ``read_files``.

    A file read (or skipped for good) takes its new state, a removed file is dropped, a file
    whose read failed keeps its previous state so the next run tries again.
    """
    states = {name: state.model_copy(deep=True) for name, state in (previous or {}).items()}
    for row in rows:
        customer, path = row["customer"], row.get("path")
        if path is None or row["status"] == "error":
            continue
        files = states.setdefault(customer, LoadState()).files
        if row["status"] == "removed":
            files.pop(path, None)
        elif row.get("file_state") is not None:
            files[path] = FileState.model_validate_json(row["file_state"])
    return states
