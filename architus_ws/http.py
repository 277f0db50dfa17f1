"""HTTP routes (Quart): health, readiness, metrics."""

from __future__ import annotations

from quart import Blueprint, Response, current_app

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
    if await _gateway().ready():
        return Response("ready\n", content_type="text/plain")
    return Response("bus unreachable\n", status=503, content_type="text/plain")


@routes.get("/metrics")
async def metrics() -> Response:
    gateway = _gateway()
    await gateway.ready()
    return Response(gateway.metrics.render(), content_type="text/plain; version=0.0.4")
