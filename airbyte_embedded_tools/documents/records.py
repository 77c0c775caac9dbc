"""API responses to records: extraction at a dotted path, readable text, and pluggable pagination.

Stripe's ``has_more`` + ``starting_after`` is built in; next-URL-in-body, ``Link`` header and
offset/limit paginators cover other connectors. Every page is a GET through the proxy.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urljoin

from airbyte_embedded_tools._config import CONNECTOR_API_BASES
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._redact import get_logger

from .errors import ParseError

if TYPE_CHECKING:
    from airbyte_embedded_tools._client import AirbyteEmbeddedClient
    from airbyte_embedded_tools._models import ProxyResponse

__all__ = [
    "LinkHeaderPaginator",
    "NextUrlPaginator",
    "OffsetPaginator",
    "PageRequest",
    "Paginator",
    "SinglePage",
    "StripePaginator",
    "api_url",
    "canonical_json",
    "extract_records",
    "flatten_record",
    "get_path",
    "iter_api_records",
    "next_link",
    "record_id_of",
    "render_record",
]

logger = get_logger(__name__)

DEFAULT_MAX_VALUE_CHARS = 500
"""Longer values are cut to this many characters when a record is rendered as text."""

_MISSING = object()


def get_path(value: Any, path: str | None, default: Any = None) -> Any:
    """The value at a dotted path (``"data"``, ``"paging.next"``, ``"items.0.id"``) or default."""
    if not path:
        return value
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return default
    return value


def extract_records(body: Any, record_path: str | None = "data") -> list[Any]:
    """The records of a response body: the list at ``record_path`` (None: the body itself).

    A single object there is one record. Raises ``ParseError`` when the path is missing.
    """
    found = get_path(body, record_path, _MISSING)
    if found is _MISSING:
        raise ParseError(
            f"the response has no {record_path!r} field to take records from; "
            "set record_path (None for the whole body)"
        )
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


def flatten_record(
    record: Any, *, max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS
) -> dict[str, str]:
    """A record as ``{dotted key: text}``; empty values dropped, long ones cut.

    Nested objects give dotted keys, lists of scalars are joined with ``, ``, lists of objects
    are indexed (``lines.data.0.amount``).
    """
    out: dict[str, str] = {}
    _flatten(record, "", out, max_value_chars)
    return out


def _flatten(value: Any, key: str, out: dict[str, str], limit: int | None) -> None:
    kind = type(value)
    if kind is dict or (kind not in _LEAVES and isinstance(value, Mapping)):
        for name, item in value.items():
            sub = f"{key}.{name}" if key else str(name)
            if type(item) in _LEAVES:  # the common case, without a call per value
                text = _scalar_text(item)
                if text:
                    short = limit is None or len(text) <= limit
                    out[sub or "value"] = text if short else _trim(text, limit)
            else:
                _flatten(item, sub, out, limit)
    elif kind is list or (kind not in _LEAVES and isinstance(value, list)):
        if all(type(item) in _LEAVES or not isinstance(item, (Mapping, list)) for item in value):
            joined = ", ".join(text for text in map(_scalar_text, value) if text)
            if joined:
                out[key or "value"] = _trim(joined, limit)
        else:
            for index, item in enumerate(value):
                _flatten(item, f"{key}.{index}" if key else str(index), out, limit)
    else:
        text = _scalar_text(value)
        if text:
            out[key or "value"] = _trim(text, limit)


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Exact types of JSON scalars: recognised without an instance check against the ABCs."""


def _scalar_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return " ".join(value.split())
    if value is None:
        return ""
    if kind is int or kind is float:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return " ".join(value.split())
    return str(value)


