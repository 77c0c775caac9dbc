"""Errors of text extraction: a file whose format is unknown, or whose content is malformed."""

from __future__ import annotations

from airbyte_embedded_tools._errors import AirbyteEmbeddedError

__all__ = ["ParseError", "UnsupportedFormatError"]


class UnsupportedFormatError(AirbyteEmbeddedError):
    """The file is a binary format this package cannot turn into text."""


class ParseError(AirbyteEmbeddedError):
    """The file claims a supported format but its content is malformed (e.g. a broken PDF)."""
