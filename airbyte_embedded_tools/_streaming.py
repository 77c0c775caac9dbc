"""``stream_file``'s ranged reads: growing ranges, resumption mid-range, ETag and size checks."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx

from ._errors import (
    AirbyteEmbeddedError,
    FileChangedError,
    IncompleteReadError,
    RangeNotSatisfiableError,
)
from ._redact import preview
from ._retry import RetryPolicy, RetryState
from ._wire import parse_content_range, range_header

__all__ = ["MAX_STREAM_RANGE", "SendRange", "stream_ranges"]

MAX_STREAM_RANGE = 32 * 1024 * 1024
"""The largest byte range ``stream_file`` asks for in one request."""

SendRange = Callable[[dict[str, str], RetryState], Awaitable[httpx.Response]]
"""GET the file as stored (uncompressed) with these headers (its ``Range``) under this retry
budget; the response comes back unread (a successful one: the caller closes it), an error
answer raised as its error."""


async def stream_ranges(
    send: SendRange,
    retry: RetryPolicy,
    *,
    path: str,
    where: str,
    chunk_size: int,
    start: int,
) -> AsyncGenerator[bytes, None]:
    """The file from byte ``start`` on, as pieces arriving through ranged reads.

    The first range is ``chunk_size`` bytes and each next one twice the previous, up to
    ``MAX_STREAM_RANGE`` (or ``chunk_size`` if larger). A connection broken mid-range resumes
    from the last byte received (counted as a retry; the budget renews after every
    ``chunk_size`` bytes received). ``where`` names the request in retry logs.
    """
    stream = _FileStream(path, offset=start)
    span, ceiling = chunk_size, max(chunk_size, MAX_STREAM_RANGE)
    while stream.total is None or stream.offset < stream.total:
        state = retry.start()
        renewed_at = stream.offset
        range_last = stream.offset + span - 1
        span = min(span * 2, ceiling)
        while True:  # one range; a broken connection resumes at stream.offset
            last = range_last
            if stream.total is not None:
                last = min(last, stream.total - 1)
            headers = {"Accept": "*/*", "Range": range_header(stream.offset, last)}
            try:
                response = await send(headers, state)
            except RangeNotSatisfiableError as exc:
                if exc.size is not None and exc.size == stream.offset:
                    return  # the file ends exactly where we are (an empty remainder)
                raise
            failure: str | None = None
            try:
                expected = stream.begin(response)
                # The bytes as stored, never inflated (unless the transport read them already).
                raw = not response.is_stream_consumed
                async for piece in response.aiter_raw() if raw else response.aiter_bytes():
                    data = stream.accept(piece)
                    if data:
                        yield data
                if expected is not None and stream.received < expected:
                    failure = f"short body: {stream.received} of {expected} bytes"
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__} after {stream.received} bytes"
            finally:
                await response.aclose()
            if failure is None:
                if response.status_code == 200:  # the whole file came, Range ignored
                    stream.total = stream.offset
                break
            if stream.offset - renewed_at >= chunk_size:  # progress renews the budget
                state, renewed_at = retry.start(), stream.offset
            if not await state.wait(
                f"GET {where} broke ({failure}); resuming at byte {stream.offset}"
            ):
                of_total = "" if stream.total is None else f" of {stream.total}"
                raise IncompleteReadError(
                    f"Reading {preview(path)} broke at byte {stream.offset}{of_total} "
                    f"({failure}) and the retries ran out"
                )  # no cause: an httpx error holds the request, and it the bearer token
    if stream.total is not None and stream.offset != stream.total:
        raise IncompleteReadError(
            f"Reading {preview(path)} ended at byte {stream.offset} of {stream.total}"
        )


class _FileStream:
    """Bookkeeping of one streamed read: the next byte to yield, the file's size and ETag."""

    def __init__(self, path: str, *, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.total: int | None = None
        self.etag: str | None = None
        self.received = 0
        self._skip = 0

    def begin(self, response: httpx.Response) -> int | None:
        """Check a new response against what we know; return the bytes it should carry."""
        etag = response.headers.get("etag")
        if self.etag is not None and etag is not None and etag != self.etag:
            raise FileChangedError(
                f"{self.path!r} changed while being read (ETag {self.etag} -> {etag}); "
                f"read it again from the start"
            )
        self.etag = self.etag or etag
        self.received = 0
        if response.status_code == 206:
            served = parse_content_range(response.headers.get("content-range"))
            if served is None:
                raise AirbyteEmbeddedError(
                    f"Reading {self.path!r}: a 206 answer without a valid Content-Range"
                )
            first, last, total = served
        else:  # 200: the server ignored Range and sends the whole file
            first = 0
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            last = -1 if total is None else total - 1
        if first > self.offset:
            raise AirbyteEmbeddedError(
                f"Reading {self.path!r}: asked for byte {self.offset}, the answer starts at {first}"
            )
        if total is not None:
            if self.total is not None and total != self.total:
                raise FileChangedError(
                    f"{self.path!r} changed while being read (size {self.total} -> {total}); "
                    f"read it again from the start"
                )
            self.total = total
        self._skip = self.offset - first
        if response.status_code == 200 and total is None:
            return None
        return last - first + 1

    def accept(self, piece: bytes) -> bytes:
        """The part of ``piece`` not yet yielded (bytes before ``offset`` are dropped)."""
        self.received += len(piece)
        if self._skip:
            dropped = min(self._skip, len(piece))
            self._skip -= dropped
            piece = piece[dropped:]
        self.offset += len(piece)
        return piece
