"""What the Airbyte API app's handlers share: tenants, their stores, faults, settings and logs."""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from .faults import FaultInjector
from .state import SandboxState, Token
from .tenancy import TenantResources
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


AccessEndpoint = Literal["proxy", "files.list", "files.get"]
ACCESS_LOG_LIMIT = 200_000
"""Access records kept (oldest dropped first, and counted): bounded memory for a long-running
sandbox, far more than a test makes."""


def mask_token(value: str) -> str:
    """A bearer token as the access log shows it: its kind prefix and last four characters."""
    if len(value) <= 16:
        return "***"
    return f"{value[:8]}...{value[-4:]}"


@dataclass(frozen=True)
class AccessRecord:
    """One proxied or file call: the token presented (masked), whose it was, the source it
    targeted, whose that is, and the sandbox's answer to it (200: allowed through).

    ``token_workspace_id`` is None for an organization-wide (application) token or a token the
    sandbox never issued; ``source_workspace_id`` None for an unknown source. ``token_id`` is a
    short digest of the token, to tell tokens apart without holding them.
    """

    endpoint: AccessEndpoint
    source_id: str
    source_workspace_id: str | None
    token: str
    token_id: str
    token_kind: str | None
    token_organization_id: str | None
    token_workspace_id: str | None
    status: int

    @property
    def crosses_workspaces(self) -> bool:
        """True if a workspace's scoped token was sent for another workspace's source."""
        return (
            self.token_workspace_id is not None
            and self.source_workspace_id is not None
            and self.token_workspace_id != self.source_workspace_id
        )

    @classmethod
    def of(
        cls,
        endpoint: AccessEndpoint,
        source_id: str,
        source_workspace_id: str | None,
        bearer: str | None,
        token: Token | None,
        status: int,
    ) -> AccessRecord:
        """A record from the raw ``Authorization`` value and the token behind it (if issued)."""
        value = (bearer or "").partition(" ")[2].strip()
        return cls(
            endpoint=endpoint,
            source_id=source_id,
            source_workspace_id=source_workspace_id,
            token=mask_token(value) if value else "",
            token_id=hashlib.sha256(value.encode()).hexdigest()[:12] if value else "",
            token_kind=token.kind if token else None,
            token_organization_id=token.organization_id if token else None,
            token_workspace_id=token.workspace_id if token else None,
            status=status,
        )


@dataclass
class SandboxContext:
    """Shared by every handler; ``upstream_base`` None means "the Stripe mount of this server"."""

    state: SandboxState
    resources: TenantResources
    injector: FaultInjector
    envelope: Envelope | None = None
    upstream_base: str | None = None
    http: UpstreamClient | None = None
    _log: list[UpstreamRecord] = field(default_factory=list)
    _log_lock: threading.Lock = field(default_factory=threading.Lock)
    _access: deque[AccessRecord] = field(default_factory=lambda: deque(maxlen=ACCESS_LOG_LIMIT))
    _access_dropped: int = 0

    def record(self, entry: UpstreamRecord) -> None:
        """Append to the upstream request log."""
        with self._log_lock:
            self._log.append(entry)

    def upstream_log(self) -> list[UpstreamRecord]:
        """A copy of the upstream request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def record_access(self, entry: AccessRecord) -> None:
        """Append to the access log (the oldest record goes once it holds ACCESS_LOG_LIMIT)."""
        with self._log_lock:
            if len(self._access) == self._access.maxlen:
                self._access_dropped += 1
            self._access.append(entry)

    def access_log(self) -> tuple[list[AccessRecord], int]:
        """(a copy of the access log oldest first, how many older records were dropped)."""
        with self._log_lock:
            return list(self._access), self._access_dropped

    def reset_log(self) -> None:
        """Forget the upstream requests and the accesses logged so far."""
        with self._log_lock:
            self._log.clear()
            self._access.clear()
            self._access_dropped = 0


def check_envelope(envelope: str | None) -> Envelope | None:
    """Validate an envelope setting (None for pass-through)."""
    if envelope is not None and envelope not in ENVELOPES:
        raise ValueError(f"envelope must be None, 'response_body' or 'body', not {envelope!r}")
    return envelope  # type: ignore[return-value]
