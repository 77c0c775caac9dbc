"""``airbyte-embedded request`` and ``token`` as subprocesses against the sandbox; exit codes."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from cli_helpers import RunCli, run, sandbox_env

from airbyte_embedded_tools.cli.exit_codes import ExitCode
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox


def _one_error_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {lines}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in lines[0]
    return lines[0]


def test_request_path_json_output(cli: RunCli, sandbox: Any) -> None:
    proc = cli(
        "request",
        sandbox.stripe_source_id,
        "GET",
        "/v1/invoices",
        "--param",
        "limit=3",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status_code"] == 200
    assert answer["url"].startswith("https://api.stripe.com/v1/invoices")
    invoices = answer["body"]["data"]
    assert len(invoices) == 3
    assert all(inv["id"].startswith("in_") for inv in invoices)


def test_request_full_url_human_output(cli: RunCli, sandbox: Any) -> None:
    proc = cli(
        "request", sandbox.stripe_source_id, "get", "https://api.stripe.com/v1/customers?limit=2"
    )
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)  # pretty JSON body on stdout, status line on stderr
    assert [c["id"][:4] for c in body["data"]] == ["cus_", "cus_"]
    assert proc.stderr.decode().startswith("200 GET https://api.stripe.com/v1/customers")
    assert b"\n  " in proc.stdout  # indented for people


def test_global_json_flag_before_subcommand(cli: RunCli, sandbox: Any) -> None:
    proc = cli("--json", "request", sandbox.stripe_source_id, "GET", "/v1/products")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["body"]["object"] == "list"


def test_upstream_error_exit_5(cli: RunCli, sandbox: Any) -> None:
    proc = cli("request", sandbox.stripe_source_id, "GET", "/v1/invoices/in_doesnotexist")
    assert proc.returncode == ExitCode.UPSTREAM
    line = _one_error_line(proc.stderr.split(b"\n", 1)[1])  # after the status line
    assert "404" in line
    assert json.loads(proc.stdout)["error"]["code"] == "resource_missing"


def test_unknown_source_exit_4(cli: RunCli) -> None:
    proc = cli("request", "00000000-0000-0000-0000-000000000000", "GET", "/v1/invoices")
    assert proc.returncode == ExitCode.NOT_FOUND, proc.stderr
    _one_error_line(proc.stderr)


def test_other_workspace_source_is_not_found(cli: RunCli, sandbox: Any) -> None:
    proc = cli("request", sandbox.other_workspace.stripe_source_id, "GET", "/v1/invoices")
    assert proc.returncode == ExitCode.NOT_FOUND, proc.stderr  # like an unknown source
    _one_error_line(proc.stderr)


def test_write_refused_without_flag_then_sent_with_it(cli: RunCli, sandbox: Any) -> None:
    body = json.dumps({"email": "cli-test@example.com", "name": "CLI Test"})
    refused = cli("request", sandbox.stripe_source_id, "POST", "/v1/customers", "--body", body)
    assert refused.returncode == ExitCode.PERMISSION
    assert "--allow-write" in _one_error_line(refused.stderr)
    sent = cli(
        "request",
        sandbox.stripe_source_id,
        "POST",
        "/v1/customers",
        "--body",
        body,
        "--allow-write",
        "--json",
    )
    assert sent.returncode == 0, sent.stderr
    created = json.loads(sent.stdout)["body"]
    assert created["id"].startswith("cus_")
    assert created["email"] == "cli-test@example.com"


def test_body_from_stdin(cli: RunCli, sandbox: Any) -> None:
    proc = cli(
        "request",
        sandbox.stripe_source_id,
        "POST",
        "/v1/customers",
        "--body",
        "@-",
        "--allow-write",
        "--format",
        "json",
        stdin=b'{"email": "stdin@example.com"}',
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["body"]["email"] == "stdin@example.com"


def test_bad_json_body_is_a_usage_error(cli: RunCli, sandbox: Any) -> None:
    proc = cli(
        "request",
        sandbox.stripe_source_id,
        "POST",
        "/v1/customers",
        "--body",
        "{oops",
        "--allow-write",
    )
    assert proc.returncode == ExitCode.USAGE
    assert "not valid JSON" in _one_error_line(proc.stderr)


def test_foreign_host_refused_with_the_documented_code(cli: RunCli, sandbox: Any) -> None:
    proc = cli("request", sandbox.stripe_source_id, "GET", "https://evil.example.com/v1/invoices")
    assert proc.returncode == ExitCode.PERMISSION, proc.stderr
    assert "evil.example.com" in _one_error_line(proc.stderr)
    assert all("evil" not in r.host for r in sandbox.upstream_requests)  # nothing was sent
    help_text = cli("--help").stdout.decode()
    assert f"{int(ExitCode.PERMISSION)}  permission denied" in help_text
    assert "host not allowed" in help_text


def test_json_after_the_verb_is_machine_output(cli: RunCli, sandbox: Any) -> None:
    proc = cli("request", sandbox.stripe_source_id, "GET", "/v1/products", "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status_code"] == 200
    assert answer["body"]["object"] == "list"
    assert proc.stderr == b""  # no human status line either


def test_json_errors_are_json_on_stderr(cli: RunCli, sandbox: Any) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    for argv in (
        ("request", unknown, "GET", "/v1/invoices", "--json"),
        ("--json", "request", unknown, "GET", "/v1/invoices"),
        ("ls", unknown, "--format", "json"),
    ):
        proc = cli(*argv)
        assert proc.returncode == ExitCode.NOT_FOUND, proc.stderr
        assert proc.stdout == b""
        error = json.loads(proc.stderr)["error"]
        assert error["type"] == "NotFoundError"
        assert error["exit_code"] == ExitCode.NOT_FOUND
        assert unknown in error["message"] or "not found" in error["message"].lower()
    refused = cli("request", sandbox.stripe_source_id, "DELETE", "/v1/customers/x", "--json")
    error = json.loads(refused.stderr)["error"]
    assert (refused.returncode, error["exit_code"]) == (ExitCode.PERMISSION, ExitCode.PERMISSION)
    assert "--allow-write" in error["message"]
    usage = cli("request", "only-a-source-id", "--json")
    assert usage.returncode == ExitCode.USAGE
    error = json.loads(usage.stderr)["error"]
    assert error == {
        "type": "UsageError",
        "message": error["message"],
        "exit_code": int(ExitCode.USAGE),
    }
    assert "required" in error["message"]


def test_workspace_option_picks_the_workspace_by_name(sandbox: Any) -> None:
    env = sandbox_env(sandbox, AIRBYTE_WORKSPACE_ID="")
    ours = sandbox.workspace_name
    proc = run(
        "request", sandbox.stripe_source_id, "GET", "/v1/invoices", "--workspace", ours, env=env
    )
    assert proc.returncode == 0, proc.stderr
    # --workspace wins over AIRBYTE_WORKSPACE_ID: the sibling workspace cannot reach our source
    sibling = sandbox.sibling_workspace.workspace_name
    proc = run(
        "--workspace",
        sibling,
        "request",
        sandbox.stripe_source_id,
        "GET",
        "/v1/invoices",
        env=sandbox_env(sandbox),
    )
    assert proc.returncode in (ExitCode.PERMISSION, ExitCode.NOT_FOUND), proc.stderr
    _one_error_line(proc.stderr)
    own = run(
        "ls",
        sandbox.sibling_workspace.file_source_id,
        "--workspace",
        sibling,
        "--json",
        env=sandbox_env(sandbox),
    )
    assert own.returncode == 0, own.stderr
    assert isinstance(json.loads(own.stdout), list)


def test_argparse_usage_error_exit_2(cli: RunCli) -> None:
    proc = cli("request", "only-a-source-id")
    assert proc.returncode == 2
    assert b"usage:" in proc.stderr


def test_token_human_and_json_never_show_secret_or_token(cli: RunCli, sandbox: Any) -> None:
    human = cli("token")
    assert human.returncode == 0, human.stderr
    assert b"expires in" in human.stdout
    as_json = cli("token", "--json")
    info = json.loads(as_json.stdout)
    assert set(info) == {"kind", "base_url", "expires_in", "expires_at"}
    assert 0 < info["expires_in"] <= 1200  # scoped tokens: 20 minutes
    shown = cli("token", "--show-token")
    token = shown.stdout.decode().strip()
    assert token
    assert "\n" not in token
    for proc in (human, as_json):
        output = proc.stdout + proc.stderr
        assert sandbox.client_secret.encode() not in output
        assert token.encode() not in output
    # the printed token is a working bearer token
    env = sandbox_env(
        sandbox, AIRBYTE_ACCESS_TOKEN=token, AIRBYTE_CLIENT_ID="", AIRBYTE_CLIENT_SECRET=""
    )
    proc = run("request", sandbox.stripe_source_id, "GET", "/v1/invoices", env=env)
    assert proc.returncode == 0, proc.stderr


def test_bad_credentials_exit_3_without_the_secret(sandbox: Any) -> None:
    secret = "not-the-right-secret-4242"
    proc = run("token", env=sandbox_env(sandbox, AIRBYTE_CLIENT_SECRET=secret))
    assert proc.returncode == ExitCode.AUTHENTICATION
    line = _one_error_line(proc.stderr)
    assert secret not in line
    assert line.count("AIRBYTE_CLIENT_SECRET") == 1, line  # the hint is given once
    assert b"Traceback" not in proc.stderr


def test_missing_credentials_name_the_variable(sandbox: Any) -> None:
    env = sandbox_env(sandbox, AIRBYTE_CLIENT_ID="", AIRBYTE_CLIENT_SECRET="")
    proc = run("token", env=env)
    assert proc.returncode == ExitCode.USAGE
    assert "AIRBYTE_CLIENT_ID" in _one_error_line(proc.stderr)


def test_connection_refused_exit_7(sandbox: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = sandbox_env(sandbox)
    proc = run("--base-url", f"http://127.0.0.1:{port}", "token", env=env)
    assert proc.returncode == ExitCode.CONNECTION
    _one_error_line(proc.stderr)


def test_debug_shows_the_traceback(sandbox: Any) -> None:
    proc = run("token", "--debug", env=sandbox_env(sandbox, AIRBYTE_CLIENT_SECRET="wrong"))
    assert proc.returncode == ExitCode.AUTHENTICATION
    assert b"Traceback" in proc.stderr
    assert proc.stderr.decode().rstrip().splitlines()[-1].startswith("error: ")


def test_airbyte_server_errors_after_retries_exit_1() -> None:
    faults = FaultConfig.of(targets=("tokens",), rate_5xx=1.0)
    with Sandbox(faults=faults, large_file_size=0) as sb:
        started = time.monotonic()
        proc = run("token", env=sandbox_env(sb))
    assert proc.returncode == ExitCode.ERROR, proc.stderr
    assert "503" in _one_error_line(proc.stderr)
    assert time.monotonic() - started < 30
