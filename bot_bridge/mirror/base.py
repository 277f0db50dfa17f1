"""The mirror: every guild's entity pools, kept by the bot side, read by gateway nodes.

Writes happen only inside the bus's publish (`Bus.publish(draft, write)`), in the same
atomic step that sequences and notifies the matching `log_pool`: whoever receives a push can
read a mirror that already has that state. Reads are:

- `entities`: by id; missing ids are simply absent from the answer.
- `page`: the pool in id order after a cursor (the previous page's last sort key), so paging
  never repeats or skips an entity that stays in the pool while it is paged.
- `search`: case-insensitive over the type's search terms (member: name and nick; others:
  name, trigger or key), prefix matches first, then substring matches, each by term.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from architus_sdk.wire import EntityType
from architus_sdk.wire.entities import entity_id

_SEARCH_FIELDS: dict[EntityType, tuple[str, ...]] = {
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
    for name in _SEARCH_FIELDS[entity_type]:
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
class SearchHit:
    prefix: bool
    term: str
    entity: dict[str, Any]

    @property
    def rank(self) -> tuple[bool, str]:
        return (not self.prefix, self.term)


def rank_hits(hits: list[SearchHit], entity_type: EntityType, limit: int) -> list[SearchHit]:
    """Prefix matches first, then substring ones, each by term; one hit per entity."""
    seen: set[str] = set()
    ranked = []
    for hit in sorted(hits, key=lambda h: h.rank):
        key = entity_id(entity_type, hit.entity)
        if key not in seen:
            seen.add(key)
            ranked.append(hit)
            if len(ranked) == limit:
                break
    return ranked


class Mirror(ABC):
    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> dict[str, dict[str, Any]]:
        """The stored entities of these keys (absent keys are left out)."""

    @abstractmethod
    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` entities after the cursor, and the cursor of the next page (None:
        this was the last)."""

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
    if scheme in ("redis", "rediss", "unix"):
        from bot_bridge.mirror.mirror_redis import RedisMirror

        return RedisMirror(url)
    raise ValueError(f"no mirror for {url!r}: use memory://, redis://, rediss:// or unix://")
