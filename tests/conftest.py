"""Shared fixtures: a private redis-server, gateways on loopback ports, tokens, clients.

Nothing here touches the machine's own Redis: pytest-redis starts `redis-server` on a free
port for the session, and each test starts from an empty database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis as sync_redis
import redis.asyncio as redis
import socketio
import uvicorn
from pytest_redis import factories

from architus_sdk.wire import ServerEvent
from architus_ws import Settings, create_app
from architus_ws.auth.tokens import mint_token
from architus_ws.gateway import Gateway
from architus_ws.transport.gate import ConnectionGate, gated_http
from architus_ws.transport.upgrade import Mounts, upgrade_protocol
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild
from tests.ports import free_port
from tests.redis_cluster import RedisCluster, redis_cluster

SECRET = "test-secret-" + "x" * 20


def pytest_configure(config: pytest.Config) -> None:
    if shutil.which("redis-server") is None:
        raise pytest.UsageError(
            "redis-server not found on PATH. The tests run their own Redis and need the "
            "executable: apt-get install redis-server (Debian/Ubuntu) or brew install redis."
        )


# None: "any random available port" as pytest-redis documents it (its annotation leaves None
# out; its default, -1, would fall back to the configured port, 6379: the machine's own)
redis_proc = factories.redis_proc(port=None)  # type: ignore[arg-type]


@pytest.fixture
def redis_url(redis_proc: Any) -> str:
    """A clean database on the session's private redis-server."""
    url = f"redis://{redis_proc.host}:{redis_proc.port}/0"
    # Synchronous on purpose: parametrized fixtures resolve it outside the event loop.
    with sync_redis.Redis.from_url(url) as client:
        client.flushall()
    return url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


def memory_url() -> str:
    """A memory bus of its own: memory hubs are shared per URL within the process."""
    return f"memory://test-{uuid.uuid4().hex}"


def token(
    user: str = "1001",
    guilds: dict[str, int] | None = None,
    ttl: float = 3600,
    secret: str = SECRET,
    **kwargs: Any,
) -> str:
    return mint_token(secret, user, guilds if guilds is not None else {}, ttl=ttl, **kwargs)


# Every test client comes from 127.0.0.1: per-address connect limits are tested on their own.
UNLIMITED_CONNECTS = {"ARCHITUS_CONNECT_RATE": "100000/1", "ARCHITUS_SOCKETS_PER_ADDRESS": "100000"}


def settings(bus_url: str | None = None, **overrides: Any) -> Settings:
    redis_url = bus_url if bus_url and not bus_url.startswith("memory") else None
    base = Settings.from_env(
        {"ARCHITUS_JWT_SECRET": SECRET, **UNLIMITED_CONNECTS}, redis_url=redis_url
    )
    values = {**base.__dict__, **overrides}
    return Settings(**values)


async def mirrored_guild(bus_url: str, guild_id: str, members: int) -> SimulatedGuild:
    """A simulated guild of `members`, seeded into the bus's mirror (a fixed seed)."""
    bus, mirror = Bus(bus_url), mirror_for(bus_url)
    await bus.connect()
    guild = SimulatedGuild(guild_id, rng=random.Random(1))
    guild.seed(members)
    try:
        await guild.publish_seed(Publisher(bus, mirror))
    finally:
        await bus.disconnect()
        await mirror.disconnect()
    return guild


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def start_gateway(
    config: Settings,
    bus: Bus | None = None,
    random_source: Any = None,
    gate: ConnectionGate | None = None,
) -> RunningGateway:
    if bus is None and config.redis_url is None:
        bus = Bus(memory_url())
    # mounts of this gateway's own: several gateways share this process (`serve` uses the
    # process's `MOUNTS` and `ws="architus_ws.transport.upgrade:EngineUpgrade"`, the same
    # class bound to those)
    mounts = Mounts()
    # and a door of its own (`serve` uses the process's GATE, `http=GatedHttp`)
    gate = gate or ConnectionGate()
    app = create_app(config, bus, random_source or random.Random, mounts=mounts, gate=gate)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            ws=upgrade_protocol(mounts),
            http=gated_http(gate),
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningGateway(f"http://127.0.0.1:{port}", app.gateway, server, task)


