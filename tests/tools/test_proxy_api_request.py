"""ProxyApiRequestTool against the sandbox: reads, the guard, writes and approvals, refusals."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._models import ProxyResponse
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import (
    ApiResponse,
    ProxyApiRequestInput,
    ProxyApiRequestTool,
    ToolResult,
    WriteRequest,
    guard,
    proxy_api_request,
)
from airbyte_embedded_tools.tools.messages import ToolError
from airbyte_embedded_tools.tools.proxy_api_request import build_url

HINT = re.compile(r'params\.starting_after="([^"]+)"')


@pytest.fixture
async def proxy(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> ProxyApiRequestTool:
    return ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id)


@pytest.fixture
async def fresh_client(
    fresh_sandbox: Sandbox, new_client: Callable[[Sandbox], AirbyteEmbeddedClient]
) -> AsyncIterator[AirbyteEmbeddedClient]:
    async with new_client(fresh_sandbox) as client:
        yield client


def records_of(result: ToolResult) -> list[dict[str, Any]]:
    """The JSON records of a list answer (one per line, after the 'data:' line)."""
    lines = result.content.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("data: ")) + 1
    return [json.loads(line) for line in lines[start:] if line.startswith("{")]


async def all_invoice_ids(client: AirbyteEmbeddedClient, source_id: str) -> list[str]:
    """Every invoice id, paged straight through the client (the reference for the tool)."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = (
            await client.proxy_request(
                source_id, "GET", "https://api.stripe.com/v1/invoices", params=params
            )
        ).json()
        ids += [inv["id"] for inv in page["data"]]
        if not page["has_more"]:
            return ids
        params["starting_after"] = ids[-1]


async def test_get_lists_invoices_compactly(proxy: ProxyApiRequestTool) -> None:
    result = await proxy.arun(path="/v1/invoices", params={"limit": 5})
    assert not result.is_error
    head = result.content.split("\n")
    assert head[0] == "HTTP 200 GET /v1/invoices?limit=5"
    assert json.loads(head[1]) == {"object": "list", "has_more": True, "url": "/v1/invoices"}
    records = records_of(result)
    assert len(records) == 5
    assert all(rec["id"].startswith("in_") for rec in records)
    assert all(value not in (None, [], {}) for rec in records for value in rec.values())
    assert f'params.starting_after="{records[-1]["id"]}"' in result.content
    assert isinstance(result.artifact, ApiResponse)
    assert result.artifact.status_code == 200
    assert [inv["id"] for inv in result.artifact.data["data"]] == [r["id"] for r in records]


async def test_fields_keep_only_what_was_asked(proxy: ProxyApiRequestTool) -> None:
    result = await proxy.arun(
        path="/v1/invoices", params={"limit": 3}, fields=["amount_due", "lines.data.amount"]
    )
    for record in records_of(result):
        assert set(record) <= {"id", "amount_due", "lines"}
        assert all(set(line) == {"amount"} for line in record["lines"]["data"])


async def test_single_object_and_full_url(proxy: ProxyApiRequestTool) -> None:
    first = records_of(await proxy.arun(path="/v1/customers", params={"limit": 1}))[0]
    result = await proxy.arun(path=f"https://api.stripe.com/v1/customers/{first['id']}")
    assert result.content.startswith(f"HTTP 200 GET /v1/customers/{first['id']}\n")
    assert json.loads(result.content.split("\n", 1)[1])["id"] == first["id"]


async def test_nested_params_use_stripe_brackets(
    sandbox: Sandbox, proxy: ProxyApiRequestTool
) -> None:
    sandbox.reset_log()
    result = await proxy.arun(
        path="/v1/invoices?status=paid",
        params={"limit": 2, "created": {"gte": 0}, "expand": ["data.customer"]},
    )
    assert not result.is_error, result.content
    sent = sandbox.upstream_requests[-1]
    assert sent.path == "/v1/invoices"
    assert "status=paid" in sent.query
    assert "created%5Bgte%5D=0" in sent.query or "created[gte]=0" in sent.query
    assert all(rec["status"] == "paid" for rec in records_of(result))


