"""The baseline: the same work done with nothing but ``httpx.AsyncClient`` and the wire format."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bench.context import Conn

STRIPE_API = "https://api.stripe.com"
TOKEN_PATH = "/api/v1/account/applications/token"


def auth(token: str) -> dict[str, str]:
    """The bearer header every proxy call carries."""
    return {"Authorization": f"Bearer {token}"}


async def fetch_token(http: httpx.AsyncClient, conn: Conn) -> str:
    """One application-token exchange (the only token request a raw run makes)."""
    resp = await http.post(
        conn.base_url + TOKEN_PATH,
        json={"client_id": conn.client_id, "client_secret": conn.client_secret},
    )
    resp.raise_for_status()
    token: str = resp.json()["access_token"]
    return token


def stripe_url(path: str, params: dict[str, Any] | None = None) -> str:
    """A full Stripe URL, query string included, as the proxy's request body wants it."""
    query = f"?{urlencode(params)}" if params else ""
    return f"{STRIPE_API}{path}{query}"


async def proxy(
    http: httpx.AsyncClient, conn: Conn, token: str, method: str, url: str
) -> httpx.Response:
    """``POST /api/v1/sonar/apis/{id}/request``: the upstream response passes through."""
    return await http.post(
        f"{conn.base_url}/api/v1/sonar/apis/{conn.stripe_source_id}/request",
        json={"method": method, "url": url},
        headers=auth(token),
    )


def file_url(conn: Conn, path: str) -> str:
    """``GET /api/v1/sonar/files/{id}/get/{path}``."""
    return f"{conn.base_url}/api/v1/sonar/files/{conn.file_source_id}/get/{quote(path)}"


async def list_files(http: httpx.AsyncClient, conn: Conn, token: str, prefix: str) -> list[str]:
    """Every path under ``prefix``, following ``next_page_token``."""
    url = f"{conn.base_url}/api/v1/sonar/files/{conn.file_source_id}/list/{quote(prefix)}"
    paths: list[str] = []
    params: dict[str, str] = {}
    while True:
        resp = await http.get(url, params=params, headers=auth(token))
        resp.raise_for_status()
        body = resp.json()
        paths.extend(entry["path"] for entry in body["files"])
        if not body.get("next_page_token"):
            return paths
        params = {"page_token": body["next_page_token"]}
