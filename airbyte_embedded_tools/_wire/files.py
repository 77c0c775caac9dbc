"""The file proxy's answers: file lists, byte ranges, and a file's content with its metadata."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools._models import FileContent, FileEntry

__all__ = [
    "FileListPage",
    "file_content",
    "parse_content_range",
    "parse_file_list",
    "parse_unsatisfied_range",
    "range_header",
    "short_range",
]


@dataclass(frozen=True)
class FileListPage:
    """One page of a file list answer: its files, its folders, and the token of the next page."""

    files: list[FileEntry]
    folders: list[str]
    next_page_token: str | None


def parse_file_list(payload: Any) -> FileListPage:
    """The files, folders and next page token of a list answer.

    ASSUMPTION (the list answer is not documented): ``{"files": [{"path", "size",
    "last_modified", "content_type", "etag"}, ...], "next_page_token": str | null}``; extra
    fields are ignored, an entry may be a bare path string, and ``key`` stands in for a missing
    ``path``. ASSUMPTION (not documented either; the sandbox's shape): a ``recursive=false``
    listing adds ``"prefixes": ["reports/2024/", ...]``, the sub-folders directly under the
    prefix (S3's common prefixes); an item may also be an object with ``prefix``, and a missing
    trailing ``/`` is added.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("files", []), list):
        raise AirbyteEmbeddedError(
            "The file list answer has no 'files' list: unexpected response shape"
        )
    entries: list[FileEntry] = []
    for item in payload.get("files", []):
        if isinstance(item, str):
            entries.append(FileEntry(path=item))
        elif isinstance(item, dict):
            fields = dict(item)
            fields.setdefault("path", fields.get("key"))
            fields["last_modified"] = _parse_datetime(fields.get("last_modified"))
            entries.append(FileEntry.model_validate(fields))
    token = payload.get("next_page_token")
    return FileListPage(entries, _folders(payload.get("prefixes")), str(token) if token else None)


def _folders(raw: Any) -> list[str]:
    """The folder prefixes of a list answer, each ending in ``/`` (see ``parse_file_list``)."""
    folders: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        value = item.get("prefix") if isinstance(item, dict) else item
        if isinstance(value, str) and value.strip("/"):
            folders.append(value if value.endswith("/") else f"{value}/")
    return folders


def _parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 or HTTP date, else None (a bad date must not fail a whole listing)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def range_header(start: int, end: int | None) -> str:
    """``Range`` value for bytes ``start``..``end`` inclusive (``end`` None: to the end).

    ASSUMPTION (the documented example reads ``bytes=0-1048575``): standard HTTP ranges, 206
    with ``Content-Range``, 416 past the end, 200 with the whole file when ``Range`` is absent.
    """
    return f"bytes={start}-" if end is None else f"bytes={start}-{end}"


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``Content-Range: bytes START-END/TOTAL`` (TOTAL may be ``*``) as (start, end, total)."""
    if not value:
        return None
    unit, _, rest = value.strip().partition(" ")
    span, _, total = rest.partition("/")
    first, _, last = span.partition("-")
    if unit.lower() != "bytes":
        return None
    try:
        start, end = int(first), int(last)
        size = None if total.strip() == "*" else int(total)
    except ValueError:
        return None
    return start, end, size


def parse_unsatisfied_range(value: str | None) -> int | None:
    """The file size from a 416's ``Content-Range: bytes */SIZE``."""
    if not value:
        return None
    unit, _, rest = value.strip().partition(" ")
    if unit.lower() != "bytes" or not rest.startswith("*/"):
        return None
    try:
        return int(rest[2:])
    except ValueError:
        return None


def short_range(response: httpx.Response) -> str | None:
    """Why a 206 answer carries fewer bytes than its ``Content-Range`` announces, or None."""
    if response.status_code != 206:
        return None
    served = parse_content_range(response.headers.get("content-range"))
    if served is None:
        return None
    expected = served[1] - served[0] + 1
    if len(response.content) == expected:
        return None
    return f"the 206 answer carries {len(response.content)} of {expected} bytes"


def file_content(response: httpx.Response, *, path: str, requested_start: int) -> FileContent:
    """A ``FileContent`` from a 200 (whole file) or 206 (``Content-Range``) answer."""
    content = response.content
    if response.status_code == 206:
        served = parse_content_range(response.headers.get("content-range"))
        if served is not None:
            start, end, total = served
        else:
            start, end, total = requested_start, requested_start + len(content) - 1, None
    else:
        start, end, total = 0, len(content) - 1, len(content)
    return FileContent(
        path=path,
        content=content,
        start=start,
        end=end,
        total_size=total,
        content_type=response.headers.get("content-type"),
        etag=response.headers.get("etag"),
        last_modified=_parse_datetime(response.headers.get("last-modified")),
    )
