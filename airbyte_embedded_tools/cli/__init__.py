"""``airbyte-embedded``, the command line of airbyte-embedded-tools (``main``: the console script).

Each subcommand lives in its own module, imported only when it runs; every failure ends as one
``error: ...`` line on stderr and an exit code that says what kind of failure it was.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .exit_codes import CommandError, ExitCode, describe_error
from .output import Output
from .parser import build_parser

__all__ = ["CommandError", "ExitCode", "main"]

AsyncCommand = Callable[[argparse.Namespace, Output], Coroutine[Any, Any, int]]


def _async_command(name: str) -> AsyncCommand:
    """The coroutine function running a client-side subcommand (imported lazily)."""
    if name == "request":
        from .request import run_request

        return run_request
    if name == "ls":
        from .files import run_ls

        return run_ls
    if name == "cat":
        from .files import run_cat

        return run_cat
    from .tokens import run_token

    return run_token


def _dispatch(args: argparse.Namespace, extra: list[str], out: Output) -> int:
    if args.command == "demo":
        from .servers import run_demo

        return run_demo(extra)
    if args.command == "sandbox":
        from .servers import run_sandbox_command

        return run_sandbox_command(args, out)
    if args.command == "mcp":
        from .servers import run_mcp

        return run_mcp(args)
    return asyncio.run(_async_command(args.command)(args, out))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``airbyte-embedded`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "demo":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)
    out = Output(as_json=getattr(args, "output_format", "human") == "json")
    try:
        return _dispatch(args, extra, out)
    except BrokenPipeError:  # the reader went away (``... | head``): stop quietly, like cat
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except (Exception, KeyboardInterrupt) as exc:  # one line per failure, never a traceback
        code, line = describe_error(exc)
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(line, file=sys.stderr)
        return int(code)
