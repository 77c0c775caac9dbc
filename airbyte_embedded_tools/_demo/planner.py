"""The deterministic offline planner behind the cookbooks' stand-in chat models.

It is not a language model: it recognises a few kinds of question (who owes money, what a file
says, list some Stripe objects), picks the tool calls a capable model would make from the tools'
JSON schemas, and computes the answer from the tool output it was actually given. Like a model,
it is stateless: each turn it re-reads the whole transcript (question plus tool results so far)
and decides the next step. Set ``COOKBOOK_MODEL`` to use a real model instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from .tool_output import continuation_cursor, file_paths, json_values, records, says_has_more

__all__ = ["Conversation", "Step", "ToolCall", "ToolSpec", "plan_next"]

STRIPE_API = "https://api.stripe.com"
DAY = 86_400
MAX_CALLS = 12
"""At most this many tool calls per question; past it the planner answers with what it has."""

_DEBT_WORDS = ("owe", "overdue", "outstanding", "unpaid", "past due", "debt")
_FILE_WORDS = (
    "file", "contract", "document", "agreement", "report", "policy", "notice", "clause",
    "terms", "renewal", "pdf", "memo", "minutes", "handbook", "readme",
)  # fmt: skip
_RESOURCES = ("invoice", "customer", "charge", "subscription", "product", "price")
_STOP = frozenset((
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "what", "which", "who",
    "whom", "how", "is", "are", "was", "were", "be", "does", "do", "did", "say", "says", "said",
    "about", "from", "our", "their", "your", "my", "me", "we", "you", "it", "its", "this",
    "that", "these", "those", "there", "any", "all", "much", "many", "long", "when", "where",
    "file", "files", "document", "documents", "please", "tell", "show", "find", "give",
    "according",
))  # fmt: skip
_TODAY_RE = re.compile(r"today is (\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_SOURCE_ID_RE = re.compile(
    r"\b(stripe|files?)\s+source(?:\s+id)?\s*[:=]\s*[`'\"]?([A-Za-z0-9_-]+)", re.IGNORECASE
)


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a model sees it: name, description and the JSON schema of its arguments."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def properties(self) -> Mapping[str, Any]:
        """The schema's argument properties."""
        props = self.parameters.get("properties")
        return props if isinstance(props, Mapping) else {}


@dataclass(frozen=True)
class ToolCall:
    """A call the planner wants made: which tool, with which arguments."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One call already made and the text it returned."""

    call: ToolCall
    result: str


@dataclass(frozen=True)
class Conversation:
    """What the planner reads: the question, any system text, and the steps taken since."""

    question: str
    context: str = ""
    steps: Sequence[Step] = ()


@dataclass(frozen=True)
class _Toolbox:
    api: ToolSpec | None
    list_files: ToolSpec | None
    read_file: ToolSpec | None


def plan_next(conv: Conversation, tools: Sequence[ToolSpec]) -> ToolCall | str:
    """The next tool call to make, or the final answer (a string) once the tool output suffices."""
    box = _classify(tools)
    question = conv.question.lower()
    if len(conv.steps) >= MAX_CALLS:
        return _answer_so_far(conv, box)
    if box.api and any(word in question for word in _DEBT_WORDS):
        return _plan_debtors(conv, box.api)
    if box.list_files and box.read_file and any(word in question for word in _FILE_WORDS):
        return _plan_file_question(conv, box)
    if box.api and any(word in question for word in _RESOURCES):
        return _plan_listing(conv, box.api)
    if box.list_files and box.read_file:  # anything else may be in the customer's files
        return _plan_file_question(conv, box)
    return (
        "I am the deterministic offline stand-in model: I can answer questions about who owes "
        "money, what a customer's files say, or list Stripe objects. Set COOKBOOK_MODEL to use a "
        "real model for anything else."
    )


def _answer_so_far(conv: Conversation, box: _Toolbox) -> str:
    if box.api and any(word in conv.question.lower() for word in _DEBT_WORDS):
        return _debtors_answer(conv)
    return "I stopped after the maximum number of tool calls without a complete answer."


# --- choosing tools and building their arguments, from the schemas --------------------------


def _classify(tools: Sequence[ToolSpec]) -> _Toolbox:
    api = lister = reader = None
    for tool in tools:
        props = tool.properties
        name = tool.name.lower()
        if "method" in props or "request" in name:
            api = api or tool
        elif "prefix" in props or "list" in name:
            lister = lister or tool
        elif "path" in props or "read" in name:
            reader = reader or tool
    return _Toolbox(api, lister, reader)


def _source_arg(tool: ToolSpec, kind: str, conv: Conversation) -> dict[str, Any]:
    """The argument naming the source, when the tool takes one (an enum of names, or an id)."""
    for key in ("source", "source_name", "source_id"):
        schema = tool.properties.get(key)
        if not isinstance(schema, Mapping):
            continue
        options = _enum(schema)
        if options:
            return {key: _pick_source(options, kind)}
        for found_kind, value in _SOURCE_ID_RE.findall(conv.context + "\n" + conv.question):
            if (found_kind.lower() == "stripe") == (kind == "api"):
                return {key: value}
    return {}


