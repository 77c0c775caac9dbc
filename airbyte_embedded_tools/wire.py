"""Airbyte Embedded's wire format: the one module holding our assumptions about it.

Paths, token request and response bodies, the proxy request body, the proxy's response shapes,
how a proxy error is told from an upstream error, the file list, and byte ranges. The proxy is
*alpha* (api-reference.md): each assumption is marked ``ASSUMPTION`` with its section, so a
change on Airbyte's side is a one-line fix here.
"""

from __future__ import annotations

import base64
import email.utils
import json as jsonlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from . import config
from ._redact import clip, preview, redact
from .errors import (
    AirbyteEmbeddedError,
    APIStatusError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ServerError,
)
from .models import NOT_JSON, AccessToken, FileContent, FileEntry, ProxyResponse
from .retry import parse_retry_after

__all__ = [
    "NOT_JSON",
    "SCOPED_TOKEN_PATH",
    "TOKEN_PATH",
    "AnswerReader",
    "FileListPage",
    "api_error",
    "application_token_body",
    "build_proxy_body",
    "credential_problem",
    "file_content",
    "files_get_path",
    "files_list_path",
    "parse_content_range",
    "parse_file_list",
    "parse_token_response",
    "parse_unsatisfied_range",
    "proxy_path",
    "range_header",
    "request_id",
    "scoped_token_body",
]

# --- paths (api-reference.md §1, §2, §3) -------------------------------------------------------

TOKEN_PATH = "/api/v1/account/applications/token"  # noqa: S105 - a URL path
SCOPED_TOKEN_PATH = "/api/v1/embedded/scoped-token"  # noqa: S105 - a URL path


def _segment(value: str, what: str) -> str:
    """One URL path segment, percent-encoded; refuses empty, "." and ".." (httpx folds them)."""
    if not value or value in {".", ".."} or any(c in value for c in "\r\n\x00"):
        raise InvalidRequestError(
            f"Refused before sending: invalid {what} {preview(value)}", status_code=400
        )
    return quote(value, safe="")


def _key_path(value: str, what: str) -> str:
    """A file path or prefix as URL path segments: "/" kept, each segment encoded.

    S3 keys may contain any character; "." and ".." segments are refused because httpx
    normalises them away, which would send the request to another endpoint.
    """
    if any(c in value for c in "\r\n\x00"):
        raise InvalidRequestError(
            f"Refused before sending: control character in {what}", status_code=400
        )
    if any(part in {".", ".."} for part in value.split("/")):
        raise InvalidRequestError(
            f"Refused before sending: {what} {preview(value)} has a '.' or '..' segment",
            status_code=400,
        )
    return quote(value, safe="/")


def proxy_path(source_id: str) -> str:
    """POST target of an API proxy request (api-reference.md §2)."""
    return f"/api/v1/sonar/apis/{_segment(source_id, 'source id')}/request"


def files_list_path(source_id: str, prefix: str) -> str:
    """GET target listing the files under ``prefix`` (api-reference.md §3)."""
    prefix = _key_path(prefix.lstrip("/"), "prefix")
    return f"/api/v1/sonar/files/{_segment(source_id, 'source id')}/list/{prefix}"


def files_get_path(source_id: str, path: str) -> str:
    """GET target reading one file (api-reference.md §3)."""
    if not path.strip("/"):
        raise InvalidRequestError("Refused before sending: empty file path", status_code=400)
    key = _key_path(path.lstrip("/"), "path")
    return f"/api/v1/sonar/files/{_segment(source_id, 'source id')}/get/{key}"


# --- tokens (api-reference.md §1) --------------------------------------------------------------


def application_token_body(client_id: str, client_secret: str) -> dict[str, str]:
    """JSON body of the application-token request."""
    return {"client_id": client_id, "client_secret": client_secret}


