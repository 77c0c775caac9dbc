"""Every customer's files as a Ray ``Datasource``: listed on the driver, read in the tasks.

Planning (the constructor) lists each customer's source concurrently, keeps the files the
loader would select and, given the previous per-customer ``LoadState``, only the new or changed
ones. The files are then packed into read tasks by count and bytes, customers mixed, so one
customer with many files spreads over many tasks. A task reads and parses its files with the
single-process ``FileDocumentLoader`` given the planned entries, so the rows match it exactly.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from ray.data.block import BlockMetadata
from ray.data.context import DataContext
from ray.data.datasource import Datasource, ReadTask

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools._models import FileEntry
from airbyte_embedded_tools.documents import FileDocumentLoader, FileState, LoadState

from ._clients import client_for, run
from ._rows import ROW_SCHEMA, document_row, rows_table, status_row
from ._specs import (
    Credentials,
    CustomerError,
    FileSource,
    OnError,
    check_customers,
    check_on_error,
    customer_failure,
)

__all__ = ["DEFAULT_BYTES_PER_TASK", "DEFAULT_FILES_PER_TASK", "FilesDatasource"]

DEFAULT_FILES_PER_TASK = 64
DEFAULT_BYTES_PER_TASK = 64 * 1024 * 1024
MIN_FILES_PER_TASK = 8
"""Fewer files per task than this (unless ``files_per_task`` says so) pay more in Ray's per-task
overhead than they gain in parallelism."""
PLANNING_CONCURRENCY = 16
"""Customers listed at once on the driver."""

_Group = tuple[FileSource, list[FileEntry]]


@dataclass
class _Plan:
    """One customer's planned work: the files to read, the paths removed, or its error."""

    source: FileSource
    entries: list[FileEntry] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    error: CustomerError | None = None


def _loader(
    client: AirbyteEmbeddedClient,
    source: FileSource,
    options: Mapping[str, Any],
    entries: list[FileEntry] | None = None,
) -> FileDocumentLoader:
    return FileDocumentLoader(
        client,
        source.source_id,
        prefix=source.prefix,
        recursive=source.recursive,
        entries=entries,
        **options,
    )


async def _plan_one(
    credentials: Credentials,
    source: FileSource,
    options: Mapping[str, Any],
    previous: LoadState | None,
    gate: asyncio.Semaphore,
) -> _Plan:
    client = client_for(credentials, source.workspace_id)
    selector = _loader(client, source, options)
    plan = _Plan(source)
    known = previous.files if previous is not None else {}
    seen: set[str] = set()
    async with gate:
        try:
            async for entry in client.iter_files(
                source.source_id, source.prefix, recursive=source.recursive
            ):
                if not selector.selects(entry):
                    continue
                seen.add(entry.path)
                old = known.get(entry.path)
                if old is None or old.differs(FileState.of(entry)):
                    plan.entries.append(entry)
        except AirbyteEmbeddedError as exc:
            return _Plan(source, error=customer_failure(source.customer, exc))
    plan.removed = sorted(path for path in known if path not in seen)
    return plan


async def _plan_all(
    credentials: Credentials,
    sources: Sequence[FileSource],
    options: Mapping[str, Any],
    state: Mapping[str, LoadState],
) -> list[_Plan]:
    gate = asyncio.Semaphore(PLANNING_CONCURRENCY)
    return list(
        await asyncio.gather(
            *(_plan_one(credentials, s, options, state.get(s.customer), gate) for s in sources)
        )
    )


async def _read_group(
    credentials: Credentials,
    group: _Group,
    options: Mapping[str, Any],
    on_error: OnError,
) -> list[dict[str, Any]]:
    source, entries = group
    client = client_for(credentials, source.workspace_id)
    loader = _loader(client, source, options, entries)
    try:
        documents = [document async for document in loader.alazy_load()]
    except AirbyteEmbeddedError as exc:
        error = customer_failure(source.customer, exc)
        if on_error == "raise":
            raise error from None
        return [status_row(source.customer, "error", reason=error.message)]
    files = loader.state.files if loader.state is not None else {}
    rows = [
        document_row(
            source.customer,
            document,
            path=document.metadata["path"],
            state=files.get(document.metadata["path"]),
        )
        for document in documents
    ]
    rows.extend(
        status_row(
            source.customer, "skipped", reason=s.reason, path=s.path, state=files.get(s.path)
        )
        for s in loader.skipped
    )
    return rows


