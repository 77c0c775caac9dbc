"""Retry policy: which failures are retried, how long to wait, and when to give up.

Exponential backoff with full jitter (base 0.5 s, cap 8 s), ``Retry-After`` honoured (seconds or
HTTP date, capped), bounded by ``max_retries`` and a total deadline. The sleep and the clock are
injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC

import httpx

from . import _config as config
from ._redact import logger

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "RetryState",
    "is_retryable_status",
    "parse_retry_after",
    "was_never_sent",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""Upstream methods a retry cannot duplicate the effect of (RFC 9110 §9.2.2)."""

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""Retryable besides every 5xx (the same set as the OpenAI and Anthropic SDKs)."""


def is_retryable_status(status_code: int) -> bool:
    """True for 408, 409, 429 and any 5xx."""
    return status_code in RETRYABLE_STATUSES or status_code >= 500


def was_never_sent(exc: httpx.TransportError) -> bool:
    """True when the request cannot have reached the server (connecting failed or no pool slot)."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no stated offset (RFC 5322 §3.3)
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries: attempts, backoff, Retry-After cap and total deadline."""

    max_retries: int = config.DEFAULT_MAX_RETRIES
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0
    deadline: float | None = config.DEFAULT_RETRY_DEADLINE
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("retry_deadline must be > 0 (or None for no deadline)")

    def backoff(self, retry_number: int) -> float:
        """Full-jitter backoff before retry ``retry_number`` (0-based): U(0, min(cap, base*2^n))."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0**retry_number))
        return self.jitter() * ceiling

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """The wait before a retry: the server's ``Retry-After`` (capped) if given, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self.backoff(retry_number)

    def start(self, *, expires_at: float | None = None) -> RetryState:
        """Begin one logical call (its retries share the attempt budget and the deadline).

        ``expires_at``: the call's wall-clock deadline (``time.monotonic()``), past which no
        attempt starts and no retry waits.
        """
        return RetryState(self, expires_at=expires_at)


class RetryState:
    """The retry budget of one logical call: attempts used and time left before the deadline.

    ``expires_at``: the call's total deadline on ``time.monotonic()`` (None: none).
    ``may_have_reached``: set by the request loop once an attempt may have reached the
    upstream (sent and then lost, or answered 5xx): a write's errors report it.
    """

    def __init__(self, policy: RetryPolicy, *, expires_at: float | None = None) -> None:
        self.policy = policy
        self.retries = 0
        self.expires_at = expires_at
        self.may_have_reached = False
        self._started = policy.clock()

    def remaining(self) -> float | None:
        """Seconds left before the call's total deadline (None: no deadline)."""
        return None if self.expires_at is None else self.expires_at - time.monotonic()

    def elapsed(self) -> float:
        return self.policy.clock() - self._started

    async def wait(self, reason: str, *, retry_after: float | None = None) -> bool:
        """Sleep before the next attempt and return True, or return False when out of budget.

        Out of budget means ``max_retries`` used up, or the wait would end past the deadline.
        """
        policy = self.policy
        if self.retries >= policy.max_retries:
            return False
        delay = policy.delay(self.retries, retry_after)
        if policy.deadline is not None and self.elapsed() + delay > policy.deadline:
            logger.info(
                "Not retrying (%s): the %.0f s retry deadline would pass", reason, policy.deadline
            )
            return False
        left = self.remaining()
        if left is not None and delay >= left:
            logger.info("Not retrying (%s): the call's total deadline would pass", reason)
            return False
        self.retries += 1
        logger.info(
            "Retrying in %.2f s (retry %d of %d): %s",
            delay,
            self.retries,
            policy.max_retries,
            reason,
        )
        await policy.sleep(delay)
        return True
