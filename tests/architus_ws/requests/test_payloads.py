"""Decoding a Socket.IO event's arguments (requests/payloads.py): one JSON object, measured
before it is parsed, every failure a coded 400 or 413."""

from __future__ import annotations

from typing import Any

import pytest

from architus_sdk.wire import ErrorReason, SpectateRequest
from architus_ws.requests.errors import RequestError
from architus_ws.requests.payloads import decode, validate

LIMIT = 64


def reason(args: tuple[Any, ...]) -> ErrorReason:
    with pytest.raises(RequestError) as refused:
        decode(args, LIMIT)
    return refused.value.reason


def test_no_argument_is_an_empty_object_and_one_object_passes() -> None:
    assert decode((), LIMIT) == {}
    assert decode(({"guild_id": "1"},), LIMIT) == {"guild_id": "1"}
    assert decode(('{"guild_id": "1"}',), LIMIT) == {"guild_id": "1"}
    assert decode((b'{"guild_id": "1"}',), LIMIT) == {"guild_id": "1"}


@pytest.mark.parametrize(
    "args",
    [
        ({}, {}),  # two arguments
        ("[1, 2]",),  # JSON, not an object
        ("{not json",),
        (b"\xff\xfe",),  # not UTF-8
        ([1],),
        (5,),
        ({"blob": b"binary"},),  # a binary attachment, decoded by Socket.IO
    ],
)
def test_what_is_not_one_json_object_is_400(args: tuple[Any, ...]) -> None:
    assert reason(args) is ErrorReason.BAD_REQUEST


@pytest.mark.parametrize(
    "payload", ["{" + '"k":"' + "x" * LIMIT + '"}', {"k": "x" * LIMIT}], ids=["text", "decoded"]
)
def test_the_limit_is_on_the_json_text_before_parsing(payload: Any) -> None:
    assert reason((payload,)) is ErrorReason.PAYLOAD_TOO_LARGE


def test_a_deep_payload_is_refused_not_raised() -> None:
    deep: Any = {}
    for _ in range(100_000):
        deep = {"a": deep}
    assert reason((deep,)) in (ErrorReason.BAD_REQUEST, ErrorReason.PAYLOAD_TOO_LARGE)


def test_validation_names_every_offending_field() -> None:
    with pytest.raises(RequestError) as refused:
        validate(SpectateRequest, {"guild_id": 5, "include_logs": "maybe"})
    assert refused.value.reason is ErrorReason.BAD_REQUEST
    assert "guild_id" in refused.value.message
    assert "include_logs" in refused.value.message
