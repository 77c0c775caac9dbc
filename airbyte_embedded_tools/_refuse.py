"""``refuse``: the one way a request is turned down before anything is sent."""

from __future__ import annotations

from ._errors import InvalidRequestError

__all__ = ["refuse"]

REFUSED = "Refused before sending"


def refuse(problem: str) -> InvalidRequestError:
    """The ``InvalidRequestError`` (status 400) for a request refused before sending.

    ``problem`` names what is wrong ("invalid source id '..'"); raise the result.
    """
    return InvalidRequestError(f"{REFUSED}: {problem}", status_code=400)
