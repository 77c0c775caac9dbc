"""Who may use a source: the bearer check of the proxy and file endpoints, logged per call.

A source outside the token's scope answers exactly like an unknown one (404, same body): an
answer must not tell a token which ids exist in other workspaces. Every call is recorded
(``AccessRecord``: the masked token, whose it is, the source, whose that is), so a test can prove
that no token of one workspace was ever sent for another.
"""

from __future__ import annotations

from starlette.requests import Request

from .context import AccessEndpoint, AccessRecord, SandboxContext
from .responses import ApiError
from .state import Forbidden, NotFound, Source, SourceKind
from .tokens import authenticate


def authorize_source(
    context: SandboxContext, request: Request, *, kind: SourceKind, endpoint: AccessEndpoint
) -> Source:
    """The path's source if the token may use it for ``kind`` requests; ApiError 401/403/404/400
    otherwise. Records the call in the access log either way."""
    source_id = str(request.path_params["source_id"])
    bearer = request.headers.get("authorization")
    known = context.state.source(source_id)
    status = 200
    try:
        token = authenticate(context, request)
        try:
            source = context.state.source_for(token, source_id)
        except NotFound as exc:
            raise ApiError(404, str(exc)) from None
        except Forbidden as exc:
            raise ApiError(403, str(exc)) from None
        if source.kind != kind:
            raise ApiError(400, _wrong_kind(source, kind))
        return source
    except ApiError as exc:
        status = exc.status
        raise
    finally:
        context.record_access(
            AccessRecord.of(
                endpoint,
                source_id,
                known.workspace_id if known else None,
                bearer,
                context.state.token_behind(bearer),
                status,
            )
        )


def _wrong_kind(source: Source, kind: SourceKind) -> str:
    if kind == "api":
        return f"source {source.id!r} is a file source; use the file endpoints"
    return f"source {source.id!r} is an API source ({source.connector}); use the API proxy"
