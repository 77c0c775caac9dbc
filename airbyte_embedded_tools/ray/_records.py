"""Every customer's API records as a Ray ``Datasource``: one read task per customer, or per
``created`` range of a customer whose listing is long (``RecordSource.created_splits``).

A task walks its listing with the single-process ``ApiDocumentLoader``; the rows carry the
loader's ids, text and metadata (``url`` is the customer's whole listing, as the loader gives).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
from ray.data.block import BlockMetadata
from ray.data.context import DataContext
from ray.data.datasource import Datasource, ReadTask

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools.documents import ApiDocumentLoader, PageRequest

from ._clients import client_for, run
from ._rows import ROW_SCHEMA, document_row, rows_table, status_row
from ._specs import (
    Credentials,
    OnError,
    RecordSource,
    check_customers,
    check_on_error,
    customer_failure,
)

__all__ = ["RecordsDatasource"]

_Range = tuple[int | None, int | None]


def _range_params(source: RecordSource, bounds: _Range) -> dict[str, Any]:
    params = dict(source.params)
    low, high = bounds
    if low is not None:
        params["created[gte]"] = low
    if high is not None:
        params["created[lt]"] = high
    return params


async def _read(
    credentials: Credentials,
    source: RecordSource,
    bounds: _Range,
    options: Mapping[str, Any],
    on_error: OnError,
) -> list[dict[str, Any]]:
    client = client_for(credentials, source.workspace_id)
    whole = ApiDocumentLoader(
        client, source.source_id, source.path, params=source.params, **options
    )
    url = PageRequest(whole.url, whole.params).full_url
    loader = ApiDocumentLoader(
        client, source.source_id, source.path, params=_range_params(source, bounds), **options
    )
    try:
        documents = [document async for document in loader.alazy_load()]
    except AirbyteEmbeddedError as exc:
        error = customer_failure(source.customer, exc)
        if on_error == "raise":
            raise error from None
        return [status_row(source.customer, "error", reason=error.message)]
    rows = []
    for document in documents:
        document.metadata["url"] = url
        rows.append(document_row(source.customer, document, path=None, state=None))
    return rows


def _read_task(
    credentials: Credentials,
    source: RecordSource,
    bounds: _Range,
    options: Mapping[str, Any],
    on_error: OnError,
) -> Iterator[pa.Table]:
    """Runs in a Ray worker: one customer's range of records, one block out."""
    yield rows_table(run(_read(credentials, source, bounds, options, on_error)))


class RecordsDatasource(Datasource):
    """Ray ``Datasource`` over many customers' API listings (see ``read_records``)."""

    def __init__(
        self,
        sources: Sequence[RecordSource],
        credentials: Credentials,
        *,
        on_error: OnError = "raise",
        loader_options: Mapping[str, Any] | None = None,
    ) -> None:
        check_on_error(on_error)
        check_customers([s.customer for s in sources])
        self._options = dict(loader_options or {})
        if "params" in self._options or "show_progress" in self._options:
            raise TypeError("params go in each RecordSource; show_progress is not an option here")
        self._work = [(s, bounds) for s in sources for bounds in s.created_ranges()]
        if any(len(s.created_ranges()) > 1 for s in sources) and "max_records" in self._options:
            raise ValueError("max_records cannot be combined with created_splits")
        self._credentials = credentials
        self._on_error: OnError = on_error

    def get_name(self) -> str:
        return "AirbyteRecords"

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: DataContext | None = None,
    ) -> list[ReadTask]:
        return [
            ReadTask(
                functools.partial(
                    _read_task, self._credentials, source, bounds, self._options, self._on_error
                ),
                BlockMetadata(num_rows=None, size_bytes=None, input_files=None, exec_stats=None),
                schema=ROW_SCHEMA,
                per_task_row_limit=per_task_row_limit,
            )
            for source, bounds in self._work
        ]
