"""`airbyte-embedded demo` end to end: on the sandbox, or on the service named by env vars."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._demo import main
from airbyte_embedded_tools.sandbox import Sandbox

_OUR_ENV = ("AIRBYTE_", "COOKBOOK_MODEL")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_OUR_ENV)}


async def _expected(sb: Sandbox) -> tuple[list[str], dict[str, int]]:
    """The first three invoices, and every customer owing over $1,000 on open invoices (cents)."""
    async with AirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id,
        base_url=sb.base_url,
    ) as client:
        url = "https://api.stripe.com/v1/invoices"
        first = await client.proxy_request(sb.stripe_source_id, "GET", url, params={"limit": 3})
        first_ids = [inv["id"] for inv in first.json()["data"]]
        owed: dict[str, int] = {}
        params: dict[str, Any] = {"status": "open", "limit": 100}
        while True:
            page = (
                await client.proxy_request(sb.stripe_source_id, "GET", url, params=params)
            ).json()
            for inv in page["data"]:
                owed[inv["customer_name"]] = (
                    owed.get(inv["customer_name"], 0) + inv["amount_remaining"]
                )
            if not page["has_more"]:
                break
            params["starting_after"] = page["data"][-1]["id"]
    return first_ids, {name: cents for name, cents in owed.items() if cents > 100_000}


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess[str]:
    """The CLI's `demo` subcommand, run once as a user would, with no AIRBYTE_* variables."""
    return subprocess.run(
        [sys.executable, "-m", "airbyte_embedded_tools.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(),
        check=False,
    )


async def test_demo_walks_through_every_step(
    demo_run: subprocess.CompletedProcess[str], sandbox: Sandbox
) -> None:
    out = demo_run.stdout
    assert demo_run.returncode == 0, demo_run.stderr[-3000:] + out[-3000:]
    assert "the local sandbox at http://127.0.0.1:" in out
    assert "skipped" not in out
    first_ids, debtors = await _expected(sandbox)
    assert "token" in out
    assert " expires in " in out
    for invoice_id in first_ids:
        assert invoice_id in out
    assert "contracts/acme-master-services-agreement.md" in out
    assert "Master Services Agreement" in out  # the file's first bytes, read through the proxy
    assert "LangChain Documents" in out
    answer = re.split(r"\n\s*A: ", out, maxsplit=1)[1]
    assert f"{len(debtors)} customers owe more than $1,000.00" in answer
    for name, cents in debtors.items():
        assert f"{name} (" in answer
        assert f"${cents / 100:,.2f}" in answer
    assert "Next steps" in out
    took = re.search(r"Done in ([\d.]+) s", out)
    assert took is not None
    assert float(took.group(1)) < 60


def test_demo_never_prints_a_secret(
    demo_run: subprocess.CompletedProcess[str], sandbox: Sandbox
) -> None:
    output = demo_run.stdout + demo_run.stderr
    assert sandbox.client_secret not in output
    assert sandbox.stripe_secret_key not in output
    assert "Bearer " not in output


def test_demo_uses_the_real_service_when_the_environment_names_it(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in list(os.environ):
        if key.startswith(_OUR_ENV):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.setenv("AIRBYTE_WORKSPACE_ID", sandbox.workspace_id)
    monkeypatch.setenv("AIRBYTE_API_URL", sandbox.base_url)
    monkeypatch.setenv("AIRBYTE_STRIPE_SOURCE_ID", sandbox.stripe_source_id)
    monkeypatch.setenv("AIRBYTE_FILE_SOURCE_ID", sandbox.file_source_id)
    code = main(["--question", "Show the 2 most recent customers"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"the Airbyte service at {sandbox.base_url}" in out
    assert "local sandbox" not in out
    assert sandbox.stripe_source_id in out
    assert "The 2 most recent customers:" in out