def scoped_token_body(*, workspace_id: str | None, workspace_name: str | None) -> dict[str, str]:
    """JSON body of the scoped-token request.

    ASSUMPTION (api-reference.md §1): the documented field is ``workspace_name``; some published
    schemas name the id field ``workspaceId``. We send whichever the caller configured.
    """
    if workspace_name is not None:
        return {"workspace_name": workspace_name}
    if workspace_id is not None:
        return {"workspaceId": workspace_id}
    raise ValueError("a scoped token needs a workspace id or name")


_VISIBLE_ASCII = re.compile(r"[!-~]+")


def credential_problem(value: str, *, in_header: bool) -> str | None:
    """What makes ``value`` unfit to send as a credential ("a line break (CR/LF)"...), or None.

    No credential may hold a control character (a newline read from a file, a NUL). One sent
    in a header (a token, the organization id) must be visible ASCII: httpx encodes headers as
    ASCII, and h11 refuses control characters quoting the value in its error, which httpcore
    logs at DEBUG. One sent in a JSON body (the client secret) must be Latin-1 (anything else
    is a typographic quote or the like pasted with it). The value itself is never described.
    """
    if in_header and _VISIBLE_ASCII.fullmatch(value):
        return None
    for char in value:
        code = ord(char)
        if char in "\r\n":
            return "a line break (CR/LF)"
        if code < 0x20 or 0x7F <= code < 0xA0:
            return "a control character"
        if in_header and char.isspace():
            return "a space"
        if code > (0x7E if in_header else 0xFF):
            return "a non-ASCII character" if in_header else "a character outside Latin-1"
    return None


def parse_token_response(
    response: httpx.Response, *, kind: str, default_lifetime: float | None = None
) -> tuple[AccessToken, float]:
    """The token in a successful token response, and its lifetime in seconds.

    The application token comes as ``access_token`` with ``expires_in``; the scoped token as
    ``token`` with no expiry. ASSUMPTION (api-reference.md §1): a token without ``expires_in``
    lives until its JWT ``exp`` claim if it has one, else ``default_lifetime`` (the caller
    passes the application token's: same issuer, same policy), else
    ``config.TOKEN_LIFETIME_ASSUMED``. A token that is not a valid header value is refused
    (``AuthenticationError``, naming the problem, never the value).
    """
    payload = _json_object(response)
    value = None
    if payload is not None:
        value = payload.get("access_token") or payload.get("token")
    if not isinstance(value, str) or not value:
        raise AuthenticationError(
            f"The {kind} token endpoint answered {response.status_code} without a token",
            status_code=response.status_code,
            request_id=request_id(response),
        )
    problem = credential_problem(value, in_header=True)
    if problem is not None:
        raise AuthenticationError(
            f"The {kind} token endpoint answered a token with {problem}, which cannot be sent "
            "in an Authorization header",
            status_code=response.status_code,
            request_id=request_id(response),
        )
    lifetime = _number((payload or {}).get("expires_in"))
    if lifetime is None:
        lifetime = _jwt_lifetime(value)
    if lifetime is None or lifetime <= 0:
        lifetime = default_lifetime or config.TOKEN_LIFETIME_ASSUMED
    token = AccessToken(value=SecretStr(value), expires_at=time.monotonic() + lifetime, kind=kind)
    return token, lifetime


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _jwt_lifetime(token: str) -> float | None:
    """Seconds until a JWT's ``exp`` claim (the signature is not checked: we only schedule)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = jsonlib.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    exp = _number(claims.get("exp")) if isinstance(claims, dict) else None
    return None if exp is None else exp - time.time()


# --- API proxy (api-reference.md §2) -----------------------------------------------------------


def build_proxy_body(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The proxy request body ``{"method", "url", "headers", "body"}``.

    ``url`` already carries the query string. ASSUMPTION (api-reference.md §2): ``json=`` and
    ``data=`` both travel as the ``body`` object; the proxy form-encodes it for Stripe.
    """
    body: dict[str, Any] = {"method": method, "url": url}
    if headers:
        body["headers"] = dict(headers)
    if json is not None:
        body["body"] = json
    elif data is not None:
        body["body"] = dict(data)
    return body


