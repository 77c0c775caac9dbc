"""``Sandbox``: the Airbyte API and the Stripe emulator served by uvicorn in a background thread.

Both servers run on one event loop in one thread, each on its own free port of 127.0.0.1 (bound
before start, so there is no port race). ``run_sandbox`` serves in the foreground for the CLI.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import uvicorn

from .airbyte_api import build_api_app
from .app import SandboxParts, build_parts
from .context import AccessRecord, Envelope, UpstreamRecord, check_envelope
from .faults import FaultConfig
from .seed_files import DEFAULT_LARGE_FILE_SIZE, LARGE_FILE
from .state import ApiGeneration, SandboxState, Tenant, Workspace
from .stripe_data import DEFAULT_INVOICE_COUNT, SANDBOX_TODAY
from .stripe_store import Obj, StripeStore
from .tenant_data import TenantDebtor, tenant_debtor

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
MAX_TENANTS = 100_000
KEEP_ALIVE = 30
"""Seconds an idle connection stays open: long, so that a busy client's pooled connections are
not closed under it (uvicorn's default of 5 s makes loaded test runs flaky)."""


_ACCESS_LOG_ONLY: dict[str, Any] = {
    **uvicorn.config.LOGGING_CONFIG,
    "loggers": {**uvicorn.config.LOGGING_CONFIG["loggers"], "uvicorn.error": {"level": "WARNING"}},
}
"""uvicorn's logging with its start-up lines silenced (each of the two servers would print them:
the sandbox prints its own banner) and the access log kept."""


@dataclass(frozen=True)
class TenantInfo:
    """One organization's demo credentials and ids (the client secret is hidden from repr)."""

    organization_id: str
    client_id: str
    client_secret: str
    workspace_id: str
    workspace_name: str
    stripe_source_id: str
    file_source_id: str

    def __repr__(self) -> str:
        return (
            f"TenantInfo(organization_id={self.organization_id!r}, client_id={self.client_id!r}, "
            f"workspace_id={self.workspace_id!r}, stripe_source_id={self.stripe_source_id!r}, "
            f"file_source_id={self.file_source_id!r})"
        )

    @classmethod
    def of(cls, tenant: Tenant) -> TenantInfo:
        """The public view of a seeded tenant."""
        return cls(
            organization_id=tenant.organization.id,
            client_id=tenant.organization.client_id,
            client_secret=tenant.organization.client_secret,
            workspace_id=tenant.workspace.id,
            workspace_name=tenant.workspace.name,
            stripe_source_id=tenant.stripe_source.id,
            file_source_id=tenant.file_source.id,
        )


@dataclass(frozen=True)
class SandboxTenant:
    """One customer workspace of ``Sandbox(tenants=N)``, in the demo organization (same client id
    and secret): its ids, and what its data says (every customer and file names ``name``)."""

    index: int
    name: str
    """The workspace name, ``tenant-0001``...: what a scoped-token request names."""
    workspace_id: str
    organization_id: str
    stripe_source_id: str
    file_source_id: str
    debtor: TenantDebtor
    """The one customer of this tenant owing money (an open, overdue invoice)."""
    stripe_secret_key: str = field(repr=False)
    """The key stored in its Stripe source (for direct emulator calls; never sent by clients)."""

    @classmethod
    def of(cls, index: int, tenant: Tenant) -> SandboxTenant:
        """The public view of the ``index``-th (1-based) tenant."""
        assert tenant.stripe_source.secret_key is not None
        return cls(
            index=index,
            name=tenant.workspace.name,
            workspace_id=tenant.workspace.id,
            organization_id=tenant.organization.id,
            stripe_source_id=tenant.stripe_source.id,
            file_source_id=tenant.file_source.id,
            debtor=tenant_debtor(tenant.workspace.name, index),
            stripe_secret_key=tenant.stripe_source.secret_key,
        )


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


class Sandbox:
    """A local Airbyte Embedded API with a Stripe emulator, a file store and fault injection.

    ``with Sandbox() as sb:`` starts it on free ports of 127.0.0.1 and stops it on exit; the
    credentials and ids are available before start, the URLs once started.
    ``invoice_count`` (at least the default 547) seeds the Stripe emulator with that many
    invoices, the extra ones paid, so the debtors stay the same (load tests, benchmarks).
    ``tenants=N`` adds N customer workspaces to the demo organization (``sb.tenants``), each with
    its own Stripe account and files naming it, built on first touch (1,000 start in well under a
    second); the demo workspaces and their data stay exactly as without it.
    ``api_generation="legacy"`` serves only the older scoped-token endpoint (a deployment that
    predates ``/api/v1/account/applications/scoped-token``, which then answers 404).
    """

    def __init__(
        self,
        *,
        token_lifetime: float = 900.0,
        api_generation: ApiGeneration = "current",
        envelope: Envelope | None = None,
        faults: FaultConfig | None = None,
        seed: int = 42,
        files_dir: Path | str | None = None,
        large_file_size: int = DEFAULT_LARGE_FILE_SIZE,
        host: str = "127.0.0.1",
        port: int = 0,
        stripe_port: int = 0,
        access_log: bool = False,
        invoice_count: int | None = None,
        tenants: int | None = None,
    ) -> None:
        if tenants is not None and not 1 <= tenants <= MAX_TENANTS:
            raise ValueError(f"tenants must be between 1 and {MAX_TENANTS} workspaces")
        self._state = SandboxState(
            seed=seed,
            token_lifetime=token_lifetime,
            tenants=tenants or 0,
            api_generation=api_generation,
        )
        self._envelope = check_envelope(envelope)
        if large_file_size < 0:
            raise ValueError("large_file_size must be >= 0 bytes")
        if invoice_count is not None and invoice_count < DEFAULT_INVOICE_COUNT:
            raise ValueError(
                f"invoice_count must be at least {DEFAULT_INVOICE_COUNT} (the seeded invoices)"
            )
        self._settings: dict[str, Any] = {
            "faults": faults,
            "seed": seed,
            "files_dir": Path(files_dir) if files_dir is not None else None,
            "large_file_size": large_file_size,
            "invoice_count": invoice_count,
        }
        self._host, self._port, self._stripe_port = host, port, stripe_port
        self._access_log = access_log
        self._parts: SandboxParts | None = None
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._urls: tuple[str, str] | None = None
        self.primary = TenantInfo.of(self._state.primary)
        self.other_workspace = TenantInfo.of(self._state.secondary)
        """A second organization with its own workspace and sources (for isolation tests)."""
        self.sibling_workspace = TenantInfo.of(self._state.sibling)
        """Another workspace of the demo organization: its application token reaches it, a
        token scoped to ``workspace_id`` does not."""
        self._tenants = [SandboxTenant.of(i, t) for i, t in enumerate(self._state.tenants, 1)]
        self._tenants_by_name = {t.name: t for t in self._tenants}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Write the seeded files, start both servers and wait until they accept connections."""
        if self._thread is not None:
            raise RuntimeError("this sandbox is already running")
        parts = build_parts(self._state, envelope=self._envelope, **self._settings)
        socks: list[socket.socket] = []
        try:
            socks.append(_bind(self._host, self._port))
            socks.append(_bind(self._host, self._stripe_port))
        except OSError:
            for sock in socks:
                sock.close()
            parts.cleanup()
            raise
        url_host = "127.0.0.1" if self._host in ("0.0.0.0", "") else self._host  # noqa: S104
        api_port, stripe_port = (s.getsockname()[1] for s in socks)
        self._urls = (f"http://{url_host}:{api_port}", f"http://{url_host}:{stripe_port}")
        parts.context.upstream_base = self._urls[1]
        self._parts = parts
        self._servers = [
            uvicorn.Server(self._config(build_api_app(parts.context))),
            uvicorn.Server(self._config(parts.stripe_app())),
        ]
        self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(socks,), name="airbyte-embedded-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not all(s.started for s in self._servers):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox did not start: {self._error!r}")
            time.sleep(0.005)
        return self

    def _config(self, app: Any) -> uvicorn.Config:
        options: dict[str, Any] = {"log_config": _ACCESS_LOG_ONLY if self._access_log else None}
        return uvicorn.Config(
            app,
            lifespan="on",
            access_log=self._access_log,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=KEEP_ALIVE,
            ws="none",
            **options,
        )

    def _run(self, socks: list[socket.socket]) -> None:
        async def serve() -> None:
            await asyncio.gather(
                *(s.serve(sockets=[k]) for s, k in zip(self._servers, socks, strict=True))
            )

        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by start() / stop()
            self._error = exc
        finally:
            for sock in socks:
                sock.close()

    def stop(self) -> None:
        """Stop both servers, wait for the thread, delete the temporary files. Idempotent."""
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            if self._thread.is_alive():
                for server in self._servers:
                    server.force_exit = True
                self._thread.join(STOP_TIMEOUT)
        self._thread = None
        self._servers = []
        if self._parts is not None:
            self._parts.cleanup()
            self._parts = None
        self._urls = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._urls[0] if self._urls else "not started"
        return f"Sandbox({where}, workspace_id={self.workspace_id!r})"

    # -- where and who ---------------------------------------------------------------------------
    def _running(self) -> SandboxParts:
        if self._parts is None or self._urls is None:
            raise RuntimeError("the sandbox is not running: use `with Sandbox() as sb:` or start()")
        return self._parts

    @property
    def base_url(self) -> str:
        """The Airbyte API's base URL, ``http://127.0.0.1:PORT``."""
        self._running()
        assert self._urls is not None
        return self._urls[0]

    @property
    def stripe_url(self) -> str:
        """The Stripe emulator's own base URL (for Stripe clients and curl, with the secret key)."""
        self._running()
        assert self._urls is not None
        return self._urls[1]

    @property
    def client_id(self) -> str:
        """The demo organization's client id."""
        return self.primary.client_id

    @property
    def client_secret(self) -> str:
        """The demo organization's client secret."""
        return self.primary.client_secret

    @property
    def organization_id(self) -> str:
        """The demo organization's id (for ``X-Organization-Id``)."""
        return self.primary.organization_id

    @property
    def workspace_id(self) -> str:
        """The demo customer's workspace id."""
        return self.primary.workspace_id

    @property
    def workspace_name(self) -> str:
        """The demo customer's workspace name."""
        return self.primary.workspace_name

    @property
    def stripe_source_id(self) -> str:
        """The demo workspace's Stripe (API) source."""
        return self.primary.stripe_source_id

    @property
    def file_source_id(self) -> str:
        """The demo workspace's file (S3-like) source."""
        return self.primary.file_source_id

    @property
    def stripe_secret_key(self) -> str:
        """The Stripe key stored in the demo Stripe source (to assert it never leaks)."""
        key = self._state.primary.stripe_source.secret_key
        assert key is not None
        return key

    @property
    def files_dir(self) -> Path:
        """The file store's root folder (a temporary copy of the seeded files unless given)."""
        return self._running().files_root

    @property
    def large_file_path(self) -> str | None:
        """The store key of the generated large binary; None when serving a caller's folder."""
        return None if self._settings["files_dir"] is not None else LARGE_FILE

    @property
    def large_file_size(self) -> int:
        """The size in bytes of ``large_file_path``."""
        return int(self._settings["large_file_size"])

    # -- logs and knobs --------------------------------------------------------------------------
    @property
    def data_as_of(self) -> date:
        """The seeded data's "today" (2025-07-01): every invoice was created before it, and
        overdue days count from it. Use it instead of the real date against the sandbox."""
        return SANDBOX_TODAY

    @property
    def invoice_count(self) -> int:
        """How many invoices the Stripe emulator was seeded with."""
        return int(self._settings["invoice_count"] or DEFAULT_INVOICE_COUNT)

    @property
    def token_requests(self) -> int:
        """Calls to the token endpoints (application and scoped) since start or reset_log()."""
        return self._state.token_requests

    @property
    def upstream_requests(self) -> list[UpstreamRecord]:
        """Every request the proxy sent upstream (key masked), oldest first."""
        return self._running().context.upstream_log()

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration in force."""
        return self._running().context.injector.config

    @property
    def fault_calls(self) -> int:
        """Calls to the fault-targeted endpoints counted since the faults were last set."""
        return self._running().context.injector.calls

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault configuration (None: no faults); the call count restarts at 0."""
        self._running().context.injector.configure(faults or FaultConfig())

    def expire_tokens(self, workspace: str | None = None) -> None:
        """Make every token issued so far expire now (the next call with one gets 401); with a
        workspace (name or id), only that workspace's scoped tokens."""
        self._state.expire_tokens(self._workspace(workspace).id if workspace else None)

    def revoke_stripe_key(self) -> None:
        """Make the Stripe emulator refuse the demo source's stored key (upstream 401 via proxy)."""
        self._state.revoke_stripe_key(self.stripe_secret_key)

    def reset_log(self) -> None:
        """Forget the upstream request log, the access log and the token request count."""
        self._running().context.reset_log()
        self._state.reset_token_requests()

    # -- many customers --------------------------------------------------------------------------
    @property
    def tenants(self) -> list[SandboxTenant]:
        """The ``tenants=N`` customer workspaces, in order (empty without ``tenants``)."""
        return list(self._tenants)

    def tenant(self, name: str) -> SandboxTenant:
        """One tenant by workspace name (``tenant-0007``); KeyError naming it if there is none."""
        try:
            return self._tenants_by_name[name]
        except KeyError:
            raise KeyError(f"no tenant named {name!r} in this sandbox") from None

    def _workspace(self, workspace: str) -> Workspace:
        """A workspace by id or name; KeyError naming it if there is none."""
        found = self._state.lookup_workspace(workspace)
        if found is None:
            raise KeyError(f"no workspace with id or name {workspace!r}")
        return found

    def revoke_workspace(self, workspace: str) -> None:
        """Revoke a workspace's access now (name or id): its scoped tokens get 401, new scoped
        tokens for it and any call to its sources 403; every other workspace goes on."""
        self._state.revoke_workspace(self._workspace(workspace).id)

    def restore_workspace(self, workspace: str) -> None:
        """Undo ``revoke_workspace``."""
        self._state.restore_workspace(self._workspace(workspace).id)

    @property
    def access_log(self) -> list[AccessRecord]:
        """Every proxied and file call since start or reset_log(), oldest first: the token
        presented (masked), whose it is, the source targeted, whose that is, the answer."""
        return self._running().context.access_log()[0]

    @property
    def access_log_dropped(self) -> int:
        """Access records dropped to bound memory (the log keeps the latest 200,000)."""
        return self._running().context.access_log()[1]

    def _stripe_account(self, workspace: str | None) -> StripeStore:
        resources = self._running().resources
        if workspace is None:
            return resources.default_stripe
        return resources.stripe_for_workspace(self._workspace(workspace).id)

    def stripe_objects(
        self, resource: str = "customers", workspace: str | None = None
    ) -> list[Obj]:
        """Every object of a Stripe resource as stored now, in the demo account or a workspace's
        (name or id), newest first: to count what was created upstream."""
        return self._stripe_account(workspace).objects(resource)

    def created_objects(self, workspace: str | None = None) -> list[Obj]:
        """The objects created through the Stripe API (POST), as created, oldest first; an
        idempotent replay creates nothing, so a duplicate shows here twice."""
        return self._stripe_account(workspace).created()


def run_sandbox(
    port: int = 8765,
    *,
    host: str = "127.0.0.1",
    stripe_port: int = 0,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
    access_log: bool = True,
    **settings: Any,
) -> None:
    """Serve a sandbox in the foreground (the CLI's ``sandbox`` command) until Ctrl-C or SIGTERM.

    Prints the base URL and the demo credentials first, then uvicorn's access log (one line per
    request; ``access_log=False`` for load tests, as a slow reader of the output stalls the
    server). ``settings`` are ``Sandbox``'s keyword arguments (faults, token_lifetime, envelope,
    seed, files_dir, large_file_size, invoice_count, tenants).
    """
    out = out or sys.stdout
    stop = stop_event or threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if in_main else None
    try:
        with Sandbox(
            host=host, port=port, stripe_port=stripe_port, access_log=access_log, **settings
        ) as sb:
            print(describe(sb), file=out, flush=True)
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
            print("Stopping the sandbox.", file=out, flush=True)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def describe(sb: Sandbox) -> str:
    """The banner the CLI prints: URLs and the demo credentials (sandbox-only, not secrets)."""
    return "\n".join(
        [
            "Airbyte Embedded sandbox is running.",
            f"  base URL          {sb.base_url}",
            f"  Stripe emulator   {sb.stripe_url}",
            f"  client id         {sb.client_id}",
            f"  client secret     {sb.client_secret}",
            f"  organization id   {sb.organization_id}",
            f"  workspace id      {sb.workspace_id}",
            f"  stripe source id  {sb.stripe_source_id}",
            f"  file source id    {sb.file_source_id}",
            *_describe_tenants(sb),
            "",
            "Try it:",
            f"  export AIRBYTE_API_URL={sb.base_url}",
            f"  export AIRBYTE_CLIENT_ID={sb.client_id}",
            f"  export AIRBYTE_CLIENT_SECRET={sb.client_secret}",
            f"  export AIRBYTE_WORKSPACE_ID={sb.workspace_id}",
            f"  export AIRBYTE_STRIPE_SOURCE_ID={sb.stripe_source_id}",
            f"  export AIRBYTE_FILE_SOURCE_ID={sb.file_source_id}",
            "Press Ctrl-C to stop.",
        ]
    )


def _describe_tenants(sb: Sandbox) -> list[str]:
    """The banner's lines about ``tenants=N``: how many, and the first and last workspace."""
    if not sb.tenants:
        return []
    first, last = sb.tenants[0], sb.tenants[-1]
    span = first.name if first is last else f"{first.name} ... {last.name}"
    return [f"  tenants           {len(sb.tenants)} workspaces of this organization: {span}"]