async def test_raw_returns_the_body_as_sent(proxy: ProxyApiRequestTool) -> None:
    result = await proxy.arun(path="/v1/customers", params={"limit": 2}, raw=True)
    body = result.content.split("\n", 1)[1]
    assert json.loads(body)["object"] == "list"
    assert "null" in body  # nothing compacted away


async def test_guard_cuts_a_page_at_a_record_and_the_hint_continues(
    sandbox: Sandbox, client: AirbyteEmbeddedClient, proxy: ProxyApiRequestTool
) -> None:
    """The model pages through 500+ invoices with limit=100 by following the hint each time."""
    expected = await all_invoice_ids(client, sandbox.stripe_source_id)
    assert len(expected) >= 500
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 100}
    cut_pages = 0
    for _ in range(len(expected)):
        result = await proxy.arun(path="/v1/invoices", params=params)
        assert not result.is_error, result.content
        assert len(result.content) <= proxy.max_chars
        records = records_of(result)
        assert records
        seen += [rec["id"] for rec in records]
        if "left out to stay within 20000 characters" in result.content:
            cut_pages += 1
        match = HINT.search(result.content)
        if match is None:
            assert "[has_more is false: this is the last page.]" in result.content
            break
        assert match.group(1) == records[-1]["id"]
        params = {"limit": 100, "starting_after": match.group(1)}
    assert cut_pages > 0
    assert seen == expected
    assert len(set(seen)) == len(seen)


async def test_fields_fit_a_whole_page_and_has_more_hint_continues(
    sandbox: Sandbox, client: AirbyteEmbeddedClient, proxy: ProxyApiRequestTool
) -> None:
    expected = await all_invoice_ids(client, sandbox.stripe_source_id)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        result = await proxy.arun(path="/v1/invoices", params=params, fields=["amount_due"])
        records = records_of(result)
        assert "left out" not in result.content
        seen += [rec["id"] for rec in records]
        match = HINT.search(result.content)
        if match is None:
            break
        assert "has_more is true" in result.content
        params = {"limit": 100, "starting_after": match.group(1)}
    assert seen == expected


async def test_a_single_huge_object_is_cut_by_lines(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, max_chars=1000)
    listed = await tool.arun(path="/v1/invoices", params={"limit": 1})
    assert len(listed.content) <= 1000
    assert "[cut: this record alone passes the limit; ask for fewer fields]" in listed.content
    invoice_id = listed.artifact.data["data"][0]["id"]
    assert f'params.starting_after="{invoice_id}"' in listed.content
    result = await tool.arun(path=f"/v1/invoices/{invoice_id}")
    assert len(result.content) <= 1000
    assert "Call again with fields=[...]" in result.content


async def test_writes_are_refused_by_default_before_sending(
    sandbox: Sandbox, proxy: ProxyApiRequestTool
) -> None:
    before = len(sandbox.upstream_requests)
    for method in ("POST", "DELETE", "patch"):
        result = await proxy.arun(method=method, path="/v1/customers", body={"email": "x@y.z"})
        assert result.is_error
        assert "read-only" in result.content
        assert "Nothing was sent" in result.content
    assert len(sandbox.upstream_requests) == before
    assert "Read-only: only GET and HEAD are allowed." in proxy.description


