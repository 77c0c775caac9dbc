"""Fault injection on the wire: 429 + Retry-After, 503, dropped connections, truncated bodies,
latency, schedules ("the 3rd call fails"), seeded rates, targets and token expiry."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import bearer_for, files_path, proxy_path

from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

INVOICES = {"method": "GET", "url": "https://api.stripe.com/v1/invoices?limit=20"}


@pytest.fixture(scope="module")
def faulty() -> Iterator[Sandbox]:
    """One sandbox for this module whose faults each test sets (and clears) itself."""
    with Sandbox(large_file_size=256 * 1024) as sb:
        yield sb


@pytest.fixture
def sb(faulty: Sandbox) -> Iterator[Sandbox]:
    faulty.set_faults(None)
    yield faulty
    faulty.set_faults(None)


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sb.base_url, timeout=10) as client:
        client.headers.update(bearer_for(sb, client))
        yield client


def read_readme(http: httpx.Client, sb: Sandbox) -> httpx.Response:
    return http.get(files_path(sb.file_source_id, "get", "README.md"))


def test_429_with_retry_after(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_429=1.0, retry_after=7))
    forwarded = len(sb.upstream_requests)
    response = http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert "rate limited" in response.json()["detail"]
    assert len(sb.upstream_requests) == forwarded  # refused before reaching Stripe


def test_fractional_retry_after(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_429=1.0, retry_after=0.25))
    assert read_readme(http, sb).headers["retry-after"] == "0.25"


def test_503(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_5xx=1.0))
    response = read_readme(http, sb)
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]


def test_drop_breaks_the_read(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_drop=1.0))
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|peer closed"):
        http.get(files_path(sb.file_source_id, "get", "data/large.bin"))
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    sb.set_faults(None)
    assert read_readme(http, sb).status_code == 200  # the client recovers on a new connection


def test_drop_sends_headers_and_part_of_the_body(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_drop=1.0))
    received = 0
    broke = False
    with http.stream("GET", files_path(sb.file_source_id, "get", "data/large.bin")) as response:
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == 256 * 1024
        try:
            for chunk in response.iter_bytes():
                received += len(chunk)
        except httpx.RemoteProtocolError:
            broke = True
    assert broke
    assert received == 128 * 1024


def _open_fds_on(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (Linux /proc)."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += Path(os.readlink(fd)) == path
        except OSError:
            continue  # closed while we looked
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("fault", ["drop", "truncate"])
def test_a_cut_body_closes_the_served_file(sb: Sandbox, http: httpx.Client, fault: str) -> None:
    large = (sb.files_dir / "data" / "large.bin").resolve()
    gc.disable()  # the file must be closed when the response ends, not when garbage is collected
    try:
        sb.set_faults(FaultConfig(schedule={1: fault}, targets=frozenset({"files"})))
        with contextlib.suppress(httpx.RemoteProtocolError):
            http.get(files_path(sb.file_source_id, "get", "data/large.bin"))
        deadline = time.monotonic() + 5
        while _open_fds_on(large) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _open_fds_on(large) == 0
    finally:
        gc.enable()


def test_truncate_gives_a_short_but_well_formed_body(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(rate_truncate=1.0))
    ranged = http.get(
        files_path(sb.file_source_id, "get", "data/large.bin"), headers={"Range": "bytes=0-99999"}
    )
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 0-99999/{256 * 1024}"
    assert len(ranged.content) == 50_000
    assert ranged.headers["content-length"] == "50000"
    proxied = http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    assert proxied.status_code == 200
    with pytest.raises(ValueError):
        proxied.json()


def test_schedule_third_call_fails(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(schedule={3: "503", 5: "429"}))
    statuses = [read_readme(http, sb).status_code for _ in range(6)]
    assert statuses == [200, 200, 503, 200, 429, 200]
    assert sb.fault_calls == 6


def test_schedule_counts_proxy_and_file_calls_together(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(schedule={2: "503"}))
    assert http.post(proxy_path(sb.stripe_source_id), json=INVOICES).status_code == 200
    assert read_readme(http, sb).status_code == 503
    token = http.post(
        "/api/v1/account/applications/token",
        json={"client_id": sb.client_id, "client_secret": sb.client_secret},
    )
    assert token.status_code == 200  # token endpoints are not a default target
    assert sb.fault_calls == 2


def test_token_endpoints_as_target(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(schedule={1: "429"}, targets=frozenset({"tokens"})))
    payload = {"client_id": sb.client_id, "client_secret": sb.client_secret}
    assert http.post("/api/v1/account/applications/token", json=payload).status_code == 429
    assert http.post("/api/v1/account/applications/token", json=payload).status_code == 200
    assert read_readme(http, sb).status_code == 200


def test_upstream_faults_pass_through_as_stripe_errors(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(
        FaultConfig(schedule={1: "429", 2: "503", 3: "drop"}, targets=frozenset({"upstream"}))
    )
    limited = http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit"
    assert limited.headers["retry-after"] == "1"
    failing = http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    assert failing.status_code == 503
    assert failing.json()["error"]["type"] == "api_error"
    broken = http.post(proxy_path(sb.stripe_source_id), json=INVOICES)
    assert broken.status_code == 502
    assert "upstream" in broken.json()["detail"]


def test_latency(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_faults(FaultConfig(latency=0.2))
    started = time.monotonic()
    assert read_readme(http, sb).status_code == 200
    assert time.monotonic() - started >= 0.2
    with pytest.raises(httpx.ReadTimeout):
        http.get(files_path(sb.file_source_id, "get", "README.md"), timeout=0.05)


def test_rates_are_deterministic_with_a_seed(sb: Sandbox, http: httpx.Client) -> None:
    def run(seed: int) -> list[int]:
        sb.set_faults(FaultConfig(rate_429=0.3, rate_5xx=0.2, seed=seed))
        return [read_readme(http, sb).status_code for _ in range(30)]

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert {200, 429, 503} <= set(first)


def test_expire_tokens(sb: Sandbox, http: httpx.Client) -> None:
    assert read_readme(http, sb).status_code == 200
    sb.expire_tokens()
    response = read_readme(http, sb)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rate_429": 1.5}, "rates"),
        ({"rate_429": 0.6, "rate_5xx": 0.6}, "sum"),
        ({"latency": -1}, "latency"),
        ({"schedule": {0: "429"}}, "1-based"),
        ({"schedule": {1: "boom"}}, "unknown fault"),
        ({"targets": frozenset({"everything"})}, "targets"),
    ],
)
def test_fault_config_validation(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultConfig(**settings)  # type: ignore[arg-type]


def test_faults_at_construction() -> None:
    with (
        Sandbox(faults=FaultConfig(schedule={1: "503"}), large_file_size=0) as sb,
        httpx.Client(base_url=sb.base_url) as http,
    ):
        http.headers.update(bearer_for(sb, http))
        assert read_readme(http, sb).status_code == 503
        assert read_readme(http, sb).status_code == 200
        assert sb.faults.schedule == {1: "503"}


def test_fault_config_shorthand() -> None:
    config = FaultConfig.of(["files"], rate_drop=0.25, seed=3)
    assert config.targets == frozenset({"files"})
    assert config.rate_drop == 0.25
    assert config.seed == 3
    assert FaultConfig.of(rate_429=1.0).targets == frozenset({"proxy", "files"})
