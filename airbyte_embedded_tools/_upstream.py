"""The rules of an upstream request: its URL, method and headers, in one place.

The client checks every proxied call with these before it sends (``upstream_url``,
``check_method``, ``check_headers``); the tools use the same functions, plus the per-connector
allow-list of headers a *model* may set (``refused_model_header``), which is stricter than what
the client's own caller may pass. Paths (``/v1/customers``) resolve on the connector's API base.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ._config import CONNECTOR_API_BASES
from ._redact import clip, preview
from ._refuse import refuse

__all__ = [
    "CONNECTOR_RULES",
    "DEFAULT_CONNECTOR",
    "FORBIDDEN_UPSTREAM_HEADERS",
    "IDEMPOTENCY_HEADER",
    "MAX_UPSTREAM_URL_LENGTH",
    "PROXY_METHODS",
    "READ_METHODS",
    "ConnectorRules",
    "check_headers",
    "check_method",
    "connector_hosts",
    "key_methods",
    "new_idempotency_key",
    "refused_model_header",
    "resolve_idempotency_key",
    "upstream_url",
]

DEFAULT_CONNECTOR = "stripe"
"""The connector a bare path resolves on when the caller names none (the only one today)."""
PROXY_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
READ_METHODS = frozenset({"GET", "HEAD"})
"""Methods that never change upstream data (no approval, no idempotency key)."""
FORBIDDEN_UPSTREAM_HEADERS = frozenset(
    {
        "authorization",  # Airbyte injects the connector's own credentials
        "proxy-authorization",
        "cookie",
        "host",
        "content-length",  # framing is the proxy's business
        "transfer-encoding",
        "connection",
    }
)
"""Headers nobody may send upstream, the client's own caller included."""
MAX_UPSTREAM_URL_LENGTH = 65_536
"""The longest upstream URL ``proxy_request`` sends (httpx's own limit for a URL)."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 §5.6.2 token
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class ConnectorRules:
    """What a model may add to a connector's requests, and where the API takes idempotency keys.

    ``model_headers``: lower-case header names a model may set (everything else is refused for
    it); ``key_methods``: the write methods the API accepts an ``Idempotency-Key`` on.
    """

    model_headers: frozenset[str]
    key_methods: frozenset[str]


CONNECTOR_RULES: dict[str, ConnectorRules] = {
    # https://docs.stripe.com/api/versioning, https://docs.stripe.com/api/idempotent_requests:
    # keys are for POST ("no effect" on GET and DELETE). Stripe-Account and Stripe-Context act
    # for another account, so a model may not set them.
    "stripe": ConnectorRules(
        model_headers=frozenset({"stripe-version", "idempotency-key"}),
        key_methods=frozenset({"POST"}),
    ),
}

_KEYED_METHODS = frozenset(m for rules in CONNECTOR_RULES.values() for m in rules.key_methods)
"""The methods some connector takes an ``Idempotency-Key`` on (a GET needs no key lookup)."""

_ACCOUNT_HEADERS = frozenset({"stripe-account", "stripe-context"})
_ROUTING_HEADERS = frozenset(
    {
        "forwarded",
        "x-original-url",
        "x-rewrite-url",
        "x-original-method",
        "x-http-method",
        "x-real-ip",
        "x-client-ip",
        "true-client-ip",
    }
)


def check_method(method: str) -> str:
    """``method`` upper-cased; ``InvalidRequestError`` for one the proxy does not carry."""
    upper = method.upper() if isinstance(method, str) else ""
    if upper not in PROXY_METHODS:
        raise refuse(
            f"unsupported HTTP method {str(method)[:20]!r} "
            f"(use one of {', '.join(sorted(PROXY_METHODS))})"
        )
    return upper


def check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Upstream headers, refusing invalid names, CR/LF/NUL in values and credential overrides."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _TOKEN_RE.match(name):
            raise refuse(f"invalid header name {str(name)[:40]!r}")
        if name.lower() in FORBIDDEN_UPSTREAM_HEADERS:
            raise refuse(
                f"the {name} header may not be set (Airbyte adds the "
                "connector's credentials itself)"
            )
        if not isinstance(value, str) or any(c in value for c in "\r\n\x00"):
            raise refuse(f"the value of header {name} must be a string without CR, LF or NUL")
        checked[name] = value
    return checked


def refused_model_header(name: str, connector: str) -> str | None:
    """Why a model may not set header ``name`` on ``connector``'s API; ``None`` when it may."""
    lower = name.strip().lower()
    rules = CONNECTOR_RULES.get(connector)
    allowed = rules.model_headers if rules else frozenset()
    if lower in allowed:
        return None
    if lower in {"authorization", "proxy-authorization", "cookie"}:
        return "Airbyte adds the account's credentials itself, so no credential may be sent"
    if lower in FORBIDDEN_UPSTREAM_HEADERS:
        return "it is set by the proxy, not by a caller"
    if lower in _ACCOUNT_HEADERS:
        return "it would act for another account; this tool acts only for the connected one"
    if "method-override" in lower or lower in _ROUTING_HEADERS or lower.startswith("x-forwarded-"):
        return "it would change the method or the route of the request"
    named = ", ".join(sorted(_title(h) for h in allowed)) or "none"
    return f"on the {connector} API only these headers may be set: {named}"


