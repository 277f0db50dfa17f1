"""The leak property: random sequences of connect, elevate (random guilds and perms, long or
short-lived), renew, narrow, demote, spectate, switch, resume, stop, pool, disconnect and
publish (public and private log entries, entity and setting changes), across two gateway
nodes on one Redis. Every frame each socket receives is recorded; afterwards an oracle that
knows only the contract (section 3) replays each socket's history and checks that no push,
replay or pool answer was of a guild or privacy level its token did not allow at that moment.

"At that moment": a request that widens what a socket may see (spectate, a renewal) allows
more from the moment it is sent, since the server may deliver a push of the new guild just
before the ack; one that narrows (demote, stop, a renewal) allows less from the ack on. A
token's expiry allows nothing from `elevation_expired` on, which must come within 1 s of `exp`.

Sizes: ARCHITUS_LEAK_OPS operations (default 1,500 in CI; the nightly run sets 100,000) from
ARCHITUS_LEAK_SEED (default fixed). The test prints how many operations it ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from architus_sdk.wire import EntityType, LogOtherBody, Permission
from architus_ws.config import RateLimit
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher, timestamp
from bot_bridge.simulation import SimulatedGuild
from tests.conftest import RunningGateway, settings, start_gateway, token
from tests.raw_socket import RawSocket

OPERATIONS = int(os.environ.get("ARCHITUS_LEAK_OPS", "1500"))
SEED = int(os.environ.get("ARCHITUS_LEAK_SEED", "20261122"))
GUILDS = ["810000000000000001", "810000000000000002", "810000000000000003"]
PERMS = [0x0, 0x2, 0x4, 0x6, 0x100, 0x102, 0x106, 0x112, 0x1]
EXPIRY_GRACE = 1.0  # CONTRACT: elevation_expired no later than 1 s after exp
SCHEDULING_SLACK = 0.5  # a loaded CI machine's event loop


@dataclass(frozen=True)
class Grant:
    """What a token allows (None: no token)."""

    user: str
    guilds: dict[str, int]
    expires_at: float

    def has(self, guild_id: str, permission: Permission) -> bool:
        perms = self.guilds.get(guild_id)
        if perms is None:
            return False
        return bool(perms & Permission.ADMINISTRATOR) or (perms & permission) == permission


@dataclass(frozen=True)
class View:
    """What a socket may receive: its token's grant and what it spectates."""

    grant: Grant | None = None
    guild_id: str | None = None
    include_logs: bool = False

    def allows_push(self, event: str, push: dict[str, Any]) -> bool:
        grant = self.grant
        guild_id = push["guild_id"]
        if grant is None or guild_id != self.guild_id or guild_id not in grant.guilds:
            return False
        if event == "log_pool":
            return push["type"] != "setting" or grant.has(guild_id, Permission.VIEW_SETTINGS)
        if not (self.include_logs and grant.has(guild_id, Permission.VIEW_PUBLIC_LOGS)):
            return False
        return not push["private"] or grant.has(guild_id, Permission.VIEW_PRIVATE_LOGS)


@dataclass
class Frame:
    text: str
    at: float


