"""Which page may open a session: the CSWSH check for websocket upgrades and polling."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal


def origin_allowed(
    origin: str | None,
    host: str | None,
    secure: bool,
    allowed: Collection[str] | Literal["*"] | None,
) -> bool:
    if origin is None:
        # Browsers always send Origin on websocket upgrades and cross-origin requests;
        # a request without one is not a page riding on a visitor's cookies.
        return True
    if allowed == "*":
        return True
    if allowed is None:
        if host is None:
            return False
        return origin == ("https://" if secure else "http://") + host
    return origin in allowed
