"""Plain helpers of the sandbox tests (imported by the test modules; fixtures live in conftest)."""

from __future__ import annotations

import httpx

from airbyte_embedded_tools.sandbox import Sandbox

TOKEN_PATH = "/api/v1/account/applications/token"
SCOPED_PATH = "/api/v1/embedded/scoped-token"


def application_token(http: httpx.Client, client_id: str, client_secret: str) -> str:
    """Exchange client credentials for an application token (asserting success)."""
    response = http.post(TOKEN_PATH, json={"client_id": client_id, "client_secret": client_secret})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def scoped_token(http: httpx.Client, app_token: str, workspace_id: str) -> str:
    """A token for one workspace, minted with an application token (asserting success)."""
    response = http.post(
        SCOPED_PATH,
        json={"workspaceId": workspace_id},
        headers={"Authorization": f"Bearer {app_token}"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


CURRENT_SCOPED_PATH = "/api/v1/account/applications/scoped-token"


def scoped_token_for_name(http: httpx.Client, app_token: str, workspace_name: str) -> str:
    """A token for the workspace of that name: from the current endpoint, or the older one where
    a deployment has only that (asserting success)."""
    headers = {"Authorization": f"Bearer {app_token}"}
    body = {"workspace_name": workspace_name}
    response = http.post(CURRENT_SCOPED_PATH, json=body, headers=headers)
    if response.status_code == 404 and "no such endpoint" in response.text:
        response = http.post(SCOPED_PATH, json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    return str(answer.get("token") or answer["access_token"])


def bearer_for(sb: Sandbox, http: httpx.Client) -> dict[str, str]:
    """Authorization header with a fresh application token of ``sb``'s demo organization."""
    return {"Authorization": f"Bearer {application_token(http, sb.client_id, sb.client_secret)}"}


def proxy_path(source_id: str) -> str:
    """The API proxy path of a source."""
    return f"/api/v1/sonar/apis/{source_id}/request"


def files_path(source_id: str, action: str, key: str = "") -> str:
    """A file endpoint path: action is "list" or "get"."""
    return f"/api/v1/sonar/files/{source_id}/{action}/{key}"