@dataclass
class Client:
    """A python-socketio client that records every push it receives, in order. `guild_status`
    (a state, pushed after every spectate) is kept apart, in `statuses`, so `pushes` is what
    the streams and the session sent."""

    sio: socketio.AsyncClient
    pushes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    connect_errors: list[Any] = field(default_factory=list)

    async def call(self, event: str, *args: Any, timeout: float = 5) -> Any:
        return await self.sio.call(event, *args, timeout=timeout)

    def received(self, event: str) -> list[dict[str, Any]]:
        if event == ServerEvent.GUILD_STATUS:
            return list(self.statuses)
        return [data for name, data in self.pushes if name == event]

    async def wait_for(self, predicate: Callable[[Client], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await asyncio.sleep(0.01)


ClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
async def connect() -> AsyncIterator[ClientFactory]:
    clients: list[Client] = []

    async def factory(url: str, auth: Any = None, transport: str = "websocket") -> Client:
        sio = socketio.AsyncClient(reconnection=False)
        client = Client(sio)
        for event in ServerEvent:
            sio.on(event.value, _recorder(client, event.value))
        sio.on("connect_error", client.connect_errors.append)
        clients.append(client)
        await sio.connect(url, auth=auth, transports=[transport], wait_timeout=5)
        return client

    yield factory
    for client in clients:
        with contextlib.suppress(Exception):
            await client.sio.disconnect()


def _recorder(client: Client, event: str) -> Callable[[dict[str, Any]], None]:
    def record(data: dict[str, Any]) -> None:
        if event == ServerEvent.GUILD_STATUS:
            client.statuses.append(data)
        else:
            client.pushes.append((event, data))

    return record


@contextlib.asynccontextmanager
async def gateway_nodes(bus_url: str, count: int = 2) -> AsyncIterator[list[RunningGateway]]:
    """`count` gateways sharing one Redis (or Redis Cluster) bus."""
    running = [await start_gateway(settings(bus_url)) for _ in range(count)]
    try:
        yield running
    finally:
        for node in running:
            await node.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    """A gateway on its own memory bus."""
    running = await start_gateway(settings())
    yield running
    await running.stop()


@pytest.fixture
async def redis_gateway(redis_url: str) -> AsyncIterator[RunningGateway]:
    running = await start_gateway(settings(redis_url))
    yield running
    await running.stop()


@dataclass
class RedisServer:
    """A redis-server of one test's own, for tests that stop and restart it."""

    port: int
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    return
                await asyncio.sleep(0.02)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port())
    await server.start()
    yield server
    await server.kill()


def entry_point(name: str) -> str:
    """A console script installed beside this interpreter."""
    return os.path.join(os.path.dirname(sys.executable), name)


class GatewayProcess:
    """`architus-ws serve` in a process of its own, on a fixed port, to kill and restart."""

    def __init__(self, redis_url: str, **env: str) -> None:
        self.port = free_port()
        self.redis_url = redis_url
        self.env = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET, **UNLIMITED_CONNECTS, **env}
        self.process: asyncio.subprocess.Process | None = None
        self._killed: set[int] = set()  # pids this object killed (chaos kills starting nodes)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start it and wait until its port answers; return early if it is killed meanwhile."""
        self.process = process = await asyncio.create_subprocess_exec(
            entry_point("architus-ws"),
            "serve",
            "--port",
            str(self.port),
            "--redis",
            self.redis_url,
            "--log-level",
            # e.g. =warning with pytest -s: why the fleet tests' resumes were not recovered
            os.environ.get("ARCHITUS_TEST_NODE_LOG_LEVEL", "error"),
            env=self.env,
        )
        # Ready is the port answering; on a busy machine a start can take long, so the limit
        # is only there to end a test whose process hangs (one that exits fails at once).
        async with asyncio.timeout(90):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    return
                if process.returncode is not None:
                    if process.pid in self._killed:
                        return
                    raise AssertionError(f"architus-ws serve exited with {process.returncode}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self._killed.add(self.process.pid)
            self.process.kill()
            await self.process.wait()

    async def terminate(self) -> int:
        """SIGTERM (a drain) and the exit code, once it has exited."""
        assert self.process is not None
        self.process.terminate()
        return await self.process.wait()


@pytest.fixture(scope="session")
def redis_cluster_proc() -> Iterator[RedisCluster]:
    """A real 3-master Redis Cluster of the session's own, on loopback ports."""
    with redis_cluster() as cluster:
        yield cluster


@pytest.fixture
def cluster_url(redis_cluster_proc: RedisCluster) -> str:
    """The session's cluster, every master emptied."""
    redis_cluster_proc.flush()
    return redis_cluster_proc.url


@pytest.fixture(params=["memory", "redis", "cluster"])
def bus_url(request: pytest.FixtureRequest) -> str:
    """Run a test on each bus backend: a fresh memory hub, the private Redis, or the private
    Redis Cluster."""
    if request.param == "memory":
        return memory_url()
    url: str = request.getfixturevalue("redis_url" if request.param == "redis" else "cluster_url")
    return url


@contextlib.asynccontextmanager
async def demo_process() -> AsyncIterator[tuple[int, str]]:
    """`architus-ws serve --demo` as a newcomer runs it (no ARCHITUS_ settings); yields its
    port and the banner it printed before serving."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")}
    process = await asyncio.create_subprocess_exec(
        entry_point("architus-ws"),
        "serve",
        "--demo",
        "--port",
        str(port),
        env={**env, "PYTHONUNBUFFERED": "1", **UNLIMITED_CONNECTS},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        banner = ""
        async with asyncio.timeout(20):
            while "Uvicorn running" not in banner:
                line = await process.stdout.readline()
                assert line, banner
                banner += line.decode()
        yield port, banner
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
