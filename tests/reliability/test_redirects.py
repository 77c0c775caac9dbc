"""Redirects: an answer redirecting to another origin never carries a credential there.

Two loopback servers play the parts: a *redirector* that answers every request with a redirect
to the *recorder*, another origin (another port), which records whatever reaches it and answers
with a plausible body (a token, an empty file list) so that following would look like success.
(a) The client's own requests (token exchange with the client secret in the body, API calls with
the bearer token) are pointed at the redirector. (b) The sandbox's proxy is given the redirector
as its Stripe upstream (``create_app(stripe_url=...)``; the ``Sandbox`` class has no such hook).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from reliability_helpers import LoopbackServer, fast_policy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import APIStatusError
from airbyte_embedded_tools.sandbox import Sandbox, create_app

pytestmark = pytest.mark.reliability

REDIRECTS = (301, 302, 303, 307, 308)
SEED = 99
PLAUSIBLE = {
    "access_token": "recorded-origin-token",
    "token": "recorded-origin-token",
    "expires_in": 900,
    "files": [],
    "next_page_token": None,
    "object": "list",
    "data": [],
    "has_more": False,
}
"""What the other origin answers: a token, a file list, a Stripe list (following looks fine)."""
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """An origin that records every request it receives."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.seen.append(Seen(request.method, request.url.path, dict(request.headers), body))
        return JSONResponse(PLAUSIBLE)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=METHODS)])


class Redirector:
    """An origin that redirects every request to ``target`` (same path and query)."""

    def __init__(self) -> None:
        self.url = ""
        self.target = ""
        self.status = 307
        self.seen: list[Seen] = []

    async def handle(self, request: Request) -> Response:
        self.seen.append(
            Seen(request.method, request.url.path, dict(request.headers), await request.body())
        )
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(self.target + request.url.path + query, status_code=self.status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=METHODS)])


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[Redirector, Recorder]]:
    redirector, recorder = Redirector(), Recorder()
    with LoopbackServer(recorder.app()) as other, LoopbackServer(redirector.app()) as server:
        redirector.target = other.url
        redirector.url = server.url
        yield redirector, recorder


@pytest.fixture
def fresh_origins(origins: tuple[Redirector, Recorder]) -> tuple[Redirector, Recorder]:
    redirector, recorder = origins
    redirector.seen.clear()
    recorder.seen.clear()
    return redirector, recorder


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("follow", [False, True], ids=["plain-http", "follow-redirects-http"])
async def test_client_never_follows_a_redirect_with_its_secrets(
    fresh_origins: tuple[Redirector, Recorder], status: int, follow: bool
) -> None:
    redirector, recorder = fresh_origins
    redirector.status = status
    base_url = redirector.url
    secret, bearer = "sbx_secret_redirect-test-secret", "static-bearer-token-for-redirects"
    # Even a caller's http client that follows redirects must not carry our credentials away.
    async with httpx.AsyncClient(follow_redirects=follow) as http:
        credentials = AirbyteEmbeddedClient(
            client_id="cid", client_secret=secret, workspace_id="ws", base_url=base_url,
            http_client=http, retry_policy=fast_policy(max_retries=1),
        )  # fmt: skip
        with pytest.raises(APIStatusError) as exchange:
            await credentials.get_token()
        static = AirbyteEmbeddedClient(
            token=bearer, base_url=base_url, http_client=http, retry_policy=fast_policy(1)
        )
        with pytest.raises(APIStatusError) as listing:
            await static.list_files("source", "reports/")
        # The proxy's answers pass the upstream status through: a redirect is returned as is.
        proxied = await static.proxy_request("source", "GET", "https://api.stripe.com/v1/customers")
    assert {exchange.value.status_code, listing.value.status_code} == {status}
    assert proxied.status_code == status
    assert len(redirector.seen) == 3  # each call reached the redirector once, and stopped there
    assert recorder.seen == [], f"followed the redirect to another origin: {recorder.seen}"
    for text in (str(exchange.value), str(listing.value), proxied.text):
        assert secret not in text
        assert bearer not in text


@pytest.fixture(scope="module")
def redirected_proxy(origins: tuple[Redirector, Recorder]) -> Iterator[tuple[Sandbox, str]]:
    """A sandbox API whose Stripe upstream is the redirector; credentials of ``Sandbox(seed)``."""
    redirector, _ = origins
    app = create_app(seed=SEED, large_file_size=0, stripe_url=redirector.url)
    with LoopbackServer(app) as api:
        yield Sandbox(seed=SEED), api.url  # an unstarted Sandbox: the same seeded credentials


@pytest.mark.parametrize("status", REDIRECTS)
async def test_proxy_never_follows_an_upstream_redirect(
    fresh_origins: tuple[Redirector, Recorder],
    redirected_proxy: tuple[Sandbox, str],
    status: int,
) -> None:
    redirector, recorder = fresh_origins
    redirector.status = status
    seeded, api_url = redirected_proxy
    async with AirbyteEmbeddedClient(
        client_id=seeded.client_id, client_secret=seeded.client_secret,
        workspace_id=seeded.workspace_id, base_url=api_url, retry_policy=fast_policy(1),
    ) as client:  # fmt: skip
        token = (await client.get_token()).value.get_secret_value()
        response = await client.proxy_request(
            seeded.stripe_source_id,
            "POST",
            "https://api.stripe.com/v1/customers",
            json={"email": "redirect@example.com"},
        )
    assert response.status_code == status  # the upstream's redirect, passed back, not followed
    assert len(redirector.seen) == 1
    upstream = redirector.seen[0]
    assert upstream.headers["authorization"] == f"Bearer {seeded.stripe_secret_key}"
    assert token not in str(upstream.headers)  # the Airbyte token never goes upstream
    assert recorder.seen == [], f"the proxy followed the redirect: {recorder.seen}"
