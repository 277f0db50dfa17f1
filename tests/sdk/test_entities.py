"""The entity adapter: one CRUD vocabulary, identity kept when nothing changes."""

from __future__ import annotations

import pytest

from architus_sdk.slices import pools, pushes
from architus_sdk.store import (
    EMPTY,
    EntityAdapter,
    add_many,
    create_entity_adapter,
    remove_many,
    set_all,
    set_many,
    upsert_many,
)


def test_add_inserts_only_new() -> None:
    state = add_many(EMPTY, [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}])
    assert state.ids == ("1", "2")
    again = add_many(state, [{"id": "1", "name": "changed"}])
    assert again is state


def test_set_replaces_whole_entities() -> None:
    state = add_many(EMPTY, [{"id": "1", "name": "a", "nick": "x"}])
    replaced = set_many(state, [{"id": "1", "name": "b"}])
    assert replaced.entities["1"] == {"id": "1", "name": "b"}
    assert set_many(replaced, [{"id": "1", "name": "b"}]) is replaced


def test_upsert_merges_fields() -> None:
    state = add_many(EMPTY, [{"id": "1", "name": "a", "nick": "x"}])
    merged = upsert_many(state, [{"id": "1", "nick": "y"}, {"id": "3", "name": "c"}])
    assert merged.entities["1"] == {"id": "1", "name": "a", "nick": "y"}
    assert merged.ids == ("1", "3")
    assert upsert_many(merged, [{"id": "1", "nick": "y"}]) is merged


def test_remove() -> None:
    state = add_many(EMPTY, [{"id": str(n)} for n in range(5)])
    removed = remove_many(state, ["1", "3", "404"])
    assert removed.ids == ("0", "2", "4")
    assert remove_many(removed, ["404"]) is removed


def test_set_all_replaces_the_pool() -> None:
    state = add_many(EMPTY, [{"id": "1"}, {"id": "2"}])
    replaced = set_all(state, [{"id": "3"}])
    assert replaced.ids == ("3",)
    assert set_all(replaced, [{"id": "3"}]) is replaced


def test_the_adapter_keys_by_its_select_id() -> None:
    settings = create_entity_adapter(select_id=lambda entity: str(entity["key"]))
    state = settings.set_many(EMPTY, [{"key": "prefix", "value": "!"}])
    assert state.ids == ("prefix",)
    assert state.get("prefix") == {"key": "prefix", "value": "!"}
    state = settings.upsert_many(state, [{"key": "prefix", "value": "?"}])
    assert state.get("prefix") == {"key": "prefix", "value": "?"}
    assert settings.remove_many(state, ["prefix"]).ids == ()
    # an entity with both fields is keyed as told, never guessed
    both = settings.add_many(EMPTY, [{"key": "k", "id": "7"}])
    assert both.ids == ("k",)
    assert EntityAdapter().add_many(EMPTY, [{"key": "k", "id": "7"}]).ids == ("7",)


def test_the_default_adapter_wants_an_id() -> None:
    with pytest.raises(KeyError):
        set_many(EMPTY, [{"key": "prefix", "value": "!"}])


@pytest.mark.behaviour("setting-key")
def test_the_setting_pool_is_keyed_by_key() -> None:
    assert pools.adapter("setting").select_id({"key": "prefix", "value": 1, "id": "x"}) == "prefix"
    assert pools.adapter("member").select_id({"id": "5", "key": "x"}) == "5"
    state = pools.reducer(
        None,
        pools.loaded(("setting", "1", [{"key": "prefix", "value": "!"}], True)),
    )
    push = {
        "guild_id": "1",
        "epoch": "e",
        "seq": 1,
        "type": "setting",
        "op": "upsert",
        "data": [{"key": "prefix", "value": "?"}, {"key": "limit", "value": 5}],
        "timestamp": "t",
    }
    state = pools.reducer(state, pushes.log_pool(push))
    settings = pools.select(state, "setting", "1")
    assert settings.ids == ("prefix", "limit")
    assert settings.get("prefix") == {"key": "prefix", "value": "?"}
    state = pools.reducer(
        state, pushes.log_pool({**push, "seq": 2, "op": "delete", "data": ["prefix"]})
    )
    assert pools.select(state, "setting", "1").ids == ("limit",)
