"""Credentials httpx could not send (or would log) are refused early, and logs stay masked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AuthenticationError, ConfigurationError
from airbyte_embedded_tools._redact import get_logger
from airbyte_embedded_tools.sandbox import Sandbox

GOOD = "tok_Abc123-._~+/="


@pytest.mark.parametrize(
    ("kwargs", "name", "problem"),
    [
        ({"token": GOOD + "\n"}, "token", "line break"),
        ({"token": SecretStr("\r" + GOOD)}, "token", "line break"),
        ({"token": GOOD + "\x00"}, "token", "control character"),
        ({"token": "tok\tAbc123"}, "token", "control character"),
        ({"token": "tok Abc123"}, "token", "a space"),
        ({"token": "tøk_Abc123"}, "token", "non-ASCII"),
        ({"client_id": "cid", "client_secret": "s3cr3t-value\n"}, "client_secret", "line break"),
        ({"client_id": "cid", "client_secret": "s3cr3t\x00value"}, "client_secret", "control"),
        ({"client_id": "cid", "client_secret": "\u201cs3cr3t\u201d"}, "client_secret", "Latin-1"),
        (
            {"client_id": "cid", "client_secret": "s3cr3t", "organization_id": "org-1\r\nX: y"},
            "organization_id",
            "line break",
        ),
        ({"token": GOOD, "organization_id": "orgé"}, "organization_id", "non-ASCII"),
    ],
)
def test_a_credential_that_cannot_be_sent_is_refused_by_name(
    kwargs: dict[str, object], name: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AirbyteEmbeddedClient(**kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"{name} contains")
    assert problem in message
    for value in kwargs.values():
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        assert raw.strip() not in message


def test_latin1_secrets_and_visible_ascii_tokens_are_accepted() -> None:
    AirbyteEmbeddedClient("cid", "sécret-ñ-value", organization_id="org-1")
    AirbyteEmbeddedClient(token=SecretStr(GOOD))


@pytest.mark.parametrize("bad", ["sbx_app_abcdefgh\nX: 1", "sbx_app_ab\u00e9cdefgh", "a b c d"])
@pytest.mark.parametrize("workspace", [None, "ws-1"], ids=["application", "scoped"])
async def test_a_token_answered_unsendable_is_an_authentication_error(
    bad: str, workspace: str | None
) -> None:
    """The application token (or the scoped one) is refused on receipt, before any header."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("/applications/token"):
            token = bad if workspace is None else "sbx_app_GOODtoken123"
            return httpx.Response(200, json={"access_token": token, "expires_in": 900})
        if request.url.path.endswith("/scoped-token"):
            return httpx.Response(200, json={"token": bad})
        return httpx.Response(200, json={"files": []})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AirbyteEmbeddedClient(
        "cid", "s3cr3t", workspace_id=workspace, base_url="https://x.test", http_client=http
    )
    with pytest.raises(AuthenticationError, match="cannot be sent") as caught:
        await client.list_files("src")
    assert bad not in str(caught.value)
    assert not any("/sonar/" in path for path in sent), "a call went out with the bad token"
    await http.aclose()


@pytest.fixture
def root_debug() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, as an application's root handler would get it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_child_loggers_records_reach_the_root_masked(root_debug: io.StringIO) -> None:
    """A plain ``logging.getLogger`` child is masked on its way up; a ``get_logger`` one even
    for a handler attached to that very logger."""
    secret = "s3cr3t-" + "Q" * 24
    AirbyteEmbeddedClient("cid", secret)  # registers it
    plain = logging.getLogger("airbyte_embedded_tools.some_plugin")
    plain.warning("plain child: %s / Bearer %s", secret, secret)
    own_stream = io.StringIO()
    own = get_logger("airbyte_embedded_tools.some_module")
    own_handler = logging.StreamHandler(own_stream)
    own.addHandler(own_handler)
    try:
        own.error("own child", exc_info=RuntimeError(f"boom {secret}"))
    finally:
        own.removeHandler(own_handler)
    logged = root_debug.getvalue() + own_stream.getvalue()
    assert "plain child: ***" in logged
    assert "RuntimeError: boom ***" in logged
    assert secret not in logged


async def test_httpx_and_httpcore_debug_records_hold_no_credential(
    sandbox: Sandbox, root_debug: io.StringIO
) -> None:
    async with AirbyteEmbeddedClient(
        sandbox.client_id,
        sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        token = (await client.get_token()).value.get_secret_value()
        await client.list_files(sandbox.file_source_id, "notes/")
    logged = root_debug.getvalue()
    assert "httpcore.http11 send_request_headers" in logged, "httpcore's DEBUG was not captured"
    assert "httpx HTTP Request: POST" in logged
    for value in (token, sandbox.client_secret, "Bearer", "client_secret"):
        assert value not in logged
