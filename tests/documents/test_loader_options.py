"""Loader options around the edges: the progress bar, a missing optional extra, bad options."""

from __future__ import annotations

import sys

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.langchain_loader import AirbyteEmbeddedLoader
from airbyte_embedded_tools.documents.loader import (
    ApiDocumentLoader,
    FileDocumentLoader,
    LoadState,
)
from airbyte_embedded_tools.sandbox import Sandbox


async def test_progress_bar_counts_files(
    client: AirbyteEmbeddedClient, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    loader = FileDocumentLoader(
        client, sandbox.file_source_id, prefix="tickets/", show_progress=True
    )
    assert len([d async for d in loader.alazy_load()]) == 12
    err = capsys.readouterr().err
    assert "files" in err
    assert "12file" in err.replace(" ", "")


async def test_progress_bar_without_tqdm_names_the_extra(
    client: AirbyteEmbeddedClient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    quiet = FileDocumentLoader(client, sandbox.file_source_id, prefix="tickets/")
    assert len([d async for d in quiet.alazy_load()]) == 12
    loud = ApiDocumentLoader(client, sandbox.stripe_source_id, max_records=1, show_progress=True)
    with pytest.raises(ImportError, match=r"pip install 'airbyte-embedded-tools\[progress\]'"):
        _ = [d async for d in loud.alazy_load()]


async def test_pdfs_without_pypdf_are_skipped_and_retried_later(
    client: AirbyteEmbeddedClient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)
    loader = FileDocumentLoader(
        client, sandbox.file_source_id, include=["*.pdf", "README.md"], state=LoadState()
    )
    documents = [d async for d in loader.alazy_load()]
    assert [d.metadata["path"] for d in documents] == ["README.md"]
    assert sorted(s.path for s in loader.skipped) == [
        "contracts/globex-order-form.pdf",
        "misc/broken.pdf",
    ]
    assert all("airbyte-embedded-tools[pdf]" in s.reason for s in loader.skipped)
    assert loader.state is not None
    assert list(loader.state.files) == ["README.md"]


def test_bad_options_fail_when_the_loader_is_built(sandbox: Sandbox) -> None:
    client = AirbyteEmbeddedClient(token="t", base_url=sandbox.base_url)
    with pytest.raises(ValueError, match="on_unsupported"):
        AirbyteEmbeddedLoader(client, "src", on_unsupported="ignore")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unknown API connector"):
        AirbyteEmbeddedLoader.from_api(client, "src", connector="hubspot")
    with pytest.raises(ConfigurationError, match="AirbyteEmbeddedClient"):
        AirbyteEmbeddedLoader("not a client", "src")  # type: ignore[arg-type]


def test_one_option_set_for_every_file_loader(sandbox: Sandbox) -> None:
    """``FileLoadOptions`` is the one definition: its keyword form names the same options, and
    the LangChain loader, the LlamaIndex reader and the core all accept them as keywords."""
    from typing import get_type_hints

    from airbyte_embedded_tools._integrations.llama_index_reader import AirbyteEmbeddedReader
    from airbyte_embedded_tools.documents.options import (
        DEFAULT_MAX_PDF_BYTES,
        FileLoadKwargs,
        FileLoadOptions,
    )
    from airbyte_embedded_tools.tools import read_file

    assert set(get_type_hints(FileLoadKwargs)) == set(FileLoadOptions.model_fields)
    assert read_file.DEFAULT_MAX_PDF_BYTES is DEFAULT_MAX_PDF_BYTES
    client = AirbyteEmbeddedClient(token="t", base_url=sandbox.base_url)
    options = {"prefix": "contracts/", "include": "*.pdf", "pdf_mode": "page", "max_size": 10}
    core = FileDocumentLoader(client, "src", **options)  # type: ignore[arg-type]
    assert core.options == FileLoadOptions(**options)  # type: ignore[arg-type]
    assert core.options.include == ["*.pdf"]
    AirbyteEmbeddedLoader(client, "src", **options)  # type: ignore[arg-type]
    reader = AirbyteEmbeddedReader(client, "src", **options)  # type: ignore[arg-type]
    assert reader.prefix == "contracts/"
    assert reader.include == ["*.pdf"]
    with pytest.raises(ValueError, match="no_such_option"):
        FileDocumentLoader(client, "src", no_such_option=1)  # type: ignore[call-arg]
