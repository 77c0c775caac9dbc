"""The long-running subcommands: ``sandbox`` and ``mcp`` (foreground until Ctrl-C), and ``demo``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .exit_codes import ExitCode
from .output import Output

__all__ = ["run_demo", "run_mcp", "run_sandbox_command"]


def run_demo(argv: Sequence[str]) -> int:
    """Hand over to the demo module with the arguments that followed ``demo``."""
    from airbyte_embedded_tools.demo import main as demo_main

    return int(demo_main(list(argv)) or 0)


def run_sandbox_command(args: argparse.Namespace, out: Output) -> int:
    """Serve the sandbox in the foreground with the requested faults until interrupted."""
    from airbyte_embedded_tools.sandbox import FaultConfig, run_sandbox

    faults = FaultConfig(
        latency=args.latency or 0.0,
        rate_429=args.rate_429 or 0.0,
        rate_5xx=args.rate_5xx or 0.0,
        rate_drop=args.rate_drop or 0.0,
        rate_truncate=args.rate_truncate or 0.0,
        seed=args.seed or 0,
    )
    try:
        run_sandbox(
            port=args.port,
            host=args.host,
            faults=faults,
            token_lifetime=args.token_lifetime,
            envelope=args.envelope,
        )
    except KeyboardInterrupt:
        out.note("sandbox stopped")
    return ExitCode.OK


def run_mcp(args: argparse.Namespace) -> int:
    """Serve the tools over MCP (stdio or streamable HTTP) with credentials from the environment."""
    from airbyte_embedded_tools.integrations.mcp_server import serve_from_env

    serve_from_env(
        transport="streamable-http" if args.http else "stdio",
        host=args.host,
        port=args.port,
        base_url=getattr(args, "base_url", None),
        source_id=args.source_id,
        file_source_id=args.file_source_id,
        allow_writes=args.allow_writes,
        max_chars=args.max_chars,
    )
    return ExitCode.OK
