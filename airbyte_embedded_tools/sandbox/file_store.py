"""An S3-like view of a folder: keys, prefix listing with delimiter semantics, safe path lookup.

Every requested key is checked before use (no ``..`` or ``.`` segment, absolute paths,
backslashes, NUL, drive letters) and the resolved file must lie inside the root, so nothing
outside the store is ever read. A key is taken literally, as S3 does: ``%2e%2e`` is a file of that
name, not a way up. Listings describe what is on disk without re-checking it, so one odd name never
breaks a listing; names that are not UTF-8 cannot be S3 keys and are left out.

ETags: files up to ``CONTENT_HASH_MAX`` carry the MD5 of their bytes (S3's ETag of a single-part
upload); bigger ones an ETag of their metadata (size, modification and change times, inode), as
many S3-compatible stores do for large objects, so the first touch of a 2 GB file costs a ``stat``,
not a read of 2 GB. Both stay the same while the file is untouched and change with its content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CONTENT_HASH_MAX = 4 * 1024 * 1024
"""Files up to this size have the MD5 of their content as ETag (cached by their metadata)."""

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
    if any(segment in ("..", ".") for segment in key.split("/")):
        raise BadPath("'.' and '..' path segments are not allowed")
    if any(ord(ch) < 32 for ch in key):
        raise BadPath("the path contains control characters")
    return key


class FileStore:
    """Lists and resolves files under ``root``, with cheap, stable etags (see the module)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._etags: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        """Path -> (the metadata the etag was computed for, the etag): one entry per file."""

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
        """Size, modification time, type and etag of the file a requested key names."""
        return self._describe(key, self.resolve(key))

    def _describe(self, key: str, file: Path) -> FileInfo:
        stat = file.stat()
        return FileInfo(
            path=key,
            size=stat.st_size,
            last_modified=datetime.fromtimestamp(int(stat.st_mtime), tz=UTC),
            content_type=content_type_for(key),
            etag=self._etag(file, stat),
            file=file,
        )

    def _etag(self, file: Path, stat: os.stat_result) -> str:
        version = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        with self._lock:
            cached = self._etags.get(str(file))
        if cached is not None and cached[0] == version:
            return cached[1]
        if stat.st_size > CONTENT_HASH_MAX:
            meta = hashlib.md5(repr(version).encode(), usedforsecurity=False).hexdigest()
            etag = f'"{meta}-1"'
        else:
            digest = hashlib.md5(usedforsecurity=False)
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(block)
            etag = f'"{digest.hexdigest()}"'
        with self._lock:
            self._etags[str(file)] = (version, etag)
        return etag

    def files(self, prefix: str = "") -> dict[str, Path]:
        """Every file by key (with ``prefix``: at least those under its folder), sorted like S3
        (by UTF-8 bytes); links leading outside and names that are not UTF-8 are skipped.

        Only the prefix's folder is walked, as S3 lists by prefix: a listing costs what it
        returns, not what the whole store holds.
        """
        found: dict[str, Path] = {}
        folder = self.root.joinpath(*prefix.split("/")[:-1])
        for directory, _dirs, names in os.walk(folder, followlinks=False):
            for name in names:
                path = Path(directory) / name
                resolved = path.resolve()
                if not (resolved.is_file() and resolved.is_relative_to(self.root)):
                    continue
                key = path.relative_to(self.root).as_posix()
                try:
                    key.encode()
                except UnicodeEncodeError:  # undecodable bytes in the name: not an S3 key
                    continue
                found[key] = resolved
        return {key: found[key] for key in sorted(found, key=lambda k: k.encode())}

    def list(
        self, prefix: str, *, recursive: bool, page_size: int, page_token: str | None
    ) -> ListPage:
        """A page of the keys starting with ``prefix``; without recursion, deeper keys collapse into
        their common prefix (S3's ``delimiter=/``)."""
        check_key(prefix, allow_empty=True)
        start_after = decode_token(page_token) if page_token else None
        files = self.files(prefix)
        entries: list[str] = []
        for key in files:
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
            files=[self._describe(e, files[e]) for e in page if not e.endswith("/")],
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
