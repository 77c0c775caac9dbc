"""The token requests we send and the answers we accept (application and scoped tokens)."""

from __future__ import annotations

import base64
import json as jsonlib
import re
import time
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from airbyte_embedded_tools._errors import AuthenticationError
from airbyte_embedded_tools._models import AccessToken

from .errors import json_object, request_id
from .paths import LEGACY_SCOPED_TOKEN_PATH, SCOPED_TOKEN_PATH

__all__ = [
    "Generation",
    "application_token_body",
    "credential_problem",
    "lacks_current_generation",
    "parse_token_response",
    "scoped_token_request",
]


def application_token_body(client_id: str, client_secret: str) -> dict[str, str]:
    """JSON body of the application-token request."""
    return {"client_id": client_id, "client_secret": client_secret}


Generation = Literal["current", "legacy"]
"""Which generation of the scoped-token endpoint a deployment serves."""


def scoped_token_request(
    generation: Generation, *, workspace_id: str | None, workspace_name: str | None
) -> tuple[str, dict[str, str]]:
    """Path and JSON body of the scoped-token request for one workspace.

    A name goes to the generation's endpoint as ``workspace_name``. ASSUMPTION (the current
    endpoint documents only ``workspace_name``, the older one also ``workspace_id``): an id
    always goes to the older endpoint as ``workspace_id``.
    """
    if workspace_name is not None:
        path = SCOPED_TOKEN_PATH if generation == "current" else LEGACY_SCOPED_TOKEN_PATH
        return path, {"workspace_name": workspace_name}
    if workspace_id is not None:
        return LEGACY_SCOPED_TOKEN_PATH, {"workspace_id": workspace_id}
    raise ValueError("a scoped token needs a workspace id or name")


def lacks_current_generation(path: str, response: httpx.Response) -> bool:
    """True when a deployment answered 404 to the current scoped-token endpoint.

    ASSUMPTION (the current endpoint creates a workspace for an unknown name, so it never
    answers 404 for one): such a deployment serves only the older endpoint.
    """
    return path == SCOPED_TOKEN_PATH and response.status_code == 404


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
    response: httpx.Response, *, kind: str, default_lifetime: float
) -> tuple[AccessToken, float]:
    """The token in a successful token response, and its lifetime in seconds.

    The application token comes as ``access_token`` with ``expires_in``; the scoped token as
    ``token`` (or ``access_token``: one older page shows it) with no expiry. A token without
    ``expires_in`` lives until its JWT ``exp`` claim if it has one, else ``default_lifetime``:
    Airbyte documents 15 minutes for the application token and 20 for a scoped one. A token
    that is not a valid header value is refused (``AuthenticationError``, naming the problem,
    never the value).
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
        lifetime = default_lifetime
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
