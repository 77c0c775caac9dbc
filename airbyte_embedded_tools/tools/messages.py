"""Errors turned into one readable message for a model: what went wrong and what to change.

A tool never raises at a model: every failure becomes an ``Error: ...`` text. The text is built
from the exception's safe message (the package's errors never carry a secret), never from a stack
trace, and ends with the change that would make the next call succeed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

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
    RateLimitError,
    ServerError,
    UpstreamError,
)
from airbyte_embedded_tools._redact import get_logger

from .guard import human_size

__all__ = [
    "ToolError",
    "error_message",
    "upstream_advice",
    "upstream_error_detail",
    "validation_message",
]

logger = get_logger("airbyte_embedded_tools.tools")

_MAX_INPUT_REPR = 80


class ToolError(Exception):
    """A refusal or failure whose message is already written for the model (nothing was sent)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validation_message(exc: ValidationError, tool: str) -> str:
    """One line per invalid argument, naming it, what is wrong and the value the model sent."""
    problems: list[str] = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        if err["type"] == "missing":
            problems.append(f"`{where}` is required")
            continue
        shown = repr(err.get("input"))
        if len(shown) > _MAX_INPUT_REPR:
            shown = shown[: _MAX_INPUT_REPR - 3] + "..."
        problems.append(f"`{where}`: {err['msg']} (got {shown})")
    return (
        f"Error: invalid arguments for {tool}: {'; '.join(problems)}. "
        "Fix these arguments and call the tool again."
    )


def error_message(
    exc: BaseException,
    *,
    tool: str,
    source: str | None = None,
    not_found: str = "",
) -> str:
    """The model-facing message for any failure of a tool call.

    ``source`` is the bound source's name (never its id); ``not_found`` is the tool's advice when
    Airbyte answers 404 (for files: list them to see the paths).
    """
    if isinstance(exc, ToolError):
        return exc.message
    if isinstance(exc, ValidationError):
        return validation_message(exc, tool)
    on = f" on source '{source}'" if source else ""
    if isinstance(exc, AirbyteEmbeddedError):
        return f"Error: {tool}{on} failed: {_explain(exc, not_found)}"
    if isinstance(exc, RuntimeError) and "event loop" in str(exc):
        logger.warning("%s: the client was used across event loops", tool, exc_info=exc)
        return (
            f"Error: {tool}{on} cannot run: its AirbyteEmbeddedClient belongs to another event "
            "loop (one that has stopped). This is a setup problem the user must fix (one client "
            "per event loop, or a SyncAirbyteEmbeddedClient); retrying will not help."
        )
    if isinstance(exc, ImportError):
        return f"Error: {tool}{on} cannot run here: {exc}. Tell the user; retrying will not help."
    logger.warning("%s failed unexpectedly", tool, exc_info=exc)
    return (
        f"Error: {tool}{on} failed unexpectedly ({type(exc).__name__}). "
        "Try again once; if it fails again, tell the user."
    )


def _explain(exc: AirbyteEmbeddedError, not_found: str) -> str:
    """The reason and the advice for each of the package's errors."""
    reason = str(exc)
    advice: str
    if isinstance(exc, ConfigurationError):
        advice = "This is a setup problem the user must fix; retrying will not help."
    elif isinstance(exc, AuthenticationError):
        advice = "Airbyte refused the credentials; the user must fix them. Do not retry."
    elif isinstance(exc, PermissionDeniedError):
        advice = "These credentials may not use this source or URL. Do not retry the same call."
    elif isinstance(exc, RangeNotSatisfiableError):
        size = f" (the file has {human_size(exc.size)}, {exc.size} bytes)" if exc.size else ""
        advice = f"The offset is past the end of the file{size}: use a smaller offset."
    elif isinstance(exc, NotFoundError):
        advice = not_found or "Check the name or path and try again."
    elif isinstance(exc, RateLimitError):
        wait = f"{exc.retry_after:g} seconds" if exc.retry_after else "a little"
        advice = f"Too many requests: wait {wait}, then try again."
    elif isinstance(exc, InvalidRequestError):
        advice = "Change the arguments named above and try again."
    elif isinstance(exc, ServerError):
        advice = "Airbyte had a server error; try again in a moment."
    elif isinstance(exc, APITimeoutError):
        advice = "The request timed out; try again, asking for less (a smaller limit or range)."
    elif isinstance(exc, APIConnectionError):
        advice = "Airbyte could not be reached; try again in a moment."
    elif isinstance(exc, UpstreamError):
        advice = upstream_advice(exc.upstream_status)
    else:
        advice = "Check the arguments and try again."
    return f"{reason}. {advice}" if not reason.endswith(".") else f"{reason} {advice}"


def upstream_advice(status: int) -> str:
    """What to change after an upstream (e.g. Stripe) error status."""
    if status in (400, 422):
        return "Fix the parameter named in the message and try again."
    if status == 401:
        return "The connector's stored credentials were refused; the user must fix them."
    if status == 402:
        return "The upstream refused the operation (a failed payment or a plan limit)."
    if status == 403:
        return "The connector's credentials may not do this; do not retry."
    if status == 404:
        return "No such object or path: check the id (list the objects first) or the path."
    if status == 429:
        return "The upstream is rate limiting: wait a little, then try again."
    if status >= 500:
        return "The upstream had a server error; try again in a moment."
    return "Check the request and try again."


def upstream_error_detail(body: Any) -> str:
    """Stripe's ``{"error": {"message", "type", "code", "param"}}`` as one short phrase."""
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, str):
        return err
    if not isinstance(err, dict):
        return ""
    parts = [str(err.get("message") or err.get("type") or "no message")]
    extra = [f"{key} {err[key]}" for key in ("code", "param") if err.get(key)]
    if extra:
        parts.append(f"({', '.join(extra)})")
    return " ".join(parts)
