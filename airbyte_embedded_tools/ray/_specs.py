"""What a distributed read is given: the credentials (once) and one spec per customer source."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._errors import AirbyteEmbeddedError

__all__ = [
    "Credentials",
    "CustomerError",
    "FileSource",
    "OnError",
    "RecordSource",
    "check_customers",
    "check_on_error",
    "customer_failure",
]

OnError = Literal["raise", "skip"]
"""What a customer that cannot be read does: stop the job, or give an error row."""


class Credentials(BaseModel):
    """The application credentials every customer's client is built from, given once.

    ``client_secret`` is a ``SecretStr``: it reaches the Ray workers inside the read tasks but
    never a repr, a task name or a block's metadata.
    """

    model_config = ConfigDict(frozen=True)

    client_id: str
    client_secret: SecretStr
    base_url: str = config.DEFAULT_BASE_URL
    max_retries: int = config.DEFAULT_MAX_RETRIES
    timeout: float | None = None


class FileSource(BaseModel):
    """One customer's files: a workspace, its file source and a prefix."""

    model_config = ConfigDict(frozen=True)

    customer: str = Field(min_length=1)
    workspace_id: str = Field(min_length=1)
    source_id: str = Field(min_length=1)
    prefix: str = ""
    recursive: bool = True


class RecordSource(BaseModel):
    """One customer's API records: a workspace, its API source, a listing path and params.

    ``created_splits`` (Unix timestamps, ascending) cut a long listing into ``created`` ranges
    read by separate tasks: before the first, between each pair, from the last on.
    """

    model_config = ConfigDict(frozen=True)

    customer: str = Field(min_length=1)
    workspace_id: str = Field(min_length=1)
    source_id: str = Field(min_length=1)
    path: str = "/v1/invoices"
    params: Mapping[str, Any] = Field(default_factory=dict)
    created_splits: tuple[int, ...] = ()

    @field_validator("created_splits")
    @classmethod
    def _ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("created_splits must be strictly ascending timestamps")
        return value

    def created_ranges(self) -> list[tuple[int | None, int | None]]:
        """The ``[gte, lt)`` ranges the splits make; one open range without splits."""
        if not self.created_splits:
            return [(None, None)]
        if any(str(key).startswith("created") for key in self.params):
            raise ValueError(
                f"customer {self.customer!r}: created_splits cannot be combined with a "
                "created filter in params"
            )
        bounds: list[int | None] = [None, *self.created_splits, None]
        return list(itertools.pairwise(bounds))


class CustomerError(AirbyteEmbeddedError):
    """Reading one customer failed (credentials rejected, source unreachable); names the
    customer. With ``on_error="skip"`` the others go on and this customer gets an error row."""

    def __init__(self, customer: str, message: str) -> None:
        super().__init__(f"customer {customer!r}: {message}")
        self.customer = customer

    def __reduce__(self) -> tuple[Any, ...]:
        return (_customer_error, (self.customer, self.message))


def _customer_error(customer: str, message: str) -> CustomerError:
    error = CustomerError.__new__(CustomerError)
    AirbyteEmbeddedError.__init__(error, message)
    error.customer = customer
    return error


def check_on_error(on_error: str) -> None:
    """``on_error`` is ``"raise"`` or ``"skip"``."""
    if on_error not in ("raise", "skip"):
        raise ValueError("on_error must be 'raise' or 'skip'")


def check_customers(names: Sequence[str]) -> None:
    """Customer names key the rows and the state: each must be unique."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"customer {name!r} is given twice")
        seen.add(name)


def customer_failure(customer: str, exc: AirbyteEmbeddedError) -> CustomerError:
    """The error naming the customer (the cause's message is secret-free)."""
    return CustomerError(customer, f"{type(exc).__name__}: {exc}")
