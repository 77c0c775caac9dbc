"""Text extraction with budgets, off the event loop: what the loader and ``read_file`` call.

A file that is too deep, too wide, too slow or too big to parse ends in a ``ParseError`` for
that file, never in an exception that stops a run, a frozen event loop or unbounded memory:

- PDF runs in a child process (``_pdf_worker``), killed when ``timeout`` runs out, under an
  address-space limit of ``max_memory``; only the pages asked for are parsed.
- The other formats are this package's own linear-time parsers, bounded by their input and
  by the nesting and line-width limits in ``parsers``; async callers run them in a worker
  thread. A thread cannot be killed, which is why they are kept linear instead.
- Every result is held to ``max_chars`` characters of text.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from ._pdf_worker import PdfJob
from .errors import ParseError
from .parsers import TextPart, detect_format, extract_text, require_pypdf, sniff_format

__all__ = [
    "DEFAULT_PARSE_BUDGET",
    "ParseBudget",
    "ParsedFile",
    "aextract_text_bounded",
    "extract_text_bounded",
]


@dataclass(frozen=True)
class ParseBudget:
    """How much one file's parse may take: seconds (PDF), child memory (PDF), output text."""

    timeout: float = 60.0
    max_memory: int = 1024 * 1024 * 1024
    max_chars: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_memory <= 0 or self.max_chars <= 0:
            raise ValueError("parse budgets must be positive")


DEFAULT_PARSE_BUDGET = ParseBudget()


@dataclass(frozen=True)
class ParsedFile:
    """The text of a file (one part, or one per PDF page parsed) and, for a PDF, its page count."""

    parts: list[TextPart]
    page_count: int | None = None


def extract_text_bounded(
    content: bytes,
    *,
    path: str,
    content_type: str | None = None,
    budget: ParseBudget = DEFAULT_PARSE_BUDGET,
    first_page: int = 1,
    stop_after_chars: int | None = None,
) -> ParsedFile:
    """``extract_text`` within ``budget`` (blocking: call it from a thread or a worker).

    For a PDF, only pages from ``first_page`` on are parsed, stopping after the page that takes
    the text past ``stop_after_chars``. Raises ``ParseError`` for this file when a budget runs
    out, ``UnsupportedFormatError`` for an unknown binary, ``ImportError`` without pypdf.
    """
    fmt = detect_format(path, content_type) or sniff_format(content)
    if fmt == "pdf":
        count, parts = _pdf_job(content, path, budget, first_page, stop_after_chars).wait(
            budget.timeout
        )
        _check_size(parts, path, budget)
        return ParsedFile(parts, count)
    parts = extract_text(content, path=path, content_type=content_type)
    _check_size(parts, path, budget)
    return ParsedFile(parts)


async def aextract_text_bounded(
    content: bytes,
    *,
    path: str,
    content_type: str | None = None,
    budget: ParseBudget = DEFAULT_PARSE_BUDGET,
    first_page: int = 1,
    stop_after_chars: int | None = None,
) -> ParsedFile:
    """``extract_text_bounded`` in a worker thread: the event loop never waits on a parse.

    A PDF parse still running when the caller is cancelled is killed.
    """
    fmt = detect_format(path, content_type) or sniff_format(content)
    if fmt != "pdf":
        return await asyncio.to_thread(
            extract_text_bounded, content, path=path, content_type=content_type, budget=budget
        )
    jobs: list[PdfJob] = []
    cancelled = threading.Event()

    def run() -> tuple[int, list[TextPart]]:
        job = _pdf_job(content, path, budget, first_page, stop_after_chars)
        jobs.append(job)
        if cancelled.is_set():
            job.kill()
        return job.wait(budget.timeout)

    try:
        count, parts = await asyncio.to_thread(run)
    except asyncio.CancelledError:
        cancelled.set()
        for job in jobs:
            job.kill()
        raise
    _check_size(parts, path, budget)
    return ParsedFile(parts, count)


def _pdf_job(
    content: bytes, path: str, budget: ParseBudget, first_page: int, stop_after_chars: int | None
) -> PdfJob:
    """A started child-process parse of a PDF (``ImportError`` first when pypdf is missing)."""
    require_pypdf()
    return PdfJob(
        content,
        path,
        max_memory=budget.max_memory,
        first_page=first_page,
        stop_after_chars=stop_after_chars,
        max_page_chars=budget.max_chars,
    )


def _check_size(parts: list[TextPart], path: str, budget: ParseBudget) -> None:
    total = sum(len(part.text) for part in parts)
    if total > budget.max_chars:
        raise ParseError(
            f"{path}: the text is longer than the budget of {budget.max_chars} characters"
        )
