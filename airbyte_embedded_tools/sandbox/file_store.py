"""An S3-like view of a folder: keys, prefix listing with delimiter semantics, safe path lookup.

Every key is checked before use (no ``..``, absolute paths, backslashes, NUL, drive letters) and
the resolved file must lie inside the root, so nothing outside the store is ever read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

HASH_CACHE_MIN = 1024 * 1024
"""Files at least this big have their etag cached by (size, mtime) instead of hashed per call."""

_EXTRA_TYPES = {".md": "text/markdown", ".jsonl": "application/x-ndjson", ".csv": "text/csv"}


class BadPath(ValueError):
    """The requested key is not acceptable (HTTP 400)."""


class FileMissing(LookupError):
    """No file under that key (HTTP 404)."""


@dataclass(frozen=True)
class FileInfo:
    """One object of the store, as the list endpoint describes it."""

    path: str
    size: int
    last_modified: datetime
    content_type: str
    etag: str
    file: Path

    def as_json(self) -> dict[str, object]:
        """The entry in the list response (``last_modified`` as ISO 8601 with ``Z``)."""
        return {
            "path": self.path,
            "size": self.size,
            "last_modified": self.last_modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "content_type": self.content_type,
            "etag": self.etag,
        }


@dataclass(frozen=True)
class ListPage:
    """One page of a listing: files, common prefixes (non-recursive listing) and the next token."""

    files: list[FileInfo]
    prefixes: list[str]
    next_page_token: str | None


def content_type_for(path: str) -> str:
    """The MIME type guessed from the key's extension (``application/octet-stream`` if unknown)."""
    suffix = os.path.splitext(path)[1].lower()
    guessed = _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path, strict=False)[0]
    return guessed or "application/octet-stream"


def check_key(key: str, *, allow_empty: bool = False) -> str:
    """Return ``key`` if it is a safe relative key; raise BadPath naming the problem otherwise."""
    if not key:
        if allow_empty:
            return key
        raise BadPath("a file path is required after /get/")
    if "\x00" in key:
        raise BadPath("the path contains a NUL byte")
    if "\\" in key:
        raise BadPath("the path contains a backslash; use '/' to separate folders")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise BadPath("absolute paths are not allowed; give a path relative to the store's root")
    for segment in key.split("/"):
        if unquote(unquote(segment)) in ("..", "."):
            raise BadPath("'.' and '..' path segments are not allowed")
    if any(ord(ch) < 32 for ch in key):
        raise BadPath("the path contains control characters")
    return key


class FileStore:
    """Lists and resolves files under ``root``, with etags from content hashes (MD5, like S3)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._etags: dict[tuple[str, int, int], str] = {}

    def resolve(self, key: str) -> Path:
        """The file behind a key, guaranteed inside the root; BadPath or FileMissing otherwise."""
        check_key(key)
        candidate = (self.root / key).resolve()
        if not candidate.is_relative_to(self.root) or candidate == self.root:
            raise BadPath("the path points outside the file store")
        try:
            is_file = candidate.is_file()
        except OSError:  # e.g. a name longer than the file system allows: no such file
            is_file = False
        if not is_file:
            raise FileMissing(f"file {key!r} not found")
        return candidate

    def info(self, key: str) -> FileInfo:
        """Size, modification time, type and etag of one file."""
        file = self.resolve(key)
        stat = file.stat()
        return FileInfo(
            path=key,
            size=stat.st_size,
            last_modified=datetime.fromtimestamp(int(stat.st_mtime), tz=timezone.utc),
            content_type=content_type_for(key),
            etag=self._etag(file, stat.st_size, stat.st_mtime_ns),
            file=file,
        )

    def _etag(self, file: Path, size: int, mtime_ns: int) -> str:
        cache_key = (str(file), size, mtime_ns)
        if size >= HASH_CACHE_MIN:
            with self._lock:
                cached = self._etags.get(cache_key)
            if cached:
                return cached
        digest = hashlib.md5(usedforsecurity=False)
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        etag = f'"{digest.hexdigest()}"'
        if size >= HASH_CACHE_MIN:
            with self._lock:
                self._etags[cache_key] = etag
        return etag

    def keys(self) -> list[str]:
        """Every file's key, sorted like S3 (by UTF-8 bytes); links leading outside are skipped."""
        found: list[str] = []
        for directory, _dirs, names in os.walk(self.root, followlinks=False):
            for name in names:
                path = Path(directory) / name
                resolved = path.resolve()
                if resolved.is_file() and resolved.is_relative_to(self.root):
                    found.append(path.relative_to(self.root).as_posix())
        return sorted(found, key=lambda k: k.encode())

    def list(
        self, prefix: str, *, recursive: bool, page_size: int, page_token: str | None
    ) -> ListPage:
        """A page of the keys starting with ``prefix``; without recursion, deeper keys collapse into
        their common prefix (S3's ``delimiter=/``)."""
        check_key(prefix, allow_empty=True)
        start_after = decode_token(page_token) if page_token else None
        entries: list[str] = []
        for key in self.keys():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            if not recursive and "/" in rest:
                common = prefix + rest.split("/", 1)[0] + "/"
                if not entries or entries[-1] != common:
                    entries.append(common)
                continue
            entries.append(key)
        if start_after is not None:
            entries = [e for e in entries if e.encode() > start_after.encode()]
        page = entries[:page_size]
        more = len(entries) > page_size
        return ListPage(
            files=[self.info(e) for e in page if not e.endswith("/")],
            prefixes=[e for e in page if e.endswith("/")],
            next_page_token=encode_token(page[-1]) if more else None,
        )


PAGE_MARK = "after:"
"""Starts every decoded page token, so arbitrary strings are recognised as invalid."""


def encode_token(last_key: str) -> str:
    """An opaque page token: the last key returned, base64url-encoded."""
    return base64.urlsafe_b64encode((PAGE_MARK + last_key).encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The key a page token stands for; BadPath if the token is not one of ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(PAGE_MARK):
        raise BadPath("page_token is not valid: pass next_page_token from the previous page")
    return raw[len(PAGE_MARK) :]
