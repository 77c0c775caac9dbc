"""Every customer's files and API records as Ray Data datasets, for ingestion past one machine.

``read_files`` lists each customer's file source on the driver and reads and parses the files in
Ray read tasks; ``read_records`` reads each customer's API listing in tasks (split by ``created``
ranges where a listing is long). The rows match the single-process loaders' documents (ids, text,
metadata), with the customer added; see ``ROW_SCHEMA`` for the columns and ``updated_states`` for
incremental runs. Requires the ``ray`` extra: ``pip install "airbyte-embedded-tools[ray]"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ray.data

from airbyte_embedded_tools.documents import LoadState

from ._files import DEFAULT_BYTES_PER_TASK, DEFAULT_FILES_PER_TASK, FilesDatasource
from ._records import RecordsDatasource
from ._rows import ROW_SCHEMA, updated_states
from ._specs import Credentials, CustomerError, FileSource, OnError, RecordSource

__all__ = [
    "ROW_SCHEMA",
    "Credentials",
    "CustomerError",
    "FileSource",
    "FilesDatasource",
    "RecordSource",
    "RecordsDatasource",
    "read_files",
    "read_records",
    "updated_states",
]


def read_files(
    sources: Sequence[FileSource],
    credentials: Credentials,
    *,
    state: Mapping[str, LoadState] | None = None,
    on_error: OnError = "raise",
    files_per_task: int = DEFAULT_FILES_PER_TASK,
    bytes_per_task: int = DEFAULT_BYTES_PER_TASK,
    override_num_blocks: int | None = None,
    ray_remote_args: dict[str, Any] | None = None,
    **loader_options: Any,
) -> ray.data.Dataset:
    """The documents of many customers' files, one row per document (or skipped file).

    Lists every source now, on the driver; the files are read when the dataset executes.
    ``state`` maps a customer to its previous ``LoadState`` (the one a ``FileDocumentLoader``
    gives, or ``updated_states`` of the last run): only new or changed files are read.
    ``on_error="skip"`` turns a customer that cannot be read into an ``"error"`` row instead of
    a ``CustomerError``. ``loader_options`` are ``FileDocumentLoader``'s (``include``,
    ``exclude``, ``content_types``, ``max_size``, ``pdf_mode``, ``on_unsupported``...).
    """
    datasource = FilesDatasource(
        sources,
        credentials,
        state=state,
        on_error=on_error,
        files_per_task=files_per_task,
        bytes_per_task=bytes_per_task,
        loader_options=loader_options,
    )
    dataset: ray.data.Dataset = ray.data.read_datasource(
        datasource, override_num_blocks=override_num_blocks, ray_remote_args=ray_remote_args
    )
    return dataset


def read_records(
    sources: Sequence[RecordSource],
    credentials: Credentials,
    *,
    on_error: OnError = "raise",
    ray_remote_args: dict[str, Any] | None = None,
    **loader_options: Any,
) -> ray.data.Dataset:
    """The records of many customers' API listings, one row per record.

    One read task per customer and ``created`` range; ``loader_options`` are
    ``ApiDocumentLoader``'s (``record_path``, ``paginator``, ``max_value_chars``...).
    """
    datasource = RecordsDatasource(
        sources, credentials, on_error=on_error, loader_options=loader_options
    )
    dataset: ray.data.Dataset = ray.data.read_datasource(
        datasource, ray_remote_args=ray_remote_args
    )
    return dataset
