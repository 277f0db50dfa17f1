"""A small redux: store, actions, combined reducers, middleware, entity pools."""

from architus_sdk.store.action import Action, ActionCreator, create_action
from architus_sdk.store.entities import (
    EMPTY,
    EntityAdapter,
    EntityState,
    add_many,
    create_entity_adapter,
    remove_many,
    set_all,
    set_many,
    upsert_many,
)
from architus_sdk.store.store import (
    Dispatch,
    DispatchDuringConstruction,
    DispatchRefused,
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
    "Dispatch",
    "DispatchDuringConstruction",
    "DispatchRefused",
    "EntityAdapter",
    "EntityState",
    "Middleware",
    "MiddlewareAPI",
    "ReentrantDispatch",
    "Store",
    "add_many",
    "combine_reducers",
    "create_action",
    "create_entity_adapter",
    "remove_many",
    "set_all",
    "set_many",
    "upsert_many",
]
