"""An entity pool as `{ids, entities}`, and one CRUD vocabulary over it (redux-toolkit's
entity adapter). Every operation returns the same object when nothing changes.

An `EntityAdapter` is told how to key an entity (`select_id`, by default its `id`): settings,
for one, are keyed by `key`. The module-level functions are the default adapter's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Entity = Mapping[str, Any]
SelectId = Callable[[Entity], str]


def select_id_field(entity: Entity) -> str:
    """The default key of an entity: its `id`, as a string."""
    return str(entity["id"])


@dataclass(frozen=True)
class EntityState:
    ids: tuple[str, ...] = ()
    entities: Mapping[str, Entity] = field(default_factory=lambda: MappingProxyType({}))

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Entity]:
        return (self.entities[key] for key in self.ids)

    def get(self, key: str) -> Entity | None:
        return self.entities.get(key)


EMPTY = EntityState()


def _build(ids: list[str], entities: dict[str, Entity]) -> EntityState:
    return EntityState(tuple(ids), MappingProxyType(entities))


@dataclass(frozen=True)
class EntityAdapter:
    select_id: SelectId = select_id_field

    def add_many(self, state: EntityState, new: Iterable[Entity]) -> EntityState:
        """Insert entities whose key is not there yet; existing ones are left as they are."""
        ids, entities = list(state.ids), dict(state.entities)
        for entity in new:
            key = self.select_id(entity)
            if key not in entities:
                ids.append(key)
                entities[key] = dict(entity)
        return state if len(ids) == len(state.ids) else _build(ids, entities)

    def set_many(self, state: EntityState, new: Iterable[Entity]) -> EntityState:
        """Insert or replace whole entities."""
        ids, entities, changed = list(state.ids), dict(state.entities), False
        for entity in new:
            key = self.select_id(entity)
            if key not in entities:
                ids.append(key)
            if entities.get(key) != entity:
                entities[key] = dict(entity)
                changed = True
        return _build(ids, entities) if changed else state

    def upsert_many(self, state: EntityState, new: Iterable[Entity]) -> EntityState:
        """Insert, or merge the given fields into the existing entity."""
        ids, entities, changed = list(state.ids), dict(state.entities), False
        for entity in new:
            key = self.select_id(entity)
            current = entities.get(key)
            merged = {**current, **entity} if current is not None else dict(entity)
            if current is None:
                ids.append(key)
            if merged != current:
                entities[key] = merged
                changed = True
        return _build(ids, entities) if changed else state

    def remove_many(self, state: EntityState, keys: Iterable[str]) -> EntityState:
        gone = {key for key in keys if key in state.entities}
        if not gone:
            return state
        return _build(
            [key for key in state.ids if key not in gone],
            {key: value for key, value in state.entities.items() if key not in gone},
        )

    def set_all(self, state: EntityState, new: Iterable[Entity]) -> EntityState:
        """Replace the whole pool."""
        replacement: dict[str, Entity] = {self.select_id(entity): dict(entity) for entity in new}
        if list(replacement) == list(state.ids) and all(
            state.entities[key] == value for key, value in replacement.items()
        ):
            return state
        return _build(list(replacement), replacement)


def create_entity_adapter(select_id: SelectId = select_id_field) -> EntityAdapter:
    return EntityAdapter(select_id)


_DEFAULT = EntityAdapter()
add_many = _DEFAULT.add_many
set_many = _DEFAULT.set_many
upsert_many = _DEFAULT.upsert_many
remove_many = _DEFAULT.remove_many
set_all = _DEFAULT.set_all
