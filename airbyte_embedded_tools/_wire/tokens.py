"""The token requests we send and the answers we accept (application and scoped tokens)."""

from __future__ import annotations

import base64
import json as jsonlib
import re
import time
from typing import Any

import httpx
from pydantic import SecretStr

from airbyte_embedded_tools import config
from airbyte_embedded_tools.errors import AuthenticationError
from airbyte_embedded_tools.models import AccessToken

from .errors import json_object, request_id

__all__ = [
    "application_token_body",
    "credential_problem",
    "parse_token_response",
    "scoped_token_body",
]


def application_token_body(client_id: str, client_secret: str) -> dict[str, str]:
    """JSON body of the application-token request."""
    return {"client_id": client_id, "client_secret": client_secret}


def scoped_token_body(*, workspace_id: str | None, workspace_name: str | None) -> dict[str, str]:
    """JSON body of the scoped-token request.

    ASSUMPTION (Airbyte documents ``workspace_name``; some published schemas name the id field
    ``workspaceId``): we send whichever the caller configured.
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
    ``token`` with no expiry. ASSUMPTION (Airbyte states no lifetime for it): a token without
    ``expires_in`` lives until its JWT ``exp`` claim if it has one, else ``default_lifetime``
    (the caller passes the application token's: same issuer, same policy), else
    ``config.TOKEN_LIFETIME_ASSUMED``. A token that is not a valid header value is refused
    (``AuthenticationError``, naming the problem, never the value).
    """
    payload = json_object(response)
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
