"""Access tokens: exchanged lazily, cached, refreshed ahead of expiry, one request in flight.

Client credentials give an application (organization) token; with a workspace configured it is
traded for a scoped token of that workspace. A ready-made token is used as is and cannot be
refreshed. A single ``asyncio.Lock`` makes concurrent callers on a cold client share one exchange.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import SecretStr

from . import _wire as wire
from . import config
from ._redact import logger, register_secret
from .errors import AuthenticationError
from .models import AccessToken

__all__ = ["Exchange", "TokenProvider"]

Exchange = Callable[[str, dict[str, Any], dict[str, str]], Awaitable[httpx.Response]]
"""POST ``path`` with a JSON body and extra headers (no bearer token added), transient failures
already retried; returns the final response whatever its status."""


class TokenProvider:
    """Hands out a valid bearer token: cached, refreshed before expiry, single flight."""

    def __init__(
        self,
        exchange: Exchange,
        *,
        client_id: str | None = None,
        client_secret: SecretStr | None = None,
        workspace_id: str | None = None,
        workspace_name: str | None = None,
        organization_id: str | None = None,
        token: SecretStr | None = None,
        refresh_margin: float = config.TOKEN_REFRESH_MARGIN,
    ) -> None:
        self._exchange = exchange
        self._client_id = client_id
        self._client_secret = client_secret
        self._workspace_id = workspace_id
        self._workspace_name = workspace_name
        self._organization_id = organization_id
        self._refresh_margin = refresh_margin
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._static: AccessToken | None = None
        self._application: tuple[AccessToken, float] | None = None  # token, refresh at
        self._application_lifetime: float | None = None
        self._current: tuple[AccessToken, float] | None = None
        if client_secret is not None:
            register_secret(client_secret.get_secret_value())
        if token is not None:
            register_secret(token.get_secret_value())
            self._static = AccessToken(value=token, expires_at=math.inf, kind="static")

    @property
    def can_refresh(self) -> bool:
        """False for a ready-made token: a 401 on it is final."""
        return self._static is None

    @property
    def scoped(self) -> bool:
        return self._workspace_id is not None or self._workspace_name is not None

    async def get_token(self) -> AccessToken:
        """The token for API calls (scoped if a workspace is configured), exchanging if needed."""
        if self._static is not None:
            return self._static
        fresh = _fresh(self._current)
        if fresh is not None:
            return fresh
        async with self._loop_lock():
            fresh = _fresh(self._current)  # another caller may have refreshed while we waited
            if fresh is not None:
                return fresh
            self._current = await self._scoped() if self.scoped else await self._app_token()
            return self._current[0]

    def _loop_lock(self) -> asyncio.Lock:
        """The single-flight lock, renewed when the client moves to a new event loop.

        (An ``asyncio.Lock`` that once had waiters is bound to that loop.)
        """
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop and not self._lock.locked():
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    def invalidate(self, token: AccessToken) -> None:
        """Forget ``token`` after the service rejected it (401), so the next call exchanges anew.

        A rejected scoped token drops the application token too: both were issued together and
        expire together, so reusing it would only cost a failed scoped-token request.
        """
        value = token.value.get_secret_value()
        current, application = self._current, self._application
        if current is not None and current[0].value.get_secret_value() == value:
            self._current = None
            self._application = None
        if application is not None and application[0].value.get_secret_value() == value:
            self._application = None

    async def _app_token(self) -> tuple[AccessToken, float]:
        """The cached application token, or a new one from the client credentials."""
        cached = self._application
        if cached is not None and time.monotonic() < cached[1]:
            return cached
        assert self._client_id is not None
        assert self._client_secret is not None
        body = wire.application_token_body(self._client_id, self._client_secret.get_secret_value())
        response = await self._exchange(wire.TOKEN_PATH, body, {})
        if response.status_code in (401, 403):
            raise AuthenticationError(
                f"Client credentials were rejected ({response.status_code}): check the client id "
                f"and secret ({config.ENV_CLIENT_ID} / {config.ENV_CLIENT_SECRET})",
                status_code=response.status_code,
                request_id=wire.request_id(response),
            )
        self._application = self._accept(response, "application")
        self._application_lifetime = self._application[0].expires_in()
        return self._application

    async def _scoped(self) -> tuple[AccessToken, float]:
        """A new scoped token for the workspace; a 401 re-exchanges the application token once."""
        app_token = (await self._app_token())[0]
        response = await self._request_scoped(app_token)
        if response.status_code == 401:  # the cached application token may have been revoked
            self.invalidate(app_token)
            response = await self._request_scoped((await self._app_token())[0])
        return self._accept(response, "scoped", default_lifetime=self._application_lifetime)

    async def _request_scoped(self, app_token: AccessToken) -> httpx.Response:
        body = wire.scoped_token_body(
            workspace_id=self._workspace_id, workspace_name=self._workspace_name
        )
        headers = {"Authorization": f"Bearer {app_token.value.get_secret_value()}"}
        if self._organization_id:
            headers["X-Organization-Id"] = self._organization_id
        return await self._exchange(wire.SCOPED_TOKEN_PATH, body, headers)

    def _accept(
        self, response: httpx.Response, kind: str, default_lifetime: float | None = None
    ) -> tuple[AccessToken, float]:
        """Parse a token answer (raising the mapped error on failure) and schedule its refresh.

        ``default_lifetime``: the lifetime assumed when the answer does not state one.
        """
        if response.status_code >= 300:
            raise wire.api_error(response)
        token, lifetime = wire.parse_token_response(
            response, kind=kind, default_lifetime=default_lifetime
        )
        register_secret(token.value.get_secret_value())
        margin = min(self._refresh_margin, lifetime / 2)
        logger.debug("Obtained a %s token valid for %.0f s", kind, lifetime)
        return token, time.monotonic() + lifetime - margin


def _fresh(cached: tuple[AccessToken, float] | None) -> AccessToken | None:
    """The cached token if it is not yet due for refresh."""
    if cached is not None and time.monotonic() < cached[1]:
        return cached[0]
    return None
