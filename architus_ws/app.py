"""The ASGI application: Socket.IO at /socket.io/, Quart for everything else."""

from __future__ import annotations

import random
from collections.abc import Callable

import socketio
from quart import Quart

from architus_ws.config import Settings
from architus_ws.gateway import Gateway
from architus_ws.http import routes
from bot_bridge.bus import Bus


def create_app(
    settings: Settings,
    bus: Bus | None = None,
    random_source: Callable[[], random.Random] = random.Random,
) -> socketio.ASGIApp:
    """Build the gateway. Starting and stopping follow the ASGI lifespan of the server."""
    gateway = Gateway(settings, bus, random_source)
    quart = Quart("architus_ws")
    quart.extensions["architus_gateway"] = gateway
    quart.register_blueprint(routes)
    quart.before_serving(gateway.start)
    quart.after_serving(gateway.stop)
    app = socketio.ASGIApp(gateway.server, other_asgi_app=quart)
    app.gateway = gateway
    return app


def app_from_environment() -> socketio.ASGIApp:
    """The app of one worker of `serve --workers N` (uvicorn imports it by name)."""
    return create_app(Settings.from_env())
