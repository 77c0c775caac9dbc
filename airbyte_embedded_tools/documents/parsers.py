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
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import islice
from typing import Any

from airbyte_embedded_tools._redact import get_logger

from .errors import ParseError, UnsupportedFormatError

__all__ = [
    "FORMATS",
    "PDF_EXTRA_HINT",
    "SNIFF_BYTES",
    "TextPart",
    "decode_text",
    "detect_format",
    "extract_text",
    "render_json",
    "sniff_format",
]

logger = get_logger(__name__)

FORMATS = ("text", "markdown", "csv", "json", "jsonl", "html", "pdf")
"""Every format name ``detect_format`` can return."""

PDF_EXTRA_HINT = "pip install 'airbyte-embedded-tools[pdf]'"

CSV_BLOCK_CHARS = 2000
"""CSV text is cut into blocks of about this many characters, each starting with the header."""

SNIFF_BYTES = 8192
"""How many leading bytes ``sniff_format`` looks at."""

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


def _bom_less_utf16(content: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes look like BOM-less UTF-16 (every other byte NUL)."""
    sample = content[:SNIFF_BYTES]
    if len(sample) < 4 or len(sample) % 2:
        return None
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.9 * half and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > 0.9 * half and odd_nuls == 0:
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
    keeps the column names.
    """
    if not text.strip():
        return ""
    delimiter = "\t" if path.lower().endswith(".tsv") else _sniff_delimiter(text)
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
    except csv.Error as exc:
        raise ParseError(f"{path}: malformed CSV: {exc}") from exc
    if not rows:
        return ""
    header = _csv_line(rows[0])
    blocks: list[str] = []
    block: list[str] = [header]
    size = len(header)
    for row in rows[1:]:
        line = _csv_line(row)
        if len(block) > 1 and size + len(line) > CSV_BLOCK_CHARS:
            blocks.append("\n".join(block))
            block, size = [header], len(header)
        block.append(line)
        size += len(line) + 1
    blocks.append("\n".join(block))
    return "\n\n".join(blocks)


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
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{path}: malformed JSON: {exc}") from exc
    return render_json(value)


def _jsonl_text(text: str, path: str) -> str:
    lines: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise ParseError(f"{path}: malformed JSON on line {number}: {exc}") from exc
        lines.append(json.dumps(value, ensure_ascii=False))
    return "\n".join(lines)


def render_json(value: Any, *, width: int = 80, indent: str = "  ") -> str:
    """JSON pretty but compact: a container fitting in ``width`` characters stays on one line."""
    return _render_json(value, width, indent, "")


def _render_json(value: Any, width: int, indent: str, pad: str) -> str:
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or len(pad) + len(flat) <= width:
        return flat
    inner = pad + indent
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(str(key), ensure_ascii=False)}: "
            f"{_render_json(item, width, indent, inner)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [inner + _render_json(item, width, indent, inner) for item in value]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


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


def _pdf_parts(content: bytes, path: str) -> list[TextPart]:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise ImportError(f"Reading PDF files needs pypdf: {PDF_EXTRA_HINT}") from exc
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(f"{path}: the PDF is encrypted")
        pages = list(reader.pages)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"{path}: malformed PDF: {exc}") from exc
    parts: list[TextPart] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:
            logger.warning("%s: no text from PDF page %d: %s", path, number, exc)
            text = ""
        parts.append(TextPart(_normalise_newlines(text).strip(), page=number))
    return parts