async def test_writes_go_through_when_allowed(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(
        fresh_client, source_id=fresh_sandbox.stripe_source_id, allow_writes=True
    )
    result = await tool.arun(
        method="POST", path="/v1/customers", body={"email": "jenny@example.com", "name": "Jenny"}
    )
    assert not result.is_error, result.content
    assert result.content.startswith("HTTP 200 POST /v1/customers\n")
    created = json.loads(result.content.split("\n", 1)[1])
    assert created["id"].startswith("cus_")
    fetched = await tool.arun(path=f"/v1/customers/{created['id']}")
    assert '"email":"jenny@example.com"' in fetched.content
    assert "writes are allowed" in tool.description


@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize("verdict", [True, False])
async def test_the_approval_callback_is_asked_and_honoured(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient, verdict: bool, is_async: bool
) -> None:
    asked: list[WriteRequest] = []

    def approve(write: WriteRequest) -> bool:
        asked.append(write)
        return verdict

    async def approve_async(write: WriteRequest) -> bool:
        return approve(write)

    tool = ProxyApiRequestTool(
        fresh_client,
        source_id=fresh_sandbox.stripe_source_id,
        approve=approve_async if is_async else approve,
    )
    before = len(fresh_sandbox.upstream_requests)
    result = await tool.arun(method="POST", path="/v1/customers", body={"name": "Approved?"})
    assert len(asked) == 1
    assert asked[0].method == "POST"
    assert asked[0].url == "https://api.stripe.com/v1/customers"
    assert asked[0].body == {"name": "Approved?"}
    assert asked[0].source == "stripe"
    assert "POST https://api.stripe.com/v1/customers with" in str(asked[0])
    if verdict:
        assert not result.is_error, result.content
        assert len(fresh_sandbox.upstream_requests) == before + 1
    else:
        assert result.is_error
        assert "the user did not approve POST" in result.content
        assert len(fresh_sandbox.upstream_requests) == before
    reads = await tool.arun(path="/v1/customers", params={"limit": 1})
    assert not reads.is_error
    assert len(asked) == 1  # reads are never asked about


async def test_a_failing_or_truthy_approval_does_not_approve(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    def broken(write: WriteRequest) -> bool:
        raise RuntimeError("approval service down")

    for approve in (broken, lambda write: "yes"):
        tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, approve=approve)  # type: ignore[arg-type]
        result = await tool.arun(method="POST", path="/v1/customers")
        assert result.is_error
        assert "did not approve" in result.content


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example.com/v1/invoices",
        "http://api.stripe.com/v1/invoices",
        "//evil.example.com/v1/invoices",
        "https://user@api.stripe.com/v1/invoices",
        "https://api.stripe.com:8443/v1/invoices",
    ],
)
async def test_other_hosts_are_refused_before_sending(
    sandbox: Sandbox, proxy: ProxyApiRequestTool, path: str
) -> None:
    before = len(sandbox.upstream_requests)
    result = await proxy.arun(path=path)
    assert result.is_error
    assert "Nothing was sent" in result.content
    assert "Use a path like /v1/invoices" in result.content
    assert len(sandbox.upstream_requests) == before


def test_build_url_keeps_relative_paths_on_the_connector_host() -> None:
    stripe = Source.api("x")
    assert str(build_url(stripe, "v1/invoices", {})) == "https://api.stripe.com/v1/invoices"
    assert str(build_url(stripe, "/@evil.com/x", {})).startswith("https://api.stripe.com/")
    url = build_url(stripe, "/v1/x?a=1#frag", {"b": True, "c": None, "d": [1, 2]})
    assert str(url) == "https://api.stripe.com/v1/x?a=1&b=true&d%5B%5D=1&d%5B%5D=2"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/invoices/../customers", "https://api.stripe.com/v1/customers"),
        ("/v1/./invoices/", "https://api.stripe.com/v1/invoices/"),
        ("/..", "https://api.stripe.com/"),
        ("/v1/cüs_1", "https://api.stripe.com/v1/c%C3%BCs_1"),
        ("/v1/x?q=a+b&r=%2F&e=", "https://api.stripe.com/v1/x?q=a+b&r=%2F&e="),
        ("HTTPS://API.Stripe.com:443/v1/invoices", "https://api.stripe.com/v1/invoices"),
        ("https://api.stripe.com", "https://api.stripe.com/"),
    ],
)
def test_build_url_normalises_like_a_url_parser(path: str, expected: str) -> None:
    assert build_url(Source.api("x"), path, {}) == expected


