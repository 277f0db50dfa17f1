"""Typed errors, one per error reason of the protocol.

Reasons and codes are not restated here: each class names its `ErrorReason` (the wire's one
definition) and takes its code from it; a reason can have only one class.
"""

from __future__ import annotations

from typing import Any

from architus_sdk.wire import ErrorReason

_BY_REASON: dict[ErrorReason, type[ArchitusError]] = {}


class ArchitusError(Exception):
    """A request the gateway refused, or that got no answer.

    `code` and `reason` are the protocol's (`reason` is None, `code` 0, for the failures that
    are the client's own: a timeout, no connection)."""

    code: int = 0
    reason: ErrorReason | None = None

    def __init_subclass__(cls, reason: ErrorReason | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if reason is None:
            return
        taken = _BY_REASON.get(reason)
        if taken is not None:
            raise TypeError(f"{reason} already has its class, {taken.__name__}")
        cls.reason, cls.code = reason, reason.code
        _BY_REASON[reason] = cls

    def __init__(self, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = body or {}


class BadRequest(ArchitusError, reason=ErrorReason.BAD_REQUEST):
    pass


class Unauthenticated(ArchitusError, reason=ErrorReason.UNAUTHENTICATED):
    pass


class Forbidden(ArchitusError, reason=ErrorReason.FORBIDDEN):
    pass


class NotFound(ArchitusError, reason=ErrorReason.NOT_FOUND):
    pass


class UnknownEvent(ArchitusError, reason=ErrorReason.UNKNOWN_EVENT):
    pass


class PayloadTooLarge(ArchitusError, reason=ErrorReason.PAYLOAD_TOO_LARGE):
    pass


class RateLimited(ArchitusError, reason=ErrorReason.RATE_LIMITED):
    @property
    def retry_after(self) -> float:
        return float(self.body.get("retry_after", 0))


class Unavailable(ArchitusError, reason=ErrorReason.UNAVAILABLE):
    pass


class Internal(ArchitusError, reason=ErrorReason.INTERNAL):
    @property
    def correlation_id(self) -> str | None:
        value = self.body.get("correlation_id")
        return str(value) if value is not None else None


class RequestTimeout(ArchitusError):
    """No answer in time (the connection may be down)."""


class NotConnected(ArchitusError):
    """The client is not connected."""


def for_reason(reason: ErrorReason) -> type[ArchitusError]:
    """The class of an error reason."""
    return _BY_REASON[reason]


def from_ack(error: dict[str, Any]) -> ArchitusError:
    """The error of a refused ack (`{code, reason, message, ...}`); a reason this SDK does
    not know yet is a plain `ArchitusError`."""
    message = str(error.get("message", ""))
    try:
        return _BY_REASON[ErrorReason(str(error.get("reason")))](message, error)
    except ValueError:
        unknown = ArchitusError(message, error)
        code = error.get("code")
        unknown.code = code if isinstance(code, int) else 0
        return unknown
