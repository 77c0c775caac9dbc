"""Where each call goes: the token, proxy and file endpoints, with their path segments encoded."""

from __future__ import annotations

from urllib.parse import quote

from airbyte_embedded_tools._redact import preview
from airbyte_embedded_tools._refuse import refuse

__all__ = [
    "LEGACY_SCOPED_TOKEN_PATH",
    "SCOPED_TOKEN_PATH",
    "TOKEN_PATH",
    "files_get_path",
    "files_list_path",
    "proxy_path",
]

TOKEN_PATH = "/api/v1/account/applications/token"  # noqa: S105 - a URL path
"""The application token, from client credentials (both generations of the API)."""
SCOPED_TOKEN_PATH = "/api/v1/account/applications/scoped-token"  # noqa: S105 - a URL path
"""The scoped token of the current generation of Airbyte's token API."""
LEGACY_SCOPED_TOKEN_PATH = "/api/v1/embedded/scoped-token"  # noqa: S105 - a URL path
"""The scoped token of the older generation, the only one some deployments serve."""


def _segment(value: str, what: str) -> str:
    """One URL path segment, percent-encoded; refuses empty, "." and ".." (httpx folds them)."""
    if not value or value in {".", ".."} or any(c in value for c in "\r\n\x00"):
        raise refuse(f"invalid {what} {preview(value)}")
    return quote(value, safe="")


def _key_path(value: str, what: str) -> str:
    """A file path or prefix as URL path segments: "/" kept, each segment encoded.

    S3 keys may contain any character; "." and ".." segments are refused because httpx
    normalises them away, which would send the request to another endpoint.
    """
    if any(c in value for c in "\r\n\x00"):
        raise refuse(f"control character in {what}")
    if any(part in {".", ".."} for part in value.split("/")):
        raise refuse(f"{what} {preview(value)} has a '.' or '..' segment")
    return quote(value, safe="/")


def proxy_path(source_id: str) -> str:
    """POST target of an API proxy request (Airbyte's documented proxy endpoint)."""
    return f"/api/v1/sonar/apis/{_segment(source_id, 'source id')}/request"


def files_list_path(source_id: str, prefix: str) -> str:
    """GET target listing the files under ``prefix`` (Airbyte's documented file endpoint)."""
    prefix = _key_path(prefix.lstrip("/"), "prefix")
    return f"/api/v1/sonar/files/{_segment(source_id, 'source id')}/list/{prefix}"


def files_get_path(source_id: str, path: str) -> str:
    """GET target reading one file (Airbyte's documented file endpoint)."""
    if not path.strip("/"):
        raise refuse("empty file path")
    key = _key_path(path.lstrip("/"), "path")
    return f"/api/v1/sonar/files/{_segment(source_id, 'source id')}/get/{key}"
