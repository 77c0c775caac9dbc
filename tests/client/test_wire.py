"""Unit tests of ``_wire``: every assumption about Airbyte's wire format, one shape at a time."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools import _wire as wire
from airbyte_embedded_tools._errors import (
    AirbyteEmbeddedError,
    APIStatusError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ServerError,
)

PROXY_URL = "https://api.airbyte.test/api/v1/sonar/apis/src_1/request"
STRIPE_LIST = {"object": "list", "data": [{"id": "in_1"}], "has_more": False, "url": "/v1/invoices"}
STRIPE_404 = {
    "error": {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "message": "No such invoice: 'in_x'",
    }
}


def answer(
    status: int,
    *,
    json_body: Any = None,
    content: bytes = b"",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    request = httpx.Request("POST", PROXY_URL)
    if json_body is not None:
        return httpx.Response(status, json=json_body, headers=headers, request=request)
    return httpx.Response(status, content=content, headers=headers, request=request)


def parse(response: httpx.Response) -> Any:
    return wire.AnswerReader().proxy_response(
        response, method="GET", url="https://api.stripe.com/v1/invoices"
    )


# --- proxy response shapes ----------------------------------------------------------------------


def test_pass_through_keeps_upstream_status_headers_and_body() -> None:
    raw = json.dumps(STRIPE_LIST).encode()
    result = parse(
        answer(
            200, content=raw, headers={"content-type": "application/json", "request-id": "req_9"}
        )
    )
    assert result.status_code == 200
    assert result.content == raw
    assert result.json() == STRIPE_LIST
    assert result.headers["content-type"] == "application/json"
    assert "content-length" not in result.headers
    assert result.url == "https://api.stripe.com/v1/invoices"
    assert result.method == "GET"


def test_response_body_envelope_is_unwrapped() -> None:
    envelope = {
        "status_code": 404,
        "headers": {"content-type": "application/json", "request-id": "req_1"},
        "response_body": json.dumps(STRIPE_404),
    }
    result = parse(answer(200, json_body=envelope))
    assert result.status_code == 404
    assert result.json() == STRIPE_404
    assert result.headers["request-id"] == "req_1"


def test_response_body_envelope_without_status_takes_the_http_status() -> None:
    result = parse(answer(200, json_body={"response_body": json.dumps(STRIPE_LIST)}))
    assert result.status_code == 200
    assert result.json() == STRIPE_LIST


@pytest.mark.parametrize("body", [STRIPE_LIST, json.dumps(STRIPE_LIST)])
def test_body_envelope_with_object_or_string_is_unwrapped(body: Any) -> None:
    envelope = {"status": 201, "headers": [["stripe-version", "2024-06-20"]], "body": body}
    result = parse(answer(200, json_body=envelope))
    assert result.status_code == 201
    assert result.json() == STRIPE_LIST
    assert result.headers["stripe-version"] == "2024-06-20"
    if isinstance(body, dict):
        assert result.headers["content-type"] == "application/json"


def test_an_upstream_object_with_a_body_field_is_not_mistaken_for_an_envelope() -> None:
    upstream = {"id": "note_1", "object": "note", "body": "hello", "status": "open"}
    result = parse(answer(200, json_body=upstream))
    assert result.json() == upstream


def test_non_json_pass_through_body_is_kept_as_bytes() -> None:
    result = parse(
        answer(200, content=b"\x00\x01binary", headers={"content-type": "application/pdf"})
    )
    assert result.content == b"\x00\x01binary"


# --- proxy error vs upstream error --------------------------------------------------------------


def test_stripe_404_is_an_upstream_response_not_an_error() -> None:
    response = answer(404, json_body=STRIPE_404)
    assert not wire.AnswerReader().is_proxy_error(response)
    result = parse(response)
    assert result.status_code == 404
    assert result.json()["error"]["code"] == "resource_missing"


def test_airbyte_404_detail_is_a_proxy_error() -> None:
    response = answer(
        404, json_body={"detail": "source 'src_1' not found"}, headers={"x-request-id": "r1"}
    )
    assert wire.AnswerReader().is_proxy_error(response)
    with pytest.raises(NotFoundError) as info:
        parse(response)
    assert "source 'src_1' not found" in str(info.value)
    assert info.value.request_id == "r1"
    assert info.value.status_code == 404


def test_401_without_a_stripe_error_means_our_token() -> None:
    assert wire.AnswerReader().is_proxy_error(answer(401, content=b"Unauthorized"))
    assert wire.AnswerReader().is_proxy_error(
        answer(401, json_body={"detail": "access token expired"})
    )


def test_401_with_a_stripe_error_is_the_upstream_rejecting_the_connector_key() -> None:
    stripe_401 = {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
    assert not wire.AnswerReader().is_proxy_error(answer(401, json_body=stripe_401))


def test_envelopes_are_never_proxy_errors() -> None:
    envelope = {"status_code": 500, "response_body": "{}"}
    assert not wire.AnswerReader().is_proxy_error(answer(502, json_body=envelope))


def test_stripe_5xx_and_non_json_errors_pass_through() -> None:
    assert not wire.AnswerReader().is_proxy_error(
        answer(500, json_body={"error": {"type": "api_error"}})
    )
    assert not wire.AnswerReader().is_proxy_error(answer(502, content=b"<html>bad gateway</html>"))


# --- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (422, InvalidRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (416, RangeNotSatisfiableError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (409, APIStatusError),
    ],
)
def test_api_error_maps_each_status(status: int, cls: type[APIStatusError]) -> None:
    error = wire.api_error(answer(status, json_body={"detail": "why"}))
    assert type(error) is cls
    assert error.status_code == status
    assert error.body == {"detail": "why"}
    assert "why" in str(error)
    assert "/api/v1/sonar/apis/src_1/request" in str(error)


def test_api_error_reads_fastapi_validation_lists_and_hints_when_no_detail() -> None:
    detail = [{"loc": ["body", "url"], "msg": "field required"}, {"msg": "bad method"}]
    error = wire.api_error(answer(422, json_body={"detail": detail}))
    assert "field required; bad method" in str(error)
    assert "workspace may not use" in str(wire.api_error(answer(403, content=b"")))


def test_rate_limit_error_carries_retry_after_and_range_error_the_size() -> None:
    error = wire.api_error(
        answer(429, json_body={"detail": "slow down"}, headers={"retry-after": "7"})
    )
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    error = wire.api_error(
        answer(416, json_body={"detail": "no"}, headers={"content-range": "bytes */1234"})
    )
    assert isinstance(error, RangeNotSatisfiableError)
    assert error.size == 1234


def test_api_error_message_redacts_an_echoed_secret() -> None:
    error = wire.api_error(
        answer(400, json_body={"detail": "bad key sk_test_abcdef123456 and Bearer abc.def"})
    )
    assert "sk_test_abcdef123456" not in str(error)
    assert "abc.def" not in str(error)


# --- request bodies -----------------------------------------------------------------------------


def test_build_proxy_body_shapes() -> None:
    url = "https://api.stripe.com/v1/invoices?limit=3"
    assert wire.build_proxy_body(method="GET", url=url, headers=None, json=None, data=None) == {
        "method": "GET",
        "url": url,
    }
    body = wire.build_proxy_body(
        method="POST", url=url, headers={"Idempotency-Key": "k"}, json=None, data={"a": 1}
    )
    assert body == {
        "method": "POST",
        "url": url,
        "headers": {"Idempotency-Key": "k"},
        "body": {"a": 1},
    }
    body = wire.build_proxy_body(method="POST", url=url, headers={}, json={"x": [1]}, data=None)
    assert body["body"] == {"x": [1]}
    assert "headers" not in body


def test_token_bodies() -> None:
    assert wire.application_token_body("id", "s") == {"client_id": "id", "client_secret": "s"}
    by_id = wire.scoped_token_request("current", workspace_id="w1", workspace_name=None)
    assert by_id == (wire.LEGACY_SCOPED_TOKEN_PATH, {"workspace_id": "w1"})
    by_name = wire.scoped_token_request("current", workspace_id=None, workspace_name="acme")
    assert by_name == (wire.SCOPED_TOKEN_PATH, {"workspace_name": "acme"})
    legacy = wire.scoped_token_request("legacy", workspace_id=None, workspace_name="acme")
    assert legacy == (wire.LEGACY_SCOPED_TOKEN_PATH, {"workspace_name": "acme"})
    assert wire.SCOPED_TOKEN_PATH == "/api/v1/account/applications/scoped-token"
    assert wire.LEGACY_SCOPED_TOKEN_PATH == "/api/v1/embedded/scoped-token"


def test_only_a_404_of_the_current_scoped_endpoint_means_an_older_deployment() -> None:
    missing = httpx.Response(404, json={"detail": "Not Found"})
    assert wire.lacks_current_generation(wire.SCOPED_TOKEN_PATH, missing)
    assert not wire.lacks_current_generation(wire.LEGACY_SCOPED_TOKEN_PATH, missing)
    assert not wire.lacks_current_generation(wire.SCOPED_TOKEN_PATH, httpx.Response(403))


# --- tokens -------------------------------------------------------------------------------------


def token_answer(payload: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=payload, request=httpx.Request("POST", "https://x/token"))


def test_token_with_expires_in() -> None:
    token, lifetime = wire.parse_token_response(
        token_answer({"access_token": "abc123", "expires_in": 300}),
        kind="application",
        default_lifetime=900,
    )
    assert token.value.get_secret_value() == "abc123"
    assert lifetime == 300
    assert 299 < token.expires_in() <= 300
    assert "abc123" not in repr(token)


def test_scoped_token_without_expiry_assumes_the_documented_lifetime() -> None:
    token, lifetime = wire.parse_token_response(
        token_answer({"token": "scoped1"}),
        kind="scoped",
        default_lifetime=config.SCOPED_TOKEN_LIFETIME,
    )
    assert lifetime == config.SCOPED_TOKEN_LIFETIME == 1200
    assert token.kind == "scoped"
    assert 1190 < token.expires_in() <= 1200


def test_scoped_token_may_come_as_access_token() -> None:
    token, _ = wire.parse_token_response(
        token_answer({"access_token": "scoped2"}), kind="scoped", default_lifetime=1200
    )
    assert token.value.get_secret_value() == "scoped2"


def test_scoped_token_without_expiry_takes_the_given_default() -> None:
    token, lifetime = wire.parse_token_response(
        token_answer({"token": "scoped1"}), kind="scoped", default_lifetime=2.0
    )
    assert lifetime == 2.0
    assert token.expires_in() <= 2.0


def test_jwt_without_expires_in_uses_its_exp_claim() -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": time.time() + 120}).encode()).decode()
    jwt = f"eyJhbGciOiJIUzI1NiJ9.{claims.rstrip('=')}.signature"
    _, lifetime = wire.parse_token_response(
        token_answer({"token": jwt}), kind="scoped", default_lifetime=1200
    )
    assert 100 < lifetime <= 120


def test_token_answer_without_a_token_is_an_authentication_error() -> None:
    with pytest.raises(AuthenticationError):
        wire.parse_token_response(
            token_answer({"token_type": "Bearer"}), kind="application", default_lifetime=900
        )


# --- files --------------------------------------------------------------------------------------


def test_parse_file_list_is_tolerant() -> None:
    page = wire.parse_file_list(
        {
            "files": [
                {
                    "path": "reports/q3.pdf",
                    "size": 12,
                    "last_modified": "2025-01-31T12:00:00Z",
                    "content_type": "application/pdf",
                    "etag": '"e1"',
                    "storage_class": "STANDARD",
                },
                {"key": "raw/a.txt", "size": "5", "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"},
                "bare/path.csv",
            ],
            "prefixes": ["reports/"],
            "next_page_token": "p2",
        }
    )
    entries = page.files
    assert [e.path for e in entries] == ["reports/q3.pdf", "raw/a.txt", "bare/path.csv"]
    assert entries[0].last_modified is not None
    assert entries[0].last_modified.year == 2025
    assert entries[1].size == 5
    assert entries[1].last_modified is not None
    assert entries[0].name == "q3.pdf"
    assert page.folders == ["reports/"]
    assert page.next_page_token == "p2"
    empty = wire.parse_file_list({"files": [], "next_page_token": None})
    assert empty == wire.FileListPage([], [], None)
    assert wire.parse_file_list({"files": [], "next_page_token": ""}).next_page_token is None
    with pytest.raises(AirbyteEmbeddedError):
        wire.parse_file_list(["not", "an", "object"])


def test_folders_of_a_list_answer_are_tolerated_in_several_shapes() -> None:
    page = wire.parse_file_list(
        {"files": [], "prefixes": ["a/", "b", {"prefix": "c/d/"}, {"other": 1}, "", "/", 7]}
    )
    assert page.folders == ["a/", "b/", "c/d/"]
    assert wire.parse_file_list({"files": [], "prefixes": None}).folders == []
    assert wire.parse_file_list({"files": []}).folders == []


def test_content_range_parsing() -> None:
    assert wire.parse_content_range("bytes 0-99/1000") == (0, 99, 1000)
    assert wire.parse_content_range("bytes 5-9/*") == (5, 9, None)
    assert wire.parse_content_range("items 0-1/2") is None
    assert wire.parse_content_range("bytes x-y/z") is None
    assert wire.parse_content_range(None) is None
    assert wire.parse_unsatisfied_range("bytes */4096") == 4096
    assert wire.parse_unsatisfied_range("bytes 0-1/2") is None
    assert wire.range_header(0, 1048575) == "bytes=0-1048575"
    assert wire.range_header(10, None) == "bytes=10-"


def test_file_content_from_206_and_200() -> None:
    request = httpx.Request("GET", "https://x/get/a.bin")
    partial = httpx.Response(
        206,
        content=b"abcd",
        headers={
            "content-range": "bytes 10-13/100",
            "etag": '"e"',
            "content-type": "application/octet-stream",
            "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT",
        },
        request=request,
    )
    got = wire.file_content(partial, path="a.bin", requested_start=10)
    assert (got.start, got.end, got.total_size, got.etag) == (10, 13, 100, '"e"')
    assert got.last_modified is not None
    assert got.last_modified.year == 2015
    assert not got.is_complete
    whole = httpx.Response(200, content=b"hello", request=request)
    got = wire.file_content(whole, path="a.bin", requested_start=0)
    assert (got.start, got.end, got.total_size) == (0, 4, 5)
    assert got.is_complete


def test_paths_are_quoted_and_traversal_refused() -> None:
    assert wire.files_get_path("src 1", "a b/c#d?.txt") == (
        "/api/v1/sonar/files/src%201/get/a%20b/c%23d%3F.txt"
    )
    assert wire.files_list_path("s", "") == "/api/v1/sonar/files/s/list/"
    assert wire.files_list_path("s", "/reports/") == "/api/v1/sonar/files/s/list/reports/"
    assert wire.proxy_path("a/b") == "/api/v1/sonar/apis/a%2Fb/request"
    for bad in ("../secrets", "a/../../b", "./x"):
        with pytest.raises(InvalidRequestError):
            wire.files_get_path("s", bad)
    for bad_id in ("", "..", "a\nb"):
        with pytest.raises(InvalidRequestError):
            wire.proxy_path(bad_id)
