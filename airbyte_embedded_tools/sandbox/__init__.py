"""A local Airbyte Embedded API for development, tests, demos and cookbooks (the ``sandbox`` extra).

``with Sandbox() as sb:`` serves the Airbyte API (tokens, API proxy, file proxy) and a Stripe
emulator on 127.0.0.1, with seeded data and configurable faults. It shares no code with the client.
The data's "today" is ``SANDBOX_TODAY`` (also ``sb.data_as_of``): overdue counts from it.
``Sandbox(tenants=N)`` adds N customer workspaces (``sb.tenants``), each with its own Stripe account
and files; ``sb.access_log`` records which workspace's token each call presented for which source;
``sb.revoke_workspace(name)`` and ``sb.expire_tokens(name)`` act on one workspace. The Stripe
emulator honours ``Idempotency-Key`` as Stripe does (stripe_idempotency.py);
``sb.created_objects()`` and ``sb.stripe_objects()`` count what was created upstream.

Where Airbyte's public record is silent (docs/wire-format.md, "assumed"), the sandbox decides:
- errors of the API itself are ``{"detail": "..."}`` (responses.py); bad bodies get 422, a
  foreign upstream host 403, malformed or non-https URLs 400 (proxy.py); a source outside the
  token's scope 404, like an unknown one (authorize.py);
- the proxy passes the upstream answer through, or wraps it in the ``response_body``/``body``
  envelope when asked (proxy.py), and form-encodes an object body for Stripe (forms.py);
- scoped tokens live as long as application tokens (state.py);
- the file list is ``{"files": [...], "prefixes": [...], "next_page_token": ...}``, ``prefixes``
  holding the folders a non-recursive listing collapsed (file_routes.py, file_store.py); ranges
  follow HTTP (416 with ``Content-Range: bytes */size``, also for any range of an empty file).
"""

from __future__ import annotations

import importlib.util

EXTRA_HINT = 'pip install "airbyte-embedded-tools[sandbox]"'
EXTRA_MODULES = ("starlette", "uvicorn", "fpdf")
"""What the 'sandbox' extra installs (looked up, not imported: fpdf is slow to import)."""

_missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
if _missing:
    raise ImportError(
        f"airbyte_embedded_tools.sandbox needs the 'sandbox' extra ({', '.join(_missing)} "
        f"missing): {EXTRA_HINT}",
        name=_missing[0],
    )

from .app import create_app  # noqa: E402
from .context import AccessRecord, UpstreamRecord  # noqa: E402
from .faults import FaultConfig  # noqa: E402
from .server import Sandbox, SandboxTenant, TenantInfo, run_sandbox  # noqa: E402
from .stripe_data import SANDBOX_TODAY  # noqa: E402
from .tenant_data import TenantDebtor  # noqa: E402

__all__ = [
    "SANDBOX_TODAY",
    "AccessRecord",
    "FaultConfig",
    "Sandbox",
    "SandboxTenant",
    "TenantDebtor",
    "TenantInfo",
    "UpstreamRecord",
    "create_app",
    "run_sandbox",
]
