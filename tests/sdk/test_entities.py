"""The entity adapter: one CRUD vocabulary, identity kept when nothing changes."""

from __future__ import annotations

from architus_sdk.store import EMPTY, add_many, remove_many, set_all, set_many, upsert_many


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


def test_settings_are_keyed_by_key() -> None:
    state = set_many(EMPTY, [{"key": "prefix", "value": "!"}])
    assert state.ids == ("prefix",)
    assert state.get("prefix") == {"key": "prefix", "value": "!"}
