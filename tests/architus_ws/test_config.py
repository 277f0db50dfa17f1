"""Settings from the environment: the connection and read budgets."""

from __future__ import annotations

import pytest

from architus_ws.config import ConfigError, Settings

BASE = {"ARCHITUS_JWT_SECRET": "s" * 32}


def test_budgets_default_and_parse() -> None:
    defaults = Settings.from_env(BASE)
    assert defaults.max_connections is None  # the process's descriptor budget
    assert (defaults.connections_per_address, defaults.read_frames_per_second) == (64, 200)
    assert defaults.read_bytes_per_second >= defaults.transport_limit
    given = Settings.from_env(
        BASE
        | {
            "ARCHITUS_MAX_CONNECTIONS": "15000",
            "ARCHITUS_CONNECTIONS_PER_ADDRESS": "8",
            "ARCHITUS_READ_FRAMES_PER_SECOND": "50",
            "ARCHITUS_READ_BYTES_PER_SECOND": "5000000",
        }
    )
    assert given.max_connections == 15000
    assert given.connections_per_address == 8
    assert (given.read_frames_per_second, given.read_bytes_per_second) == (50, 5_000_000)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARCHITUS_MAX_CONNECTIONS", "0"),
        ("ARCHITUS_MAX_CONNECTIONS", "lots"),
        ("ARCHITUS_CONNECTIONS_PER_ADDRESS", "-1"),
        ("ARCHITUS_READ_FRAMES_PER_SECOND", "1.5"),
        # below one largest packet (1 MB): a single packet would be a flood
        ("ARCHITUS_READ_BYTES_PER_SECOND", "999999"),
    ],
)
def test_budgets_that_cannot_work_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(BASE | {name: value})
