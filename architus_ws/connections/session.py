"""What the gateway knows about one connected socket. Lives on the node holding the socket;
everything a reconnecting client needs (its token, its seqs) it brings itself."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from architus_ws.auth.permissions import Access
from architus_ws.auth.tokens import Claims
from architus_ws.config import Settings
from architus_ws.requests.ratelimit import TokenBucket
from bot_bridge.responder import Sandbox


@dataclass
class Spectating:
    guild_id: str
    include_logs: bool
    access: Access


@dataclass
class Session:
    sid: str
    address: str | None
    interpret_budget: TokenBucket
    request_budget: TokenBucket
    claims: Claims | None = None
    spectating: Spectating | None = None
    expiry: asyncio.TimerHandle | None = None
    closed: bool = False
    # monotonic time of the last request (or of connecting): anonymous idlers are closed
    last_active: float = field(default_factory=time.monotonic)
    # interpret's sandboxes, by the guild id the visitor names (a few at most, oldest dropped)
    sandboxes: OrderedDict[str, Sandbox] = field(default_factory=OrderedDict)
    # Requests of one socket run one at a time, so state changes never interleave.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def open(cls, sid: str, address: str | None, settings: Settings) -> Session:
        return cls(
            sid=sid,
            address=address,
            interpret_budget=TokenBucket(settings.interpret_rate),
            request_budget=TokenBucket(settings.request_rate),
        )
