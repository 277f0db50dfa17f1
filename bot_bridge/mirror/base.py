"""The mirror: every guild's entity pools, kept by the bot side, read by gateway nodes.

Writes happen only inside the bus's publish (`Bus.publish(draft, write)`), in the same
atomic step that sequences and notifies the matching `log_pool`: whoever receives a push can
read a mirror that already has that state. Reads are:

Reads answer the entities' stored JSON text, so a gateway can pass it to a client without
parsing and re-serializing it:

- `entities`: by id; missing ids are simply absent from the answer.
- `page`: the pool in id order after a cursor (the previous page's last sort key), so paging
  never repeats or skips an entity that stays in the pool while it is paged.
- `search`: case-insensitive over the type's search terms (member: name and nick; others:
  name, trigger or key), prefix matches first, then substring matches, each by term.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from architus_sdk.wire import EntityType
from architus_sdk.wire.entities import entity_id

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


class Mirror(ABC):
    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> dict[str, str]:
        """The stored JSON of these keys' entities (absent keys are left out)."""

    @abstractmethod
    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[JsonEntities, str | None]:
        """The stored JSON of up to `limit` entities after the cursor, in id order, and the
        cursor of the next page (None: this was the last)."""

    @abstractmethod
    async def search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> list[SearchHit]: ...

    @abstractmethod
    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        """The whole pool (for a resync's diff, not for serving clients)."""

    @abstractmethod
    async def has_guild(self, guild_id: str) -> bool:
        """Whether the bot mirrors this guild (its guild record is there)."""


def mirror_for(url: str) -> Mirror:
    """The mirror that lives beside the bus of this URL; imports stay lazy."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        from bot_bridge.mirror.mirror_memory import MemoryMirror

        return MemoryMirror(url)
    if scheme in ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"):
        from bot_bridge.mirror.mirror_redis import RedisMirror

        return RedisMirror(url)
    raise ValueError(
        f"no mirror for {url!r}: use memory://, redis://, rediss://, unix:// or redis+cluster://"
    )