@pytest.mark.parametrize(
    "path",
    [
        "https://api.stripe.com@evil.example.com/v1/invoices",
        "https://api.stripe.com:99999/v1/invoices",
        "https://[::1/v1/invoices",
        "//api.stripe.com/v1/invoices",
    ],
)
def test_build_url_refuses_tricky_hosts(path: str) -> None:
    with pytest.raises(ToolError, match="Use a path like /v1/invoices"):
        build_url(Source.api("x"), path, {})


async def test_upstream_errors_are_messages_with_stripe_details(proxy: ProxyApiRequestTool) -> None:
    missing = await proxy.arun(path="/v1/invoices/in_doesnotexist")
    assert missing.is_error
    assert "HTTP 404 GET /v1/invoices/in_doesnotexist" in missing.content
    assert "No such invoice" in missing.content
    assert "resource_missing" in missing.content
    assert isinstance(missing.artifact, ApiResponse)
    assert missing.artifact.status_code == 404
    bad = await proxy.arun(path="/v1/invoices", params={"limit": 1000})
    assert bad.is_error
    assert "HTTP 400" in bad.content
    assert "param limit" in bad.content


async def test_a_body_on_a_read_is_refused(proxy: ProxyApiRequestTool) -> None:
    result = await proxy.arun(path="/v1/invoices", body={"limit": 3})
    assert result.is_error
    assert "put filters in `params`" in result.content


async def test_method_is_case_insensitive(proxy: ProxyApiRequestTool) -> None:
    result = await proxy.arun(method="get", path="/v1/invoices", params={"limit": 1})
    assert result.content.startswith("HTTP 200 GET /v1/invoices?limit=1\n")


class CannedClient(AirbyteEmbeddedClient):
    """An async client answering every proxied request with one canned response."""

    def __init__(self, response: ProxyResponse) -> None:
        super().__init__(token="fake-token", base_url="http://127.0.0.1:9")
        self.response = response

    async def proxy_request(
        self, source_id: str, method: str, url: str, *, json: Any = None, **_: Any
    ) -> ProxyResponse:
        return self.response

    async def iter_files(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def read_file(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (ProxyResponse(status_code=200, method="HEAD"), "HTTP 200 HEAD /v1/x (empty body)"),
        (
            ProxyResponse(status_code=200, content=b"line one\nline two"),
            "HTTP 200 GET /v1/x\nline one\nline two",
        ),
        (
            ProxyResponse(status_code=200, content=b'[{"id": "a", "n": null}]'),
            'HTTP 200 GET /v1/x\ndata: 1 record, one per line:\n{"id":"a"}',
        ),
        (
            ProxyResponse(status_code=502, content=b"<html>bad gateway</html>"),
            "Error: stripe answered HTTP 502 GET /v1/x: <html>bad gateway</html>. The upstream "
            "had a server error; try again in a moment.",
        ),
    ],
)
async def test_bodies_of_every_shape(response: ProxyResponse, expected: str) -> None:
    method = response.method
    tool = ProxyApiRequestTool(CannedClient(response), source_id="src")
    result = await tool.arun(method=method, path="/v1/x")
    assert result.content == expected


async def test_unknown_source_id_is_a_message(client: AirbyteEmbeddedClient) -> None:
    tool = ProxyApiRequestTool(client, source_id="00000000-0000-4000-8000-00000000dead")
    result = await tool.arun(path="/v1/invoices")
    assert result.is_error
    assert "00000000-0000-4000-8000-00000000dead" not in result.content
    assert "<source 'stripe'>" in result.content or "source 'stripe'" in result.content


