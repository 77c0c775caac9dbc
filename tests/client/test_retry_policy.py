"""Unit tests of retry.py (backoff, Retry-After, budget, deadline) and _redact.py."""

from __future__ import annotations

import email.utils
import logging
import time

import httpx
import pytest

from airbyte_embedded_tools._redact import RedactingFilter, redact, register_secret
from airbyte_embedded_tools._retry import (
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
    was_never_sent,
)


def test_retryable_statuses() -> None:
    assert [
        s for s in (200, 400, 401, 404, 408, 409, 416, 429, 500, 502, 503) if is_retryable_status(s)
    ] == [
        408,
        409,
        429,
        500,
        502,
        503,
    ]


def test_never_sent_is_only_for_connect_and_pool_failures() -> None:
    assert was_never_sent(httpx.ConnectError("refused"))
    assert was_never_sent(httpx.ConnectTimeout("slow"))
    assert was_never_sent(httpx.PoolTimeout("full"))
    assert not was_never_sent(httpx.ReadTimeout("slow"))
    assert not was_never_sent(httpx.RemoteProtocolError("closed"))


def test_retry_after_seconds_ms_and_http_date() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after({"retry-after": date}, now=now) or 0) <= 30
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_full_jitter_backoff_is_bounded_by_the_exponential_cap() -> None:
    policy = RetryPolicy(jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert RetryPolicy(jitter=lambda: 0.25).backoff(2) == 0.5
    assert policy.delay(0, retry_after=5.0) == 5.0
    assert policy.delay(0, retry_after=3600.0) == 60.0  # Retry-After capped


async def test_state_stops_after_max_retries() -> None:
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    state = RetryPolicy(max_retries=2, sleep=sleep, jitter=lambda: 1.0).start()
    assert await state.wait("a")
    assert await state.wait("b")
    assert not await state.wait("c")
    assert sleeps == [0.5, 1.0]


async def test_state_refuses_a_wait_that_would_pass_the_deadline() -> None:
    clock = [100.0]

    async def sleep(s: float) -> None:
        clock[0] += s

    policy = RetryPolicy(max_retries=10, deadline=5.0, sleep=sleep, clock=lambda: clock[0])
    state = policy.start()
    assert await state.wait("x", retry_after=4.0)
    assert not await state.wait("y", retry_after=2.0)  # 4 + 2 > 5
    assert clock[0] == 104.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)


def test_redact_masks_known_and_secret_looking_values() -> None:
    register_secret("s3cr3t-registered-value")
    text = (
        "Authorization: Bearer abc.def-ghi key=sk_live_ABCdef123 "
        '{"client_secret": "plain", "access_token":"tkn"} s3cr3t-registered-value '
        "page_token=keepme eyJhbGciOi.eyJzdWIiOiIx.sig"
    )
    out = redact(text)
    for secret in (
        "abc.def-ghi",
        "sk_live_ABCdef123",
        '"plain"',
        "tkn",
        "s3cr3t-registered",
        "eyJzdWIi",
    ):
        assert secret not in out
    assert "page_token=keepme" in out
    prose = "The bearer token was rejected; a Bearer credential is needed"
    assert redact(prose) == prose


def test_filter_redacts_message_args_and_traceback() -> None:
    record = logging.LogRecord(
        "airbyte_embedded_tools", logging.INFO, __file__, 1, "token %s", ("Bearer zzz111",), None
    )
    try:
        raise RuntimeError("boom sk_test_123456789")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert "zzz111" not in record.getMessage()
    assert record.exc_text is not None
    assert "sk_test_123456789" not in record.exc_text
