"""Bad input: hostile and malformed tool arguments through the LangChain and LlamaIndex faces.

Every call must come back as a readable answer (an ``Error: ...`` text for the model when it
fails), never as an exception out of ``ainvoke``/``acall`` and never as the catch-all "failed
unexpectedly" message that marks a bug. Nothing may leave for a host other than the connector's:
the client's own requests to the proxy are recorded (an httpx event hook) as well as what the
sandbox's proxy sent upstream. The file store is a folder of this test's own, beside a sentinel
file that a ``..`` path would reach if traversal were possible.

Hypothesis runs derandomized (the same examples every run) with modest example counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import ToolMessage
from reliability_helpers import make_client

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools.langchain import AirbyteEmbeddedToolkit
from airbyte_embedded_tools.llama_index import AirbyteEmbeddedToolSpec
from airbyte_embedded_tools.sandbox import Sandbox

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

STRIPE_HOST = "api.stripe.com"
SENTINEL = "SENTINEL-outside-the-store-7f3a9c"
EXAMPLES = 40
HUGE = "A" * 200_000

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- hostile values ------------------------------------------------------------------------------

HOSTILE_URLS = [
    "https://evil.example.com/v1/customers",
    "https://api.stripe.com@evil.example.com/v1/customers",
    "https://api.stripe.com:443@evil.example.com/",
    "https://user:pass@api.stripe.com/v1/customers",
    "https://evil.example.com#@api.stripe.com/v1/customers",
    "https://evil.example.com\\@api.stripe.com/v1/customers",
    "https://evil.example.com?@api.stripe.com/v1/customers",
    "https://api.stripe.com.evil.example.com/v1/customers",
    "https://api.stripe.com%2f@evil.example.com/",
    "https://api.stripe.com%40evil.example.com/",
    "http://api.stripe.com/v1/customers",
    "//evil.example.com/v1/customers",
    "///evil.example.com/v1/customers",
    "https:/evil.example.com/v1/customers",
    "https://API.Stripe.COM:8443/v1/customers",
    "https://127.0.0.1/v1/customers",
    "https://[::1]/v1/customers",
    "https://2130706433/v1/customers",
    "https://localhost/v1/customers",
    "https://аpi.stripe.com/v1/customers",  # Cyrillic "а"
    "https://api．stripe．com/v1/customers",  # fullwidth dots
    "https://api.stripe.com。evil.example.com/",
    "https://evil.example.com/https://api.stripe.com/v1/customers",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://evil.example.com:70/_GET",
    "ftp://api.stripe.com/v1/customers",
    "/v1/customers\r\nHost: evil.example.com",
    "/v1/customers\nX-Injected: 1",
    "/v1/customers%0d%0aHost:%20evil.example.com",
    "/v1/customers\x00evil",
    "/../../../etc/passwd",
    "/v1/../../v1/customers",
    "..\\..\\windows",
    "\u202e/v1/customers",
    "/v1/customers/" + "é" * 5000,
    "/v1/" + HUGE,
    " ",
    "",
]
HOSTILE_METHODS = [
    "get",
    "TRACE",
    "CONNECT",
    "G\r\nET",
    "GET /evil HTTP/1.1",
    "",
    "ÜBER",
    "🙂",
    HUGE,
]
HOSTILE_PATHS = [
    "..",
    "../",
    "../../../../etc/passwd",
    "../sentinel.txt",
    "./../sentinel.txt",
    "notes/../../sentinel.txt",
    "notes/..",
    "%2e%2e/sentinel.txt",
    "%2e%2e%2fsentinel.txt",
    "..%2fsentinel.txt",
    "..\\sentinel.txt",
    "/etc/passwd",
    "//etc/passwd",
    "notes/\x00.txt",
    "notes/\r\nX: 1",
    "C:\\Windows\\win.ini",
    "~/.ssh/id_rsa",
    "notes/" + "ü" * 3000,
    HUGE,
    "",
    "/",
]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
wild_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.just(HUGE),
)
ints = st.one_of(st.integers(), st.sampled_from([-1, 0, 2**63, -(2**63), 10**30]))
EXTRA_KEYS = ["source", "url", "Authorization", "headers", "callbacks", "run_manager", "__class__"]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the field's own kind of value, sometimes any JSON value (a wrong type)."""
    return st.one_of(strategy, strategy, json_values)


