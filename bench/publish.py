"""Publishes N log entries of ~200 bytes to a guild through the Redis bus, from a process of
its own (the bot's place). Drafts are built before the clock matters and sent 32 at a time,
so this process is not what the fan-out benchmark measures. Prints the rate it reached
(stderr): alone, that is what one publisher gets through the bus's Lua script.
usage: python -m bench.publish URL GUILD N"""

from __future__ import annotations

import asyncio
import sys
import time

from bench.servers import entry
from bot_bridge.bus import Bus, Draft, Stream


async def publish(url: str, guild_id: str, count: int) -> None:
    bus = Bus(url)
    await bus.connect()
    drafts = [Draft(guild_id, Stream.LOGS, entry(n).model_dump_json()) for n in range(count)]
    for start in range(0, count, 32):
        await asyncio.gather(*(bus.publish(draft) for draft in drafts[start : start + 32]))
    await bus.disconnect()


def main() -> None:
    url, guild_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    started = time.perf_counter()
    asyncio.run(publish(url, guild_id, count))
    seconds = time.perf_counter() - started
    # on stderr: the fan-out benchmark reads nothing from this process, a person may
    print(f"published {count} events in {seconds:.2f} s: {count / seconds:,.0f}/s", file=sys.stderr)


if __name__ == "__main__":
    main()
