"""`architus-bridge simulate` (a synthetic guild) and `architus-bridge run` (discord.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from bot_bridge.bus import Announcer, Bus, mirror_for, presence_for
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="architus-bridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser("simulate", help="publish a synthetic guild's events")
    simulate.add_argument("--guild", required=True, help="the guild id (a snowflake)")
    simulate.add_argument("--members", type=int, default=100)
    simulate.add_argument("--events", type=int, default=0, help="how many (0: forever)")
    simulate.add_argument("--rate", type=float, default=10.0, help="events per second (0: max)")
    simulate.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("ARCHITUS_REDIS_URL"),
        help="bus URL (default ARCHITUS_REDIS_URL)",
    )
    simulate.add_argument("--seed", type=int, help="seed the generator (repeatable runs)")
    run = commands.add_parser("run", help="connect to Discord (DISCORD_TOKEN) and publish")
    run.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("ARCHITUS_REDIS_URL"),
        help="bus URL (default ARCHITUS_REDIS_URL)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(levelname)s %(name)s: %(message)s")
    if args.command == "run":
        token = os.environ.get("DISCORD_TOKEN")
        if not token:
            parser.exit(
                2,
                "architus-bridge: set DISCORD_TOKEN to the bot's token (Discord "
                "developer portal, Bot tab); docs/bot.md lists the intents it needs\n",
            )
        if not args.redis:
            parser.exit(
                2,
                "architus-bridge: set --redis or ARCHITUS_REDIS_URL: the gateways "
                "read the mirror and the bus there\n",
            )
        with contextlib.suppress(Stopped):
            asyncio.run(_run(args.redis, token))
    elif args.command == "simulate":
        if not args.guild.isdigit():
            parser.exit(2, "architus-bridge: --guild must be a snowflake (digits)\n")
        if not args.redis:
            parser.exit(
                2,
                "architus-bridge: set --redis or ARCHITUS_REDIS_URL: a simulator in "
                "its own process needs a shared bus (or use architus-ws serve --demo)\n",
            )
        try:
            seeded, sent = asyncio.run(_simulate(args))
        except Stopped:
            print(f"guild {args.guild}: stopped by a signal", file=sys.stderr)
            return
        print(
            f"guild {args.guild}: seeded in {seeded} pushes, then published {sent} events",
            file=sys.stderr,
        )


T = TypeVar("T")


class Stopped(Exception):
    """SIGTERM or SIGINT ended the run."""


def _stop_signal() -> asyncio.Event:
    """Set by SIGTERM or SIGINT. Installed first thing, so a signal that arrives while the
    guilds are being announced still ends the run through its `finally` blocks."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _until(stop: asyncio.Event, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s result, or `Stopped` once `stop` is set, after `work` was cancelled.

    Either way the caller's `finally` blocks run as after a normal end: the guilds' presence is
    withdrawn, so gateways show the bot offline at once. The cancellation is repeated until it
    takes: a redis-py call in flight has been seen to swallow one.
    """
    task = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    raise Stopped


async def _run(url: str, token: str) -> None:
    from bot_bridge.bot import create_bot

    stop = _stop_signal()
    bus = Bus(url, HistoryLimits.from_env())
    mirror = mirror_for(url)
    presence = presence_for(url)
    await bus.connect()
    await presence.connect()
    try:
        bot = await create_bot(Publisher(bus, mirror), presence)
        async with bot:  # its close unloads the Cogs: the status Cog withdraws every guild
            await _until(stop, bot.start(token))
    finally:
        await presence.disconnect()
        await bus.disconnect()
        await mirror.disconnect()


async def _simulate(args: argparse.Namespace) -> tuple[int, int]:
    import random

    stop = _stop_signal()
    bus = Bus(args.redis, HistoryLimits.from_env())
    mirror = mirror_for(args.redis)
    presence = presence_for(args.redis)
    announcer = Announcer(presence)
    await presence.connect()
    try:
        await announcer.serve([args.guild])  # online from the start, while seeding too
        await bus.connect()

        async def publish() -> tuple[int, int]:
            guild = SimulatedGuild(args.guild, rng=random.Random(args.seed))
            guild.seed(args.members)
            publisher = Publisher(bus, mirror)
            seeded = await guild.publish_seed(publisher)
            return seeded, await run_simulation(guild, publisher, args.events, args.rate)

        return await _until(stop, publish())
    finally:
        await announcer.close()
        await presence.disconnect()
        await bus.disconnect()
        await mirror.disconnect()


if __name__ == "__main__":
    main(sys.argv[1:])
