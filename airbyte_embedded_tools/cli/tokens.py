"""``airbyte-embedded token``: check the credentials by obtaining a token; show kind and expiry.

The client secret is never printed; the token only with ``--show-token`` (for ``curl``), alone on
stdout so that ``$(airbyte-embedded token --show-token)`` captures nothing else.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from .exit_codes import ExitCode
from .output import Output
from .settings import make_client

__all__ = ["run_token"]


async def run_token(args: argparse.Namespace, out: Output) -> int:
    """Obtain a token and describe it (kind, seconds left, expiry time in UTC, API base URL)."""
    async with make_client(args) as client:
        token = await client.get_token()
        base_url = str(client.base_url)
    if args.show_token:
        out.text(token.value.get_secret_value())
        return ExitCode.OK
    expires_in = max(token.expires_in(), 0.0)
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
    info = {
        "kind": token.kind,
        "base_url": base_url,
        "expires_in": round(expires_in),
        "expires_at": expires_at.replace(microsecond=0).isoformat(),
    }
    if out.as_json:
        out.json(info)
    else:
        out.text(
            f"{info['kind']} token for {base_url}, expires in {info['expires_in']} s "
            f"(at {info['expires_at']})"
        )
    return ExitCode.OK
