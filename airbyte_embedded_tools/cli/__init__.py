"""``airbyte-embedded``, the command line of airbyte-embedded-tools (``main``: the console script).

Each subcommand lives in its own module, imported only when it runs; every failure ends as one
``error: ...`` line on stderr (with ``--json``: one JSON object, ``{"error": {"type", "message",
"exit_code"}}``) and an exit code that says what kind of failure it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .exit_codes import CommandError, ExitCode, describe_error, error_record
from .output import Output
from .parser import UsageError, build_parser

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


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON output (read before parsing, for usage errors)."""
    words = list(argv)
    pairs = zip(words, [*words[1:], ""], strict=True)
    return "--json" in words or "--format=json" in words or ("--format", "json") in pairs


def _usage_error(exc: UsageError, *, as_json: bool) -> int:
    """Report what argparse refused as it would (usage, then the message), or as JSON."""
    if as_json:
        record = {"type": "UsageError", "message": str(exc), "exit_code": int(ExitCode.USAGE)}
        print(json.dumps({"error": record}), file=sys.stderr)
    else:
        print(f"{exc.usage.rstrip()}\n{exc.prog}: error: {exc}", file=sys.stderr)
    return int(ExitCode.USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``airbyte-embedded`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "demo":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except UsageError as exc:
        return _usage_error(exc, as_json=_wants_json(argv))
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
        print(json.dumps(error_record(exc)) if out.as_json else line, file=sys.stderr)
        return int(code)
