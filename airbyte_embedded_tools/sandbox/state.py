"""The sandbox's tenants: organizations, workspaces, sources, credentials and expiring tokens.

Ids and credentials are derived from a seed, so a sandbox started twice with the same seed prints
the same demo credentials. Tokens expire on a monotonic clock. Besides the three demo workspaces,
``tenants=N`` adds N customer workspaces (``tenant-0001``...) to the demo organization, each with
its own Stripe and file source; a workspace can be revoked at runtime (its tokens stop working).
"""

from __future__ import annotations

import hashlib
import random
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["api", "files"]
TokenKind = Literal["application", "scoped"]

STRIPE_HOST = "api.stripe.com"
"""The only upstream host a Stripe source may reach."""


@dataclass(frozen=True)
class Organization:
    """An Airbyte organization, and the application credentials that act for it."""

    id: str
    name: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Workspace:
    """One customer's workspace inside an organization."""

    id: str
    name: str
    organization_id: str


@dataclass(frozen=True)
class Source:
    """A configured connector: a Stripe API source (with its stored key) or an S3-like one."""

    id: str
    workspace_id: str
    kind: SourceKind
    connector: str
    api_host: str | None = None
    secret_key: str | None = None


@dataclass
class Token:
    """An issued bearer token; ``workspace_id`` is None for an organization-wide one."""

    value: str
    kind: TokenKind
    organization_id: str
    workspace_id: str | None
    expires_at: float


@dataclass(frozen=True)
class Tenant:
    """Everything one organization's demo needs: credentials, its workspace and its two sources."""

    organization: Organization
    workspace: Workspace
    stripe_source: Source
    file_source: Source


class Unauthorized(Exception):
    """The bearer token or the client credentials were not accepted (HTTP 401)."""


class Forbidden(Exception):
    """The token is valid but does not cover what it tried to reach (HTTP 403)."""


class NotFound(Exception):
    """No such workspace or source (HTTP 404)."""


def _seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _seeded_word(rng: random.Random, length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(length))


def tenant_name(index: int, count: int) -> str:
    """The workspace name of the ``index``-th (1-based) of ``count`` tenants: ``tenant-0007``."""
    return f"tenant-{index:0{max(4, len(str(count)))}d}"


def _make_tenant(
    rng: random.Random, org_name: str, workspace_name: str, org: Organization | None = None
) -> Tenant:
    """A workspace with a Stripe and a file source, in ``org`` or in a new organization."""
    if org is None:
        org = Organization(
            id=_seeded_uuid(rng),
            name=org_name,
            client_id=_seeded_uuid(rng),
            client_secret="sbx_secret_" + _seeded_word(rng, 32),
        )
    workspace = Workspace(id=_seeded_uuid(rng), name=workspace_name, organization_id=org.id)
    stripe = Source(
        id=_seeded_uuid(rng),
        workspace_id=workspace.id,
        kind="api",
        connector="stripe",
        api_host=STRIPE_HOST,
        secret_key="sk_test_" + _seeded_word(rng, 24),
    )
    files = Source(id=_seeded_uuid(rng), workspace_id=workspace.id, kind="files", connector="s3")
    return Tenant(org, workspace, stripe, files)


