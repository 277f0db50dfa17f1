"""History bounds shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    """How much of each stream is kept for resume: at most `max_events` and `max_age` seconds."""

    max_events: int = 1000
    max_age: float = 600.0
