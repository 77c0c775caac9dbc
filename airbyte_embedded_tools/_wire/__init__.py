"""Airbyte Embedded's wire format: the one place holding our assumptions about it.

One module per kind of assumption: ``paths`` (where each call goes), ``tokens`` (the token
requests and answers), ``proxy`` (the proxy request body and its answer envelopes), ``errors``
(how an error answer of Airbyte's API reads) and ``files`` (file lists and byte ranges). The
proxy is *alpha*: each assumption is marked ``ASSUMPTION`` with its reason, so a change on
Airbyte's side is a one-line fix here. ``docs/wire-format.md`` lists the facts and the
assumptions with their sources.
"""

from __future__ import annotations

from airbyte_embedded_tools._models import NOT_JSON

from .errors import api_error, error_detail, request_id
from .files import (
    FileListPage,
    file_content,
    parse_content_range,
    parse_file_list,
    parse_unsatisfied_range,
    range_header,
    short_range,
)
from .paths import (
    LEGACY_SCOPED_TOKEN_PATH,
    SCOPED_TOKEN_PATH,
    TOKEN_PATH,
    files_get_path,
    files_list_path,
    proxy_path,
)
from .proxy import AnswerReader, build_proxy_body
from .tokens import (
    Generation,
    application_token_body,
    credential_problem,
    lacks_current_generation,
    parse_token_response,
    scoped_token_request,
)

__all__ = [
    "LEGACY_SCOPED_TOKEN_PATH",
    "NOT_JSON",
    "SCOPED_TOKEN_PATH",
    "TOKEN_PATH",
    "AnswerReader",
    "FileListPage",
    "Generation",
    "api_error",
    "application_token_body",
    "build_proxy_body",
    "credential_problem",
    "error_detail",
    "file_content",
    "files_get_path",
    "files_list_path",
    "lacks_current_generation",
    "parse_content_range",
    "parse_file_list",
    "parse_token_response",
    "parse_unsatisfied_range",
    "proxy_path",
    "range_header",
    "request_id",
    "scoped_token_request",
    "short_range",
]
