"""The customer of one run: which workspace a per-customer tool acts for, and its sources.

One toolkit, built once over an organization-level client with ``customer_sources=...``
(the source *names* every customer has), serves every customer: each call reads the run's
``CustomerContext`` (LangChain: ``create_agent(..., context_schema=CustomerContext)`` and
``invoke(..., context=CustomerContext(...))``; LlamaIndex and plain code: ``with
bind_customer(ctx):``), takes a workspace view of the client for it and the source ids from
it. The model names a source by name only; the customer and the ids never reach it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source, resolve_sources

from .messages import ToolError

__all__ = [
    "PER_CUSTOMER_ID",
    "CustomerContext",
    "CustomerSources",
    "bind_customer",
    "current_customer",
    "customer_slots",
]

PER_CUSTOMER_ID = "<the run's customer>"
"""What the id of a source slot starts with: the real id comes from each run's
``CustomerContext``."""

CustomerSources = Sequence[str] | Mapping[str, str]
"""The source names every customer binds: ``["stripe", "contracts"]`` (a connector's name is an
API source of it, any other a file source) or ``{"billing": "stripe", "docs": "files"}``."""


@dataclass(frozen=True)
class CustomerContext:
    """One customer: its workspace (``workspace`` name, or ``workspace_id``) and its sources.

    ``sources`` maps the names the toolkit was built with to this customer's ids (or
    ``Source``s), resolved by the package's one rule (``resolve_sources``). Frozen and cheap:
    build one per request.
    """

    workspace: str | None = None
    sources: Mapping[str, Source | str] = field(default_factory=dict)
    workspace_id: str | None = None
    resolved: dict[str, Source] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.workspace is None) == (self.workspace_id is None):
            raise ConfigurationError(
                "CustomerContext needs exactly one of workspace= (a name) or workspace_id="
            )
        object.__setattr__(self, "resolved", resolve_sources(self.sources))

    def view(self, client: Any) -> Any:
        """The workspace view of the organization-level ``client`` for this customer."""
        return client.for_workspace(self.workspace, id=self.workspace_id)

    def __str__(self) -> str:
        return f"workspace {self.workspace or self.workspace_id!r}"


_CURRENT: contextvars.ContextVar[CustomerContext | None] = contextvars.ContextVar(
    "airbyte_embedded_customer", default=None
)


@contextlib.contextmanager
def bind_customer(customer: CustomerContext) -> Iterator[CustomerContext]:
    """Per-customer tools act for ``customer`` inside this block (and the tasks it starts).

    ``with bind_customer(ctx): await agent.run(...)``: what a LlamaIndex agent (or any code
    calling the tools itself) uses; LangChain agents take the run's ``context=`` instead.
    """
    if not isinstance(customer, CustomerContext):
        raise ConfigurationError(
            f"bind_customer takes a CustomerContext, not {type(customer).__name__}"
        )
    token = _CURRENT.set(customer)
    try:
        yield customer
    finally:
        _CURRENT.reset(token)


def current_customer() -> CustomerContext | None:
    """The customer bound by the innermost ``bind_customer`` (None outside any)."""
    return _CURRENT.get()


def customer_slots(spec: CustomerSources) -> dict[str, Source]:
    """The source slots of ``spec``: a name and a kind each, the id left to the run."""
    if isinstance(spec, str) or not isinstance(spec, (Sequence, Mapping)):
        raise ConfigurationError(
            "customer_sources takes source names (['stripe', 'contracts']) or a mapping of "
            "name to connector or 'files'"
        )
    pairs = spec.items() if isinstance(spec, Mapping) else ((name, name) for name in spec)
    templates: dict[str, Source | str] = {}
    for name, kind in pairs:
        slot_id = f"{PER_CUSTOMER_ID}:{name}"
        if kind == "files":
            templates[name] = Source.files(slot_id)
        elif isinstance(spec, Mapping):
            templates[name] = Source.api(slot_id, connector=kind)
        else:
            templates[name] = slot_id
    return resolve_sources(templates)


def is_slot(source: Source) -> bool:
    """Whether ``source`` is a slot of ``customer_slots`` (its id comes from the run)."""
    return source.id.startswith(PER_CUSTOMER_ID)


def customer_source(customer: CustomerContext, name: str, slot: Source) -> Source:
    """The customer's own source for the slot ``name``; a ``ToolError`` if it has none there."""
    found = customer.resolved.get(name)
    if found is None:
        raise ToolError(
            f"Error: no '{name}' source is connected for this customer. Nothing was sent. Tell "
            "the user this data is not connected for them."
        )
    if found.kind != slot.kind or (slot.kind == "api" and found.connector != slot.connector):
        raise ToolError(
            f"Error: the '{name}' source of this customer is not a {slot.connector or 'file'} "
            "source. Nothing was sent. Tell the user it is set up differently."
        )
    return found


NO_CUSTOMER = (
    "Error: this tool acts for the customer of the run, and none was given. Nothing was sent. "
    "(For the developer: pass context=CustomerContext(...) to the agent's invoke, or call it "
    "inside `with bind_customer(...)`.)"
)
