"""Retries against the sandbox's injected faults, and secrets kept out of logs, reprs and errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import (
    AirbyteEmbeddedError,
    AuthenticationError,
    RateLimitError,
)
from airbyte_embedded_tools._retry import RetryPolicy
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

CUSTOMERS = "https://api.stripe.com/v1/customers"
INVOICES = "https://api.stripe.com/v1/invoices"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """This module's sandbox: tests set its faults (reset after each) and expire its tokens."""
    with Sandbox(large_file_size=64 * 1024) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _no_faults_after(sb: Sandbox) -> Iterator[None]:
    yield
    sb.set_faults(None)


def make(sb: Sandbox, **kwargs: Any) -> AirbyteEmbeddedClient:
    kwargs.setdefault(
        "retry_policy", RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.05)
    )
    kwargs.setdefault("client_secret", sb.client_secret)
    return AirbyteEmbeddedClient(
        sb.client_id, workspace_id=sb.workspace_id, base_url=sb.base_url, **kwargs
    )


def posts(sb: Sandbox, marker: str) -> int:
    return sum(1 for r in sb.upstream_requests if r.method == "POST" and marker in r.body)


async def test_proxy_429_waits_for_retry_after(sb: Sandbox) -> None:
    async with make(sb) as client:
        await client.get_token()
        sb.set_faults(
            FaultConfig(schedule={1: "429"}, retry_after=0.3, targets=frozenset({"proxy"}))
        )
        started = time.monotonic()
        response = await client.proxy_request(sb.stripe_source_id, "GET", INVOICES)
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert sb.fault_calls == 2
    assert waited >= 0.3


async def test_proxy_429_until_the_retries_run_out(sb: Sandbox) -> None:
    sb.set_faults(FaultConfig(rate_429=1.0, retry_after=0.0, targets=frozenset({"proxy"})))
    async with make(sb) as client:
        with pytest.raises(RateLimitError) as info:
            await client.proxy_request(sb.stripe_source_id, "GET", INVOICES)
    assert info.value.retry_after == 0.0
    assert sb.fault_calls == 4  # one try and three retries


@pytest.mark.parametrize("fault", ["503", "drop", "truncate"])
async def test_a_get_is_retried_through_proxy_faults(sb: Sandbox, fault: str) -> None:
    sb.set_faults(FaultConfig(schedule={1: fault, 2: fault}, targets=frozenset({"proxy"})))
    async with make(sb) as client:
        response = await client.proxy_request(
            sb.stripe_source_id, "GET", INVOICES, params={"limit": 5}
        )
    assert response.status_code == 200
    assert len(response.json()["data"]) == 5
    assert sb.fault_calls == 3


async def test_a_post_whose_answer_was_lost_is_resent_with_its_key_and_done_once(
    sb: Sandbox,
) -> None:
    async with make(sb) as client:
        await client.get_token()
        sb.set_faults(FaultConfig(schedule={1: "drop"}, targets=frozenset({"proxy"})))
        answer = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"email": "lost@example.com"}
        )
    assert answer.status_code == 200
    assert answer.headers["idempotent-replayed"] == "true"
    assert posts(sb, "lost%40example.com") == 2  # sent twice, with one key...
    created = [c for c in sb.created_objects() if c.get("email") == "lost@example.com"]
    assert len(created) == 1  # ...created once


async def test_upstream_503_retried_for_get_and_keyed_post(sb: Sandbox) -> None:
    sb.set_faults(FaultConfig(schedule={1: "503"}, targets=frozenset({"upstream"})))
    async with make(sb) as client:
        got = await client.proxy_request(sb.stripe_source_id, "GET", INVOICES)
        sb.set_faults(FaultConfig(schedule={1: "503"}, targets=frozenset({"upstream"})))
        posted = await client.proxy_request(
            sb.stripe_source_id, "POST", CUSTOMERS, data={"email": "once@example.com"}
        )
        sb.set_faults(FaultConfig(schedule={1: "503"}, targets=frozenset({"upstream"})))
        retried = await client.proxy_request(
            sb.stripe_source_id,
            "POST",
            CUSTOMERS,
            data={"email": "twice@example.com"},
            headers={"Idempotency-Key": "ik-twice"},
            retry_non_idempotent=True,
        )
    assert got.status_code == 200
    assert posted.status_code == 200  # a keyed POST is retried like a read
    assert retried.status_code == 200


async def test_secrets_stay_out_of_logs_reprs_and_errors(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    tokens: list[str] = []
    sb.set_faults(
        FaultConfig(schedule={1: "503", 3: "429"}, retry_after=0.0, targets=frozenset({"proxy"}))
    )
    async with make(sb) as client:
        token = await client.get_token()
        tokens.append(token.value.get_secret_value())
        texts += [repr(client), repr(token), str(token)]
        ok = await client.proxy_request(sb.stripe_source_id, "GET", INVOICES, params={"limit": 2})
        texts += [repr(ok), ok.text, str(ok.headers)]
        missing = await client.proxy_request(sb.stripe_source_id, "GET", INVOICES + "/in_x")
        try:
            missing.raise_for_status()
        except AirbyteEmbeddedError as exc:
            texts += [str(exc), repr(exc)]
        sb.expire_tokens()
        content = await client.read_file(sb.file_source_id, "README.md")
        texts.append(repr(content))
        tokens.append((await client.get_token()).value.get_secret_value())
        for call in (
            client.proxy_request(sb.other_workspace.stripe_source_id, "GET", INVOICES),
            client.proxy_request(sb.stripe_source_id, "GET", "https://evil.example/x"),
        ):
            try:
                await call
            except AirbyteEmbeddedError as exc:
                texts += [str(exc), repr(exc)]
    async with make(sb, client_secret="wrong-" + sb.client_secret) as bad:
        with pytest.raises(AuthenticationError) as info:
            await bad.get_token()
        texts += [str(info.value), repr(info.value), repr(bad)]
    static = AirbyteEmbeddedClient(token=tokens[-1], base_url=sb.base_url)
    texts.append(repr(static))
    await static.aclose()
    everything = caplog.text + "\n".join(texts)
    assert "Retrying" in caplog.text  # the retries were logged...
    assert "/api/v1/sonar/apis/" in caplog.text  # ...and so were the requests
    for secret in (sb.client_secret, sb.stripe_secret_key, *tokens):
        assert secret not in everything
