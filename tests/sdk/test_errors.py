"""The SDK's error classes come from the wire's one list of error reasons."""

from __future__ import annotations

import pytest

from architus_sdk import errors
from architus_sdk.wire import ErrorReason


def _reason_classes() -> list[type[errors.ArchitusError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, errors.ArchitusError)
        and value.reason is not None
    ]


@pytest.mark.behaviour("error-mapping")
def test_every_reason_has_exactly_one_class() -> None:
    classes = _reason_classes()
    reasons = [cls.reason for cls in classes]
    # each reason once, none missing
    assert sorted(str(reason) for reason in reasons) == sorted(ErrorReason)
    for reason in ErrorReason:
        cls = errors.for_reason(reason)
        assert cls.reason is reason
        assert cls.code == reason.code


def test_a_reason_cannot_get_a_second_class() -> None:
    with pytest.raises(TypeError, match="already has its class, Forbidden"):

        class AlsoForbidden(errors.ArchitusError, reason=ErrorReason.FORBIDDEN):
            pass


@pytest.mark.parametrize("reason", list(ErrorReason))
@pytest.mark.behaviour("error-mapping")
def test_acks_become_their_class(reason: ErrorReason) -> None:
    error = errors.from_ack({"code": reason.code, "reason": reason.value, "message": "m"})
    assert type(error) is errors.for_reason(reason)
    assert (error.code, error.reason, str(error)) == (reason.code, reason, "m")


def test_ack_details_and_unknown_reasons() -> None:
    limited = errors.from_ack(
        {"code": 429, "reason": "rate_limited", "message": "slow", "retry_after": 1.5}
    )
    assert isinstance(limited, errors.RateLimited)
    assert limited.retry_after == 1.5
    internal = errors.from_ack(
        {"code": 500, "reason": "internal", "message": "bug", "correlation_id": "c1"}
    )
    assert isinstance(internal, errors.Internal)
    assert internal.correlation_id == "c1"
    unknown = errors.from_ack({"code": 418, "reason": "teapot", "message": "?"})
    assert type(unknown) is errors.ArchitusError
    assert (unknown.code, unknown.reason) == (418, None)
    assert errors.RequestTimeout("t").reason is None