class SandboxState:
    """In-memory tenants and tokens, safe to use from the server loop and the test thread."""

    def __init__(
        self,
        *,
        seed: int = 42,
        token_lifetime: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        tenants: int = 0,
    ) -> None:
        if token_lifetime <= 0:
            raise ValueError("token_lifetime must be a positive number of seconds")
        if tenants < 0:
            raise ValueError("tenants must be >= 0 workspaces")
        rng = random.Random(seed)  # noqa: S311 - repeatable demo ids, not secret
        self.primary = _make_tenant(rng, "Acme Analytics", "acme-customer-demo")
        self.secondary = _make_tenant(rng, "Umbrella Insights", "umbrella-customer")
        self.sibling = _make_tenant(rng, "", "acme-customer-two", self.primary.organization)
        """A second workspace of the primary organization (scoped tokens must not reach it)."""
        self.token_lifetime = token_lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._token_requests = 0
        self._revoked_keys: set[str] = set()
        self._revoked_workspaces: set[str] = set()
        self.tenants = _make_tenants(seed, self.primary.organization, tenants)
        """The ``tenants=N`` customer workspaces of the demo organization (none by default)."""
        every = (self.primary, self.secondary, self.sibling, *self.tenants)
        self._orgs = {t.organization.id: t.organization for t in every}
        self._workspaces = {t.workspace.id: t.workspace for t in every}
        self._sources = {s.id: s for t in every for s in (t.stripe_source, t.file_source)}
        self._stripe_sources = {
            _digest(s.secret_key): s for s in self._sources.values() if s.secret_key
        }

    @property
    def token_requests(self) -> int:
        """How many token requests (application and scoped, accepted or not) were made."""
        return self._token_requests

    def reset_token_requests(self) -> None:
        """Start counting token requests from zero again."""
        with self._lock:
            self._token_requests = 0

    def count_token_request(self) -> None:
        """Record one call to a token endpoint."""
        with self._lock:
            self._token_requests += 1

    def _issue(self, kind: TokenKind, organization_id: str, workspace_id: str | None) -> Token:
        token = Token(
            value=f"sbx_{kind[:3]}_" + secrets.token_urlsafe(32),
            kind=kind,
            organization_id=organization_id,
            workspace_id=workspace_id,
            expires_at=self._clock() + self.token_lifetime,
        )
        with self._lock:
            self._tokens[token.value] = token
        return token

    def issue_application_token(self, client_id: str, client_secret: str) -> Token:
        """Exchange client credentials for an organization-wide token; Unauthorized if wrong."""
        for org in self._orgs.values():
            id_ok = secrets.compare_digest(org.client_id.encode(), client_id.encode())
            secret_ok = secrets.compare_digest(org.client_secret.encode(), client_secret.encode())
            if id_ok and secret_ok:
                return self._issue("application", org.id, None)
        raise Unauthorized("invalid client credentials")

    def issue_scoped_token(
        self,
        application_token: Token,
        *,
        workspace_id: str | None = None,
        workspace_name: str | None = None,
    ) -> Token:
        """Mint a token limited to one workspace of the application token's organization."""
        if application_token.kind != "application":
            raise Forbidden("a scoped token cannot mint scoped tokens; use an application token")
        workspace = self.find_workspace(workspace_id=workspace_id, workspace_name=workspace_name)
        if workspace.organization_id != application_token.organization_id:
            raise Forbidden("the workspace belongs to another organization")
        if self.is_revoked(workspace.id):
            raise Forbidden(f"access to workspace {workspace.name!r} has been revoked")
        return self._issue("scoped", workspace.organization_id, workspace.id)

    def find_workspace(
        self, *, workspace_id: str | None = None, workspace_name: str | None = None
    ) -> Workspace:
        """The workspace with this id (preferred) or name; NotFound otherwise."""
        for workspace in self._workspaces.values():
            if workspace_id is not None and workspace.id == workspace_id:
                return workspace
            if workspace_id is None and workspace.name == workspace_name:
                return workspace
        wanted = workspace_id if workspace_id is not None else workspace_name
        raise NotFound(f"workspace {wanted!r} not found")

    def authenticate(self, bearer: str | None) -> Token:
        """The live token behind an ``Authorization`` value; Unauthorized if missing or expired."""
        if not bearer:
            raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
        scheme, _, value = bearer.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None:
            raise Unauthorized("invalid access token")
        if self._clock() >= token.expires_at:
            raise Unauthorized("access token expired")
        if token.workspace_id is not None and self.is_revoked(token.workspace_id):
            raise Unauthorized("access token revoked")
        return token

    def token_behind(self, bearer: str | None) -> Token | None:
        """The issued token an ``Authorization`` value names, live or not (for the access log)."""
        _, _, value = (bearer or "").partition(" ")
        with self._lock:
            return self._tokens.get(value.strip())

    def source_for(self, token: Token, source_id: str) -> Source:
        """The source the token may use; NotFound if unknown *or* outside the token's scope (the
        same answer, so a token cannot probe which ids exist elsewhere), Forbidden if the
        source's workspace was revoked."""
        source = self._sources.get(source_id)
        workspace = self._workspaces[source.workspace_id] if source is not None else None
        if (
            source is None
            or workspace is None
            or workspace.organization_id != token.organization_id
            or (token.workspace_id is not None and token.workspace_id != workspace.id)
        ):
            raise NotFound(f"source {source_id!r} not found")
        if self.is_revoked(workspace.id):
            raise Forbidden(f"access to workspace {workspace.name!r} has been revoked")
        return source

    def lookup_workspace(self, id_or_name: str) -> Workspace | None:
        """A workspace by id, else by name; None if neither (never creates one)."""
        with self._lock:
            workspaces = list(self._workspaces.values())
        by_id = next((w for w in workspaces if w.id == id_or_name), None)
        return by_id or next((w for w in workspaces if w.name == id_or_name), None)

    def source(self, source_id: str) -> Source | None:
        """A source by id, whoever asks (the sandbox's own bookkeeping, never an answer)."""
        return self._sources.get(source_id)

    def revoke_workspace(self, workspace_id: str) -> None:
        """Revoke a workspace: its tokens get 401, new scoped tokens and its sources 403."""
        with self._lock:
            self._revoked_workspaces.add(workspace_id)

    def restore_workspace(self, workspace_id: str) -> None:
        """Undo ``revoke_workspace`` (tokens issued before the revocation work again)."""
        with self._lock:
            self._revoked_workspaces.discard(workspace_id)

    def is_revoked(self, workspace_id: str) -> bool:
        """Whether the workspace's access has been revoked."""
        with self._lock:
            return workspace_id in self._revoked_workspaces

    def expire_tokens(self, workspace_id: str | None = None) -> None:
        """Make every token issued so far (only that workspace's scoped ones, if given) expire."""
        now = self._clock()
        with self._lock:
            for token in self._tokens.values():
                if workspace_id is None or token.workspace_id == workspace_id:
                    token.expires_at = min(token.expires_at, now)

    def revoke_stripe_key(self, key: str) -> None:
        """Make the Stripe emulator refuse this key (so upstream 401s can be tested)."""
        with self._lock:
            self._revoked_keys.add(key)

    def stripe_source_for_key(self, key: str) -> Source | None:
        """The Stripe source whose stored key this is, None if no source has it or it was revoked
        (looked up by digest: no early-exit string comparison on the secret)."""
        source = self._stripe_sources.get(_digest(key))
        with self._lock:
            revoked = key in self._revoked_keys
        return None if revoked else source


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _make_tenants(seed: int, organization: Organization, count: int) -> tuple[Tenant, ...]:
    """``count`` workspaces of ``organization``, each with its two sources, from their own seed
    (so the demo workspaces' ids are the same with or without tenants)."""
    rng = random.Random(f"{seed}:tenants")  # noqa: S311 - repeatable demo ids, not secret
    return tuple(
        _make_tenant(rng, "", tenant_name(index, count), organization)
        for index in range(1, count + 1)
    )
