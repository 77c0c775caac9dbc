"""Unit tests (MockTransport) of the request loop: each retry rule, token replay, error mapping."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import FakeAirbyte, body_of

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    IdempotencyConflictError,
    IncompleteReadError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    UpstreamError,
)

MakeClient = Callable[..., AirbyteEmbeddedClient]
INVOICES = "https://api.stripe.com/v1/invoices"
OK_LIST = {"object": "list", "data": [], "has_more": False}
STRIPE_503 = {"error": {"type": "api_error", "message": "Stripe is down"}}


def script(fake: FakeAirbyte, *steps: Any) -> list[httpx.Request]:
    """Make ``fake`` answer API requests with ``steps`` in turn (an exception is raised)."""
    calls: list[httpx.Request] = []
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, Exception):
            raise step
        assert isinstance(step, httpx.Response)
        return step

    fake.handler = handler
    return calls


def ok() -> httpx.Response:
    return httpx.Response(200, json=OK_LIST)


def detail(status: int, text: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": text}, headers=headers)


# --- retry rules --------------------------------------------------------------------------------


async def test_connection_error_is_retried(fake: FakeAirbyte, make_client: MakeClient) -> None:
    calls = script(fake, httpx.ConnectError("refused"), ok())
    response = await make_client().proxy_request("src", "GET", INVOICES)
    assert response.status_code == 200
    assert len(calls) == 2
    assert fake.sleeps == [0.5]


async def test_timeout_is_retried_then_raised_as_api_timeout(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as info:
        await make_client(max_retries=2).proxy_request("src", "GET", INVOICES)
    assert len(calls) == 3
    assert fake.sleeps == [0.5, 1.0]
    assert "timed out" in str(info.value)


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
async def test_transient_airbyte_statuses_are_retried(
    fake: FakeAirbyte, make_client: MakeClient, status: int
) -> None:
    calls = script(fake, detail(status), ok())
    assert (await make_client().proxy_request("src", "GET", INVOICES)).status_code == 200
    assert len(calls) == 2


async def test_429_honours_retry_after_seconds(fake: FakeAirbyte, make_client: MakeClient) -> None:
    calls = script(fake, detail(429, **{"retry-after": "3"}), ok())
    await make_client().proxy_request("src", "GET", INVOICES)
    assert len(calls) == 2
    assert fake.sleeps == [3.0]


async def test_429_honours_retry_after_http_date(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    script(fake, detail(429, **{"retry-after": when}), ok())
    await make_client().list_files("src")
    assert len(fake.sleeps) == 1
    assert 17 <= fake.sleeps[0] <= 20


async def test_retries_exhausted_raise_the_mapped_error_with_request_id(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(503, "maintenance", **{"x-request-id": "req-42"}))
    with pytest.raises(ServerError) as info:
        await make_client(max_retries=3).proxy_request("src", "GET", INVOICES)
    assert len(calls) == 4
    assert info.value.request_id == "req-42"
    assert "maintenance" in str(info.value)
    assert "req-42" in str(info.value)


async def test_deadline_stops_retrying_before_a_long_retry_after(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(429, **{"retry-after": "30"}))
    with pytest.raises(RateLimitError) as info:
        await make_client(retry_deadline=10.0).proxy_request("src", "GET", INVOICES)
    assert len(calls) == 1
    assert fake.sleeps == []
    assert info.value.retry_after == 30.0


async def test_max_retries_zero_means_one_attempt(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(500))
    with pytest.raises(ServerError):
        await make_client(max_retries=0).list_files("src")
    assert len(calls) == 1


async def test_upstream_5xx_is_retried_for_get_and_returned_at_the_end(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, httpx.Response(503, json=STRIPE_503))
    response = await make_client(max_retries=2).proxy_request("src", "GET", INVOICES)
    assert len(calls) == 3
    assert response.status_code == 503
    with pytest.raises(UpstreamError) as info:
        response.raise_for_status()
    assert info.value.upstream_status == 503
    assert "Stripe is down" in str(info.value)


async def test_non_idempotent_upstream_call_without_a_key_is_not_retried(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    """PATCH takes no Idempotency-Key at Stripe: today's rule, no resend."""
    calls = script(fake, httpx.Response(503, json=STRIPE_503), ok())
    response = await make_client().proxy_request("src", "PATCH", INVOICES, data={"customer": "c"})
    assert response.status_code == 503
    assert len(calls) == 1
    assert fake.sleeps == []
    assert "Idempotency-Key" not in json.loads(calls[0].content).get("headers", {})


