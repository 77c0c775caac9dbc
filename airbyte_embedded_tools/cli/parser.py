"""The argument parser of ``airbyte-embedded``: subcommands, their options, and the global flags.

Global flags (``--json``, ``--format``, ``--base-url``, ``--workspace``, ``--debug``) go before or
after the subcommand, with the same meaning everywhere: ``--json`` is machine output (errors too,
as JSON on stderr); ``request``'s body is ``--body``. Servers take only the flags they use.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from airbyte_embedded_tools import _config as config

from .exit_codes import EXIT_CODES_HELP

__all__ = ["UsageError", "build_parser", "parse_key_value", "parse_range"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_DESCRIPTION = f"""\
Airbyte Embedded Proxy Requests from the command line: call a customer's API through the proxy,
list and download their files, check the token, serve the tools over MCP, run the local sandbox.
Credentials come from the environment: {config.ENV_CLIENT_ID}, {config.ENV_CLIENT_SECRET},
{config.ENV_WORKSPACE_ID} (or {config.ENV_WORKSPACE_NAME}), {config.ENV_ORGANIZATION_ID},
{config.ENV_ACCESS_TOKEN}, {config.ENV_API_URL}."""


def parse_key_value(text: str, sep: str) -> tuple[str, str]:
    """Split ``k=v`` (or ``k:v``) at the first separator; the key must not be empty."""
    key, found, value = text.partition(sep)
    if not found or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY{sep}VALUE, got {text!r}")
    return key.strip(), value.strip() if sep == ":" else value


def _param(text: str) -> tuple[str, str]:
    return parse_key_value(text, "=")


def _header(text: str) -> tuple[str, str]:
    return parse_key_value(text, ":")


def parse_range(text: str) -> tuple[int, int | None]:
    """``A-B`` (inclusive byte offsets) or ``A-`` (from A to the end) as ``(start, end)``."""
    start_text, dash, end_text = text.partition("-")
    try:
        if not dash or not start_text:
            raise ValueError
        start = int(start_text)
        end = int(end_text) if end_text else None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a byte range START-END or START-, got {text!r}"
        ) from None
    if start < 0 or (end is not None and end < start):
        raise argparse.ArgumentTypeError(f"invalid byte range {text!r}: need 0 <= START <= END")
    return start, end


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number of seconds, got {text!r}")
    return value


def _loopback(text: str) -> str:
    if text not in LOOPBACK_HOSTS:
        raise argparse.ArgumentTypeError(
            f"only loopback hosts are allowed ({', '.join(LOOPBACK_HOSTS)}), got {text!r}"
        )
    return text


class UsageError(Exception):
    """A command line argparse refused; ``main`` reports it (as text with the usage, or JSON)."""

    def __init__(self, message: str, *, prog: str, usage: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises ``UsageError`` instead of printing and exiting (``--help``
    still prints and exits 0), so that ``--json`` can report usage errors as JSON too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog, usage=self.format_usage())


def _common(*, output: bool = True, client: bool = True) -> argparse.ArgumentParser:
    """Global options, shared by the main parser and every subcommand (SUPPRESS keeps either).

    ``output=False`` leaves out the output format and ``client=False`` the API options, for the
    servers, which do not use them.
    """
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    if output:
        group.add_argument(
            "--json",
            dest="output_format",
            action="store_const",
            const="json",
            default=argparse.SUPPRESS,
            help="machine-readable JSON output, errors as JSON on stderr (= --format json)",
        )
        group.add_argument(
            "--format",
            dest="output_format",
            choices=("human", "json"),
            default=argparse.SUPPRESS,
            help="output format (default: human)",
        )
    if client:
        group.add_argument(
            "--base-url",
            default=argparse.SUPPRESS,
            help=f"Airbyte API base URL (default: ${config.ENV_API_URL} or "
            f"{config.DEFAULT_BASE_URL})",
        )
    if client and output:
        group.add_argument(
            "--workspace",
            dest="workspace_name",
            metavar="NAME",
            default=argparse.SUPPRESS,
            help=f"act in the customer's workspace of this name (instead of "
            f"${config.ENV_WORKSPACE_ID} / ${config.ENV_WORKSPACE_NAME})",
        )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and debug logs (secrets redacted)",
    )
    return common


def _add_request(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "request",
        parents=[_common()],
        help="send one request to a source's API through the proxy",
        description="Send one request to the API behind a source (e.g. Stripe) through Airbyte's\n"
        "proxy and print the upstream's answer. Read-only unless --allow-write is given.",
        epilog="examples:\n  airbyte-embedded request $SRC GET /v1/invoices --param limit=3\n"
        '  airbyte-embedded request $SRC POST /v1/customers --body \'{"email": "a@b.c"}\' '
        "--allow-write\n"
        "  airbyte-embedded request $SRC GET /v1/invoices --json   # status, headers, body",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_id", help="the API source's id")
    p.add_argument("method", type=str.upper, help="HTTP method: GET, HEAD, POST, DELETE, ...")
    p.add_argument(
        "url",
        help="full connector URL (https://api.stripe.com/v1/invoices) or a path (/v1/invoices)",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        type=_param,
        default=[],
        metavar="KEY=VALUE",
        help="query parameter (repeatable; a key may repeat)",
    )
    p.add_argument(
        "--header",
        dest="headers",
        action="append",
        type=_header,
        default=[],
        metavar="NAME:VALUE",
        help="extra upstream header (repeatable)",
    )
    p.add_argument(
        "--body",
        dest="body",
        metavar="BODY",
        help="JSON request body (a JSON object; @FILE reads it from a file, @- from stdin)",
    )
    p.add_argument(
        "--connector",
        default="stripe",
        help="connector whose API base a bare path is joined to (default: stripe)",
    )
    p.add_argument(
        "--allow-write",
        action="store_true",
        help="allow methods other than GET/HEAD (they change the customer's data)",
    )


def _add_files(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = _common()
    ls = sub.add_parser(
        "ls",
        parents=[common],
        help="list the files of a file source",
        description="List the files of a file source under a prefix (all pages).",
    )
    ls.add_argument("source_id", help="the file source's id")
    ls.add_argument("prefix", nargs="?", default="", help="path prefix (default: everything)")
    ls.add_argument(
        "--no-recursive",
        dest="recursive",
        action="store_false",
        help="only this level: the files directly under the prefix, and its sub-folders",
    )

    cat = sub.add_parser(
        "cat",
        parents=[common],
        help="print or download a file of a file source",
        description="Write a file's bytes to stdout, or download it with -o FILE (progress bar on "
        "stderr with the 'progress' extra; an interrupted download resumes where it stopped).",
    )
    cat.add_argument("source_id", help="the file source's id")
    cat.add_argument("path", help="the file's path in the source")
    cat.add_argument(
        "--range",
        dest="byte_range",
        type=parse_range,
        metavar="A-B",
        help="only bytes A to B inclusive (A- reads to the end)",
    )
    cat.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    cat.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="with -o: start over instead of continuing a partial download",
    )
    cat.add_argument(
        "--no-progress", dest="progress", action="store_false", help="with -o: no progress bar"
    )


def _add_token(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "token",
        parents=[_common()],
        help="obtain a token and print its kind and expiry (never the secret)",
        description="Obtain an access token with the configured credentials and print its kind and "
        "expiry. Neither the client secret nor the token is printed, unless --show-token.",
    )
    p.add_argument(
        "--show-token",
        action="store_true",
        help="print the bearer token itself on stdout (for curl); treat the output as a secret",
    )


def _add_sandbox(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sandbox",
        parents=[_common(output=False, client=False)],
        help="run the local sandbox (the Airbyte Embedded API with Stripe and files behind it)",
        description="Run the sandbox in the foreground until Ctrl-C; prints its base URL and demo "
        "credentials. Needs the 'sandbox' extra.",
    )
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765)")
    p.add_argument("--host", type=_loopback, default="127.0.0.1", help="loopback host only")
    faults = p.add_argument_group("fault injection")
    faults.add_argument("--latency", type=_seconds, help="added latency per request, in seconds")
    faults.add_argument("--rate-429", type=_fraction, metavar="P", help="share of 429 answers")
    faults.add_argument("--rate-5xx", type=_fraction, metavar="P", help="share of 5xx answers")
    faults.add_argument(
        "--rate-drop", type=_fraction, metavar="P", help="share of dropped connections"
    )
    faults.add_argument(
        "--rate-truncate", type=_fraction, metavar="P", help="share of truncated bodies"
    )
    faults.add_argument("--seed", type=int, help="random seed (data and faults)")
    p.add_argument(
        "--token-lifetime", type=_seconds, help="token lifetime in seconds (default 900)"
    )
    p.add_argument(
        "--invoice-count",
        type=int,
        metavar="N",
        help="seed the Stripe emulator with N invoices (at least the default 547; extras are paid)",
    )
    p.add_argument(
        "--tenants",
        type=_positive_int,
        metavar="N",
        help="add N customer workspaces (tenant-0001...) to the demo organization, each with its "
        "own Stripe data and files",
    )
    p.add_argument(
        "--envelope",
        choices=("response_body", "body"),
        help="answer proxy requests in this envelope instead of passing the upstream body through",
    )


def _add_mcp(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "mcp",
        parents=[_common(output=False)],
        help="serve the tools over MCP (stdio, or streamable HTTP with --http)",
        description="Serve apis_make_request, files_list and files_read over MCP. Credentials as "
        "for every command (CLIENT_ID and CLIENT_SECRET are accepted too); sources from "
        f"${config.ENV_STRIPE_SOURCE_ID} and ${config.ENV_FILE_SOURCE_ID}, or none: then every "
        "call names its source_id. With --http and no credentials, each request acts with its "
        "caller's own 'Authorization: Bearer <Airbyte token>'; with credentials, callers must "
        "send the server's own bearer secret (--auth-token). Needs the 'mcp' extra.",
    )
    p.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    p.add_argument("--port", type=_port, default=8000, help="HTTP port (default: 8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP host (default: 127.0.0.1; beyond loopback, put it behind HTTPS)",
    )
    p.add_argument(
        "--auth-token",
        default=None,
        help="with credentials and --http: the bearer secret callers must send (default: "
        "$AIRBYTE_MCP_AUTH_TOKEN, else one generated and printed at start)",
    )
    p.add_argument(
        "--source-id", help=f"Stripe source id (default: ${config.ENV_STRIPE_SOURCE_ID})"
    )
    p.add_argument(
        "--file-source-id", help=f"file source id (default: ${config.ENV_FILE_SOURCE_ID})"
    )
    p.add_argument(
        "--allow-writes",
        action="store_true",
        help="add apis_write_request: POST/DELETE, each with an idempotency_key (exactly once)",
    )
    p.add_argument("--max-chars", type=_positive_int, help="character budget per tool answer")
    p.add_argument(
        "--workspace",
        help="with client credentials: serve this one customer workspace (by name) only",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``airbyte-embedded`` parser; each subcommand sets ``command``."""
    parser: argparse.ArgumentParser = _Parser(
        prog="airbyte-embedded",
        description=_DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common()],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_request(sub)
    _add_files(sub)
    _add_token(sub)
    _add_mcp(sub)
    _add_sandbox(sub)
    sub.add_parser(
        "demo",
        help="a guided walk-through against the sandbox (extra arguments go to the demo)",
        description="Start the sandbox and walk through tokens, a proxied Stripe call, files, "
        "documents and an agent. Arguments after 'demo' are passed to the demo.",
        add_help=False,
    )
    return parser
