"""Stripe's ``Idempotency-Key`` (https://docs.stripe.com/api/idempotent_requests), for the emulator.

As Stripe documents for API v1: a POST with a key has its first answer saved (status and body) once
the endpoint began executing, so a request that fails validation saves nothing and may be retried
with the same key; a retry with the same key gets the saved answer again, marked
``Idempotent-Replayed: true``; the same key with other parameters (or on another endpoint) is a 400
``idempotency_error``; keys are up to 255 characters and are pruned after 24 hours (then the key is
new again). Keys are scoped to the API key that sent them. GET and DELETE ignore keys (Stripe: "no
effect"). Which answers count as "executed": every 2xx of the emulator (its 4xx are all validation).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .stripe_store import StripeError

IDEMPOTENCY_TTL = 24 * 3600.0
"""Seconds a saved answer is replayed (Stripe prunes keys once they are at least 24 hours old)."""
MAX_KEY_LENGTH = 255
KEYED_METHOD = "POST"
"""The method whose key counts: Stripe's writes are POSTs, and it ignores keys on GET and DELETE."""


@dataclass(frozen=True)
class SavedAnswer:
    """The first answer to a keyed request, replayed for its retries."""

    endpoint: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str
    saved_at: float


def check_key(key: str) -> None:
    """Refuse a key longer than Stripe allows (400, ``param`` names the header)."""
    if len(key) > MAX_KEY_LENGTH:
        raise StripeError(
            400,
            f"Invalid Idempotency-Key: keys are at most {MAX_KEY_LENGTH} characters long, "
            f"this one has {len(key)}.",
            param="Idempotency-Key",
        )


def fingerprint(params: dict[str, Any]) -> str:
    """A digest of a request's parameters, independent of their order."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyCache:
    """Saved answers by (API key, idempotency key), oldest first, pruned after ``ttl`` seconds."""

    def __init__(
        self, *, ttl: float = IDEMPOTENCY_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._saved: OrderedDict[tuple[bytes, str], SavedAnswer] = OrderedDict()

    @staticmethod
    def _slot(api_key: str, key: str) -> tuple[bytes, str]:
        return hashlib.sha256(api_key.encode()).digest(), key

    def _prune(self) -> None:
        cutoff = self._clock() - self._ttl
        while self._saved:
            oldest = next(iter(self._saved.values()))
            if oldest.saved_at > cutoff:
                return
            self._saved.popitem(last=False)

    def lookup(
        self, api_key: str, key: str, endpoint: str, params: dict[str, Any]
    ) -> SavedAnswer | None:
        """The saved answer to replay, None for a new key; StripeError 400 if the key was first
        used for another endpoint or with other parameters."""
        with self._lock:
            self._prune()
            saved = self._saved.get(self._slot(api_key, key))
        if saved is None:
            return None
        retry = f"Try using a key other than '{key}' if you meant to execute a different request."
        if saved.endpoint != endpoint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{saved.endpoint}' vs '{endpoint}'). {retry}",
                type="idempotency_error",
            )
        if saved.fingerprint != fingerprint(params):
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. {retry}",
                type="idempotency_error",
            )
        return saved

    def save(
        self,
        api_key: str,
        key: str,
        endpoint: str,
        params: dict[str, Any],
        *,
        status: int,
        body: bytes,
        request_id: str,
    ) -> None:
        """Save the first answer to a keyed request."""
        answer = SavedAnswer(endpoint, fingerprint(params), status, body, request_id, self._clock())
        with self._lock:
            self._saved.setdefault(self._slot(api_key, key), answer)

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._saved)
