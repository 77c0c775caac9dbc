"""Sandbox(tenants=N): N customer workspaces of one organization, each with data of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import (
    application_token,
    files_path,
    proxy_path,
    scoped_token_for_name,
)

from airbyte_embedded_tools.sandbox import Sandbox, SandboxTenant
from airbyte_embedded_tools.sandbox.file_store import FileStore
from airbyte_embedded_tools.sandbox.state import SandboxState
from airbyte_embedded_tools.sandbox.stripe_data import build_dataset
from airbyte_embedded_tools.sandbox.stripe_store import StripeStore
from airbyte_embedded_tools.sandbox.tenancy import TenantResources
from airbyte_embedded_tools.sandbox.tenant_data import build_tenant_dataset, tenant_documents

CUSTOMERS = "https://api.stripe.com/v1/customers?limit=100"
INVOICES = "https://api.stripe.com/v1/invoices?limit=100"


@pytest.fixture(scope="module")
def many() -> Iterator[Sandbox]:
    """A sandbox with three tenants (small large file: this module never reads it)."""
    with Sandbox(tenants=3, large_file_size=1024) as sb:
        yield sb


@pytest.fixture
def http(many: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=many.base_url, timeout=10) as client:
        yield client


def bearer(http: httpx.Client, sb: Sandbox, tenant: SandboxTenant) -> dict[str, str]:
    """A scoped token of one tenant, by workspace name, as an Authorization header."""
    app = application_token(http, sb.client_id, sb.client_secret)
    return {"Authorization": f"Bearer {scoped_token_for_name(http, app, tenant.name)}"}


def proxied(http: httpx.Client, auth: dict[str, str], source_id: str, url: str) -> httpx.Response:
    return http.post(proxy_path(source_id), json={"method": "GET", "url": url}, headers=auth)


def test_default_sandbox_is_unchanged_by_tenants() -> None:
    plain, with_tenants = Sandbox(), Sandbox(tenants=5)
    assert plain.tenants == []
    assert (plain.primary, plain.other_workspace, plain.sibling_workspace) == (
        with_tenants.primary,
        with_tenants.other_workspace,
        with_tenants.sibling_workspace,
    )
    assert plain.stripe_secret_key == with_tenants.stripe_secret_key
    assert [t.name for t in with_tenants.tenants] == [f"tenant-000{i}" for i in range(1, 6)]
    assert Sandbox(tenants=5).tenants == with_tenants.tenants  # same seed, same ids
    ids = {t.workspace_id for t in with_tenants.tenants} | {plain.workspace_id}
    assert len(ids) == 6
    assert {t.organization_id for t in with_tenants.tenants} == {plain.organization_id}
    assert "sk_test" not in repr(with_tenants.tenants)
    with pytest.raises(ValueError, match="tenants"):
        Sandbox(tenants=0)
    with pytest.raises(KeyError, match="tenant-9999"):
        with_tenants.tenant("tenant-9999")


def test_each_tenant_sees_its_own_stripe_data_and_files(many: Sandbox, http: httpx.Client) -> None:
    seen_customers: dict[str, set[str]] = {}
    for tenant in many.tenants:
        auth = bearer(http, many, tenant)
        customers = proxied(http, auth, tenant.stripe_source_id, CUSTOMERS)
        assert customers.status_code == 200, customers.text
        data = customers.json()["data"]
        assert len(data) == 6
        assert all(tenant.name in c["name"] and tenant.name in c["email"] for c in data)
        assert all(c["metadata"]["tenant"] == tenant.name for c in data)
        seen_customers[tenant.name] = {c["id"] for c in data}
        invoices = proxied(http, auth, tenant.stripe_source_id, INVOICES).json()["data"]
        assert all(inv["metadata"]["tenant"] == tenant.name for inv in invoices)
        unpaid = [inv for inv in invoices if inv["status"] == "open"]
        assert [(inv["customer_name"], inv["amount_remaining"]) for inv in unpaid] == [
            (tenant.debtor.name, tenant.debtor.amount_remaining)
        ]
        listing = http.get(files_path(tenant.file_source_id, "list"), headers=auth)
        assert listing.status_code == 200, listing.text
        paths = [f["path"] for f in listing.json()["files"]]
        assert f"notes/{tenant.name}-account-review.txt" in paths
        for path in paths:
            body = http.get(files_path(tenant.file_source_id, "get", path), headers=auth)
            assert body.status_code == 200
            assert tenant.name in body.text
        report = http.get(files_path(tenant.file_source_id, "get", "reports/customers.json"),
                          headers=auth)  # fmt: skip
        assert json.loads(report.text)["tenant"] == tenant.name
    first, second, third = seen_customers.values()
    assert len(first | second | third) == len(first) + len(second) + len(third)
    assert len({t.debtor.amount_remaining for t in many.tenants}) == 3


def test_the_demo_account_keeps_its_data(many: Sandbox, http: httpx.Client) -> None:
    app = {"Authorization": f"Bearer {application_token(http, many.client_id, many.client_secret)}"}
    customers = proxied(http, app, many.stripe_source_id, CUSTOMERS).json()["data"]
    assert len(customers) == len(build_dataset(42).customers)
    assert not any("tenant-" in c["name"] for c in customers)
    listing = http.get(files_path(many.file_source_id, "list"), headers=app).json()
    assert not any("tenant-" in f["path"] for f in listing["files"])


def test_a_tenant_cannot_reach_another_tenants_sources(many: Sandbox, http: httpx.Client) -> None:
    alpha, beta, _ = many.tenants
    auth = bearer(http, many, alpha)
    many.reset_log()
    foreign = proxied(http, auth, beta.stripe_source_id, CUSTOMERS)
    unknown = proxied(http, auth, "src-does-not-exist", CUSTOMERS)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"].replace(beta.stripe_source_id, "X") == unknown.json()[
        "detail"
    ].replace("src-does-not-exist", "X")
    files_foreign = http.get(files_path(beta.file_source_id, "list"), headers=auth)
    assert files_foreign.status_code == 404
    own = proxied(http, auth, alpha.stripe_source_id, CUSTOMERS)
    assert own.status_code == 200
    log = many.access_log
    assert [(r.endpoint, r.status, r.crosses_workspaces) for r in log] == [
        ("proxy", 404, True),
        ("proxy", 404, False),
        ("files.list", 404, True),
        ("proxy", 200, False),
    ]
    assert {r.token_workspace_id for r in log} == {alpha.workspace_id}
    assert [r.source_workspace_id for r in log] == [
        beta.workspace_id,
        None,
        beta.workspace_id,
        alpha.workspace_id,
    ]
    token = auth["Authorization"].split()[1]
    assert len({r.token_id for r in log}) == 1
    assert all(r.token.startswith("sbx_sco_") and token not in repr(r) for r in log)


def test_revoking_one_tenant_leaves_the_others_working(many: Sandbox, http: httpx.Client) -> None:
    alpha, beta, gamma = many.tenants
    alpha_auth, beta_auth = bearer(http, many, alpha), bearer(http, many, beta)
    many.revoke_workspace(beta.name)
    try:
        refused = proxied(http, beta_auth, beta.stripe_source_id, CUSTOMERS)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]
        app = application_token(http, many.client_id, many.client_secret)
        with pytest.raises(AssertionError, match="revoked"):
            scoped_token_for_name(http, app, beta.name)
        org_wide = {"Authorization": f"Bearer {app}"}
        assert proxied(http, org_wide, beta.stripe_source_id, CUSTOMERS).status_code == 403
        assert proxied(http, alpha_auth, alpha.stripe_source_id, CUSTOMERS).status_code == 200
        gamma_auth = bearer(http, many, gamma)
        assert proxied(http, gamma_auth, gamma.stripe_source_id, CUSTOMERS).status_code == 200
    finally:
        many.restore_workspace(beta.workspace_id)
    assert proxied(http, beta_auth, beta.stripe_source_id, CUSTOMERS).status_code == 200
    with pytest.raises(KeyError, match="nobody"):
        many.revoke_workspace("nobody")


def test_expiring_one_tenants_tokens(many: Sandbox, http: httpx.Client) -> None:
    alpha, beta, _ = many.tenants
    alpha_auth, beta_auth = bearer(http, many, alpha), bearer(http, many, beta)
    many.expire_tokens(alpha.name)
    expired = proxied(http, alpha_auth, alpha.stripe_source_id, CUSTOMERS)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]
    assert proxied(http, beta_auth, beta.stripe_source_id, CUSTOMERS).status_code == 200
    assert many.access_log[-2].token_workspace_id == alpha.workspace_id  # an expired one, named


def test_each_tenant_key_reaches_its_own_account(many: Sandbox) -> None:
    alpha, beta, _ = many.tenants
    for tenant in (alpha, beta):
        with httpx.Client(base_url=many.stripe_url, auth=(tenant.stripe_secret_key, "")) as http:
            names = [c["name"] for c in http.get("/v1/customers").json()["data"]]
        assert len(names) == 6
        assert all(tenant.name in name for name in names)
    assert len(many.stripe_objects("customers", alpha.name)) == 6
    assert many.stripe_objects("customers", alpha.workspace_id) == many.stripe_objects(
        "customers", alpha.name
    )


def test_tenant_data_is_built_on_first_touch_and_does_not_depend_on_order(tmp_path: Path) -> None:
    state = SandboxState(tenants=1000)
    resources = TenantResources(
        state,
        seed=42,
        default_stripe=StripeStore(build_dataset(42)),
        default_files=FileStore(tmp_path),
        tenants_root=tmp_path / "tenants",
    )
    assert resources.touched() == 0
    last = state.tenants[-1]
    assert last.workspace.name == "tenant-1000"
    store = resources.stripe_for_key(str(last.stripe_source.secret_key))
    assert store is resources.stripe_for_workspace(last.workspace.id)
    assert resources.touched() == 1
    files = resources.files_for(last.file_source)
    assert files.root == (tmp_path / "tenants" / "tenant-1000").resolve()
    assert resources.touched() == 1
    assert resources.stripe_for_key("sk_test_unknown") is None
    assert resources.files_for(state.primary.file_source) is resources.default_files
    assert build_tenant_dataset(42, "tenant-0007", 7) == build_tenant_dataset(42, "tenant-0007", 7)
    seven = build_tenant_dataset(42, "tenant-0007", 7)
    eight = build_tenant_dataset(42, "tenant-0008", 8)
    assert {c["id"] for c in seven.customers}.isdisjoint(c["id"] for c in eight.customers)
    assert all(b"tenant-0007" in content for content in tenant_documents("tenant-0007", 7).values())


def test_many_tenants_on_the_command_line_banner() -> None:
    from airbyte_embedded_tools.sandbox.server import describe

    with Sandbox(tenants=2, large_file_size=0) as sb:
        banner = describe(sb)
    assert "tenants           2 workspaces of this organization: tenant-0001 ... tenant-0002" in (
        banner
    )
