"""The API proxy: validate the call, allow only the connector's host, inject its key, forward it.

Forwarding is real HTTP (httpx) to the Stripe emulator, with ``api.stripe.com`` mapped to the
emulator's address; redirects are not followed. The upstream answer passes through as is, or in
one of the two envelopes of docs/wire-format.md §2 when the sandbox is set to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import forms
from .authorize import authorize_source
from .context import SandboxContext, UpstreamRecord
from .responses import ApiError, json_object, required_string
from .state import Source
from .tokens import Handler

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
QUERY_METHODS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})
DROPPED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "host", "content-length", "transfer-encoding",
     "connection", "keep-alive", "te", "upgrade", "cookie"}
)  # fmt: skip
PASSED_HEADERS = ("content-type", "request-id", "idempotent-replayed", "idempotency-key",
                  "original-request", "retry-after", "stripe-version",
                  "stripe-should-retry")  # fmt: skip
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
MASKED = "Bearer ***"


@dataclass(frozen=True)
class ProxyCall:
    """A validated proxy request body."""

    method: str
    url: SplitResult
    headers: dict[str, str]
    body: Any


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(
            422, f"field 'headers' must be an object of strings, not {type(value).__name__}"
        )
    headers: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise ApiError(422, f"field 'headers': the value of {name!r} must be a string")
        if not _HEADER_NAME.match(name):
            raise ApiError(422, f"field 'headers': {name!r} is not a valid header name")
        if any(ch in item for ch in "\r\n\x00"):
            raise ApiError(422, f"field 'headers': the value of {name!r} contains CR, LF or NUL")
        if not item.isascii():
            raise ApiError(
                422,
                f"field 'headers': the value of {name!r} contains non-ASCII characters; an HTTP "
                "header value must be ASCII (percent-encode it, or send the text in the body)",
            )
        if name.lower() not in DROPPED_HEADERS:
            headers[name] = item
    return headers


def check_url(url: str, source: Source) -> SplitResult:
    """The parsed URL if it is https on the source's API host; ApiError 400/403 naming why not."""
    if _BAD_URL_CHARS.search(url):
        raise ApiError(400, "field 'url' contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ApiError(400, f"field 'url' is not a valid URL: {exc}") from None
    if parts.scheme.lower() != "https":
        raise ApiError(400, f"field 'url' must be an https:// URL, got scheme {parts.scheme!r}")
    if "@" in parts.netloc:
        raise ApiError(400, "field 'url' must not carry user info ('user@host')")
    host = (parts.hostname or "").lower()
    if host != source.api_host:
        raise ApiError(
            403,
            f"host {host!r} is not allowed for this source: a {source.connector} source reaches "
            f"only {source.api_host}",
        )
    if port not in (None, 443):
        raise ApiError(400, f"field 'url' must use the default https port, got {port}")
    return parts


def parse_call(body: dict[str, Any], source: Source) -> ProxyCall:
    """Validate the JSON body of a proxy request (422 for shape, 400/403 for the URL)."""
    method = required_string(body, "method").upper()
    if method not in METHODS:
        raise ApiError(422, f"field 'method' must be one of {', '.join(sorted(METHODS))}")
    url = check_url(required_string(body, "url"), source)
    payload = body.get("body")
    if payload is not None and not isinstance(payload, (dict, str)):
        raise ApiError(
            422, f"field 'body' must be a JSON object or a string, not {type(payload).__name__}"
        )
    return ProxyCall(method, url, _headers(body.get("headers")), payload)


def _upstream_base(context: SandboxContext, request: Request) -> str:
    if context.upstream_base:
        return context.upstream_base
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - mapping, not binding
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/_stripe"


def _encode(call: ProxyCall) -> tuple[str, dict[str, str], bytes]:
    """(query string, extra headers, body bytes): an object body becomes form encoding for Stripe
    (or the query string for GET-like methods); a string body is sent as is."""
    query = call.url.query
    lower = {k.lower(): v for k, v in call.headers.items()}
    if call.body is None:
        return query, {}, b""
    if isinstance(call.body, dict):
        if call.method in QUERY_METHODS:
            encoded = forms.encode(call.body)
            return "&".join(p for p in (query, encoded) if p), {}, b""
        if lower.get("content-type", "").split(";")[0].strip() == "application/json":
            return query, {}, json.dumps(call.body).encode()
        return (
            query,
            {"content-type": "application/x-www-form-urlencoded"},
            forms.encode(call.body).encode(),
        )
    defaults = (
        {} if "content-type" in lower else {"content-type": "application/x-www-form-urlencoded"}
    )
    return query, defaults, str(call.body).encode()


def _passed_headers(upstream: httpx.Response) -> dict[str, str]:
    return {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}


def _answer(context: SandboxContext, upstream: httpx.Response) -> Response:
    headers = _passed_headers(upstream)
    if context.envelope == "response_body":
        text = upstream.content.decode("utf-8", errors="replace")
        envelope = {"status_code": upstream.status_code, "headers": headers, "response_body": text}
        return JSONResponse(envelope)
    if context.envelope == "body":
        parsed: Any
        try:
            parsed = upstream.json()
        except ValueError:
            parsed = upstream.content.decode("utf-8", errors="replace")
        return JSONResponse({"status": upstream.status_code, "headers": headers, "body": parsed})
    content_type = headers.pop("content-type", None)
    return Response(upstream.content, upstream.status_code, headers, media_type=content_type)


def proxy_endpoint(context: SandboxContext) -> Handler:
    """The ``POST /api/v1/sonar/apis/{source_id}/request`` handler bound to a context."""

    async def proxy_request(request: Request) -> Response:
        source = authorize_source(context, request, kind="api", endpoint="proxy")
        call = parse_call(await json_object(request), source)
        query, extra_headers, content = _encode(call)
        path = call.url.path or "/"
        target = _upstream_base(context, request) + path + (f"?{query}" if query else "")
        assert source.secret_key is not None
        assert source.api_host is not None
        headers = {**call.headers, **extra_headers, "host": source.api_host}
        shown = {**headers, "authorization": MASKED}
        headers["authorization"] = f"Bearer {source.secret_key}"
        context.record(
            UpstreamRecord(
                call.method,
                source.api_host,
                path,
                query,
                shown,
                content.decode("utf-8", errors="replace"),
            )
        )
        assert context.http is not None, "the sandbox's HTTP client is not started"
        try:
            upstream = await context.http.request(
                call.method, target, headers=headers, content=content or None
            )
        except httpx.TimeoutException:
            raise ApiError(504, f"the upstream {source.api_host} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ApiError(
                502,
                f"the connection to the upstream {source.api_host} failed or broke off "
                f"({type(exc).__name__})",
            ) from None
        return _answer(context, upstream)

    return proxy_request
