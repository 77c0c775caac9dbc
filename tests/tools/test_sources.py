"""resolve_sources: the one rule that turns a user's bindings into named, typed sources."""

from __future__ import annotations

import pytest

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source, resolve_sources


def test_plain_id_under_a_connector_name_is_an_api_source() -> None:
    sources = resolve_sources({"stripe": "src-1", "contracts": "src-2"})
    assert sources["stripe"] == Source.api("src-1")
    assert sources["stripe"].api_base == "https://api.stripe.com"
    assert sources["contracts"] == Source.files("src-2")


def test_connector_name_matches_case_insensitively() -> None:
    assert resolve_sources({"Stripe": "src-1"})["Stripe"].kind == "api"


def test_explicit_sources_are_kept_as_given() -> None:
    billing = Source.api("src-1", description="Acme's Stripe")
    sources = resolve_sources({"billing": billing, "stripe": Source.files("src-2")})
    assert sources == {"billing": billing, "stripe": Source.files("src-2")}


def test_shortcuts_name_the_sources() -> None:
    sources = resolve_sources(source_id="a", file_source_id="b")
    assert sources == {"stripe": Source.api("a"), "files": Source.files("b")}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "no source bound"),
        ({"sources": {}}, "no source bound"),
        ({"sources": {"stripe": "a"}, "source_id": "b"}, "not both"),
        ({"sources": {"bad name": "a"}}, "not usable by a model"),
        ({"sources": {"": "a"}}, "not usable by a model"),
        ({"sources": {"Files": "a", "files": "b"}}, "differ only by case"),
        ({"sources": {"stripe": "a", "docs": "a"}}, "either an API or a file source"),
        ({"sources": {"stripe": ""}}, "id is empty"),
        ({"sources": {"stripe": 42}}, "expected a Source or an id string"),
        ({"source_id": "a", "connector": "hubspot"}, "unknown API connector"),
    ],
)
def test_ambiguous_or_invalid_bindings_are_refused(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        resolve_sources(**kwargs)


def test_source_helpers_validate() -> None:
    with pytest.raises(ConfigurationError, match="unknown API connector 'hubspot'"):
        Source.api("x", connector="hubspot")
    with pytest.raises(ConfigurationError, match="must not be empty"):
        Source.files("  ")
    with pytest.raises(ConfigurationError, match="file source"):
        _ = Source.files("x").api_base


def test_repr_names_no_description() -> None:
    assert repr(Source.api("abc", description="x")) == (
        "Source(id='abc', kind='api', connector='stripe')"
    )


def test_a_file_source_has_no_connector() -> None:
    assert Source(id="x", kind="files").connector is None
    assert Source(id="x", kind="api").connector == "stripe"
    assert Source.files("x").connector is None
    with pytest.raises(ValueError, match="a file source has no API connector"):
        Source(id="x", kind="files", connector="stripe")