def _title(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


def _decode_dots(url: str) -> str:
    """``%2e`` in the path decoded to ``.`` (the same character, RFC 3986 §6.2.2.2), so that an
    encoded ``..`` segment is resolved here rather than by a server after the check."""
    head, mark, query = url.partition("?")
    if "%2" not in head:
        return url
    return _ENCODED_DOT.sub(".", head) + mark + query


_ENCODED_DOT = re.compile("%2[eE]")


def connector_hosts(connectors: Collection[str] | None = None) -> frozenset[str]:
    """The API hosts of ``connectors`` (all known connectors by default)."""
    names = CONNECTOR_API_BASES if connectors is None else connectors
    return frozenset(httpx.URL(CONNECTOR_API_BASES[name]).host for name in names)


def new_idempotency_key() -> str:
    """A fresh key for one logical write (a UUID4, well under Stripe's 255 characters)."""
    return str(uuid.uuid4())


def key_methods(url: str) -> frozenset[str]:
    """The write methods taking an ``Idempotency-Key`` at the connector API host of ``url``.

    ``url`` is one ``upstream_url`` returned (``https://host/...``, host normalised), so its
    host is read off without parsing it again.
    """
    origin = url.partition("/")[0] + "//" + url.split("/", 3)[2]
    for connector, base in CONNECTOR_API_BASES.items():
        rules = CONNECTOR_RULES.get(connector)
        if rules is not None and base.rstrip("/") == origin:
            return rules.key_methods
    return frozenset()


def resolve_idempotency_key(
    given: str | None, headers: dict[str, str], method: str, url: str
) -> str | None:
    """The call's ``Idempotency-Key``, also set in ``headers`` (one spelling of the name).

    The caller's (argument or header; both must agree), else a fresh one when the connector
    takes keys for ``method``, else None.
    """
    if given is None and not headers and method not in _KEYED_METHODS:
        return None
    in_headers = [name for name in headers if name.lower() == IDEMPOTENCY_HEADER.lower()]
    found = {headers[name] for name in in_headers}
    if given is not None:
        if not isinstance(given, str) or not given.strip() or len(given) > 255:
            raise refuse("idempotency_key must be a non-empty string of at most 255 characters")
        found.add(given)
    if len(found) > 1:
        raise refuse("idempotency_key and the Idempotency-Key header disagree")
    key = next(iter(found), None)
    if key is None and method in key_methods(url):
        key = new_idempotency_key()
    for name in in_headers:
        del headers[name]
    if key is not None:
        headers[IDEMPOTENCY_HEADER] = key
    return key


QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]