async def test_several_sources_are_chosen_by_name(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(
        client,
        sources={
            "stripe": sandbox.stripe_source_id,
            "other": Source.api(sandbox.other_workspace.stripe_source_id, description="x"),
        },
    )
    schema = tool.args_model.model_json_schema()
    assert schema["properties"]["source"]["enum"] == ["stripe", "other"]
    assert schema["required"][0] == "source"
    ok = await tool.arun(source="stripe", path="/v1/invoices", params={"limit": 1})
    assert not ok.is_error
    denied = await tool.arun(source="other", path="/v1/invoices")
    assert denied.is_error
    assert sandbox.other_workspace.stripe_source_id not in denied.content
    missing = await tool.arun(path="/v1/invoices")
    assert "`source` is required" in missing.content
    assert "choose one with `source`" in tool.description
    assert schema["properties"]["source"]["description"] == (
        "Which connected source to use: 'stripe', 'other' (x)."
    )


async def test_paging_towards_newer_records_uses_ending_before(proxy: ProxyApiRequestTool) -> None:
    older = records_of(await proxy.arun(path="/v1/invoices", params={"limit": 10}))
    anchor = older[-1]["id"]
    result = await proxy.arun(path="/v1/invoices", params={"limit": 3, "ending_before": anchor})
    records = records_of(result)
    assert [r["id"] for r in records] == [r["id"] for r in older[-4:-1]]
    assert f'params.ending_before="{records[0]["id"]}"' in result.content


async def test_no_secret_reaches_the_model(
    sandbox: Sandbox, client: AirbyteEmbeddedClient, toolkit: Any
) -> None:
    proxy, list_files, read_file = toolkit.get_tools()
    results = [
        await proxy.arun(path="/v1/invoices", params={"limit": 2}, raw=True),
        await proxy.arun(path="/v1/customers/cus_nope"),
        await proxy.arun(path="https://evil.example.com/"),
        await list_files.arun(prefix="contracts/"),
        await read_file.arun(path="missing.txt"),
    ]
    secrets = [
        sandbox.stripe_secret_key,
        sandbox.client_secret,
        (await client.get_token()).value.get_secret_value(),
    ]
    for result in results:
        dumped = result.model_dump_json()
        assert not any(secret in dumped for secret in secrets)


async def test_a_cut_page_towards_newer_records_says_how_to_see_the_rest(
    proxy: ProxyApiRequestTool,
) -> None:
    page = await proxy.arun(path="/v1/invoices", params={"limit": 100}, fields=["status"])
    newest = [r["id"] for r in records_of(page)]
    result = await proxy.arun(
        path="/v1/invoices", params={"limit": 100, "ending_before": newest[-1]}
    )
    shown = [r["id"] for r in records_of(result)]
    assert shown == newest[: len(shown)]
    hint = re.search(r'params\.starting_after="([^"]+)" and params\.limit=(\d+)', result.content)
    assert hint is not None
    assert "call again without ending_before" in result.content
    rest = await proxy.arun(
        path="/v1/invoices",
        params={"limit": int(hint.group(2)), "starting_after": hint.group(1)},
        fields=["status"],
    )
    assert shown + [r["id"] for r in records_of(rest)] == newest[:-1]


def _sent_headers(sandbox: Sandbox, since: int) -> list[dict[str, str]]:
    """The headers of each upstream request logged after the first ``since``, names lowercased."""
    return [
        {name.lower(): value for name, value in record.headers.items()}
        for record in sandbox.upstream_requests[since:]
    ]


async def test_headers_reach_the_upstream(sandbox: Sandbox, proxy: ProxyApiRequestTool) -> None:
    before = len(sandbox.upstream_requests)
    result = await proxy.arun(
        path="/v1/invoices",
        params={"limit": 1},
        headers={"Stripe-Version": "2024-06-20", "Idempotency-Key": 4242},
    )
    assert not result.is_error, result.content
    sent = _sent_headers(sandbox, before)
    assert len(sent) == 1
    assert sent[0]["stripe-version"] == "2024-06-20"
    assert sent[0]["idempotency-key"] == "4242"  # a number from a model is sent as text
    schema = ProxyApiRequestInput.model_json_schema()["properties"]["headers"]
    assert schema["type"] == "object"
    assert "Stripe-Version" in schema["description"]
    assert "Authorization" in schema["description"]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Authorization", "the Authorization header is not allowed: Airbyte adds the account's"),
        ("authorization", "the authorization header is not allowed"),
        ("Cookie", "the Cookie header is not allowed"),
        ("Host", "the Host header is not allowed: it is set by the proxy"),
        ("Stripe-Account", "the Stripe-Account header is not allowed: it would act for another"),
        ("Stripe-Context", "the Stripe-Context header is not allowed: it would act for another"),
        ("X-HTTP-Method-Override", "not allowed: it would change the method or the route"),
        ("X-Forwarded-For", "not allowed: it would change the method or the route"),
        ("Forwarded", "not allowed: it would change the method or the route"),
        ("X-Original-URL", "not allowed: it would change the method or the route"),
        ("X-Debug", "only these headers may be set: Idempotency-Key, Stripe-Version"),
    ],
)
async def test_headers_a_model_may_not_set_are_refused_before_sending(
    sandbox: Sandbox, proxy: ProxyApiRequestTool, name: str, fragment: str
) -> None:
    before = len(sandbox.upstream_requests)
    result = await proxy.arun(path="/v1/invoices", headers={name: "Bearer sk_test_guess"})
    assert result.is_error
    assert fragment in result.content
    assert "Nothing was sent" in result.content
    assert len(sandbox.upstream_requests) == before


