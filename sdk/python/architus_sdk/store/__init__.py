"""A small redux: store, actions, combined reducers, middleware, entity pools."""

from architus_sdk.store.action import Action, ActionCreator, create_action
from architus_sdk.store.entities import (
    EMPTY,
    EntityState,
    add_many,
    remove_many,
    set_all,
    set_many,
    upsert_many,
)
from architus_sdk.store.store import (
    Middleware,
    MiddlewareAPI,
    ReentrantDispatch,
    Store,
    combine_reducers,
)

__all__ = [
    "EMPTY",
    "Action",
    "ActionCreator",
    "EntityState",
    "Middleware",
    "MiddlewareAPI",
    "ReentrantDispatch",
    "Store",
    "add_many",
    "combine_reducers",
    "create_action",
    "remove_many",
    "set_all",
    "set_many",
    "upsert_many",
]