_JSON_OBJECT_START = re.compile(rb"\s*\{")


class AnswerReader:
    """Reads the answers of one logical call, parsing each one's JSON body at most once.

    ``_request`` asks every answer whether it is an error of Airbyte's API (``is_proxy_error``)
    or arrived cut short (``cut_short``); the caller then reads the last one (``json``,
    ``proxy_response``). The parse is shared by all of these (memoised on the answer: a retry
    brings a new one, parsed anew) and handed to ``ProxyResponse``, whose ``json()`` then does
    not parse again. ``strict``: every answer must be JSON (a file list); otherwise only one
    declaring a JSON content type must parse (an upstream body passed through may be anything)
    and one starting with ``{`` is parsed to look for an envelope.
    """

    __slots__ = ("_response", "_strict", "_value")

    def __init__(self, *, strict: bool = False) -> None:
        self._strict = strict
        self._response: httpx.Response | None = None
        self._value: Any = NOT_JSON

    def json(self, response: httpx.Response) -> Any:
        """The body parsed as JSON, or ``NOT_JSON``."""
        if response is not self._response:
            self._value = self._parse(response)
            self._response = response
        return self._value

    def _parse(self, response: httpx.Response) -> Any:
        content = response.content
        if not content:
            return NOT_JSON
        if not (
            self._strict
            or _JSON_OBJECT_START.match(content)
            or "json" in response.headers.get("content-type", "").lower()
        ):
            return NOT_JSON  # neither declared JSON nor possibly an envelope: bytes, as they are
        try:
            return jsonlib.loads(content)
        except (ValueError, UnicodeDecodeError):
            return NOT_JSON

    def cut_short(self, response: httpx.Response) -> str | None:
        """Why a successful answer is unusable (JSON cut short, or not JSON at all), or None."""
        if self.json(response) is not NOT_JSON:
            return None
        if not self._strict and (
            not response.content or "json" not in response.headers.get("content-type", "").lower()
        ):
            return None
        return f"the {response.status_code} answer is not valid JSON (cut short?)"

    def is_proxy_error(self, response: httpx.Response) -> bool:
        """True when an error status comes from Airbyte's proxy itself, not from the upstream.

        ASSUMPTION (api-reference.md §2): the proxy's own errors are JSON with a top-level
        ``detail`` (FastAPI style) and no Stripe-style ``error`` object; a 401 without such an
        ``error`` object is the proxy rejecting our token. Upstream errors pass through as is.
        """
        if response.status_code < 400:
            return False
        payload = self._object(response)
        if payload is not None and (
            isinstance(payload.get("error"), dict) or _envelope_kind(payload)
        ):
            return False
        if response.status_code == 401:
            return True
        return payload is not None and "detail" in payload

    def proxy_response(self, response: httpx.Response, *, method: str, url: str) -> ProxyResponse:
        """Unwrap the proxy's answer into the upstream's status, headers and body.

        Raises the ``APIStatusError`` subclass for an error of the proxy itself. ASSUMPTION
        (api-reference.md §2, from Airbyte's own sample app): the answer is one of
        (1) ``{"response_body": "<upstream body as a string>", ...}``,
        (2) ``{"body": <string or object>, "status_code"|"status": int, "headers": {...}}``, or
        (3) the upstream response passed through (status, content type and body as is).
        """
        if self.is_proxy_error(response):
            raise api_error(response)
        rid = request_id(response)
        payload = self._object(response)
        kind = _envelope_kind(payload) if payload is not None else None
        if payload is None or kind is None:
            headers = httpx.Headers(
                [
                    (k, v)
                    for k, v in response.headers.multi_items()
                    if k.lower() not in _NOT_FORWARDED
                ]
            )
            return ProxyResponse(
                status_code=response.status_code,
                headers=headers,
                content=response.content,
                url=url,
                method=method,
                request_id=rid,
                parsed_json=self.json(response),
            )
        raw_body = payload.get(kind)
        status = _envelope_status(payload) or response.status_code
        headers = _envelope_headers(payload)
        content: bytes
        parsed: Any = NOT_JSON
        if raw_body is None:
            content = b""
        elif isinstance(raw_body, str):
            content = raw_body.encode("utf-8")
        else:
            content = jsonlib.dumps(raw_body, separators=(",", ":")).encode("utf-8")
            headers.setdefault("content-type", "application/json")
            parsed = raw_body
        return ProxyResponse(
            status_code=status,
            headers=headers,
            content=content,
            url=url,
            method=method,
            request_id=rid,
            parsed_json=parsed,
        )

    def _object(self, response: httpx.Response) -> dict[str, Any] | None:
        value = self.json(response)
        return value if isinstance(value, dict) else None


