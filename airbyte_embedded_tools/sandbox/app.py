"""Assembling a sandbox: tenants, seeded files, Stripe stores, fault injector, and the two apps.

``create_app()`` gives the whole sandbox as one ASGI app (for ``uvicorn --factory``): the Stripe
emulator is then mounted at ``/_stripe`` and the proxy reaches it through the server's own socket.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp

from .airbyte_api import build_api_app
from .context import Envelope, SandboxContext, check_envelope
from .faults import FaultConfig, FaultInjector
from .file_store import FileStore
from .seed_files import DEFAULT_LARGE_FILE_SIZE, write_seed_files
from .state import SandboxState
from .stripe_data import build_dataset
from .stripe_emulator import build_stripe_app
from .stripe_store import StripeStore
from .tenancy import TenantResources


@dataclass
class SandboxParts:
    """Everything a running sandbox is made of; the ``temp_dirs`` are ours to delete when done."""

    state: SandboxState
    context: SandboxContext
    files_root: Path
    temp_dirs: list[Path]

    @property
    def resources(self) -> TenantResources:
        """The Stripe accounts and file stores behind the sources."""
        return self.context.resources

    def stripe_app(self) -> ASGIApp:
        """The Stripe emulator app over this sandbox's accounts and keys."""
        return build_stripe_app(self.resources.stripe_for_key, self.context.injector)

    def cleanup(self) -> None:
        """Delete the temporary seeded and tenants' files (never a caller's folder)."""
        for temp_dir in self.temp_dirs:
            shutil.rmtree(temp_dir, ignore_errors=True)


def build_parts(
    state: SandboxState,
    *,
    envelope: Envelope | None,
    faults: FaultConfig | None,
    seed: int,
    files_dir: Path | None,
    large_file_size: int,
    invoice_count: int | None = None,
) -> SandboxParts:
    """Write the seeded files (unless serving ``files_dir``) and build the stores and injectors;
    the tenants' (``state.tenants``) get a folder of their own, filled on first touch."""
    if files_dir is not None and not files_dir.is_dir():
        raise ValueError(f"files_dir {str(files_dir)!r} is not a folder")
    temp_dirs: list[Path] = []
    try:
        if files_dir is None:
            temp_dirs.append(Path(tempfile.mkdtemp(prefix="airbyte-sandbox-")))
            write_seed_files(temp_dirs[0], large_file_size=large_file_size, seed=seed)
        root = files_dir if files_dir is not None else temp_dirs[0]
        tenants_root = None
        if state.tenants:
            tenants_root = Path(tempfile.mkdtemp(prefix="airbyte-sandbox-tenants-"))
            temp_dirs.append(tenants_root)
    except BaseException:
        for temp_dir in temp_dirs:
            shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    resources = TenantResources(
        state,
        seed=seed,
        default_stripe=StripeStore(build_dataset(seed, invoice_count), seed=seed),
        default_files=FileStore(root),
        tenants_root=tenants_root,
    )
    context = SandboxContext(
        state=state,
        resources=resources,
        injector=FaultInjector(faults or FaultConfig()),
        envelope=check_envelope(envelope),
    )
    return SandboxParts(
        state=state, context=context, files_root=resources.default_files.root, temp_dirs=temp_dirs
    )


def create_app(
    *,
    token_lifetime: float = 900.0,
    envelope: Envelope | None = None,
    faults: FaultConfig | None = None,
    seed: int = 42,
    files_dir: Path | None = None,
    large_file_size: int = DEFAULT_LARGE_FILE_SIZE,
    stripe_url: str | None = None,
    invoice_count: int | None = None,
    tenants: int = 0,
) -> Starlette:
    """The sandbox's Airbyte API as one ASGI app, Stripe emulator included at ``/_stripe``.

    With ``stripe_url`` the proxy forwards there instead (an emulator served elsewhere). The app's
    ``state.sandbox`` holds the context (demo credentials in ``.state.primary``).
    ``invoice_count`` seeds the emulator with that many invoices, ``tenants`` adds that many
    customer workspaces (see ``Sandbox``).
    """
    state = SandboxState(seed=seed, token_lifetime=token_lifetime, tenants=tenants)
    parts = build_parts(
        state,
        envelope=envelope,
        faults=faults,
        seed=seed,
        files_dir=files_dir,
        large_file_size=large_file_size,
        invoice_count=invoice_count,
    )
    parts.context.upstream_base = stripe_url
    stripe_app = None if stripe_url else parts.stripe_app()
    return build_api_app(parts.context, stripe_app=stripe_app, on_shutdown=parts.cleanup)
