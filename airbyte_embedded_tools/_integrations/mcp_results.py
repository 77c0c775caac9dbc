"""Structured results of the MCP tools: one output model per tool and the ``structuredContent``.

A tool's text is written for a model; its ``structuredContent`` is the same answer for a
program: whether it worked, the records (or file text), and exactly what continues the read
(``continue_with`` params for an API list, ``next_offset``/``next_page`` for a file). It is
built from the neutral tool's artifact and kept within the same character budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airbyte_embedded_tools.tools import ApiResponse, FileListing, FileText, ToolResult
from airbyte_embedded_tools.tools.guard import compact, dumps, project

__all__ = [
    "ApiRequestOutput",
    "FilesListOutput",
    "FilesReadOutput",
    "ToolOutput",
    "structured_content",
]

Status = Literal["ok", "error"]


class ToolOutput(BaseModel):
    """What every tool's structured result has: ``status``, and the error text on failure."""

    model_config = ConfigDict(extra="forbid")

    status: Status = Field(description="'ok', or 'error' (then `error` says what to change).")
    error: str | None = Field(default=None, description="The error message, when status is error.")


class ApiRequestOutput(ToolOutput):
    """``apis_make_request``: the upstream status, the records or body, and how to continue."""

    http_status: int | None = Field(default=None, description="The API's HTTP status.")
    method: str | None = None
    url: str | None = Field(default=None, description="The upstream URL that was requested.")
    records: list[Any] | None = Field(
        default=None, description="For a list answer: its records (only `fields`, when given)."
    )
    body: Any = Field(default=None, description="For any other answer: the body.")
    has_more: bool | None = Field(default=None, description="The API says more records exist.")
    truncated: bool = Field(
        default=False, description="Records or body were left out to stay within the budget."
    )
    continue_with: dict[str, str] | None = Field(
        default=None,
        description=(
            "The cursor params that fetch the records that follow: call again with the same "
            "arguments and these in `params` (in place of any cursor given before)."
        ),
    )


class FileEntryOutput(BaseModel):
    """One listed file."""

    path: str
    size: int | None = None
    last_modified: str | None = None
    content_type: str | None = None


class FilesListOutput(ToolOutput):
    """``files_list``: the files and folders under the prefix."""

    prefix: str | None = None
    recursive: bool | None = None
    files: list[FileEntryOutput] | None = None
    folders: list[str] | None = Field(
        default=None, description="Sub-folders directly under the prefix (recursive=false)."
    )
    has_more: bool | None = Field(
        default=None, description="More files exist: narrow the prefix or raise the limit."
    )
    truncated: bool = Field(
        default=False, description="Entries were left out to stay within the budget."
    )


class FilesReadOutput(ToolOutput):
    """``files_read``: the text read and where the next part starts."""

    path: str | None = None
    format: str | None = None
    content_type: str | None = None
    text: str | None = Field(default=None, description="The text of the part read.")
    total_size: int | None = Field(default=None, description="The file's size in bytes.")
    start: int | None = Field(default=None, description="First byte read (text formats).")
    end: int | None = Field(default=None, description="Last byte read, inclusive.")
    next_offset: int | None = Field(
        default=None, description="Pass as `offset` to read on; absent at the end."
    )
    first_page: int | None = Field(default=None, description="First PDF page read (1-based).")
    last_page: int | None = None
    page_count: int | None = None
    next_page: int | None = Field(
        default=None, description="Pass as `page` to read on; absent at the last page."
    )


def structured_content(
    output: type[ToolOutput], result: ToolResult, arguments: Mapping[str, Any], max_chars: int
) -> dict[str, Any]:
    """The ``structuredContent`` of one call: ``output``'s fields from the neutral result."""
    artifact = result.artifact
    base: dict[str, Any] = {"status": "error" if result.is_error else "ok"}
    if result.is_error:
        base["error"] = result.content
    if isinstance(artifact, ApiResponse):
        base.update(_api(artifact, arguments, max_chars, with_data=not result.is_error))
    elif isinstance(artifact, FileListing):
        base.update(_listing(artifact, max_chars))
    elif isinstance(artifact, FileText):
        base.update(artifact.model_dump(exclude={"source"}, exclude_none=True))
    return output.model_validate(base).model_dump(mode="json", exclude_none=True)


def _api(
    response: ApiResponse, arguments: Mapping[str, Any], max_chars: int, *, with_data: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "http_status": response.status_code,
        "method": response.method,
        "url": response.url,
    }
    data = response.data
    if not with_data or data is None:
        return out
    fields = [str(f) for f in arguments.get("fields") or []]
    raw = bool(arguments.get("raw"))
    if isinstance(data, list):
        data = {"data": data}
    if isinstance(data, dict) and isinstance(data.get("data"), list) and not raw:
        records, cut = _within([compact(project(r, fields)) for r in data["data"]], max_chars)
        out.update(records=records, truncated=cut, has_more=data.get("has_more"))
        out["continue_with"] = _continuation(data, records, cut, arguments)
        return out
    body = data if raw else compact(project(data, fields))
    if len(dumps(body)) > max_chars:
        out["truncated"] = True  # too big for the budget: ask for fewer fields
        return out
    out["body"] = body
    return out


def _within(items: list[Any], max_chars: int) -> tuple[list[Any], bool]:
    """The leading items whose JSON fits in ``max_chars`` (at least one); whether some were cut."""
    used = 0
    for count, item in enumerate(items):
        used += len(dumps(item)) + 1
        if used > max_chars and count > 0:
            return items[:count], True
    return items, False


def _continuation(
    data: dict[str, Any], records: list[Any], cut: bool, arguments: Mapping[str, Any]
) -> dict[str, str] | None:
    """The params that fetch what follows the records given (Stripe's cursors), or None."""
    if not records or not (cut or data.get("has_more") is True):
        return None
    if data.get("object") == "search_result":
        page = data.get("next_page")
        return {"page": str(page)} if page and not cut else None
    params = arguments.get("params") if isinstance(arguments.get("params"), dict) else {}
    backwards = "ending_before" in (params or {}) and not cut
    record = records[0] if backwards else records[-1]
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        return None
    return {"ending_before" if backwards else "starting_after": record["id"]}


def _listing(listing: FileListing, max_chars: int) -> dict[str, Any]:
    entries = [
        FileEntryOutput(
            path=e.path,
            size=e.size,
            last_modified=e.last_modified.isoformat().replace("+00:00", "Z")
            if e.last_modified
            else None,
            content_type=e.content_type,
        ).model_dump(exclude_none=True)
        for e in listing.entries
    ]
    files, cut = _within(entries, max_chars)
    return {
        "prefix": listing.prefix,
        "recursive": listing.recursive,
        "files": files,
        "folders": listing.folders,
        "has_more": listing.has_more,
        "truncated": cut,
    }
