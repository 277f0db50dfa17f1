"""Per-address budgets (connects, open sockets, interpret requests) across the nodes of a
deployment: shared through Redis when the bus is on Redis, per process on the memory bus.

`budgets_for` is the one place a URL's scheme picks the backend (as the bus's factory does);
the Redis one is imported only when a URL asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

from architus_ws.budgets.base import Budgets, Refusal
from architus_ws.budgets.memory import MemoryBudgets
from architus_ws.config import Settings
from bot_bridge.bus.factory import SCHEMES

__all__ = ["Budgets", "MemoryBudgets", "Refusal", "budgets_for"]


def budgets_for(url: str, settings: Settings, on_fail_open: Callable[[], None]) -> Budgets:
    """The budgets beside the bus of `url`; `on_fail_open` counts checks a node answered
    alone because Redis did not."""
    if SCHEMES.get(urlparse(url).scheme) != "redis":
        return MemoryBudgets(
            settings.connect_rate, settings.sockets_per_address, settings.interpret_address_rate
        )
    from architus_ws.budgets.redis import RedisBudgets

    return RedisBudgets(
        url,
        settings.connect_rate,
        settings.sockets_per_address,
        settings.interpret_address_rate,
        on_fail_open,
    )
