"""What a tool call returns: compact text for the model plus the full typed result (artifact)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from airbyte_embedded_tools._models import FileEntry

__all__ = ["ApiResponse", "FileListing", "FileText", "ToolResult"]


class ApiResponse(BaseModel):
    """The full upstream answer of a proxied request: status, headers and parsed body."""

    model_config = ConfigDict(frozen=True)

    source: str
    method: str
    url: str
    status_code: int
    headers: dict[str, str] = Field(default_factory=dict)
    data: Any = None
    """The JSON body, parsed; the text when the body is not JSON; None for an empty body."""


class FileListing(BaseModel):
    """The files a listing returned, its folders (this level only), and whether more exist."""

    model_config = ConfigDict(frozen=True)

    source: str
    prefix: str
    recursive: bool
    entries: list[FileEntry]
    folders: list[str] = Field(default_factory=list)
    """The sub-folders directly under ``prefix`` (``recursive=false`` only), each ending in /."""
    has_more: bool


class FileText(BaseModel):
    """Text extracted from part of a file, and which part it is.

    ``start``/``end`` (inclusive) are the bytes read, for text formats; ``first_page``/``last_page``
    (1-based) and ``page_count`` are set for PDF. ``next_offset``/``next_page`` continue the read.
    """

    model_config = ConfigDict(frozen=True)

    source: str
    path: str
    format: str
    content_type: str | None = None
    text: str
    total_size: int | None = None
    start: int | None = None
    end: int | None = None
    next_offset: int | None = None
    first_page: int | None = None
    last_page: int | None = None
    page_count: int | None = None
    next_page: int | None = None


class ToolResult(BaseModel):
    """A tool's answer: ``content`` for the model, ``artifact`` for programs, an error flag."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    content: str
    artifact: Any = None
    is_error: bool = False

    @classmethod
    def error(cls, message: str) -> ToolResult:
        """A failed call: the message tells the model what went wrong and what to change."""
        return cls(content=message, is_error=True)

    def __str__(self) -> str:
        return self.content
