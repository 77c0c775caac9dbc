"""The tools as an MCP server (the official ``mcp`` SDK 2.x, ``MCPServer``), stdio or HTTP.

``create_mcp_server`` builds the server over one client (the server's credentials) or, with no
client, over each HTTP caller's own bearer token. ``run_mcp_server`` is ``airbyte-embedded
mcp``: configuration from the environment (the seed's ``CLIENT_ID``/``CLIENT_SECRET`` too),
sources pinned or open, and an HTTP endpoint that never lends the server's credentials to
whoever connects (it then requires its own bearer secret).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any, Literal

import anyio
import httpx

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source, resolve_sources
from airbyte_embedded_tools._version import __version__
from airbyte_embedded_tools.tools import DEFAULT_MAX_CHARS, ClientLike, ToolkitOptions

from .mcp_auth import (
    CallerClients,
    CallerTokenVerifier,
    ClientSource,
    ServerClient,
    SharedSecretVerifier,
    shared_pool,
)
from .mcp_sdk import AuthSettings, MCPServer, TokenVerifier
from .mcp_tools import MCP_TOOL_NAMES, MCP_WRITE_TOOL, has_write_tool, mcp_tools

__all__ = [
    "ENV_MCP_AUTH_TOKEN",
    "MCP_TOOL_NAMES",
    "MCP_WRITE_TOOL",
    "SEED_CLIENT_ID",
    "SEED_CLIENT_SECRET",
    "create_mcp_server",
    "run_mcp_server",
    "sources_from_env",
]

SERVER_NAME = "airbyte-embedded"
ENV_MCP_AUTH_TOKEN = "AIRBYTE_MCP_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
"""The bearer secret HTTP callers must send to a server that holds its own credentials."""
SEED_CLIENT_ID = "CLIENT_ID"
"""Accepted beside ``AIRBYTE_CLIENT_ID``: the name Airbyte's ``mcp.json`` example uses."""
SEED_CLIENT_SECRET = "CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
"""Accepted beside ``AIRBYTE_CLIENT_SECRET``."""
MCP_PATH = "/mcp"


def sources_from_env(
    *, source_id: str | None = None, file_source_id: str | None = None, connector: str = "stripe"
) -> dict[str, Source] | None:
    """The sources to pin: the ids given, else ``AIRBYTE_<CONNECTOR>_SOURCE_ID`` and
    ``AIRBYTE_FILE_SOURCE_ID``; None when none is set (the server is then open: each call names
    its source by id, and Airbyte checks the credentials may use it)."""
    api_id = source_id or os.environ.get(config.env_source_variable(connector)) or None
    files_id = file_source_id or os.environ.get(config.ENV_FILE_SOURCE_ID) or None
    if api_id is None and files_id is None:
        return None
    return resolve_sources(source_id=api_id, file_source_id=files_id, connector=connector)


