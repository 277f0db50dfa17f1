"""The store's guarantees: identity, re-entrancy, selectors, middleware order, actions."""

from __future__ import annotations

from typing import Any

import pytest

from architus_sdk.store import (
    Action,
    MiddlewareAPI,
    ReentrantDispatch,
    Store,
    combine_reducers,
    create_action,
)
from architus_sdk.store.store import Dispatch

added = create_action("counter/added")
renamed = create_action("label/renamed")


def counter(state: int | None, action: Action) -> int:
    state = state or 0
    return state + action.payload if added.match(action) else state


def label(state: str | None, action: Action) -> str:
    state = state if state is not None else ""
    return action.payload if renamed.match(action) else state


root = combine_reducers({"counter": counter, "label": label})


def test_action_creators_carry_type_and_match() -> None:
    action = added(2)
    assert (added.type, action.type, action.payload) == ("counter/added", "counter/added", 2)
    assert added.match(action)
    assert not renamed.match(action)
    with pytest.raises(ValueError, match="slice/verb"):
        create_action("nope")


async def test_dispatch_reduces_and_notifies() -> None:
    store = Store(root)
    calls: list[Any] = []
    unsubscribe = store.subscribe(lambda: calls.append(store.get_state()))
    await store.dispatch(added(3))
    assert store.get_state() == {"counter": 3, "label": ""}
    assert len(calls) == 1
    unsubscribe()
    await store.dispatch(added(1))
    assert len(calls) == 1


async def test_the_same_state_object_when_nothing_changed() -> None:
    store = Store(root)
    before = store.get_state()
    calls: list[int] = []
    store.subscribe(lambda: calls.append(1))
    await store.dispatch(added(0))
    await store.dispatch(Action("other/thing"))
    assert store.get_state() is before
    assert calls == []


async def test_selectors_notify_only_when_their_slice_changes() -> None:
    store = Store(root)
    seen: list[str] = []
    store.select(lambda state: state["label"], seen.append)
    await store.dispatch(added(5))
    await store.dispatch(renamed("hello"))
    await store.dispatch(added(5))
    await store.dispatch(renamed("hello"))
    assert seen == ["hello"]


async def test_a_reducer_that_dispatches_is_refused() -> None:
    holder: dict[str, Store[Any]] = {}

    def rogue(state: int | None, action: Action) -> int:
        if added.match(action):
            holder["store"].dispatch(added(1))
        return state or 0

    store: Store[Any] = Store(rogue)
    holder["store"] = store
    with pytest.raises(ReentrantDispatch, match="reducers may not dispatch"):
        await store.dispatch(added(1))
    # and the store still works afterwards
    assert await store.dispatch(Action("other/thing")) == Action("other/thing")


async def test_listeners_may_dispatch() -> None:
    store = Store(root)
    store.subscribe(lambda: None)

    async def follow_up() -> None:
        await store.dispatch(renamed("done"))

    calls: list[int] = []

    def listener() -> None:
        calls.append(store.get_state()["counter"])

    store.subscribe(listener)
    await store.dispatch(added(1))
    await follow_up()
    assert store.get_state()["label"] == "done"


async def test_middleware_runs_in_order_around_the_reducer() -> None:
    order: list[str] = []

    def tracer(name: str) -> Any:
        def middleware(api: MiddlewareAPI[Any]) -> Any:
            def wrap(next_dispatch: Dispatch) -> Dispatch:
                async def dispatch(action: Action) -> Action:
                    order.append(f"{name} before {api.get_state()['counter']}")
                    result = await next_dispatch(action)
                    order.append(f"{name} after {api.get_state()['counter']}")
                    return result

                return dispatch

            return wrap

        return middleware

    store = Store(root, middleware=[tracer("outer"), tracer("inner")])
    await store.dispatch(added(2))
    assert order == ["outer before 0", "inner before 0", "inner after 2", "outer after 2"]


async def test_middleware_can_dispatch_through_the_whole_chain() -> None:
    def doubler(api: MiddlewareAPI[Any]) -> Any:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            async def dispatch(action: Action) -> Action:
                if renamed.match(action) and action.payload == "twice":
                    await api.dispatch(added(10))
                return await next_dispatch(action)

            return dispatch

        return wrap

    store = Store(root, middleware=[doubler])
    await store.dispatch(renamed("twice"))
    assert store.get_state() == {"counter": 10, "label": "twice"}
