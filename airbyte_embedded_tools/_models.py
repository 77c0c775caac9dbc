"""Typed results of the client: proxied responses, file entries and folders, contents, tokens."""

from __future__ import annotations

import json as jsonlib
import time
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ._errors import IdempotencyConflictError, UpstreamError

__all__ = ["AccessToken", "FileContent", "FileEntry", "FolderListing", "ProxyResponse"]


NOT_JSON: Any = object()
"""Stands for "no parsed JSON value at hand" (not parsed yet, or the body is not JSON)."""


class ProxyResponse:
    """The upstream's answer to a proxied request, shaped like ``httpx.Response``.

    Whatever envelope Airbyte's proxy wraps it in, this holds the upstream's own status,
    headers and body. Treat it as immutable: ``json()`` is computed once from ``content``.
    """

    __slots__ = (
        "_json",
        "content",
        "headers",
        "idempotency_key",
        "method",
        "request_id",
        "status_code",
        "url",
    )

    def __init__(
        self,
        *,
        status_code: int,
        headers: httpx.Headers | dict[str, str] | None = None,
        content: bytes = b"",
        url: str = "",
        method: str = "GET",
        request_id: str | None = None,
        parsed_json: Any = NOT_JSON,
        idempotency_key: str | None = None,
    ) -> None:
        """``parsed_json``: ``content`` already parsed as JSON by whoever read the answer (the
        client does, to look for the proxy's envelope). An ``httpx.Headers`` is kept, not copied.
        ``idempotency_key``: the ``Idempotency-Key`` the call sent upstream (every attempt).
        """
        self.status_code = status_code
        self.headers = headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)
        self.content = content
        self.url = url
        self.method = method
        self.request_id = request_id
        self._json = parsed_json
        self.idempotency_key = idempotency_key

    @property
    def text(self) -> str:
        """The body decoded with the charset the upstream declared (UTF-8 by default)."""
        charset = httpx.Response(200, headers=self.headers).charset_encoding or "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``json.JSONDecodeError`` when it is not JSON).

        Parsed once, unlike ``httpx.Response.json()``: every call returns the same object,
        shared with every other reader of this response (the client hands over the value it
        parsed while reading the proxy's answer). Treat it as read-only; ``copy.deepcopy`` it
        before changing it.
        """
        if self._json is NOT_JSON:
            self._json = jsonlib.loads(self.content)
        return self._json

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def raise_for_status(self) -> ProxyResponse:
        """Raise ``UpstreamError`` when the upstream answered 4xx/5xx; return self otherwise.

        Stripe's ``idempotency_error`` (a key reused with other parameters) raises
        ``IdempotencyConflictError``. For a write, the error's ``write_may_have_happened`` is
        True for a 5xx (the upstream may have acted before failing), False for a 4xx.
        """
        if self.is_success or self.status_code < 400:
            return self
        body: Any
        try:
            body = self.json()
        except ValueError:
            body = self.text[:2000]
        detail = _upstream_error_detail(body)
        message = f"Upstream {self.method} {self.url} answered {self.status_code}{detail}"
        err = upstream_error(body)
        cls = UpstreamError
        if self.status_code == 400 and err is not None and err.get("type") == "idempotency_error":
            cls = IdempotencyConflictError
            message += (
                f" (Idempotency-Key {self.idempotency_key!r} was first used with other "
                "parameters: send this request with a new key)"
            )
        error = cls(
            message,
            upstream_status=self.status_code,
            upstream_body=body,
            request_id=self.request_id,
        )
        error.idempotency_key = self.idempotency_key
        if self.method not in _READ_METHODS:
            error.write_may_have_happened = self.status_code >= 500
        raise error

    def __repr__(self) -> str:
        return f"<ProxyResponse [{self.status_code}] {self.method} {self.url}>"


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def upstream_error(body: Any) -> dict[str, Any] | None:
    """The upstream's error object from a Stripe-style ``{"error": {...}}`` body, or None.

    The one reading of an upstream error body: ``{"message", "type", "code", "param"}`` as
    given (an ``error`` that is a bare string becomes ``{"message": ...}``).
    """
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, str):
        return {"message": err}
    return err if isinstance(err, dict) else None


def _upstream_error_detail(body: Any) -> str:
    """A short reason (": message [code]") from an upstream error body, if any."""
    err = upstream_error(body)
    if err is None or not err.get("message"):
        return ""
    code = f" [{err['code']}]" if err.get("code") else ""
    return f": {err['message']}{code}"


class FileEntry(BaseModel):
    """One file of a file source, as listed by the file proxy."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    path: str
    size: int | None = None
    last_modified: datetime | None = None
    content_type: str | None = None
    etag: str | None = None

    @property
    def name(self) -> str:
        """The last path segment."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class FolderListing(BaseModel):
    """One level of a file source: the files directly under ``prefix`` and its sub-folders.

    ``folders`` are the sub-folders' full prefixes, each ending in ``/`` (``"reports/2024/"``),
    ready to list in turn. ``has_more`` is True when a ``limit`` stopped the listing early.
    """

    model_config = ConfigDict(frozen=True)

    prefix: str
    files: list[FileEntry] = Field(default_factory=list)
    folders: list[str] = Field(default_factory=list)
    has_more: bool = False


class FileContent(BaseModel):
    """Bytes read from a file: ``content`` covers ``start``..``end`` (inclusive) of the file."""

    model_config = ConfigDict(frozen=True)

    path: str
    content: bytes = Field(repr=False)
    start: int
    end: int
    total_size: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: datetime | None = None

    @property
    def is_complete(self) -> bool:
        """True when the content is the whole file."""
        return self.start == 0 and self.total_size is not None and self.end + 1 >= self.total_size

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class AccessToken(BaseModel):
    """A bearer token and when it expires (monotonic clock); the value never shows in a repr."""

    model_config = ConfigDict(frozen=True)

    value: SecretStr
    expires_at: float
    kind: str = "application"

    def expires_in(self) -> float:
        """Seconds left before expiry (negative once expired)."""
        return self.expires_at - time.monotonic()
