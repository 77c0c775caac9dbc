"""The framework-neutral loaders: proxied files and API records as text documents, lazily.

``FileDocumentLoader`` lists a file source, selects files, reads them with bounded concurrency
and extracts their text; given the previous run's ``LoadState`` it loads only what changed.
``ApiDocumentLoader`` walks a paginated API listing and renders one document per record.
The LangChain and LlamaIndex faces in ``_integrations/`` wrap these two.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field
from typing_extensions import Unpack

from airbyte_embedded_tools._errors import (
    AirbyteEmbeddedError,
    AuthenticationError,
    IncompleteReadError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
)
from airbyte_embedded_tools._models import FileContent, FileEntry
from airbyte_embedded_tools._redact import get_logger

from .bounded import aextract_text_bounded, extract_text_bounded
from .errors import ParseError, UnsupportedFormatError
from .options import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_PDF_BYTES,
    DEFAULT_MAX_SIZE,
    FileLoadKwargs,
    FileLoadOptions,
    OnUnsupported,
    PdfMode,
)
from .parsers import SNIFF_BYTES, TextPart, detect_format, sniff_format
from .progress import Progress, progress_bar
from .records import (
    DEFAULT_MAX_VALUE_CHARS,
    PageRequest,
    Paginator,
    StripePaginator,
    api_url,
    canonical_json,
    get_path,
    iter_api_records,
    record_id_of,
    render_record,
)

if TYPE_CHECKING:
    from airbyte_embedded_tools._client import AirbyteEmbeddedClient

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_PDF_BYTES",
    "DEFAULT_MAX_SIZE",
    "ApiDocumentLoader",
    "DocumentLoaderCore",
    "DocumentRecord",
    "FileDocumentLoader",
    "FileLoadOptions",
    "FileState",
    "LoadState",
    "OnUnsupported",
    "PdfMode",
    "SkippedFile",
    "documents_of_parts",
    "file_document",
    "file_document_id",
    "file_documents",
    "glob_to_regex",
    "record_document_id",
]

logger = get_logger(__name__)

WHOLE_READ_BYTES = 1024 * 1024
"""Files up to this size are read in one request; larger ones are streamed in ranged chunks."""

DOCUMENT_NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://pypi.org/project/airbyte-embedded-tools"
)
"""Namespace of the deterministic document ids."""


@dataclass(frozen=True)
class DocumentRecord:
    """A framework-neutral document: a stable id, the text, and flat-ish metadata."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def file_document_id(source_id: str, path: str, page: int | None = None) -> str:
    """The stable id of a file's document (or of one PDF page): same file, same id."""
    key = f"file\n{source_id}\n{path}" + (f"\n{page}" if page is not None else "")
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, key))


def record_document_id(source_id: str, record: Any) -> str:
    """The stable id of an API record's document: from its ``object`` and ``id`` when it has them,
    else from its content."""
    record_id = record_id_of(record)
    if record_id is None:
        digest = hashlib.sha256(canonical_json(record).encode()).hexdigest()
        return str(uuid.uuid5(DOCUMENT_NAMESPACE, f"record-content\n{source_id}\n{digest}"))
    kind = get_path(record, "object")
    kind = kind if isinstance(kind, str) else ""
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, f"record\n{source_id}\n{kind}\n{record_id}"))


class FileState(BaseModel):
    """What identifies a file's version: etag, last-modified time (ISO 8601) and size."""

    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None

    @classmethod
    def of(cls, entry: FileEntry) -> FileState:
        """The state of a listed file."""
        modified = entry.last_modified.isoformat() if entry.last_modified else None
        return cls(etag=entry.etag, last_modified=modified, size=entry.size)

    def differs(self, other: FileState) -> bool:
        """True when ``other`` is another version: by etag when both have one, else by
        last-modified time and size."""
        if self.etag and other.etag:
            return self.etag != other.etag
        return (self.last_modified, self.size) != (other.last_modified, other.size)