def upstream_url(
    url: str,
    params: QueryParams | None = None,
    *,
    allowed_hosts: Collection[str],
    connector: str = DEFAULT_CONNECTOR,
) -> str:
    """The upstream URL to send: ``url`` checked, normalised and merged with ``params``.

    ``url`` is an absolute ``https`` URL on one of ``allowed_hosts`` or a path on ``connector``'s
    API base (``/v1/customers``, or ``v1/customers``). Scheme-relative paths (``//host/...``) are
    refused; the path sent never starts with ``//`` (leading slashes collapse to one, also after
    ``..`` segments), so no later parser can read a host out of it. Raises
    ``InvalidRequestError`` naming the problem; nothing is sent.
    """
    if not isinstance(url, str):
        raise refuse("url must be a string")
    if len(url) > MAX_UPSTREAM_URL_LENGTH:  # refused before parsing (or caching) it
        raise refuse(
            f"the url is too long ({len(url)} characters, at most {MAX_UPSTREAM_URL_LENGTH})"
        )
    hosts = allowed_hosts if isinstance(allowed_hosts, frozenset) else frozenset(allowed_hosts)
    check = _checked_url if len(url) <= _CACHED_URL_LENGTH else _checked_url.__wrapped__
    parsed, origin, path, query = check(url, hosts, connector)
    if params:
        try:
            given = dict(params) if isinstance(params, Mapping) else list(params)
            query = str(parsed.params.merge(given))
        except TypeError as exc:
            raise refuse(f"invalid params ({clip(str(exc), 120)})") from None
    target = origin + path + (f"?{query}" if query else "")
    if len(target) > MAX_UPSTREAM_URL_LENGTH:
        raise refuse(
            f"the url with its params is too long ({len(target)} "
            f"characters, at most {MAX_UPSTREAM_URL_LENGTH})"
        )
    return target


_CACHED_URL_LENGTH = 2048
"""URLs up to this long are cached by ``_checked_url`` (256 of them: at most about a megabyte)."""


@functools.lru_cache(maxsize=256)
def _checked_url(
    url: str, allowed_hosts: frozenset[str], connector: str
) -> tuple[httpx.URL, str, str, str]:
    """``url`` checked and parsed once: (parsed, ``https://host``, path, query).

    Cached: a loop calling the same endpoint parses it once (a refused URL is not cached).
    """
    if any(c in url for c in "\r\n\x00\t"):
        raise refuse("the url contains a control character")
    if "\\" in url:
        raise refuse("the url contains a backslash (parsers disagree on it)")
    base = CONNECTOR_API_BASES.get(connector)
    example = f"{base or next(iter(CONNECTOR_API_BASES.values()))}/v1/..."
    if not _SCHEME_RE.match(url):
        if url.startswith("//"):
            raise refuse(
                f"{preview(url)} names a host, not a path; give a path "
                f"such as /v1/customers or a full URL (e.g. {example})"
            )
        if base is None:
            raise refuse(f"unknown connector {connector!r} for the path {preview(url)}")
        url = f"{base}/{url.lstrip('/')}"
    url = _decode_dots(url)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise refuse(f"invalid url ({clip(str(exc), 120)})") from None
    if parsed.scheme != "https" or not parsed.host:
        raise refuse(
            "the url must be a path or an absolute https:// URL of the "
            f"connector's API (e.g. {example})"
        )
    if parsed.userinfo:
        raise refuse("the url must not contain user info ('user@host')")
    if parsed.host not in allowed_hosts:
        raise refuse(
            f"host {preview(parsed.host)} is not a connector API host "
            f"(allowed: {', '.join(sorted(allowed_hosts))})"
        )
    if parsed.port not in (None, 443):
        raise refuse(f"port {parsed.port} is not allowed")
    # Rebuilt from the parsed parts (one parse, no fragment), so the URL sent is the one
    # checked: httpx normalised it (IDNA host, percent-encoding, dot segments, default port).
    path, _, query = parsed.raw_path.decode("ascii").partition("?")
    host = parsed.raw_host.decode("ascii")
    host = f"[{host}]" if ":" in host else host
    return parsed, f"https://{host}", "/" + path.lstrip("/"), query
