"""``read_file``: the text of part of a file (a byte window, or PDF pages) and how to read on.

Text formats are read as a bounded byte range from ``offset`` (never the whole of a huge file),
cut at a line boundary without splitting a UTF-8 character; the answer names the bytes it covers
and the ``offset`` that continues. A PDF needs the whole file (up to a cap) and is read by pages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from airbyte_embedded_tools._access import ClientAccess
from airbyte_embedded_tools._errors import NotFoundError, RangeNotSatisfiableError
from airbyte_embedded_tools._models import FileContent
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools.documents import (
    ParseError,
    TextPart,
    UnsupportedFormatError,
    decode_text,
    detect_format,
    extract_text,
)
from airbyte_embedded_tools.documents.bounded import ParseBudget, aextract_text_bounded
from airbyte_embedded_tools.documents.options import DEFAULT_MAX_PDF_BYTES
from airbyte_embedded_tools.documents.parsers import text_encoding

from .base import AirbyteTool, ClientLike
from .guard import DEFAULT_MAX_CHARS, cut_text, human_size
from .messages import ToolError, error_message
from .names import ToolNames
from .results import FileText, ToolResult

__all__ = ["DEFAULT_MAX_PDF_BYTES", "DEFAULT_PARSE_BUDGET", "ReadFileInput", "ReadFileTool"]

DEFAULT_PARSE_BUDGET = ParseBudget(timeout=20.0, max_memory=512 * 1024 * 1024)
"""What parsing one answer's part of a file may take (a PDF page past it is an error message)."""
_FOOTER_RESERVE = 400
_PDF_CACHE_SIZE = 16
_SNIFF_BYTES = 8192
_UNIT = {"utf-8": 1, "utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}
_READABLE = "text, Markdown, CSV, JSON, JSON Lines, HTML and PDF"


class ReadFileInput(BaseModel):
    """Arguments of one file read."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1,
        description="Path of the file, exactly as the file listing shows it (case-sensitive).",
        examples=["reports/q3-summary.md", "contracts/acme.pdf"],
    )
    offset: int = Field(
        default=0,
        ge=0,
        description=(
            "Byte offset to start at, for text files. 0 reads from the start; to read on, use "
            "the offset the previous answer named."
        ),
    )
    page: int = Field(
        default=1,
        ge=1,
        description="First page to read, for PDF files (1-based); as many pages as fit follow.",
    )


class ReadFileTool(AirbyteTool[ReadFileInput]):
    """Read the text of a file of a file source, a part at a time."""

    default_name: ClassVar[str] = "read_file"
    kind: ClassVar[Literal["files"]] = "files"
    input_model = ReadFileInput

    def __init__(
        self,
        client: ClientLike,
        *,
        source: Source | None = None,
        source_id: str | None = None,
        sources: Mapping[str, Source | str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        window_bytes: int | None = None,
        max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
        parse_budget: ParseBudget = DEFAULT_PARSE_BUDGET,
        name: str | None = None,
        names: ToolNames | None = None,
    ) -> None:
        super().__init__(
            client,
            source=source,
            source_id=source_id,
            sources=sources,
            max_chars=max_chars,
            name=name,
            names=names,
        )
        self.window_bytes = window_bytes or 4 * max_chars
        self.max_pdf_bytes = max_pdf_bytes
        self.parse_budget = parse_budget
        self._pdf_cache: OrderedDict[tuple[str, str, str], _PdfPages] = OrderedDict()
        self._encodings: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._pdf_lock = threading.Lock()

    def _describe(self) -> str:
        return (
            f"Read the text of a file of the connected file storage ({_READABLE}). Long files "
            "come a part at a time: the answer says which bytes (or PDF pages) it covers and the "
            f"offset (or page) to pass to read on. Find paths with {self.names['list_files']} "
            f"first.{self.sources_line()}"
        )

    async def _execute(
        self, args: ReadFileInput, source_name: str, source: Source, access: ClientAccess
    ) -> ToolResult:
        try:
            return await self._read(args, source_name, source, access)
        except NotFoundError as exc:
            advice = (
                f"No file at this path: call {self.names['list_files']} to see the exact paths "
                "(they are case-sensitive)."
            )
            message = error_message(exc, tool=self.name, source=source_name, not_found=advice)
            raise ToolError(message) from None

    async def _read(
        self, args: ReadFileInput, source_name: str, source: Source, access: ClientAccess
    ) -> ToolResult:
        """The part of the file ``args`` asks for, by format (PDF by pages, text by bytes)."""
        if detect_format(args.path, None) == "pdf":
            return await self._read_pdf(args, source_name, source, access)
        window = await self._read_window(access, source, args.path, args.offset)
        fmt = detect_format(args.path, window.content_type)
        if fmt is None and window.start == 0 and window.content.startswith(b"%PDF-"):
            return await self._read_pdf(args, source_name, source, access, window)
        if fmt is None:
            fmt = self._sniff(window)
        if fmt == "pdf":
            return await self._read_pdf(args, source_name, source, access)
        encoding = self._encoding(source, window)
        return await self._text_part(window, fmt, source_name, encoding)

    def _encoding(self, source: Source, window: FileContent) -> str:
        """The file's text encoding, so that windows keep to its character boundaries: from
        the BOM or byte pattern of a window at offset 0 (remembered by ETag for the windows
        that follow), else guessed from this window's own bytes (BOM-less UTF-16 shows as
        every other byte NUL)."""
        key = (source.id, window.path, window.etag) if window.etag else None
        if window.start == 0:
            encoding = text_encoding(window.content[:_SNIFF_BYTES])
            if key is not None:
                with self._pdf_lock:
                    self._encodings[key] = encoding
                    while len(self._encodings) > _PDF_CACHE_SIZE:
                        self._encodings.popitem(last=False)
            return encoding
        with self._pdf_lock:
            known = self._encodings.get(key) if key else None
        if known is not None:
            return known
        sample = window.content[:_SNIFF_BYTES]
        guess = text_encoding(sample[: len(sample) - len(sample) % 2], bom=False)
        if guess.startswith("utf-16") and window.start % 2:
            guess = "utf-16-be" if guess == "utf-16-le" else "utf-16-le"
        return guess

    async def _read_window(
        self, access: ClientAccess, source: Source, path: str, offset: int
    ) -> FileContent:
        """Bytes ``offset`` .. ``offset + window_bytes - 1`` (an empty file reads as empty)."""
        try:
            return await access.arun(
                lambda client: client.read_file(
                    source.id, path, offset, offset + self.window_bytes - 1
                )
            )
        except RangeNotSatisfiableError as exc:
            if offset == 0:
                return await access.arun(lambda client: client.read_file(source.id, path))
            size = f" (the file has {exc.size} bytes)" if exc.size is not None else ""
            raise ToolError(
                f"Error: offset {offset} is past the end of '{path}'{size}. Use a smaller "
                "offset; offset=0 reads from the start."
            ) from None

    def _sniff(self, window: FileContent) -> str:
        """'text' when a file of unknown type reads as text; else refuse it, saying why."""
        sample = window.content[:_SNIFF_BYTES]
        try:
            extract_text(sample, path=window.path, content_type=window.content_type)
        except UnsupportedFormatError:
            kind = window.content_type or "unknown type"
            raise ToolError(
                f"Error: '{window.path}' ({kind}, {human_size(window.total_size)}) is a binary "
                f"file, not readable as text. This tool reads {_READABLE}."
            ) from None
        return "text"

    async def _text_part(
        self, window: FileContent, fmt: str, source_name: str, encoding: str
    ) -> ToolResult:
        """The text of a window: whole and formatted when it is the whole file and fits, else a
        line-aligned part of it (on ``encoding``'s character boundaries) with the offset that
        continues."""
        total = window.total_size
        content, start = _align_start(window.content, window.start, encoding)
        at_eof = total is not None and start + len(content) >= total
        if total is None:
            at_eof = len(window.content) < self.window_bytes
        budget = self.max_chars - _FOOTER_RESERVE - 200
        if start == 0 and at_eof:
            try:
                parsed = await aextract_text_bounded(
                    content,
                    path=window.path,
                    content_type=window.content_type,
                    budget=self.parse_budget,
                )
                parts = parsed.parts
            except ParseError:
                parts = []  # malformed (e.g. broken JSON) or over budget: shown as it is below
            if parts and len(parts[0].text) <= budget:
                text = parts[0].text
                return self._answer(window, fmt, source_name, text, 0, len(content), at_eof=True)
        limit = len(content) if fmt == "html" else budget
        chunk = _cut_bytes(content, limit, at_eof, encoding)
        text = _chunk_text(chunk, fmt, window, encoding, start)
        if len(text) > budget:
            chunk = _cut_bytes(content, budget, False, encoding)
            text = cut_text(_chunk_text(chunk, fmt, window, encoding, start), budget)
        done = at_eof and len(chunk) == len(content)
        return self._answer(window, fmt, source_name, text, start, len(chunk), at_eof=done)

    def _answer(
        self,
        window: FileContent,
        fmt: str,
        source_name: str,
        text: str,
        start: int,
        length: int,
        *,
        at_eof: bool,
    ) -> ToolResult:
        total = window.total_size
        end = start + length - 1
        of = f"of {total}" if total is not None else "(total size unknown)"
        kind = window.content_type or fmt
        whole = start == 0 and at_eof
        covers = "the whole file" if whole else f"bytes {start}-{end} {of}"
        head = f"File '{window.path}' ({kind}, {human_size(total)}): {covers}."
        next_offset = None if at_eof else end + 1
        if next_offset is None:
            tail = "" if whole else "[End of file.]"
        else:
            left = f" ({total - next_offset} bytes left)" if total is not None else ""
            tail = f"[More follows{left}: call {self.name} again with offset={next_offset}.]"
        artifact = FileText(
            source=source_name,
            path=window.path,
            format=fmt,
            content_type=window.content_type,
            text=text,
            total_size=total,
            start=start,
            end=end,
            next_offset=next_offset,
        )
        content = "\n".join(part for part in (head, text, tail) if part)
        return ToolResult(content=content, artifact=artifact)

    async def _read_pdf(
        self,
        args: ReadFileInput,
        source_name: str,
        source: Source,
        access: ClientAccess,
        first: FileContent | None = None,
    ) -> ToolResult:
        """Pages from ``args.page`` on, as many as fit; the whole PDF is fetched (up to a cap)."""
        if first is None or first.start != 0:
            first = await self._read_window(access, source, args.path, 0)
        total = first.total_size
        if total is not None and total > self.max_pdf_bytes:
            raise ToolError(
                f"Error: '{args.path}' is a {human_size(total)} PDF; this tool reads PDFs up to "
                f"{human_size(self.max_pdf_bytes)}. Tell the user it is too large to read here."
            )
        key = (source.id, args.path, first.etag) if first.etag else None
        known = self._cached(key)
        pages = known.run_from(args.page, self._page_room()) if known else None
        if known is None or pages is None:
            data = first.content
            if total is not None and len(data) < total:
                rest = await access.arun(
                    lambda client: client.read_file(source.id, args.path, len(data), total - 1)
                )
                data += rest.content
            try:
                parsed = await aextract_text_bounded(
                    data,
                    path=args.path,
                    content_type=first.content_type or "application/pdf",
                    budget=self.parse_budget,
                    first_page=args.page,
                    stop_after_chars=self._page_room(),
                )
            except ParseError as exc:
                raise ToolError(
                    f"Error: '{args.path}' could not be read as a PDF: {exc.message}. Tell the "
                    "user this file cannot be read here."
                ) from None
            known = known or _PdfPages(parsed.page_count or 0)
            known.pages.update((part.page or 0, part) for part in parsed.parts)
            self._cache(key, known)
            pages = parsed.parts
        return self._pages(args, source_name, first, known.count, pages)

    def _page_room(self) -> int:
        return self.max_chars - _FOOTER_RESERVE - 200

    def _cached(self, key: tuple[str, str, str] | None) -> _PdfPages | None:
        """The pages parsed so far of a PDF read before, when its etag is unchanged."""
        if key is None:
            return None
        with self._pdf_lock:
            return self._pdf_cache.get(key)

    def _cache(self, key: tuple[str, str, str] | None, known: _PdfPages) -> None:
        if key is None:
            return
        with self._pdf_lock:
            self._pdf_cache[key] = known
            while len(self._pdf_cache) > _PDF_CACHE_SIZE:
                self._pdf_cache.popitem(last=False)

    def _pages(
        self,
        args: ReadFileInput,
        source_name: str,
        first: FileContent,
        count: int,
        parsed: list[TextPart],
    ) -> ToolResult:
        if count == 0 or args.page > count:
            raise ToolError(
                f"Error: '{args.path}' has {count} page{'s' if count != 1 else ''}; page "
                f"{args.page} does not exist. Use page=1 to {max(count, 1)}."
            )
        head_room = self._page_room()
        blocks: list[str] = []
        used = 0
        last = args.page - 1
        cut_note = ""
        for page in parsed:
            index = (page.page or 1) - 1
            text = page.text or "(no text on this page: it may be a scanned image)"
            block = f"--- page {index + 1} ---\n{text}"
            if blocks and used + len(block) + 1 > head_room:
                break
            if not blocks and len(block) > head_room:
                block = cut_text(block, head_room)
                cut_note = (
                    f"[Page {index + 1} was cut at {head_room} characters: the rest of this "
                    "page cannot be shown.]"
                )
            blocks.append(block)
            used += len(block) + 1
            last = index
        first_page, last_page = args.page, last + 1
        pages = (
            f"page {first_page}" if first_page == last_page else f"pages {first_page}-{last_page}"
        )
        head = (
            f"File '{args.path}' (PDF, {human_size(first.total_size)}, {count} pages): "
            f"{pages} of {count}."
        )
        next_page = last_page + 1 if last_page < count else None
        tail = (
            f"[More pages: call {self.name} again with page={next_page}.]"
            if next_page
            else "[Last page.]"
        )
        text = "\n".join(blocks)
        artifact = FileText(
            source=source_name,
            path=args.path,
            format="pdf",
            content_type=first.content_type,
            text=text,
            total_size=first.total_size,
            first_page=first_page,
            last_page=last_page,
            page_count=count,
            next_page=next_page,
        )
        content = "\n".join(part for part in (head, text, cut_note, tail) if part)
        return ToolResult(content=content, artifact=artifact)


@dataclass
class _PdfPages:
    """A PDF's page count and the pages parsed so far, by number."""

    count: int
    pages: dict[int, TextPart] = field(default_factory=dict)

    def run_from(self, first: int, room: int) -> list[TextPart] | None:
        """Cached pages from ``first`` on, enough to fill ``room`` characters or to reach the
        last page; None when one of them was never parsed."""
        run: list[TextPart] = []
        used = 0
        for number in range(first, self.count + 1):
            page = self.pages.get(number)
            if page is None:
                return None
            run.append(page)
            used += len(page.text)
            if used > room:
                break
        return run if run or first > self.count else None


def _align_start(content: bytes, start: int, encoding: str) -> tuple[bytes, int]:
    """Move an arbitrary offset onto a character boundary of ``encoding``: past UTF-8
    continuation bytes (at most three), to a whole code unit of UTF-16/32, past the low half
    of a UTF-16 surrogate pair."""
    if start == 0:
        return content, start
    unit = _UNIT[encoding]
    if unit == 1:
        skip = 0
        while skip < min(3, len(content)) and 0x80 <= content[skip] < 0xC0:
            skip += 1
        return content[skip:], start + skip
    skip = -start % unit
    if unit == 2 and _is_surrogate(content[skip : skip + 2], encoding, low=True):
        skip += 2
    return content[skip:], start + skip


def _is_surrogate(unit: bytes, encoding: str, *, low: bool) -> bool:
    """True when a UTF-16 code unit is the low (or high) half of a surrogate pair."""
    if len(unit) != 2:
        return False
    value = int.from_bytes(unit, "little" if encoding.endswith("le") else "big")
    return 0xDC00 <= value <= 0xDFFF if low else 0xD800 <= value <= 0xDBFF


def _cut_bytes(content: bytes, limit: int, at_eof: bool, encoding: str = "utf-8") -> bytes:
    """At most ``limit`` bytes, ending after a line break if there is one, else on a character
    boundary of ``encoding``; all of ``content`` when it fits and the file ends there.
    ``content`` starts on a character boundary."""
    if len(content) <= limit and at_eof:
        return content
    head = content[: min(limit, len(content))]
    unit = _UNIT[encoding]
    if unit > 1:
        head = head[: len(head) - len(head) % unit]
        newline = "\n".encode(encoding)
        position = head.rfind(newline)
        while position > 0 and position % unit:
            position = head.rfind(newline, 0, position + unit - 1)
        if position > 0:
            return head[: position + unit]
        if unit == 2 and _is_surrogate(head[-2:], encoding, low=False):
            return head[:-2]
        return head
    newline_at = head.rfind(b"\n")
    if newline_at > 0:
        return head[: newline_at + 1]
    end = len(head)
    while 0 < end < len(content) and 0x80 <= content[end] < 0xC0 and len(head) - end < 3:
        end -= 1
    return head[:end] if end > 0 else head


def _chunk_text(chunk: bytes, fmt: str, window: FileContent, encoding: str, start: int) -> str:
    """Text of a part of a file (in the file's ``encoding``): HTML is rendered, other formats
    shown as they are."""
    if _UNIT[encoding] > 1:
        text = chunk.decode(encoding, errors="replace")
        if start == 0:
            text = text.removeprefix("\ufeff")
    else:
        text = decode_text(chunk)
    if fmt == "html":
        html = text.encode("utf-8")
        return extract_text(html, path=window.path, content_type="text/html")[0].text
    return text.replace("\r\n", "\n")
