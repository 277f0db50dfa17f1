"""What a Node test of `@architus/sdk` drives: real gateway processes on a real private Redis,
a real publisher, behind a small HTTP control API on loopback that the test calls with fetch.

The Node side decides when to kill, restart or drain a node and when to publish; this side
does it with the same processes and publisher the Python tests use, and reads the truth (the
mirror's pools, the bus's positions) for the Node side to compare its store with.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from architus_sdk.wire import EntityType
from bot_bridge.bus import Bus, Mirror, mirror_for
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import GatewayProcess, RedisServer, token

MEMBERS = 1000
MIRRORED = [t for t in EntityType if t not in (EntityType.USER, EntityType.GUILD)]


@dataclass
class Harness:
    redis: RedisServer
    nodes: list[GatewayProcess]
    guild: SimulatedGuild
    bus: Bus
    mirror: Mirror
    publishing: list[asyncio.Task[int]] = field(default_factory=list)

    @property
    def publisher(self) -> Publisher:
        return Publisher(self.bus, self.mirror)

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()

        @routes.post("/token")
        async def mint(request: web.Request) -> web.Response:
            body = await request.json()
            guilds = {str(k): int(v) for k, v in body.get("guilds", {}).items()}
            minted = token(str(body.get("user", "1001")), guilds, ttl=float(body.get("ttl", 3600)))
            return web.json_response({"token": minted})

        @routes.post("/publish")
        async def publish(request: web.Request) -> web.Response:
            body = await request.json()
            events, rate = int(body["events"]), float(body["rate"])
            self.publishing.append(
                asyncio.create_task(run_simulation(self.guild, self.publisher, events, rate))
            )
            return web.json_response({})

        @routes.post("/publish/wait")
        async def published(request: web.Request) -> web.Response:
            sent = sum([await task for task in self.publishing])
            self.publishing.clear()
            return web.json_response({"sent": sent})

        @routes.post("/log")
        async def log(request: web.Request) -> web.Response:
            body = await request.json()
            event = await self.publisher.log(self.guild.guild_id, entry(bool(body["private"])))
            return web.json_response({"seq": event.seq})

        @routes.post("/nodes/{index}/{verb}")
        async def node(request: web.Request) -> web.Response:
            process = self.nodes[int(request.match_info["index"])]
            verb = request.match_info["verb"]
            if verb == "kill":
                await process.kill()
            elif verb == "start":
                await process.start()
            elif verb == "terminate":
                assert process.process is not None
                process.process.terminate()
            elif verb == "wait":
                assert process.process is not None
                return web.json_response({"code": await process.process.wait()})
            else:
                raise web.HTTPNotFound()
            return web.json_response({})

        @routes.post("/redis/kill")
        async def redis_kill(request: web.Request) -> web.Response:
            await self.redis.kill()
            return web.json_response({})

        @routes.get("/truth")
        async def truth(request: web.Request) -> web.Response:
            guild_id = self.guild.guild_id
            position = await self.bus.position(guild_id)
            pools = {t.value: await self.mirror.all(guild_id, t) for t in MIRRORED}
            return web.json_response(
                {
                    "epoch": position.epoch,
                    "pool_seq": position.pool_seq,
                    "logs_seq": position.logs_seq,
                    "pools": pools,
                }
            )

        return routes


@contextlib.asynccontextmanager
async def harness(
    redis: RedisServer, guild_id: str, history: int | None = None, **env: str
) -> AsyncIterator[tuple[Harness, str]]:
    """Two gateway nodes, a seeded guild of MEMBERS members, and the control API's URL;
    `history`: how many events of each stream the publisher keeps for resume."""
    started = [GatewayProcess(redis.url, **env) for _ in range(2)]
    await asyncio.gather(*(node.start() for node in started))
    limits = HistoryLimits(max_events=history) if history is not None else None
    bus, mirror = Bus(redis.url, limits), mirror_for(redis.url)
    await bus.connect()
    guild = SimulatedGuild(guild_id, rng=random.Random(17))
    guild.seed(MEMBERS)
    state = Harness(redis, started, guild, bus, mirror)
    await guild.publish_seed(state.publisher)
    app = web.Application()
    app.add_routes(state.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield state, f"http://127.0.0.1:{port}"
    finally:
        for task in state.publishing:
            task.cancel()
        await runner.cleanup()
        for node in started:
            await node.kill()
        with contextlib.suppress(Exception):
            await bus.disconnect()
        with contextlib.suppress(Exception):
            await mirror.disconnect()
