"""Turning a Socket.IO event's arguments into a validated request model."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from architus_sdk.wire import ErrorReason
from architus_ws.requests.errors import RequestError

RequestT = TypeVar("RequestT", bound=BaseModel)


def decode(args: tuple[Any, ...], limit: int) -> dict[str, Any]:
    """One JSON object, or a string holding one; no argument counts as `{}`.

    The size limit is checked before anything is parsed or validated.
    """
    if len(args) == 0:
        return {}
    if len(args) > 1:
        raise RequestError(ErrorReason.BAD_REQUEST, "send one JSON object as the only argument")
    (payload,) = args
    if isinstance(payload, str | bytes):
        size = len(payload.encode() if isinstance(payload, str) else payload)
        if size > limit:
            raise _too_large(size, limit)
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as error:
            raise RequestError(ErrorReason.BAD_REQUEST, f"payload is not JSON: {error}") from None
    else:
        # Already decoded by Socket.IO; measure it as the JSON it arrived as.
        try:
            size = len(json.dumps(payload, separators=(",", ":")).encode())
        except (TypeError, ValueError, RecursionError):
            raise RequestError(
                ErrorReason.BAD_REQUEST, "payload must be plain JSON (no binary attachments)"
            ) from None
        if size > limit:
            raise _too_large(size, limit)
    if not isinstance(payload, dict):
        raise RequestError(ErrorReason.BAD_REQUEST, "payload must be a JSON object")
    return payload


def validate(model: type[RequestT], payload: dict[str, Any]) -> RequestT:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise RequestError(ErrorReason.BAD_REQUEST, describe(error)) from None


def describe(error: ValidationError) -> str:
    """Name every offending field: `guild_id: String should match pattern ...`."""
    parts = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        parts.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    return "; ".join(parts)


def _too_large(size: int, limit: int) -> RequestError:
    return RequestError(
        ErrorReason.PAYLOAD_TOO_LARGE, f"payload is {size} bytes, the limit is {limit}"
    )