def _enum(schema: Mapping[str, Any]) -> list[str]:
    values = schema.get("enum")
    if isinstance(values, list):
        return [str(v) for v in values]
    for option in schema.get("anyOf", []) or []:
        if isinstance(option, Mapping) and isinstance(option.get("enum"), list):
            return [str(v) for v in option["enum"]]
    return []


def _pick_source(options: list[str], kind: str) -> str:
    api_like = [o for o in options if "stripe" in o.lower() or "api" in o.lower()]
    if kind == "api":
        return (api_like or options)[0]
    others = [o for o in options if o not in api_like]
    return (others or options)[0]


def _api_call(
    tool: ToolSpec, conv: Conversation, path: str, params: dict[str, Any], fields: list[str]
) -> ToolCall:
    """A GET of ``path`` with ``params``, shaped to whatever arguments ``tool`` offers."""
    props = tool.properties
    args: dict[str, Any] = _source_arg(tool, "api", conv)
    if "method" in props:
        args["method"] = "GET"
    param_key = next((k for k in props if "param" in k or k == "query"), None)
    if param_key:
        args[param_key] = params
    query = "" if param_key or not params else "?" + urlencode(params)
    if "path" in props:
        args["path"] = path + query
    else:
        args["url"] = STRIPE_API + path + query
    if "fields" in props and fields:
        args["fields"] = fields
    return ToolCall(tool.name, args)


# --- "who owes more than $1,000 and how long overdue?" ----------------------------------------

_DEBT_FIELDS = ["customer", "customer_name", "amount_remaining", "currency", "due_date", "status"]


def _plan_debtors(conv: Conversation, api: ToolSpec) -> ToolCall | str:
    base = {"status": "open", "limit": 100}
    if not conv.steps:
        return _api_call(api, conv, "/v1/invoices", base, _DEBT_FIELDS)
    last = conv.steps[-1].result
    used = {_cursor_of(step.call.args) for step in conv.steps}
    invoices = _invoices(conv)
    cursor = continuation_cursor(last)
    if cursor is None and says_has_more(last) and invoices:
        cursor = invoices[-1]["id"]
    if cursor and cursor not in used and _new_records(conv):
        params = {**base, "starting_after": cursor}
        return _api_call(api, conv, "/v1/invoices", params, _DEBT_FIELDS)
    return _debtors_answer(conv)


def _cursor_of(args: Mapping[str, Any]) -> str | None:
    """The ``starting_after`` a call already used, in its query parameters or its URL."""
    for value in args.values():
        if isinstance(value, Mapping) and "starting_after" in value:
            return str(value["starting_after"])
    target = str(args.get("url") or args.get("path") or "")
    match = re.search(r"starting_after=([A-Za-z0-9_]+)", target)
    return match.group(1) if match else None


def _invoices(conv: Conversation) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for step in conv.steps:
        for record in records(json_values(step.result)):
            if record["id"].startswith("in_") or record.get("object") == "invoice":
                seen.setdefault(record["id"], record)
    return list(seen.values())


def _new_records(conv: Conversation) -> bool:
    """Whether the last call brought invoices not seen before (else following on would loop)."""
    before = {
        r["id"] for s in conv.steps[:-1] for r in records(json_values(s.result))
    }  # fmt: skip
    return any(r["id"] not in before for r in records(json_values(conv.steps[-1].result)))


def _today(conv: Conversation) -> date:
    match = _TODAY_RE.search(conv.context + "\n" + conv.question)
    if match:
        return date.fromisoformat(match.group(1))
    return datetime.now(UTC).date()


def _threshold_cents(question: str) -> int:
    match = re.search(r"\$\s?([\d,]+(?:\.\d+)?)", question)
    return round(float(match.group(1).replace(",", "")) * 100) if match else 100_000


def _debtors_answer(conv: Conversation) -> str:
    invoices = [inv for inv in _invoices(conv) if inv.get("status", "open") == "open"]
    if not invoices:
        first_line = conv.steps[-1].result.strip().splitlines()[0] if conv.steps else ""
        return f"I found no open invoices in the tool output. The tool said: {first_line}"
    today = _today(conv)
    threshold = _threshold_cents(conv.question)
    owed: dict[str, list[dict[str, Any]]] = {}
    for inv in invoices:
        owed.setdefault(str(inv.get("customer", "unknown customer")), []).append(inv)
    rows = []
    for customer, invs in owed.items():
        total = sum(int(inv.get("amount_remaining", 0)) for inv in invs)
        if total > threshold:
            rows.append((total, customer, invs))
    calls = len(conv.steps)
    seen = f"{len(invoices)} open invoices read in {calls} tool call{'s' * (calls != 1)}"
    if not rows:
        return f"No customer owes more than {_money(threshold)} ({seen})."
    head = f"{len(rows)} customers owe more than {_money(threshold)}"
    lines = [f"{head} (from {seen}, as of {today}):"]
    for total, customer, invs in sorted(rows, key=lambda row: -row[0]):
        name = invs[0].get("customer_name") or customer
        dues = [int(inv["due_date"]) for inv in invs if inv.get("due_date")]
        oldest = min(dues) if dues else None
        if oldest is None:
            overdue = "no due date"
        else:
            due_day = datetime.fromtimestamp(oldest, UTC).date()
            start_of_today = datetime(today.year, today.month, today.day, tzinfo=UTC)
            days = (int(start_of_today.timestamp()) - oldest) // DAY
            overdue = f"{days} days overdue (due {due_day})" if days > 0 else f"due {due_day}"
        ids = ", ".join(inv["id"] for inv in invs)
        lines.append(f"- {name} ({customer}): {_money(total)}, {overdue}; invoices {ids}")
    return "\n".join(lines)


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


