"""The Airbyte API as a Starlette app: token, API proxy and file routes, JSON errors, faults."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from .context import SandboxContext
from .faults import FaultMiddleware
from .file_routes import file_endpoints
from .proxy import proxy_endpoint
from .responses import ApiError, error_response
from .tokens import CURRENT_SCOPED_PATH, LEGACY_SCOPED_PATH, token_endpoints
from .upstream import UpstreamClient

logger = logging.getLogger(__name__)


def classify(path: str) -> str | None:
    """The fault target a request path belongs to (None: never faulted)."""
    if path.startswith("/api/v1/sonar/apis/"):
        return "proxy"
    if path.startswith("/api/v1/sonar/files/"):
        return "files"
    if path in ("/api/v1/account/applications/token", CURRENT_SCOPED_PATH, LEGACY_SCOPED_PATH):
        return "tokens"
    return None


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        detail = f"no such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    else:
        detail = str(exc.detail)
    return error_response(exc.status_code, detail, dict(exc.headers or {}))


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The caller hung up while sending its request: nobody reads the answer, nothing to log."""
    return error_response(400, "the client disconnected before sending its whole request")


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("sandbox error on %s %s", request.method, request.url.path)
    return error_response(500, f"internal sandbox error ({type(exc).__name__})")


def _lifespan(
    context: SandboxContext, on_shutdown: Callable[[], None] | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        context.http = UpstreamClient()
        try:
            yield
        finally:
            await context.http.aclose()
            if on_shutdown is not None:
                on_shutdown()

    return lifespan


def build_api_app(
    context: SandboxContext,
    *,
    stripe_app: ASGIApp | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> Starlette:
    """The Airbyte API app (``app.state.sandbox`` is the context).

    With ``stripe_app``, the emulator is mounted at ``/_stripe`` and reached over this server's
    own socket (to serve everything from one port).
    """
    application_token, current_scoped_token, legacy_scoped_token = token_endpoints(context)
    list_files, get_file = file_endpoints(context)
    proxy = proxy_endpoint(context)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"available": True})

    files = "/api/v1/sonar/files/{source_id}"
    routes: list[Any] = [
        Route("/api/v1/health", health, methods=["GET"]),
        Route("/api/v1/account/applications/token", application_token, methods=["POST"]),
        Route(CURRENT_SCOPED_PATH, current_scoped_token, methods=["POST"]),
        Route(LEGACY_SCOPED_PATH, legacy_scoped_token, methods=["POST"]),
        Route("/api/v1/sonar/apis/{source_id}/request", proxy, methods=["POST"]),
        Route(files + "/list", list_files, methods=["GET"]),
        Route(files + "/list/{prefix:path}", list_files, methods=["GET"]),
        Route(files + "/get", get_file, methods=["GET"]),
        Route(files + "/get/{path:path}", get_file, methods=["GET"]),
    ]
    if stripe_app is not None:
        routes.append(Mount("/_stripe", app=stripe_app))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, injector=context.injector, classify=classify)],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _server_error,
        },
        lifespan=_lifespan(context, on_shutdown),
    )
    app.state.sandbox = context
    return app