def create_mcp_server(
    client: ClientLike | None = None,
    options: ToolkitOptions | None = None,
    /,
    *,
    name: str = SERVER_NAME,
    auth_token: str | None = None,
    base_url: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    **fields: Any,
) -> MCPServer:
    """An ``MCPServer`` with ``apis_make_request``, ``files_list`` and ``files_read``.

    The toolkit's options (one ``ToolkitOptions``, or its fields as keywords): sources bind as
    for the toolkit (``sources={"stripe": id, "contracts": id}`` or the ``source_id``/
    ``file_source_id`` shortcuts); with none, every tool takes a required ``source_id``.
    Read-only unless ``allow_writes``, ``approve`` or ``dry_run``: then ``apis_write_request``
    sends the writes (POST/DELETE, each with the caller's ``idempotency_key``), ``approve``
    seeing each ``WriteRequest`` first, ``dry_run`` answering with it instead of sending it.
    The tools keep the hosted server's names (``names`` is refused).

    With ``client`` (its owner closes it), every call uses it; ``auth_token`` then makes HTTP
    callers present that bearer secret. Without ``client``, each HTTP request must carry its
    caller's Airbyte token (``Authorization: Bearer``), used for that call only, against
    ``base_url`` over ``http_client`` (one pool shared by all callers, e.g.
    ``mcp_auth.shared_pool()``; its owner closes it).
    """
    opts = ToolkitOptions.of(options, fields)
    if opts.names is not None:
        raise ConfigurationError("the MCP tools keep the hosted server's names: drop names=")
    pinned = None
    if opts.sources is not None or opts.source_id is not None or opts.file_source_id is not None:
        pinned = resolve_sources(
            opts.sources,
            source_id=opts.source_id,
            file_source_id=opts.file_source_id,
            connector=opts.connector,
        )
    clients: ClientSource
    verifier: TokenVerifier | None
    if client is not None:
        clients, template_client, issuer = ServerClient(client), client, _base_url_of(client)
        verifier = SharedSecretVerifier(auth_token) if auth_token else None
    else:
        if auth_token:
            raise ConfigurationError(
                "auth_token is the secret of a server with its own client; without a client "
                "each caller's bearer token is its Airbyte token"
            )
        if base_url is None or http_client is None:
            raise ConfigurationError(
                "without a client, pass base_url= and http_client= (one pool for all callers)"
            )
        clients = CallerClients(base_url=base_url, http=http_client)
        # Builds the tools' schemas and texts only; never sends (calls use the caller's token).
        template_client = AirbyteEmbeddedClient(
            token="schema-only",  # noqa: S106 - a placeholder that is never sent
            base_url=base_url,
            http_client=http_client,
        )
        verifier, issuer = CallerTokenVerifier(), base_url
    tools = mcp_tools(clients, template_client, sources=pinned, options=opts)
    return MCPServer(
        name,
        title="Airbyte Embedded tools",
        version=__version__,
        instructions=_instructions(pinned, opts, per_caller=client is None),
        tools=[tool.sdk_tool() for tool in tools],
        token_verifier=verifier,
        # The SDK's bearer check (401 + WWW-Authenticate); no OAuth metadata is published.
        auth=AuthSettings(issuer_url=issuer, resource_server_url=None) if verifier else None,
        log_level="WARNING",
    )


def _base_url_of(client: ClientLike) -> str:
    return str(getattr(client, "base_url", config.DEFAULT_BASE_URL))


def _instructions(
    pinned: Mapping[str, Source] | None, options: ToolkitOptions, *, per_caller: bool
) -> str:
    if pinned is None:
        where = "pass the customer's Airbyte source id as `source_id` in every call"
    else:
        where = ", ".join(f"'{n}' (id {s.id})" for n, s in pinned.items())
    if not has_write_tool(options):
        writes = "all read-only"
    elif options.dry_run:
        writes = f"{MCP_WRITE_TOOL} shows the writes it would send and sends none (dry run)"
    elif options.allow_writes:
        writes = f"{MCP_WRITE_TOOL} writes, only when the user asks"
    else:
        writes = f"{MCP_WRITE_TOOL} writes once the user approves each one"
    caller = "; each HTTP request acts with its caller's own Airbyte token" if per_caller else ""
    return (
        f"Tools over a customer's data connected through Airbyte Embedded ({where}); "
        f"{writes}{caller}."
    )


