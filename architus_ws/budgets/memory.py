"""Budgets of this process alone: the memory bus's, and what a Redis node falls back to while
Redis does not answer."""

from __future__ import annotations

from collections import Counter

from architus_ws.budgets.base import Budgets, Refusal
from architus_ws.config import RateLimit
from architus_ws.requests.ratelimit import AddressBudgets


class MemoryBudgets(Budgets):
    def __init__(
        self, connect_rate: RateLimit, sockets_per_address: int, interpret_rate: RateLimit
    ) -> None:
        self._connects = AddressBudgets(connect_rate)
        self._interprets = AddressBudgets(interpret_rate)
        self._limit = sockets_per_address
        self._open: Counter[str] = Counter()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def admit(self, address: str) -> Refusal | None:
        return self.admit_now(address)

    def admit_now(self, address: str) -> Refusal | None:
        if self._open[address] >= self._limit:
            return Refusal("sockets", 1.0)
        wait = self._connects.take(address)
        if wait:
            return Refusal("connects", wait)
        self._open[address] += 1
        return None

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def holds(self, address: str) -> bool:
        return self._open[address] > 0

    def interpret_now(self, address: str) -> float:
        return self._interprets.take(address)

    async def interpret(self, address: str) -> float:
        return self.interpret_now(address)
