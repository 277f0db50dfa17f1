"""HTTP routes (Quart): health, readiness, metrics, and the demo page."""

from __future__ import annotations

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
# the demo page's script on @architus/sdk, bundled by `npm run build --prefix web` (scripts/install)
DEMO_BUNDLE = Path(__file__).parent.parent / "web" / "dist" / "demo.bundle.js"


@routes.get("/")
async def demo_page() -> Response:
    return await send_file(STATIC / "index.html")


@routes.get("/static/demo.bundle.js")
async def demo_bundle() -> Response:
    if not DEMO_BUNDLE.is_file():
        return Response(
            "// the demo page's bundle is not built: run scripts/install"
            " (npm run build --prefix web)\n",
            status=404,
            content_type="text/javascript",
        )
    return await send_file(DEMO_BUNDLE, mimetype="text/javascript")


@routes.get("/static/<name>")
async def static_file(name: str) -> Response:
    if name != "demo.css":
        return Response("not found\n", status=404, content_type="text/plain")
    return await send_file(STATIC / name)
