"""Nothing the gateway process prints holds a token or a session id.

`architus-ws serve --demo` runs as a subprocess with its own access log on, at `info` and at
`debug`; long-polling, websocket and upgraded (polling, then websocket) sessions elevate,
spectate and ask; the demo page is fetched with its token in the fragment. Then every byte the
process wrote to stdout and stderr is searched for each token, each token's payload and
signature, and each Engine.IO and Socket.IO sid.

The demo token is the one exception, in one place: the banner, which is `serve --demo`
showing whoever started it the token it signed with their own secret. It must appear there
and nowhere else (its page URL carries it in the fragment, which browsers never send).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import socketio

from architus_sdk.wire import Permission
from architus_ws import demo
from architus_ws.observability import logs
from tests.conftest import ClientFactory, token
from tests.processes import ServeProcess, serving

EVERY_PERMISSION = int(sum(Permission))


def pieces(secret: str, size: int = 12) -> set[str]:
    """Every run of `size` characters of it: a log line cut short, or with a middle elided,
    still holds one."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def token_pieces(jwt: str) -> set[str]:
    """Pieces of its payload and signature (the header is the same in every token)."""
    _, payload, signature = jwt.split(".")
    return pieces(payload) | pieces(signature)


def sids(client: socketio.AsyncClient) -> list[str]:
    found = [client.eio.sid, client.get_sid()]
    assert all(found), found
    return found


async def upgraded_client(url: str, auth: dict[str, Any]) -> socketio.AsyncClient:
    """Polling first, then upgraded to a websocket: the upgrade request names the sid."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth=auth, transports=["polling", "websocket"], wait_timeout=5)
    async with asyncio.timeout(15):
        while client.transport() != "websocket":
            await asyncio.sleep(0.01)
    return client


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def use_the_gateway(
    server: ServeProcess, connect: ClientFactory, tokens: dict[str, str]
) -> list[str]:
    """Sessions of every transport doing what the dashboard does; their sids."""
    guild = demo.DEMO_GUILD_ID
    spectate = {"guild_id": guild, "include_logs": True}
    polling = await connect(server.url, auth={"token": tokens["polling"]}, transport="polling")
    websocket = await connect(server.url, auth={"token": tokens["demo"]})
    upgraded = await upgraded_client(server.url, {"token": tokens["upgraded"]})
    found = sids(polling.sio) + sids(websocket.sio) + sids(upgraded)
    for client in (polling, websocket):
        assert (await client.call("spectate", spectate))["ok"]
        assert (await client.call("pool", {"type": "guild", "ids": [guild]}))["ok"]
    assert (await upgraded.call("spectate", spectate, timeout=5))["ok"]
    await polling.wait_for(lambda c: bool(c.received("log_other")), timeout=15)
    # a token in a request's payload (a long-polling POST body), and a forged one refused
    ack = await polling.call("request_elevation", {"token": tokens["elevation"]})
    assert ack["ok"], ack
    ack = await polling.call("request_elevation", {"token": tokens["forged"]})
    assert not ack["ok"], ack
    refused = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(server.url, auth={"token": tokens["forged"]}, transports=["polling"])
    # a request for a live session that has moved to its websocket (a client's race): the
    # Engine.IO server refuses it, naming the session
    assert upgraded.eio.sid is not None
    status, _ = await get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={upgraded.eio.sid}")
    assert status == 400
    # the demo page, as the banner's URL opens it
    status, page = await get(demo.page_url(server.url, tokens["demo"]))
    assert status == 200, page
    for client in (polling.sio, websocket.sio, upgraded):
        await client.disconnect()
    return found


@pytest.mark.parametrize("level", ["info", "debug"])
async def test_no_token_or_session_id_in_the_output(level: str, connect: ClientFactory) -> None:
    guilds = {demo.DEMO_GUILD_ID: EVERY_PERMISSION}
    minted = {name: token(user=name, guilds=guilds) for name in ("1", "2", "3")}
    header, payload, signature = minted["3"].split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"  # a signature that does not verify
    async with serving(
        "--demo",
        "--log-level",
        level,
        env={"ARCHITUS_ACCESS_LOG": "1", "ARCHITUS_DRAIN_SECONDS": "1"},
    ) as server:
        await server.wait_for_output("Open it in a browser")
        demo_token = re.search(r"^\s+(ey[\w-]+\.[\w-]+\.[\w-]+)$", server.output, re.M)
        assert demo_token, server.output
        tokens = {
            "demo": demo_token.group(1),
            "polling": minted["1"],
            "upgraded": minted["2"],
            "elevation": minted["3"],
            "forged": forged,
        }
        session_ids = await use_the_gateway(server, connect, tokens)
        await server.terminate(timeout=15)  # and its last words are in `output`
    output = server.output
    # the banner: from its first line to the end of its Python snippet, once
    start = output.index("architus gateway demo:")
    end = output.index("\n  PY\n", start) + len("\n  PY\n")
    rest = output[:start] + output[end:]
    assert "architus gateway demo:" not in rest
    for name, jwt in tokens.items():
        for piece in token_pieces(jwt):
            assert piece not in rest, f"part of the {name} token ({piece}) in:\n{rest}"
    for sid in session_ids:
        for piece in pieces(sid):
            assert piece not in output, f"part of session id {sid} ({piece}) in:\n{output}"
    # the access log is there, by path alone
    access = [line for line in output.splitlines() if "architus_ws.access" in line]
    for request in (
        '"GET /socket.io/" 200',
        '"POST /socket.io/" 200',
        '"WebSocket /socket.io/" 101',
    ):
        assert any(request in line for line in access), (request, access)
    assert any('"GET /" 200' in line for line in access), access
    assert not [line for line in access if "?" in line or "#" in line], access
    # and the banner's page URL has the token where no request carries it
    page = urlsplit(re.findall(r"Open it in a browser: (\S+)", output)[0])
    assert "token" not in parse_qs(page.query)
    assert parse_qs(page.fragment)["token"] == [tokens["demo"]]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            '127.0.0.1:5 - "WebSocket /socket.io/?EIO=4&transport=websocket&sid=Ab3_x-Yz" 101',
            '127.0.0.1:5 - "WebSocket /socket.io/" 101',
        ),
        ("Invalid session Ab3_x-Yz0123456789AA", "Invalid session <sid>"),
        (
            "Unexpected HTTP request for session Ab3_x-Yz01234",
            "Unexpected HTTP request for session <sid>",
        ),
        ("Cannot send to sid Ab3_x-Yz01234", "Cannot send to sid <sid>"),
        (
            """> TEXT '0{"sid":"Ab3_x-Yz0123","upgrades":[]}'""",
            """> TEXT '0{"sid":"<sid>","upgrades":[]}'""",
        ),
        (
            """< TEXT '40{"token":"eyJhbGciOiJI.eyJzdWIi...'""",
            """< TEXT '40{"token":"<token>...'""",
        ),
        ("session expired", "session expired"),
        ("Ab3_x-Yz0123456789AA: ping timeout, closing", "<sid>: ping timeout, closing"),
        ("GET /?guild=1#token=T", "GET /"),
    ],
)
def test_redaction(line: str, shown: str) -> None:
    assert logs.redact(line) == shown
