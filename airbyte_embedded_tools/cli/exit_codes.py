"""Exit codes of ``airbyte-embedded`` and the one-line error message for each failure.

Scripts branch on the code: usage, authentication, not found, upstream and connection failures
each have their own, so a caller can tell "fix your command" from "retry later".
"""

from __future__ import annotations

from enum import IntEnum

from airbyte_embedded_tools._config import ENV_ACCESS_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET
from airbyte_embedded_tools._errors import (
    AirbyteEmbeddedError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    UpstreamError,
)

__all__ = ["CommandError", "ExitCode", "describe_error", "error_record"]


class ExitCode(IntEnum):
    """The process exit status; documented in ``airbyte-embedded --help``."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTHENTICATION = 3
    NOT_FOUND = 4
    UPSTREAM = 5
    PERMISSION = 6
    CONNECTION = 7
    INTERRUPTED = 130


EXIT_CODES_HELP = """\
exit codes:
  0  success
  1  other error (Airbyte API 429/5xx after retries, unexpected failure)
  2  usage error (bad arguments, missing configuration, request refused as invalid)
  3  authentication failed (client id/secret or token)
  4  not found (unknown source, no file at that path)
  5  upstream error (the API behind the proxy answered 4xx/5xx)
  6  permission denied (other workspace's source, host not allowed, write not allowed)
  7  connection failed or timed out"""


class CommandError(Exception):
    """A failure detected by the CLI itself (not the client), with the exit code it maps to."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.code = code


_HINTS: dict[type[BaseException], str] = {
    AuthenticationError: f"check {ENV_CLIENT_ID} / {ENV_CLIENT_SECRET} or {ENV_ACCESS_TOKEN}",
    APITimeoutError: "the service did not answer in time",
}
_HINT_NAMES = (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_ACCESS_TOKEN)
"""A message that already names one of these variables has its hint: it is not added twice."""


def _code_for(exc: BaseException) -> ExitCode:
    """The exit code of an exception, most specific class first."""
    if isinstance(exc, CommandError):
        return exc.code
    table: tuple[tuple[type[BaseException], ExitCode], ...] = (
        (ConfigurationError, ExitCode.USAGE),
        (InvalidRequestError, ExitCode.USAGE),
        (RangeNotSatisfiableError, ExitCode.USAGE),
        (AuthenticationError, ExitCode.AUTHENTICATION),
        (NotFoundError, ExitCode.NOT_FOUND),
        (UpstreamError, ExitCode.UPSTREAM),
        (PermissionDeniedError, ExitCode.PERMISSION),
        (APIConnectionError, ExitCode.CONNECTION),
        (KeyboardInterrupt, ExitCode.INTERRUPTED),
    )
    for cls, code in table:
        if isinstance(exc, cls):
            return code
    return ExitCode.ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(exc: BaseException) -> str:
    """What went wrong, in one line, with a hint unless the message already names a variable."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, (AirbyteEmbeddedError, CommandError)):
        message = str(exc) or type(exc).__name__
    elif isinstance(exc, ImportError):
        message = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        message = f"{exc.strerror}{where}"
    else:
        message = f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)"
    hint = next((h for cls, h in _HINTS.items() if isinstance(exc, cls)), None)
    if hint and not any(name in message for name in _HINT_NAMES):
        message = f"{message} ({hint})"
    return _one_line(message)


def describe_error(exc: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one ``error: ...`` line printed for ``exc`` (no secret, no newline)."""
    return _code_for(exc), f"error: {_message(exc)}"


def error_record(exc: BaseException) -> dict[str, object]:
    """``exc`` as the JSON object ``--json`` prints on stderr: type, message and exit code."""
    code = _code_for(exc)
    return {"error": {"type": type(exc).__name__, "message": _message(exc), "exit_code": int(code)}}
