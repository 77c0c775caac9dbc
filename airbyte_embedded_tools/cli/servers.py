"""The long-running subcommands: ``sandbox`` and ``mcp`` (foreground until Ctrl-C), and ``demo``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .exit_codes import CommandError, ExitCode
from .output import Output

__all__ = ["run_demo", "run_mcp", "run_sandbox_command"]

_FAULT_OPTIONS = ("latency", "rate_429", "rate_5xx", "rate_drop", "rate_truncate")


def run_demo(argv: Sequence[str]) -> int:
    """Hand over to the demo module with the arguments that followed ``demo``."""
    from airbyte_embedded_tools._demo import main as demo_main

    return int(demo_main(list(argv)) or 0)


def run_sandbox_command(args: argparse.Namespace, out: Output) -> int:
    """Serve the sandbox in the foreground with the requested faults until interrupted."""
    from airbyte_embedded_tools.sandbox import FaultConfig, run_sandbox

    rates = {name: getattr(args, name) for name in _FAULT_OPTIONS}
    settings: dict[str, Any] = {}
    if any(value is not None for value in rates.values()):
        chosen = {name: value for name, value in rates.items() if value is not None}
        try:
            settings["faults"] = FaultConfig(seed=args.seed or 0, **chosen)
        except ValueError as exc:
            raise CommandError(f"invalid fault settings: {exc}") from None
    if args.seed is not None:
        settings["seed"] = args.seed
    if args.token_lifetime is not None:
        settings["token_lifetime"] = args.token_lifetime
    if args.envelope is not None:
        settings["envelope"] = args.envelope
    if args.invoice_count is not None:
        settings["invoice_count"] = args.invoice_count
    if args.tenants is not None:
        settings["tenants"] = args.tenants
    run_sandbox(args.port, host=args.host, out=out.stdout, **settings)
    return ExitCode.OK


def run_mcp(args: argparse.Namespace) -> int:
    """Serve the tools over MCP (stdio or streamable HTTP), configured from the environment."""
    from airbyte_embedded_tools._integrations.mcp_server import run_mcp_server

    run_mcp_server(
        transport="streamable-http" if args.http else "stdio",
        host=args.host,
        port=args.port,
        base_url=getattr(args, "base_url", None),
        source_id=args.source_id,
        file_source_id=args.file_source_id,
        allow_writes=args.allow_writes,
        max_chars=args.max_chars,
        auth_token=args.auth_token,
        workspace=args.workspace,
    )
    return ExitCode.OK
