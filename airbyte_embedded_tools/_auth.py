"""Access tokens as a one-way flow: this layer says which token requests to send, never sends.

Like httpx's ``Auth.auth_flow``: ``Tokens.flow(workspace)`` is an async generator that yields
``TokenCall``s, takes each answer back (``asend``) and ends by yielding the ``AccessToken``.
The client sends the calls (retrying transient failures); nothing here holds a connection
or calls back into the client.

Client credentials give one application (organization) token; each workspace (one customer)
trades it for its own scoped token. Scoped tokens live in a bounded LRU cache (idle ones
dropped), are refreshed ahead of expiry, and are fetched single flight per workspace: 100
concurrent cold calls for one customer send one scoped-token request, for 100 customers 100
plus one application token. A ready-made token is used as is and cannot be refreshed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from . import _config as config
from . import _wire as wire
from ._errors import AuthenticationError, ConfigurationError
from ._models import AccessToken
from ._redact import logger, register_secret

__all__ = ["TokenCall", "TokenFlow", "Tokens", "WorkspaceRef"]


@dataclass(frozen=True, slots=True)
class WorkspaceRef:
    """One workspace (one customer), by id or by name: exactly one of the two is set."""

    id: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if (self.id is None) == (self.name is None) or not (self.id or self.name):
            raise ConfigurationError("Give a workspace name or id=, exactly one, not empty")

    def __str__(self) -> str:
        return f"id={self.id}" if self.id is not None else repr(self.name)


@dataclass(frozen=True, slots=True)
class TokenCall:
    """A token request to POST: sent unauthenticated by the client (``headers`` are complete)."""

    path: str
    body: dict[str, str]
    headers: dict[str, str]


TokenFlow = AsyncGenerator["TokenCall | AccessToken", httpx.Response]
"""Yields ``TokenCall``s (send each, ``asend`` its answer), then the ``AccessToken``."""


class _Slot:
    """One cached token, its refresh time, and the single-flight lock fetching it."""

    __slots__ = ("_lock", "_loop", "minted_with", "refresh_at", "token", "used_at")

    def __init__(self) -> None:
        self.token: AccessToken | None = None
        self.refresh_at = 0.0
        self.used_at = 0.0
        self.minted_with: str | None = None  # the application token a scoped one came from
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def fresh(self, now: float) -> AccessToken | None:
        if self.token is not None and now < self.refresh_at:
            return self.token
        return None

    def lock(self) -> asyncio.Lock:
        """The single-flight lock, renewed when the client moves to another event loop (an
        ``asyncio.Lock`` that once had waiters is bound to its loop)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or (self._loop is not loop and not self._lock.locked()):
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def busy(self) -> bool:
        return self._lock is not None and self._lock.locked()

    def clear(self) -> None:
        self.token, self.refresh_at, self.minted_with = None, 0.0, None


