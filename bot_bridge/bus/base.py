"""The bus interface, and the guarantees every backend gives.

A guild has two streams, `pool` (entity changes, pushed as `log_pool`) and `logs` (log entries,
pushed as `log_other`). Publishing one event is one atomic step: the stream's next `seq` is
assigned, the event is appended to the stream's bounded history and it is handed to every live
subscriber of the guild. Therefore:

- **Ordering.** Within one stream, seqs start at 1 and increase by exactly 1; subscribers see
  a stream's events in seq order. There is no order across the two streams.
- **Epoch.** A guild's epoch names its history. It is created by the first `position` or
  `publish` of the guild and changes only when the history is lost (an empty Redis). A
  (epoch, seq) pair therefore names one event for good.
- **Delivery.** Live delivery is at most once: an event published while a subscriber's
  connection to the bus is down is not delivered live, but it is in the history, and the seq
  gap tells the subscriber to read it from there. History is the recovery path, not a second
  delivery path.
- **History.** Bounded by count and age. `history(after=s)` returns every event with seq > s
  in order, or `None` when the history no longer reaches back to s + 1.

The memory backend keeps all of this inside one process: it cannot be shared between
processes, and its history is gone when the process exits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from bot_bridge.mirror.base import MirrorWrite


class Stream(StrEnum):
    POOL = "pool"
    LOGS = "logs"


class BusUnavailable(Exception):
    """The bus cannot be reached now; callers answer 503 and keep their state."""


@dataclass(frozen=True, slots=True)
class Draft:
    """An event as a publisher hands it over, before the bus sequences it.

    `body` is the JSON object of the event's own fields (without guild_id, epoch and seq).
    """

    guild_id: str
    stream: Stream
    body: str


@dataclass(frozen=True, slots=True)
class Position:
    """Where a guild's streams stand now."""

    epoch: str
    pool_seq: int
    logs_seq: int

    def seq(self, stream: Stream) -> int:
        return self.pool_seq if stream is Stream.POOL else self.logs_seq


@dataclass(frozen=True)
class BusEvent:
    """A sequenced event: `payload` is the exact JSON the clients receive."""

    stream: Stream
    payload: str

    @cached_property
    def message(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self.payload)
        return decoded

    @property
    def guild_id(self) -> str:
        return str(self.message["guild_id"])

    @property
    def epoch(self) -> str:
        return str(self.message["epoch"])

    @property
    def seq(self) -> int:
        return int(self.message["seq"])

    @property
    def private(self) -> bool:
        return bool(self.message.get("private", False))

    @property
    def entity_type(self) -> str | None:
        """The entity type of a pool event."""
        kind = self.message.get("type")
        return kind if isinstance(kind, str) else None


def sequence(draft: Draft, epoch: str, seq: int) -> str:
    """The wire payload of a draft. Kept byte-identical to the Redis backend's Lua script."""
    return f'{{"guild_id":"{draft.guild_id}","epoch":"{epoch}","seq":{seq},' + draft.body[1:]


class BusBackend(ABC):
    """A transport for sequenced guild events. One instance per process and URL.

    Subscriptions are per guild (both streams) and not reference counted here: `Bus` does
    that, so a backend sees at most one subscribe per guild.
    """

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Return when the bus answers; raise `BusUnavailable` otherwise."""

    @abstractmethod
    async def publish(self, draft: Draft, write: MirrorWrite | None = None) -> BusEvent:
        """Apply the mirror write, sequence, record and notify, in one atomic step; return the
        event as published."""

    @abstractmethod
    async def position(self, guild_id: str) -> Position:
        """The guild's epoch (created if new) and the last seq of each stream."""

    @abstractmethod
    async def history(self, guild_id: str, stream: Stream, after: int) -> list[BusEvent] | None:
        """Every event of the stream with seq > `after`, or None if history no longer reaches."""

    @abstractmethod
    async def subscribe(self, guild_id: str) -> None:
        """Return once live events of the guild published from now on will be delivered."""

    @abstractmethod
    async def unsubscribe(self, guild_id: str) -> None: ...

    @abstractmethod
    async def next_event(self) -> BusEvent:
        """The next live event of any subscribed guild."""
