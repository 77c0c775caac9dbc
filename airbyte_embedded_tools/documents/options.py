"""The file loaders' options, defined once: ``FileLoadOptions`` (and its keyword form).

``FileDocumentLoader``, the LangChain loader and the LlamaIndex reader all take these options
as keywords (``prefix=...``, ``include=...``) and validate them through this one model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict

from .bounded import DEFAULT_PARSE_BUDGET, ParseBudget

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_PDF_BYTES",
    "DEFAULT_MAX_SIZE",
    "FileLoadKwargs",
    "FileLoadOptions",
    "OnUnsupported",
    "PdfMode",
]

DEFAULT_MAX_SIZE = 32 * 1024 * 1024
"""Files larger than this (bytes) are not read: their text would not fit a document anyway."""
DEFAULT_MAX_PDF_BYTES = 20 * 1024 * 1024
"""PDF text extraction needs the whole file in memory: larger PDFs are not read (the loaders
and ``read_file`` alike)."""
DEFAULT_MAX_CONCURRENCY = 8

PdfMode = Literal["file", "page"]
OnUnsupported = Literal["skip", "metadata"]


class FileLoadOptions(BaseModel):
    """Which files a file loader reads and how: selection, size limits, PDF handling, budgets.

    ``include``/``exclude`` are globs (one without ``/`` matches the file name, one with ``/``
    the whole path); ``content_types`` are MIME patterns (``text/*``); ``max_size`` and
    ``max_pdf_bytes`` are byte limits; ``pdf_mode="page"`` gives one document per PDF page;
    ``on_unsupported="metadata"`` keeps files without text as metadata-only documents;
    ``parse_budget`` bounds each file's parse (time, memory, text size).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    prefix: str = ""
    recursive: bool = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    content_types: list[str] | None = None
    max_size: int | None = Field(default=DEFAULT_MAX_SIZE, ge=0)
    max_pdf_bytes: int = Field(default=DEFAULT_MAX_PDF_BYTES, ge=0)
    pdf_mode: PdfMode = "file"
    on_unsupported: OnUnsupported = "skip"
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    show_progress: bool = False
    parse_budget: ParseBudget = Field(default=DEFAULT_PARSE_BUDGET, exclude=True)

    @field_validator("include", "exclude", "content_types", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        """A single pattern is a list of one."""
        return [value] if isinstance(value, str) else value


class FileLoadKwargs(TypedDict, total=False):
    """``FileLoadOptions`` as keyword arguments (the constructors' ``**options``); a test holds
    the two to the same names."""

    prefix: str
    recursive: bool
    include: Sequence[str] | str | None
    exclude: Sequence[str] | str | None
    content_types: Sequence[str] | str | None
    max_size: int | None
    max_pdf_bytes: int
    pdf_mode: PdfMode
    on_unsupported: OnUnsupported
    max_concurrency: int
    show_progress: bool
    parse_budget: ParseBudget
