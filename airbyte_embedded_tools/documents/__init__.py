"""Proxied files and API responses as text documents for RAG ingestion (framework-neutral).

The LangChain and LlamaIndex faces are ``airbyte_embedded_tools.langchain.AirbyteEmbeddedLoader``
and ``airbyte_embedded_tools.llama_index.AirbyteEmbeddedReader``.
"""

from __future__ import annotations

from .bounded import ParseBudget, ParsedFile, aextract_text_bounded, extract_text_bounded
from .errors import ParseError, UnsupportedFormatError
from .loader import (
    ApiDocumentLoader,
    DocumentRecord,
    FileDocumentLoader,
    FileState,
    LoadState,
    SkippedFile,
    file_documents,
)
from .options import FileLoadKwargs, FileLoadOptions
from .parsers import TextPart, decode_text, detect_format, extract_text
from .records import (
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageRequest,
    Paginator,
    SinglePage,
    StripePaginator,
    extract_records,
    render_record,
)

__all__ = [
    "ApiDocumentLoader",
    "DocumentRecord",
    "FileDocumentLoader",
    "FileLoadKwargs",
    "FileLoadOptions",
    "FileState",
    "LinkHeaderPaginator",
    "LoadState",
    "NextUrlPaginator",
    "OffsetPaginator",
    "PageRequest",
    "Paginator",
    "ParseBudget",
    "ParseError",
    "ParsedFile",
    "SinglePage",
    "SkippedFile",
    "StripePaginator",
    "TextPart",
    "UnsupportedFormatError",
    "aextract_text_bounded",
    "decode_text",
    "detect_format",
    "extract_records",
    "extract_text",
    "extract_text_bounded",
    "file_documents",
    "render_record",
]
