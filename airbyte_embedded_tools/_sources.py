"""Bound sources: the connectors a toolkit, loader or server may reach, each under a short name.

The LangChain and LlamaIndex tools show a model these names (``"stripe"``, ``"contracts"``), and
their messages replace source ids by names; the MCP server's schemas list ids beside the names
(``source_id`` accepts either). Either way a model can only pick among the bound sources. The
mapping a user passes (``sources={"stripe": "3f2a...", "contracts": Source.files("9b1c...")}``)
is resolved here once, by one rule:

- a ``Source`` value is taken as it is;
- a plain id string under a name that is a known API connector (``"stripe"``, case-insensitive)
  is an API source of that connector;
- any other plain id string is a file source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ._config import CONNECTOR_API_BASES
from ._errors import ConfigurationError
from ._upstream import DEFAULT_CONNECTOR

__all__ = ["Source", "SourceKind", "resolve_sources"]

SourceKind = Literal["api", "files"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Source(BaseModel):
    """One connector source: its Airbyte id, what kind it is, and for API sources the connector."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: SourceKind
    connector: str | None = None
    """The API connector (``"stripe"`` when an API source names none); None for file sources."""
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_connector(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "api" and data.get("connector") is None:
            return {**data, "connector": DEFAULT_CONNECTOR}
        return data

    @model_validator(mode="after")
    def _check(self) -> Source:
        if not self.id.strip():
            raise ValueError("a source id must not be empty")
        if self.kind == "files" and self.connector is not None:
            raise ValueError(
                f"a file source has no API connector (got connector={self.connector!r})"
            )
        if self.kind == "api" and self.connector not in CONNECTOR_API_BASES:
            known = ", ".join(sorted(CONNECTOR_API_BASES))
            raise ValueError(
                f"unknown API connector {self.connector!r}: the proxy supports {known}"
            )
        return self

    @classmethod
    def api(
        cls, id: str, connector: str = DEFAULT_CONNECTOR, description: str | None = None
    ) -> Source:
        """An API source (the proxy reaches ``connector``'s API with the stored credentials)."""
        return _build(id=id, kind="api", connector=connector, description=description)

    @classmethod
    def files(cls, id: str, description: str | None = None) -> Source:
        """A file source (an S3 bucket or similar, read through the file proxy)."""
        return _build(id=id, kind="files", connector=None, description=description)

    @property
    def api_base(self) -> str:
        """The upstream base URL of an API source, e.g. ``https://api.stripe.com``."""
        if self.kind != "api" or self.connector is None:
            raise ConfigurationError(f"source {self.id!r} is a file source, not an API source")
        return CONNECTOR_API_BASES[self.connector]

    def __repr__(self) -> str:
        return f"Source(id={self.id!r}, kind={self.kind!r}, connector={self.connector!r})"


def _build(**fields: str | None) -> Source:
    """Build a Source, reporting invalid fields as a ``ConfigurationError``."""
    try:
        return Source.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        raise ConfigurationError(f"invalid source: {problems}") from None


def resolve_sources(
    sources: Mapping[str, Source | str] | None = None,
    *,
    source_id: str | None = None,
    file_source_id: str | None = None,
    connector: str = DEFAULT_CONNECTOR,
) -> dict[str, Source]:
    """Turn the user's bindings into ``{name: Source}`` (see the module docstring for the rule).

    ``source_id`` binds one API source named after ``connector``; ``file_source_id`` binds one
    file source named ``"files"``. They are shortcuts for ``sources`` and cannot be mixed with it.
    Raises ``ConfigurationError`` for no source, bad names, or ambiguous bindings.
    """
    if sources is not None and (source_id is not None or file_source_id is not None):
        raise ConfigurationError(
            "pass either sources={...} or source_id=/file_source_id=, not both"
        )
    if sources is None:
        sources = {}
        if source_id is not None:
            if connector not in CONNECTOR_API_BASES:
                raise ConfigurationError(f"unknown API connector {connector!r}")
            sources[connector] = Source.api(source_id, connector=connector)
        if file_source_id is not None:
            sources["files"] = Source.files(file_source_id)
    if not sources:
        raise ConfigurationError(
            "no source bound: pass source_id=..., file_source_id=... or sources={'name': id}"
        )

    resolved: dict[str, Source] = {}
    folded: dict[str, str] = {}
    for name, value in sources.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigurationError(
                f"source name {name!r} is not usable by a model: use 1-64 letters, digits, "
                "'_', '-' or '.', starting with a letter or digit"
            )
        if name.lower() in folded:
            raise ConfigurationError(
                f"source names {folded[name.lower()]!r} and {name!r} differ only by case"
            )
        folded[name.lower()] = name
        resolved[name] = _resolve_one(name, value)

    kinds_by_id: dict[str, tuple[str, Source]] = {}
    for name, source in resolved.items():
        seen = kinds_by_id.get(source.id)
        if seen is not None and seen[1].kind != source.kind:
            raise ConfigurationError(
                f"source id {source.id!r} is bound as {seen[1].kind!r} under {seen[0]!r} and as "
                f"{source.kind!r} under {name!r}: a source is either an API or a file source"
            )
        kinds_by_id.setdefault(source.id, (name, source))
    return resolved


def _resolve_one(name: str, value: Source | str) -> Source:
    if isinstance(value, Source):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(
            f"source {name!r}: expected a Source or an id string, got {type(value).__name__}"
        )
    if not value.strip():
        raise ConfigurationError(f"source {name!r}: the id is empty")
    connector = name.lower()
    if connector in CONNECTOR_API_BASES:
        return Source.api(value, connector=connector)
    return Source.files(value)
