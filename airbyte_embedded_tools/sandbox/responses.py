"""Small HTTP helpers of the Airbyte API app: JSON errors, JSON body parsing, ranged file bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import Send

STREAM_CHUNK = 256 * 1024


class ApiError(Exception):
    """An error of the Airbyte API itself, answered as ``{"detail": "..."}``."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The FastAPI-style error body the sandbox assumes Airbyte uses."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; ApiError 422 naming the problem otherwise."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError(422, "request body is missing: send a JSON object")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(422, f"request body must be a JSON object, not {type(value).__name__}")
    return value


def optional_string(body: dict[str, Any], name: str) -> str | None:
    """An optional string field of a JSON body; ApiError 422 naming the field if mistyped."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"field '{name}' must be a string, not {type(value).__name__}")
    return value


def required_string(body: dict[str, Any], name: str) -> str:
    """A required non-empty string field of a JSON body; ApiError 422 naming the field if not."""
    value = optional_string(body, name)
    if value is None:
        raise ApiError(422, f"field '{name}' is required")
    if not value.strip():
        raise ApiError(422, f"field '{name}' must not be empty")
    return value


def file_body(file: Path, start: int, end: int, status: int, headers: dict[str, str],
              *, head: bool = False) -> StreamingResponse:  # fmt: skip
    """A response streaming ``file[start:end+1]`` in chunks (constant memory, exact length)."""
    length = max(0, end - start + 1)

    async def chunks() -> AsyncIterator[bytes]:
        if head or length == 0:
            return
        remaining = length
        async with await anyio.open_file(file, "rb") as handle:
            await handle.seek(start)
            while remaining > 0:
                chunk = await handle.read(min(STREAM_CHUNK, remaining))
                if not chunk:
                    return  # the file shrank under us: the client sees a short body
                remaining -= len(chunk)
                yield chunk

    return _ClosingStreamingResponse(
        chunks(), status_code=status, headers={**headers, "content-length": str(length)}
    )


class _ClosingStreamingResponse(StreamingResponse):
    """A streaming response that closes its body generator as soon as sending stops, even early
    (a fault cutting the body, a client gone), so the file it reads is closed then, not at GC."""

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                with anyio.CancelScope(shield=True):
                    await aclose()
