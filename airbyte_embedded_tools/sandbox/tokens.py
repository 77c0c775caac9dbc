"""The token endpoints (application and scoped tokens) and the bearer check every endpoint uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .context import SandboxContext
from .responses import ApiError, json_object, optional_string, required_string
from .state import Forbidden, NotFound, Token, Unauthorized

Handler = Callable[[Request], Awaitable[Response]]


def authenticate(context: SandboxContext, request: Request) -> Token:
    """The request's live bearer token; ApiError 401 otherwise."""
    try:
        return context.state.authenticate(request.headers.get("authorization"))
    except Unauthorized as exc:
        raise ApiError(401, str(exc), {"www-authenticate": "Bearer"}) from None


def _lifetime(context: SandboxContext) -> int | float:
    lifetime = context.state.token_lifetime
    return int(lifetime) if lifetime == int(lifetime) else lifetime


def token_endpoints(context: SandboxContext) -> tuple[Handler, Handler]:
    """(application-token handler, scoped-token handler) bound to a context."""

    async def application_token(request: Request) -> JSONResponse:
        context.state.count_token_request()
        body = await json_object(request)
        client_id = required_string(body, "client_id")
        client_secret = required_string(body, "client_secret")
        try:
            token = context.state.issue_application_token(client_id, client_secret)
        except Unauthorized as exc:
            raise ApiError(401, str(exc)) from None
        return JSONResponse(
            {"access_token": token.value, "token_type": "Bearer", "expires_in": _lifetime(context)}
        )

    async def scoped_token(request: Request) -> JSONResponse:
        context.state.count_token_request()
        token = authenticate(context, request)
        organization = request.headers.get("x-organization-id")
        if organization is not None and organization != token.organization_id:
            raise ApiError(403, "X-Organization-Id does not match the token's organization")
        body = await json_object(request)
        workspace_id = optional_string(body, "workspaceId") or optional_string(body, "workspace_id")
        workspace_name = optional_string(body, "workspace_name")
        optional_string(body, "region_id")
        if not workspace_id and not workspace_name:
            raise ApiError(422, "field 'workspace_name' or 'workspaceId' is required")
        try:
            scoped = context.state.issue_scoped_token(
                token, workspace_id=workspace_id, workspace_name=workspace_name
            )
        except NotFound as exc:
            raise ApiError(404, str(exc)) from None
        except Forbidden as exc:
            raise ApiError(403, str(exc)) from None
        return JSONResponse({"token": scoped.value})

    return application_token, scoped_token