_NOT_FORWARDED = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
"""Framing headers of the proxy's own response; they do not describe ``ProxyResponse.content``."""

_STATUS_KEYS = ("status_code", "status", "statusCode")
_HEADER_KEYS = ("headers", "response_headers")


def _envelope_kind(payload: Mapping[str, Any]) -> str | None:
    """Which envelope ``payload`` is: "response_body", "body", or None for pass-through.

    A ``body`` key alone is not enough (an upstream object could have one): envelope (2) also
    carries an integer status.
    """
    if isinstance(payload.get("response_body"), (str, dict, list)) or (
        "response_body" in payload and payload["response_body"] is None
    ):
        return "response_body"
    if "body" in payload and _envelope_status(payload) is not None:
        return "body"
    return None


def _envelope_status(payload: Mapping[str, Any]) -> int | None:
    for key in _STATUS_KEYS:
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def _envelope_headers(payload: Mapping[str, Any]) -> httpx.Headers:
    for key in _HEADER_KEYS:
        raw = payload.get(key)
        if isinstance(raw, dict):
            return httpx.Headers({str(k): _header_value(v) for k, v in raw.items()})
        if isinstance(raw, list):
            pairs = [(str(p[0]), _header_value(p[1])) for p in raw if isinstance(p, (list, tuple))]
            return httpx.Headers(pairs)
    return httpx.Headers()


def _header_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- errors of Airbyte's API -------------------------------------------------------------------

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
    detail = _detail(body) or _HINTS.get(status) or response.reason_phrase or "error"
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


def _detail(body: Any) -> str:
    """A one-line reason from a FastAPI-style ``detail`` (string or list of errors) or similar."""
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


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    content = response.content.lstrip()
    if not content.startswith(b"{"):
        return None
    try:
        value = jsonlib.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


# --- file proxy (api-reference.md §3) ----------------------------------------------------------


@dataclass(frozen=True)
class FileListPage:
    """One page of a file list answer: its files, its folders, and the token of the next page."""

    files: list[FileEntry]
    folders: list[str]
    next_page_token: str | None


def parse_file_list(payload: Any) -> FileListPage:
    """The files, folders and next page token of a list answer.

    ASSUMPTION (api-reference.md §3): ``{"files": [{"path", "size", "last_modified",
    "content_type", "etag"}, ...], "next_page_token": str | null}``; extra fields are ignored,
    an entry may be a bare path string, and ``key`` stands in for a missing ``path``.
    ASSUMPTION (§3, not documented; the sandbox's shape): a ``recursive=false`` listing adds
    ``"prefixes": ["reports/2024/", ...]``, the sub-folders directly under the prefix (S3's
    common prefixes); an item may also be an object with ``prefix``, and a missing trailing
    ``/`` is added.
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
        return datetime.fromtimestamp(value, tz=timezone.utc)
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
    """``Range`` value for bytes ``start``..``end`` inclusive (``end`` None: to the end)."""
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