def _args(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Argument dicts: any subset of the fields, sometimes with an unexpected extra key."""
    return st.fixed_dictionaries({}, optional={k: _maybe(v) for k, v in fields.items()}).flatmap(
        lambda args: st.one_of(
            st.just(args),
            st.builds(
                lambda key, value: {**args, key: value}, st.sampled_from(EXTRA_KEYS), json_values
            ),
        )
    )


proxy_args = _args(
    {
        "method": st.one_of(
            st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
            st.sampled_from(HOSTILE_METHODS),
            st.text(max_size=12),
        ),
        "path": st.one_of(
            st.sampled_from(HOSTILE_URLS),
            st.sampled_from(["/v1/customers", "/v1/invoices", "v1/charges", "/v1/customers/cus_x"]),
            st.builds(
                lambda a, b: a + b,
                st.sampled_from(["/v1/", "https://api.stripe.com/", "https://", "//", "/"]),
                wild_text,
            ),
        ),
        "params": st.dictionaries(st.text(max_size=20), json_values, max_size=5),
        "body": st.dictionaries(st.text(max_size=20), json_values, max_size=5),
        "fields": st.lists(st.text(max_size=30), max_size=5),
        "raw": st.booleans(),
    }
)
list_args = _args(
    {
        "prefix": st.one_of(st.sampled_from(HOSTILE_PATHS), wild_text),
        "recursive": st.booleans(),
        "limit": ints,
    }
)
read_args = _args(
    {
        "path": st.one_of(
            st.sampled_from(HOSTILE_PATHS),
            st.sampled_from(["notes/a.txt", "notes/b.md", "data.json"]),
            wild_text,
        ),
        "offset": ints,
        "page": ints,
    }
)

# --- the harness ---------------------------------------------------------------------------------


@dataclass
class Faces:
    """The three tools through both faces, over one client on one private event loop."""

    loop: asyncio.AbstractEventLoop
    sandbox: Sandbox
    client: AirbyteEmbeddedClient
    langchain: dict[str, Any]
    llama_index: dict[str, Any]
    proxied_urls: list[str] = field(default_factory=list)
    sandbox_errors: list[str] = field(default_factory=list)
    calls: int = 0

    def through_langchain(self, name: str, args: dict[str, Any]) -> tuple[str, bool]:
        call = {"name": name, "args": args, "id": f"call_{self.calls}", "type": "tool_call"}
        self.calls += 1
        message = self.loop.run_until_complete(self.langchain[name].ainvoke(call))
        assert isinstance(message, ToolMessage), f"not a ToolMessage: {message!r}"
        return message.content, message.status == "error"  # type: ignore[return-value]

    def through_llama_index(self, name: str, args: dict[str, Any]) -> tuple[str, bool]:
        self.calls += 1
        output = self.loop.run_until_complete(self.llama_index[name].acall(**args))
        return output.content, bool(output.is_error)

    def problems(self, name: str, args: dict[str, Any]) -> list[str]:
        """What is wrong with the answers of both faces to ``args`` (nothing, normally)."""
        found = []
        for face in (self.through_langchain, self.through_llama_index):
            content, is_error = face(name, args)
            problem = _problem(content, is_error)
            if problem:
                found.append(
                    f"{problem}: {face.__name__}({name}, {_short(args)}) -> {_short(content)}"
                )
        return found

    def check(self, name: str, args: dict[str, Any]) -> None:
        """Both faces answer ``args`` with a readable text; an error reads as one."""
        found = self.problems(name, args)
        assert not found, found[0]


def _problem(content: Any, is_error: bool) -> str | None:
    if not isinstance(content, str) or not content.strip():
        return "no readable text"
    if "failed unexpectedly" in content or "Traceback" in content:
        return "an unexpected exception"
    if SENTINEL in content or "root:x:0:0" in content:
        return "a file outside the store was read"
    if is_error and not content.startswith("Error"):
        return "an error that does not read as one"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "..."


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faces]:
    root = tmp_path_factory.mktemp("bad-input")
    (root / "sentinel.txt").write_text(SENTINEL)
    store = root / "store"
    (store / "notes").mkdir(parents=True)
    (store / "notes" / "a.txt").write_text("plain text file\n" * 20)
    (store / "notes" / "b.md").write_text("# Title\n\nSome *markdown*.\n")
    (store / "data.json").write_text(json.dumps({"a": [1, 2, 3]}))
    loop = asyncio.new_event_loop()
    with Sandbox(files_dir=store, large_file_size=0, seed=21) as sb:
        proxied: list[str] = []

        async def record(request: httpx.Request) -> None:
            if request.url.path.startswith("/api/v1/sonar/apis/"):
                proxied.append(json.loads(request.content)["url"])

        http = httpx.AsyncClient(timeout=20.0, event_hooks={"request": [record]})
        client = make_client(sb, max_retries=1, http_client=http)
        options: dict[str, Any] = {
            "source_id": sb.stripe_source_id,
            "file_source_id": sb.file_source_id,
            "allow_writes": True,  # writes go as far as they can: the host check must still hold
            "max_chars": 4000,
        }
        langchain = {t.name: t for t in AirbyteEmbeddedToolkit(client, **options).get_tools()}
        spec = AirbyteEmbeddedToolSpec(client, **options)
        llama_index = {t.metadata.name: t for t in spec.to_tool_list()}
        harness = Faces(loop, sb, client, langchain, llama_index, proxied)
        crashes = _Crashes(harness.sandbox_errors)
        sandbox_logger = logging.getLogger("airbyte_embedded_tools.sandbox")
        sandbox_logger.addHandler(crashes)
        try:
            yield harness
        finally:
            sandbox_logger.removeHandler(crashes)
            loop.run_until_complete(client.aclose())
            loop.run_until_complete(http.aclose())
            loop.close()


class _Crashes(logging.Handler):
    """Collects the sandbox's internal errors (its 500 answers), first line and exception."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.into.append(f"{_short(record.getMessage())}: {type(error).__name__}: {_short(error)}")


def _assert_nothing_left_for_another_host(faces: Faces) -> None:
    hosts = {record.host for record in faces.sandbox.upstream_requests}
    assert hosts <= {STRIPE_HOST}, f"the proxy sent requests to {hosts - {STRIPE_HOST}}"
    for url in faces.proxied_urls:
        parsed = httpx.URL(url)
        assert parsed.scheme == "https", url
        assert parsed.host == STRIPE_HOST, url
        assert not parsed.userinfo, url
        assert parsed.port is None, url


# --- the tests -----------------------------------------------------------------------------------


def test_known_hostile_arguments(faces: Faces) -> None:
    """Every listed trick, through both faces; none reaches another host or escapes the store."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for url in HOSTILE_URLS:
        cases += [("proxy_api_request", {"method": m, "path": url}) for m in ("GET", "POST")]
    cases += [
        ("proxy_api_request", {"method": m, "path": "/v1/customers"}) for m in HOSTILE_METHODS
    ]
    for headers in ({"Authorization": "Bearer x"}, {"Host": "evil.example.com"}):
        cases.append(("proxy_api_request", {"path": "/v1/customers", "headers": headers}))
    for params in ({"limit": HUGE}, {"a\r\nb": "c\r\nd"}, {HUGE: 1}, {"x": {"y": [HUGE]}}):
        cases.append(("proxy_api_request", {"path": "/v1/customers", "params": params}))
    for path in HOSTILE_PATHS:
        cases += [("read_file", {"path": path}), ("list_files", {"prefix": path})]
    for offset, page in ((-1, 1), (0, -1), (0, 0), (10**12, 1), (2**63, 2**63), ("10", "x")):
        cases.append(("read_file", {"path": "notes/a.txt", "offset": offset, "page": page}))
    cases += [("list_files", {"limit": limit}) for limit in (-5, 0, 10**9, "many", None, 1.5)]
    for wrong in ({"path": 123}, {"path": None}, {"path": ["a"]}, {"path": {"a": 1}}, {}):
        cases += [("read_file", wrong), ("proxy_api_request", wrong)]
    found = [problem for name, args in cases for problem in faces.problems(name, args)]
    assert not found, f"{len(found)} of {2 * len(cases)} answers went wrong:\n" + "\n".join(found)
    _assert_nothing_left_for_another_host(faces)
    assert faces.proxied_urls, "no request went through: the harness is not exercising the proxy"


@FUZZ
@given(args=proxy_args)
def test_fuzzed_proxy_api_request(faces: Faces, args: dict[str, Any]) -> None:
    faces.check("proxy_api_request", args)
    _assert_nothing_left_for_another_host(faces)


@FUZZ
@given(args=list_args)
def test_fuzzed_list_files(faces: Faces, args: dict[str, Any]) -> None:
    faces.check("list_files", args)


@FUZZ
@given(args=read_args)
def test_fuzzed_read_file(faces: Faces, args: dict[str, Any]) -> None:
    faces.check("read_file", args)


def test_the_store_was_reached_and_nothing_else(faces: Faces) -> None:
    """The fuzzing did make real calls (reads of the store's files, proxied Stripe calls)."""
    content, is_error = faces.through_langchain("read_file", {"path": "notes/a.txt"})
    assert not is_error
    assert "plain text file" in content
    _assert_nothing_left_for_another_host(faces)
    assert len(faces.sandbox.upstream_requests) > 0


# --- the client underneath: typed errors only ----------------------------------------------------


def _client_outcome(faces: Faces, operation: str, args: dict[str, Any]) -> str | None:
    """None when the client call succeeded or raised a typed error; else what escaped."""
    client = faces.client

    async def run() -> None:
        if operation == "proxy_request":
            await client.proxy_request(**args)
        elif operation == "read_file":
            await client.read_file(**args)
        elif operation == "list_files":
            await client.list_files(**args)
        else:
            async for _piece in client.stream_file(**args):
                pass

    try:
        faces.loop.run_until_complete(run())
    except AirbyteEmbeddedError:
        return None
    except Exception as exc:
        return f"{operation}({_short(args)}) raised {type(exc).__name__}: {_short(str(exc))}"
    return None


def test_client_refuses_bad_input_with_typed_errors(faces: Faces) -> None:
    """Below the tools, the client itself answers bad arguments with ``AirbyteEmbeddedError``."""
    sb = faces.sandbox
    api, files = sb.stripe_source_id, sb.file_source_id
    customers = "https://api.stripe.com/v1/customers"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("proxy_request", {"source_id": api, "method": "GET", "url": url}) for url in HOSTILE_URLS
    ]
    cases += [
        ("proxy_request", {"source_id": api, "method": m, "url": customers})
        for m in [*HOSTILE_METHODS, None, 7]
    ]
    cases += [
        ("proxy_request", {"source_id": api, "method": "GET", "url": customers, **extra})
        for extra in (
            {"params": {"limit": HUGE}},
            {"params": {HUGE: "x"}},
            {"params": {"a": object()}},
            {"headers": {"X-A": "b\r\nHost: evil.example.com"}},
            {"headers": {"Authorization": "Bearer stolen"}},
            {"headers": {"X-Long": HUGE}},
            {"headers": {"bad name": "x"}},
            {"json": {"a": 1}, "data": {"b": 2}},
            {"data": "not-a-mapping"},
            {"url": None},
        )
    ]
    cases += [
        ("proxy_request", {"source_id": sid, "method": "GET", "url": customers})
        for sid in ("", "..", "../files", "a/b", HUGE, "\r\n", files)
    ]
    for path in HOSTILE_PATHS:
        cases += [
            ("read_file", {"source_id": files, "path": path}),
            ("list_files", {"source_id": files, "prefix": path}),
            ("stream_file", {"source_id": files, "path": path}),
        ]
    cases += [
        ("read_file", {"source_id": files, "path": "notes/a.txt", "start": s, "end": e})
        for s, e in ((-1, None), (5, 2), (0, -3), (10**12, None), (2**63, 2**64))
    ]
    cases += [
        ("stream_file", {"source_id": files, "path": "notes/a.txt", **kw})
        for kw in ({"chunk_size": 0}, {"chunk_size": -1}, {"start": -5}, {"start": 10**9})
    ]
    cases += [("list_files", {"source_id": sid, "prefix": ""}) for sid in ("..", HUGE, api)]
    escaped = [problem for op, args in cases if (problem := _client_outcome(faces, op, args))]
    assert not escaped, (
        f"{len(escaped)} of {len(cases)} calls raised untyped errors:\n" + "\n".join(escaped)
    )
    _assert_nothing_left_for_another_host(faces)


def test_the_sandbox_never_crashed(faces: Faces) -> None:
    """The sandbox answered every hostile request with a 4xx, never with an internal error."""
    assert not faces.sandbox_errors, (
        f"{len(faces.sandbox_errors)} sandbox errors, e.g. " + (faces.sandbox_errors[0])
    )
