"""Which Stripe account and which file store each source reaches; tenants' built on first touch.

The three demo workspaces share the default Stripe account and file store (as they always have).
Each ``tenants=N`` workspace has an account and a folder of its own, made from its name the first
time anything touches it (tenant_data.py), so N tenants start in no time and cost memory only once
used.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .file_store import FileStore
from .seed_files import FIXED_MTIME
from .state import SandboxState, Source, Tenant
from .stripe_store import StripeStore
from .tenant_data import build_tenant_dataset, tenant_documents


class TenantResources:
    """The Stripe stores and file stores behind every source of a sandbox."""

    def __init__(
        self,
        state: SandboxState,
        *,
        seed: int,
        default_stripe: StripeStore,
        default_files: FileStore,
        tenants_root: Path | None,
    ) -> None:
        if state.tenants and tenants_root is None:
            raise ValueError("tenants need a folder for their files")
        self._state = state
        self._seed = seed
        self.default_stripe = default_stripe
        self.default_files = default_files
        self._tenants_root = tenants_root
        self._by_workspace = {t.workspace.id: (i, t) for i, t in enumerate(state.tenants, 1)}
        self._lock = threading.Lock()
        self._stripe: dict[str, StripeStore] = {}
        self._files: dict[str, FileStore] = {}

    def _tenant(self, workspace_id: str) -> tuple[int, Tenant] | None:
        return self._by_workspace.get(workspace_id)

    def stripe_for_key(self, key: str) -> StripeStore | None:
        """The account a Stripe secret key reaches, None if no source holds it or it was revoked."""
        source = self._state.stripe_source_for_key(key)
        return None if source is None else self.stripe_for_workspace(source.workspace_id)

    def stripe_for_workspace(self, workspace_id: str) -> StripeStore:
        """The Stripe account of a workspace (a tenant's is built on first use)."""
        found = self._tenant(workspace_id)
        if found is None:
            return self.default_stripe
        index, tenant = found
        with self._lock:
            store = self._stripe.get(workspace_id)
            if store is None:
                name = tenant.workspace.name
                data = build_tenant_dataset(self._seed, name, index)
                store = self._stripe[workspace_id] = StripeStore(data, seed=f"{self._seed}:{name}")
        return store

    def files_for(self, source: Source) -> FileStore:
        """The file store behind a file source (a tenant's files are written on first use)."""
        found = self._tenant(source.workspace_id)
        if found is None:
            return self.default_files
        index, tenant = found
        with self._lock:
            store = self._files.get(source.workspace_id)
            if store is None:
                assert self._tenants_root is not None
                root = self._tenants_root / tenant.workspace.name
                _write_files(root, tenant_documents(tenant.workspace.name, index))
                store = self._files[source.workspace_id] = FileStore(root)
        return store

    def touched(self) -> int:
        """How many tenants' Stripe accounts or files have been built so far."""
        with self._lock:
            return len(set(self._stripe) | set(self._files))


def _write_files(root: Path, files: dict[str, bytes]) -> None:
    for key, content in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    root.mkdir(parents=True, exist_ok=True)
