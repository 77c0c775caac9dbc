"""The client against the sandbox over real HTTP: tokens, scope, proxy errors, envelopes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    UpstreamError,
)
from airbyte_embedded_tools.sandbox import Sandbox

CUSTOMERS = "https://api.stripe.com/v1/customers"
INVOICES = "https://api.stripe.com/v1/invoices"


def make(sb: Sandbox, **kwargs: Any) -> AirbyteEmbeddedClient:
    if "token" not in kwargs:
        kwargs.setdefault("client_id", sb.client_id)
        kwargs.setdefault("client_secret", sb.client_secret)
    return AirbyteEmbeddedClient(base_url=sb.base_url, **kwargs)


class StatusLog:
    """An ``httpx.AsyncClient`` recording the status of every response it receives."""

    def __init__(self) -> None:
        self.statuses: list[tuple[str, int]] = []
        self.http = httpx.AsyncClient(event_hooks={"response": [self._hook]})

    async def _hook(self, response: httpx.Response) -> None:
        self.statuses.append((response.request.url.path, response.status_code))


@pytest.fixture(scope="module")
def short_lived() -> Iterator[Sandbox]:
    """A sandbox of this module whose tokens live 2 s (and that tests may expire at will)."""
    with Sandbox(token_lifetime=2.0, large_file_size=0) as sb:
        yield sb


# --- tokens -------------------------------------------------------------------------------------


async def test_tokens_are_cached(sandbox: Sandbox) -> None:
    before = sandbox.token_requests
    async with make(sandbox, workspace_id=sandbox.workspace_id) as client:
        for _ in range(5):
            await client.list_files(sandbox.file_source_id, "contracts/")
        token = await client.get_token()
    assert sandbox.token_requests - before == 2  # one application + one scoped token
    assert token.kind == "scoped"
    assert token.expires_in() > 800


@pytest.mark.parametrize(("scoped", "exchanges"), [(False, 1), (True, 2)])
async def test_100_concurrent_calls_on_a_cold_client_exchange_once(
    sandbox: Sandbox, scoped: bool, exchanges: int
) -> None:
    workspace = {"workspace_id": sandbox.workspace_id} if scoped else {}
    before = sandbox.token_requests
    async with make(sandbox, **workspace) as client:
        results = await asyncio.gather(
            *(
                client.proxy_request(
                    sandbox.stripe_source_id, "GET", CUSTOMERS, params={"limit": 1}
                )
                for _ in range(100)
            )
        )
    assert {r.status_code for r in results} == {200}
    assert sandbox.token_requests - before == exchanges


async def test_token_is_refreshed_before_it_expires(short_lived: Sandbox) -> None:
    log = StatusLog()
    before = short_lived.token_requests
    async with make(short_lived, http_client=log.http) as client:
        await client.list_files(short_lived.file_source_id)
        first = await client.get_token()
        await asyncio.sleep(1.2)  # past the refresh point (half of 2 s), before the expiry
        await client.list_files(short_lived.file_source_id)
        second = await client.get_token()
    await log.http.aclose()
    assert first.value.get_secret_value() != second.value.get_secret_value()
    assert short_lived.token_requests - before == 2
    assert all(status != 401 for _, status in log.statuses)


async def test_a_scoped_token_is_assumed_to_live_20_minutes(short_lived: Sandbox) -> None:
    """Its answer states no lifetime: the documented 20 minutes, not the application token's."""
    before = short_lived.token_requests
    async with make(short_lived, workspace_id=short_lived.workspace_id) as client:
        await client.list_files(short_lived.file_source_id)
        first = await client.get_token()
        await asyncio.sleep(1.2)  # past the application token's refresh point
        await client.list_files(short_lived.file_source_id)
        second = await client.get_token()
    assert first.value.get_secret_value() == second.value.get_secret_value()
    assert first.kind == "scoped"
    assert 1100 < second.expires_in() <= 1200
    assert short_lived.token_requests - before == 2


@pytest.mark.parametrize(("scoped", "exchanges"), [(False, 1), (True, 2)])
async def test_401_refreshes_and_replays(
    short_lived: Sandbox, scoped: bool, exchanges: int
) -> None:
    log = StatusLog()
    workspace = {"workspace_id": short_lived.workspace_id} if scoped else {}
    async with make(short_lived, http_client=log.http, **workspace) as client:
        await client.get_token()
        short_lived.expire_tokens()
        short_lived.reset_log()
        before = short_lived.token_requests
        response = await client.proxy_request(
            short_lived.stripe_source_id, "POST", CUSTOMERS, data={"email": "replay@example.com"}
        )
    await log.http.aclose()
    assert response.status_code == 200
    assert short_lived.token_requests - before == exchanges
    proxy_statuses = [s for path, s in log.statuses if path.endswith("/request")]
    assert proxy_statuses == [401, 200]
    created = [
        r for r in short_lived.upstream_requests if r.method == "POST" and "replay" in r.body
    ]
    assert len(created) == 1  # the proxy refused the first try before reaching Stripe


async def test_a_ready_made_token_is_used_and_its_401_is_final(short_lived: Sandbox) -> None:
    async with make(short_lived, workspace_id=short_lived.workspace_id) as minting:
        value = (await minting.get_token()).value.get_secret_value()
    async with make(short_lived, token=value) as client:
        assert len(await client.list_files(short_lived.file_source_id)) > 0
        short_lived.expire_tokens()
        with pytest.raises(AuthenticationError, match="cannot be refreshed") as info:
            await client.list_files(short_lived.file_source_id)
    assert value not in str(info.value)


