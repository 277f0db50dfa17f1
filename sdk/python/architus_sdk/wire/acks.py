"""The acknowledgement every client-to-server event is answered with."""

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class ErrorReason(StrEnum):
    """Error reasons; `code` is derived from the reason so the two never disagree."""

    BAD_REQUEST = "bad_request"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    UNKNOWN_EVENT = "unknown_event"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"

    @property
    def code(self) -> int:
        return _CODES[self]


_CODES = {
    ErrorReason.BAD_REQUEST: 400,
    ErrorReason.UNAUTHENTICATED: 401,
    ErrorReason.FORBIDDEN: 403,
    ErrorReason.NOT_FOUND: 404,
    ErrorReason.UNKNOWN_EVENT: 404,
    ErrorReason.PAYLOAD_TOO_LARGE: 413,
    ErrorReason.RATE_LIMITED: 429,
    ErrorReason.UNAVAILABLE: 503,
    ErrorReason.INTERNAL: 500,
}


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: int
    reason: ErrorReason
    message: str
    retry_after: float | None = None
    correlation_id: str | None = None


class AckOk(BaseModel):
    ok: Literal[True] = True
    data: Any


class AckError(BaseModel):
    ok: Literal[False] = False
    error: ErrorBody
