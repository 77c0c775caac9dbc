"""``airbyte-embedded request``: one call to an API through the proxy; read-only by default."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from airbyte_embedded_tools._config import CONNECTOR_API_BASES
from airbyte_embedded_tools._models import ProxyResponse

from .exit_codes import CommandError, ExitCode
from .output import Output
from .settings import make_client

__all__ = ["check_host", "load_body", "merge_params", "resolve_url", "run_request"]

READ_METHODS = frozenset({"GET", "HEAD"})
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def resolve_url(url: str, connector: str) -> str:
    """A full connector URL as given, or a path joined to the connector's API base URL."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        return url
    base = CONNECTOR_API_BASES.get(connector)
    if base is None:
        known = ", ".join(sorted(CONNECTOR_API_BASES))
        raise CommandError(f"unknown connector {connector!r} (known: {known})")
    return f"{base.rstrip('/')}/{url.lstrip('/')}"


def check_host(url: str, allowed: frozenset[str]) -> None:
    """Refuse (exit 6, as for a write) a URL whose host is not one the client may reach."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return  # the client names what is wrong with it
    if host and host not in allowed:
        raise CommandError(
            f"host {host!r} is not allowed: only a connector's API host "
            f"({', '.join(sorted(allowed))})",
            ExitCode.PERMISSION,
        )


def load_body(raw: str | None) -> Any:
    """The JSON body of ``--body``: inline, ``@FILE`` or ``@-`` (stdin)."""
    if raw is None:
        return None
    if raw.startswith("@"):
        source = raw[1:]
        try:
            raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read the body from {source}: {exc.strerror}") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--body is not valid JSON: {exc.msg} at position {exc.pos}") from None


def merge_params(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]] | None:
    """``--param`` pairs as query parameters; a repeated key becomes a list (sent repeated)."""
    params: dict[str, str | list[str]] = {}
    for key, value in pairs:
        previous = params.get(key)
        if previous is None:
            params[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            params[key] = [previous, value]
    return params or None


def _body(response: ProxyResponse) -> Any:
    """The body parsed as JSON when it is JSON, else as text."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _print(response: ProxyResponse, out: Output) -> None:
    body = _body(response)
    if out.as_json:
        out.json(
            {
                "status_code": response.status_code,
                "method": response.method,
                "url": response.url,
                "request_id": response.request_id,
                "headers": dict(response.headers.items()),
                "body": body,
            }
        )
        return
    out.note(f"{response.status_code} {response.method} {response.url}")
    if body is None:
        return
    out.text(body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False))


async def run_request(args: argparse.Namespace, out: Output) -> int:
    """Send the request, print the upstream's answer; exit 5 when the upstream answered 4xx/5xx."""
    method: str = args.method
    if method not in METHODS:
        raise CommandError(f"unsupported HTTP method {method!r} (use one of {', '.join(METHODS)})")
    if method not in READ_METHODS and not args.allow_write:
        raise CommandError(
            f"{method} can change the customer's data; pass --allow-write to send it",
            ExitCode.PERMISSION,
        )
    url = resolve_url(args.url, args.connector)
    body = load_body(args.body)
    async with make_client(args) as client:
        check_host(url, client.allowed_hosts)
        response = await client.proxy_request(
            args.source_id,
            method,
            url,
            params=merge_params(args.params),
            headers=dict(args.headers) or None,
            json=body,
            retry_non_idempotent=False,
        )
    _print(response, out)
    response.raise_for_status()
    return ExitCode.OK
