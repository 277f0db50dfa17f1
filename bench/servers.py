"""The servers under load, each in its own process: `gateway` (this product on its in-memory
bus, events published through `bot_bridge.Publisher` as the bot would) and `stock` (plain
python-socketio on uvicorn, events emitted to a room; `request_elevation` verifies the JWT
with PyJWT and `spectate` enters the guild's rooms, as a python-socketio team would write
them). Both expose POST /bench/publish?n=N.

usage: python -m bench.servers gateway|stock PORT SECRET [uvicorn|hypercorn]
"""

from __future__ import annotations

import sys
from typing import Any

import jwt
import socketio
import uvicorn
from quart import Quart, request

from architus_sdk.wire import LogAction, LogOtherBody
from architus_ws import Settings, create_app
from architus_ws.app import UVICORN_WS
from bench.support import UNLIMITED
from bot_bridge.publisher import Publisher, timestamp

GUILD = "900000000000000001"
CONTENT = "x" * 120  # about 200 bytes of JSON per push, as in the measured baselines


def entry(n: int) -> LogOtherBody:
    return LogOtherBody(
        id=str(10**17 + n),
        action=LogAction.MESSAGE_SENT,
        private=False,
        agent_id="214037134477230080",
        subject_id=None,
        content=CONTENT,
        data={},
        timestamp=timestamp(),
    )


def gateway_app(secret: str) -> Any:
    app = create_app(Settings.from_env({"ARCHITUS_JWT_SECRET": secret, **UNLIMITED}))
    publisher = Publisher(app.gateway.bus)
    quart: Quart = app.quart

    @quart.post("/bench/publish")
    async def publish() -> str:
        count = int(request.args["n"])
        for n in range(count):
            await publisher.log(GUILD, entry(n))
        return "ok"

    return app


def stock_app(secret: str) -> Any:
    sio = socketio.AsyncServer(async_mode="asgi")
    quart = Quart("stock")

    async def join(sid: str, room: str) -> dict[str, bool]:
        await sio.enter_room(sid, room)
        return {"ok": True}

    async def request_elevation(sid: str, request: Any) -> dict[str, Any]:
        # what a python-socketio team would write: verify, keep the claims in the session,
        # join the room, answer
        try:
            claims = jwt.decode(
                request["token"], secret, algorithms=["HS256"], options={"require": ["exp"]}
            )
        except (jwt.InvalidTokenError, KeyError, TypeError) as error:
            return {"ok": False, "error": {"code": 401, "message": str(error)}}
        async with sio.session(sid) as session:
            session["claims"] = claims
        await sio.enter_room(sid, f"{sid}_auth")
        return {"ok": True, "data": {"user_id": claims["sub"], "expires_at": claims["exp"]}}

    async def spectate(sid: str, request: Any) -> dict[str, Any]:
        # the elevation's claims must name the guild; the gateway's rooms for it
        async with sio.session(sid) as session:
            claims = session.get("claims")
            if claims is None:
                return {"ok": False, "error": {"code": 401, "message": "elevate first"}}
            guild = request.get("guild_id") if isinstance(request, dict) else None
            if not isinstance(guild, str) or guild not in claims.get("guilds", {}):
                return {"ok": False, "error": {"code": 403, "message": f"not in token: {guild}"}}
            for room in session.get("spectating", []):
                await sio.leave_room(sid, room)
            rooms = [f"guild:{guild}"] + (
                [f"guild:{guild}:logs"] if request.get("include_logs") else []
            )
            for room in rooms:
                await sio.enter_room(sid, room)
            session["spectating"] = rooms
        return {"ok": True, "data": {"guild_id": guild}}

    sio.on("join", join)
    sio.on("request_elevation", request_elevation)
    sio.on("spectate", spectate)

    @quart.post("/bench/publish")
    async def publish() -> str:
        count = int(request.args["n"])
        for n in range(count):
            payload = entry(n).model_dump() | {"guild_id": GUILD, "epoch": "e", "seq": n + 1}
            await sio.emit("log_other", payload, to=GUILD)
        return "ok"

    return socketio.ASGIApp(sio, other_asgi_app=quart)


def serve_hypercorn(app: Any, port: int) -> None:
    import asyncio

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    asyncio.run(serve(app, config))


def main() -> None:
    kind, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = gateway_app(secret) if kind == "gateway" else stock_app(secret)
    if sys.argv[4:] == ["hypercorn"]:
        serve_hypercorn(app, port)
        return
    # the gateway's websockets are its transport's own (`ws`), as `architus-ws serve` runs it
    ws: dict[str, Any] = {"ws": UVICORN_WS} if kind == "gateway" else {}
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_per_message_deflate=False,
        lifespan="on",
        **ws,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
