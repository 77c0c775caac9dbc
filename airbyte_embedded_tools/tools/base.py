"""The framework-neutral tool: a name, a description, a pydantic input model, ``arun`` and ``run``.

Subclasses write one coroutine, ``_execute``; the base validates the arguments, picks the bound
source, runs the coroutine from async or sync code, and turns every failure into a message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, create_model

from airbyte_embedded_tools._access import ClientAccess, LoopUnavailableError, access_for
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source, SourceKind, resolve_sources
from airbyte_embedded_tools._sync_client import ClientLike
from airbyte_embedded_tools._upstream import DEFAULT_CONNECTOR

from .context import (
    NO_CUSTOMER,
    CustomerContext,
    current_customer,
    customer_source,
    is_slot,
)
from .guard import DEFAULT_MAX_CHARS, MIN_MAX_CHARS
from .messages import error_message
from .names import ToolNames, resolve_names
from .results import ToolResult

__all__ = ["AirbyteTool", "ClientLike"]

InputT = TypeVar("InputT", bound=BaseModel)


class AirbyteTool(ABC, Generic[InputT]):
    """One tool bound to a client and to one or more named sources of one kind.

    Bound statically (the sources' ids given here), or per customer: sources made by
    ``customer_slots`` (names and kinds only) make the tool read each call's
    ``CustomerContext`` (``arun_for``, or the one ``bind_customer`` set) and act through that
    customer's workspace view of ``client``, an organization-level client.
    """

    default_name: ClassVar[str]
    kind: ClassVar[SourceKind]
    input_model: type[InputT]
    """The arguments when one source is bound; with several, a ``source`` enum comes first."""
    not_found_hint: ClassVar[str] = ""

    def __init__(
        self,
        client: ClientLike,
        *,
        source: Source | None = None,
        source_id: str | None = None,
        sources: Mapping[str, Source | str] | None = None,
        connector: str = DEFAULT_CONNECTOR,
        max_chars: int = DEFAULT_MAX_CHARS,
        name: str | None = None,
        names: ToolNames | None = None,
    ) -> None:
        self._client = client
        self._access = access_for(client)
        self.names = resolve_names(names)
        self.sources = self._bind(source, source_id, sources, connector)
        slots = [is_slot(src) for src in self.sources.values()]
        if any(slots) and not all(slots):
            raise ConfigurationError(
                f"{type(self).__name__}: bind every source per customer or none of them"
            )
        self.per_customer = all(slots)
        """Whether each call acts for the run's customer (its sources, its workspace)."""
        if max_chars < MIN_MAX_CHARS:
            raise ConfigurationError(f"max_chars must be at least {MIN_MAX_CHARS}")
        self.max_chars = max_chars
        self.name = name or self.names[self.default_name]
        self.args_model = _with_source_field(self.input_model, self.sources)
        self.description = self._describe()

    def _bind(
        self,
        source: Source | None,
        source_id: str | None,
        sources: Mapping[str, Source | str] | None,
        connector: str,
    ) -> dict[str, Source]:
        """The named sources of this tool's kind; any other binding is a setup error."""
        given = sum(value is not None for value in (source, source_id, sources))
        if given != 1:
            raise ConfigurationError(
                f"{type(self).__name__} needs exactly one of source=, source_id= or sources="
            )
        if source is not None:
            name = source.connector if source.kind == "api" and source.connector else "files"
            bound = {name: source}
        elif source_id is not None:
            if self.kind == "api":
                bound = resolve_sources(source_id=source_id, connector=connector)
            else:
                bound = resolve_sources(file_source_id=source_id)
        else:
            bound = resolve_sources(sources)
        wrong = [name for name, src in bound.items() if src.kind != self.kind]
        if wrong:
            raise ConfigurationError(
                f"{type(self).__name__} takes {self.kind} sources; {', '.join(map(repr, wrong))} "
                f"{'is' if len(wrong) == 1 else 'are'} not"
            )
        return bound

    @abstractmethod
    def _describe(self) -> str:
        """The description the model reads to decide when and how to call the tool."""

    @abstractmethod
    async def _execute(
        self, args: InputT, source_name: str, source: Source, access: ClientAccess
    ) -> ToolResult:
        """Do the call (``await access.arun(lambda client: ...)``); raise ``ToolError`` or the
        client's errors, the base turns them to text."""

    async def arun(self, args: BaseModel | None = None, /, **kwargs: Any) -> ToolResult:
        """Run the tool from async code (the real path: it awaits the async client).

        Give the arguments as keywords (validated here), or as one ``args_model`` instance a
        framework has already validated (used as it is, not validated twice).
        """
        return await self.arun_for(current_customer(), args, **kwargs)

    async def arun_for(
        self, customer: CustomerContext | None, args: BaseModel | None = None, /, **kwargs: Any
    ) -> ToolResult:
        """``arun`` acting for ``customer`` (a per-customer tool; a static one ignores it)."""
        self._check_given(args, kwargs)
        return await self._guarded(args, kwargs, customer)

    def run(self, args: BaseModel | None = None, /, **kwargs: Any) -> ToolResult:
        """Run the tool from sync code, on the client's owner loop; works inside a running
        event loop (a notebook) too. Arguments as for ``arun``."""
        return self.run_for(current_customer(), args, **kwargs)

    def run_for(
        self, customer: CustomerContext | None, args: BaseModel | None = None, /, **kwargs: Any
    ) -> ToolResult:
        """``run`` acting for ``customer`` (a per-customer tool; a static one ignores it)."""
        self._check_given(args, kwargs)
        try:
            return self._access.run_sync(lambda _client: self._guarded(args, kwargs, customer))
        except LoopUnavailableError as exc:
            return ToolResult.error(f"Error: {self.name} cannot run synchronously here: {exc}")

    def _check_given(self, args: BaseModel | None, kwargs: dict[str, Any]) -> None:
        """A caller's mistake (not the model's): an instance of another model, or both forms."""
        if args is not None and (kwargs or not isinstance(args, self.args_model)):
            raise TypeError(
                f"{self.name} takes keyword arguments or one {self.args_model.__name__} instance"
            )

    async def _guarded(
        self, given: BaseModel | None, kwargs: dict[str, Any], customer: CustomerContext | None
    ) -> ToolResult:
        source_name: str | None = None
        shown = self.sources
        try:
            parsed = given if given is not None else self.args_model.model_validate(kwargs)
            source_name = getattr(parsed, "source", None) or next(iter(self.sources))
            source = self.sources[source_name]
            access = self._access
            if self.per_customer:
                if not isinstance(customer, CustomerContext):
                    return ToolResult.error(NO_CUSTOMER)
                shown = customer.resolved
                source = customer_source(customer, source_name, source)
                access = access_for(customer.view(self._client))
            return await self._execute(self._input_of(parsed), source_name, source, access)
        except Exception as exc:
            message = error_message(
                exc, tool=self.name, source=source_name, not_found=self.not_found_hint
            )
            return ToolResult.error(_hide_ids(message, shown))

    def _input_of(self, parsed: BaseModel) -> InputT:
        """The input model of ``parsed``: itself with one source, else its fields but ``source``
        (already validated by the same field definitions, so not validated again)."""
        if isinstance(parsed, self.input_model):
            return parsed
        values = {key: getattr(parsed, key) for key in self.input_model.model_fields}
        fields_set = parsed.model_fields_set - {"source"}
        return self.input_model.model_construct(fields_set, **values)

    def sources_line(self) -> str:
        """The sentence of a description about the bound sources (may be empty)."""
        if len(self.sources) > 1:
            return " Several sources are connected: choose one with `source`."
        only = next(iter(self.sources.values()))
        return f" The source: {only.description}." if only.description else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, sources={list(self.sources)!r})"


def _hide_ids(text: str, sources: Mapping[str, Source]) -> str:
    """Source ids replaced by their names: a model sees names only."""
    for name, src in sources.items():
        text = text.replace(src.id, f"<source '{name}'>")
    return text


def _with_source_field(model: type[BaseModel], sources: Mapping[str, Source]) -> type[BaseModel]:
    """``model`` itself for one source; else a copy led by a required ``source`` enum field."""
    if len(sources) == 1:
        return model
    names = tuple(sources)
    described = ", ".join(
        f"'{name}'" + (f" ({src.description})" if src.description else "")
        for name, src in sources.items()
    )
    fields: dict[str, Any] = {
        "source": (
            Literal[names],
            Field(description=f"Which connected source to use: {described}."),
        )
    }
    fields.update({key: (info.annotation, info) for key, info in model.model_fields.items()})
    return create_model(
        model.__name__, __config__=model.model_config, __doc__=model.__doc__, **fields
    )