async def test_bad_credentials_are_an_authentication_error(sandbox: Sandbox) -> None:
    async with make(sandbox, client_secret="wrong-secret-value") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.list_files(sandbox.file_source_id)
    assert info.value.status_code == 401
    assert "wrong-secret-value" not in str(info.value)


async def test_scoped_token_by_workspace_name(sandbox: Sandbox) -> None:
    async with make(sandbox, workspace_name=sandbox.workspace_name) as client:
        assert (await client.get_token()).kind == "scoped"
        assert await client.list_files(sandbox.file_source_id, "contracts/")


async def test_unknown_or_foreign_workspace_cannot_be_scoped(sandbox: Sandbox) -> None:
    async with make(sandbox, workspace_id="ws-does-not-exist") as client:
        with pytest.raises(NotFoundError):
            await client.get_token()
    other = sandbox.other_workspace
    async with make(sandbox, workspace_id=other.workspace_id) as client:
        with pytest.raises(PermissionDeniedError):
            await client.get_token()


# --- scope and proxy errors ---------------------------------------------------------------------


async def test_workspace_isolation(sandbox: Sandbox) -> None:
    other = sandbox.other_workspace
    async with make(sandbox, workspace_id=sandbox.workspace_id) as client:
        # another workspace's source answers like an unknown one (no existence oracle)
        with pytest.raises(NotFoundError) as info:
            await client.proxy_request(other.stripe_source_id, "GET", INVOICES)
        assert info.value.status_code == 404
        with pytest.raises(NotFoundError):
            await client.list_files(other.file_source_id)
        with pytest.raises(NotFoundError):
            await client.read_file(other.file_source_id, "README.md")
    async with make(
        sandbox, client_id=other.client_id, client_secret=other.client_secret
    ) as client:
        with pytest.raises(NotFoundError):
            await client.proxy_request(sandbox.stripe_source_id, "GET", INVOICES)


async def test_stripe_404_is_a_response_unknown_source_an_error(sandbox: Sandbox) -> None:
    async with make(sandbox, workspace_id=sandbox.workspace_id) as client:
        response = await client.proxy_request(
            sandbox.stripe_source_id, "GET", INVOICES + "/in_nope"
        )
        assert response.status_code == 404
        with pytest.raises(UpstreamError) as info:
            response.raise_for_status()
        assert info.value.upstream_status == 404
        assert info.value.upstream_body["error"]["code"] == "resource_missing"
        with pytest.raises(NotFoundError) as not_found:
            await client.proxy_request("src_unknown", "GET", INVOICES)
        assert "src_unknown" in str(not_found.value)
        with pytest.raises(InvalidRequestError):  # a file source used as an API source
            await client.proxy_request(sandbox.file_source_id, "GET", INVOICES)


async def test_a_post_is_form_encoded_upstream_and_the_key_never_leaks(sandbox: Sandbox) -> None:
    async with make(sandbox, workspace_id=sandbox.workspace_id) as client:
        before = len(sandbox.upstream_requests)
        response = await client.proxy_request(
            sandbox.stripe_source_id,
            "POST",
            CUSTOMERS,
            data={"email": "ada@example.com", "metadata": {"tier": "gold"}},
            headers={"Idempotency-Key": "ik-1"},
        )
    assert response.status_code == 200
    customer = response.json()
    assert customer["email"] == "ada@example.com"
    assert customer["metadata"] == {"tier": "gold"}
    record = sandbox.upstream_requests[before]
    assert record.method == "POST"
    assert "metadata%5Btier%5D=gold" in record.body or "metadata[tier]=gold" in record.body
    assert sandbox.stripe_secret_key not in response.text + str(response.headers)


async def test_a_foreign_host_is_refused_before_it_reaches_the_proxy(sandbox: Sandbox) -> None:
    async with make(sandbox, workspace_id=sandbox.workspace_id) as client:
        before = len(sandbox.upstream_requests)
        with pytest.raises(InvalidRequestError, match="not a connector API host"):
            await client.proxy_request(sandbox.stripe_source_id, "GET", "https://evil.example/x")
    assert len(sandbox.upstream_requests) == before


async def test_a_host_allowed_by_the_client_is_still_refused_by_the_proxy(sandbox: Sandbox) -> None:
    async with make(sandbox, allowed_hosts=["api.example.com"]) as client:
        with pytest.raises(PermissionDeniedError, match=r"api\.example\.com"):
            await client.proxy_request(sandbox.stripe_source_id, "GET", "https://api.example.com/x")


# --- envelopes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("envelope", ["response_body", "body"])
async def test_envelopes_unwrap_to_the_same_response(sandbox: Sandbox, envelope: Any) -> None:
    async with make(sandbox) as plain:
        expected = await plain.proxy_request(
            sandbox.stripe_source_id, "GET", INVOICES, params={"limit": 3}
        )
    with Sandbox(envelope=envelope, large_file_size=0) as sb:
        async with make(sb) as client:
            got = await client.proxy_request(
                sb.stripe_source_id, "GET", INVOICES, params={"limit": 3}
            )
            missing = await client.proxy_request(sb.stripe_source_id, "GET", INVOICES + "/in_nope")
            with pytest.raises(NotFoundError):
                await client.proxy_request("src_unknown", "GET", INVOICES)
    assert got.status_code == 200
    assert [i["id"] for i in got.json()["data"]] == [i["id"] for i in expected.json()["data"]]
    assert got.headers["content-type"].startswith("application/json")
    assert missing.status_code == 404
    with pytest.raises(UpstreamError, match="No such invoice"):
        missing.raise_for_status()
