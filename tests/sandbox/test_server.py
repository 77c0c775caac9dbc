"""Starting the sandbox three ways (context manager, foreground runner, ASGI app), and hygiene."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from sandbox_helpers import application_token, bearer_for, files_path, proxy_path

from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox, create_app, run_sandbox


def test_context_manager_serves_and_frees_its_ports() -> None:
    sb = Sandbox(large_file_size=0)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sb.base_url
    with sb:
        assert sb.base_url.startswith("http://127.0.0.1:")
        assert sb.stripe_url.startswith("http://127.0.0.1:")
        assert sb.base_url != sb.stripe_url
        assert httpx.get(sb.base_url + "/api/v1/health").json() == {"available": True}
        with pytest.raises(RuntimeError, match="already running"):
            sb.start()
        port = int(sb.base_url.rsplit(":", 1)[1])
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
    sb.stop()  # idempotent


def test_keep_alive_answers_are_not_held_back_by_nagle(sandbox: Sandbox) -> None:
    """Without TCP_NODELAY on accepted sockets each answer written in two parts waits ~40 ms for
    the client's delayed ACK; with it a small answer takes about a millisecond on loopback."""
    with httpx.Client(base_url=sandbox.stripe_url, auth=(sandbox.stripe_secret_key, "")) as http:
        http.get("/v1/invoices", params={"limit": 3}).raise_for_status()
        times = []
        for _ in range(15):
            started = time.perf_counter()
            http.get("/v1/invoices", params={"limit": 3}).raise_for_status()
            times.append(time.perf_counter() - started)
    assert sorted(times)[len(times) // 2] < 0.025


def test_start_stop_methods_and_restart() -> None:
    sb = Sandbox(large_file_size=0)
    sb.start()
    try:
        with httpx.Client(base_url=sb.base_url) as http:
            assert application_token(http, sb.client_id, sb.client_secret)
    finally:
        sb.stop()
    sb.start()  # a stopped sandbox can start again (new ports, same tenants)
    try:
        with httpx.Client(base_url=sb.base_url) as http:
            assert application_token(http, sb.client_id, sb.client_secret)
    finally:
        sb.stop()


def test_busy_port_is_reported() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        busy = holder.getsockname()[1]
        with pytest.raises(OSError):
            Sandbox(port=busy, large_file_size=0).start()
    finally:
        holder.close()


def test_repr_and_tenants_hide_secrets(sandbox: Sandbox) -> None:
    text = repr(sandbox) + repr(sandbox.other_workspace) + repr(sandbox.primary)
    assert sandbox.client_secret not in text
    assert sandbox.other_workspace.client_secret not in text
    assert sandbox.stripe_secret_key not in text
    assert sandbox.workspace_id in text


def test_run_sandbox_prints_the_credentials_and_stops() -> None:
    out = io.StringIO()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sandbox,
        kwargs={
            "port": 0,
            "out": out,
            "stop_event": stop,
            "large_file_size": 0,
            "seed": 3,
            "access_log": False,
        },
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        banner = out.getvalue()
        expected = Sandbox(seed=3)
        for value in (expected.client_id, expected.client_secret, expected.workspace_id,
                      expected.stripe_source_id, expected.file_source_id):  # fmt: skip
            assert value in banner
        base_url = next(line.split()[-1] for line in banner.splitlines() if "base URL" in line)
        assert httpx.get(base_url + "/api/v1/health").status_code == 200
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert "Stopping" in out.getvalue()


async def test_create_app_serves_everything_from_one_port() -> None:
    app = create_app(large_file_size=0, seed=5)
    tenant = app.state.sandbox.state.primary
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            token = await http.post(
                "/api/v1/account/applications/token",
                json={"client_id": tenant.organization.client_id,
                      "client_secret": tenant.organization.client_secret},
            )  # fmt: skip
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
            proxied = await http.post(
                proxy_path(tenant.stripe_source.id),
                json={"method": "GET", "url": "https://api.stripe.com/v1/customers?limit=2"},
                headers=auth,
            )
            assert proxied.status_code == 200
            assert len(proxied.json()["data"]) == 2
            listed = await http.get(files_path(tenant.file_source.id, "list"), headers=auth)
            assert listed.status_code == 200
            root = app.state.sandbox.resources.default_files.root
            assert root.exists()
    finally:
        server.should_exit = True
        await task
    assert not root.exists()  # the temporary files go with the app


async def test_concurrent_requests(sandbox: Sandbox, auth: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=auth) as http:
        calls = [
            http.post(
                proxy_path(sandbox.stripe_source_id),
                json={"method": "GET", "url": f"https://api.stripe.com/v1/invoices?limit={n}"},
            )
            for n in range(1, 21)
        ] + [http.get(files_path(sandbox.file_source_id, "get", "README.md")) for _ in range(20)]
        responses = await asyncio.gather(*calls)
    assert [r.status_code for r in responses] == [200] * 40
    assert [len(r.json()["data"]) for r in responses[:20]] == list(range(1, 21))


@pytest.mark.parametrize("fault", ["truncate", "drop"])
def test_cut_responses_log_no_tracebacks(caplog: pytest.LogCaptureFixture, fault: str) -> None:
    faults = FaultConfig(schedule={1: fault})
    with (
        Sandbox(large_file_size=1024, faults=faults) as sb,
        httpx.Client(base_url=sb.base_url) as http,
        caplog.at_level(logging.INFO),
    ):
        http.headers.update(bearer_for(sb, http))
        try:
            received = len(http.get(files_path(sb.file_source_id, "get", "data/large.bin")).content)
        except httpx.RemoteProtocolError:
            received = -1
    assert received == (512 if fault == "truncate" else -1)
    assert not [r for r in caplog.records if r.exc_info]


def test_client_hanging_up_mid_request_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox(large_file_size=0) as sb, caplog.at_level(logging.INFO):
        with httpx.Client(base_url=sb.base_url) as http:
            token = application_token(http, sb.client_id, sb.client_secret)
        host, port = sb.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(
                f"POST {proxy_path(sb.stripe_source_id)} HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {token}\r\n"
                'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"met'.encode()
            )
            time.sleep(0.2)
        time.sleep(0.2)
        assert httpx.get(sb.base_url + "/api/v1/health").status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
