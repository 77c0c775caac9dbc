"""LangChain document loader over proxied files and API records: ``AirbyteEmbeddedLoader``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

try:
    from langchain_core.document_loaders import BaseLoader
    from langchain_core.documents import Document
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "AirbyteEmbeddedLoader needs LangChain: pip install 'airbyte-embedded-tools[langchain]'"
    ) from exc

from typing_extensions import Unpack

from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._sync_client import ClientLike
from airbyte_embedded_tools.documents.loader import DocumentRecord, LoadState, SkippedFile
from airbyte_embedded_tools.documents.options import FileLoadKwargs, FileLoadOptions
from airbyte_embedded_tools.documents.records import DEFAULT_MAX_VALUE_CHARS, Paginator
from airbyte_embedded_tools.documents.runs import (
    CoreFactory,
    LoaderRuns,
    api_core_factory,
    connector_of,
    file_core_factory,
    source_id_of,
)

__all__ = ["AirbyteEmbeddedLoader"]


def to_langchain(record: DocumentRecord) -> Document:
    """A neutral document as a LangChain ``Document`` (id and metadata kept, raw record too)."""
    return Document(page_content=record.text, metadata=dict(record.metadata), id=record.id)


class AirbyteEmbeddedLoader(BaseLoader):
    """Loads a customer's files (or, with ``from_api``, API records) as LangChain Documents.

    One Document per file (or per PDF page with ``pdf_mode="page"``), metadata ``source_id``,
    ``path``, ``file_name``, ``size``, ``last_modified``, ``content_type``, ``etag``, ``page``,
    and a stable id (source id + path + page). ``client`` is an ``AirbyteEmbeddedClient`` or a
    ``SyncAirbyteEmbeddedClient`` (best for sync use in notebooks). Pass ``state`` (a
    ``LoadState``, even empty) to load incrementally; after a run ``state`` is the new state and
    ``removed`` the paths that disappeared.
    """

    def __init__(
        self,
        client: ClientLike,
        source_id: str | Source,
        *,
        state: LoadState | None = None,
        **options: Unpack[FileLoadKwargs],
    ) -> None:
        """``options``: the keywords of ``FileLoadOptions`` (``prefix``, ``include``, ...)."""
        factory = file_core_factory(
            source_id_of(source_id), FileLoadOptions.model_validate(options)
        )
        self._setup(client, source_id, factory, state)

    def _setup(
        self,
        client: ClientLike,
        source_id: str | Source,
        factory: CoreFactory,
        state: LoadState | None,
    ) -> None:
        self.source_id = source_id_of(source_id)
        self._runs = LoaderRuns(client, factory, state)

    @classmethod
    def from_api(
        cls,
        client: ClientLike,
        source_id: str | Source,
        path: str = "/v1/invoices",
        *,
        params: Mapping[str, Any] | None = None,
        record_path: str | None = "data",
        paginator: Paginator | None = None,
        max_records: int | None = None,
        connector: str | None = None,
        max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS,
        show_progress: bool = False,
    ) -> AirbyteEmbeddedLoader:
        """One Document per record of an API listing (Stripe pagination unless ``paginator``).

        Metadata: ``source_id``, ``url``, ``record_id``, ``object`` and ``record`` (the raw
        record); the text is the record as ``key: value`` lines.
        """
        factory = api_core_factory(
            source_id_of(source_id),
            path,
            params=params,
            record_path=record_path,
            paginator=paginator,
            max_records=max_records,
            connector=connector_of(source_id, connector),
            max_value_chars=max_value_chars,
            show_progress=show_progress,
        )
        loader = cls.__new__(cls)
        loader._setup(client, source_id, factory, None)
        return loader

    @property
    def state(self) -> LoadState | None:
        """The files' state after the last run (save it, pass it as ``state`` next time)."""
        return self._runs.state

    @property
    def removed(self) -> list[str]:
        """Paths known to the previous state that the last run no longer found."""
        return self._runs.removed

    @property
    def skipped(self) -> list[SkippedFile]:
        """Files the last run did not turn into documents, with the reason."""
        return self._runs.skipped

    def lazy_load(self) -> Iterator[Document]:
        """The Documents one at a time (blocking; works inside a running event loop)."""
        for record in self._runs.iterate():
            yield to_langchain(record)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """The Documents one at a time, natively async."""
        async for record in self._runs.aiterate():
            yield to_langchain(record)
