"""The bus and its mirror: the interfaces, and the guarantees every backend gives.

The bus
-------

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
  connection to the bus is down is not delivered live, but it is in the history. The
  subscriber learns it missed something either from the seq gap of the next event or, when
  the connection comes back, from `RESYNC` in place of an event (a quiet guild may have no
  next event for a long time): it then reads its position and the history from its own seqs.
  History is the recovery path, not a second delivery path.
- **History.** Bounded by count and age. `history(after=s)` returns every event with seq > s
  in order, or `None` when the history no longer reaches back to s + 1.

The mirror
----------

Every guild's entity pools, kept by the bot side, read by gateway nodes. Writes happen only
inside the bus's publish (`Bus.publish(draft, write)`), in the same atomic step that sequences
and notifies the matching `log_pool`: whoever receives a push can read a mirror that already
has that state. So the bus and the mirror are one component, and one backend (one URL) holds
both.

Reads answer the entities' stored JSON text, so a gateway can pass it to a client without
parsing and re-serializing it. They are:

- `entities`: by id; missing ids are simply absent from the answer.
- `page`: the pool in id order after a cursor (the previous page's last sort key), so paging
  never repeats or skips an entity that stays in the pool while it is paged.
- `search`: case-insensitive over the type's search terms (member: name and nick; others:
  name, trigger or key), prefix matches first, then substring matches, each by term.

Each of these reads comes with its **watermark** (`Watermarked.pool_seq`): the last seq of the
guild's pool stream, read in the same atomic step as the entities (one Lua call on Redis,
single-slot like the publish script; no await on the memory backend). Every `log_pool` with a
seq up to it is reflected in the answer and none after it, so a client loading a pool while
pushes arrive applies exactly the pushes after the watermark.

The memory backend keeps all of this inside one process: it cannot be shared between
processes, and its history and pools are gone when the process exits.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property
from typing import Any, Generic, TypeVar

import orjson

from architus_sdk.wire import EntityType
from architus_sdk.wire.entities import entity_id

# The bus


class Stream(StrEnum):
    POOL = "pool"
    LOGS = "logs"


class Resync(Enum):
    """Delivered in place of an event: live delivery was interrupted and is back, so events
    of any subscribed guild may have been missed (they are in the history)."""

    NEEDED = "needed"


RESYNC = Resync.NEEDED


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
    async def unsubscribe(self, guild_id: str) -> None:
        """Stop delivering the guild's live events to this backend's `next_event`."""

    @abstractmethod
    async def next_event(self) -> BusEvent | Resync:
        """The next live event of any subscribed guild, or `RESYNC` once live delivery is back
        after an interruption."""


# The mirror

SEARCH_FIELDS: dict[EntityType, tuple[str, ...]] = {
    EntityType.MEMBER: ("name", "nick"),
    EntityType.USER: ("username",),
    EntityType.ROLE: ("name",),
    EntityType.CHANNEL: ("name",),
    EntityType.EMOJI: ("name",),
    EntityType.GUILD: ("name",),
    EntityType.AUTO_RESPONSE: ("trigger",),
    EntityType.SETTING: ("key",),
}


def sort_key(entity_type: EntityType, entity_key: str) -> str:
    """Snowflakes padded to 20 digits sort as numbers; setting keys sort as text."""
    return entity_key if entity_type is EntityType.SETTING else entity_key.zfill(20)


def key_of_sort_key(entity_type: EntityType, key: str) -> str:
    return key if entity_type is EntityType.SETTING else key.lstrip("0") or "0"


def search_terms(entity_type: EntityType, entity: dict[str, Any]) -> list[str]:
    terms = []
    for name in SEARCH_FIELDS[entity_type]:
        value = entity.get(name)
        if isinstance(value, str) and value:
            term = value.casefold()
            if term not in terms:
                terms.append(term)
    return terms


@dataclass(frozen=True)
class MirrorWrite:
    """Entities to upsert and keys to delete in one type's pool of one guild."""

    entity_type: EntityType
    upserts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)

    def keyed_upserts(self) -> list[tuple[str, dict[str, Any]]]:
        return [(entity_id(self.entity_type, entity), entity) for entity in self.upserts]


@dataclass(frozen=True)
class JsonEntities:
    """Entities as their stored JSON joined by commas: `array()` is a JSON array of them."""

    joined: str

    def array(self) -> str:
        return f"[{self.joined}]"

    def parsed(self) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = json.loads(self.array())
        return entities


@dataclass(frozen=True)
class SearchHit:
    """One search result: whether its best term is a prefix match, that term, the entity's
    key and its stored JSON."""

    prefix: bool
    term: str
    key: str
    entity: str

    @property
    def rank(self) -> tuple[bool, str, str]:
        return (not self.prefix, self.term, self.key)


def rank_hits(hits: list[SearchHit], limit: int) -> list[SearchHit]:
    """Prefix matches first, then substring ones, each by term; one hit per entity."""
    seen: set[str] = set()
    ranked = []
    for hit in sorted(hits, key=lambda h: h.rank):
        if hit.key not in seen:
            seen.add(hit.key)
            ranked.append(hit)
            if len(ranked) == limit:
                break
    return ranked


def best_match(
    entity_type: EntityType, entity: dict[str, Any], needle: str
) -> tuple[bool, str] | None:
    """The entity's best term for a casefolded query: (is prefix, term), or None."""
    matches = [
        (term.startswith(needle), term)
        for term in search_terms(entity_type, entity)
        if needle in term
    ]
    return min(matches, key=lambda m: (not m[0], m[1])) if matches else None


T = TypeVar("T")


@dataclass(frozen=True)
class Watermarked(Generic[T]):
    """A read of one guild's pool and the position of the guild's pool stream it reflects:
    every `log_pool` with seq <= `pool_seq` is in it, none after it (0: nothing published)."""

    value: T
    pool_seq: int


class Mirror(ABC):
    """Reads of the pools that `BusBackend.publish` writes (the bus of the same URL).

    Backends implement the watermarked reads (`read_*`), each one atomic step that reads the
    entities and the guild's pool seq together; `entities`, `page` and `search` are the same
    reads for callers that need no watermark.
    """

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def read_entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> Watermarked[dict[str, str]]:
        """The stored JSON of these keys' entities (absent keys are left out)."""

    @abstractmethod
    async def read_page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> Watermarked[tuple[JsonEntities, str | None]]:
        """The stored JSON of up to `limit` entities after the cursor, in id order, and the
        cursor of the next page (None: this was the last)."""

    @abstractmethod
    async def read_search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> Watermarked[list[SearchHit]]: ...

    async def entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> dict[str, str]:
        return (await self.read_entities(guild_id, entity_type, keys)).value

    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[JsonEntities, str | None]:
        return (await self.read_page(guild_id, entity_type, after, limit)).value

    async def search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> list[SearchHit]:
        return (await self.read_search(guild_id, entity_type, query, limit)).value

    @abstractmethod
    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        """The whole pool (for a resync's diff, not for serving clients)."""

    @abstractmethod
    async def has_guild(self, guild_id: str) -> bool:
        """Whether the bot mirrors this guild (its guild record is there)."""
