"""Proxied files and API responses as text documents for RAG ingestion (framework-neutral).

The LangChain and LlamaIndex faces are ``airbyte_embedded_tools.langchain.AirbyteEmbeddedLoader``
and ``airbyte_embedded_tools.llama_index.AirbyteEmbeddedReader``.
"""

from __future__ import annotations

from .errors import ParseError, UnsupportedFormatError
from .loader import (
    ApiDocumentLoader,
    DocumentRecord,
    FileDocumentLoader,
    FileState,
    LoadState,
    SkippedFile,
)
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
    "FileState",
    "LinkHeaderPaginator",
    "LoadState",
    "NextUrlPaginator",
    "OffsetPaginator",
    "PageRequest",
    "Paginator",
    "ParseError",
    "SinglePage",
    "SkippedFile",
    "StripePaginator",
    "TextPart",
    "UnsupportedFormatError",
    "decode_text",
    "detect_format",
    "extract_records",
    "extract_text",
    "render_record",
]
