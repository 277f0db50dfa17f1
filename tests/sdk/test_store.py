"""The store's guarantees: synchronous dispatch, identity, re-entrancy, construction,
selectors, middleware order and effects, actions, the typed root state."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from architus_sdk.slices import RootState, root_reducer
from architus_sdk.store import (
    Action,
    Dispatch,
    DispatchDuringConstruction,
    MiddlewareAPI,
    ReentrantDispatch,
    Store,
    combine_reducers,
    create_action,
)

added = create_action("counter/added")
renamed = create_action("label/renamed")
fetched = create_action("label/fetched")


def counter(state: int | None, action: Action) -> int:
    state = state or 0
    return state + action.payload if added.match(action) else state


def label(state: str | None, action: Action) -> str:
    state = state if state is not None else ""
    return action.payload if renamed.match(action) else state


@dataclass(frozen=True)
class State:
    counter: int
    label: str


root = combine_reducers(State, {"counter": counter, "label": label})


def test_action_creators_carry_type_and_match() -> None:
    action = added(2)
    assert (added.type, action.type, action.payload) == ("counter/added", "counter/added", 2)
    assert added.match(action)
    assert not renamed.match(action)
    with pytest.raises(ValueError, match="slice/verb"):
        create_action("nope")


def test_dispatch_is_synchronous_reduces_and_notifies() -> None:
    store = Store(root)
    calls: list[State] = []
    unsubscribe = store.subscribe(lambda: calls.append(store.get_state()))
    assert store.dispatch(added(3)) == added(3)
    assert store.get_state() == State(counter=3, label="")
    assert len(calls) == 1
    unsubscribe()
    store.dispatch(added(1))
    assert len(calls) == 1


async def test_a_dispatch_that_is_not_awaited_still_applies() -> None:
    store = Store(root)
    store.dispatch(added(2))  # no await, no task: applied on return
    assert store.get_state().counter == 2
    await asyncio.sleep(0)
    assert store.get_state().counter == 2


def test_the_same_state_object_when_nothing_changed() -> None:
    store = Store(root)
    before = store.get_state()
    calls: list[int] = []
    store.subscribe(lambda: calls.append(1))
    store.dispatch(added(0))
    store.dispatch(Action("other/thing"))
    assert store.get_state() is before
    assert calls == []


def test_selectors_notify_only_when_their_slice_changes() -> None:
    store = Store(root)
    seen: list[str] = []
    store.select(lambda state: state.label, seen.append)
    store.dispatch(added(5))
    store.dispatch(renamed("hello"))
    store.dispatch(added(5))
    store.dispatch(renamed("hello"))
    assert seen == ["hello"]


def test_a_reducer_that_dispatches_is_refused() -> None:
    holder: dict[str, Store[Any]] = {}

    def rogue(state: int | None, action: Action) -> int:
        if added.match(action):
            holder["store"].dispatch(added(1))
        return state or 0

    store: Store[Any] = Store(rogue)
    holder["store"] = store
    with pytest.raises(ReentrantDispatch, match="reducers may not dispatch"):
        store.dispatch(added(1))
    # and the store still works afterwards
    assert store.dispatch(Action("other/thing")) == Action("other/thing")


def test_dispatching_while_the_middleware_is_built_is_refused() -> None:
    def eager(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        api.dispatch(added(1))  # too early: the chain does not exist yet
        return lambda next_dispatch: next_dispatch

    with pytest.raises(
        DispatchDuringConstruction, match="dispatching while constructing your middleware"
    ):
        Store(root, middleware=[eager])


def test_the_middleware_api_dispatches_once_the_store_is_built() -> None:
    apis: list[MiddlewareAPI[Any]] = []

    def keeper(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        apis.append(api)
        return lambda next_dispatch: next_dispatch

    store = Store(root, middleware=[keeper])
    apis[0].dispatch(added(4))
    assert store.get_state().counter == 4


def test_listeners_may_dispatch() -> None:
    store = Store(root)

    def listener() -> None:
        if store.get_state().counter == 1 and store.get_state().label != "done":
            store.dispatch(renamed("done"))

    store.subscribe(listener)
    store.dispatch(added(1))
    assert store.get_state() == State(counter=1, label="done")


def tracer(name: str, order: list[str]) -> Any:
    def middleware(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                order.append(f"{name} before {api.get_state().counter}")
                result = next_dispatch(action)
                order.append(f"{name} after {api.get_state().counter}")
                return result

            return dispatch

        return wrap

    return middleware


def test_middleware_runs_in_order_around_the_reducer() -> None:
    order: list[str] = []
    store = Store(root, middleware=[tracer("outer", order), tracer("inner", order)])
    store.dispatch(added(2))
    assert order == ["outer before 0", "inner before 0", "inner after 2", "outer after 2"]


def test_middleware_can_dispatch_through_the_whole_chain() -> None:
    order: list[str] = []

    def doubler(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                if renamed.match(action) and action.payload == "twice":
                    api.dispatch(added(10))
                return next_dispatch(action)

            return dispatch

        return wrap

    store = Store(root, middleware=[doubler, tracer("traced", order)])
    store.dispatch(renamed("twice"))
    assert store.get_state() == State(counter=10, label="twice")
    assert order == ["traced before 0", "traced after 10", "traced before 10", "traced after 10"]


async def test_middleware_may_answer_with_an_effect_the_caller_awaits() -> None:
    """An effect: the action applies at once; the middleware starts the async work and
    returns its task, which the caller may await (or not: it runs anyway)."""

    async def fetch_label(api: MiddlewareAPI[Any], action: Action) -> str:
        await asyncio.sleep(0)
        return str(api.dispatch(renamed(f"fetched {action.payload}")).payload)

    def effects(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                next_dispatch(action)
                if fetched.match(action):
                    return asyncio.ensure_future(fetch_label(api, action))
                return action

            return dispatch

        return wrap

    store = Store(root, middleware=[effects])
    task = store.dispatch(fetched("a"))
    assert isinstance(task, asyncio.Task)
    assert await task == "fetched a"
    assert store.get_state().label == "fetched a"

    store.dispatch(fetched("b"))  # not awaited: the effect runs all the same
    for _ in range(3):
        await asyncio.sleep(0)
    assert store.get_state().label == "fetched b"


def test_only_actions_reach_the_reducer() -> None:
    store = Store(root)
    with pytest.raises(TypeError, match="actions are Action objects"):
        store.dispatch({"type": "counter/added"})  # type: ignore[arg-type]


def test_combined_reducers_cover_every_field_of_their_shape() -> None:
    with pytest.raises(TypeError, match="fields"):
        combine_reducers(State, {"counter": counter})
    with pytest.raises(TypeError, match="dataclass"):
        combine_reducers(dict, {"counter": counter, "label": label})


def test_the_root_state_is_typed() -> None:
    state = root_reducer(None, Action("@@store/init"))
    assert isinstance(state, RootState)
    assert [field.name for field in dataclasses.fields(RootState)] == [
        "connection",
        "session",
        "spectate",
        "pools",
        "logs",
        "guild_status",
        "interpret",
    ]
    assert state.spectate.guild_id is None
    assert state.connection.status == "disconnected"
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.logs = state.logs  # type: ignore[misc]
