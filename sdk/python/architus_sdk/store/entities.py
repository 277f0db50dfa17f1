"""An entity pool as `{ids, entities}`, and one CRUD vocabulary over it (redux-toolkit's
entity adapter). Every function returns the same object when nothing changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Entity = Mapping[str, Any]


def _key(entity: Entity) -> str:
    return str(entity["key"] if "key" in entity and "id" not in entity else entity["id"])


@dataclass(frozen=True)
class EntityState:
    ids: tuple[str, ...] = ()
    entities: Mapping[str, Entity] = field(default_factory=lambda: MappingProxyType({}))

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return (self.entities[key] for key in self.ids)

    def get(self, key: str) -> Entity | None:
        return self.entities.get(key)


EMPTY = EntityState()


def _build(ids: list[str], entities: dict[str, Entity]) -> EntityState:
    return EntityState(tuple(ids), MappingProxyType(entities))


def add_many(state: EntityState, new: Iterable[Entity]) -> EntityState:
    """Insert entities whose key is not there yet; existing ones are left as they are."""
    ids, entities = list(state.ids), dict(state.entities)
    for entity in new:
        key = _key(entity)
        if key not in entities:
            ids.append(key)
            entities[key] = dict(entity)
    return state if len(ids) == len(state.ids) else _build(ids, entities)


def set_many(state: EntityState, new: Iterable[Entity]) -> EntityState:
    """Insert or replace whole entities."""
    ids, entities, changed = list(state.ids), dict(state.entities), False
    for entity in new:
        key = _key(entity)
        if key not in entities:
            ids.append(key)
        if entities.get(key) != entity:
            entities[key] = dict(entity)
            changed = True
    return _build(ids, entities) if changed else state


def upsert_many(state: EntityState, new: Iterable[Entity]) -> EntityState:
    """Insert, or merge the given fields into the existing entity."""
    ids, entities, changed = list(state.ids), dict(state.entities), False
    for entity in new:
        key = _key(entity)
        current = entities.get(key)
        merged = {**current, **entity} if current is not None else dict(entity)
        if current is None:
            ids.append(key)
        if merged != current:
            entities[key] = merged
            changed = True
    return _build(ids, entities) if changed else state


def remove_many(state: EntityState, keys: Iterable[str]) -> EntityState:
    gone = {key for key in keys if key in state.entities}
    if not gone:
        return state
    return _build(
        [key for key in state.ids if key not in gone],
        {key: value for key, value in state.entities.items() if key not in gone},
    )


def set_all(state: EntityState, new: Iterable[Entity]) -> EntityState:
    """Replace the whole pool."""
    replacement: dict[str, Entity] = {_key(entity): dict(entity) for entity in new}
    if list(replacement) == list(state.ids) and all(
        state.entities[key] == value for key, value in replacement.items()
    ):
        return state
    return _build(list(replacement), replacement)
