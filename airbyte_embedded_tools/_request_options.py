"""``RequestOptions``: how one logical call to Airbyte's API is sent and judged.

``AirbyteEmbeddedClient._request(method, path, options)`` takes one of these instead of a
list of keyword arguments. New per-call settings (an idempotency key, a wall-clock deadline for
the whole call, a cap on the answer's size) belong here as fields with a default, so that no
call site changes; a new way of judging an answer is an ``Answers`` (``_wire.answers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._wire.answers import PLAIN, Answers

__all__ = ["RequestOptions"]


@dataclass(frozen=True, slots=True, eq=False)
class RequestOptions:
    """The settings of one logical call (its retries share them).

    ``params``, ``json``, ``headers``: what is sent (the client adds its own headers and the
    bearer token). ``timeout``: per attempt, None for the client's. ``authenticated``: add the
    bearer token and refresh it on a 401 (False for the token requests themselves).
    ``resend_safe``: False limits retries to failures that cannot have reached the upstream.
    ``answers``: which answers are errors of Airbyte's API and which successes are unusable.
    ``stream``: hand back a successful response unread (the caller closes it). ``raw``: the
    body's bytes as sent (a file's, as stored), asked for uncompressed and never inflated.
    ``max_bytes``: the largest answer read (``ResponseTooLargeError`` past it), None for the
    client's ``max_response_bytes``. ``total_timeout``: seconds the whole call may take,
    retries and the token exchange included, None for the client's.
    """

    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    timeout: float | httpx.Timeout | None = None
    authenticated: bool = True
    resend_safe: bool = True
    answers: Answers = PLAIN
    stream: bool = False
    raw: bool = False
    max_bytes: int | None = None
    total_timeout: float | None = None
