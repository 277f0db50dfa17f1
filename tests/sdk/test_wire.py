"""Wire facts defined once: the namespace, the push of each stream, where responses live."""

from __future__ import annotations

from architus_sdk import wire
from architus_sdk.wire import requests, responses


def test_the_namespace_and_the_stream_events() -> None:
    assert wire.NAMESPACE == "/"
    assert dict(wire.STREAM_EVENTS) == {"pool": "log_pool", "logs": "log_other"}
    assert set(wire.STREAM_EVENTS.values()) <= {event.value for event in wire.ServerEvent}


def test_ack_data_models_are_responses_and_requests_hold_only_requests() -> None:
    for name in ("ElevationData", "SpectateData", "PoolData", "InterpretData", "InterpretAction"):
        assert getattr(wire, name) is getattr(responses, name)
        assert not hasattr(requests, name)
