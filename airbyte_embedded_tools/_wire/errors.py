"""How an error answer of Airbyte's API reads: its status, its ``detail``, its request id."""

from __future__ import annotations

import json as jsonlib
from typing import Any

import httpx

from airbyte_embedded_tools._errors import (
    APIStatusError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ServerError,
)
from airbyte_embedded_tools._redact import clip, redact
from airbyte_embedded_tools._retry import parse_retry_after

from .files import parse_unsatisfied_range

__all__ = ["api_error", "error_detail", "json_object", "request_id"]

_HINTS = {
    401: "the access token was rejected or the client credentials are wrong",
    403: "this token's workspace may not use this resource",
    404: "no such source or file for this token",
    416: "the byte range starts past the end of the file",
    429: "rate limited by Airbyte",
}


def request_id(response: httpx.Response) -> str | None:
    """Airbyte's request id, for support tickets."""
    value: str | None = response.headers.get("x-request-id") or response.headers.get("request-id")
    return value


def api_error(response: httpx.Response) -> APIStatusError:
    """The ``APIStatusError`` subclass for an error answer of Airbyte's API, with a safe message.

    The message names the method, path, status and Airbyte's ``detail`` (redacted, truncated);
    never a header, a query string or a body we sent.
    """
    status = response.status_code
    body = _json_body(response)
    detail = error_detail(body) or _HINTS.get(status) or response.reason_phrase or "error"
    request = response.request
    path = clip(request.url.path, 200)
    message = redact(f"Airbyte API {request.method} {path} answered {status}: {detail}")
    rid = request_id(response)
    if status == 416:
        size = parse_unsatisfied_range(response.headers.get("content-range"))
        return RangeNotSatisfiableError(message, request_id=rid, body=body, size=size)
    if status == 429:
        retry_after = parse_retry_after(response.headers)
        return RateLimitError(message, request_id=rid, body=body, retry_after=retry_after)
    cls: type[APIStatusError] = APIStatusError
    if status in (400, 422):
        cls = InvalidRequestError
    elif status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 404:
        cls = NotFoundError
    elif status >= 500:
        cls = ServerError
    return cls(message, status_code=status, request_id=rid, body=body)


def error_detail(body: Any) -> str:
    """A one-line reason from an error body, or "".

    ASSUMPTION (Airbyte's errors are FastAPI-style, as its documentation shows): ``detail``
    (a string, or a list of ``{"loc", "msg", "type"}``), else ``message``, ``error_description``
    or ``error`` (a string, or an object with a ``message``).
    """
    if isinstance(body, str):
        return body.strip()[:300]
    if not isinstance(body, dict):
        return ""
    for key in ("detail", "message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value[:500]
        if isinstance(value, list) and value:
            parts = [str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in value[:5]]
            return "; ".join(parts)[:500]
        if isinstance(value, dict) and value.get("message"):
            return str(value["message"])[:500]
    return ""


def _json_body(response: httpx.Response) -> Any:
    """The response body as JSON, else its text (truncated), for error payloads."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:2000]


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    content = response.content.lstrip()
    if not content.startswith(b"{"):
        return None
    try:
        value = jsonlib.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
