"""What the Airbyte API app's handlers share: tenants, the file store, faults, settings and logs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from .faults import FaultInjector
from .file_store import FileStore
from .state import SandboxState
from .upstream import UpstreamClient

Envelope = Literal["response_body", "body"]
ENVELOPES: tuple[str, ...] = ("response_body", "body")


@dataclass(frozen=True)
class UpstreamRecord:
    """One request the proxy sent upstream; the injected secret key is masked in ``headers``."""

    method: str
    host: str
    path: str
    query: str
    headers: dict[str, str]
    body: str


@dataclass
class SandboxContext:
    """Shared by every handler; ``upstream_base`` None means "the Stripe mount of this server"."""

    state: SandboxState
    files: FileStore
    injector: FaultInjector
    envelope: Envelope | None = None
    upstream_base: str | None = None
    http: UpstreamClient | None = None
    _log: list[UpstreamRecord] = field(default_factory=list)
    _log_lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: UpstreamRecord) -> None:
        """Append to the upstream request log."""
        with self._log_lock:
            self._log.append(entry)

    def upstream_log(self) -> list[UpstreamRecord]:
        """A copy of the upstream request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget the upstream requests logged so far."""
        with self._log_lock:
            self._log.clear()


def check_envelope(envelope: str | None) -> Envelope | None:
    """Validate an envelope setting (None for pass-through)."""
    if envelope is not None and envelope not in ENVELOPES:
        raise ValueError(f"envelope must be None, 'response_body' or 'body', not {envelope!r}")
    return envelope  # type: ignore[return-value]