async def test_a_keyed_post_is_retried_with_the_same_key(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(
        fake, httpx.Response(503, json=STRIPE_503), httpx.RemoteProtocolError("peer closed"), ok()
    )
    response = await make_client().proxy_request("src", "POST", INVOICES, data={"customer": "c"})
    assert response.status_code == 200
    keys = [json.loads(c.content)["headers"]["Idempotency-Key"] for c in calls]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert response.idempotency_key == keys[0]


async def test_non_idempotent_upstream_call_is_retried_with_opt_in(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, httpx.Response(429, json={"error": {"type": "rate_limit"}}), ok())
    response = await make_client().proxy_request(
        "src", "POST", INVOICES, data={"customer": "c"}, retry_non_idempotent=True
    )
    assert response.status_code == 200
    assert len(calls) == 2


async def test_unkeyed_write_after_a_broken_connection_is_not_resent(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, httpx.RemoteProtocolError("peer closed"), ok())
    with pytest.raises(APIConnectionError) as info:
        await make_client().proxy_request("src", "PATCH", INVOICES, data={"a": "1"})
    assert len(calls) == 1
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.write_may_have_happened is True
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


async def test_post_after_connect_failure_or_proxy_429_is_resent(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, httpx.ConnectError("refused"), detail(429), ok())
    response = await make_client().proxy_request("src", "POST", INVOICES, data={"a": "1"})
    assert response.status_code == 200
    assert len(calls) == 3  # neither failure reached Stripe


async def test_proxy_5xx_is_not_resent_for_an_unkeyed_write(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(502, "upstream broke off"), ok())
    with pytest.raises(ServerError) as info:
        await make_client().proxy_request("src", "PATCH", INVOICES, data={"a": "1"})
    assert len(calls) == 1
    assert info.value.write_may_have_happened is True
    assert info.value.idempotency_key is None


async def test_truncated_json_answer_is_retried(fake: FakeAirbyte, make_client: MakeClient) -> None:
    cut = httpx.Response(
        200, content=b'{"object": "list", "da', headers={"content-type": "application/json"}
    )
    calls = script(fake, cut, ok())
    response = await make_client().proxy_request("src", "GET", INVOICES)
    assert response.json() == OK_LIST
    assert len(calls) == 2
    calls = script(fake, cut)
    with pytest.raises(IncompleteReadError):
        await make_client().proxy_request("src", "PATCH", INVOICES, data={"a": "1"})
    assert len(calls) == 1


# --- tokens -------------------------------------------------------------------------------------


async def test_token_is_cached_and_sent_as_bearer(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, ok())
    client = make_client()
    for _ in range(3):
        await client.proxy_request("src", "GET", INVOICES)
    assert fake.token_requests == 1
    assert {c.headers["authorization"] for c in calls} == {"Bearer tok-1-abcdef"}
    assert calls[0].headers["user-agent"].startswith("airbyte-embedded-tools/")


async def test_401_refreshes_the_token_and_replays_once(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(401, "access token expired"), ok())
    response = await make_client().proxy_request("src", "POST", INVOICES, data={"a": "1"})
    assert response.status_code == 200
    assert fake.token_requests == 2
    assert [c.headers["authorization"] for c in calls] == [
        "Bearer tok-1-abcdef",
        "Bearer tok-2-abcdef",
    ]
    assert fake.sleeps == []  # a replay is not a retry


async def test_a_second_401_is_an_authentication_error(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls = script(fake, detail(401, "invalid access token"))
    with pytest.raises(AuthenticationError) as info:
        await make_client().list_files("src")
    assert len(calls) == 2
    assert "tok-" not in str(info.value)


async def test_static_token_cannot_be_refreshed(fake: FakeAirbyte, make_client: MakeClient) -> None:
    calls = script(fake, detail(401, "expired"))
    client = make_client(token="static-token-123456")
    with pytest.raises(AuthenticationError) as info:
        await client.list_files("src")
    assert len(calls) == 1
    assert fake.token_requests == 0
    assert "cannot be refreshed" in str(info.value)
    assert "static-token-123456" not in str(info.value)
    assert calls[0].headers["authorization"] == "Bearer static-token-123456"


async def test_rejected_credentials_raise_a_safe_authentication_error(fake: FakeAirbyte) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert body_of(request)["client_secret"] == "very-secret-value"
        return httpx.Response(401, json={"detail": "invalid client credentials"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AirbyteEmbeddedClient(
        "cid", "very-secret-value", base_url="https://a.test", http_client=http
    )
    with pytest.raises(AuthenticationError) as info:
        await client.get_token()
    assert "AIRBYTE_CLIENT_SECRET" in str(info.value)
    assert "very-secret-value" not in str(info.value) + repr(info.value)


async def test_concurrent_cold_calls_share_one_token_exchange(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    script(fake, ok())
    client = make_client()
    await asyncio.gather(*(client.proxy_request("src", "GET", INVOICES) for _ in range(100)))
    assert fake.token_requests == 1


async def test_scoped_token_exchange_sends_workspace_and_organization(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/account/applications/scoped-token":
            return httpx.Response(200, json={"token": "scoped-abcdef"})
        return ok()

    fake.handler = handler
    client = make_client(workspace_name="acme", organization_id="org-1")
    await asyncio.gather(*(client.list_files("src") for _ in range(20)))
    scoped = [r for r in seen if r.url.path.endswith("scoped-token")]
    assert len(scoped) == 1
    assert fake.token_requests == 1
    assert body_of(scoped[0]) == {"workspace_name": "acme"}
    assert scoped[0].headers["authorization"] == "Bearer tok-1-abcdef"
    assert scoped[0].headers["x-organization-id"] == "org-1"
    listed = [r for r in seen if "/list/" in r.url.path]
    assert {r.headers["authorization"] for r in listed} == {"Bearer scoped-abcdef"}
    assert (await client.get_token()).kind == "scoped"


async def test_token_endpoint_outage_is_retried(fake: FakeAirbyte) -> None:
    answers = [httpx.Response(503, json={"detail": "down"}), None]
    count = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        count[0] += 1
        step = answers.pop(0)
        return step or httpx.Response(200, json={"access_token": "t-abcdef", "expires_in": 60})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))

    async def no_sleep(_: float) -> None:
        return None

    from airbyte_embedded_tools._retry import RetryPolicy

    client = AirbyteEmbeddedClient(
        "cid", "sec-abcdef", base_url="https://a.test", http_client=http,
        retry_policy=RetryPolicy(sleep=no_sleep),
    )  # fmt: skip
    token = await client.get_token()
    assert token.value.get_secret_value() == "t-abcdef"
    assert count[0] == 2


# --- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, InvalidRequestError),
    ],
)
async def test_proxy_errors_raise_their_class_without_retry(
    fake: FakeAirbyte, make_client: MakeClient, status: int, cls: type[APIStatusError]
) -> None:
    calls = script(fake, detail(status, "explained"))
    with pytest.raises(cls) as info:
        await make_client().proxy_request("src", "GET", INVOICES)
    assert len(calls) == 1
    assert info.value.status_code == status
    assert "explained" in str(info.value)


async def test_redirects_are_not_followed(fake: FakeAirbyte, make_client: MakeClient) -> None:
    calls = script(fake, httpx.Response(302, headers={"location": "https://evil.test/steal"}))
    with pytest.raises(APIStatusError) as info:
        await make_client().list_files("src")
    assert len(calls) == 1
    assert info.value.status_code == 302


async def test_connection_error_message_names_no_secret(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    script(fake, httpx.ConnectError("connect failed; Bearer tok-1-abcdef"))
    with pytest.raises(APIConnectionError) as info:
        await make_client(max_retries=0).list_files("src")
    assert "tok-1-abcdef" not in str(info.value)
    assert "/api/v1/sonar/files/src/list/" in str(info.value)


async def test_upstream_404_is_a_response_and_unknown_source_an_error(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    stripe_404 = {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such invoice",
        }
    }
    script(fake, httpx.Response(404, json=stripe_404))
    response = await make_client().proxy_request("src", "GET", INVOICES + "/in_x")
    assert response.status_code == 404
    with pytest.raises(UpstreamError) as info:
        response.raise_for_status()
    assert info.value.upstream_body == stripe_404
    script(fake, detail(404, "source 'nope' not found"))
    with pytest.raises(NotFoundError):
        await make_client().proxy_request("nope", "GET", INVOICES)


# --- whole-file reads, size cap, idempotency conflicts ------------------------------------------


async def test_a_whole_file_shorter_than_the_expected_size_is_retried_never_complete(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    half = httpx.Response(200, content=b"a" * 99, headers={"etag": '"e1"'})
    whole = httpx.Response(200, content=b"a" * 199, headers={"etag": '"e1"'})
    calls = script(fake, half, whole)
    got = await make_client().read_file("src", "f.txt", expected_size=199)
    assert len(calls) == 2
    assert got.is_complete
    assert len(got.content) == 199
    calls = script(fake, half, half, half, half)
    with pytest.raises(IncompleteReadError, match="99 of the 199 bytes expected"):
        await make_client().read_file("src", "f.txt", expected_size=199)
    assert len(calls) == 4


async def test_an_answer_over_the_cap_is_a_typed_error_naming_what_to_do(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    big = {"object": "list", "data": ["x" * 500], "has_more": False}
    script(fake, httpx.Response(200, json=big))
    with pytest.raises(ResponseTooLargeError, match="smaller limit") as info:
        await make_client(max_response_bytes=200).proxy_request("src", "GET", INVOICES)
    assert info.value.limit == 200
    script(fake, httpx.Response(200, json=big))
    answer = await make_client(max_response_bytes=200).proxy_request(
        "src", "GET", INVOICES, max_response_bytes=1 << 20
    )
    assert answer.status_code == 200


async def test_stripes_idempotency_error_is_an_idempotency_conflict(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    error = {"error": {"type": "idempotency_error", "message": "Keys for idempotent requests"}}
    script(fake, httpx.Response(400, json=error))
    answer = await make_client().proxy_request(
        "src", "POST", INVOICES, data={"a": "2"}, idempotency_key="k-9"
    )
    with pytest.raises(IdempotencyConflictError, match="new key") as info:
        answer.raise_for_status()
    assert isinstance(info.value, UpstreamError)
    assert info.value.idempotency_key == "k-9"
    assert info.value.write_may_have_happened is False
