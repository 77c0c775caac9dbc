"""The file proxy endpoints: ``list/{prefix}`` (paginated) and ``get/{path}`` with HTTP ranges.

The prefix and path come from the raw request path, so percent-encoded traversal attempts
(``%2e%2e``, ``%2f``) are seen and refused before any file is touched.
"""

from __future__ import annotations

import re
from email.utils import format_datetime
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .authorize import authorize_source
from .context import SandboxContext
from .file_store import BadPath, FileMissing, check_key
from .responses import ApiError, file_body
from .tokens import Handler

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _raw_tail(request: Request, marker: str) -> str:
    """The checked key after ``/{marker}/`` in the raw (percent-encoded) path, decoded once."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    rest = path.removeprefix("/api/v1/sonar/files/")
    after = rest.partition("/")[2].removeprefix(marker)
    tail = after.removeprefix("/")
    decoded = unquote(tail.encode("latin-1").decode("utf-8"), encoding="utf-8", errors="strict")
    return check_key(decoded, allow_empty=marker == "list")


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(
            422, f"query parameter 'page_size' must be an integer, got {raw!r}"
        ) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(422, f"query parameter 'page_size' must be between 1 and {MAX_PAGE_SIZE}")
    return size


def _recursive(request: Request) -> bool:
    raw = request.query_params.get("recursive", "true").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(422, f"query parameter 'recursive' must be true or false, got {raw!r}")
    return raw in ("true", "1")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a ``Range: bytes=...`` header, None if the range is unsatisfiable.

    Raises ApiError 400 for a malformed header or several ranges.
    """
    spec = header.strip().replace(" ", "")
    if "," in spec:
        raise ApiError(400, "multiple byte ranges are not supported: ask for one range")
    match = _RANGE.match(spec)
    if match is None or match.group(1) == match.group(2) == "":
        raise ApiError(400, f"malformed Range header {header!r}: expected 'bytes=START-END'")
    first, last = match.group(1), match.group(2)
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            return None
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        raise ApiError(400, f"malformed Range header {header!r}: the end is before the start")
    if start >= size:
        return None
    return start, min(int(last) if last else size - 1, size - 1)


def file_endpoints(context: SandboxContext) -> tuple[Handler, Handler]:
    """(list handler, get handler) bound to a context."""

    async def list_files(request: Request) -> JSONResponse:
        source = authorize_source(context, request, kind="files", endpoint="files.list")
        try:
            prefix = _raw_tail(request, "list")
            token = request.query_params.get("page_token") or None
            page = context.resources.files_for(source).list(
                prefix,
                recursive=_recursive(request),
                page_size=_page_size(request),
                page_token=token,
            )
        except BadPath as exc:
            raise ApiError(400, str(exc)) from None
        except UnicodeDecodeError:
            raise ApiError(400, "the prefix is not valid UTF-8 after percent-decoding") from None
        return JSONResponse(
            {
                "files": [info.as_json() for info in page.files],
                "prefixes": page.prefixes,
                "next_page_token": page.next_page_token,
            }
        )

    async def get_file(request: Request) -> Response:
        source = authorize_source(context, request, kind="files", endpoint="files.get")
        try:
            key = _raw_tail(request, "get")
            info = context.resources.files_for(source).info(key)
        except BadPath as exc:
            raise ApiError(400, str(exc)) from None
        except UnicodeDecodeError:
            raise ApiError(400, "the path is not valid UTF-8 after percent-decoding") from None
        except FileMissing as exc:
            raise ApiError(404, str(exc)) from None
        headers = {
            "content-type": info.content_type,
            "etag": info.etag,
            "last-modified": format_datetime(info.last_modified, usegmt=True),
            "accept-ranges": "bytes",
        }
        head = request.method == "HEAD"
        range_header = request.headers.get("range")
        if range_header is None:
            return file_body(info.file, 0, info.size - 1, 200, headers, head=head)
        span = parse_range(range_header, info.size)
        if span is None:
            raise ApiError(
                416,
                f"range {range_header!r} is not satisfiable: the file has {info.size} bytes",
                {"content-range": f"bytes */{info.size}"},
            )
        start, end = span
        headers["content-range"] = f"bytes {start}-{end}/{info.size}"
        return file_body(info.file, start, end, 206, headers, head=head)

    return list_files, get_file