async def test_headers_of_a_write_are_shown_to_the_approver(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    asked: list[WriteRequest] = []

    def refuse(write: WriteRequest) -> bool:
        asked.append(write)
        return False

    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, approve=refuse)
    result = await tool.arun(
        method="POST", path="/v1/customers", headers={"Idempotency-Key": "k-1"}, body={"name": "N"}
    )
    assert result.is_error  # the approver said no
    assert asked[0].headers == {"Idempotency-Key": "k-1"}
    assert 'and headers {"Idempotency-Key":"k-1"}' in str(asked[0])
    invalid = await tool.arun(path="/v1/invoices", headers={"X-Nested": {"a": 1}})
    assert invalid.is_error
    assert "`headers.X-Nested`" in invalid.content


async def test_records_past_the_budget_are_never_compacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [{"id": f"in_{i}", "memo": "x" * 500, "void": None} for i in range(1000)]
    body = json.dumps({"object": "list", "data": records, "has_more": True}).encode()
    tool = ProxyApiRequestTool(
        CannedClient(ProxyResponse(status_code=200, content=body)),
        source_id="src_1",
        max_chars=5_000,
    )
    compacted: list[Any] = []

    def counting(value: Any) -> Any:
        compacted.append(value)
        return guard.compact(value)

    monkeypatch.setattr(proxy_api_request, "compact", counting)
    result = await tool.arun(path="/v1/invoices", params={"limit": 100})
    shown = records_of(result)
    assert 1 <= len(shown) < 10
    assert len(compacted) <= len(shown) + 2  # the list's other keys, the records shown, one more
    assert f'params.starting_after="{shown[-1]["id"]}"' in result.content
    assert f"{1000 - len(shown)} of 1000 records left out" in result.content
    assert len(result.content) <= 5_000


def _list_body(count: int) -> bytes:
    records = [{"id": f"in_{i}", "status": "open"} for i in range(count)]
    return json.dumps({"object": "list", "data": records, "has_more": False}).encode()


async def test_a_validated_instance_is_used_without_validating_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tool = ProxyApiRequestTool(
        CannedClient(ProxyResponse(status_code=200, content=_list_body(2))), source_id="src_1"
    )
    args = ProxyApiRequestInput(path="/v1/invoices", params={"limit": 2})
    by_keywords = await tool.arun(path="/v1/invoices", params={"limit": 2})

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("validated twice")

    monkeypatch.setattr(ProxyApiRequestInput, "model_validate", refuse)
    by_instance = await tool.arun(args)
    assert not by_instance.is_error, by_instance.content
    assert by_instance.content == by_keywords.content
    with pytest.raises(TypeError, match="keyword arguments or one ProxyApiRequestInput instance"):
        await tool.arun(args, raw=True)


async def test_keywords_are_still_validated() -> None:
    tool = ProxyApiRequestTool(
        CannedClient(ProxyResponse(status_code=200, content=_list_body(1))), source_id="src_1"
    )
    result = await tool.arun(path="/v1/invoices", method="FETCH", nope=1)
    assert result.is_error
    assert "method" in result.content
    assert "nope" in result.content


