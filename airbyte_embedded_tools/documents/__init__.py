"""Proxied files and API responses as text documents for RAG ingestion (framework-neutral)."""

from __future__ import annotations

from .errors import ParseError, UnsupportedFormatError
from .parsers import TextPart, decode_text, detect_format, extract_text

__all__ = [
    "ParseError",
    "TextPart",
    "UnsupportedFormatError",
    "decode_text",
    "detect_format",
    "extract_text",
]
