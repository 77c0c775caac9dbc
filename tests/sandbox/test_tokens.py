"""Token flow over HTTP: application and scoped tokens, expiry, bad credentials, isolation."""

from __future__ import annotations

import time

import httpx
import pytest
from sandbox_helpers import (
    SCOPED_PATH,
    TOKEN_PATH,
    application_token,
    files_path,
    proxy_path,
    scoped_token,
)

from airbyte_embedded_tools.sandbox import Sandbox

INVOICES = {"method": "GET", "url": "https://api.stripe.com/v1/invoices?limit=1"}


def test_application_token_shape(sandbox: Sandbox, api: httpx.Client) -> None:
    response = api.post(
        TOKEN_PATH, json={"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert isinstance(body["access_token"], str)
    assert len(body["access_token"]) > 20


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"client_id": "nope", "client_secret": "nope"}, 401, "invalid client credentials"),
        ({"client_secret": "x"}, 422, "client_id"),
        ({"client_id": "x", "client_secret": 5}, 422, "client_secret"),
        ({"client_id": "", "client_secret": "x"}, 422, "client_id"),
    ],
)
def test_bad_credentials(
    api: httpx.Client, payload: dict[str, object], status: int, needle: str
) -> None:
    response = api.post(TOKEN_PATH, json=payload)
    assert response.status_code == status
    assert needle in response.json()["detail"]