async def test_an_instance_with_a_source_picks_that_source() -> None:
    canned = CannedClient(ProxyResponse(status_code=200, content=_list_body(1)))
    tool = ProxyApiRequestTool(canned, sources={"a": Source.api("id_a"), "b": Source.api("id_b")})
    seen: list[str] = []
    original = canned.proxy_request

    async def recording(source_id: str, *args: Any, **kwargs: Any) -> ProxyResponse:
        seen.append(source_id)
        return await original(source_id, *args, **kwargs)

    canned.proxy_request = recording  # type: ignore[method-assign]
    args = tool.args_model.model_validate({"source": "b", "path": "/v1/x", "method": "get"})
    result = await tool.arun(args)
    assert not result.is_error, result.content
    assert seen == ["id_b"]
    assert result.content.startswith("HTTP 200 GET /v1/x\n")
    with pytest.raises(TypeError):
        await tool.arun(ProxyApiRequestInput(path="/v1/x"))  # lacks the source


async def test_a_write_carries_one_idempotency_key_shown_to_the_approver(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    asked: list[WriteRequest] = []

    def approve(write: WriteRequest) -> bool:
        asked.append(write)
        return True

    tool = ProxyApiRequestTool(
        fresh_client, source_id=fresh_sandbox.stripe_source_id, approve=approve
    )
    before = len(fresh_sandbox.upstream_requests)
    for _ in range(2):
        result = await tool.arun(method="POST", path="/v1/customers", body={"name": "Keyed"})
        assert not result.is_error, result.content
    keys = [write.idempotency_key for write in asked]
    assert all(keys)
    assert keys[0] != keys[1]
    assert [write.headers for write in asked] == [{"Idempotency-Key": key} for key in keys]
    assert f'"Idempotency-Key":"{keys[0]}"' in str(asked[0])
    sent = [h["idempotency-key"] for h in _sent_headers(fresh_sandbox, before)]
    assert sent == keys
    deleted = await tool.arun(method="DELETE", path=f"/v1/customers/{records_id(result)}")
    assert not deleted.is_error, deleted.content
    assert asked[-1].idempotency_key is None  # Stripe takes keys on POST only
    assert "idempotency-key" not in _sent_headers(fresh_sandbox, before)[-1]


def records_id(result: ToolResult) -> str:
    return str(json.loads(result.content.split("\n", 1)[1])["id"])


async def test_a_dry_run_shows_the_exact_write_and_sends_nothing(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, dry_run=True)
    assert "writes are dry runs" in tool.description
    before = len(sandbox.upstream_requests)
    result = await tool.arun(
        method="post",
        path="/v1/customers",
        params={"expand": ["tax"]},
        headers={"Stripe-Version": "2024-06-20"},
        body={"name": "Dry"},
    )
    assert not result.is_error, result.content
    assert len(sandbox.upstream_requests) == before
    write = result.artifact
    assert isinstance(write, WriteRequest)
    assert write.url == "https://api.stripe.com/v1/customers?expand%5B%5D=tax"
    assert write.headers == {
        "Stripe-Version": "2024-06-20",
        "Idempotency-Key": write.idempotency_key,
    }
    assert result.content.split("\n") == [
        "DRY RUN: nothing was sent. This POST would be sent upstream:",
        "POST https://api.stripe.com/v1/customers?expand%5B%5D=tax",
        "Stripe-Version: 2024-06-20",
        f"Idempotency-Key: {write.idempotency_key}",
        'body: {"name":"Dry"}',
    ]
    refused = await tool.arun(method="POST", path="/v1/customers", headers={"Stripe-Account": "a"})
    assert refused.is_error  # a dry run checks everything a real call checks
    read = await tool.arun(path="/v1/customers", params={"limit": 1})
    assert read.content.startswith("HTTP 200 GET /v1/customers")
    assert len(sandbox.upstream_requests) == before + 1  # reads still run