class LoadState(BaseModel):
    """The files a run has seen, by path: pass it to the next run to load only what changed.

    JSON-serialisable: ``state.model_dump_json()`` / ``LoadState.model_validate_json(text)``.
    """

    files: dict[str, FileState] = Field(default_factory=dict)

    def to_json(self) -> str:
        """The state as JSON text."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> LoadState:
        """A state read back from ``to_json``."""
        return cls.model_validate_json(data)


@dataclass(frozen=True)
class SkippedFile:
    """A file the run did not turn into a document, and why."""

    path: str
    reason: str


class DocumentLoaderCore(Protocol):
    """What the framework faces need from a loader core."""

    state: LoadState | None
    removed: list[str]
    skipped: list[SkippedFile]

    def alazy_load(self) -> AsyncIterator[DocumentRecord]:
        """The documents, one at a time."""
        ...


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex: ``*`` and ``?`` stay within one path segment, ``**`` crosses ``/``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


class _Globs:
    """Glob patterns; one without ``/`` matches the file name, one with ``/`` the whole path."""

    def __init__(self, patterns: Sequence[str] | str | None) -> None:
        if isinstance(patterns, str):
            patterns = [patterns]
        self._compiled = [(("/" in p), glob_to_regex(p.lstrip("/"))) for p in patterns or ()]

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def match(self, entry: FileEntry) -> bool:
        path = entry.path.lstrip("/")
        return any(rx.fullmatch(path if whole else entry.name) for whole, rx in self._compiled)


def _mime_of(entry: FileEntry) -> str | None:
    mime = entry.content_type or mimetypes.guess_type(entry.path)[0]
    return mime.split(";", 1)[0].strip().lower() if mime else None


class _TooLargeError(Exception):
    """A streamed file went past its byte limit."""


class _UnverifiedReadError(Exception):
    """The bytes read do not match the listing (size or ETag): the file is not loaded."""


def _check_etag(entry: FileEntry, read: FileContent) -> None:
    """``_UnverifiedReadError`` when the read's ETag is not the listed one (a new version)."""
    if entry.etag and read.etag and entry.etag.strip('"') != read.etag.strip('"'):
        raise _UnverifiedReadError(
            "the file changed after it was listed (another ETag): not loaded, retried next run"
        )


def file_document(
    source_id: str, entry: FileEntry, text: str, page: int | None = None
) -> DocumentRecord:
    """The document of a listed file (or of one PDF page): stable id, text, file metadata."""
    metadata: dict[str, Any] = {
        "source_id": source_id,
        "path": entry.path,
        "file_name": entry.name,
        "size": entry.size,
        "last_modified": entry.last_modified.isoformat() if entry.last_modified else None,
        "content_type": entry.content_type or mimetypes.guess_type(entry.path)[0],
        "etag": entry.etag,
        "page": page,
    }
    return DocumentRecord(file_document_id(source_id, entry.path, page), text, metadata)


def documents_of_parts(
    source_id: str, entry: FileEntry, parts: Sequence[TextPart], pdf_mode: PdfMode = "file"
) -> list[DocumentRecord]:
    """A file's documents from its extracted text: one per file, or one per PDF page with
    ``pdf_mode="page"``; none when there is no text."""
    if pdf_mode == "page" and any(part.page is not None for part in parts):
        return [
            file_document(source_id, entry, part.text, part.page)
            for part in parts
            if part.text.strip()
        ]
    text = "\n\n".join(part.text for part in parts if part.text)
    return [file_document(source_id, entry, text, None)] if text.strip() else []


