"""Who an MCP call acts for: the server's own client, or the HTTP caller's bearer token.

Two ways to serve over streamable HTTP, both checked by the SDK's bearer middleware (a request
without an accepted ``Authorization: Bearer`` header gets HTTP 401 with ``WWW-Authenticate``):

- **with server credentials**: callers must present the server's own secret
  (``SharedSecretVerifier``); the calls use the server's client. The credentials never go to
  whoever connects.
- **without credentials** (a gateway): each request carries the caller's Airbyte token
  (``CallerTokenVerifier`` accepts any well-formed one; Airbyte decides if it is valid) and
  ``CallerClients`` builds a client with that token, from the very request that carried the
  call, for that call only. All of them share one connection pool and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import http.cookiejar
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import httpx

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._wire import credential_problem
from airbyte_embedded_tools.tools import ClientLike

from .mcp_sdk import AccessToken, Context

__all__ = [
    "CallerClients",
    "CallerTokenVerifier",
    "ClientSource",
    "MissingCallerToken",
    "ServerClient",
    "SharedSecretVerifier",
    "bearer_token",
    "shared_pool",
]

MAX_TOKEN_LENGTH = 16_384
"""A longer ``Authorization`` value is refused unread (Airbyte's JWTs are ~1 KiB)."""


def bearer_token(headers: Mapping[str, str] | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if well formed."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None or len(value) > MAX_TOKEN_LENGTH + 7:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token if credential_problem(token, in_header=True) is None else None


def _fingerprint(token: str) -> str:
    """A short, one-way name for a token (never the token), e.g. to tell principals apart."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class SharedSecretVerifier:
    """Accepts exactly the server's own bearer secret (compared in constant time)."""

    def __init__(self, secret: str) -> None:
        if bearer_token({"authorization": f"Bearer {secret}"}) != secret:
            raise ValueError("the MCP auth token must be visible ASCII without spaces")
        self._secret = secret.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(token.strip().encode(), self._secret):
            return None
        return AccessToken(token=token, client_id="airbyte-embedded-mcp", scopes=[])

    def __repr__(self) -> str:
        return "SharedSecretVerifier(secret=***)"


class CallerTokenVerifier:
    """Accepts any well-formed bearer token: Airbyte, not this server, judges it on each call."""

    async def verify_token(self, token: str) -> AccessToken | None:
        token = token.strip()
        if bearer_token({"authorization": f"Bearer {token}"}) is None:
            return None
        return AccessToken(
            token=token, client_id=f"caller-{_fingerprint(token)}", scopes=[], subject=None
        )


class MissingCallerToken(Exception):
    """A call reached a per-caller server without a bearer token (stdio, or no header)."""

    message = (
        "Error: this server acts with the caller's own Airbyte token, and the request carried "
        "none. Send 'Authorization: Bearer <Airbyte access token>' with the MCP request."
    )


class ClientSource(Protocol):
    """Gives the client one tool call runs with; ``fixed`` when it is the same for every call."""

    fixed: bool

    def for_call(self, ctx: Context) -> AbstractAsyncContextManager[ClientLike]: ...


class ServerClient:
    """Every call uses the server's one client (its owner closes it)."""

    fixed = True

    def __init__(self, client: ClientLike) -> None:
        self.client = client

    @asynccontextmanager
    async def for_call(self, ctx: Context) -> AsyncIterator[ClientLike]:
        yield self.client


class CallerClients:
    """Each call gets a client holding the bearer token of the HTTP request that carried it.

    The token is read from that request's own headers (``ctx.headers``), never from shared
    state, so no call can run with another caller's token. ``http`` is the one pool all of them
    share (see ``shared_pool``); it belongs to the caller of this class.
    """

    fixed = False

    def __init__(self, *, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.http = http

    @asynccontextmanager
    async def for_call(self, ctx: Context) -> AsyncIterator[ClientLike]:
        token = bearer_token(_headers(ctx))
        if token is None:
            raise MissingCallerToken(MissingCallerToken.message)
        client = AirbyteEmbeddedClient(token=token, base_url=self.base_url, http_client=self.http)
        try:
            yield client
        finally:
            await client.aclose()  # the shared pool stays open: the client does not own it


def _headers(ctx: Context) -> Mapping[str, str] | None:
    """The headers of the HTTP request that carried this call (None: stdio or in-process)."""
    try:
        return ctx.headers
    except ValueError:  # the SDK's "Context is not available outside of a request"
        return None


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Never store a cookie: a pool shared by callers must carry nothing from one to another."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


def shared_pool() -> httpx.AsyncClient:
    """The connection pool per-caller clients share: no cookies kept, no redirects followed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(config.DEFAULT_TIMEOUT, connect=config.DEFAULT_CONNECT_TIMEOUT),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
    )
