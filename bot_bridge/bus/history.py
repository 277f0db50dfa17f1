"""History bounds shared by every backend."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    """How much of each stream is kept for resume: at most `max_events` and `max_age` seconds.

    Set by the side that publishes (the bot or simulator); `max_events` 0 keeps no history.
    """

    max_events: int = 1000
    max_age: float = 600.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HistoryLimits:
        """`ARCHITUS_HISTORY_EVENTS` and `ARCHITUS_HISTORY_SECONDS`."""
        env = os.environ if environ is None else environ
        return cls(
            max_events=int(env.get("ARCHITUS_HISTORY_EVENTS", "1000")),
            max_age=float(env.get("ARCHITUS_HISTORY_SECONDS", "600")),
        )
