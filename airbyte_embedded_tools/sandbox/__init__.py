"""A local Airbyte Embedded API for development, tests, demos and cookbooks (the ``sandbox`` extra).

``with Sandbox() as sb:`` serves the Airbyte API (tokens, API proxy, file proxy) and a Stripe
emulator on 127.0.0.1, with seeded data and configurable faults. It shares no code with the client.
"""

from __future__ import annotations

from .app import create_app
from .context import UpstreamRecord
from .faults import FaultConfig
from .server import Sandbox, TenantInfo, run_sandbox

__all__ = ["FaultConfig", "Sandbox", "TenantInfo", "UpstreamRecord", "create_app", "run_sandbox"]