# --- "what does the Acme contract say about termination?" -------------------------------------


def _plan_file_question(conv: Conversation, box: _Toolbox) -> ToolCall | str:
    assert box.list_files is not None
    assert box.read_file is not None
    if not conv.steps:
        args: dict[str, Any] = _source_arg(box.list_files, "files", conv)
        props = box.list_files.properties
        if "prefix" in props:
            args["prefix"] = ""
        if "recursive" in props:
            args["recursive"] = True
        return ToolCall(box.list_files.name, args)
    if len(conv.steps) == 1:
        paths = file_paths(conv.steps[0].result)
        if not paths:
            return f"The file listing showed no readable files: {conv.steps[0].result[:200]}"
        read_args = _source_arg(box.read_file, "files", conv)
        read_args["path"] = _best_path(paths, conv.question)
        return ToolCall(box.read_file.name, read_args)
    path = str(conv.steps[-1].call.args.get("path", "the file"))
    return _extract_answer(path, conv.steps[-1].result, conv.question)


def _keywords(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w for w in words if len(w) >= 3 and w not in _STOP]


def _matches(word: str, candidates: Sequence[str]) -> bool:
    stem = word[:5]
    return any(c.startswith(stem) or (len(c) >= 4 and word.startswith(c[:5])) for c in candidates)


def _best_path(paths: list[str], question: str) -> str:
    keys = _keywords(question)

    def score(path: str) -> int:
        parts = re.findall(r"[a-z0-9]+", path.lower())
        return sum(_matches(k, parts) for k in keys)

    return max(paths, key=score)


_LIST_MARK = re.compile(r"^\s*(?:[-*#>]+|\d+[.)])\s*")


def _passages(text: str, path: str) -> list[str]:
    """The text as sentences, headings and list items, without the tool's own framing lines."""
    units: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        joined = " ".join(paragraph).strip()
        units.extend(s for s in re.split(r"(?<=[.!?])\s+", joined) if s)
        paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or path in stripped or stripped.startswith(("---", "[")):
            flush()
            continue
        if _LIST_MARK.match(stripped) or _is_heading(stripped):
            flush()
            units.append(_LIST_MARK.sub("", stripped))
            continue
        paragraph.append(stripped)
    flush()
    return units


def _is_heading(unit: str) -> bool:
    return unit.startswith("#") or (len(unit) < 50 and not unit.endswith((".", ":", ";", ",")))


def _extract_answer(path: str, text: str, question: str) -> str:
    """The passage of ``text`` that best matches the question (a heading brings its section)."""
    keys = set(_keywords(question))
    units = _passages(text, path)
    scores = [sum(_matches(k, _keywords(unit)) for k in keys) for unit in units]
    if not units or max(scores) == 0:
        return f"I read {path} but found no passage about that."
    best = scores.index(max(scores))
    if _is_heading(units[best]):
        section = units[best + 1 : best + 4]
        return f"According to {path}, {units[best]}: " + "; ".join(section)
    picked = [u for u, score in zip(units, scores, strict=True) if score == scores[best]][:2]
    return f"According to {path}: " + " ".join(f'"{unit}"' for unit in picked)


# --- "show the 5 most recent invoices" -------------------------------------------------------


def _plan_listing(conv: Conversation, api: ToolSpec) -> ToolCall | str:
    question = conv.question.lower()
    resource = next(r for r in _RESOURCES if r in question)
    count = re.search(r"\b(\d{1,3})\b", question)
    limit = min(int(count.group(1)), 100) if count else 5
    if not conv.steps:
        return _api_call(api, conv, f"/v1/{resource}s", {"limit": limit}, [])
    found = [r for r in records(json_values(conv.steps[-1].result)) if r.get("object") == resource]
    if not found:
        return f"The tool returned no {resource}s: {conv.steps[-1].result[:200]}"
    lines = [f"The {len(found)} most recent {resource}s:"]
    for record in found[:limit]:
        details = [
            f"{key}={record[key]}"
            for key in ("customer_name", "name", "email", "status", "amount_due", "amount")
            if key in record
        ]
        lines.append(f"- {record['id']}: {', '.join(details)}")
    return "\n".join(lines)
