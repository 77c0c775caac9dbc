"""Assembling a sandbox: tenants, seeded files, Stripe store, fault injector, and the two apps.

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
from .state import ApiGeneration, SandboxState
from .stripe_data import build_dataset
from .stripe_emulator import build_stripe_app
from .stripe_store import StripeStore


@dataclass
class SandboxParts:
    """Everything a running sandbox is made of; ``temp_dir`` is ours to delete when done."""

    state: SandboxState
    context: SandboxContext
    stripe_store: StripeStore
    files_root: Path
    temp_dir: Path | None

    def stripe_app(self) -> ASGIApp:
        """The Stripe emulator app over this sandbox's store and keys."""
        return build_stripe_app(self.stripe_store, self.state.stripe_keys, self.context.injector)

    def cleanup(self) -> None:
        """Delete the temporary copy of the seeded files (never a caller's folder)."""
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


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
    """Write the seeded files (unless serving ``files_dir``) and build the stores and injectors."""
    temp_dir = None
    if files_dir is None:
        temp_dir = Path(tempfile.mkdtemp(prefix="airbyte-sandbox-"))
        try:
            write_seed_files(temp_dir, large_file_size=large_file_size, seed=seed)
        except BaseException:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise
    elif not files_dir.is_dir():
        raise ValueError(f"files_dir {str(files_dir)!r} is not a folder")
    root = files_dir if files_dir is not None else temp_dir
    assert root is not None
    context = SandboxContext(
        state=state,
        files=FileStore(root),
        injector=FaultInjector(faults or FaultConfig()),
        envelope=check_envelope(envelope),
    )
    return SandboxParts(
        state=state,
        context=context,
        stripe_store=StripeStore(build_dataset(seed, invoice_count), seed=seed),
        files_root=context.files.root,
        temp_dir=temp_dir,
    )


def create_app(
    *,
    token_lifetime: float = 900.0,
    api_generation: ApiGeneration = "current",
    envelope: Envelope | None = None,
    faults: FaultConfig | None = None,
    seed: int = 42,
    files_dir: Path | None = None,
    large_file_size: int = DEFAULT_LARGE_FILE_SIZE,
    stripe_url: str | None = None,
    invoice_count: int | None = None,
) -> Starlette:
    """The sandbox's Airbyte API as one ASGI app, Stripe emulator included at ``/_stripe``.

    With ``stripe_url`` the proxy forwards there instead (an emulator served elsewhere). The app's
    ``state.sandbox`` holds the context (demo credentials in ``.state.primary``).
    ``invoice_count`` seeds the emulator with that many invoices, ``api_generation`` picks the
    scoped-token endpoints served (see ``Sandbox``).
    """
    state = SandboxState(seed=seed, token_lifetime=token_lifetime, api_generation=api_generation)
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
