"""Resumable downloads for ``cat -o FILE``: bytes go to ``FILE.part``, renamed only when complete.

An interrupted download leaves ``FILE.part`` and a small ``FILE.part.json`` (source, path, etag,
size); the next run continues from the part's size if the remote file is unchanged, else restarts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._config import DEFAULT_CHUNK_SIZE
from airbyte_embedded_tools._errors import RangeNotSatisfiableError

from .output import format_size

__all__ = ["DownloadResult", "copy_range", "download"]

PROGRESS_THRESHOLD = 1024 * 1024
"""Files at least this large get a progress bar (if stderr is a terminal and tqdm is installed)."""


class _Progress(Protocol):
    def update(self, n: int) -> object: ...


@dataclass(frozen=True)
class DownloadResult:
    """What a download did: where, how many bytes, the offset it resumed at, the final sha256."""

    path: Path
    size: int
    resumed_from: int
    sha256: str
    already_complete: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result for ``--json``."""
        return {
            "path": str(self.path),
            "size": self.size,
            "resumed_from": self.resumed_from,
            "already_complete": self.already_complete,
            "sha256": self.sha256,
        }

    def summary(self) -> str:
        """The result for people."""
        if self.already_complete:
            return f"{self.path} is already complete ({format_size(self.size)})"
        resumed = f", resumed at byte {self.resumed_from}" if self.resumed_from else ""
        return f"saved {self.path} ({format_size(self.size)}{resumed}) sha256 {self.sha256}"


@dataclass(frozen=True)
class _Remote:
    size: int | None
    etag: str | None


@dataclass(frozen=True)
class _Plan:
    """Where the bytes go and from which offset of the part file to continue."""

    dest: Path
    part: Path
    meta: Path
    offset: int
    already_complete: bool = False


async def _probe(client: AirbyteEmbeddedClient, source_id: str, path: str) -> _Remote:
    """The remote file's size and etag, from a one-byte read (416 means an empty file)."""
    try:
        first = await client.read_file(source_id, path, start=0, end=0)
    except RangeNotSatisfiableError as exc:
        return _Remote(size=exc.size or 0, etag=None)
    return _Remote(size=first.total_size, etag=first.etag)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _plan(dest: Path, marker: dict[str, Any], remote: _Remote, *, resume: bool) -> _Plan:
    """What to keep: a matching ``.part``, a shorter ``dest`` (moved to ``.part``), or nothing.

    Writes the marker file that lets the next run check the remote file did not change.
    """
    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    offset = 0
    if resume and part.exists():
        try:
            previous = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        offset = part.stat().st_size if previous == marker else 0
    elif resume and dest.exists() and remote.size is not None:
        size = dest.stat().st_size
        if size == remote.size:
            return _Plan(dest, part, meta, size, already_complete=True)
        if size < remote.size:
            os.replace(dest, part)
            offset = size
    if remote.size is not None and offset > remote.size:
        offset = 0
    meta.write_text(json.dumps(marker), encoding="utf-8")
    return _Plan(dest, part, meta, offset)


def _finish(plan: _Plan) -> DownloadResult:
    """Move the complete part into place and describe the result."""
    if not plan.already_complete:
        os.replace(plan.part, plan.dest)
        plan.meta.unlink(missing_ok=True)
    return DownloadResult(
        plan.dest,
        plan.dest.stat().st_size,
        0 if plan.already_complete else plan.offset,
        _sha256(plan.dest),
        already_complete=plan.already_complete,
    )


class _NoProgress:
    def update(self, n: int) -> None:
        return None


@contextlib.contextmanager
def _progress_bar(total: int | None, initial: int, name: str, enabled: bool) -> Iterator[_Progress]:
    """A tqdm bar on stderr when wanted, large enough and available; else a no-op."""
    bar: Any = None
    if enabled and (total is None or total >= PROGRESS_THRESHOLD):
        try:
            from tqdm import tqdm
        except ImportError:
            bar = None
        else:
            bar = tqdm(
                total=total,
                initial=initial,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=name,
                disable=None,
                leave=False,
            )
    try:
        yield bar if bar is not None else _NoProgress()
    finally:
        if bar is not None:
            bar.close()


async def copy_range(
    client: AirbyteEmbeddedClient,
    source_id: str,
    path: str,
    sink: BinaryIO,
    *,
    start: int,
    length: int | None,
    progress: _Progress | None = None,
) -> None:
    """Write ``length`` bytes (to the end when None) of the file from ``start`` on to ``sink``."""
    remaining = length
    if remaining is not None and remaining <= 0:
        return
    chunk_size = DEFAULT_CHUNK_SIZE if remaining is None else min(DEFAULT_CHUNK_SIZE, remaining)
    stream = client.stream_file(source_id, path, start=start, chunk_size=chunk_size)
    try:
        async for chunk in stream:
            piece = chunk if remaining is None else chunk[:remaining]
            sink.write(piece)
            if progress is not None:
                progress.update(len(piece))
            if remaining is not None:
                remaining -= len(piece)
                if remaining <= 0:
                    return
    finally:  # stopping early must release the open ranged response now, not at GC
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


async def download(
    client: AirbyteEmbeddedClient,
    source_id: str,
    path: str,
    dest: Path,
    *,
    byte_range: tuple[int, int | None] | None = None,
    resume: bool = True,
    progress: bool = True,
) -> DownloadResult:
    """Download ``path`` (or ``byte_range`` of it) to ``dest`` through ``dest.part``, resuming."""
    remote = await _probe(client, source_id, path)
    marker = {"source_id": source_id, "path": path, "etag": remote.etag, "size": remote.size}
    plan = _plan(dest, marker, remote, resume=resume and byte_range is None)
    if plan.already_complete:
        return _finish(plan)
    start, end = byte_range or (0, None)
    if remote.size is not None:
        end = remote.size - 1 if end is None else min(end, remote.size - 1)
    length = None if end is None else max(end - start + 1, 0)
    with (
        plan.part.open("ab" if plan.offset else "wb") as sink,
        _progress_bar(length, plan.offset, dest.name, progress) as bar,
    ):
        await copy_range(
            client,
            source_id,
            path,
            sink,
            start=start + plan.offset,
            length=None if length is None else length - plan.offset,
            progress=bar,
        )
    return _finish(plan)
