"""Actions: `{type, payload}` with types named `slice/verb`, and creators that know their type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Action:
    type: str
    payload: Any = None


class ActionCreator(Generic[P]):
    """`created = pushed(payload)`; `pushed.type == "logs/pushed"`; `pushed.match(action)`."""

    def __init__(self, type: str) -> None:
        slice_name, _, verb = type.partition("/")
        if not slice_name or not verb:
            raise ValueError(f"action types are slice/verb, not {type!r}")
        self.type = type

    def __call__(self, payload: P) -> Action:
        return Action(self.type, payload)

    def match(self, action: Action) -> bool:
        return action.type == self.type

    def __repr__(self) -> str:
        return f"ActionCreator({self.type!r})"


def create_action(type: str) -> ActionCreator[Any]:
    return ActionCreator(type)


INIT = Action("@@store/init")
