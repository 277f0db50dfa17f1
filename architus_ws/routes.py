"""HTTP routes (Quart): health, readiness, metrics, and the demo page."""

from __future__ import annotations

import os
from pathlib import Path

from quart import Blueprint, Response, current_app, send_file

from architus_ws.gateway import Gateway

routes = Blueprint("http", __name__)


def _gateway() -> Gateway:
    gateway: Gateway = current_app.extensions["architus_gateway"]
    return gateway


@routes.get("/healthz")
async def healthz() -> Response:
    return Response("ok\n", content_type="text/plain")


@routes.get("/readyz")
async def readyz() -> Response:
    gateway = _gateway()
    if await gateway.ready():
        return Response("ready\n", content_type="text/plain")
    why = "draining\n" if gateway.draining else "bus unreachable\n"
    return Response(why, status=503, content_type="text/plain")


@routes.get("/metrics")
async def metrics() -> Response:
    gateway = _gateway()
    if gateway.settings.metrics_address is not None:
        # served on that listener only, which is not on the public port
        return Response("not found\n", status=404, content_type="text/plain")
    await gateway.ready()
    return Response(gateway.metrics.render(), content_type="text/plain; version=0.0.4")


STATIC = Path(__file__).parent / "static"
# socket.io-client comes from npm (`npm ci --prefix web`, run by scripts/install), not the repo
CLIENT_SCRIPT = (
    Path(
        os.environ.get(
            "ARCHITUS_WEB_MODULES", Path(__file__).parent.parent / "web" / "node_modules"
        )
    )
    / "socket.io-client"
    / "dist"
    / "socket.io.min.js"
)


@routes.get("/")
async def demo_page() -> Response:
    return await send_file(STATIC / "index.html")


@routes.get("/static/socket.io.min.js")
async def client_script() -> Response:
    if not CLIENT_SCRIPT.is_file():
        return Response(
            "// socket.io-client is not installed: run `npm ci --prefix web`\n",
            status=404,
            content_type="text/javascript",
        )
    return await send_file(CLIENT_SCRIPT, mimetype="text/javascript")


@routes.get("/static/<name>")
async def static_file(name: str) -> Response:
    if name not in ("demo.js", "demo.css"):
        return Response("not found\n", status=404, content_type="text/plain")
    return await send_file(STATIC / name)
