"""A redux store: one state, pure synchronous reducers, synchronous dispatch through middleware.

- `dispatch(action)` is synchronous, as redux's is: when it returns, the reducers have run and
  the listeners have been called. The base dispatch returns the action; a middleware may
  return something else for an action it handles, typically an awaitable for an effect it
  started (a `Task`), which the caller may await. Nothing has to be awaited for an action to
  apply.
- `dispatch` refuses to run while a reducer runs (`ReentrantDispatch`: reducers are pure) and
  while the middleware is being built (`DispatchDuringConstruction`: the other middleware
  would not see that action).
- Listeners are called only when the reducer returned a new state object; reducers return
  the very same object when nothing changed, so "changed" is an identity test. Listeners may
  dispatch.
- `select(selector, listener)` calls the listener only when the selected value changes.
- Middleware is `api -> next -> action`, applied in the order given (the first one sees an
  action first); every layer is a plain synchronous function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from architus_sdk.store.action import INIT, Action

S = TypeVar("S")
T = TypeVar("T")

Reducer = Callable[[S | None, Action], S]
# What every layer of the chain is: the base returns the action, a middleware may return
# anything for the actions it handles (an awaitable for an effect, say).
Dispatch = Callable[[Action], Any]
Listener = Callable[[], None]


class DispatchRefused(RuntimeError):
    """An action was dispatched where the store cannot take it."""


class ReentrantDispatch(DispatchRefused):
    """A reducer dispatched an action; reducers must be pure."""


class DispatchDuringConstruction(DispatchRefused):
    """A middleware dispatched while the middleware chain was being built."""


@dataclasses.dataclass(frozen=True)
class MiddlewareAPI(Generic[S]):
    get_state: Callable[[], S]
    dispatch: Dispatch


Middleware = Callable[[MiddlewareAPI[Any]], Callable[[Dispatch], Dispatch]]


class Store(Generic[S]):
    def __init__(
        self,
        reducer: Reducer[S],
        middleware: Sequence[Middleware] = (),
        initial: S | None = None,
    ) -> None:
        self._reducer = reducer
        self._reducing = False
        self._listeners: list[Listener] = []
        self._state: S = reducer(initial, INIT)
        self._chain: Dispatch = self._constructing
        # `api.dispatch` goes through the whole chain, the middleware's own layer included,
        # once it exists; until then it refuses (as redux does).
        api: MiddlewareAPI[S] = MiddlewareAPI(self.get_state, self.dispatch)
        chain: Dispatch = self._reduce
        for layer in reversed(middleware):
            chain = layer(api)(chain)
        self._chain = chain

    def get_state(self) -> S:
        return self._state

    def dispatch(self, action: Action) -> Any:
        """Run `action` through the middleware and the reducer, now; return what the chain
        returns (the action itself unless a middleware answers otherwise)."""
        if self._reducing:
            raise ReentrantDispatch(
                f"{action.type} dispatched while a reducer ran: reducers may not dispatch"
            )
        return self._chain(action)

    def _constructing(self, action: Action) -> Any:
        raise DispatchDuringConstruction(
            f"{action.type}: dispatching while constructing your middleware is not allowed; "
            "other middleware would not be applied to this dispatch"
        )

    def _reduce(self, action: Action) -> Action:
        if not isinstance(action, Action):
            raise TypeError(
                f"actions are Action objects, not {type(action).__name__}: "
                "a middleware must handle anything else before the reducer"
            )
        if self._reducing:
            raise ReentrantDispatch(
                f"{action.type} dispatched while a reducer ran: reducers may not dispatch"
            )
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


def combine_reducers(
    shape: Callable[..., S], reducers: Mapping[str, Callable[[Any, Action], Any]]
) -> Reducer[S]:
    """One reducer over a dataclass of slices (`shape`), one reducer per field; the same
    object comes back when no slice changed. Every field needs its reducer, and only fields
    may have one."""
    build = shape  # the checks below narrow `shape` to "some dataclass", losing S
    if not (isinstance(shape, type) and dataclasses.is_dataclass(shape)):
        raise TypeError(f"the shape of a combined state is a dataclass, not {shape!r}")
    fields = [field.name for field in dataclasses.fields(shape)]
    if set(fields) != set(reducers):
        raise TypeError(
            f"{shape.__name__} has the fields {sorted(fields)}, "
            f"the reducers are for {sorted(reducers)}"
        )

    def combined(state: S | None, action: Action) -> S:
        following = {
            name: reducers[name](getattr(state, name) if state is not None else None, action)
            for name in fields
        }
        if state is not None and all(following[name] is getattr(state, name) for name in fields):
            return state
        return build(**following)

    return combined
