"""An answer's ``Content-Encoding`` undone piece by piece, never past a size cap.

httpx inflates each network read whole: 64 KB of gzip can become 64 MiB before anyone counts
it. ``Inflater`` asks zlib for at most the room left under the cap, so memory stays bounded by
the cap whatever the compression ratio. Only gzip and deflate are undone (the client asks for
no other); any other coding is refused, not guessed at.
"""

from __future__ import annotations

import zlib

from ._redact import clip

__all__ = ["ACCEPT_ENCODING", "BodyError", "Inflater", "TooLarge", "inflater_for"]

ACCEPT_ENCODING = "gzip, deflate"
"""What the client accepts for a JSON answer: the codings ``Inflater`` undoes."""

_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class BodyError(Exception):
    """An answer whose body cannot be read as sent: corrupt or cut-short compressed data
    (``retryable``: the next answer may be whole), or a coding the client did not ask for."""

    def __init__(self, problem: str, *, retryable: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retryable = retryable


class TooLarge(Exception):
    """The inflated body would pass the cap."""


class Inflater:
    """Undoes one gzip or deflate body fed in pieces (``feed``), then checks its end (``end``)."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._gzip = coding == "gzip"
        self._first = True
        self._zlib = zlib.decompressobj(_GZIP if self._gzip else _ZLIB)

    def feed(self, data: bytes, room: int) -> bytes:
        """The bytes ``data`` inflates to; ``TooLarge`` if more than ``room`` would come."""
        out = b""
        while True:
            try:
                out += self._zlib.decompress(data, room + 1 - len(out))
            except zlib.error as exc:
                if self._gzip or not self._first:
                    raise self._corrupt(exc) from None
                # "deflate" means zlib-wrapped, yet some servers send it raw (httpx allows it).
                self._zlib, self._first = zlib.decompressobj(_RAW_DEFLATE), False
                continue
            self._first = False
            if len(out) > room:
                raise TooLarge
            if not (self._gzip and self._zlib.eof and self._zlib.unused_data):
                return out
            # Another gzip member follows (RFC 1952 allows several): inflate it too.
            data, self._zlib = self._zlib.unused_data, zlib.decompressobj(_GZIP)

    def end(self) -> None:
        """Raise ``BodyError`` if the compressed data stopped before its end."""
        if not self._first and not self._zlib.eof:
            problem = f"the {self._coding} body ends before its end (cut short?)"
            raise BodyError(problem, retryable=True)

    def _corrupt(self, exc: zlib.error) -> BodyError:
        return BodyError(f"the {self._coding} body is corrupt ({exc})", retryable=True)


def inflater_for(content_encoding: str | None) -> Inflater | None:
    """The inflater for an answer's ``Content-Encoding``, None if it has none (or identity).

    Raises ``BodyError`` for any coding but one gzip or deflate.
    """
    if not content_encoding:
        return None
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
        return Inflater("gzip")
    if codings == ["deflate"]:
        return Inflater("deflate")
    raise BodyError(
        f"the answer is encoded as {clip(content_encoding, 40)!r}, which the client did not ask "
        f"for (it accepts {ACCEPT_ENCODING})",
        retryable=False,
    )