def file_documents(
    source_id: str,
    entry: FileEntry,
    content: bytes,
    *,
    options: FileLoadOptions | None = None,
) -> list[DocumentRecord]:
    """The documents of one file whose bytes were read (and verified) already, parsed within
    ``options.parse_budget``: what the loader makes of a file, for callers that read files
    themselves (e.g. batch workers). Blocking (a PDF parses in a child process).

    Raises ``ParseError`` (malformed or over budget), ``UnsupportedFormatError`` (binary),
    ``ImportError`` (PDF without pypdf); an empty list when the file has no text.
    """
    options = options or FileLoadOptions()
    parsed = extract_text_bounded(
        content, path=entry.path, content_type=entry.content_type, budget=options.parse_budget
    )
    return documents_of_parts(source_id, entry, parsed.parts, options.pdf_mode)


@dataclass
class _Outcome:
    """What loading one file gave: documents, the state to remember (None: retry next run)."""

    path: str
    documents: list[DocumentRecord]
    state: FileState | None
    skipped: str | None = None


class FileDocumentLoader:
    """The files of a file source as documents: one per file, or one per PDF page.

    Files are selected by prefix, include/exclude globs, content types and size; read with at
    most ``max_concurrency`` at a time (large ones streamed); unknown binaries and malformed
    files are skipped with a logged reason (see ``skipped``). With ``state`` (the previous run's
    ``LoadState``) only new or changed files are loaded; after a run ``state`` is the new state
    and ``removed`` lists the paths that disappeared.
    """

    def __init__(
        self,
        client: AirbyteEmbeddedClient,
        source_id: str,
        *,
        state: LoadState | None = None,
        options: FileLoadOptions | None = None,
        entries: Sequence[FileEntry] | None = None,
        **kwargs: Unpack[FileLoadKwargs],
    ) -> None:
        """Options as keywords (``prefix=...``, see ``FileLoadOptions``) or as ``options``
        (keywords given as well override its values). ``entries``: a listing made earlier
        (e.g. by a planner that split it into parts) to load instead of listing the source;
        selection and state apply to it as to a listing."""
        if options is None:
            options = FileLoadOptions.model_validate(kwargs)
        elif kwargs:
            options = FileLoadOptions.model_validate(
                {**options.model_dump(), "parse_budget": options.parse_budget, **kwargs}
            )
        self.client = client
        self.source_id = source_id
        self.options = options
        self._include = _Globs(options.include)
        self._exclude = _Globs(options.exclude)
        self.content_types = [c.lower() for c in options.content_types or ()] or None
        self.previous_state = state
        self.state: LoadState | None = state.model_copy(deep=True) if state else LoadState()
        self.removed: list[str] = []
        self.skipped: list[SkippedFile] = []
        self._entries = list(entries) if entries is not None else None

    async def _listing(self) -> AsyncIterator[FileEntry]:
        """The given ``entries``, else the source's listing under the prefix."""
        if self._entries is not None:
            for entry in self._entries:
                yield entry
            return
        async for entry in self.client.iter_files(
            self.source_id, self.options.prefix, recursive=self.options.recursive
        ):
            yield entry

    def selects(self, entry: FileEntry) -> bool:
        """True when the entry passes the include/exclude globs and the content types."""
        if entry.path.endswith("/"):
            return False
        if self._include and not self._include.match(entry):
            return False
        if self._exclude and self._exclude.match(entry):
            return False
        if self.content_types is not None:
            mime = _mime_of(entry)
            return mime is not None and any(fnmatchcase(mime, c) for c in self.content_types)
        return True

    async def alazy_load(self) -> AsyncIterator[DocumentRecord]:
        """The documents of the selected, new or changed files, in listing order."""
        previous = self.previous_state.files if self.previous_state else {}
        state = LoadState(files={path: s.model_copy() for path, s in previous.items()})
        self.state, self.removed, self.skipped = state, [], []
        seen: set[str] = set()
        pending: deque[asyncio.Task[_Outcome]] = deque()
        progress = progress_bar(self.options.show_progress, desc="files", unit="file")
        try:
            async for entry in self._listing():
                if not self.selects(entry):
                    continue
                seen.add(entry.path)
                old = previous.get(entry.path)
                if old is not None and not old.differs(FileState.of(entry)):
                    progress.update(1)
                    continue
                pending.append(asyncio.create_task(self._load(entry)))
                if len(pending) >= self.options.max_concurrency:
                    for document in self._settle(await pending.popleft(), state, progress):
                        yield document
            while pending:
                for document in self._settle(await pending.popleft(), state, progress):
                    yield document
            self.removed = sorted(path for path in state.files if path not in seen)
            for path in self.removed:
                del state.files[path]
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            progress.close()

    def _settle(
        self, outcome: _Outcome, state: LoadState, progress: Progress
    ) -> list[DocumentRecord]:
        """Record one file's outcome (state, skip reason) and return its documents."""
        if outcome.state is not None:
            state.files[outcome.path] = outcome.state
        if outcome.skipped is not None:
            logger.warning("skipped %s: %s", outcome.path, outcome.skipped)
            self.skipped.append(SkippedFile(outcome.path, outcome.skipped))
        progress.update(1)
        return outcome.documents

    async def _load(self, entry: FileEntry) -> _Outcome:
        current = FileState.of(entry)
        try:
            return await self._load_entry(entry, current)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except _TooLargeError as exc:
            return self._unsupported(entry, current, str(exc))
        except _UnverifiedReadError as exc:
            return self._skip(entry, None, str(exc))
        except UnsupportedFormatError as exc:
            return self._unsupported(entry, current, exc.message)
        except ParseError as exc:
            return self._skip(entry, current, exc.message)
        except ImportError as exc:
            return self._skip(entry, None, str(exc))
        except NotFoundError:
            return self._skip(entry, None, "the file disappeared after it was listed")
        except AirbyteEmbeddedError as exc:
            return self._skip(entry, None, f"could not be read: {exc}")

    async def _load_entry(self, entry: FileEntry, current: FileState) -> _Outcome:
        options = self.options
        size = entry.size
        if options.max_size is not None and size is not None and size > options.max_size:
            raise _TooLargeError(f"larger than max_size ({size} > {options.max_size} bytes)")
        fmt = detect_format(entry.path, entry.content_type)
        content: bytes | None = b"" if size == 0 else None
        if fmt is None and content is None:
            head = await self._read_head(entry)
            fmt = sniff_format(head)
            if fmt is None:
                kind = entry.content_type or "no content type"
                raise UnsupportedFormatError(f"unsupported binary format ({kind})")
            if size is not None and len(head) == size:
                content = head
        limit = options.max_size
        if fmt == "pdf":
            pdf_limit = options.max_pdf_bytes
            limit = pdf_limit if limit is None else min(limit, pdf_limit)
            if size is not None and size > limit:
                raise _TooLargeError(
                    f"PDF larger than max_pdf_bytes ({size} > {limit} bytes): "
                    "PDF text extraction needs the whole file in memory"
                )
        if content is None:
            content = await self._read_all(entry, limit)
        parsed = await aextract_text_bounded(
            content, path=entry.path, content_type=entry.content_type, budget=options.parse_budget
        )
        del content
        documents = documents_of_parts(self.source_id, entry, parsed.parts, options.pdf_mode)
        if not documents:
            return self._unsupported(entry, current, "no text in the file")
        return _Outcome(entry.path, documents, current)

    async def _read_head(self, entry: FileEntry) -> bytes:
        """The first bytes of a file, to sniff its format."""
        try:
            read = await self.client.read_file(self.source_id, entry.path, 0, SNIFF_BYTES - 1)
        except RangeNotSatisfiableError:
            return b""
        return read.content

    async def _read_all(self, entry: FileEntry, limit: int | None) -> bytes:
        """The whole file, verified against the listing: one request when small (the client
        retries an answer shorter than the listed size), else streamed, stopping past
        ``limit`` bytes.

        Raises ``_UnverifiedReadError`` when the bytes do not match the listed size or ETag:
        such a file is skipped and stays out of the state.
        """
        if entry.size is not None and entry.size <= WHOLE_READ_BYTES:
            try:
                read = await self.client.read_file(
                    self.source_id, entry.path, expected_size=entry.size
                )
            except IncompleteReadError as exc:
                raise _UnverifiedReadError(f"{exc}: not loaded, retried next run") from None
            _check_etag(entry, read)
            content = read.content
        else:
            content = await self._stream_all(entry, limit)
        if limit is not None and len(content) > limit:
            raise _TooLargeError(f"larger than the limit of {limit} bytes")
        if entry.size is not None and len(content) != entry.size:
            raise _UnverifiedReadError(
                f"read {len(content)} bytes where the listing says {entry.size}: "
                "not loaded, retried next run"
            )
        return content

    async def _stream_all(self, entry: FileEntry, limit: int | None) -> bytes:
        """The file through ranged reads, stopping as soon as it passes ``limit`` bytes."""
        chunks: list[bytes] = []
        total = 0
        stream = self.client.stream_file(self.source_id, entry.path)
        try:
            async for chunk in stream:
                total += len(chunk)
                if limit is not None and total > limit:
                    raise _TooLargeError(f"larger than the limit of {limit} bytes")
                chunks.append(chunk)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        return b"".join(chunks)

    def _unsupported(self, entry: FileEntry, current: FileState, reason: str) -> _Outcome:
        """A file without text: a metadata-only document, or skipped, as ``on_unsupported`` says."""
        if self.options.on_unsupported == "metadata":
            return _Outcome(entry.path, [file_document(self.source_id, entry, "", None)], current)
        return self._skip(entry, current, reason)

    def _skip(self, entry: FileEntry, state: FileState | None, reason: str) -> _Outcome:
        return _Outcome(entry.path, [], state, skipped=reason)


