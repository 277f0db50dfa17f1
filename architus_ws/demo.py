"""`serve --demo`: a simulated guild inside the gateway process, and a token to watch it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from typing import TYPE_CHECKING

from quart import Quart

from architus_sdk.wire import Permission
from architus_ws.auth.tokens import mint_token
from architus_ws.gateway import Gateway
from bot_bridge.bus import Announcer, presence_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation

if TYPE_CHECKING:
    from architus_ws.app import GatewayApp

DEMO_GUILD_ID = "607637793107345431"
DEMO_USER_ID = "214037134477230080"
DEMO_SECRET = secrets.token_urlsafe(32)


def attach_demo(app: GatewayApp, rate: float = 2.0, members: int = 200) -> None:
    """Run the simulated guild while the app serves, through the app's own bus."""
    gateway: Gateway = app.gateway
    quart: Quart = app.quart
    running: list[asyncio.Task[int]] = []
    # the simulated bot is online for the guild while the demo runs (guild_status)
    presence = presence_for(gateway.bus.url)
    announcer = Announcer(presence)

    async def start() -> None:
        await presence.connect()
        await announcer.serve([DEMO_GUILD_ID])
        guild = SimulatedGuild(DEMO_GUILD_ID, rng=random.Random())
        guild.seed(members)
        publisher = Publisher(gateway.bus, gateway.mirror)
        await guild.publish_seed(publisher)
        running.append(asyncio.create_task(run_simulation(guild, publisher, 0, rate)))

    async def stop() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await announcer.close()
        await presence.disconnect()

    # Registered after the gateway's own hooks: the bus is connected before the guild starts.
    quart.before_serving(start)
    quart.after_serving(stop)


def demo_token(secret: str, kid: str | None = None) -> str:
    every_permission = int(sum(Permission))
    return mint_token(
        secret, DEMO_USER_ID, {DEMO_GUILD_ID: every_permission}, ttl=24 * 3600, kid=kid
    )


def page_url(url: str, token: str) -> str:
    """The demo page watching the demo guild. The token is in the fragment, which browsers
    never send: it stays out of requests, and so out of every server's and proxy's logs."""
    return f"{url}/?guild={DEMO_GUILD_ID}#token={token}"


def banner(url: str, token: str) -> str:
    # The one place the token is printed: on the terminal of whoever started the demo, who
    # holds its secret anyway. It is never logged.
    return f"""
architus gateway demo: a simulated guild ({DEMO_GUILD_ID}) is live at {url}

Open it in a browser: {page_url(url, token)}

An administrator token for it (valid 24 h):

  {token}

Watch it from Python (pip install python-socketio aiohttp):

  python - <<'PY'
  import asyncio, socketio
  async def main():
      sio = socketio.AsyncClient()
      sio.on("log_pool", lambda e: print("log_pool ", e["type"], e["op"], e["seq"]))
      sio.on("log_other", lambda e: print("log_other", e["action"], e["content"], e["seq"]))
      await sio.connect("{url}", auth={{"token": "{token}"}}, transports=["websocket"])
      print(await sio.call("spectate", {{"guild_id": "{DEMO_GUILD_ID}", "include_logs": True}}))
      await sio.wait()
  asyncio.run(main())
  PY
"""
