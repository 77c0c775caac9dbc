"""Every failure of a tool call comes back as one readable message, never an exception."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
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
from airbyte_embedded_tools._models import FileContent, FileEntry, ProxyResponse
from airbyte_embedded_tools.documents import ParseError, UnsupportedFormatError
from airbyte_embedded_tools.tools import ListFilesTool, ProxyApiRequestTool, ReadFileTool

SOURCE_ID = "5d1c6a0e-0000-4000-8000-000000000001"


class RaisingClient(AirbyteEmbeddedClient):
    """An async client whose every call raises ``exc``."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(token="fake-token", base_url="http://127.0.0.1:9")
        self.exc = exc

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None, **_: Any
    ) -> ProxyResponse:
        raise self.exc

    async def iter_files(
        self, source_id: str, prefix: str = "", *, recursive: bool = True, **_: Any
    ) -> AsyncIterator[FileEntry]:
        raise self.exc
        yield  # pragma: no cover

    async def read_file(
        self,
        source_id: str,
        path: str,
        start: int | None = None,
        end: int | None = None,
        **_: Any,
    ) -> FileContent:
        raise self.exc


CASES: list[tuple[BaseException, str]] = [
    (AuthenticationError("bad credentials", status_code=401), "the user must fix them"),
    (PermissionDeniedError("not your workspace", status_code=403), "Do not retry"),
    (NotFoundError(f"source {SOURCE_ID} not found", status_code=404), "Airbyte does not know"),
    (InvalidRequestError("malformed body", status_code=422), "Change the arguments"),
    (RateLimitError("slow down", retry_after=3.0), "wait 3 seconds"),
    (ServerError("boom", status_code=503), "try again in a moment"),
    (APITimeoutError("timed out"), "asking for less"),
    (APIConnectionError("connection refused"), "could not be reached"),
    (ConfigurationError("no credentials"), "setup problem"),
    (UpstreamError("Stripe said no", upstream_status=402), "upstream refused"),
    (AirbyteEmbeddedError("something odd"), "Check the arguments"),
    (ImportError("pypdf is missing: pip install 'airbyte-embedded-tools[pdf]'"), "[pdf]"),
    (ZeroDivisionError("secret-ish detail"), "failed unexpectedly (ZeroDivisionError)"),
]


@pytest.mark.parametrize(("exc", "advice"), CASES, ids=lambda v: type(v).__name__)
async def test_client_errors_become_messages(exc: BaseException, advice: str) -> None:
    tool = ProxyApiRequestTool(RaisingClient(exc), source_id=SOURCE_ID)
    result = await tool.arun(path="/v1/invoices")
    assert result.is_error
    assert result.content.startswith("Error: ")
    assert advice in result.content
    assert SOURCE_ID not in result.content
    assert "Traceback" not in result.content
    if isinstance(exc, ZeroDivisionError):
        assert "secret-ish" not in result.content


async def test_range_error_names_the_size() -> None:
    tool = ReadFileTool(
        RaisingClient(RangeNotSatisfiableError("past the end", size=10)), source_id=SOURCE_ID
    )
    result = await tool.arun(path="a.txt", offset=99)
    assert result.is_error
    assert "offset 99 is past the end of 'a.txt' (the file has 10 bytes)" in result.content


async def test_not_found_file_points_to_list_files() -> None:
    tool = ReadFileTool(
        RaisingClient(NotFoundError(f"file in {SOURCE_ID} not found", status_code=404)),
        source_id=SOURCE_ID,
    )
    result = await tool.arun(path="nope.txt")
    assert "call list_files to see the exact paths" in result.content
    assert SOURCE_ID not in result.content
    assert "<source 'files'>" in result.content


@pytest.mark.parametrize(
    "exc",
    [UnsupportedFormatError("x: unsupported binary"), ParseError("x.pdf: malformed PDF: eof")],
)
async def test_document_errors_become_messages(exc: Exception) -> None:
    tool = ListFilesTool(RaisingClient(exc), source_id=SOURCE_ID)
    result = await tool.arun()
    assert result.is_error
    assert str(exc) in result.content


async def test_validation_errors_name_each_argument() -> None:
    tool = ListFilesTool(RaisingClient(AssertionError()), source_id=SOURCE_ID)
    result = await tool.arun(limit=5000, recursive="maybe", extra=1)
    assert result.is_error
    text = result.content
    assert text.startswith("Error: invalid arguments for list_files:")
    assert "`limit`: Input should be less than or equal to 1000 (got 5000)" in text
    assert "`recursive`" in text
    assert "`extra`: Extra inputs are not permitted" in text
    assert text.endswith("Fix these arguments and call the tool again.")


async def test_missing_argument_is_named() -> None:
    tool = ReadFileTool(RaisingClient(AssertionError()), source_id=SOURCE_ID)
    result = await tool.arun()
    assert "`path` is required" in result.content


async def test_long_bad_input_is_shortened() -> None:
    tool = ReadFileTool(RaisingClient(AssertionError()), source_id=SOURCE_ID)
    result = await tool.arun(path="p", offset="x" * 500)
    assert "x" * 100 not in result.content
    assert "..." in result.content


def test_sync_run_turns_errors_into_messages_too() -> None:
    tool = ProxyApiRequestTool(
        RaisingClient(RateLimitError("slow down", retry_after=1.5)), source_id=SOURCE_ID
    )
    result = tool.run(path="/v1/invoices")
    assert result.is_error
    assert "wait 1.5 seconds" in result.content
