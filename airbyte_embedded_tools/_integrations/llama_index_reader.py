"""LlamaIndex reader over proxied files and API records: ``AirbyteEmbeddedReader``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Mapping
from typing import Any

try:
    from llama_index.core.bridge.pydantic import Field, PrivateAttr
    from llama_index.core.readers.base import BasePydanticReader
    from llama_index.core.schema import Document
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "AirbyteEmbeddedReader needs LlamaIndex: pip install 'airbyte-embedded-tools[llama-index]'"
    ) from exc

from typing_extensions import Unpack

from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._sync_client import ClientLike
from airbyte_embedded_tools.documents.loader import DocumentRecord, LoadState, SkippedFile
from airbyte_embedded_tools.documents.options import FileLoadKwargs, FileLoadOptions
from airbyte_embedded_tools.documents.records import DEFAULT_MAX_VALUE_CHARS, Paginator
from airbyte_embedded_tools.documents.runs import (
    LoaderRuns,
    api_core_factory,
    connector_of,
    file_core_factory,
    source_id_of,
)

__all__ = ["EXCLUDED_EMBED_METADATA_KEYS", "EXCLUDED_LLM_METADATA_KEYS", "AirbyteEmbeddedReader"]

EXCLUDED_EMBED_METADATA_KEYS = (
    "source_id",
    "size",
    "last_modified",
    "content_type",
    "etag",
    "url",
    "record_id",
)
"""Metadata kept out of the text that is embedded (noise for similarity)."""
EXCLUDED_LLM_METADATA_KEYS = ("source_id", "size", "etag", "url")
"""Metadata kept out of the text the LLM sees."""


def to_llama_index(record: DocumentRecord) -> Document:
    """A neutral document as a LlamaIndex ``Document``: flat metadata (None values and the raw
    API record dropped), noisy keys excluded from embedding and LLM text."""
    metadata = {k: v for k, v in record.metadata.items() if v is not None and k != "record"}
    return Document(
        id_=record.id,
        text=record.text,
        metadata=metadata,
        excluded_embed_metadata_keys=[k for k in EXCLUDED_EMBED_METADATA_KEYS if k in metadata],
        excluded_llm_metadata_keys=[k for k in EXCLUDED_LLM_METADATA_KEYS if k in metadata],
    )


class _AsyncDocuments:
    """``alazy_load_data``'s result: ``async for`` it to stream, or ``await`` it for a list."""

    def __init__(self, records: AsyncIterator[DocumentRecord]) -> None:
        self._records = records

    async def __aiter__(self) -> AsyncIterator[Document]:
        async for record in self._records:
            yield to_llama_index(record)

    def __await__(self) -> Generator[Any, None, list[Document]]:
        return self._collect().__await__()

    async def _collect(self) -> list[Document]:
        return [document async for document in self]


class AirbyteEmbeddedReader(BasePydanticReader, FileLoadOptions):
    """Reads a customer's files (or, with ``from_api``, API records) as LlamaIndex Documents.

    One Document per file (or per PDF page with ``pdf_mode="page"``), ``id_`` stable (source id
    + path + page) so an ``IngestionPipeline`` with a docstore upserts instead of duplicating.
    Metadata is flat (``source_id``, ``path``, ``file_name``, ``size``, ``last_modified``,
    ``content_type``, ``etag``, ``page``; None values left out). For API records: ``source_id``,
    ``url``, ``record_id``, ``object``; the raw record is left out (the text holds every field).
    Pass ``state`` to load incrementally (see ``state`` and ``removed`` after a run).
    """

    is_remote: bool = True
    client: Any = Field(exclude=True, description="AirbyteEmbeddedClient or its sync face.")
    source_id: str = Field(description="The Airbyte source to read.")
    api_path: str | None = Field(default=None, description="Set by from_api: the API listing.")
    params: dict[str, Any] | None = None
    record_path: str | None = "data"
    paginator: Any = Field(default=None, exclude=True)
    max_records: int | None = None
    connector: str | None = None
    max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS

    _runs: LoaderRuns = PrivateAttr()

    def __init__(
        self,
        client: ClientLike,
        source_id: str | Source,
        *,
        state: LoadState | None = None,
        api_path: str | None = None,
        params: Mapping[str, Any] | None = None,
        record_path: str | None = "data",
        paginator: Paginator | None = None,
        max_records: int | None = None,
        connector: str | None = None,
        max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS,
        **options: Unpack[FileLoadKwargs],
    ) -> None:
        """File mode, ``options`` being the keywords of ``FileLoadOptions`` (``prefix``,
        ``include``, ...); ``from_api`` sets ``api_path`` and the record options instead."""
        file_options = FileLoadOptions.model_validate(options)
        super().__init__(
            client=client,
            source_id=source_id_of(source_id),
            **file_options.model_dump(),
            parse_budget=file_options.parse_budget,
            api_path=api_path,
            params=dict(params) if params is not None else None,
            record_path=record_path,
            paginator=paginator,
            max_records=max_records,
            connector=connector,
            max_value_chars=max_value_chars,
        )
        if self.api_path is not None:
            factory = api_core_factory(
                self.source_id,
                self.api_path,
                params=self.params,
                record_path=self.record_path,
                paginator=self.paginator,
                max_records=self.max_records,
                connector=connector_of(source_id, self.connector),
                max_value_chars=self.max_value_chars,
                show_progress=self.show_progress,
            )
        else:
            factory = file_core_factory(self.source_id, file_options)
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
    ) -> AirbyteEmbeddedReader:
        """One Document per record of an API listing (Stripe pagination unless ``paginator``)."""
        return cls(
            client,
            source_id,
            show_progress=show_progress,
            api_path=path,
            params=params,
            record_path=record_path,
            paginator=paginator,
            max_records=max_records,
            connector=connector,
            max_value_chars=max_value_chars,
        )

    @classmethod
    def class_name(cls) -> str:
        return "AirbyteEmbeddedReader"

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

    def lazy_load_data(self, *args: Any, **load_kwargs: Any) -> Iterable[Document]:
        """The Documents one at a time (blocking; works inside a running event loop)."""
        for record in self._runs.iterate():
            yield to_llama_index(record)

    def load_data(self, *args: Any, **load_kwargs: Any) -> list[Document]:
        """All the Documents (blocking)."""
        return list(self.lazy_load_data())

    def alazy_load_data(  # type: ignore[override]
        self, *args: Any, **load_kwargs: Any
    ) -> _AsyncDocuments:
        """The Documents natively async: ``async for`` streams them, ``await`` gives a list
        (what ``BaseReader.alazy_load_data`` promises)."""
        return _AsyncDocuments(self._runs.aiterate())

    async def aload_data(self, *args: Any, **load_kwargs: Any) -> list[Document]:
        """All the Documents, natively async."""
        return await self.alazy_load_data()
