"""Settings: defaults, the environment variables the package reads, the connectors' API hosts."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.airbyte.ai"
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
"""Retries of one logical call after its first attempt."""
DEFAULT_RETRY_DEADLINE = 120.0
"""Seconds one logical call may spend retrying before its last error is raised."""
DEFAULT_CHUNK_SIZE = 1024 * 1024
APPLICATION_TOKEN_LIFETIME = 900.0
"""Seconds an application token lives when its answer states no ``expires_in`` (documented)."""
SCOPED_TOKEN_LIFETIME = 1200.0
"""Seconds a scoped token lives: Airbyte documents 20 minutes and its answer states none."""
TOKEN_CACHE_SIZE = 1024
"""Scoped tokens an organization-level client keeps (one per workspace, least recently used
dropped first)."""
TOKEN_IDLE_TIMEOUT = 600.0
"""Seconds a workspace's scoped token stays cached without being used."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest answer the client reads into memory (a proxied answer, a whole-file read)."""
TOKEN_REFRESH_MARGIN = 60.0
"""Tokens are refreshed this many seconds before they expire."""

ENV_CLIENT_ID = "AIRBYTE_CLIENT_ID"
ENV_CLIENT_SECRET = "AIRBYTE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_WORKSPACE_ID = "AIRBYTE_WORKSPACE_ID"
ENV_WORKSPACE_NAME = "AIRBYTE_WORKSPACE_NAME"
ENV_ORGANIZATION_ID = "AIRBYTE_ORGANIZATION_ID"
ENV_ACCESS_TOKEN = "AIRBYTE_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_API_URL = "AIRBYTE_API_URL"


def env_source_variable(connector: str) -> str:
    """The variable naming the API source of ``connector``: ``AIRBYTE_<CONNECTOR>_SOURCE_ID``."""
    return f"AIRBYTE_{connector.upper()}_SOURCE_ID"


ENV_STRIPE_SOURCE_ID = env_source_variable("stripe")
"""``AIRBYTE_STRIPE_SOURCE_ID``: the Stripe source the MCP server, CLI and demo bind by default."""
ENV_FILE_SOURCE_ID = "AIRBYTE_FILE_SOURCE_ID"
"""The file source the MCP server, CLI and demo bind by default."""

CONNECTOR_API_BASES: dict[str, str] = {"stripe": "https://api.stripe.com"}
"""API connectors the proxy supports, and the upstream base URL each one reaches."""
