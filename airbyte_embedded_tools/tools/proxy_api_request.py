"""``proxy_api_request``: one HTTP request to a connector's API (Stripe) through Airbyte's proxy.

Read-only unless writes were enabled or approved; the URL must stay on the connector's host,
checked here before anything is sent. The answer is the status line and the body compacted for
a model, cut at a record boundary with the ``starting_after`` that continues.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from airbyte_embedded_tools._access import ClientAccess
from airbyte_embedded_tools._errors import (
    IdempotencyConflictError,
    InvalidRequestError,
    ResponseTooLargeError,
)
from airbyte_embedded_tools._models import ProxyResponse
from airbyte_embedded_tools._redact import get_logger
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._upstream import (
    CONNECTOR_RULES,
    DEFAULT_CONNECTOR,
    IDEMPOTENCY_HEADER,
    READ_METHODS,
    connector_hosts,
    new_idempotency_key,
    refused_model_header,
    upstream_url,
)

from .base import AirbyteTool, ClientLike
from .guard import DEFAULT_MAX_CHARS, compact, cut_text, dumps, project
from .messages import ToolError, upstream_advice, upstream_error_detail
from .names import ToolNames
from .results import ApiResponse, ToolResult

__all__ = [
    "DEFAULT_TOOL_MAX_RESPONSE_BYTES",
    "Approver",
    "ProxyApiRequestInput",
    "ProxyApiRequestTool",
    "WriteRequest",
    "build_url",
]

logger = get_logger("airbyte_embedded_tools.tools")

DEFAULT_TOOL_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""The most one tool call reads of an API answer (8 MiB): a model reads a few thousand
characters of it, so a larger answer is a call to narrow, not to hold in memory."""

_FOOTER_RESERVE = 600
"""Characters kept free for the closing note (counts, continuation hint)."""


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _header_values(value: Any) -> Any:
    """Numbers a model gave as header values (an idempotency key of digits) become strings."""
    if not isinstance(value, dict):
        return value
    return {key: _number_text(item) for key, item in value.items()}


def _number_text(item: Any) -> Any:
    is_number = isinstance(item, (int, float)) and not isinstance(item, bool)
    return str(item) if is_number else item


class ProxyApiRequestInput(BaseModel):
    """Arguments of one request to the connected API."""

    model_config = ConfigDict(extra="forbid")

    method: Annotated[
        Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], BeforeValidator(_upper)
    ] = Field(
        default="GET",
        description="HTTP method. GET reads; POST/PUT/PATCH/DELETE write and may be refused.",
    )
    path: str = Field(
        min_length=1,
        description=(
            "The endpoint: a path on the API such as /v1/invoices or /v1/customers/cus_123 "
            "(a query string is allowed), or a full https URL on the API's own host."
        ),
        examples=["/v1/invoices", "/v1/customers/cus_NffrFeUfNV2Hib", "/v1/charges?limit=5"],
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Query parameters. Nested objects and lists are encoded the Stripe way: "
            '{"created": {"gte": 1700000000}} -> created[gte]=..., '
            '{"expand": ["data.customer"]} -> expand[]=...'
        ),
        examples=[{"limit": 100, "status": "open"}, {"customer": "cus_123", "limit": 10}],
    )
    headers: Annotated[
        dict[str, str],
        BeforeValidator(_header_values),
        WithJsonSchema({"type": "object", "additionalProperties": True}),
    ] = Field(
        default_factory=dict,
        description=(
            "Extra HTTP headers for the API, rarely needed. On Stripe only Stripe-Version (to "
            "pin the API version) and Idempotency-Key (a write gets one automatically) may be "
            "set; values are strings. Authorization and other credential headers are refused "
            "(Airbyte adds the account's credentials itself), as are headers that switch the "
            "account or reroute the request."
        ),
        examples=[{"Stripe-Version": "2024-06-20"}, {"Idempotency-Key": "order-1234-refund"}],
    )
    body: dict[str, Any] = Field(
        default_factory=dict,
        description="Fields of the object to create or update (POST/PUT/PATCH only).",
        examples=[{"email": "jenny@example.com", "name": "Jenny Rosen"}],
    )
    fields: list[str] = Field(
        default_factory=list,
        description=(
            "Keep only these fields of each record ('id' is always kept); dotted paths reach "
            "into nested objects and lists. Saves context; empty keeps every field."
        ),
        examples=[["customer", "amount_due", "status"], ["lines.data.amount"]],
    )
    raw: bool = Field(
        default=False,
        description="Return the body exactly as the API sent it, without compaction.",
    )