@dataclass
class Watched:
    """One socket: its frames as received, and the views in effect, by frame index."""

    raw: RawSocket
    frames: list[Frame] = field(default_factory=list)
    # (first frame index, views allowed from there on): a list of views while a change is
    # in flight (old and new), one once it is acked
    views: list[tuple[int, list[View]]] = field(default_factory=list)
    acks: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    next_id: int = 0
    reader: asyncio.Task[None] | None = None

    @property
    def view(self) -> View:
        return self.views[-1][1][-1]

    async def read(self) -> None:
        while True:
            frame = await self.raw.next_packet(timeout=3600)
            if frame is None:
                return
            self.frames.append(Frame(frame, time.time()))
            if frame.startswith("43"):
                digits = frame[2:].split("[", 1)[0]
                waiting = self.acks.pop(int(digits), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(
                        (len(self.frames) - 1, json.loads(frame[2 + len(digits) :])[0])
                    )

    async def request(self, event: str, payload: Any, widened: View | None = None) -> Any:
        """Send a request; while it is in flight `widened` is allowed too."""
        ack_id = self.next_id
        self.next_id += 1
        waiting: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = waiting
        if widened is not None:
            self.views.append((len(self.frames), [self.view, widened]))
        await self.raw.send(f"42{ack_id}" + json.dumps([event, payload]))
        index, ack = await asyncio.wait_for(waiting, 10)
        return index, ack

    def settle(self, index: int, view: View) -> None:
        self.views.append((index + 1, [view]))


def violations(watched: Watched) -> list[str]:
    """Replay one socket's frames against the views in effect when each arrived."""
    found = []
    views = sorted(watched.views, key=lambda entry: entry[0])
    current: list[View] = [View()]
    position = 0
    for index, frame in enumerate(watched.frames):
        while position < len(views) and views[position][0] <= index:
            current = views[position][1]
            position += 1
        if frame.text.startswith('42["elevation_expired"'):
            current = [View()]  # nothing from here on, until a later elevation (views above)
            continue
        if not frame.text.startswith(('42["log_pool"', '42["log_other"')):
            continue
        event, push = json.loads(frame.text[2:])
        if not any(view.allows_push(event, push) for view in current):
            found.append(f"frame {index}: {event} {push!r:.200} under {current}")
        for view in current:
            grant = view.grant
            if grant is not None and frame.at > grant.expires_at + EXPIRY_GRACE + SCHEDULING_SLACK:
                found.append(
                    f"frame {index}: {event} {frame.at - grant.expires_at:.2f} s after exp"
                )
    return found


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[list[RunningGateway]]:
    unlimited = RateLimit(10**9, 1)
    running = [
        await start_gateway(
            settings(
                redis_url,
                request_rate=unlimited,
                interpret_rate=unlimited,
                interpret_address_rate=unlimited,
            )
        )
        for _ in range(2)
    ]
    yield running
    for node in running:
        await node.stop()


class Driver:
    def __init__(self, nodes: list[RunningGateway], publisher: Publisher, rng: random.Random):
        self.nodes = nodes
        self.publisher = publisher
        self.rng = rng
        self.sockets: list[Watched] = []
        self.closed: list[Watched] = []
        self.pool_violations: list[str] = []
        self.positions: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.guilds = {
            guild_id: SimulatedGuild(guild_id, rng=random.Random(guild_id)) for guild_id in GUILDS
        }

    def random_grant(self) -> tuple[str, Grant]:
        guilds = {
            guild_id: self.rng.choice(PERMS)
            for guild_id in self.rng.sample(GUILDS, self.rng.randint(0, len(GUILDS)))
        }
        ttl = self.rng.choice([3600.0, 3600.0, 3600.0, 1.0, 1.5])
        user = self.rng.choice(["1", "2"])
        jwt = token(user=user, guilds=guilds, ttl=ttl)
        return jwt, Grant(user, guilds, time.time() + ttl)

    async def connect(self) -> None:
        node = self.rng.choice(self.nodes)
        watched = Watched(await RawSocket.open(node.url))
        watched.views.append((0, [View()]))
        watched.reader = asyncio.create_task(watched.read())
        self.sockets.append(watched)

    async def elevate(self, watched: Watched) -> None:
        jwt, grant = self.random_grant()
        old = watched.view
        if old.grant is not None and old.grant.user == grant.user:
            renewed = View(grant, old.guild_id, old.include_logs)
        else:
            renewed = View(grant)  # another user: demote, then a fresh elevation
        index, ack = await watched.request("request_elevation", {"token": jwt}, widened=renewed)
        watched.settle(index, renewed if ack["ok"] else old)

    async def demote(self, watched: Watched) -> None:
        index, _ = await watched.request("demote", {})
        watched.settle(index, View())

    async def spectate(self, watched: Watched) -> None:
        old = watched.view
        guild_id = self.rng.choice([*GUILDS, None])
        include_logs = self.rng.random() < 0.7
        payload: dict[str, Any] = {"guild_id": guild_id, "include_logs": include_logs}
        if guild_id is not None and guild_id in self.positions and self.rng.random() < 0.3:
            payload["resume"] = self.positions[guild_id]
        wanted = View(old.grant, guild_id, include_logs)
        index, ack = await watched.request("spectate", payload, widened=wanted)
        if ack["ok"] and guild_id is not None:
            data = ack["data"]
            self.positions[guild_id] = {
                "epoch": data["epoch"],
                "pool_seq": max(0, data["pool_seq"] - self.rng.randint(0, 5)),
                "logs_seq": max(0, data["logs_seq"] - self.rng.randint(0, 5)),
            }
        watched.settle(index, wanted if ack["ok"] else old)

    async def pool(self, watched: Watched) -> None:
        guild_id = self.rng.choice(GUILDS)
        kind = self.rng.choice([EntityType.MEMBER, EntityType.SETTING, EntityType.ROLE])
        sent_at = time.time()
        grant = watched.view.grant
        _, ack = await watched.request("pool", {"type": kind, "guild_id": guild_id, "all": True})
        if not ack["ok"]:
            return
        allowed = (
            grant is not None
            and grant.expires_at > sent_at - SCHEDULING_SLACK
            and guild_id in grant.guilds
            and (kind != EntityType.SETTING or grant.has(guild_id, Permission.VIEW_SETTINGS))
        )
        if not allowed:
            self.pool_violations.append(f"pool {kind} of {guild_id} answered under {grant}")

    async def disconnect(self, watched: Watched) -> None:
        self.sockets.remove(watched)
        await watched.raw.close()
        self.closed.append(watched)

    async def publish(self) -> None:
        guild_id = self.rng.choice(GUILDS)
        roll = self.rng.random()
        if roll < 0.5:
            entry = LogOtherBody(
                id=str(self.rng.getrandbits(60)),
                action=3001,
                private=self.rng.random() < 0.4,
                agent_id="1",
                subject_id=None,
                content="entry",
                data={},
                timestamp=timestamp(),
            )
            await self.publisher.log(guild_id, entry)
        elif roll < 0.75:
            await self.guilds[guild_id].publish_one(self.publisher)  # the bot's own mix
        else:
            setting = {"key": self.rng.choice(["prefix", "log_channel"]), "value": "x"}
            await self.publisher.upsert(guild_id, EntityType.SETTING, [setting])

    async def step(self) -> None:
        roll = self.rng.random()
        if not self.sockets or (roll < 0.05 and len(self.sockets) < 40):
            await self.connect()
            name = "connect"
        elif roll < 0.35:
            await self.publish()
            name = "publish"
        else:
            watched = self.rng.choice(self.sockets)
            name = self.rng.choices(
                ["elevate", "demote", "spectate", "pool", "disconnect", "pause"],
                weights=[20, 4, 25, 12, 3, 1],
            )[0]
            if name == "pause":
                await asyncio.sleep(0.2)  # short-lived tokens expire along the way
            else:
                await getattr(self, name)(watched)
        self.counts[name] = self.counts.get(name, 0) + 1


async def test_no_socket_receives_what_its_token_did_not_allow(
    nodes: list[RunningGateway], redis_url: str
) -> None:
    bus = Bus(redis_url)
    mirror = mirror_for(redis_url)
    await bus.connect()
    publisher = Publisher(bus, mirror)
    driver = Driver(nodes, publisher, random.Random(SEED))
    for guild in driver.guilds.values():
        guild.seed(20)
        await guild.publish_seed(publisher)
    try:
        for _ in range(OPERATIONS):
            await driver.step()
        await asyncio.sleep(EXPIRY_GRACE + SCHEDULING_SLACK)  # the last pushes and expiries
    finally:
        await bus.disconnect()
        await mirror.disconnect()
    found = list(driver.pool_violations)
    pushes = 0
    for watched in driver.sockets + driver.closed:
        found += violations(watched)
        pushes += sum(frame.text.startswith('42["log_') for frame in watched.frames)
        await watched.raw.close()
        if watched.reader is not None:
            watched.reader.cancel()
    print(f"leaks: {OPERATIONS} operations (seed {SEED}) {driver.counts}, {pushes} pushes checked")
    assert pushes > OPERATIONS / 10  # the run exercised delivery, not only refusals
    assert not found, "\n".join(found[:20])
