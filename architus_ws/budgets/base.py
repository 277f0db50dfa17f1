"""What every budgets backend answers: per client address, the connects, the open sockets and
the interpret requests that all nodes of a deployment allow together.

Per-connection budgets (a socket's own request and interpret rates) are not here: a socket
lives on one node, so its node's bucket is already the whole truth (`Session`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Refusal:
    """Why a connect is refused: the address holds its cap of open sockets, or has spent its
    connect budget (`wait`: seconds until the next connect is allowed)."""

    why: Literal["sockets", "connects"]
    wait: float


class Budgets(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def admit(self, address: str) -> Refusal | None:
        """Count a new socket of `address` against both of its connect budgets, or refuse it
        (nothing is counted then)."""

    @abstractmethod
    def release(self, address: str) -> None:
        """A socket `admit` counted is gone. Never waits: a shared store is told later."""

    @abstractmethod
    def interpret_now(self, address: str) -> float | None:
        """The interpret budget, decided without waiting when it can be: 0 to go ahead, the
        seconds to wait, or None when only `interpret` (which asks the shared store) can tell."""

    @abstractmethod
    async def interpret(self, address: str) -> float:
        """The interpret budget when `interpret_now` could not tell: 0 or the wait."""
