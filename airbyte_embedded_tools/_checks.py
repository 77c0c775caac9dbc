"""What the client refuses before anything is sent: bad settings and bad call arguments.

Settings raise ``ConfigurationError`` naming the parameter (never its value); call arguments
raise ``refuse(...)``'s ``InvalidRequestError``. (The upstream URL, header and method checks of
``proxy_request`` are the client's own.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from . import _config as config
from ._errors import ConfigurationError, InvalidRequestError
from ._redact import clip, redact
from ._refuse import refuse
from ._wire import credential_problem

__all__ = [
    "as_timeout",
    "check_base_url",
    "check_body",
    "check_credential",
    "check_credentials",
    "check_range",
    "secret",
    "unsendable",
]


def secret(value: str | SecretStr | None, name: str, *, in_header: bool) -> SecretStr | None:
    """``value`` as a ``SecretStr`` (None when empty), refused if it cannot be sent as is."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not raw:
        return None
    check_credential(raw, name, in_header=in_header)
    return value if isinstance(value, SecretStr) else SecretStr(raw)


def check_credential(value: str, name: str, *, in_header: bool) -> None:
    """``ConfigurationError`` naming the parameter (never the value) if it cannot be sent."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string")
    problem = credential_problem(value, in_header=in_header)
    if problem is not None:
        raise ConfigurationError(
            f"{name} contains {problem} and cannot be sent as is: remove it (a newline or "
            "a stray character copied with the value?)"
        )


def check_credentials(
    client_id: str | None,
    client_secret: SecretStr | None,
    token: SecretStr | None,
    workspace_id: str | None,
    workspace_name: str | None,
) -> None:
    """One way to authenticate, fully given: client credentials, or a ready-made token."""
    if workspace_id and workspace_name:
        raise ConfigurationError("Give workspace_id or workspace_name, not both")
    if token is not None:
        if client_id or client_secret is not None:
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
            ("client_secret", config.ENV_CLIENT_SECRET, client_secret),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"Missing {' and '.join(missing)}; or pass token= "
            f"(env {config.ENV_ACCESS_TOKEN}) with a ready-made access token"
        )


def check_base_url(base_url: str) -> str:
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


def as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """``value`` as an ``httpx.Timeout``; a number is the total, connecting capped at 10 s."""
    if isinstance(value, httpx.Timeout):
        return value
    total = config.DEFAULT_TIMEOUT if value is None else float(value)
    return httpx.Timeout(total, connect=min(config.DEFAULT_CONNECT_TIMEOUT, total))


def check_body(json: Any, data: Mapping[str, Any] | None) -> None:
    """A proxy request carries ``json=`` or a ``data=`` mapping, not both."""
    if json is not None and data is not None:
        raise refuse("give json= or data=, not both")
    if data is not None and not isinstance(data, Mapping):
        raise refuse("data= must be a mapping (the proxy form-encodes it)")


def check_range(start: int, end: int | None) -> None:
    """Byte offsets are >= 0 and ``end`` (inclusive) is not before ``start``."""
    if start < 0 or (end is not None and end < 0):
        raise refuse("byte offsets must be >= 0")
    if end is not None and end < start:
        raise refuse(f"end ({end}) is before start ({start})")


def unsendable(exc: Exception, where: str) -> InvalidRequestError:
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
    return refuse(redact(f"{problem} ({where})"))
