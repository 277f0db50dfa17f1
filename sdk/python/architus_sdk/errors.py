"""Typed errors, one per error reason of the protocol."""

from __future__ import annotations

from typing import Any


class ArchitusError(Exception):
    """A request the gateway refused, or that got no answer."""

    code: int = 0
    reason: str = ""

    def __init__(self, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = body or {}


class BadRequest(ArchitusError):
    code, reason = 400, "bad_request"


class Unauthenticated(ArchitusError):
    code, reason = 401, "unauthenticated"


class Forbidden(ArchitusError):
    code, reason = 403, "forbidden"


class NotFound(ArchitusError):
    code, reason = 404, "not_found"


class UnknownEvent(ArchitusError):
    code, reason = 404, "unknown_event"


class PayloadTooLarge(ArchitusError):
    code, reason = 413, "payload_too_large"


class RateLimited(ArchitusError):
    code, reason = 429, "rate_limited"

    @property
    def retry_after(self) -> float:
        return float(self.body.get("retry_after", 0))


class Unavailable(ArchitusError):
    code, reason = 503, "unavailable"


class Internal(ArchitusError):
    code, reason = 500, "internal"

    @property
    def correlation_id(self) -> str | None:
        value = self.body.get("correlation_id")
        return str(value) if value is not None else None


class RequestTimeout(ArchitusError):
    """No answer in time (the connection may be down)."""


class NotConnected(ArchitusError):
    """The client is not connected."""


_BY_REASON: dict[str, type[ArchitusError]] = {
    cls.reason: cls
    for cls in (
        BadRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
        UnknownEvent,
        PayloadTooLarge,
        RateLimited,
        Unavailable,
        Internal,
    )
}


def from_ack(error: dict[str, Any]) -> ArchitusError:
    cls = _BY_REASON.get(str(error.get("reason")), ArchitusError)
    return cls(str(error.get("message", "")), error)
