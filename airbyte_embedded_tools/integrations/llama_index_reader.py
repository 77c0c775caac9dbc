"""LlamaIndex reader over proxied files and API records: ``AirbyteEmbeddedReader``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Mapping, Sequence
from typing import Any

try:
    from llama_index.core.bridge.pydantic import Field, PrivateAttr
    from llama_index.core.readers.base import BasePydanticReader
    from llama_index.core.schema import Document
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "AirbyteEmbeddedReader needs LlamaIndex: pip install 'airbyte-embedded-tools[llama-index]'"
    ) from exc

from airbyte_embedded_tools.documents.loader import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_PDF_BYTES,
    DEFAULT_MAX_SIZE,
    DocumentRecord,
    LoadState,
    OnUnsupported,
    PdfMode,
    SkippedFile,
)
from airbyte_embedded_tools.documents.records import DEFAULT_MAX_VALUE_CHARS, Paginator
from airbyte_embedded_tools.documents.runs import (
    LoaderRuns,
    api_core_factory,
    connector_of,
    file_core_factory,
    source_id_of,
)
from airbyte_embedded_tools.sources import Source
from airbyte_embedded_tools.sync_client import ClientLike

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


class AirbyteEmbeddedReader(BasePydanticReader):
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
    prefix: str = ""
    recursive: bool = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    content_types: list[str] | None = None
    max_size: int | None = DEFAULT_MAX_SIZE
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES
    pdf_mode: PdfMode = "file"
    on_unsupported: OnUnsupported = "skip"
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    show_progress: bool = False
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
        prefix: str = "",
        recursive: bool = True,
        include: Sequence[str] | str | None = None,
        exclude: Sequence[str] | str | None = None,
        content_types: Sequence[str] | None = None,
        max_size: int | None = DEFAULT_MAX_SIZE,
        max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
        pdf_mode: PdfMode = "file",
        on_unsupported: OnUnsupported = "skip",
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        state: LoadState | None = None,
        show_progress: bool = False,
        api_path: str | None = None,
        params: Mapping[str, Any] | None = None,
        record_path: str | None = "data",
        paginator: Paginator | None = None,
        max_records: int | None = None,
        connector: str | None = None,
        max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS,
    ) -> None:
        """File mode; ``from_api`` sets ``api_path`` and the record options instead."""
        super().__init__(
            client=client,
            source_id=source_id_of(source_id),
            prefix=prefix,
            recursive=recursive,
            include=[include] if isinstance(include, str) else include,
            exclude=[exclude] if isinstance(exclude, str) else exclude,
            content_types=content_types,
            max_size=max_size,
            max_pdf_bytes=max_pdf_bytes,
            pdf_mode=pdf_mode,
            on_unsupported=on_unsupported,
            max_concurrency=max_concurrency,
            show_progress=show_progress,
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
            factory = file_core_factory(
                self.source_id,
                prefix=self.prefix,
                recursive=self.recursive,
                include=self.include,
                exclude=self.exclude,
                content_types=self.content_types,
                max_size=self.max_size,
                max_pdf_bytes=self.max_pdf_bytes,
                pdf_mode=self.pdf_mode,
                on_unsupported=self.on_unsupported,
                max_concurrency=self.max_concurrency,
                show_progress=self.show_progress,
            )
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
