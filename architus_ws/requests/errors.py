"""A request's failure, carried up to the dispatcher and answered as a coded ack."""

from __future__ import annotations

from typing import Any

from architus_sdk.wire import ErrorReason


class RequestError(Exception):
    def __init__(
        self,
        reason: ErrorReason,
        message: str,
        *,
        retry_after: float | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        self.correlation_id = correlation_id

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.reason.code,
            "reason": self.reason.value,
            "message": self.message,
        }
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        if self.correlation_id is not None:
            body["correlation_id"] = self.correlation_id
        return body

    def ack(self) -> dict[str, Any]:
        return {"ok": False, "error": self.body()}


def ok(data: Any) -> dict[str, Any]:
    return {"ok": True, "data": data}