def test_right_id_wrong_secret_is_401(sandbox: Sandbox, api: httpx.Client) -> None:
    payload = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret + "x"}
    assert api.post(TOKEN_PATH, json=payload).status_code == 401


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_malformed_token_body_is_422(api: httpx.Client, raw: bytes) -> None:
    response = api.post(TOKEN_PATH, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"] or "body" in response.json()["detail"]


@pytest.mark.parametrize("field", ["workspaceId", "workspace_id", "workspace_name"])
def test_scoped_token_by_id_or_name(sandbox: Sandbox, api: httpx.Client, field: str) -> None:
    app = application_token(api, sandbox.client_id, sandbox.client_secret)
    value = sandbox.workspace_name if field == "workspace_name" else sandbox.workspace_id
    response = api.post(
        SCOPED_PATH,
        json={field: value},
        headers={"Authorization": f"Bearer {app}", "X-Organization-Id": sandbox.organization_id},
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    proxied = api.post(
        proxy_path(sandbox.stripe_source_id),
        json=INVOICES,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert proxied.status_code == 200


def test_scoped_token_errors(sandbox: Sandbox, api: httpx.Client) -> None:
    app = application_token(api, sandbox.client_id, sandbox.client_secret)
    headers = {"Authorization": f"Bearer {app}"}
    missing = api.post(SCOPED_PATH, json={}, headers=headers)
    assert missing.status_code == 422
    assert "workspace_name" in missing.json()["detail"]
    unknown = api.post(SCOPED_PATH, json={"workspaceId": "nope"}, headers=headers)
    assert unknown.status_code == 404
    other_org = api.post(
        SCOPED_PATH, json={"workspaceId": sandbox.other_workspace.workspace_id}, headers=headers
    )
    assert other_org.status_code == 403
    wrong_org_header = api.post(
        SCOPED_PATH,
        json={"workspaceId": sandbox.workspace_id},
        headers={**headers, "X-Organization-Id": sandbox.other_workspace.organization_id},
    )
    assert wrong_org_header.status_code == 403
    no_token = api.post(SCOPED_PATH, json={"workspaceId": sandbox.workspace_id})
    assert no_token.status_code == 401
    scoped = scoped_token(api, app, sandbox.workspace_id)
    by_scoped = api.post(
        SCOPED_PATH,
        json={"workspaceId": sandbox.workspace_id},
        headers={"Authorization": f"Bearer {scoped}"},
    )
    assert by_scoped.status_code == 403


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_bad_bearer_is_401(sandbox: Sandbox, api: httpx.Client, header: str) -> None:
    response = api.post(
        proxy_path(sandbox.stripe_source_id), json=INVOICES, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["detail"]


def test_tokens_expire_on_their_own() -> None:
    with (
        Sandbox(token_lifetime=0.3, large_file_size=0) as sb,
        httpx.Client(base_url=sb.base_url) as http,
    ):
        body = http.post(
            TOKEN_PATH, json={"client_id": sb.client_id, "client_secret": sb.client_secret}
        ).json()
        assert body["expires_in"] == pytest.approx(0.3)
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.post(proxy_path(sb.stripe_source_id), json=INVOICES, headers=headers).is_success
        time.sleep(0.35)
        late = http.post(proxy_path(sb.stripe_source_id), json=INVOICES, headers=headers)
        assert late.status_code == 401
        assert "expired" in late.json()["detail"]


def test_expire_tokens_now_and_count(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with httpx.Client(base_url=sb.base_url) as http:
        app = application_token(http, sb.client_id, sb.client_secret)
        scoped = scoped_token(http, app, sb.workspace_id)
        http.post(TOKEN_PATH, json={"client_id": "bad", "client_secret": "bad"})
        assert sb.token_requests == 3
        sb.expire_tokens()
        for token in (app, scoped):
            response = http.get(
                files_path(sb.file_source_id, "list"), headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401
        new = application_token(http, sb.client_id, sb.client_secret)
        ok = http.get(
            files_path(sb.file_source_id, "list"), headers={"Authorization": f"Bearer {new}"}
        )
        assert ok.status_code == 200
        assert sb.token_requests == 4
        sb.reset_log()
        assert sb.token_requests == 0


def test_workspace_isolation_both_ways(sandbox: Sandbox, api: httpx.Client) -> None:
    other = sandbox.other_workspace
    mine_app = application_token(api, sandbox.client_id, sandbox.client_secret)
    theirs_app = application_token(api, other.client_id, other.client_secret)
    mine_scoped = scoped_token(api, mine_app, sandbox.workspace_id)
    theirs_scoped = scoped_token(api, theirs_app, other.workspace_id)
    cases = [
        (mine_app, other), (mine_scoped, other),
    ]  # fmt: skip
    for token, target in cases:
        headers = {"Authorization": f"Bearer {token}"}
        api_call = api.post(proxy_path(target.stripe_source_id), json=INVOICES, headers=headers)
        assert api_call.status_code == 404  # like an unknown source: no existence oracle
        assert "not found" in api_call.json()["detail"]
        listing = api.get(files_path(target.file_source_id, "list"), headers=headers)
        assert listing.status_code == 404
        read = api.get(files_path(target.file_source_id, "get", "README.md"), headers=headers)
        assert read.status_code == 404
    for token in (theirs_app, theirs_scoped):
        headers = {"Authorization": f"Bearer {token}"}
        response = api.post(proxy_path(sandbox.stripe_source_id), json=INVOICES, headers=headers)
        assert response.status_code == 404
        listing = api.get(files_path(sandbox.file_source_id, "list"), headers=headers)
        assert listing.status_code == 404
        # and each reaches its own sources
        own = api.post(proxy_path(other.stripe_source_id), json=INVOICES, headers=headers)
        assert own.status_code == 200


def test_seeded_ids_are_deterministic() -> None:
    first, second, third = Sandbox(seed=7), Sandbox(seed=7), Sandbox(seed=8)
    assert first.client_id == second.client_id
    assert first.stripe_source_id == second.stripe_source_id
    assert first.other_workspace == second.other_workspace
    assert first.client_id != third.client_id
    assert first.workspace_id != first.other_workspace.workspace_id


def test_scoped_token_covers_only_its_workspace(sandbox: Sandbox, api: httpx.Client) -> None:
    sibling = sandbox.sibling_workspace
    assert sibling.organization_id == sandbox.organization_id
    assert sibling.workspace_id != sandbox.workspace_id
    app = application_token(api, sandbox.client_id, sandbox.client_secret)
    mine = scoped_token(api, app, sandbox.workspace_id)
    theirs = scoped_token(api, app, sibling.workspace_id)

    def status(token: str, source_id: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return api.post(proxy_path(source_id), json=INVOICES, headers=headers).status_code

    assert status(app, sibling.stripe_source_id) == 200  # the organization's token covers both
    assert status(mine, sibling.stripe_source_id) == 404
    assert status(theirs, sandbox.stripe_source_id) == 404
    assert status(theirs, sibling.stripe_source_id) == 200
    listing = api.get(
        files_path(sibling.file_source_id, "list"), headers={"Authorization": f"Bearer {mine}"}
    )
    assert listing.status_code == 404
    assert "not found" in listing.json()["detail"]
