"""The exception hierarchy: every failure the package raises is an ``AirbyteEmbeddedError``.

Modelled on the OpenAI SDK: connection-level errors, status errors with one subclass per cause,
and upstream errors kept apart from errors of Airbyte's proxy itself. Messages are safe to log:
they never carry a secret or a token.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AirbyteEmbeddedError",
    "AuthenticationError",
    "ConfigurationError",
    "FileChangedError",
    "IdempotencyConflictError",
    "IncompleteReadError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "UpstreamError",
]


class AirbyteEmbeddedError(Exception):
    """Root of every error raised by airbyte_embedded_tools.

    Errors raised for a proxied upstream call also say ``idempotency_key`` (the key that call
    sent, to retry or reconcile with) and, for a write (POST/PUT/PATCH/DELETE),
    ``write_may_have_happened``: False when no attempt can have reached the upstream (refused
    before sending, connection refused, rejected by the proxy), True when one may have (a
    connection dropped after sending, a 5xx, a timeout). Both are None elsewhere. No error
    carries a cause or context holding the request sent: it would hold the bearer token.
    """

    idempotency_key: str | None = None
    write_may_have_happened: bool | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.message}{suffix}"


class ConfigurationError(AirbyteEmbeddedError, ValueError):
    """The client was built or called with missing or invalid settings (names what to fix)."""


class APIConnectionError(AirbyteEmbeddedError):
    """The service could not be reached, or the connection broke before a full answer."""


class APITimeoutError(APIConnectionError):
    """The request did not complete within its timeout."""


class IncompleteReadError(APIConnectionError):
    """A file read ended with fewer bytes than the service announced."""


class ResponseTooLargeError(AirbyteEmbeddedError):
    """An answer was larger than the size limit (``max_response_bytes``); ``limit`` in bytes.

    Reading stopped at the limit. Ask for less: a smaller ``limit`` or fewer fields for an API
    list, a byte range (``read_file(start=, end=)`` or ``stream_file``) for a file.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class FileChangedError(AirbyteEmbeddedError):
    """A file's ETag or size changed between two ranged reads of one streamed read."""


class APIStatusError(AirbyteEmbeddedError):
    """Airbyte's API answered with an error status; ``body`` is its parsed error payload."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id)
        self.body = body


class InvalidRequestError(APIStatusError):
    """400 or 422: the request was malformed; the message says which part."""


class AuthenticationError(APIStatusError):
    """401: bad client credentials or an expired token that could not be refreshed."""


class PermissionDeniedError(APIStatusError):
    """403: the token's workspace may not use this source, or the host is not allowed."""


class NotFoundError(APIStatusError):
    """404 from Airbyte itself: unknown source, or no file at that path."""


class RangeNotSatisfiableError(APIStatusError):
    """416: the requested byte range starts past the end of the file."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 416,
        request_id: str | None = None,
        body: Any = None,
        size: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, body=body)
        self.size = size


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait in seconds the service asked for."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        request_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, body=body)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx from Airbyte's API after the retries ran out."""


class UpstreamError(AirbyteEmbeddedError):
    """The upstream API behind the proxy (e.g. Stripe) answered with an error status.

    ``upstream_status`` and ``upstream_body`` are the upstream's own; ``status_code`` mirrors
    ``upstream_status``. Raised by ``ProxyResponse.raise_for_status()``, never for proxy errors.
    """

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int,
        upstream_body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status_code=upstream_status, request_id=request_id)
        self.upstream_status = upstream_status
        self.upstream_body = upstream_body


class IdempotencyConflictError(UpstreamError):
    """The upstream refused an ``Idempotency-Key`` already used with other parameters.

    Stripe's 400 ``idempotency_error``: the key belongs to an earlier, different request. Send
    this request with a new key (or none, to get a fresh one); ``idempotency_key`` is the key.
    """