class Tokens:
    """The tokens of one organization-level client and of every workspace view over it."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: SecretStr | None = None,
        token: SecretStr | None = None,
        refresh_margin: float = config.TOKEN_REFRESH_MARGIN,
        cache_size: int = config.TOKEN_CACHE_SIZE,
        idle_timeout: float = config.TOKEN_IDLE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_size < 1:
            raise ConfigurationError("token_cache_size must be at least 1")
        if idle_timeout <= 0:
            raise ConfigurationError("token_idle_timeout must be > 0 seconds")
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_margin = refresh_margin
        self._cache_size = cache_size
        self._idle_timeout = idle_timeout
        self._clock = clock
        self._static: AccessToken | None = None
        self._application = _Slot()
        self._scoped: OrderedDict[WorkspaceRef, _Slot] = OrderedDict()
        self._generation: wire.Generation = "current"
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
    def generation(self) -> wire.Generation:
        """The scoped-token endpoint this deployment serves (found out once, on a 404)."""
        return self._generation

    def __len__(self) -> int:
        """Scoped tokens cached now."""
        return len(self._scoped)

    def cached(self, workspace: WorkspaceRef | None) -> AccessToken | None:
        """The token for ``workspace`` (None: the organization) if one is fresh, else None."""
        if self._static is not None:
            return self._static
        now = self._clock()
        if workspace is None:
            return self._application.fresh(now)
        slot = self._scoped.get(workspace)
        if slot is None:
            return None
        token = slot.fresh(now)
        if token is not None:
            slot.used_at = now
            self._scoped.move_to_end(workspace)
        return token

    async def flow(self, workspace: WorkspaceRef | None) -> TokenFlow:
        """The token for ``workspace`` (None: the application token), fetched if needed."""
        if self._static is not None:
            yield self._static
            return
        if workspace is None:
            async with self._application.lock():
                token = self._application.fresh(self._clock())
                if token is None:
                    token = self._accept_application((yield self._application_call()))
            yield token
            return
        slot = self._slot(workspace)
        async with slot.lock():
            token = slot.fresh(self._clock())
            if token is None:
                for attempt in (1, 2):
                    app = self._application.fresh(self._clock())
                    if app is None:
                        async with self._application.lock():
                            app = self._application.fresh(self._clock())
                            if app is None:
                                app = self._accept_application((yield self._application_call()))
                    minted_with = app.value.get_secret_value()
                    call = self._scoped_call(workspace, app, self._generation)
                    response = yield call
                    if wire.lacks_current_generation(call.path, response):
                        logger.info("No current scoped-token endpoint: using the older one")
                        self._generation = "legacy"
                        response = yield self._scoped_call(workspace, app, "legacy")
                    if response.status_code == 401 and attempt == 1:
                        self.invalidate(None, app)  # revoked: a new application token, once
                        continue
                    break
                token = self._accept(response, "scoped", config.SCOPED_TOKEN_LIFETIME, slot)
                slot.minted_with = minted_with
            yield token

    def invalidate(self, workspace: WorkspaceRef | None, token: AccessToken) -> None:
        """Forget ``token`` after the service rejected it (401): the next call fetches anew.

        Only that workspace's token is dropped (other customers keep theirs), and the
        application token it was minted with: both were issued together and expire together.
        """
        value = token.value.get_secret_value()
        app = self._application
        if app.token is not None and app.token.value.get_secret_value() == value:
            app.clear()
        slot = self._scoped.get(workspace) if workspace is not None else None
        if slot is None or slot.token is None or slot.token.value.get_secret_value() != value:
            return
        minted_with = slot.minted_with
        slot.clear()
        if app.token is not None and app.token.value.get_secret_value() == minted_with:
            app.clear()

    def _slot(self, workspace: WorkspaceRef) -> _Slot:
        """The cache slot of ``workspace``, made most recent; the cache is pruned first."""
        now = self._clock()
        slot = self._scoped.get(workspace)
        if slot is None:
            self._evict(now)
            slot = self._scoped[workspace] = _Slot()
        else:
            self._scoped.move_to_end(workspace)
        slot.used_at = now
        return slot

    def _evict(self, now: float) -> None:
        """Drop idle slots and, past ``cache_size``, the least recently used (never one whose
        token is being fetched right now)."""
        for _ in range(len(self._scoped)):
            key, slot = next(iter(self._scoped.items()))
            full = len(self._scoped) >= self._cache_size
            if not full and now - slot.used_at < self._idle_timeout:
                return
            if slot.busy():
                self._scoped.move_to_end(key)
            else:
                del self._scoped[key]

    def _application_call(self) -> TokenCall:
        assert self._client_id is not None
        assert self._client_secret is not None
        body = wire.application_token_body(self._client_id, self._client_secret.get_secret_value())
        return TokenCall(wire.TOKEN_PATH, body, {})

    def _scoped_call(
        self, workspace: WorkspaceRef, app: AccessToken, generation: wire.Generation
    ) -> TokenCall:
        path, body = wire.scoped_token_request(
            generation, workspace_id=workspace.id, workspace_name=workspace.name
        )
        headers = {"Authorization": f"Bearer {app.value.get_secret_value()}"}
        return TokenCall(path, body, headers)

    def _accept_application(self, response: httpx.Response) -> AccessToken:
        if response.status_code in (401, 403):
            raise AuthenticationError(
                f"Client credentials were rejected ({response.status_code}): check the client id "
                f"and secret ({config.ENV_CLIENT_ID} / {config.ENV_CLIENT_SECRET})",
                status_code=response.status_code,
                request_id=wire.request_id(response),
            )
        return self._accept(
            response, "application", config.APPLICATION_TOKEN_LIFETIME, self._application
        )

    def _accept(
        self, response: httpx.Response, kind: str, default_lifetime: float, slot: _Slot
    ) -> AccessToken:
        """Parse a token answer (raising the mapped error on failure) into ``slot``, with its
        refresh scheduled ``refresh_margin`` (at most half the lifetime) before expiry."""
        if response.status_code >= 300:
            raise wire.api_error(response)
        token, lifetime = wire.parse_token_response(
            response, kind=kind, default_lifetime=default_lifetime
        )
        register_secret(token.value.get_secret_value())
        margin = min(self._refresh_margin, lifetime / 2)
        logger.debug(
            "Obtained %s token valid for %.0f s",
            "an application" if kind == "application" else f"a {kind}",
            lifetime,
        )
        slot.token, slot.refresh_at = token, self._clock() + lifetime - margin
        return token
