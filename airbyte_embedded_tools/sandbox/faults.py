"""Fault injection: a configuration, a seeded decision per call, and the ASGI middleware.

On the wire: ``"429"`` answers 429 with ``Retry-After``; ``"503"`` answers 503; ``"drop"`` sends the
real status and headers (with ``Content-Length``), half of the body, then closes the connection
(clients see an incomplete body, httpx raises ``RemoteProtocolError``); ``"truncate"`` sends a
well-formed response whose ``Content-Length`` and body are cut to half of the real body;
``"5xx_after"`` lets the request run to its end, throws its answer away and answers 503.

429 and 503 refuse before anything runs. ``drop``, ``truncate`` and ``5xx_after`` let the request
run (a write is performed upstream) and lose its answer: the case a retry without an
idempotency key turns into a duplicate.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultName = Literal["429", "503", "drop", "truncate", "5xx_after"]
FAULT_NAMES: frozenset[str] = frozenset({"429", "503", "drop", "truncate", "5xx_after"})
TARGETS: frozenset[str] = frozenset({"proxy", "files", "tokens", "upstream"})
"""Endpoints faults can hit: the API proxy, the file endpoints, the token endpoints, and the
Stripe emulator itself (an upstream failure passed through by the proxy)."""


@dataclass(frozen=True)
class FaultConfig:
    """Which faults a sandbox injects, how often, and where; all rates are shares in [0, 1].

    ``schedule`` maps a 1-based call number (counting calls to the targeted endpoints) to the fault
    that call gets, whatever the rates say. ``seed`` makes the random draws repeatable.
    """

    latency: float = 0.0
    rate_429: float = 0.0
    retry_after: float = 1.0
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    rate_truncate: float = 0.0
    rate_5xx_after: float = 0.0
    """Share of calls performed and then answered 503 (their write happened, the caller can't
    tell); with ``rate_drop``, the "performed, then the answer lost" faults."""
    schedule: dict[int, str] = field(default_factory=dict)
    seed: int = 0
    targets: frozenset[str] = frozenset({"proxy", "files"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", frozenset(self.targets))
        object.__setattr__(self, "schedule", dict(self.schedule))
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must be >= 0 seconds")
        rates = (self.rate_429, self.rate_5xx, self.rate_drop, self.rate_truncate,
                 self.rate_5xx_after)  # fmt: skip
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must each be in [0, 1] and sum to at most 1")
        unknown = set(self.targets) - TARGETS
        if unknown:
            raise ValueError(
                f"unknown fault targets {sorted(unknown)}; choose from {sorted(TARGETS)}"
            )
        for call, name in self.schedule.items():
            if not isinstance(call, int) or call < 1:
                raise ValueError(f"schedule keys are 1-based call numbers, got {call!r}")
            if name not in FAULT_NAMES:
                raise ValueError(f"unknown fault {name!r}; choose from {sorted(FAULT_NAMES)}")

    @classmethod
    def of(cls, targets: Iterable[str] = ("proxy", "files"), **settings: float) -> FaultConfig:
        """Shorthand for tests and the CLI: ``FaultConfig.of(rate_429=0.5)``."""
        return cls(targets=frozenset(targets), **settings)  # type: ignore[arg-type]


class FaultInjector:
    """Counts calls to targeted endpoints and decides, deterministically, which fault each gets."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; restarts the call count and the seeded random draws."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)  # noqa: S311 - repeatable, not secret
            self.calls = 0

    def decide(self, target: str) -> tuple[float, FaultName | None]:
        """(latency to add, fault to inject or None) for one call to ``target``."""
        with self._lock:
            config = self.config
            if target not in config.targets:
                return 0.0, None
            self.calls += 1
            draw = self._rng.random()
            scheduled = config.schedule.get(self.calls)
        if scheduled is not None:
            return config.latency, scheduled  # type: ignore[return-value]
        threshold = 0.0
        for rate, name in (
            (config.rate_429, "429"),
            (config.rate_5xx, "503"),
            (config.rate_drop, "drop"),
            (config.rate_truncate, "truncate"),
            (config.rate_5xx_after, "5xx_after"),
        ):
            threshold += rate
            if draw < threshold:
                return config.latency, name  # type: ignore[return-value]
        return config.latency, None


ErrorBody = Callable[[int, str], bytes]
"""Builds the error body of an injected 429/503 (Airbyte's ``detail`` or Stripe's ``error``)."""


def airbyte_error_body(status: int, message: str) -> bytes:
    """An error body in the Airbyte API's shape."""
    return json.dumps({"detail": message}).encode()


class CutShort(Exception):
    """Raised into the wrapped app to stop it once a cut-short body has been sent (not an error)."""


class FaultMiddleware:
    """ASGI middleware injecting the injector's faults into the requests whose target it names."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        classify: Callable[[str], str | None],
        error_body: ErrorBody = airbyte_error_body,
    ) -> None:
        self.app = app
        self.injector = injector
        self.classify = classify
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = self.classify(scope["path"])
        latency, fault = self.injector.decide(target) if target else (0.0, None)
        if latency:
            await asyncio.sleep(latency)
        if fault in ("429", "503"):
            await self._error(send, 429 if fault == "429" else 503)
        elif fault in ("drop", "truncate"):
            await self._cut(scope, receive, send, drop=fault == "drop")
        elif fault == "5xx_after":
            await self._answer_lost(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _error(self, send: Send, status: int) -> None:
        if status == 429:
            message = "rate limited (injected fault): retry after the Retry-After delay"
        else:
            message = "service unavailable (injected fault): try again"
        body = self.error_body(status, message)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if status == 429:
            retry_after = self.injector.config.retry_after
            text = str(int(retry_after)) if retry_after == int(retry_after) else str(retry_after)
            headers.append((b"retry-after", text.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _answer_lost(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app to its end, discard what it answers, and answer 503 instead."""

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        await self._error(send, 503)

    async def _cut(self, scope: Scope, receive: Receive, send: Send, *, drop: bool) -> None:
        """Run the app but deliver half of its body: dropped (connection closed) or truncated."""
        limit = 0
        sent = 0

        async def cutting_send(message: Message) -> None:
            nonlocal limit, sent
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                length = next((int(v) for k, v in headers if k.lower() == b"content-length"), None)
                limit = (length or 0) // 2
                if not drop:
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    headers.append((b"content-length", b"%d" % limit))
                await send({**message, "headers": headers})
                if limit == 0:
                    await send({"type": "http.response.body", "body": b"", "more_body": drop})
                    raise CutShort
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunk = bytes(message.get("body", b""))[: limit - sent]
            sent += len(chunk)
            if sent >= limit:
                # Truncate ends the response cleanly; drop leaves it open and the server closes
                # the connection when the app returns without finishing the body.
                await send({"type": "http.response.body", "body": chunk, "more_body": drop})
                raise CutShort
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        try:
            await self.app(scope, receive, cutting_send)
        except Exception as exc:
            if not _only_cuts(exc):
                raise


def _only_cuts(exc: BaseException) -> bool:
    """True if ``exc`` is a CutShort, possibly inside (nested) exception groups of a task group."""
    if isinstance(exc, CutShort):
        return True
    inner: tuple[BaseException, ...] = getattr(exc, "exceptions", ())
    return bool(inner) and all(_only_cuts(e) for e in inner)