@dataclass(frozen=True)
class WriteRequest:
    """A write exactly as it would be sent upstream: shown to ``approve`` and by a dry run.

    ``headers`` include the ``Idempotency-Key`` the tool made for this call (also in
    ``idempotency_key``) when the connector takes keys for ``method``; a model's own key is kept.
    """

    source: str
    source_id: str
    method: str
    url: str
    body: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None

    def __str__(self) -> str:
        body = f" with {dumps(dict(self.body))}" if self.body else ""
        headers = f" and headers {dumps(dict(self.headers))}" if self.headers else ""
        return f"{self.method} {self.url}{body}{headers} (source '{self.source}')"


Approver = Callable[[WriteRequest], bool | Awaitable[bool]]
"""Asked before each write; only ``True`` lets the write go (sync or async)."""


def build_url(source: Source, path: str, params: Mapping[str, Any]) -> str:
    """The full upstream URL of ``path`` + ``params``; refuses any host but the connector's.

    ``path`` is relative to the connector's base (``/v1/invoices``) or a full ``https`` URL on
    the connector's host; resolved by the client's own rule (``_upstream.upstream_url``), with
    ``params`` in Stripe's bracket notation. Raises ``ToolError`` (nothing sent) otherwise.
    """
    text = path.strip()
    connector = source.connector or ""
    hosts = connector_hosts([connector])
    hint = f"Use a path like /v1/invoices or a URL on https://{min(hosts)}."
    if any(ch in text for ch in "\r\n\t "):
        raise ToolError(f"Error: the path {text!r} contains spaces or control characters. {hint}")
    try:
        return upstream_url(text, _flatten(params), allowed_hosts=hosts, connector=connector)
    except InvalidRequestError as exc:
        reason = str(exc).removeprefix("Refused before sending: ")
        raise ToolError(
            f"Error: refused to send a request to {_shown_host(text)!r}: {reason}; the "
            f"'{connector}' source only reaches {min(hosts)}. Nothing was sent. {hint}"
        ) from None


def _shown_host(text: str) -> str:
    """The host a refused URL names (what the model should recognise), else the text."""
    try:
        return urlsplit(text).hostname or text
    except ValueError:
        return text


def _check_model_headers(headers: Mapping[str, str], connector: str) -> None:
    """Refuse (nothing sent) any header a model may not set on ``connector``'s API."""
    for name in headers:
        reason = refused_model_header(name, connector)
        if reason is not None:
            raise ToolError(
                f"Error: the {name} header is not allowed: {reason}. Nothing was sent. "
                "Call again without it."
            )


def _idempotency_key(
    method: str, headers: Mapping[str, str], connector: str
) -> tuple[dict[str, str], str | None]:
    """``headers`` without any ``Idempotency-Key``, and the write's key (the model's own, else
    a new one) when ``connector`` takes keys for ``method``. One key per tool call, handed to
    the client as ``idempotency_key=``, so a retry of the call can never create the object
    twice.
    """
    rest = {k: v for k, v in headers.items() if k.lower() != IDEMPOTENCY_HEADER.lower()}
    given = next((v for k, v in headers.items() if k.lower() == IDEMPOTENCY_HEADER.lower()), None)
    rules = CONNECTOR_RULES.get(connector)
    if rules is None or method not in rules.key_methods:
        return dict(headers), None
    return rest, given if given is not None else new_idempotency_key()


