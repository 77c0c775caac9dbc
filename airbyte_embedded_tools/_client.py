"""``AirbyteEmbeddedClient``: the one async client every tool and loader shares.

One ``httpx.AsyncClient`` (one connection pool), one token cache, typed results and errors.
One organization-level client serves every customer: ``for_workspace`` gives a cheap view per
workspace over the same pool, each with its own scoped token. Proxy requests are checked
before they leave (method, upstream host, headers); every call is retried on transient
failures by ``retry.RetryPolicy``; a 401 refreshes that workspace's token and replays the call
once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from . import _config as config
from . import _wire as wire
from ._affinity import LoopAffinity
from ._auth import TokenCall, Tokens, WorkspaceRef
from ._checks import (
    as_timeout,
    check_base_url,
    check_body,
    check_credential,
    check_credentials,
    check_range,
    secret,
    unsendable,
)
from ._errors import (
    AirbyteEmbeddedError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    IncompleteReadError,
    InvalidRequestError,
    ResponseTooLargeError,
)
from ._inflate import ACCEPT_ENCODING, BodyError, TooLarge, inflater_for
from ._models import AccessToken, FileContent, FileEntry, FolderListing, ProxyResponse
from ._redact import clip, logger, redact
from ._refuse import refuse
from ._request_options import RequestOptions
from ._retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    RetryState,
    is_retryable_status,
    parse_retry_after,
    was_never_sent,
)
from ._streaming import stream_ranges
from ._upstream import (
    check_headers,
    check_method,
    connector_hosts,
    key_methods,
    resolve_idempotency_key,
    upstream_url,
)
from ._version import __version__
from ._wire.answers import ANY_STATUS, RANGED, Answers, WholeFile

__all__ = ["AirbyteEmbeddedClient"]


USER_AGENT = f"airbyte-embedded-tools/{__version__}"


class _Shared:
    """What a client and its workspace views share: pool, loop, retry policy, tokens, settings."""

    __slots__ = (
        "affinity",
        "allowed_hosts",
        "base_url",
        "headers",
        "http",
        "max_bytes",
        "organization_id",
        "owns_http",
        "retry",
        "timeout",
        "tokens",
        "total_timeout",
    )

    def __init__(
        self,
        *,
        base_url: str,
        organization_id: str | None,
        allowed_hosts: frozenset[str],
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        max_bytes: int,
        total_timeout: float | None,
        http: httpx.AsyncClient | None,
        tokens: Tokens,
    ) -> None:
        self.base_url = base_url
        self.organization_id = organization_id
        self.allowed_hosts = allowed_hosts
        self.retry = retry
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self.tokens = tokens
        self.owns_http = http is None
        self.http = http or self.new_pool()
        self.affinity = LoopAffinity()
        # Sent with every request unless the pool sends them already (ours does: fewer headers
        # merged per request); a caller's http_client gets them per request.
        self.headers = {
            k: v for k, v in self._own_headers().items() if self.http.headers.get(k) != v
        }

    def _own_headers(self) -> dict[str, str]:
        """The headers of every call: who we are, what we accept (``_inflate`` undoes it)."""
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if self.organization_id:
            headers["X-Organization-Id"] = self.organization_id
        return headers

    def new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            headers=self._own_headers(),
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            follow_redirects=False,
        )


class AirbyteEmbeddedClient:
    """Async client for Airbyte Embedded's API proxy and file proxy.

    Authenticate with ``client_id``/``client_secret`` (optionally scoped to ``workspace_id`` or
    ``workspace_name``) or with a ready-made ``token``. Use as ``async with`` or call ``aclose()``.
    One organization-level client serves many customers: ``for_workspace("acme")`` is a cheap
    view acting for one workspace (same pool, its own scoped token).

    ``timeout``: seconds or an ``httpx.Timeout`` (default 60 s, connect 10 s; with a caller's
    ``http_client``, that client's own). ``allowed_hosts`` adds upstream hosts ``proxy_request``
    may reach besides the connectors' API hosts. ``retry_policy`` replaces ``max_retries`` and
    ``retry_deadline`` (backoff, ``Retry-After`` cap, an injectable sleep for tests).
    ``base_url`` must be https, or http for a loopback host (the sandbox).
    ``token_cache_size`` scoped tokens are kept (least recently used dropped first), each for
    at most ``token_idle_timeout`` seconds unused.
    ``max_response_bytes``: the largest answer read into memory (a proxied answer, a file read;
    default 64 MiB), larger ones raise ``ResponseTooLargeError`` having read no more than that.
    ``total_timeout``: seconds one logical call may take in all (attempts, retry waits, slow
    bodies, the token exchange), raising ``APITimeoutError``; default ``retry_deadline`` plus
    the longest per-attempt timeout (none when ``retry_deadline`` is None).
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
        retry_deadline: float | None = config.DEFAULT_RETRY_DEADLINE,
        http_client: httpx.AsyncClient | None = None,
        allowed_hosts: Iterable[str] | None = None,
        retry_policy: RetryPolicy | None = None,
        token_cache_size: int = config.TOKEN_CACHE_SIZE,
        token_idle_timeout: float = config.TOKEN_IDLE_TIMEOUT,
        max_response_bytes: int = config.DEFAULT_MAX_RESPONSE_BYTES,
        total_timeout: float | None = None,
    ) -> None:
        app_secret = secret(client_secret, "client_secret", in_header=False)
        static = secret(token, "token", in_header=True)
        if organization_id:
            check_credential(organization_id, "organization_id", in_header=True)
        client_id = client_id or None
        check_credentials(client_id, app_secret, static, workspace_id, workspace_name)
        base = check_base_url(base_url)
        hosts = frozenset(
            connector_hosts() | {h.strip().lower() for h in allowed_hosts or () if h.strip()}
        )
        try:
            retry = retry_policy or RetryPolicy(max_retries=max_retries, deadline=retry_deadline)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        attempt_timeout = (
            http_client.timeout
            if http_client is not None and timeout is None
            else as_timeout(timeout)
        )
        tokens = Tokens(
            client_id=client_id,
            client_secret=app_secret,
            token=static,
            cache_size=token_cache_size,
            idle_timeout=token_idle_timeout,
        )
        self._core = _Shared(
            base_url=base,
            organization_id=organization_id or None,
            allowed_hosts=hosts,
            retry=retry,
            timeout=attempt_timeout,
            max_bytes=_check_max_bytes(max_response_bytes),
            total_timeout=_total_timeout(total_timeout, retry, attempt_timeout),
            http=http_client,
            tokens=tokens,
        )
        self._view = False
        self._access: weakref.ref[Any] | None = None  # access.access_for's, while in use
        self._workspace: WorkspaceRef | None = None
        if workspace_id or workspace_name:
            self._workspace = WorkspaceRef(id=workspace_id or None, name=workspace_name or None)

    def for_workspace(
        self, name: str | None = None, *, id: str | None = None
    ) -> AirbyteEmbeddedClient:
        """A view of this client acting for one workspace (one customer), by name or ``id=``.

        The view is an ``AirbyteEmbeddedClient`` (every tool, loader and sync face takes it)
        sharing this client's connection pool, retry policy and application token, with its
        own scoped token (a name Airbyte does not know yet creates that workspace). It costs
        a few hundred bytes: make one per request. Closing it does nothing; closing the
        client it came from closes the pool of every view.
        """
        if not self._core.tokens.can_refresh:
            raise ConfigurationError(
                "A ready-made token= cannot be scoped to a workspace: build the client with "
                "client_id/client_secret to serve several workspaces"
            )
        for value, what in ((name, "workspace name"), (id, "workspace id")):
            if value is not None:
                if not isinstance(value, str):
                    raise ConfigurationError(f"The {what} must be a string")
                check_credential(value, what, in_header=False)
        view = object.__new__(type(self))
        view._core = self._core
        view._view = True
        view._access = None
        view._workspace = WorkspaceRef(id=id, name=name)
        return view

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
        return self._core.base_url

    @property
    def max_retries(self) -> int:
        return self._core.retry.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._core.retry

    @property
    def timeout(self) -> httpx.Timeout:
        return self._core.timeout

    @property
    def max_response_bytes(self) -> int:
        return self._core.max_bytes

    @property
    def total_timeout(self) -> float | None:
        """Seconds one logical call may take in all (None: no bound but the retry deadline)."""
        return self._core.total_timeout

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Upstream hosts ``proxy_request`` may reach."""
        return self._core.allowed_hosts

    @property
    def workspace_id(self) -> str | None:
        return self._workspace.id if self._workspace is not None else None

    @property
    def workspace_name(self) -> str | None:
        return self._workspace.name if self._workspace is not None else None

    @property
    def organization_id(self) -> str | None:
        return self._core.organization_id

    @property
    def loop_affinity(self) -> LoopAffinity:
        """The event loop this client's connections belong to (shared with its views)."""
        return self._core.affinity

    @property
    def is_view(self) -> bool:
        """True for a ``for_workspace`` view (closing it leaves the pool open)."""
        return self._view

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool (shared with the views)."""
        return self._core.http

    async def aclose(self) -> None:
        """Close the connection pool of this client and its views (a caller's ``http_client``
        is left open). On a ``for_workspace`` view: nothing to close."""
        if self._core.owns_http and not self._view:
            self._bind_loop()
            await self._core.http.aclose()

    def _bind_loop(self) -> None:
        """Note the running loop; after the pool's loop was closed, start a fresh pool.

        Connections belong to the loop that opened them. A client used by one ``asyncio.run``
        and then another (or after its ``SyncAirbyteEmbeddedClient`` closed) would otherwise
        fail with "Event loop is closed". A caller's ``http_client`` is never replaced, and
        using one client on two live loops at once is not supported.
        """
        core = self._core
        if core.affinity.enter(asyncio.get_running_loop()) and core.owns_http:
            core.http = core.new_pool()  # the old one's sockets died with their loop

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
        auth = "token" if not self._core.tokens.can_refresh else "client_credentials"
        scope = ""
        if self._workspace is not None:
            scope = f" workspace={self._workspace.id or self._workspace.name!r}"
        return f"<AirbyteEmbeddedClient base_url={self._core.base_url!r} auth={auth}{scope}>"

    async def get_token(self) -> AccessToken:
        """The bearer token API calls use (scoped if a workspace is set), exchanged if needed."""
        return await self._token()

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
        idempotency_key: str | None = None,
        max_response_bytes: int | None = None,
        total_timeout: float | None = None,
    ) -> ProxyResponse:
        """Send ``method url`` to the upstream API of ``source_id`` through Airbyte's proxy.

        ``url`` is a full ``https`` URL on a connector's host or a path on the connector's API
        (``/v1/customers`` resolves on ``https://api.stripe.com``); see ``_upstream.upstream_url``.

        Returns the upstream's response whatever its status (``raise_for_status()`` raises
        ``UpstreamError``); errors of the proxy itself raise ``APIStatusError`` subclasses.
        Upstream 429/5xx are retried for idempotent methods, or all if ``retry_non_idempotent``.

        A write the connector takes keys for (``_upstream.CONNECTOR_RULES``: Stripe's POST)
        carries an ``Idempotency-Key`` upstream header, the same on every retry, and is then
        retried like a read: ``idempotency_key``, or one in ``headers``, or a fresh uuid4. The
        key is on the answer (``.idempotency_key``) and on any error raised (with
        ``write_may_have_happened``). ``max_response_bytes`` and ``total_timeout`` override
        the client's for this call.
        """
        method = check_method(method)
        target = upstream_url(url, params, allowed_hosts=self._core.allowed_hosts)
        extra_headers = check_headers(headers)
        check_body(json, data)
        key = resolve_idempotency_key(idempotency_key, extra_headers, method, target)
        is_write = method in WRITE_METHODS
        resend_safe = (
            method in IDEMPOTENT_METHODS
            or retry_non_idempotent
            or (key is not None and method in key_methods(target))
        )
        body = wire.build_proxy_body(
            method=method, url=target, headers=extra_headers, json=json, data=data
        )
        path = wire.proxy_path(source_id)
        state = self._core.retry.start(expires_at=self._expires_at(total_timeout))
        reader = wire.AnswerReader()
        options = RequestOptions(
            json=body,
            timeout=timeout,
            resend_safe=resend_safe,
            answers=reader,
            max_bytes=max_response_bytes,
        )
        try:
            while True:
                response = await self._request("POST", path, options, state)
                result = reader.proxy_response(response, method=method, url=target)
                result.idempotency_key = key
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "Upstream %s %s answered %d",
                        method,
                        _url_for_log(target),
                        result.status_code,
                    )
                upstream_retryable = result.status_code == 429 or result.status_code >= 500
                if result.status_code >= 500:
                    state.may_have_reached = True
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
        except AirbyteEmbeddedError as exc:
            exc.idempotency_key = key
            if is_write:
                exc.write_may_have_happened = state.may_have_reached
            raise

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
            response = await self._request(
                "GET", path, RequestOptions(params=params, answers=reader)
            )
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
            raise refuse("limit must be at least 1")
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
        expected_size: int | None = None,
        total_timeout: float | None = None,
    ) -> FileContent:
        """Bytes ``start``..``end`` (inclusive) of a file, or the whole file when both are None.

        The result says which range was served and the total size. A read cut short (fewer
        bytes than the ``Content-Range`` or ``Content-Length`` announced, or for a whole-file
        read than ``expected_size``, the size the caller knows, e.g. the listing's) is retried,
        then raised as ``IncompleteReadError``: never returned as complete. A whole-file read
        larger than ``max_response_bytes`` raises ``ResponseTooLargeError`` (read a range).
        """
        if expected_size is not None and (
            isinstance(expected_size, bool)
            or not isinstance(expected_size, int)
            or expected_size < 0
        ):
            raise refuse("expected_size must be an integer >= 0")
        headers = {"Accept": "*/*"}
        answers: Answers = WholeFile(expected_size)
        if start is not None or end is not None:
            first = 0 if start is None else start
            check_range(first, end)
            headers["Range"] = wire.range_header(first, end)
            answers = RANGED
        response = await self._request(
            "GET",
            wire.files_get_path(source_id, path),
            RequestOptions(
                headers=headers,
                timeout=timeout,
                answers=answers,
                raw=True,
                total_timeout=total_timeout,
            ),
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
            raise refuse("chunk_size must be > 0")
        check_range(start, None)
        url_path = wire.files_get_path(source_id, path)

        async def send(headers: dict[str, str], state: RetryState) -> httpx.Response:
            options = RequestOptions(headers=headers, stream=True, raw=True)
            return await self._request("GET", url_path, options, state)

        pieces = stream_ranges(
            send, self._core.retry, path=path, where=url_path, chunk_size=chunk_size, start=start
        )
        async with aclosing(pieces):
            async for piece in pieces:
                yield piece

    # --- the request loop ------------------------------------------------------------------------

    async def _token(self, state: RetryState | None = None) -> AccessToken:
        """This client's token: cached, else fetched within ``state``'s deadline (the call
        that needs it), if any."""
        token = self._core.tokens.cached(self._workspace)
        if token is not None:
            return token
        return await self._exchange(None if state is None else state.expires_at)

    async def _exchange(self, expires_at: float | None) -> AccessToken:
        """A token fetched by driving the auth layer's one-way flow (it yields the token
        requests to send; each is sent here, unauthenticated, by ``expires_at`` at the latest:
        the deadline of the call that needs the token)."""
        flow = self._core.tokens.flow(self._workspace)
        try:
            step = await anext(flow)
            while isinstance(step, TokenCall):
                options = RequestOptions(
                    json=step.body, headers=step.headers, authenticated=False, answers=ANY_STATUS
                )
                state = self._core.retry.start(expires_at=self._expires_at(None, expires_at))
                step = await flow.asend(await self._request("POST", step.path, options, state))
            return step
        finally:
            await flow.aclose()

    def _expires_at(self, total_timeout: float | None, outer: float | None = None) -> float | None:
        """The monotonic deadline of a call starting now, within ``outer`` (an enclosing call's)."""
        total = self._core.total_timeout if total_timeout is None else total_timeout
        own = None if total is None else time.monotonic() + total
        if outer is None or own is None:
            return own if outer is None else outer
        return min(own, outer)

    async def _request(
        self,
        method: str,
        path: str,
        options: RequestOptions,
        state: RetryState | None = None,
    ) -> httpx.Response:
        """Send one logical call: bearer token, 401 refresh-and-replay, retries, error mapping.

        Returns the response unless ``options.answers`` says it is an error of Airbyte's API,
        which is retried when transient and raised otherwise; a successful answer it finds
        unusable (a body cut short) is retried like a dropped connection, then raised as
        ``IncompleteReadError``. ``state``: the retry budget when the call shares one with
        other requests (the proxy's upstream retries, a streamed read's ranges). The call
        ends by its total deadline (``state.expires_at``, a timer on the running task), the
        token exchange included, and reads no answer larger than ``options.max_bytes``. No
        error raised has a cause or context: an httpx error holds the request, and the
        request the bearer token.
        """
        self._bind_loop()
        core = self._core
        if state is None:
            state = core.retry.start(expires_at=self._expires_at(options.total_timeout))
        answers = options.answers
        resend_safe = options.resend_safe
        replayed = False
        timeout = core.timeout if options.timeout is None else as_timeout(options.timeout)
        limit = core.max_bytes if options.max_bytes is None else _check_max_bytes(options.max_bytes)
        where = f"{method} {clip(path, 80)}"
        while True:
            token: AccessToken | None = None
            response: httpx.Response | AirbyteEmbeddedError
            started = time.monotonic()
            try:
                async with asyncio.timeout(state.remaining()):
                    if options.authenticated:
                        token = await self._token(state)
                    built = self._build(method, path, options, token, timeout, where)
                    if isinstance(built, InvalidRequestError):
                        response = built
                    else:
                        response = await self._send(
                            built, stream=options.stream, raw=options.raw, limit=limit, where=where
                        )
            except ResponseTooLargeError as exc:  # an answer came: the call was carried out
                state.may_have_reached = True
                response = exc
            except BodyError as exc:  # so did this one, unreadable as sent
                state.may_have_reached = True
                if exc.retryable and resend_safe and await state.wait(f"{where}: {exc.problem}"):
                    continue
                error = IncompleteReadError if exc.retryable else APIConnectionError
                response = error(f"Airbyte API {where}: {exc.problem}")
            except TimeoutError:
                state.may_have_reached = True
                response = APITimeoutError(
                    f"Airbyte API {where} did not finish within the call's total timeout "
                    f"({_seconds(core.total_timeout, options.total_timeout)})"
                )
            except httpx.LocalProtocolError as exc:  # h11 refused what we asked it to send
                response = unsendable(exc, where)
            except httpx.TransportError as exc:
                sent = not was_never_sent(exc)
                state.may_have_reached = state.may_have_reached or sent
                response = _transport_error(exc, method, path)
                if (resend_safe or not sent) and await state.wait(f"{where}: {type(exc).__name__}"):
                    continue
            if isinstance(response, AirbyteEmbeddedError):
                raise response  # raised outside the except: no __context__ holding the request
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s -> %d (%.1f ms)",
                    where,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                )
            if not answers.is_api_error(response):
                problem = answers.unusable(response)
                if problem is None:
                    return response
                if resend_safe and await state.wait(f"{where}: {problem}"):
                    continue
                raise IncompleteReadError(f"Airbyte API {where}: {problem}")
            status = response.status_code
            if status >= 500:
                state.may_have_reached = True
            if status == 401 and token is not None and not replayed:
                if not self._core.tokens.can_refresh:
                    raise AuthenticationError(
                        "The ready-made access token was rejected (401) and cannot be refreshed: "
                        f"pass client credentials ({config.ENV_CLIENT_ID} / "
                        f"{config.ENV_CLIENT_SECRET}) to let the client refresh tokens",
                        status_code=401,
                        request_id=wire.request_id(response),
                    )
                self._core.tokens.invalidate(self._workspace, token)
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

    def _build(
        self,
        method: str,
        path: str,
        options: RequestOptions,
        token: AccessToken | None,
        timeout: httpx.Timeout,
        where: str,
    ) -> httpx.Request | InvalidRequestError:
        """The request to send, or the error naming why it cannot be built (to raise)."""
        try:
            return self._core.http.build_request(
                method,
                _api_url(self._core.base_url, path),
                params=options.params,
                json=options.json,
                headers=self._headers(token, options.headers, raw=options.raw),
                timeout=timeout,
            )
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            return unsendable(exc, where)

    async def _send(
        self, request: httpx.Request, *, stream: bool, raw: bool, limit: int, where: str
    ) -> httpx.Response:
        """Send ``request``; read the answer (at most ``limit`` bytes) unless a streamed success.

        The body is read piece by piece and dropped at the limit, so memory is bounded by the
        limit, not by what the server sends; a gzip or deflate body is inflated under the same
        limit (``_inflate``), unless ``raw`` (a file's bytes, kept as stored). An uncompressed
        answer framed by its length is read in place; any other comes back as a new response
        holding the body (its ``Content-Encoding`` dropped) and the request.
        """
        response = await self._core.http.send(request, stream=True, follow_redirects=False)
        if stream and response.status_code < 300:
            return response
        try:
            if response.is_stream_consumed:  # read by the transport (httpx.MockTransport's are)
                if len(response.content) > limit:
                    raise _too_large(where, limit, "it is larger")
                return response
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                raise _too_large(where, limit, f"it announces {int(length)} bytes")
            coding = response.headers.get("content-encoding")
            if length.isdigit() and not coding:
                # Framed by its length and not compressed: it cannot grow past the limit.
                await response.aread()
                return response
            inflater = None if raw else inflater_for(coding)
            pieces: list[bytes] = []
            received = size = 0
            async for piece in response.aiter_raw():
                received += len(piece)
                if inflater is not None:
                    try:
                        piece = inflater.feed(piece, limit - size)
                    except TooLarge:
                        raise _too_large(where, limit, "it inflates past it") from None
                size += len(piece)
                if size > limit or received > limit:
                    raise _too_large(where, limit, "it is larger")
                pieces.append(piece)
            if inflater is not None:
                inflater.end()
        finally:
            await response.aclose()
        headers = httpx.Headers(
            [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        )
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(pieces),
            request=request,
            extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")},
        )

    def _headers(
        self, token: AccessToken | None, extra: Mapping[str, str] | None, *, raw: bool
    ) -> dict[str, str]:
        """Our headers the pool does not send already, then ``extra``, then the bearer token;
        ``raw`` asks for the bytes as stored (no compression)."""
        headers = dict(self._core.headers)
        if raw:
            headers["Accept-Encoding"] = "identity"
        if extra:
            headers.update(extra)
        if token is not None:
            headers["Authorization"] = f"Bearer {token.value.get_secret_value()}"
        return headers


_ENV_NAMES = (
    config.ENV_CLIENT_ID,
    config.ENV_CLIENT_SECRET,
    config.ENV_WORKSPACE_ID,
    config.ENV_WORKSPACE_NAME,
    config.ENV_ORGANIZATION_ID,
    config.ENV_ACCESS_TOKEN,
    config.ENV_API_URL,
)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _seconds(default: float | None, override: float | None) -> str:
    value = default if override is None else override
    return f"{value:g} s"


def _total_timeout(total: float | None, retry: RetryPolicy, timeout: httpx.Timeout) -> float | None:
    """The client's ``total_timeout``: as given, else ``retry_deadline`` + the longest attempt."""
    if total is not None:
        if isinstance(total, bool) or not isinstance(total, (int, float)) or not total > 0:
            raise ConfigurationError("total_timeout must be a number of seconds > 0")
        return float(total)
    if retry.deadline is None:
        return None
    attempt = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return retry.deadline + (max(attempt) if attempt else config.DEFAULT_TIMEOUT)


def _check_max_bytes(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigurationError("max_response_bytes must be an integer >= 1")
    return limit


def _too_large(where: str, limit: int, why: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The answer to {where} is over the {limit}-byte limit ({why}); reading stopped. "
        "Ask for less: a smaller limit or fewer fields for an API list, a byte range for a "
        "file; or raise max_response_bytes",
        limit=limit,
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


def _api_url(base_url: str, path: str) -> httpx.URL | str:
    """The URL of a call to Airbyte's API, parsed once per path (a loop calls the same ones);
    a long one (a deep file key) is left for httpx to parse, so the cache stays small."""
    return _parsed_url(base_url, path) if len(path) <= 1024 else base_url + path


@functools.lru_cache(maxsize=256)
def _parsed_url(base_url: str, path: str) -> httpx.URL:
    return httpx.URL(base_url + path)


def _url_for_log(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}{parsed.path}"