class ApiDocumentLoader:
    """One document per record of a paginated API listing (Stripe's by default).

    Metadata: ``source_id``, ``url`` (the listing URL with the caller's params), ``record_id``,
    ``object`` and ``record`` (the raw record; the LlamaIndex face leaves it out).
    """

    state: LoadState | None = None

    def __init__(
        self,
        client: AirbyteEmbeddedClient,
        source_id: str,
        path: str = "/v1/invoices",
        *,
        params: Mapping[str, Any] | None = None,
        record_path: str | None = "data",
        paginator: Paginator | None = None,
        max_records: int | None = None,
        connector: str = "stripe",
        max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS,
        show_progress: bool = False,
    ) -> None:
        if max_records is not None and max_records < 0:
            raise ValueError("max_records must not be negative")
        self.client = client
        self.source_id = source_id
        self.url = api_url(path, connector)
        self.params = dict(params or {})
        self.record_path = record_path
        self.paginator: Paginator = paginator if paginator is not None else StripePaginator()
        self.max_records = max_records
        self.max_value_chars = max_value_chars
        self.show_progress = show_progress
        self.removed: list[str] = []
        self.skipped: list[SkippedFile] = []

    async def alazy_load(self) -> AsyncIterator[DocumentRecord]:
        """The records as documents, page after page."""
        listing_url = PageRequest(self.url, self.params).full_url
        progress = progress_bar(
            self.show_progress, desc="records", unit="record", total=self.max_records
        )
        try:
            async for record in iter_api_records(
                self.client,
                self.source_id,
                self.url,
                params=self.params,
                record_path=self.record_path,
                paginator=self.paginator,
                max_records=self.max_records,
            ):
                kind = get_path(record, "object")
                metadata: dict[str, Any] = {
                    "source_id": self.source_id,
                    "url": listing_url,
                    "record_id": record_id_of(record),
                    "object": kind if isinstance(kind, str) else None,
                    "record": record,
                }
                text = render_record(record, max_value_chars=self.max_value_chars)
                progress.update(1)
                yield DocumentRecord(record_document_id(self.source_id, record), text, metadata)
        finally:
            progress.close()