def _flatten(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Query pairs in Stripe's bracket notation; None is left out, booleans are true/false."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(_flatten(value, name))
        elif isinstance(value, (list, tuple)):
            list_name = name if name.endswith("[]") else f"{name}[]"
            pairs.extend((list_name, _scalar(item)) for item in value if item is not None)
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return dumps(value)
    return str(value)


class ProxyApiRequestTool(AirbyteTool[ProxyApiRequestInput]):
    """Send one HTTP request to a connector's API through Airbyte; read-only by default.

    Writes (POST/PUT/PATCH/DELETE) go only with ``allow_writes=True`` or when ``approve`` (called
    with the ``WriteRequest``) returns True. ``dry_run=True`` sends no write at all: the tool
    answers with the exact request it would send (a ``WriteRequest`` artifact); reads still run.
    """

    default_name: ClassVar[str] = "proxy_api_request"
    kind: ClassVar[Literal["api"]] = "api"
    input_model = ProxyApiRequestInput
    not_found_hint: ClassVar[str] = (
        "Airbyte does not know this source (this is not an API 404); the user must check the "
        "source id."
    )

    def __init__(
        self,
        client: ClientLike,
        *,
        source: Source | None = None,
        source_id: str | None = None,
        sources: Mapping[str, Source | str] | None = None,
        connector: str = DEFAULT_CONNECTOR,
        allow_writes: bool = False,
        approve: Approver | None = None,
        dry_run: bool = False,
        max_chars: int = DEFAULT_MAX_CHARS,
        raw: bool = False,
        max_response_bytes: int = DEFAULT_TOOL_MAX_RESPONSE_BYTES,
        name: str | None = None,
        names: ToolNames | None = None,
    ) -> None:
        self.allow_writes = allow_writes
        self.max_response_bytes = max_response_bytes
        self.approve = approve
        self.dry_run = dry_run
        self.raw = raw
        super().__init__(
            client,
            source=source,
            source_id=source_id,
            sources=sources,
            connector=connector,
            max_chars=max_chars,
            name=name,
            names=names,
        )

    def _describe(self) -> str:
        connectors = sorted({src.connector or "" for src in self.sources.values()})
        apis = " and ".join(name.capitalize() for name in connectors)
        if self.dry_run:
            writes = (
                "POST/DELETE writes are dry runs: the answer shows the request that would be "
                "sent, and nothing is sent."
            )
        elif self.allow_writes:
            writes = "POST/DELETE writes are allowed: use them only when the user asked."
        elif self.approve is not None:
            writes = "POST/DELETE writes need the user's approval, asked for each call."
        else:
            writes = "Read-only: only GET and HEAD are allowed."
        stripe = ""
        if "stripe" in connectors:
            stripe = (
                " Stripe paths: /v1/invoices, /v1/customers, /v1/charges, /v1/subscriptions, "
                "/v1/products, /v1/<object>/<id>. Lists return `data` newest first, up to "
                "params.limit (1-100, default 10); when has_more is true, call again with "
                "params.starting_after=<last id shown>. Amounts are in cents."
            )
        return (
            f"Call the {apis} API of the connected account through Airbyte, which adds the "
            "account's credentials. Give `path` and query `params`; use `fields` to keep only "
            f"what you need. {writes}{stripe}{self.sources_line()}"
        )

    async def _execute(
        self, args: ProxyApiRequestInput, source_name: str, source: Source, access: ClientAccess
    ) -> ToolResult:
        url = build_url(source, args.path, args.params)
        target = urlsplit(url)
        shown = unquote(f"{target.path}?{target.query}" if target.query else target.path)
        if args.body and args.method in READ_METHODS:
            raise ToolError(
                f"Error: {args.method} takes no body; put filters in `params` instead. "
                "Nothing was sent."
            )
        connector = source.connector or ""
        _check_model_headers(args.headers, connector)
        headers, key = _idempotency_key(args.method, args.headers, connector)
        if args.method not in READ_METHODS:
            shown_headers = {**headers, IDEMPOTENCY_HEADER: key} if key else headers
            write = WriteRequest(
                source_name, source.id, args.method, url, dict(args.body), shown_headers, key
            )
            if self.dry_run:
                return _dry_run_result(write)
            await self._authorize(write)
        try:
            response = await access.arun(
                lambda client: client.proxy_request(
                    source.id,
                    args.method,
                    url,
                    headers=headers or None,
                    json=args.body or None,
                    idempotency_key=key,
                    max_response_bytes=self.max_response_bytes,
                )
            )
        except ResponseTooLargeError as exc:
            raise ToolError(
                f"Error: the answer to {args.method} {shown} is larger than {exc.limit} bytes, "
                "more than this tool reads. Ask for less: a smaller params.limit, filters in "
                "params, or one object by id."
            ) from None
        return self._shape(response, args, source_name, source, shown)

    async def _authorize(self, write: WriteRequest) -> None:
        """Let the write go when writes are on or the approval callback says True; else refuse."""
        if self.allow_writes:
            return
        if self.approve is None:
            raise ToolError(
                f"Error: {write.method} is a write and this tool is read-only (only GET and HEAD "
                "are allowed). Nothing was sent. Read with GET instead, or tell the user that "
                "writes must be enabled for this."
            )
        try:
            verdict = self.approve(write)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except Exception:
            logger.warning("the approval callback failed for %s %s", write.method, write.url)
            verdict = False
        if verdict is not True:
            raise ToolError(
                f"Error: the user did not approve {write.method} {write.url}. Nothing was sent. "
                "Do not retry this write unless the user asks for it again."
            )

    def _shape(
        self,
        response: ProxyResponse,
        args: ProxyApiRequestInput,
        source_name: str,
        source: Source,
        shown: str,
    ) -> ToolResult:
        """The model-facing text and the full artifact of an upstream response."""
        data: Any = None
        if response.content:
            try:
                data = response.json()
            except ValueError:
                data = response.text
        artifact = ApiResponse(
            source=source_name,
            method=args.method,
            url=response.url or shown,
            status_code=response.status_code,
            headers=dict(response.headers),
            data=data,
        )
        status_line = f"HTTP {response.status_code} {args.method} {shown}"
        if _is_key_conflict(response):
            message = (
                f"Error: {source.connector} refused the Idempotency-Key "
                f"{response.idempotency_key!r}: it was already used for a different request, so "
                "nothing new was done. To send this request, call again without an "
                "Idempotency-Key header (a new key is made); to repeat the earlier request, send "
                "exactly its arguments."
            )
            return ToolResult(content=message, artifact=artifact, is_error=True)
        if response.status_code >= 400:
            detail = upstream_error_detail(data) or cut_text(response.text.strip(), 500)
            message = (
                f"Error: {source.connector} answered {status_line}: {detail or 'no details'}. "
                f"{upstream_advice(response.status_code)}"
            )
            return ToolResult(content=message, artifact=artifact, is_error=True)
        if data is None:
            return ToolResult(content=f"{status_line} (empty body)", artifact=artifact)
        if args.raw or self.raw or not isinstance(data, (dict, list)):
            text = response.text if isinstance(data, (dict, list)) else str(data)
            content = _cut_plain(status_line, text, self.max_chars)
        elif isinstance(data, dict) and isinstance(data.get("data"), list):
            backwards = "ending_before" in args.params or "ending_before=" in args.path
            content = _shape_list(status_line, data, args.fields, self.max_chars, backwards)
        elif isinstance(data, list):
            content = _shape_list(status_line, {"data": data}, args.fields, self.max_chars)
        else:
            content = _shape_object(status_line, data, args.fields, self.max_chars)
        return ToolResult(content=content, artifact=artifact)


def _is_key_conflict(response: ProxyResponse) -> bool:
    """Whether the upstream refused the call's key as used for other parameters (the client's
    own rule, ``raise_for_status`` raising ``IdempotencyConflictError``)."""
    if response.status_code != 400:
        return False
    try:
        response.raise_for_status()
    except IdempotencyConflictError:
        return True
    except Exception:
        return False
    return False


def _dry_run_result(write: WriteRequest) -> ToolResult:
    """The write as it would have been sent, as text and as the ``WriteRequest`` artifact."""
    lines = [f"DRY RUN: nothing was sent. This {write.method} would be sent upstream:"]
    lines.append(f"{write.method} {write.url}")
    lines.extend(f"{name}: {value}" for name, value in write.headers.items())
    if write.body:
        lines.append(f"body: {dumps(dict(write.body))}")
    return ToolResult(content="\n".join(lines), artifact=write)


def _cut_plain(status_line: str, text: str, max_chars: int) -> str:
    """A body shown as it came (raw or not JSON), cut at a line boundary."""
    budget = max_chars - len(status_line) - _FOOTER_RESERVE
    kept = cut_text(text, budget)
    if len(kept) == len(text):
        return f"{status_line}\n{text}"
    return (
        f"{status_line}\n{kept}\n[Cut after {len(kept)} of {len(text)} characters. Ask for less: "
        "a smaller params.limit, or fields=[...] without raw.]"
    )


def _shape_object(status_line: str, data: Any, fields: list[str], max_chars: int) -> str:
    """One object as compact JSON; indented and cut at a line when it is too big."""
    value = compact(project(data, fields))
    text = dumps(value)
    if len(status_line) + 1 + len(text) <= max_chars:
        return f"{status_line}\n{text}"
    pretty = dumps(value, indent=1)
    budget = max_chars - len(status_line) - _FOOTER_RESERVE
    kept = cut_text(pretty, budget)
    return (
        f"{status_line}\n{kept}\n[Cut after {len(kept)} of {len(pretty)} characters. Call again "
        "with fields=[...] naming only the fields you need.]"
    )


def _shape_list(
    status_line: str,
    data: dict[str, Any],
    fields: list[str],
    max_chars: int,
    backwards: bool = False,
) -> str:
    """A list response: its other keys on one line, then one record per line, cut by records."""
    records: list[Any] = data["data"]
    meta = compact({key: value for key, value in data.items() if key != "data"})
    head = f"{status_line}\n{dumps(meta)}\n" if meta else f"{status_line}\n"
    head += f"data: {len(records)} record{'s' if len(records) != 1 else ''}, one per line:"
    budget = max_chars - len(head) - _FOOTER_RESERVE
    lines = _lines_within(records, fields, budget)
    shown = len(lines)
    while shown > 0:
        content = _join(
            head, "\n".join(lines[:shown]), _list_note(data, shown, fields, max_chars, backwards)
        )
        if len(content) <= max_chars:
            return content
        shown -= 1
    if not records:
        return _join(head, _list_note(data, 0, fields, max_chars, backwards))
    first = cut_text(dumps(compact(project(records[0], fields)), indent=1), budget)
    cut = f"{first}\n[cut: this record alone passes the limit; ask for fewer fields]"
    return _join(head, cut, _list_note(data, 1, fields, max_chars, backwards))


def _lines_within(records: list[Any], fields: list[str], budget: int) -> list[str]:
    """The records, one compact JSON line each, as many as fit in ``budget`` (each line and its
    newline); the records past the budget are never compacted nor serialised."""
    lines: list[str] = []
    used = 0
    for record in records:
        line = dumps(compact(project(record, fields)))
        used += len(line) + 1
        if used > budget:
            break
        lines.append(line)
    return lines


def _join(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _list_note(
    data: dict[str, Any], shown: int, fields: list[str], max_chars: int, backwards: bool
) -> str:
    """What was left out and the exact argument that continues.

    Stripe lists come newest first: a page cut short continues with ``starting_after`` the last
    record shown; the next page with ``starting_after`` the last record, or, when paging towards
    newer records with ``ending_before``, with ``ending_before`` the first record.
    """
    records: list[Any] = data["data"]
    last_id = _record_id(records[shown - 1]) if shown else None
    search_page = data.get("next_page") if data.get("object") == "search_result" else None
    if shown < len(records):
        left = len(records) - shown
        note = f"[{left} of {len(records)} records left out to stay within {max_chars} characters."
        if search_page:
            return f"{note} Call again with a smaller params.limit (at most {max(shown, 1)}).]"
        if last_id and backwards:
            cont = (
                " To see them, call again without ending_before and with "
                f'params.starting_after="{last_id}" and params.limit={left}'
            )
        elif last_id:
            cont = (
                " To continue, call again with the same arguments and "
                f'params.starting_after="{last_id}"'
            )
        else:
            cont = " Call again with a smaller params.limit"
        fewer = "" if fields else "; or keep fewer fields with fields=[...]"
        return f"{note}{cont}{fewer}.]"
    if data.get("has_more") is True:
        if search_page:
            return (
                "[More results: call again with the same arguments and "
                f'params.page="{search_page}".]'
            )
        first_id = _record_id(records[0]) if records else None
        if backwards and first_id:
            return (
                "[has_more is true: newer records exist. For them call again with the same "
                f'arguments and params.ending_before="{first_id}".]'
            )
        if last_id:
            return (
                "[has_more is true: more records exist. For the next page call again with the "
                f'same arguments and params.starting_after="{last_id}".]'
            )
    if data.get("has_more") is False:
        return "[has_more is false: this is the last page.]"
    return ""


def _record_id(record: Any) -> str | None:
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return str(record["id"])
    return None
