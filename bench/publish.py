"""Publishes N log entries of ~200 bytes to a guild through the Redis bus, from a process of
its own (the bot's place). Drafts are built before the clock matters and sent 32 at a time,
so this process is not what the fan-out benchmark measures.
usage: python -m bench.publish URL GUILD N"""

from __future__ import annotations

import asyncio
import sys

from bench.servers import entry
from bot_bridge.bus import Bus, Draft, Stream


async def publish(url: str, guild_id: str, count: int) -> None:
    bus = Bus(url)
    await bus.connect()
    drafts = [Draft(guild_id, Stream.LOGS, entry(n).model_dump_json()) for n in range(count)]
    for start in range(0, count, 32):
        await asyncio.gather(*(bus.publish(draft) for draft in drafts[start : start + 32]))
    await bus.disconnect()


if __name__ == "__main__":
    asyncio.run(publish(sys.argv[1], sys.argv[2], int(sys.argv[3])))
