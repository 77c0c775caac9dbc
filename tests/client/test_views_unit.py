"""Workspace views and the scoped-token cache, against a scripted Airbyte API (one layer each)."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from client_fakes import FakeAirbyte, body_of
from pydantic import SecretStr

from airbyte_embedded_tools import _wire as wire
from airbyte_embedded_tools._auth import TokenCall, Tokens, WorkspaceRef
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AuthenticationError, ConfigurationError
from airbyte_embedded_tools._models import AccessToken
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient

MakeClient = Callable[..., AirbyteEmbeddedClient]
UNREACHABLE = "http://127.0.0.1:9"
LISTED = httpx.Response(200, json={"files": [], "next_page_token": None})


class ScopedTokens:
    """A scoped-token endpoint minting ``scoped-<workspace>-<n>``; counts calls per workspace."""

    def __init__(self, fake: FakeAirbyte, *, current: bool = True) -> None:
        self.calls: Counter[str] = Counter()
        self.paths: list[str] = []
        self.current = current
        self.rejected: set[str] = set()  # tokens the API answers 401 to (once each)
        fake.handler = self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("scoped-token"):
            self.paths.append(path)
            if path == wire.SCOPED_TOKEN_PATH and not self.current:
                return httpx.Response(404, json={"detail": "Not Found"})
            body = body_of(request)
            workspace = body.get("workspace_name") or body.get("workspace_id")
            self.calls[workspace] += 1
            return httpx.Response(
                200, json={"token": f"scoped-{workspace}-{self.calls[workspace]}"}
            )
        bearer = request.headers["authorization"].removeprefix("Bearer ")
        if bearer in self.rejected:
            self.rejected.discard(bearer)
            return httpx.Response(401, json={"detail": "Invalid authentication credentials"})
        return LISTED


def bearers(fake: FakeAirbyte) -> list[str]:
    """The bearer tokens the file list requests carried, in order."""
    return [
        r.headers["authorization"].removeprefix("Bearer ")
        for r in fake.requests
        if "/list/" in r.url.path
    ]


# --- the one-way flow ---------------------------------------------------------------------------


def answer(call: TokenCall, payload: dict[str, object], status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, json=payload, request=httpx.Request("POST", "https://x" + call.path)
    )


async def drive(tokens: Tokens, workspace: WorkspaceRef | None) -> tuple[AccessToken, list[str]]:
    """Run one flow by hand, answering its calls: the auth layer never sends anything itself."""
    flow = tokens.flow(workspace)
    paths: list[str] = []
    step = await anext(flow)
    while isinstance(step, TokenCall):
        paths.append(step.path)
        if step.path == wire.TOKEN_PATH:
            step = await flow.asend(answer(step, {"access_token": "app-1", "expires_in": 900}))
        else:
            name = step.body.get("workspace_name") or step.body["workspace_id"]
            step = await flow.asend(answer(step, {"token": f"sc-{name}"}))
    await flow.aclose()
    return step, paths


async def test_the_flow_yields_the_calls_and_ends_with_the_token() -> None:
    tokens = Tokens(client_id="cid", client_secret=SecretStr("s3cret-value"))
    token, paths = await drive(tokens, WorkspaceRef(name="acme"))
    assert paths == [wire.TOKEN_PATH, wire.SCOPED_TOKEN_PATH]
    assert token.kind == "scoped"
    assert 1100 < token.expires_in() <= 1200  # documented 20 minutes, none stated
    assert tokens.cached(WorkspaceRef(name="acme")) is token
    # another workspace reuses the application token: one call only
    _, paths = await drive(tokens, WorkspaceRef(id="ws-2"))
    assert paths == [wire.LEGACY_SCOPED_TOKEN_PATH]


async def test_idle_and_least_recently_used_tokens_are_evicted() -> None:
    now = [0.0]
    tokens = Tokens(
        client_id="cid",
        client_secret=SecretStr("s3cret-value"),
        cache_size=2,
        idle_timeout=100.0,
        clock=lambda: now[0],
    )
    a, b, c = (WorkspaceRef(name=n) for n in "abc")
    await drive(tokens, a)
    await drive(tokens, b)
    assert tokens.cached(a) is not None  # a is now the most recent
    await drive(tokens, c)  # full: b, the least recently used, goes
    assert len(tokens) == 2
    assert tokens.cached(b) is None
    assert tokens.cached(a) is not None
    now[0] = 150.0  # c idle for 150 s, a for 150 s too
    _, paths = await drive(tokens, b)
    assert len(tokens) == 1  # both idle ones dropped on the way in
    assert paths == [wire.SCOPED_TOKEN_PATH]


# --- views over one client ----------------------------------------------------------------------


async def test_a_view_is_a_client_and_costs_little(make_client: MakeClient) -> None:
    parent = make_client()
    view = parent.for_workspace("acme")
    assert isinstance(view, AirbyteEmbeddedClient)
    assert view.is_view
    assert not parent.is_view
    assert view.workspace_name == "acme"
    assert view.workspace_id is None
    assert parent.for_workspace(id="ws-9").workspace_id == "ws-9"
    assert view._http is parent._http
    assert view.retry_policy is parent.retry_policy
    assert view.loop_affinity is parent.loop_affinity
    assert repr(view) == (
        "<AirbyteEmbeddedClient base_url='https://api.airbyte.test' "
        "auth=client_credentials workspace='acme'>"
    )
    gc.collect()
    size = sys.getsizeof(view) + sys.getsizeof(view.__dict__)
    assert size < 2048, size


async def test_views_refuse_what_cannot_name_one_workspace(make_client: MakeClient) -> None:
    parent = make_client()
    with pytest.raises(ConfigurationError, match="exactly one"):
        parent.for_workspace()
    with pytest.raises(ConfigurationError, match="exactly one"):
        parent.for_workspace("acme", id="ws-1")
    with pytest.raises(ConfigurationError, match="line break"):
        parent.for_workspace("acme\nX-Injected: 1")
    with pytest.raises(ConfigurationError, match="ready-made token"):
        make_client(token="ready-made-token").for_workspace("acme")


async def test_100_cold_calls_for_one_customer_fetch_one_scoped_token(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    scoped = ScopedTokens(fake)
    parent = make_client()
    await asyncio.gather(*(parent.for_workspace("acme").list_files("src") for _ in range(100)))
    assert scoped.calls == {"acme": 1}
    assert fake.token_requests == 1
    assert set(bearers(fake)) == {"scoped-acme-1"}


async def test_100_customers_fetch_100_scoped_tokens_and_one_application_token(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    scoped = ScopedTokens(fake)
    parent = make_client()
    views = [parent.for_workspace(f"customer-{n}") for n in range(100)]
    await asyncio.gather(*(v.list_files("src") for v in views for _ in range(3)))
    assert fake.token_requests == 1
    assert scoped.calls == {f"customer-{n}": 1 for n in range(100)}
    # every call carried its own customer's token
    sent = [r for r in fake.requests if "/list/" in r.url.path]
    assert len(sent) == 300
    assert all(r.headers["authorization"].startswith("Bearer scoped-customer-") for r in sent)


async def test_a_401_refreshes_that_customer_only(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    scoped = ScopedTokens(fake)
    parent = make_client()
    acme, umbrella = parent.for_workspace("acme"), parent.for_workspace("umbrella")
    await acme.list_files("src")
    await umbrella.list_files("src")
    scoped.rejected.add("scoped-acme-1")
    await acme.list_files("src")  # 401, refreshed, replayed
    await umbrella.list_files("src")
    assert scoped.calls == {"acme": 2, "umbrella": 1}
    assert bearers(fake) == [
        "scoped-acme-1",
        "scoped-umbrella-1",
        "scoped-acme-1",
        "scoped-acme-2",
        "scoped-umbrella-1",
    ]


async def test_an_older_deployment_is_found_once(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    scoped = ScopedTokens(fake, current=False)
    parent = make_client()
    await parent.for_workspace("acme").list_files("src")
    await parent.for_workspace("umbrella").list_files("src")
    assert scoped.paths == [
        wire.SCOPED_TOKEN_PATH,
        wire.LEGACY_SCOPED_TOKEN_PATH,
        wire.LEGACY_SCOPED_TOKEN_PATH,
    ]
    assert scoped.calls == {"acme": 1, "umbrella": 1}


async def test_a_revoked_application_token_is_exchanged_again_once(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    answers = [httpx.Response(401, json={"detail": "Invalid authentication credentials"})]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("scoped-token"):
            if answers:
                return answers.pop()
            return httpx.Response(200, json={"token": "scoped-ok-123"})
        return LISTED

    fake.handler = handler
    await make_client().for_workspace("acme").list_files("src")
    assert fake.token_requests == 2
    assert bearers(fake) == ["scoped-ok-123"]


async def test_a_customer_refused_twice_is_a_typed_error_and_the_others_go_on(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("scoped-token"):
            if body_of(request)["workspace_name"] == "revoked":
                return httpx.Response(401, json={"detail": "Invalid authentication credentials"})
            return httpx.Response(200, json={"token": "scoped-fine-123"})
        return LISTED

    fake.handler = handler
    parent = make_client()
    with pytest.raises(AuthenticationError) as info:
        await parent.for_workspace("revoked").list_files("src")
    assert "tok-" not in str(info.value)
    assert await parent.for_workspace("fine").list_files("src") == []


async def test_closing_a_view_is_harmless_and_closing_the_parent_closes_all(
    make_client: MakeClient,
) -> None:
    parent = make_client()
    view = parent.for_workspace("acme")
    await view.aclose()
    async with view:
        pass
    assert not parent._http.is_closed


async def test_parent_close_closes_the_pool_it_owns() -> None:
    parent = AirbyteEmbeddedClient("cid", "client-secret-value", base_url=UNREACHABLE)
    view = parent.for_workspace("acme")
    await view.aclose()
    assert not view._http.is_closed
    await parent.aclose()
    assert view._http.is_closed


def test_the_sync_face_makes_views_over_the_same_parent() -> None:
    with SyncAirbyteEmbeddedClient(
        "cid", "client-secret-value", base_url="http://127.0.0.1:9"
    ) as face:
        view = face.for_workspace("acme")
        assert isinstance(view, SyncAirbyteEmbeddedClient)
        assert view.loop is face.loop
        assert view.async_client.workspace_name == "acme"
        assert view.async_client._http is face.async_client._http
        view.close()  # harmless
        assert not face.async_client._http.is_closed
        assert "acme" in repr(view)
    assert view.async_client._http.is_closed
