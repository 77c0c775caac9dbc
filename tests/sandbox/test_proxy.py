"""The API proxy over HTTP: forwarding, host checks, key injection, encodings, envelopes, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sandbox_helpers import bearer_for, proxy_path

from airbyte_embedded_tools.sandbox import Sandbox

STRIPE = "https://api.stripe.com"


def call(http: httpx.Client, sb: Sandbox, auth: dict[str, str], **body: Any) -> httpx.Response:
    """POST a proxy request for the demo Stripe source."""
    return http.post(proxy_path(sb.stripe_source_id), json=body, headers=auth)


def test_forwards_to_stripe_and_passes_the_answer_through(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = call(api, sandbox, auth, method="GET", url=f"{STRIPE}/v1/invoices?limit=3")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["request-id"].startswith("req_")
    body = response.json()
    assert body["object"] == "list"
    assert body["url"] == "/v1/invoices"
    assert len(body["data"]) == 3
    assert body["has_more"] is True
    assert all(item["id"].startswith("in_") for item in body["data"])


def test_upstream_404_passes_through_unlike_proxy_404(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    upstream = call(api, sandbox, auth, method="GET", url=f"{STRIPE}/v1/invoices/in_missing")
    assert upstream.status_code == 404
    error = upstream.json()["error"]
    assert error["code"] == "resource_missing"
    assert error["type"] == "invalid_request_error"
    assert "detail" not in upstream.json()
    unknown = api.post(
        proxy_path("00000000-0000-0000-0000-000000000000"),
        json={"method": "GET", "url": f"{STRIPE}/v1/invoices"},
        headers=auth,
    )
    assert unknown.status_code == 404
    assert "source" in unknown.json()["detail"]
    assert "error" not in unknown.json()


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("https://evil.example.com/v1/invoices", 403, "not allowed"),
        ("https://api.stripe.com@evil.example.com/v1/invoices", 400, "user info"),
        ("https://user:pw@api.stripe.com/v1/invoices", 400, "user info"),
        ("https://api.stripe.com.evil.example.com/v1/x", 403, "not allowed"),
        ("https://evil.example.com#@api.stripe.com/v1/x", 403, "not allowed"),
        ("https://evil.example.com\\@api.stripe.com/v1/x", 400, "backslash"),
        ("http://api.stripe.com/v1/invoices", 400, "https"),
        ("ftp://api.stripe.com/v1/invoices", 400, "https"),
        ("https://api.stripe.com:8443/v1/invoices", 400, "port"),
        ("/v1/invoices", 400, "https"),
        ("https://api.stripe.com/v1/invoices\r\nX-Injected: 1", 400, "control"),
        ("https://[::1/v1", 400, "not a valid URL"),
    ],
)
def test_refuses_urls_off_the_connector_host(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], url: str, status: int, needle: str
) -> None:
    before = len(sandbox.upstream_requests)
    response = call(api, sandbox, auth, method="GET", url=url)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    assert len(sandbox.upstream_requests) == before


def test_host_check_is_case_insensitive(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = call(api, sandbox, auth, method="get", url="HTTPS://API.Stripe.COM:443/v1/products")
    assert response.status_code == 200
    assert response.json()["url"] == "/v1/products"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"url": f"{STRIPE}/v1/invoices"}, "'method'"),
        ({"method": "GET"}, "'url'"),
        ({"method": 1, "url": f"{STRIPE}/v1/invoices"}, "'method'"),
        ({"method": "FETCH", "url": f"{STRIPE}/v1/invoices"}, "'method'"),
        ({"method": "GET", "url": 5}, "'url'"),
        ({"method": "GET", "url": f"{STRIPE}/v1/x", "headers": ["a"]}, "'headers'"),
        ({"method": "GET", "url": f"{STRIPE}/v1/x", "headers": {"a": 1}}, "'headers'"),
        ({"method": "GET", "url": f"{STRIPE}/v1/x", "headers": {"a b": "1"}}, "header name"),
        ({"method": "GET", "url": f"{STRIPE}/v1/x", "headers": {"a": "1\r\nb: 2"}}, "CR"),
        ({"method": "POST", "url": f"{STRIPE}/v1/customers", "body": [1, 2]}, "'body'"),
    ],
)
def test_malformed_proxy_body_is_422(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], body: dict[str, Any], needle: str
) -> None:
    response = api.post(proxy_path(sandbox.stripe_source_id), json=body, headers=auth)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_non_json_proxy_body_is_422(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = api.post(
        proxy_path(sandbox.stripe_source_id),
        content=b"method=GET",
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_file_source_is_not_an_api_source(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = api.post(
        proxy_path(sandbox.file_source_id),
        json={"method": "GET", "url": f"{STRIPE}/v1/invoices"},
        headers=auth,
    )
    assert response.status_code == 400
    assert "file source" in response.json()["detail"]


def test_injects_the_key_drops_callers_authorization_and_masks_the_log(
    fresh_sandbox: Sandbox,
) -> None:
    sb = fresh_sandbox
    with httpx.Client(base_url=sb.base_url) as http:
        auth = bearer_for(sb, http)
        response = call(
            http,
            sb,
            auth,
            method="GET",
            url=f"{STRIPE}/v1/customers?limit=2&email=billing%40globex.example.com",
            headers={"Authorization": "Bearer sk_live_attacker", "Stripe-Version": "2024-06-20"},
        )
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["data"]] == ["Globex"]
    (record,) = sb.upstream_requests
    assert record.method == "GET"
    assert record.host == "api.stripe.com"
    assert record.path == "/v1/customers"
    assert record.query == "limit=2&email=billing%40globex.example.com"
    assert record.headers["authorization"] == "Bearer ***"
    assert record.headers["Stripe-Version"] == "2024-06-20"
    assert sb.stripe_secret_key not in repr(sb.upstream_requests)
    assert "sk_live_attacker" not in repr(sb.upstream_requests)
    assert sb.stripe_secret_key not in response.text
    sb.reset_log()
    assert sb.upstream_requests == []


def test_object_body_is_form_encoded_for_stripe(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    payload = {
        "name": "Jenny Rosen",
        "email": "jenny@example.com",
        "metadata": {"plan": "pro", "seats": 5, "vip": True},
        "preferred_locales": ["en", "fr"],
    }
    with httpx.Client(base_url=sb.base_url) as http:
        auth = bearer_for(sb, http)
        created = call(http, sb, auth, method="POST", url=f"{STRIPE}/v1/customers", body=payload)
        assert created.status_code == 200, created.text
        customer = created.json()
        assert customer["id"].startswith("cus_")
        assert customer["metadata"] == {"plan": "pro", "seats": "5", "vip": "true"}
        assert customer["preferred_locales"] == ["en", "fr"]
        fetched = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/customers/{customer['id']}")
        assert fetched.json()["email"] == "jenny@example.com"
        newest = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/customers?limit=1")
        assert newest.json()["data"][0]["id"] == customer["id"]
    record = sb.upstream_requests[0]
    assert record.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "metadata%5Bplan%5D=pro" in record.body
    assert "preferred_locales%5B1%5D=fr" in record.body


def test_json_string_body_reaches_stripe_and_is_refused(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = call(
        api,
        sandbox,
        auth,
        method="POST",
        url=f"{STRIPE}/v1/customers",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "x"}),
    )
    assert response.status_code == 400
    assert "form-encoded" in response.json()["error"]["message"]


def test_object_body_of_a_get_becomes_the_query(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with httpx.Client(base_url=sb.base_url) as http:
        response = call(
            http,
            sb,
            bearer_for(sb, http),
            method="GET",
            url=f"{STRIPE}/v1/invoices?limit=5",
            body={"status": "open", "created": {"gte": 0}},
        )
    assert response.status_code == 200
    assert {inv["status"] for inv in response.json()["data"]} == {"open"}
    assert sb.upstream_requests[0].query == "limit=5&status=open&created%5Bgte%5D=0"


def test_upstream_errors_pass_through(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    bad_limit = call(api, sandbox, auth, method="GET", url=f"{STRIPE}/v1/invoices?limit=1000")
    assert bad_limit.status_code == 400
    assert bad_limit.json()["error"]["param"] == "limit"
    unknown_route = call(api, sandbox, auth, method="GET", url=f"{STRIPE}/v1/unicorns")
    assert unknown_route.status_code == 404
    assert "Unrecognized request URL" in unknown_route.json()["error"]["message"]


def test_revoked_key_gives_upstream_401(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.revoke_stripe_key()
    with httpx.Client(base_url=sb.base_url) as http:
        response = call(http, sb, bearer_for(sb, http), method="GET", url=f"{STRIPE}/v1/invoices")
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided")
    assert sb.stripe_secret_key not in message


def test_envelope_response_body() -> None:
    with (
        Sandbox(envelope="response_body", large_file_size=0) as sb,
        httpx.Client(base_url=sb.base_url) as http,
    ):
        auth = bearer_for(sb, http)
        ok = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/products?limit=2")
        missing = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/products/prod_nope")
    assert ok.status_code == 200
    envelope = ok.json()
    assert envelope["status_code"] == 200
    assert isinstance(envelope["response_body"], str)
    assert json.loads(envelope["response_body"])["object"] == "list"
    assert envelope["headers"]["content-type"].startswith("application/json")
    assert missing.status_code == 200
    assert missing.json()["status_code"] == 404
    assert "resource_missing" in missing.json()["response_body"]


def test_envelope_body() -> None:
    with (
        Sandbox(envelope="body", large_file_size=0) as sb,
        httpx.Client(base_url=sb.base_url) as http,
    ):
        auth = bearer_for(sb, http)
        ok = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/products?limit=2")
        missing = call(http, sb, auth, method="GET", url=f"{STRIPE}/v1/products/prod_nope")
    assert ok.status_code == 200
    assert ok.json()["status"] == 200
    assert ok.json()["body"]["object"] == "list"
    assert "request-id" in ok.json()["headers"]
    assert missing.json()["status"] == 404
    assert missing.json()["body"]["error"]["code"] == "resource_missing"


def test_bad_envelope_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="envelope"):
        Sandbox(envelope="wrapped")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing", 404), ("GET", "/api/v1/account/applications/token", 405)],
)
def test_unknown_routes_answer_json(api: httpx.Client, method: str, path: str, status: int) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert path in response.json()["detail"]
