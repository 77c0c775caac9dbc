"""File bytes to text, by format: plain text, Markdown, CSV, JSON, JSON Lines, HTML and PDF.

Used by the document loaders and by the ``ReadFileTool``. Only the stdlib is needed, except for
PDF, which uses ``pypdf`` from the ``pdf`` extra.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import islice
from typing import Any

from airbyte_embedded_tools._redact import get_logger

from .errors import ParseError, UnsupportedFormatError

__all__ = [
    "FORMATS",
    "MAX_CSV_LINE_CHARS",
    "MAX_INDENT_LEVELS",
    "MAX_NESTING",
    "PDF_EXTRA_HINT",
    "SNIFF_BYTES",
    "TextPart",
    "decode_text",
    "detect_format",
    "extract_text",
    "pdf_pages",
    "render_json",
    "require_pypdf",
    "sniff_format",
    "text_encoding",
]

logger = get_logger(__name__)

FORMATS = ("text", "markdown", "csv", "json", "jsonl", "html", "pdf")
"""Every format name ``detect_format`` can return."""

PDF_EXTRA_HINT = "pip install 'airbyte-embedded-tools[pdf]'"

CSV_BLOCK_CHARS = 2000
"""CSV text is cut into blocks of about this many characters, each starting with the header."""

SNIFF_BYTES = 8192
"""How many leading bytes ``sniff_format`` looks at."""

MAX_CSV_LINE_CHARS = 1024 * 1024
"""A CSV line longer than this is a ``ParseError`` (the csv module holds a row whole)."""
MAX_NESTING = 256
"""JSON nested deeper than this is a ``ParseError`` (no real document needs more)."""
MAX_INDENT_LEVELS = 16
"""JSON containers deeper than this are rendered flat, so indentation stays bounded."""

DELIMITERS = ",;\t|"
"""CSV delimiters recognised, in order of preference when they split rows equally well."""
DELIMITER_SAMPLE_CHARS = 4096
DELIMITER_SAMPLE_ROWS = 20
"""The CSV delimiter is chosen from at most this many rows of the first 4 KiB of text."""

_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".rst": "text",
    ".xml": "text",
    ".yaml": "text",
    ".yml": "text",
    ".toml": "text",
    ".ini": "text",
    ".cfg": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}

_CONTENT_TYPES: dict[str, str] = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/csv": "csv",
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/jsonlines": "jsonl",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/xml": "text",
    "application/yaml": "text",
    "application/x-yaml": "text",
}


@dataclass(frozen=True)
class TextPart:
    """Text extracted from a file: the whole file, or one page of a PDF (``page`` is 1-based)."""

    text: str
    page: int | None = None


def detect_format(path: str, content_type: str | None) -> str | None:
    """The format of a file from its extension, else its content type; None when unknown.

    The extension wins because object stores often serve ``application/octet-stream``.
    """
    ext = posixpath.splitext(path.lower())[1]
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in _CONTENT_TYPES:
        return _CONTENT_TYPES[mime]
    if mime.endswith("+json"):
        return "json"
    if mime.startswith("text/") or mime.endswith("+xml"):
        return "text"
    return None


def decode_text(content: bytes) -> str:
    """Bytes to str: UTF-8 (BOM or not), UTF-16/32 with a BOM, else cp1252/latin-1; never raises."""
    if content.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return content.decode("utf-32", errors="replace")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace")
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    bom_less_utf16 = _bom_less_utf16(content)
    if bom_less_utf16:
        return content.decode(bom_less_utf16, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            # A multi-byte character cut at the end (e.g. a size-capped read): drop the stub.
            try:
                return content[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def text_encoding(head: bytes, *, bom: bool = True) -> str:
    """The encoding ``decode_text`` reads a file starting with ``head`` in: ``utf-32-le``,
    ``utf-32-be``, ``utf-16-le``, ``utf-16-be`` (BOM or BOM-less), else ``utf-8`` (which also
    stands for the 8-bit fallbacks: one byte per code unit). Lets a reader of a byte window
    keep to the encoding's character boundaries. ``bom=False``: bytes from inside a file,
    where a BOM means nothing."""
    for mark, name in _BOMS if bom else ():
        if head.startswith(mark):
            return name
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    return _bom_less_utf16(head) or "utf-8"


def _bom_less_utf16(content: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes look like BOM-less UTF-16 (most of every other
    byte NUL)."""
    sample = content[:SNIFF_BYTES]
    if len(sample) < 4 or len(sample) % 2:
        return None
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    # Text in UTF-8 or an 8-bit code page has no NUL bytes at all: many on one side is UTF-16
    # (ASCII and Latin-1 characters), a few on the other are characters like U+xx00.
    if odd_nuls > 0.5 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.5 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def sniff_format(head: bytes) -> str | None:
    """The format of a file of unknown type from its first bytes: "pdf", "text" or None (binary)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    return "text" if _looks_like_text(head) else None


def _looks_like_text(content: bytes) -> bool:
    """True when a file of unknown format reads as text (no NUL bytes, valid UTF-8 or a BOM)."""
    sample = content[:SNIFF_BYTES]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and len(sample) == SNIFF_BYTES:
            return True
        # A legacy 8-bit encoding: text has almost no control characters.
        controls = sum(1 for byte in sample if byte < 0x20 and byte not in b"\t\n\r\f\x1b")
        return controls <= len(sample) // 100
    return True


def extract_text(content: bytes, *, path: str, content_type: str | None = None) -> list[TextPart]:
    """The text of a file: one part, or one part per page for a PDF.

    Raises ``UnsupportedFormatError`` for an unknown binary, ``ParseError`` for malformed content,
    ``ImportError`` (naming the ``pdf`` extra) for a PDF when ``pypdf`` is missing.
    """
    fmt = detect_format(path, content_type) or sniff_format(content)
    if fmt is None:
        raise UnsupportedFormatError(
            f"{path}: unsupported binary format ({content_type or 'no content type'})"
        )
    if fmt == "pdf":
        return _pdf_parts(content, path)
    text = _normalise_newlines(decode_text(content))
    if fmt == "csv":
        text = _csv_text(text, path)
    elif fmt == "json":
        text = _json_text(text, path)
    elif fmt == "jsonl":
        text = _jsonl_text(text, path)
    elif fmt == "html":
        text = _html_text(text)
    return [TextPart(text)]


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_text(text: str, path: str) -> str:
    """CSV rows as blocks of about ``CSV_BLOCK_CHARS``, each block led by the header row.

    Blocks are separated by a blank line, so text splitters cut between blocks and every chunk
    keeps the column names. Rows are streamed (memory stays near the size of the text); a line
    longer than ``MAX_CSV_LINE_CHARS`` is a ``ParseError``: the csv module would hold it as one
    row of millions of fields (a 50 MB one-line file took over 1 GB).
    """
    if not text.strip():
        return ""
    _check_line_lengths(text, path)
    delimiter = "\t" if path.lower().endswith(".tsv") else _sniff_delimiter(text)
    blocks: list[str] = []
    header: str | None = None
    block: list[str] = []
    size = 0
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if not row:
                continue
            line = _csv_line(row)
            if header is None:
                header, block, size = line, [line], len(line)
                continue
            if len(block) > 1 and size + len(line) > CSV_BLOCK_CHARS:
                blocks.append("\n".join(block))
                block, size = [header], len(header)
            block.append(line)
            size += len(line) + 1
    except csv.Error as exc:
        raise ParseError(f"{path}: malformed CSV: {exc}") from exc
    if header is None:
        return ""
    blocks.append("\n".join(block))
    return "\n\n".join(blocks)


def _check_line_lengths(text: str, path: str) -> None:
    """``ParseError`` when a line of ``text`` is longer than ``MAX_CSV_LINE_CHARS``."""
    if len(text) <= MAX_CSV_LINE_CHARS:
        return
    start = 0
    while start < len(text):
        end = text.rfind("\n", start, start + MAX_CSV_LINE_CHARS + 1)
        if end == -1:
            if len(text) - start > MAX_CSV_LINE_CHARS:
                raise ParseError(
                    f"{path}: a CSV line is longer than {MAX_CSV_LINE_CHARS} characters "
                    "(too wide to split into rows)"
                )
            return
        start = end + 1


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first row into several fields and the most of the next
    rows into as many; ties go to more fields, then to ``DELIMITERS``' order; else ``,``.

    Reads only the first ``DELIMITER_SAMPLE_ROWS`` rows of the first ``DELIMITER_SAMPLE_CHARS``
    characters, with the csv module's own quoting rules (``csv.Sniffer`` cost 80% of parsing).
    """
    sample = text[:DELIMITER_SAMPLE_CHARS]
    if len(text) > len(sample):  # the last line may be cut: leave it out
        sample = sample[: sample.rfind("\n") + 1] or sample
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue
        try:
            rows = csv.reader(io.StringIO(sample), delimiter=delimiter)
            counts = [len(row) for row in islice(rows, DELIMITER_SAMPLE_ROWS) if row]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (counts.count(counts[0]), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _json_text(text: str, path: str) -> str:
    if not text.strip():
        return ""
    return render_json(_load_json(text, path), path=path)


def _jsonl_text(text: str, path: str) -> str:
    lines: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        value = _load_json(line, path, where=f" on line {number}")
        lines.append(json.dumps(value, ensure_ascii=False))
    return "\n".join(lines)


def _load_json(text: str, path: str, *, where: str = "") -> Any:
    """``json.loads`` with nesting beyond ``MAX_NESTING`` (or the interpreter's stack) as a
    ``ParseError`` rather than a ``RecursionError`` that would abort the caller's whole run."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ParseError(
            f"{path}: JSON nested too deeply{where} (more than {MAX_NESTING} levels)"
        ) from None
    except ValueError as exc:
        raise ParseError(f"{path}: malformed JSON{where}: {exc}") from exc
    depth = _nesting(value)
    if depth > MAX_NESTING:
        raise ParseError(
            f"{path}: JSON nested too deeply{where} ({depth} levels, at most {MAX_NESTING})"
        )
    return value


def _nesting(value: Any) -> int:
    """How deep containers nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth <= MAX_NESTING:
            stack.extend((child, depth) for child in item)
    return deepest


def render_json(
    value: Any, *, width: int = 80, indent: str = "  ", path: str = "JSON value"
) -> str:
    """JSON pretty but compact: a container fitting in ``width`` characters stays on one line.

    Linear in the size of ``value``: each container is tried flat with a budget of ``width``
    characters (never a full dump of its subtree), and containers deeper than
    ``MAX_INDENT_LEVELS`` are written flat, so indentation cannot multiply the text. Raises
    ``ParseError`` (naming ``path``) beyond ``MAX_NESTING`` levels.
    """
    if _nesting(value) > MAX_NESTING:
        raise ParseError(f"{path}: JSON nested too deeply (at most {MAX_NESTING} levels)")
    out: list[str] = []
    _render_json(value, width, indent, 0, out)
    return "".join(out)


def _render_json(value: Any, width: int, indent: str, level: int, out: list[str]) -> None:
    pad = indent * level
    if not isinstance(value, (dict, list)) or not value:
        out.append(json.dumps(value, ensure_ascii=False))
        return
    flat = _flat_json(value, width - len(pad))
    if flat is not None:
        out.append(flat)
        return
    if level >= MAX_INDENT_LEVELS:
        out.append(json.dumps(value, ensure_ascii=False))
        return
    inner = pad + indent
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    out.append(opening + "\n")
    items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    for index, (key, item) in enumerate(items):
        if index:
            out.append(",\n")
        out.append(inner)
        if isinstance(value, dict):
            out.append(json.dumps(str(key), ensure_ascii=False) + ": ")
        _render_json(item, width, indent, level + 1, out)
    out.append(f"\n{pad}{closing}")


def _flat_json(value: Any, budget: int) -> str | None:
    """``json.dumps(value)`` when it is at most ``budget`` characters, else None; the work done
    is bounded by ``budget``, not by the size of ``value``."""
    if budget <= 0:
        return None
    if isinstance(value, str) and len(value) + 2 > budget:
        return None
    if not isinstance(value, (dict, list)) or not value:
        flat = json.dumps(value, ensure_ascii=False)
        return flat if len(flat) <= budget else None
    parts: list[str] = []
    used = 2
    is_dict = isinstance(value, dict)
    items: Iterable[tuple[Any, Any]] = (
        value.items() if isinstance(value, dict) else ((None, item) for item in value)
    )
    for key, item in items:
        if parts:
            used += 2
        key_text = json.dumps(str(key), ensure_ascii=False) + ": " if is_dict else ""
        used += len(key_text)
        if used >= budget:
            return None
        child = _flat_json(item, budget - used)
        if child is None:
            return None
        used += len(child)
        parts.append(key_text + child)
    if used > budget:
        return None
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opening + ", ".join(parts) + closing


def _html_text(text: str) -> str:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    return parser.result()


class _HTMLText(HTMLParser):
    """Visible text of a page: no script/style/noscript/template; blocks on their own lines."""

    _HIDDEN = frozenset({"script", "style", "noscript", "template"})
    _BLOCKS = frozenset(
        {
            "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
            "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
            "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav",
            "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead",
            "title", "tr", "ul",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._hidden: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden.append(tag)
        elif tag in ("td", "th") and "".join(self._current).strip():
            self._current.append(" | ")
        elif tag == "br":
            self._break()
        elif tag in self._BLOCKS:
            self._break()
            if tag == "pre":
                self._pre += 1
            elif tag == "li":
                self._current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and tag == self._hidden[-1]:
            self._hidden.pop()
        elif tag in self._BLOCKS:
            self._break()
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            self._current.append(data)
        else:
            self._current.append(re.sub(r"\s+", " ", data))

    def _break(self) -> None:
        line = "".join(self._current)
        self._current = []
        if self._pre:
            self._lines.extend(line.split("\n"))
        else:
            self._lines.append(line.strip())

    def result(self) -> str:
        self._break()
        text = "\n".join(line.rstrip() for line in self._lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def require_pypdf() -> None:
    """``ImportError`` naming the ``pdf`` extra when ``pypdf`` cannot be imported."""
    try:
        import pypdf  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"Reading PDF files needs pypdf: {PDF_EXTRA_HINT}") from exc


def pdf_pages(
    content: bytes,
    path: str,
    *,
    first_page: int = 1,
    stop_after_chars: int | None = None,
    max_page_chars: int | None = None,
) -> tuple[int, list[TextPart]]:
    """The page count of a PDF and the text of its pages from ``first_page`` on.

    Only the pages asked for are parsed: extraction stops after the page that brings the text
    past ``stop_after_chars``; each page's text is cut at ``max_page_chars``. Runs in this
    process without a time bound: callers wanting one use ``bounded.extract_text_bounded``.
    """
    require_pypdf()
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(f"{path}: the PDF is encrypted")
        count = len(reader.pages)
    except (ParseError, MemoryError):
        raise
    except Exception as exc:
        raise ParseError(f"{path}: malformed PDF: {exc}") from exc
    parts: list[TextPart] = []
    used = 0
    for number in range(first_page, count + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except MemoryError:
            raise
        except Exception as exc:
            logger.warning("%s: no text from PDF page %d: %s", path, number, exc)
            text = ""
        text = _normalise_newlines(text).strip()
        if max_page_chars is not None:
            text = text[:max_page_chars]
        parts.append(TextPart(text, page=number))
        used += len(text)
        if stop_after_chars is not None and used > stop_after_chars:
            break
    return count, parts


def _pdf_parts(content: bytes, path: str) -> list[TextPart]:
    return pdf_pages(content, path)[1]
