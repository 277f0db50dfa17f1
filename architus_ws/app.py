"""The application: Socket.IO at /socket.io/ on the transport of our own, Quart for everything
else.

uvicorn runs it with `ws="architus_ws.transport.upgrade:EngineUpgrade"` (`UVICORN_WS`): the
websocket upgrades under /socket.io/ become the engine's `asyncio.Protocol` connections, and
every other request, long-polling included, is ASGI through `EngineApp`. The upgrade class
finds the engine in `mounts` (the process's `MOUNTS` unless told otherwise: two gateways in
one process, as in tests, each need mounts of their own and `upgrade_protocol(mounts)`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import cast

from quart import Quart

from architus_ws.config import Settings
from architus_ws.connections.drain import Drain
from architus_ws.gateway import Gateway
from architus_ws.observability.access_log import AccessLog, ASGIApp
from architus_ws.observability.metrics_listener import MetricsListener
from architus_ws.routes import routes
from architus_ws.transport.asgi import ASGIApp as InnerApp
from architus_ws.transport.asgi import EngineApp
from architus_ws.transport.gate import GATE, ConnectionGate, GateLimits
from architus_ws.transport.upgrade import MOUNTS, Mounts
from bot_bridge.bus import Bus

logger = logging.getLogger(__name__)

# The gateway's own shutdown (after uvicorn's) gets this long: the process must exit even if a
# client that stopped reading holds a write.
STOP_TIMEOUT = 3.0

# uvicorn's `ws` and `http`: by import string, so that each worker of `--workers N` imports
# them
UVICORN_WS = "architus_ws.transport.upgrade:EngineUpgrade"
UVICORN_HTTP = "architus_ws.transport.gate:GatedHttp"


class GatewayApp(EngineApp):
    """The engine's ASGI side in front of Quart, with the gateway they serve."""

    def __init__(self, gateway: Gateway, quart: Quart, mounts: Mounts) -> None:
        # Quart types its scope as TypedDicts of ASGI's; it is the ASGI app it says it is
        super().__init__(cast("InnerApp", quart), gateway.engine, mounts=mounts)
        self.gateway = gateway
        self.quart = quart


def create_app(
    settings: Settings,
    bus: Bus | None = None,
    random_source: Callable[[], random.Random] = random.Random,
    mounts: Mounts = MOUNTS,
    gate: ConnectionGate = GATE,
    drain_on_signal: bool = False,
) -> GatewayApp:
    """Build the gateway. Starting and stopping follow the ASGI lifespan of the server.
    `gate` is the door uvicorn's `http=GatedHttp` (`UVICORN_HTTP`) keeps; it takes the
    settings' limits."""
    gateway = Gateway(settings, bus, random_source)
    gate.configure(
        GateLimits(
            max_connections=settings.max_connections,
            per_address=settings.connections_per_address,
        )
    )
    gateway.metrics.watch(gate)
    quart = Quart("architus_ws")
    quart.extensions["architus_gateway"] = gateway
    quart.register_blueprint(routes)
    quart.before_serving(gateway.start)

    async def stop() -> None:
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await gateway.stop()
        except TimeoutError:
            logger.warning("gateway shutdown unfinished after %.0f s; exiting", STOP_TIMEOUT)

    if drain_on_signal:
        # `serve`: SIGTERM and SIGINT drain first (connections/drain.py); off in-process
        # (tests), where signals are the test runner's
        drain = Drain(gateway.drain, settings.drain_seconds)
        quart.before_serving(drain.install)
        quart.after_serving(drain.uninstall)
    if settings.metrics_address is not None:
        listener = MetricsListener(*settings.metrics_address, render=_full_metrics(gateway))
        quart.before_serving(listener.start)
        quart.after_serving(listener.stop)
    quart.after_serving(stop)
    return GatewayApp(gateway, quart, mounts)


def _full_metrics(gateway: Gateway) -> Callable[[], Awaitable[bytes]]:
    async def render() -> bytes:
        await gateway.ready()  # refreshes architus_bus_up
        return gateway.metrics.render(per_guild=True)

    return render


def served(app: GatewayApp) -> ASGIApp:
    """The app as the server runs it: behind the access log when ARCHITUS_ACCESS_LOG is on."""
    settings = app.gateway.settings
    return AccessLog(app) if settings.access_log else app


def app_from_environment() -> ASGIApp:
    """The app of one worker of `serve --workers N` (uvicorn imports it by name)."""
    return served(create_app(Settings.from_env(), drain_on_signal=True))
