"""``airbyte-embedded sandbox`` in the foreground, ``--help``, and the pure helpers of the CLI."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import time

import httpx
import pytest
from cli_helpers import CLI

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._errors import (
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    UpstreamError,
)
from airbyte_embedded_tools.cli import main
from airbyte_embedded_tools.cli.exit_codes import ExitCode, describe_error
from airbyte_embedded_tools.cli.output import format_size, format_table
from airbyte_embedded_tools.cli.parser import build_parser, parse_range


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {timeout} s")


def test_sandbox_command_serves_and_prints_credentials() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", str(port), "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        banner = []
        for raw in proc.stdout:  # until the banner is complete (a loaded machine is slow)
            banner.append(raw.decode())
            if raw.startswith(b"Press Ctrl-C"):
                break
        httpx.get(f"http://127.0.0.1:{port}/nothing-here", timeout=20)  # one access log line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(banner) + out.decode()
    assert f"http://127.0.0.1:{port}" in text
    assert "client secret" in text
    exports = [line.split()[1].split("=")[0] for line in text.splitlines() if "export " in line]
    assert exports == [
        "AIRBYTE_API_URL",
        "AIRBYTE_CLIENT_ID",
        "AIRBYTE_CLIENT_SECRET",
        "AIRBYTE_WORKSPACE_ID",
        "AIRBYTE_STRIPE_SOURCE_ID",
        "AIRBYTE_FILE_SOURCE_ID",
    ]
    assert "/nothing-here" in text  # the access log is kept
    logged = err.decode()
    assert "startup" not in logged.lower(), logged  # uvicorn's start lines, once per server
    assert "Started server process" not in logged
    assert proc.returncode in (0, -signal.SIGINT), err


def test_sandbox_command_token_endpoint_answers() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for_port(port, proc)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/account/applications/token",
            json={"client_id": "nobody", "client_secret": "wrong"},
        )
        assert answer.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_sandbox_refuses_a_public_host() -> None:
    proc = subprocess.run(
        [*CLI, "sandbox", "--host", "0.0.0.0"], capture_output=True, timeout=30, check=False
    )
    assert proc.returncode == 2
    assert b"loopback" in proc.stderr


def test_help_lists_commands_and_exit_codes() -> None:
    proc = subprocess.run([*CLI, "--help"], capture_output=True, timeout=30, check=True)
    text = proc.stdout.decode()
    for command in ("request", "ls", "cat", "token", "mcp", "sandbox", "demo"):
        assert command in text
    assert "5  upstream error" in text


def test_help_names_the_variables_of_config(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    main_help = parser.format_help()
    credentials = [name for name in dir(config) if name.startswith("ENV_") and "SOURCE" not in name]
    assert len(credentials) == 7
    for name in credentials:
        assert getattr(config, name) in main_help
    with pytest.raises(SystemExit):
        parser.parse_args(["mcp", "--help"])
    mcp_help = capsys.readouterr().out
    assert f"${config.ENV_STRIPE_SOURCE_ID}" in mcp_help
    assert f"${config.ENV_FILE_SOURCE_ID}" in mcp_help


def test_server_help_offers_only_the_options_they_use(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--help"])
    sandbox_help = capsys.readouterr().out
    for option in ("--base-url", "--workspace", "--json", "--format"):
        assert option not in sandbox_help, option
    assert "--debug" in sandbox_help
    with pytest.raises(SystemExit):
        parser.parse_args(["request", "--help"])
    request_help = capsys.readouterr().out
    for option in ("--json", "--body", "--workspace", "--base-url"):
        assert option in request_help, option
    assert main(["sandbox", "--base-url", "http://127.0.0.1:1"]) == ExitCode.USAGE
    assert "unrecognized arguments: --base-url" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run([*CLI, "frobnicate"], capture_output=True, timeout=30, check=False)
    assert proc.returncode == 2


@pytest.mark.parametrize(
    ("text", "expected"), [("0-9", (0, 9)), ("10-", (10, None)), ("5-5", (5, 5))]
)
def test_parse_range(text: str, expected: tuple[int, int | None]) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["", "-5", "a-b", "9-3", "5", "-"])
def test_parse_range_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_range(text)


def test_describe_error_codes_and_one_line() -> None:
    cases = [
        (AuthenticationError("bad\ncredentials", status_code=401), ExitCode.AUTHENTICATION),
        (NotFoundError("no source", status_code=404), ExitCode.NOT_FOUND),
        (UpstreamError("stripe said 404", upstream_status=404), ExitCode.UPSTREAM),
        (APITimeoutError("timed out"), ExitCode.CONNECTION),
        (RuntimeError("boom"), ExitCode.ERROR),
    ]
    for exc, code in cases:
        got, line = describe_error(exc)
        assert got == code
        assert line.startswith("error: ")
        assert "\n" not in line
    # the hint names the variables once, whether or not the message already did
    _, line = describe_error(AuthenticationError("token rejected", status_code=401))
    assert line.count("AIRBYTE_ACCESS_TOKEN") == 1
    named = AuthenticationError("rejected: check AIRBYTE_CLIENT_SECRET", status_code=401)
    assert describe_error(named)[1].count("AIRBYTE_CLIENT_SECRET") == 1


def test_format_helpers() -> None:
    assert format_size(532) == "532 B"
    assert format_size(3 * 1024 * 1024) == "3.0 MiB"
    table = format_table(["SIZE", "PATH"], [["1 B", "a"], ["10.0 KiB", "b/c"]], right=[0])
    assert table.splitlines() == ["    SIZE  PATH", "     1 B  a", "10.0 KiB  b/c"]


def test_demo_receives_its_arguments() -> None:
    proc = subprocess.run([*CLI, "demo", "--help"], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"airbyte-embedded demo" in proc.stdout  # the demo's own parser answered


def test_describe_error_for_local_files() -> None:
    code, line = describe_error(FileNotFoundError(2, "No such file or directory", "/x/y.bin"))
    assert code == ExitCode.ERROR
    assert line == "error: No such file or directory: /x/y.bin"


def test_sandbox_command_passes_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sandbox option reaches ``run_sandbox`` (no server is started here)."""
    import airbyte_embedded_tools.sandbox as sandbox_module

    seen: dict[str, object] = {}

    def fake_run_sandbox(port: int, **settings: object) -> None:
        seen.update(settings, port=port)

    monkeypatch.setattr(sandbox_module, "run_sandbox", fake_run_sandbox)
    argv = ["sandbox", "--port", "9", "--invoice-count", "2000", "--token-lifetime", "30"]
    assert main([*argv, "--envelope", "body", "--seed", "3", "--tenants", "5"]) == 0
    assert seen["port"] == 9
    assert seen["invoice_count"] == 2000
    assert seen["tenants"] == 5
    assert seen["token_lifetime"] == 30
    assert seen["envelope"] == "body"
    assert seen["seed"] == 3