def server_credentials() -> dict[str, str] | None:
    """The client credentials from the environment (``AIRBYTE_*`` first, then the seed's
    ``CLIENT_ID``/``CLIENT_SECRET``) as ``from_env`` overrides; None when there are none."""
    client_id = os.environ.get(config.ENV_CLIENT_ID) or os.environ.get(SEED_CLIENT_ID) or None
    secret = os.environ.get(config.ENV_CLIENT_SECRET) or os.environ.get(SEED_CLIENT_SECRET)
    if client_id is None and not secret:
        if os.environ.get(config.ENV_ACCESS_TOKEN):
            return {}
        return None
    if client_id is None or not secret:
        missing = "client id" if client_id is None else "client secret"
        ids = f"{config.ENV_CLIENT_ID} or {SEED_CLIENT_ID}"
        keys = f"{config.ENV_CLIENT_SECRET} or {SEED_CLIENT_SECRET}"
        raise ConfigurationError(f"the {missing} is missing: set {ids}, and {keys}")
    return {"client_id": client_id, "client_secret": secret}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_mcp_server(
    *,
    transport: Literal["stdio", "streamable-http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    base_url: str | None = None,
    source_id: str | None = None,
    file_source_id: str | None = None,
    allow_writes: bool = False,
    max_chars: int | None = None,
    auth_token: str | None = None,
    workspace: str | None = None,
) -> None:
    """Serve until stdin closes (stdio) or Ctrl-C (HTTP), configured from the environment.

    Credentials: ``AIRBYTE_CLIENT_ID``/``AIRBYTE_CLIENT_SECRET`` (or ``CLIENT_ID``/
    ``CLIENT_SECRET``), or ``AIRBYTE_ACCESS_TOKEN``. Over HTTP with credentials, callers must
    send ``Authorization: Bearer <auth_token>`` (``AIRBYTE_MCP_AUTH_TOKEN``; generated and
    printed once when not set). Over HTTP without credentials, each request's bearer token is
    its caller's Airbyte token. Sources: the arguments, else ``AIRBYTE_STRIPE_SOURCE_ID`` and
    ``AIRBYTE_FILE_SOURCE_ID``, else none pinned (``source_id`` required in every call).
    ``workspace`` (a workspace name; needs client credentials) serves that one customer: the
    calls use its scoped token (``client.for_workspace``), so no other workspace is reachable.
    """
    http = transport == "streamable-http"
    sources = sources_from_env(source_id=source_id, file_source_id=file_source_id)
    api_url = base_url or os.environ.get(config.ENV_API_URL) or config.DEFAULT_BASE_URL
    credentials = server_credentials()
    auth_token = auth_token or os.environ.get(ENV_MCP_AUTH_TOKEN) or None
    options: dict[str, Any] = {
        "sources": sources,
        "allow_writes": allow_writes,
        "max_chars": max_chars or DEFAULT_MAX_CHARS,
    }
    notes: list[str] = []
    client: AirbyteEmbeddedClient | None = None
    pool: httpx.AsyncClient | None = None
    if workspace is not None and not credentials:
        raise ConfigurationError(
            "--workspace needs the server's client credentials (a scoped token is made for it)"
        )
    served: AirbyteEmbeddedClient | None = None
    if credentials is not None:
        client = AirbyteEmbeddedClient.from_env(base_url=api_url, **credentials)
        served = client.for_workspace(workspace) if workspace is not None else client
        if http and auth_token is None:
            auth_token = secrets.token_urlsafe(32)
            notes.append(
                f"callers must send 'Authorization: Bearer {auth_token}' (generated for this run; "
                f"set {ENV_MCP_AUTH_TOKEN} to choose it)"
            )
        server = create_mcp_server(served, auth_token=auth_token if http else None, **options)
    elif not http:
        raise ConfigurationError(
            f"no credentials: set {config.ENV_CLIENT_ID} and {config.ENV_CLIENT_SECRET} (or "
            f"{SEED_CLIENT_ID} and {SEED_CLIENT_SECRET}, or {config.ENV_ACCESS_TOKEN}); only "
            "--http serves without them, acting with each caller's own bearer token"
        )
    else:
        if auth_token is not None:
            raise ConfigurationError(
                f"--auth-token/{ENV_MCP_AUTH_TOKEN} protects a server's own credentials, and "
                "none are set: without them each caller's bearer token is its Airbyte token"
            )
        pool = shared_pool()
        server = create_mcp_server(None, base_url=api_url, http_client=pool, **options)
        notes.append("each request acts with its caller's 'Authorization: Bearer <Airbyte token>'")
    if http and not _is_loopback(host):
        notes.append("plain HTTP beyond loopback: serve it behind HTTPS")

    async def serve() -> None:
        async with AsyncExitStack() as stack:
            for owned in (client, pool):
                if owned is not None:
                    stack.push_async_callback(owned.aclose)
            if not http:
                await server.run_stdio_async()
                return
            shown = f"[{host}]" if ":" in host else host
            print(f"MCP server on http://{shown}:{port}{MCP_PATH}", file=sys.stderr, flush=True)
            for note in notes:
                print(f"  {note}", file=sys.stderr, flush=True)
            await server.run_streamable_http_async(
                host=host, port=port, streamable_http_path=MCP_PATH, stateless_http=True
            )

    anyio.run(serve)
