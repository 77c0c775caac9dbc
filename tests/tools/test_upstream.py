"""Unit tests of ``_upstream``: the one URL, method and header rule of client and tools."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airbyte_embedded_tools._config import CONNECTOR_API_BASES
from airbyte_embedded_tools._errors import InvalidRequestError
from airbyte_embedded_tools._upstream import (
    CONNECTOR_RULES,
    check_headers,
    check_method,
    connector_hosts,
    new_idempotency_key,
    refused_model_header,
    upstream_url,
)

STRIPE = frozenset({"api.stripe.com"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/v1/customers", "https://api.stripe.com/v1/customers"),
        ("v1/customers", "https://api.stripe.com/v1/customers"),
        ("/v1/customers?limit=3", "https://api.stripe.com/v1/customers?limit=3"),
        ("https://api.stripe.com/v1/x", "https://api.stripe.com/v1/x"),
        ("https://api.stripe.com//evil.com/x", "https://api.stripe.com/evil.com/x"),
        ("/../..//evil.com/x", "https://api.stripe.com/evil.com/x"),
        ("/v1/%2e%2e/%2E%2E//evil.com", "https://api.stripe.com/evil.com"),
        ("https://api.stripe.com/%2e%2e//evil.com", "https://api.stripe.com/evil.com"),
        ("/@evil.com/x", "https://api.stripe.com/@evil.com/x"),
        ("/v1/a?next=//evil.com", "https://api.stripe.com/v1/a?next=//evil.com"),
    ],
)
def test_paths_resolve_on_the_connector_base_and_never_start_with_two_slashes(
    url: str, expected: str
) -> None:
    assert upstream_url(url, allowed_hosts=STRIPE) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("//evil.com/v1/x", "names a host, not a path"),
        ("///evil.com/v1/x", "names a host, not a path"),
        ("/\\evil.com/x", "backslash"),
        ("https://api.stripe.com\\@evil.com/", "backslash"),
        ("http://api.stripe.com/v1/x", "https://"),
        ("ftp://api.stripe.com/v1/x", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://evil.com/v1/x", "not a connector API host"),
        ("https://api.stripe.com.evil.com/v1/x", "not a connector API host"),
        ("https://api.stripe.com@evil.com/v1/x", "user info"),
        ("https://api.stripe.com:8443/v1/x", "port"),
        ("/v1/x\r\nHost: evil.com", "control character"),
    ],
)
def test_hostile_urls_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        upstream_url(url, allowed_hosts=STRIPE)


def test_params_merge_in_order_and_a_path_needs_a_known_connector() -> None:
    url = upstream_url("/v1/x?a=1", [("b", "2"), ("c[]", "3"), ("c[]", "4")], allowed_hosts=STRIPE)
    assert url == "https://api.stripe.com/v1/x?a=1&b=2&c%5B%5D=3&c%5B%5D=4"
    with pytest.raises(InvalidRequestError, match="unknown connector 'hubspot'"):
        upstream_url("/v1/x", allowed_hosts=STRIPE, connector="hubspot")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="/.%2eE@:?#\\a-zAZ09 ", max_size=40))
def test_no_path_leaves_the_connector_host(path: str) -> None:
    """Whatever a model writes as a path, the URL sent is on the API host, path not ``//``."""
    try:
        url = upstream_url(path, allowed_hosts=STRIPE)
    except InvalidRequestError:
        return
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.hostname == "api.stripe.com"
    assert httpx.URL(url).host == "api.stripe.com"
    assert not parts.path.startswith("//")
    assert "/../" not in parts.path
    assert not parts.path.endswith("/..")


def test_methods_and_headers_the_client_refuses() -> None:
    assert check_method("post") == "POST"
    with pytest.raises(InvalidRequestError, match="unsupported HTTP method"):
        check_method("TRACE")
    assert check_headers({"Stripe-Account": "acct_1"}) == {"Stripe-Account": "acct_1"}
    for name in ("Authorization", "cookie", "Host", "Content-Length"):
        with pytest.raises(InvalidRequestError, match=name):
            check_headers({name: "x"})


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Authorization", "credentials"),
        ("Cookie", "credentials"),
        ("Host", "set by the proxy"),
        ("Stripe-Account", "another account"),
        ("stripe-context", "another account"),
        ("X-HTTP-Method-Override", "method or the route"),
        ("X-Method-Override", "method or the route"),
        ("X-HTTP-Method", "method or the route"),
        ("X-Forwarded-For", "method or the route"),
        ("X-Forwarded-Host", "method or the route"),
        ("Forwarded", "method or the route"),
        ("X-Original-URL", "method or the route"),
        ("X-Rewrite-URL", "method or the route"),
        ("X-Custom", "only these headers may be set: Idempotency-Key, Stripe-Version"),
    ],
)
def test_a_model_may_set_only_the_connector_s_allowed_headers(name: str, fragment: str) -> None:
    reason = refused_model_header(name, "stripe")
    assert reason is not None
    assert fragment in reason
    assert refused_model_header("Stripe-Version", "stripe") is None
    assert refused_model_header(" idempotency-key ", "stripe") is None


def test_every_connector_has_rules_and_hosts() -> None:
    assert set(CONNECTOR_RULES) == set(CONNECTOR_API_BASES)
    assert connector_hosts() == frozenset({"api.stripe.com"})
    assert connector_hosts(["stripe"]) == frozenset({"api.stripe.com"})
    keys = {new_idempotency_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(key) <= 255 for key in keys)


async def test_the_client_accepts_a_path_on_the_connector_api(client: Any, sandbox: Any) -> None:
    """``proxy_request(source_id, "GET", "/v1/customers")`` resolves on https://api.stripe.com."""
    before = len(sandbox.upstream_requests)
    response = await client.proxy_request(
        sandbox.stripe_source_id, "GET", "/v1/customers", params={"limit": 2}
    )
    assert response.status_code == 200
    assert response.url == "https://api.stripe.com/v1/customers?limit=2"
    assert len(response.json()["data"]) == 2
    (sent,) = sandbox.upstream_requests[before:]
    assert (sent.host, sent.path, sent.query) == ("api.stripe.com", "/v1/customers", "limit=2")
