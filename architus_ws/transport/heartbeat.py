"""One sweep per event loop for every session's pings, ping timeouts and connect timeouts.

A session is filed in the bucket of the tick its next deadline falls in; each tick pops the
buckets that are due. Nothing here is per connection but one list entry: no timer handle,
no task. A session moved to a later bucket is left in the old one and skipped there, which
costs a list slot until that bucket's tick instead of a search.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import Protocol


class Timed(Protocol):
    slot: int

    def on_due(self, now: float) -> None: ...


class Heartbeat:
    _per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Heartbeat] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop, tick: float) -> Heartbeat:
        heartbeat = cls._per_loop.get(loop)
        if heartbeat is None:
            heartbeat = cls._per_loop[loop] = cls(loop, tick)
        heartbeat.tick = min(heartbeat.tick, tick)  # the finest any server asked for
        return heartbeat

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float) -> None:
        self.loop = loop
        self.tick = tick
        self._buckets: dict[int, list[Timed]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def schedule(self, item: Timed, at: float) -> None:
        if at == math.inf:
            item.slot = -1
            return
        slot = math.ceil(at / self.tick)
        if item.slot == slot:
            return
        item.slot = slot
        bucket = self._buckets.get(slot)
        if bucket is None:
            self._buckets[slot] = [item]
        else:
            bucket.append(item)
        if self._timer is None:
            self._arm()

    def cancel(self, item: Timed) -> None:
        item.slot = -1  # skipped when its bucket comes up

    def _arm(self) -> None:
        now_slot = math.floor(self.loop.time() / self.tick)
        self._timer = self.loop.call_at((now_slot + 1) * self.tick, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        # A timer may fire a hair early (uvloop rounds to milliseconds): deadlines within a
        # fiftieth of a tick count as reached, or they would wait a whole tick more.
        now = self.loop.time() + self.tick / 50
        current = math.floor(now / self.tick)
        for slot in sorted(slot for slot in self._buckets if slot <= current):
            for item in self._buckets.pop(slot):
                if item.slot == slot:
                    item.slot = -1
                    try:
                        item.on_due(now)
                    except Exception:  # one session's failure must not stop the others' pings
                        asyncio.get_running_loop().call_exception_handler(
                            {"message": "heartbeat: a session failed its deadline"}
                        )
        if self._buckets:
            self._arm()