def _trim(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def render_record(record: Any, *, max_value_chars: int | None = DEFAULT_MAX_VALUE_CHARS) -> str:
    """A record as readable text: one ``key: value`` line per flattened field."""
    flat = flatten_record(record, max_value_chars=max_value_chars)
    return "\n".join(f"{key}: {text}" for key, text in flat.items())


def api_url(path: str, connector: str = "stripe") -> str:
    """The upstream URL for ``path``: relative paths join the connector's API base URL."""
    if path.startswith(("https://", "http://")):
        return path
    base = CONNECTOR_API_BASES.get(connector)
    if base is None:
        known = ", ".join(sorted(CONNECTOR_API_BASES))
        raise ConfigurationError(f"unknown API connector {connector!r}: the proxy supports {known}")
    return base.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: the URL and its query parameters."""

    url: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def full_url(self) -> str:
        """The URL with the query parameters appended."""
        if not self.params:
            return self.url
        sep = "&" if "?" in self.url else "?"
        return self.url + sep + urlencode(dict(self.params), doseq=True)


class Paginator(Protocol):
    """How an API pages: the first request, then the next one from the last page (None: done)."""

    def first(self, request: PageRequest) -> PageRequest:
        """The first page's request (e.g. with the page size added)."""
        ...

    def next(
        self,
        request: PageRequest,
        response: ProxyResponse,
        body: Any,
        records: Sequence[Any],
    ) -> PageRequest | None:
        """The request for the page after ``response``, or None when it was the last."""
        ...


@dataclass(frozen=True)
class StripePaginator:
    """Stripe lists: ``limit`` per page; while ``has_more``, ``starting_after`` = the last id."""

    limit: int = 100
    id_key: str = "id"

    def first(self, request: PageRequest) -> PageRequest:
        return PageRequest(request.url, {"limit": self.limit, **request.params})

    def next(
        self, request: PageRequest, response: ProxyResponse, body: Any, records: Sequence[Any]
    ) -> PageRequest | None:
        if not get_path(body, "has_more") or not records:
            return None
        last_id = get_path(records[-1], self.id_key)
        if last_id is None:
            raise ParseError(f"has_more is set but the last record has no {self.id_key!r}")
        return PageRequest(request.url, {**request.params, "starting_after": last_id})


@dataclass(frozen=True)
class SinglePage:
    """No pagination: one request as given (e.g. retrieving one object with record_path=None)."""

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(
        self, request: PageRequest, response: ProxyResponse, body: Any, records: Sequence[Any]
    ) -> PageRequest | None:
        return None


@dataclass(frozen=True)
class NextUrlPaginator:
    """The next page's URL is in the body at a dotted key (relative URLs are resolved)."""

    next_key: str = "next"

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(
        self, request: PageRequest, response: ProxyResponse, body: Any, records: Sequence[Any]
    ) -> PageRequest | None:
        link = get_path(body, self.next_key)
        if not link or not isinstance(link, str):
            return None
        return PageRequest(urljoin(request.full_url, link))


_LINK_RE = re.compile(r'<([^>]*)>((?:\s*;\s*(?:[^;,"]|"[^"]*")+)*)')
_REL_RE = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def next_link(header: str) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header, or None."""
    for match in _LINK_RE.finditer(header):
        rel = _REL_RE.search(match.group(2) or "")
        if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
            return match.group(1).strip()
    return None


@dataclass(frozen=True)
class LinkHeaderPaginator:
    """The next page is the ``Link`` header's ``rel="next"`` URL (GitHub style, RFC 8288)."""

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(
        self, request: PageRequest, response: ProxyResponse, body: Any, records: Sequence[Any]
    ) -> PageRequest | None:
        header = response.headers.get("link")
        link = next_link(header) if header else None
        return PageRequest(urljoin(request.full_url, link)) if link else None


@dataclass(frozen=True)
class OffsetPaginator:
    """``offset``/``limit`` query parameters; a page shorter than ``limit`` is the last."""

    limit: int = 100
    offset_param: str = "offset"
    limit_param: str = "limit"
    start: int = 0

    def first(self, request: PageRequest) -> PageRequest:
        params = {**request.params, self.offset_param: self.start, self.limit_param: self.limit}
        return PageRequest(request.url, params)

    def next(
        self, request: PageRequest, response: ProxyResponse, body: Any, records: Sequence[Any]
    ) -> PageRequest | None:
        if len(records) < self.limit:
            return None
        offset = int(request.params.get(self.offset_param, self.start)) + len(records)
        return PageRequest(request.url, {**request.params, self.offset_param: offset})


async def iter_api_records(
    client: AirbyteEmbeddedClient,
    source_id: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    record_path: str | None = "data",
    paginator: Paginator | None = None,
    max_records: int | None = None,
) -> AsyncIterator[Any]:
    """Every record of a paginated API listing, page by page (GET through the proxy).

    Raises ``UpstreamError`` when a page answers 4xx/5xx and ``ParseError`` when it is not JSON.
    A paginator that asks for a page already fetched ends the walk (with a warning).
    """
    paginator = paginator if paginator is not None else StripePaginator()
    request: PageRequest | None = paginator.first(PageRequest(url, dict(params or {})))
    seen: set[str] = set()
    count = 0
    while request is not None:
        if max_records is not None and count >= max_records:
            return
        if request.full_url in seen:
            logger.warning("pagination loops back to %s: stopping", request.full_url)
            return
        seen.add(request.full_url)
        response = await client.proxy_request(
            source_id, "GET", request.url, params=dict(request.params) or None
        )
        response.raise_for_status()
        try:
            body = response.json()
        except ValueError as exc:
            raise ParseError(f"{request.full_url} did not answer JSON: {exc}") from None
        records = extract_records(body, record_path)
        for record in records:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield record
        request = paginator.next(request, response, body, records)


def record_id_of(record: Any) -> str | None:
    """The record's ``id`` field as text, when it has one."""
    value = get_path(record, "id")
    return None if value is None or isinstance(value, (Mapping, list)) else str(value)


def canonical_json(value: Any) -> str:
    """Deterministic JSON of a record (sorted keys), for hashing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
