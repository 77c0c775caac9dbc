"""``AirbyteEmbeddedClient``: the one async client every tool and loader shares.

One ``httpx.AsyncClient`` (one connection pool), one token cache, typed results and errors.
Proxy requests are checked before they leave (method, upstream host, headers); every call is
retried on transient failures by ``retry.RetryPolicy``; a 401 refreshes the token and replays
the call once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from . import config, wire
from ._redact import clip, logger, preview, redact
from ._upstream import check_headers, check_method, connector_hosts, upstream_url
from ._version import __version__
from .auth import TokenProvider
from .errors import (
    AirbyteEmbeddedError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    FileChangedError,
    IncompleteReadError,
    InvalidRequestError,
    RangeNotSatisfiableError,
)
from .models import AccessToken, FileContent, FileEntry, FolderListing, ProxyResponse
from .retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    RetryState,
    is_retryable_status,
    parse_retry_after,
    was_never_sent,
)

__all__ = ["AirbyteEmbeddedClient"]

DEFAULT_RETRY_DEADLINE = 120.0
"""Seconds one logical call may spend retrying before its last error is raised."""

MAX_STREAM_RANGE = 32 * 1024 * 1024
"""The largest byte range ``stream_file`` asks for in one request."""


USER_AGENT = f"airbyte-embedded-tools/{__version__}"


class AirbyteEmbeddedClient:
    """Async client for Airbyte Embedded's API proxy and file proxy.

    Authenticate with ``client_id``/``client_secret`` (optionally scoped to ``workspace_id`` or
    ``workspace_name``) or with a ready-made ``token``. Use as ``async with`` or call ``aclose()``.

    ``timeout``: seconds or an ``httpx.Timeout`` (default 60 s, connect 10 s; with a caller's
    ``http_client``, that client's own). ``allowed_hosts`` adds upstream hosts ``proxy_request``
    may reach besides the connectors' API hosts. ``retry_policy`` replaces ``max_retries`` and
    ``retry_deadline`` (backoff, ``Retry-After`` cap, an injectable sleep for tests).
    ``base_url`` must be https, or http for a loopback host (the sandbox).
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | SecretStr | None = None,
        *,
        workspace_id: str | None = None,
        workspace_name: str | None = None,
        organization_id: str | None = None,
        token: str | SecretStr | None = None,
        base_url: str = config.DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = config.DEFAULT_MAX_RETRIES,
        retry_deadline: float | None = DEFAULT_RETRY_DEADLINE,
        http_client: httpx.AsyncClient | None = None,
        allowed_hosts: Iterable[str] | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        secret = _secret(client_secret, "client_secret", in_header=False)
        static = _secret(token, "token", in_header=True)
        if organization_id:
            _check_credential(organization_id, "organization_id", in_header=True)
        client_id = client_id or None
        _check_credentials(client_id, secret, static, workspace_id, workspace_name)
        self._base_url = _check_base_url(base_url)
        self._workspace_id = workspace_id or None
        self._workspace_name = workspace_name or None
        self._organization_id = organization_id or None
        self._allowed_hosts = frozenset(
            connector_hosts() | {h.strip().lower() for h in allowed_hosts or () if h.strip()}
        )
        try:
            self._retry = retry_policy or RetryPolicy(
                max_retries=max_retries, deadline=retry_deadline
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        if http_client is not None and timeout is None:
            self._timeout = http_client.timeout
        else:
            self._timeout = _timeout(timeout)
        self._owns_http = http_client is None
        self._http = http_client or self._new_pool()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._auth = TokenProvider(
            self._exchange,
            client_id=client_id,
            client_secret=secret,
            workspace_id=self._workspace_id,
            workspace_name=self._workspace_name,
            organization_id=self._organization_id,
            token=static,
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> AirbyteEmbeddedClient:
        """Build from ``AIRBYTE_*`` environment variables; keyword arguments take precedence.

        Client credentials win over ``AIRBYTE_ACCESS_TOKEN`` when both are set (they can be
        refreshed). With a token, the workspace variables are ignored: the token carries its scope.
        """
        env = {k: os.environ.get(k) or None for k in _ENV_NAMES}
        kwargs: dict[str, Any] = {
            "base_url": env[config.ENV_API_URL] or config.DEFAULT_BASE_URL,
            "organization_id": env[config.ENV_ORGANIZATION_ID],
        }
        explicit_creds = "client_id" in overrides or "client_secret" in overrides
        use_token = "token" in overrides or (
            not explicit_creds
            and env[config.ENV_ACCESS_TOKEN] is not None
            and env[config.ENV_CLIENT_ID] is None
            and env[config.ENV_CLIENT_SECRET] is None
        )
        if use_token:
            kwargs["token"] = env[config.ENV_ACCESS_TOKEN]
        else:
            kwargs["client_id"] = env[config.ENV_CLIENT_ID]
            kwargs["client_secret"] = env[config.ENV_CLIENT_SECRET]
            kwargs["workspace_id"] = env[config.ENV_WORKSPACE_ID]
            kwargs["workspace_name"] = env[config.ENV_WORKSPACE_NAME]
        kwargs.update(overrides)
        if not kwargs.get("token"):
            missing = [
                name
                for name, key in (
                    (config.ENV_CLIENT_ID, "client_id"),
                    (config.ENV_CLIENT_SECRET, "client_secret"),
                )
                if not kwargs.get(key)
            ]
            if missing:
                raise ConfigurationError(
                    f"Missing environment variable(s) {', '.join(missing)}: set "
                    f"{config.ENV_CLIENT_ID} and {config.ENV_CLIENT_SECRET} "
                    f"(or {config.ENV_ACCESS_TOKEN} with a ready-made token)"
                )
        return cls(**kwargs)

    # --- properties and lifecycle ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Airbyte API root, without a trailing slash."""
        return self._base_url

    @property
    def max_retries(self) -> int:
        return self._retry.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Upstream hosts ``proxy_request`` may reach."""
        return self._allowed_hosts

    @property
    def workspace_id(self) -> str | None:
        return self._workspace_id

    @property
    def workspace_name(self) -> str | None:
        return self._workspace_name

    @property
    def organization_id(self) -> str | None:
        return self._organization_id

    async def aclose(self) -> None:
        """Close the connection pool (a caller's ``http_client`` is left open)."""
        if self._owns_http:
            self._bind_loop()
            await self._http.aclose()

    def _new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self._timeout,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            follow_redirects=False,
        )

    def _bind_loop(self) -> None:
        """Note the running loop; after the pool's loop was closed, start a fresh pool.

        Connections belong to the loop that opened them. A client used by one ``asyncio.run``
        and then another (or after its ``SyncAirbyteEmbeddedClient`` closed) would otherwise
        fail with "Event loop is closed". A caller's ``http_client`` is never replaced, and
        using one client on two live loops at once is not supported.
        """
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and self._loop.is_closed() and self._owns_http:
            self._http = self._new_pool()  # the old one's sockets died with their loop
        self._loop = loop

    async def __aenter__(self) -> AirbyteEmbeddedClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        auth = "token" if not self._auth.can_refresh else "client_credentials"
        scope = ""
        if self._workspace_id or self._workspace_name:
            scope = f" workspace={self._workspace_id or self._workspace_name!r}"
        return f"<AirbyteEmbeddedClient base_url={self._base_url!r} auth={auth}{scope}>"

    async def get_token(self) -> AccessToken:
        """The bearer token API calls use (scoped if a workspace is set), exchanged if needed."""
        return await self._auth.get_token()

    # --- API proxy -------------------------------------------------------------------------------

    async def proxy_request(
        self,
        source_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        retry_non_idempotent: bool = False,
        timeout: float | httpx.Timeout | None = None,
    ) -> ProxyResponse:
        """Send ``method url`` to the upstream API of ``source_id`` through Airbyte's proxy.

        ``url`` is a full ``https`` URL on a connector's host or a path on the connector's API
        (``/v1/customers`` resolves on ``https://api.stripe.com``); see ``_upstream.upstream_url``.

        Returns the upstream's response whatever its status (``raise_for_status()`` raises
        ``UpstreamError``); errors of the proxy itself raise ``APIStatusError`` subclasses.
        Upstream 429/5xx are retried for idempotent methods, or all if ``retry_non_idempotent``.
        """
        method = check_method(method)
        target = upstream_url(url, params, allowed_hosts=self._allowed_hosts)
        extra_headers = check_headers(headers)
        if json is not None and data is not None:
            raise InvalidRequestError(
                "Refused before sending: give json= or data=, not both", status_code=400
            )
        if data is not None and not isinstance(data, Mapping):
            raise InvalidRequestError(
                "Refused before sending: data= must be a mapping (the proxy form-encodes it)",
                status_code=400,
            )
        body = wire.build_proxy_body(
            method=method, url=target, headers=extra_headers, json=json, data=data
        )
        path = wire.proxy_path(source_id)
        resend_safe = method in IDEMPOTENT_METHODS or retry_non_idempotent
        state = self._retry.start()
        reader = wire.AnswerReader()
        while True:
            response = await self._request(
                "POST",
                path,
                json=body,
                timeout=timeout,
                resend_safe=resend_safe,
                is_api_error=reader.is_proxy_error,
                check=reader.cut_short,
                state=state,
            )
            result = reader.proxy_response(response, method=method, url=target)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "Upstream %s %s answered %d", method, _url_for_log(target), result.status_code
                )
            upstream_retryable = result.status_code == 429 or result.status_code >= 500
            if (
                upstream_retryable
                and resend_safe
                and await state.wait(
                    f"upstream {method} answered {result.status_code}",
                    retry_after=parse_retry_after(result.headers),
                )
            ):
                continue
            return result

    # --- file proxy ------------------------------------------------------------------------------

    async def _list_pages(
        self, source_id: str, prefix: str, *, recursive: bool, page_size: int | None
    ) -> AsyncGenerator[wire.FileListPage, None]:
        """Every page of a listing under ``prefix``, following the page tokens."""
        path = wire.files_list_path(source_id, prefix)
        page_token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"recursive": "true" if recursive else "false"}
            if page_token is not None:
                params["page_token"] = page_token
            if page_size is not None:
                params["page_size"] = page_size
            reader = wire.AnswerReader(strict=True)
            response = await self._request("GET", path, params=params, check=reader.cut_short)
            page = wire.parse_file_list(reader.json(response))
            yield page
            page_token = page.next_page_token
            if page_token is None:
                return
            if page_token in seen:
                raise AirbyteEmbeddedError(
                    "The file list repeated a page token; stopping to avoid an endless listing"
                )
            seen.add(page_token)

    async def iter_files(
        self,
        source_id: str,
        prefix: str = "",
        *,
        recursive: bool = True,
        page_size: int | None = None,
    ) -> AsyncIterator[FileEntry]:
        """Every file under ``prefix`` of a file source, following all pages.

        With ``recursive=False`` only the files directly under ``prefix``; its sub-folders are
        in ``list_folder``.
        """
        pages = self._list_pages(source_id, prefix, recursive=recursive, page_size=page_size)
        async with aclosing(pages):
            async for page in pages:
                for entry in page.files:
                    yield entry

    async def list_files(
        self,
        source_id: str,
        prefix: str = "",
        *,
        recursive: bool = True,
        page_size: int | None = None,
    ) -> list[FileEntry]:
        """All files under ``prefix`` (every page collected)."""
        return [
            entry
            async for entry in self.iter_files(
                source_id, prefix, recursive=recursive, page_size=page_size
            )
        ]

    async def list_folder(
        self,
        source_id: str,
        prefix: str = "",
        *,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> FolderListing:
        """The files directly under ``prefix`` and its sub-folders (every page collected).

        ``limit`` stops after that many entries, files and folders together, in listing order;
        the answer's ``has_more`` then says whether more exist.
        """
        if limit is not None and limit < 1:
            raise InvalidRequestError(
                "Refused before sending: limit must be at least 1", status_code=400
            )
        entries: list[FileEntry | str] = []
        has_more = False
        pages = self._list_pages(source_id, prefix, recursive=False, page_size=page_size)
        async with aclosing(pages):
            async for page in pages:
                here: list[FileEntry | str] = [*page.files, *page.folders]
                here.sort(key=lambda e: (e if isinstance(e, str) else e.path).encode())
                entries.extend(here)
                if limit is not None and len(entries) >= limit:
                    has_more = len(entries) > limit or page.next_page_token is not None
                    del entries[limit:]
                    break
        return FolderListing(
            prefix=prefix,
            files=[e for e in entries if isinstance(e, FileEntry)],
            folders=[e for e in entries if isinstance(e, str)],
            has_more=has_more,
        )

    async def read_file(
        self,
        source_id: str,
        path: str,
        start: int | None = None,
        end: int | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
    ) -> FileContent:
        """Bytes ``start``..``end`` (inclusive) of a file, or the whole file when both are None.

        The result says which range was served and the total size.
        """
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if start is not None or end is not None:
            first = 0 if start is None else start
            _check_range(first, end)
            headers["Range"] = wire.range_header(first, end)
        response = await self._request(
            "GET",
            wire.files_get_path(source_id, path),
            headers=headers,
            timeout=timeout,
            check=_short_range,
        )
        return wire.file_content(response, path=path, requested_start=start or 0)

    async def stream_file(
        self,
        source_id: str,
        path: str,
        *,
        chunk_size: int = config.DEFAULT_CHUNK_SIZE,
        start: int = 0,
    ) -> AsyncIterator[bytes]:
        """The file from byte ``start`` on, as bytes arriving through ranged reads.

        The first range is ``chunk_size`` bytes and each next one twice the previous, up to
        ``MAX_STREAM_RANGE`` (or ``chunk_size`` if larger): a large file takes few requests,
        a short read stays one small request. Memory stays bounded by one network read
        whatever the range size: pieces are yielded as they arrive. A connection broken
        mid-range is resumed from the last byte received (counted as a retry; the retry budget
        renews after every ``chunk_size`` bytes received, so ``chunk_size`` is also the
        granularity at which a flaky connection is judged). The ETag must not change between
        ranges (``FileChangedError``) and the bytes must add up to the file size
        (``IncompleteReadError``).
        """
        if chunk_size <= 0:
            raise InvalidRequestError(
                "Refused before sending: chunk_size must be > 0", status_code=400
            )
        _check_range(start, None)
        url_path = wire.files_get_path(source_id, path)
        stream = _FileStream(path, offset=start)
        span, ceiling = chunk_size, max(chunk_size, MAX_STREAM_RANGE)
        while stream.total is None or stream.offset < stream.total:
            state = self._retry.start()
            renewed_at = stream.offset
            range_last = stream.offset + span - 1
            span = min(span * 2, ceiling)
            while True:  # one range; a broken connection resumes at stream.offset
                last = range_last
                if stream.total is not None:
                    last = min(last, stream.total - 1)
                headers = {
                    "Accept": "*/*",
                    "Accept-Encoding": "identity",
                    "Range": wire.range_header(stream.offset, last),
                }
                try:
                    response = await self._request(
                        "GET", url_path, headers=headers, stream=True, state=state
                    )
                except RangeNotSatisfiableError as exc:
                    if exc.size is not None and exc.size == stream.offset:
                        return  # the file ends exactly where we are (an empty remainder)
                    raise
                failure: str | None = None
                cause: httpx.TransportError | None = None
                try:
                    expected = stream.begin(response)
                    async for piece in response.aiter_bytes():
                        data = stream.accept(piece)
                        if data:
                            yield data
                    if expected is not None and stream.received < expected:
                        failure = f"short body: {stream.received} of {expected} bytes"
                except httpx.TransportError as exc:
                    failure = f"{type(exc).__name__} after {stream.received} bytes"
                    cause = exc
                finally:
                    await response.aclose()
                if failure is None:
                    if response.status_code == 200:  # the whole file came, Range ignored
                        stream.total = stream.offset
                    break
                if stream.offset - renewed_at >= chunk_size:  # progress renews the budget
                    state, renewed_at = self._retry.start(), stream.offset
                if not await state.wait(
                    f"GET {url_path} broke ({failure}); resuming at byte {stream.offset}"
                ):
                    of_total = "" if stream.total is None else f" of {stream.total}"
                    raise IncompleteReadError(
                        f"Reading {preview(path)} broke at byte {stream.offset}{of_total} "
                        f"({failure}) and the retries ran out"
                    ) from cause
        if stream.total is not None and stream.offset != stream.total:
            raise IncompleteReadError(
                f"Reading {preview(path)} ended at byte {stream.offset} of {stream.total}"
            )

    # --- the request loop ------------------------------------------------------------------------

    async def _exchange(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        """A token request: sent unauthenticated, transient failures retried, any status back."""
        return await self._request(
            "POST",
            path,
            json=body,
            headers=headers,
            authenticated=False,
            is_api_error=lambda r: is_retryable_status(r.status_code),
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        authenticated: bool = True,
        resend_safe: bool = True,
        is_api_error: Callable[[httpx.Response], bool] | None = None,
        check: Callable[[httpx.Response], str | None] | None = None,
        state: RetryState | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one logical call: bearer token, 401 refresh-and-replay, retries, error mapping.

        Returns the response unless ``is_api_error`` (default: status >= 300) says it is an
        error of Airbyte's API, which is retried when transient and raised otherwise.
        ``check`` names what is wrong with a successful answer that arrived broken (a body cut
        short): it is retried like a dropped connection, then raised as ``IncompleteReadError``.
        ``resend_safe=False`` limits retries to failures that cannot have reached the upstream.
        With ``stream=True`` a successful response is returned unread: the caller closes it.
        """
        is_error = is_api_error or _error_status
        self._bind_loop()
        state = state or self._retry.start()
        url = self._base_url + path
        replayed = False
        request_timeout = self._timeout if timeout is None else _timeout(timeout)
        where = f"{method} {clip(path, 80)}"
        while True:
            token = await self._auth.get_token() if authenticated else None
            request_headers = self._headers(token, headers)
            try:
                request = self._http.build_request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=request_headers,
                    timeout=request_timeout,
                )
            except (httpx.InvalidURL, ValueError, TypeError) as exc:
                raise _unsendable(exc, where) from None
            started = time.monotonic()
            try:
                response = await self._http.send(request, stream=stream, follow_redirects=False)
                if stream and response.status_code >= 300:  # read the error body to map it
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except httpx.LocalProtocolError as exc:  # h11 refused what we asked it to send
                raise _unsendable(exc, where) from None
            except httpx.TransportError as exc:
                reason = f"{where}: {type(exc).__name__}"
                if (resend_safe or was_never_sent(exc)) and await state.wait(reason):
                    continue
                raise _transport_error(exc, method, path) from exc
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s -> %d (%.1f ms)",
                    where,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                )
            if not is_error(response):
                problem = check(response) if check is not None else None
                if problem is None:
                    return response
                if resend_safe and await state.wait(f"{where}: {problem}"):
                    continue
                raise IncompleteReadError(f"Airbyte API {where}: {problem}")
            status = response.status_code
            if status == 401 and token is not None and not replayed:
                if not self._auth.can_refresh:
                    raise AuthenticationError(
                        "The ready-made access token was rejected (401) and cannot be refreshed: "
                        f"pass client credentials ({config.ENV_CLIENT_ID} / "
                        f"{config.ENV_CLIENT_SECRET}) to let the client refresh tokens",
                        status_code=401,
                        request_id=wire.request_id(response),
                    )
                self._auth.invalidate(token)
                replayed = True
                logger.info("%s answered 401: refreshing the token and replaying", where)
                continue
            if (
                is_retryable_status(status)
                and (resend_safe or status == 429)
                and await state.wait(
                    f"{where} answered {status}",
                    retry_after=parse_retry_after(response.headers),
                )
            ):
                continue
            raise wire.api_error(response)

    def _headers(
        self, token: AccessToken | None, extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self._organization_id:
            headers["X-Organization-Id"] = self._organization_id
        if extra:
            headers.update(extra)
        if token is not None:
            headers["Authorization"] = f"Bearer {token.value.get_secret_value()}"
        return headers


class _FileStream:
    """Bookkeeping of ``stream_file``: the next byte to yield, the file's size and ETag."""

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
            served = wire.parse_content_range(response.headers.get("content-range"))
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


_ENV_NAMES = (
    config.ENV_CLIENT_ID,
    config.ENV_CLIENT_SECRET,
    config.ENV_WORKSPACE_ID,
    config.ENV_WORKSPACE_NAME,
    config.ENV_ORGANIZATION_ID,
    config.ENV_ACCESS_TOKEN,
    config.ENV_API_URL,
)


def _secret(value: str | SecretStr | None, name: str, *, in_header: bool) -> SecretStr | None:
    """``value`` as a ``SecretStr`` (None when empty), refused if it cannot be sent as is."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not raw:
        return None
    _check_credential(raw, name, in_header=in_header)
    return value if isinstance(value, SecretStr) else SecretStr(raw)


def _check_credential(value: str, name: str, *, in_header: bool) -> None:
    """``ConfigurationError`` naming the parameter (never the value) if it cannot be sent."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string")
    problem = wire.credential_problem(value, in_header=in_header)
    if problem is not None:
        raise ConfigurationError(
            f"{name} contains {problem} and cannot be sent as is: remove it (a newline or "
            "a stray character copied with the value?)"
        )


def _check_credentials(
    client_id: str | None,
    secret: SecretStr | None,
    token: SecretStr | None,
    workspace_id: str | None,
    workspace_name: str | None,
) -> None:
    if workspace_id and workspace_name:
        raise ConfigurationError("Give workspace_id or workspace_name, not both")
    if token is not None:
        if client_id or secret is not None:
            raise ConfigurationError("Give either token= or client_id/client_secret, not both")
        if workspace_id or workspace_name:
            raise ConfigurationError(
                "A ready-made token= is used as is: drop workspace_id/workspace_name, or pass "
                "client_id/client_secret to have a scoped token exchanged"
            )
        return
    missing = [
        f"{name} (env {env})"
        for name, env, value in (
            ("client_id", config.ENV_CLIENT_ID, client_id),
            ("client_secret", config.ENV_CLIENT_SECRET, secret),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"Missing {' and '.join(missing)}; or pass token= "
            f"(env {config.ENV_ACCESS_TOKEN}) with a ready-made access token"
        )


def _check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash; https, or http for a loopback host only."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"Invalid base_url: {exc}") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError(f"base_url must be an absolute https:// URL, got {base_url!r}")
    if url.userinfo or url.query or url.fragment:
        raise ConfigurationError("base_url must not carry user info, a query or a fragment")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ConfigurationError(
            f"base_url must use https (http is only allowed for a loopback host such as "
            f"127.0.0.1, e.g. the sandbox), got host {url.host!r}"
        )
    return str(url).rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    total = config.DEFAULT_TIMEOUT if value is None else float(value)
    return httpx.Timeout(total, connect=min(config.DEFAULT_CONNECT_TIMEOUT, total))


def _check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < 0):
        raise InvalidRequestError(
            "Refused before sending: byte offsets must be >= 0", status_code=400
        )
    if end is not None and end < start:
        raise InvalidRequestError(
            f"Refused before sending: end ({end}) is before start ({start})", status_code=400
        )


def _error_status(response: httpx.Response) -> bool:
    return response.status_code >= 300


def _short_range(response: httpx.Response) -> str | None:
    """Why a 206 answer carries fewer bytes than its ``Content-Range`` announces, or None."""
    if response.status_code != 206:
        return None
    served = wire.parse_content_range(response.headers.get("content-range"))
    if served is None:
        return None
    expected = served[1] - served[0] + 1
    if len(response.content) == expected:
        return None
    return f"the 206 answer carries {len(response.content)} of {expected} bytes"


def _unsendable(exc: Exception, where: str) -> InvalidRequestError:
    """The ``InvalidRequestError`` for a request httpx could not build or h11 would not send.

    The message names the problem, never the offending value: it may be a header carrying a
    token, or a caller's argument of any size.
    """
    if isinstance(exc, httpx.InvalidURL):
        problem = f"the URL is invalid ({clip(str(exc), 80)})"
    elif isinstance(exc, httpx.LocalProtocolError):
        problem = "a header value is not allowed in HTTP (a control character?)"
    elif isinstance(exc, UnicodeEncodeError) and exc.encoding == "ascii":
        problem = "a header value has non-ASCII characters"
    elif isinstance(exc, UnicodeEncodeError):
        problem = "the body has text that cannot be encoded as UTF-8"
    else:  # json= that is not JSON (an object, NaN, a cycle) or params of an unusable type
        problem = f"the request cannot be encoded ({type(exc).__name__}: {clip(str(exc), 80)})"
    return InvalidRequestError(
        redact(f"Refused before sending: {problem} ({where})"), status_code=400
    )


def _transport_error(exc: httpx.TransportError, method: str, path: str) -> APIConnectionError:
    """``APITimeoutError`` / ``APIConnectionError`` with a message naming no header or query."""
    path = clip(path, 80)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Airbyte API {method} {path} timed out ({type(exc).__name__})")
    detail = redact(str(exc))[:200]
    return APIConnectionError(
        f"Could not reach the Airbyte API ({method} {path}): {type(exc).__name__}"
        f"{': ' + detail if detail else ''}"
    )


def _url_for_log(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}{parsed.path}"
