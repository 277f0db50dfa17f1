"""A redux store: one state, pure synchronous reducers, async dispatch through middleware.

- `dispatch` refuses to run while a reducer runs (a reducer that dispatches is a bug).
- Listeners are called only when the reducer returned a new state object; reducers return
  the very same object when nothing changed, so "changed" is an identity test.
- `select(selector, listener)` calls the listener only when the selected value changes.
- Middleware is `api -> next -> action`, applied in the order given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from architus_sdk.store.action import INIT, Action

S = TypeVar("S")
T = TypeVar("T")

Reducer = Callable[[S | None, Action], S]
Dispatch = Callable[[Action], Awaitable[Action]]
Listener = Callable[[], None]


class ReentrantDispatch(RuntimeError):
    """A reducer dispatched an action; reducers must be pure."""


@dataclass(frozen=True)
class MiddlewareAPI(Generic[S]):
    get_state: Callable[[], S]
    dispatch: Dispatch


Middleware = Callable[[MiddlewareAPI[Any]], Callable[[Dispatch], Dispatch]]


class Store(Generic[S]):
    def __init__(
        self,
        reducer: Callable[[S | None, Action], S],
        middleware: Sequence[Middleware] = (),
        initial: S | None = None,
    ) -> None:
        self._reducer = reducer
        self._reducing = False
        self._listeners: list[Listener] = []
        self._state: S = reducer(initial, INIT)
        api: MiddlewareAPI[S] = MiddlewareAPI(self.get_state, self.dispatch)
        chain: Dispatch = self._reduce
        for layer in reversed(middleware):
            chain = layer(api)(chain)
        self._chain = chain

    def get_state(self) -> S:
        return self._state

    def dispatch(self, action: Action) -> Awaitable[Action]:
        # Checked now, not when awaited: a reducer calling dispatch is caught in the act.
        if self._reducing:
            raise ReentrantDispatch(
                f"{action.type} dispatched while a reducer ran: reducers may not dispatch"
            )
        return self._chain(action)

    async def _reduce(self, action: Action) -> Action:
        if self._reducing:
            raise ReentrantDispatch(f"{action.type} dispatched while a reducer ran")
        self._reducing = True
        try:
            state = self._reducer(self._state, action)
        finally:
            self._reducing = False
        if state is not self._state:
            self._state = state
            for listener in list(self._listeners):
                listener()
        return action

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after every state change; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def select(
        self, selector: Callable[[S], T], listener: Callable[[T], None]
    ) -> Callable[[], None]:
        """Call `listener(value)` whenever `selector(state)` becomes a different object."""
        last = [selector(self._state)]

        def changed() -> None:
            value = selector(self._state)
            if value is not last[0]:
                last[0] = value
                listener(value)

        return self.subscribe(changed)


def combine_reducers(reducers: dict[str, Callable[[Any, Action], Any]]) -> Reducer[dict[str, Any]]:
    """One reducer over a dict of slices; the same dict comes back when no slice changed."""

    def combined(state: dict[str, Any] | None, action: Action) -> dict[str, Any]:
        previous = state or {}
        following = {
            name: reducer(previous.get(name), action) for name, reducer in reducers.items()
        }
        if state is not None and all(following[name] is previous.get(name) for name in reducers):
            return state
        return following

    return combined