async def _read_groups(
    credentials: Credentials,
    groups: list[_Group],
    options: Mapping[str, Any],
    on_error: OnError,
) -> list[dict[str, Any]]:
    parts = await asyncio.gather(*(_read_group(credentials, g, options, on_error) for g in groups))
    return [row for part in parts for row in part]


def _read_task(
    credentials: Credentials,
    groups: list[_Group],
    options: Mapping[str, Any],
    on_error: OnError,
) -> Iterator[pa.Table]:
    """Runs in a Ray worker: read the task's files, one block out (nothing half-yielded)."""
    yield rows_table(run(_read_groups(credentials, groups, options, on_error)))


def _ready_rows(rows: list[dict[str, Any]]) -> Iterator[pa.Table]:
    yield rows_table(rows)


def pack(plans: Sequence[_Plan], per_task: int, bytes_per_task: int) -> list[list[_Group]]:
    """The planned files in listing order, cut into tasks of at most ``per_task`` files and
    ``bytes_per_task`` bytes (a larger file gets a task of its own)."""
    tasks: list[list[_Group]] = []
    current: list[_Group] = []
    count = size = 0
    for plan in plans:
        for entry in plan.entries:
            entry_size = entry.size or 0
            if current and (count >= per_task or size + entry_size > bytes_per_task):
                tasks.append(current)
                current, count, size = [], 0, 0
            if current and current[-1][0] is plan.source:
                current[-1][1].append(entry)
            else:
                current.append((plan.source, [entry]))
            count += 1
            size += entry_size
    if current:
        tasks.append(current)
    return tasks


class FilesDatasource(Datasource):
    """Ray ``Datasource`` over many customers' file sources (see ``read_files``).

    Planning happens here, on the driver, when it is built: ``planning_seconds`` says how long
    it took, ``planned_files`` how many files the tasks will read.
    """

    def __init__(
        self,
        sources: Sequence[FileSource],
        credentials: Credentials,
        *,
        state: Mapping[str, LoadState] | None = None,
        on_error: OnError = "raise",
        files_per_task: int = DEFAULT_FILES_PER_TASK,
        bytes_per_task: int = DEFAULT_BYTES_PER_TASK,
        loader_options: Mapping[str, Any] | None = None,
    ) -> None:
        check_on_error(on_error)
        check_customers([s.customer for s in sources])
        if files_per_task < 1 or bytes_per_task < 1:
            raise ValueError("files_per_task and bytes_per_task must be at least 1")
        self._credentials = credentials
        self._on_error: OnError = on_error
        self._files_per_task = files_per_task
        self._bytes_per_task = bytes_per_task
        self._options = dict(loader_options or {})
        for key in ("state", "show_progress", "prefix", "recursive"):
            if key in self._options:
                raise TypeError(f"{key!r} is not a loader option here")
        started = time.perf_counter()
        self._plans = run(_plan_all(credentials, sources, self._options, state or {}))
        self.planning_seconds = time.perf_counter() - started
        failed = [p.error for p in self._plans if p.error is not None]
        if failed and on_error == "raise":
            raise failed[0]
        self.planned_files = sum(len(p.entries) for p in self._plans)

    def get_name(self) -> str:
        return "AirbyteFiles"

    def estimate_inmemory_data_size(self) -> int | None:
        return sum(e.size or 0 for p in self._plans for e in p.entries)

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: DataContext | None = None,
    ) -> list[ReadTask]:
        spread = math.ceil(self.planned_files / max(parallelism, 1))
        per_task = min(self._files_per_task, max(MIN_FILES_PER_TASK, spread))
        tasks = [
            ReadTask(
                functools.partial(
                    _read_task, self._credentials, groups, self._options, self._on_error
                ),
                _metadata(sum(e.size or 0 for _, entries in groups for e in entries)),
                schema=ROW_SCHEMA,
                per_task_row_limit=per_task_row_limit,
            )
            for groups in pack(self._plans, per_task, self._bytes_per_task)
        ]
        ready = [
            status_row(p.source.customer, "error", reason=p.error.message)
            for p in self._plans
            if p.error is not None
        ] + [
            status_row(p.source.customer, "removed", path=path)
            for p in self._plans
            for path in p.removed
        ]
        if ready:
            tasks.append(
                ReadTask(functools.partial(_ready_rows, ready), _metadata(0), schema=ROW_SCHEMA)
            )
        return tasks


def _metadata(size: int) -> BlockMetadata:
    return BlockMetadata(num_rows=None, size_bytes=size, input_files=None, exec_stats=None)
